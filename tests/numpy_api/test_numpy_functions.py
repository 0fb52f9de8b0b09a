"""The numpy engine: numpy functions and ufuncs on Dual and HyperDual arrays.

Every supported numpy function is checked on random shapes and memory layouts
(contiguous, every other row ``x[::2]`` of a larger array, transposed views), for Dual
numbers with no direction axis and with k = 3 directions, and for HyperDual numbers with
no direction axes and with 2 x 3 directions.

Oracles never share dualdiff's code:

* linear maps L (sum, reshape, take, ...): the partials of L(x) are L applied to the
  partials of x, computed by plain numpy, direction by direction;
* multilinear maps B (dot, matmul, einsum, ...): the product rule, computed by plain
  numpy; for hyper-duals d12 B(u, v) = B(d12 u, v) + B(d1 u, d2 v) + B(d2 u, d1 v) + B(u, d12 v);
* matrix functions and norms: the analytic matrix-calculus formulas, by plain numpy;
* the scalar path: the same numpy expression evaluated on an *object array of scalar*
  ``dd.Dual`` / ``dd.HyperDual`` numbers, so numpy's own object loops do the array work
  element by element and only scalar dual arithmetic (tested independently) is used.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

import dualdiff as dd

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# for tests with strict-xfail cases: shrinking a RecursionError takes many slow replays
NO_SHRINK = settings(SETTINGS, phases=(Phase.explicit, Phase.reuse, Phase.generate))
FEW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

K, K1, K2 = 3, 2, 3  # directions of Dual, and of HyperDual's eps1 / eps2
KINDS = ("dual", "dual_k", "hyper", "hyper_k")
JETS = (dd.Dual, dd.HyperDual)

kinds = st.sampled_from(KINDS)
dual_kinds = st.sampled_from(("dual", "dual_k"))
layouts = st.sampled_from(("c", "step", "T"))
seeds = st.integers(0, 2**32 - 1)


# -- building inputs --------------------------------------------------------------------------

def rand(rng, shape, layout="c", trailing=()):
    """A random array of shape + trailing, laid out in memory as asked (value axes only):
    "c" contiguous, "step" every other row of a larger array, "T" a transposed view."""
    shape, trailing = tuple(shape), tuple(trailing)
    nd = len(shape)
    if layout == "step" and nd:
        return rng.standard_normal((2 * shape[0],) + shape[1:] + trailing)[::2]
    if layout == "T" and nd > 1:
        base = rng.standard_normal(shape[::-1] + trailing)
        return np.transpose(base, tuple(range(nd))[::-1] + tuple(range(nd, nd + len(trailing))))
    return np.asarray(rng.standard_normal(shape + trailing))


def make_jet(rng, kind, shape, layout="c", domain=None):
    """A Dual / HyperDual of the given kind with random value and partials.

    ``domain`` maps the value (in place, keeping the memory layout) into a function's domain.
    """
    v = rand(rng, shape, layout)
    if domain is not None:
        v[...] = domain(v)
    if kind == "dual":
        return dd.Dual(v, rand(rng, shape, layout))
    if kind == "dual_k":
        return dd.Dual(v, rand(rng, shape, layout, (K,)))
    if kind == "hyper":
        return dd.HyperDual(v, rand(rng, shape, layout), rand(rng, shape, layout), rand(rng, shape, layout))
    if kind == "hyper_k":
        return dd.HyperDual(v, rand(rng, shape, layout, (K1,)), rand(rng, shape, layout, (K2,)),
                            rand(rng, shape, layout, (K1, K2)))
    raise AssertionError(kind)


def positive(v):
    return np.abs(v) + 0.5


def away_from_zero(v):
    return np.where(v < 0, v - 0.5, v + 0.5)


# -- reading components -----------------------------------------------------------------------

def is_jet(x):
    return isinstance(x, JETS)


def has_directions(jet):
    first = jet.eps if isinstance(jet, dd.Dual) else jet.eps1
    return np.ndim(first) > np.ndim(jet.value)


def trailing_shapes(jet):
    """The direction-axis shape of each partial of jet."""
    nd = np.ndim(jet.value)
    if isinstance(jet, dd.Dual):
        return [np.shape(jet.eps)[nd:]]
    return [np.shape(jet.eps1)[nd:], np.shape(jet.eps2)[nd:], np.shape(jet.eps12)[nd:]]


def keys(jet):
    """The components to compare: the value, then every direction of every partial."""
    if isinstance(jet, dd.HyperDual):
        if has_directions(jet):
            k1, k2 = np.shape(jet.eps1)[-1], np.shape(jet.eps2)[-1]
            return (["v"] + [("eps1", a) for a in range(k1)] + [("eps2", b) for b in range(k2)]
                    + [("eps12", a, b) for a in range(k1) for b in range(k2)])
        return ["v", ("eps1",), ("eps2",), ("eps12",)]
    if has_directions(jet):
        return ["v"] + [("eps", j) for j in range(np.shape(jet.eps)[-1])]
    return ["v", ("eps",)]


def comp(x, key):
    """One component of x as a plain array: its value, or one direction of one partial
    (zeros for a constant x)."""
    if is_jet(x):
        if key == "v":
            return np.asarray(x.value)
        part = np.asarray(getattr(x, key[0]))
        return part[(Ellipsis, *key[1:])] if len(key) > 1 else part
    x = np.asarray(x, dtype=np.float64)
    return x if key == "v" else np.zeros_like(x)


def check_layout(result, live):
    """The partials of result have its value's shape plus live's direction axes."""
    shape = np.shape(result.value)
    parts = [result.eps] if isinstance(result, dd.Dual) else [result.eps1, result.eps2, result.eps12]
    for part, trail in zip(parts, trailing_shapes(live), strict=True):
        assert np.shape(part) == shape + trail, (np.shape(part), shape, trail)


def check(result, inputs, F, DF, D2F=None, *, exact=False, rtol=1e-12, atol=1e-12):
    """Compare a jet result with F (the value), DF(vals, ds) (the first-order part, linear in
    the partials ds of the inputs, zeros for constants) and D2F(vals, d1s, d2s) (the
    second-order cross term: a hyper-dual's eps12 is DF[eps12] + D2F[eps1, eps2])."""
    live = next(x for x in inputs if is_jet(x))
    assert type(result) is type(live), f"expected a {type(live).__name__}, got {type(result).__name__}"
    check_layout(result, live)
    vals = [comp(x, "v") for x in inputs]
    for key in keys(live):
        if key == "v":
            want = F(*vals)
        else:
            want = DF(vals, [comp(x, key) for x in inputs])
            if key[0] == "eps12" and D2F is not None:
                d1 = [comp(x, ("eps1",) + key[1:2]) for x in inputs]
                d2 = [comp(x, ("eps2",) + key[2:3]) for x in inputs]
                want = want + D2F(vals, d1, d2)
        got = comp(result, key)
        want = np.asarray(want, dtype=np.float64)
        assert got.shape == want.shape, (key, got.shape, want.shape)
        if exact:
            assert_array_equal(got, want, err_msg=str(key))
        else:
            assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=str(key))


def linear(F):
    """The derivative map of a linear F: F itself, applied to the partials."""
    return lambda vals, ds: F(*ds)


def multilinear(F):
    """Product rule for F linear in each argument: (DF, D2F) as ``check`` takes them."""
    def DF(vals, ds):
        return sum(F(*vals[:i], ds[i], *vals[i + 1:]) for i in range(len(vals)))

    def D2F(vals, d1, d2):
        total = 0.0
        for i, j in itertools.permutations(range(len(vals)), 2):
            args = list(vals)
            args[i], args[j] = d1[i], d2[j]
            total = total + F(*args)
        return total

    return DF, D2F


def check_linear(result, inputs, F, **kw):
    check(result, inputs, F, linear(F), None, **kw)


def check_multilinear(result, inputs, F, **kw):
    DF, D2F = multilinear(F)
    check(result, inputs, F, DF, D2F, **kw)


# -- the scalar path ----------------------------------------------------------------------------

def to_scalars(x):
    """A jet array as an object array of independent scalar jets (constants unchanged)."""
    if not is_jet(x):
        return x
    out = np.empty(x.shape, dtype=object)
    value = np.asarray(x.value)
    for idx in np.ndindex(x.shape):
        if isinstance(x, dd.Dual):
            out[idx] = dd.Dual(value[idx], np.asarray(x.eps)[idx])
        else:
            out[idx] = dd.HyperDual(value[idx], np.asarray(x.eps1)[idx], np.asarray(x.eps2)[idx],
                                    np.asarray(x.eps12)[idx])
    return out


def check_scalar_path(result, F, *inputs, rtol=1e-12, atol=1e-12):
    """result == F evaluated by numpy's object loops on arrays of scalar jets."""
    live = next(x for x in inputs if is_jet(x))
    assert type(result) is type(live), f"expected a {type(live).__name__}, got {type(result).__name__}"
    check_layout(result, live)
    want = F(*[to_scalars(x) for x in inputs])
    if not isinstance(want, np.ndarray):
        box = np.empty((), dtype=object)
        box[()] = want
        want = box
    for key in keys(live):
        expected = np.array([float(comp(e, key)) for e in want.flat], dtype=np.float64).reshape(want.shape)
        got = comp(result, key)
        assert got.shape == expected.shape, (key, got.shape, expected.shape)
        assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=str(key))


def axis_args(draw, nd):
    """None, an axis, or a tuple of distinct axes (possibly negative) of an nd-array."""
    choice = draw(st.sampled_from(("none", "int", "tuple")))
    if choice == "none":
        return None
    if choice == "int":
        return draw(st.integers(-nd, nd - 1))
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    return tuple(a - nd if draw(st.booleans()) else a for a in axes)


def shapes(min_dims=1, max_dims=3, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


# =============================================================================================
# structure: attributes, indexing, assignment, allocation
# =============================================================================================

@SETTINGS
@given(kinds, shapes(), layouts, seeds)
def test_attributes_len_iteration(kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    assert d.shape == shape and np.shape(d) == shape
    assert d.ndim == len(shape) and np.ndim(d) == len(shape)
    assert d.size == int(np.prod(shape)) and np.size(d) == int(np.prod(shape))
    assert len(d) == shape[0]
    items = list(d)
    assert len(items) == shape[0]
    for i, item in enumerate(items):
        check_linear(item, [d], lambda a, i=i: a[i], exact=True)
    check_linear(d.T, [d], lambda a: a.T, exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_basic_indexing(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    index = data.draw(hnp.basic_indices(shape, allow_ellipsis=True), label="index")
    check_linear(d[index], [d], lambda a: a[index], exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_fancy_indexing(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    index = data.draw(hnp.integer_array_indices(shape, result_shape=shapes(1, 2, 3)), label="index")
    check_linear(d[index], [d], lambda a: a[index], exact=True)
    first = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5), label="rows")
    check_linear(d[first], [d], lambda a: a[first], exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_boolean_mask(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    mask = data.draw(hnp.arrays(np.bool_, shape), label="mask")
    check_linear(d[mask], [d], lambda a: a[mask], exact=True)
    rows = data.draw(hnp.arrays(np.bool_, shape[:1]), label="rows")
    check_linear(d[rows], [d], lambda a: a[rows], exact=True)
    # a mask computed from the dual itself (comparisons act on the value)
    check_linear(d[d > 0.0], [d], lambda a: a[np.asarray(d.value) > 0.0], exact=True)


@SETTINGS
@given(kinds, shapes(), layouts, seeds)
def test_views_of_views(kind, shape, layout, seed):
    """Slicing, stepping and transposing a dual array, then a function of the view."""
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    view = lambda a: a[::2].T[..., ::-1]
    check_linear(view(d), [d], view, exact=True)
    check_linear(np.sum(view(d), axis=0), [d], lambda a: np.sum(view(a), axis=0), rtol=1e-13, atol=1e-13)


@SETTINGS
@given(kinds, shapes(), layouts, seeds)
def test_zeros_like_and_assignment(kind, shape, layout, seed):
    rng = np.random.default_rng(seed)
    d = make_jet(rng, kind, shape, layout)
    for alloc, fill in ((np.zeros_like, 0.0), (np.ones_like, 1.0)):
        z = alloc(d)
        check(z, [d], lambda a, fill=fill: np.full(a.shape, fill), lambda vals, ds: np.zeros(shape), exact=True)
    # fill a zeros_like array row by row: duals into some rows, floats into others
    z = np.zeros_like(d)
    rows = rng.random(shape[0]) < 0.5
    for i in range(shape[0]):
        z[i] = np.sin(d[i]) if rows[i] else 2.5
    sin_check = np.sin(d)
    sel = rows.reshape((-1,) + (1,) * (len(shape) - 1))
    for key in keys(d):
        want = np.where(sel, comp(sin_check, key), 2.5 if key == "v" else 0.0)
        assert_array_equal(comp(z, key), want, err_msg=str(key))
    # writing into z leaves d alone
    for key in keys(d):
        assert_array_equal(comp(d, key), comp(make_jet(np.random.default_rng(seed), kind, shape, layout), key))


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds, st.sampled_from(("dual", "float", "array")))
def test_setitem_into_a_dual_array(data, kind, shape, layout, seed, source):
    """d[index] = other dual / float / float array, for basic, fancy and boolean indices."""
    rng = np.random.default_rng(seed)
    d, e = make_jet(rng, kind, shape, layout), make_jet(rng, kind, shape, layout)
    index = data.draw(st.one_of(hnp.basic_indices(shape, allow_ellipsis=True),
                                hnp.integer_array_indices(shape, result_shape=shapes(1, 1, 3)),
                                hnp.arrays(np.bool_, shape)), label="index")
    const = rand(rng, shape, layout)
    want = {}
    for key in keys(d):
        w = comp(d, key).copy()
        if source == "dual":
            w[index] = comp(e, key)[index]
        elif source == "float":
            w[index] = 2.5 if key == "v" else 0.0
        else:
            w[index] = const[index] if key == "v" else 0.0
        want[key] = w
    d[index] = {"dual": lambda: e[index], "float": lambda: 2.5, "array": lambda: const[index]}[source]()
    assert type(d) in JETS
    check_layout(d, e)
    for key in keys(d):
        assert_array_equal(comp(d, key), want[key], err_msg=str(key))


@SETTINGS
@given(kinds, shapes(), layouts, seeds)
def test_empty_like_filled_elementwise(kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    out = np.empty_like(d)
    assert type(out) is type(d) and out.shape == d.shape
    check_layout(out, d)
    for idx in np.ndindex(shape):
        out[idx] = d[idx] * d[idx]
    check_scalar_path(out, lambda a: a * a, d)


STORES = {"element": lambda a, d: a.__setitem__(0, d[0]), "slice": lambda a, d: a.__setitem__(slice(None), d)}


@pytest.mark.parametrize("store", STORES)
def test_storing_a_dual_in_a_float_array_is_not_silent(store):
    d = dd.Dual(np.arange(3.0) + 1.0, np.ones(3))
    a = np.zeros(3)
    with pytest.raises((TypeError, ValueError)):
        STORES[store](a, d)
    assert_array_equal(a, 0.0)


# =============================================================================================
# linear functions: the partials go through the same linear map
# =============================================================================================

@SETTINGS
@given(st.data(), st.sampled_from([np.sum, np.mean]), kinds, shapes(), layouts, seeds)
def test_sum_mean(data, func, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    axis = axis_args(data.draw, len(shape))
    keepdims = data.draw(st.booleans())
    F = lambda a: func(a, axis=axis, keepdims=keepdims)
    check_linear(F(d), [d], F, rtol=1e-13, atol=1e-13)
    check_linear(func(d), [d], func, rtol=1e-13, atol=1e-13)
    method = getattr(d, func.__name__)
    check_linear(method(axis=axis), [d], lambda a: func(a, axis=axis), rtol=1e-13, atol=1e-13)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_cumsum(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    F = lambda a: np.cumsum(a, axis=axis)
    check_linear(F(d), [d], F, rtol=1e-13, atol=1e-13)
    check_scalar_path(F(d), F, d, rtol=1e-13, atol=1e-13)
    check_linear(d.cumsum(axis=axis), [d], F, rtol=1e-13, atol=1e-13)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_diff(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = data.draw(st.integers(1, 2))
    F = lambda a: np.diff(a, n=n, axis=axis)
    check_linear(F(d), [d], F, rtol=1e-13, atol=1e-13)
    check_linear(np.diff(d), [d], np.diff, rtol=1e-13, atol=1e-13)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_reshape_ravel(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    target = data.draw(st.sampled_from([(-1,), shape[::-1], (d.size, 1), (1, -1), (d.size,)]))
    check_linear(np.reshape(d, target), [d], lambda a: np.reshape(a, target), exact=True)
    check_linear(d.reshape(target), [d], lambda a: a.reshape(target), exact=True)
    check_linear(d.reshape(*target), [d], lambda a: a.reshape(*target), exact=True)
    check_linear(np.ravel(d), [d], np.ravel, exact=True)
    check_linear(d.ravel(), [d], np.ravel, exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_transpose(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    negative = tuple(a - len(shape) if data.draw(st.booleans()) else a for a in perm)
    check_linear(np.transpose(d, negative), [d], lambda a: np.transpose(a, negative), exact=True)
    check_linear(np.transpose(d), [d], np.transpose, exact=True)
    check_linear(np.transpose(d, perm), [d], lambda a: np.transpose(a, perm), exact=True)
    check_linear(np.transpose(d, axes=perm), [d], lambda a: np.transpose(a, axes=perm), exact=True)
    check_linear(d.transpose(perm), [d], lambda a: a.transpose(perm), exact=True)
    check_linear(d.T, [d], lambda a: a.T, exact=True)


def pieces(data, rng, kind, shapes_, layout):
    """Operands of the given shapes, each a jet of ``kind`` or a plain array, at least one jet."""
    live = data.draw(st.lists(st.booleans(), min_size=len(shapes_), max_size=len(shapes_)), label="jets")
    if not any(live):
        live[data.draw(st.integers(0, len(shapes_) - 1))] = True
    return [make_jet(rng, kind, s, layout) if j else rand(rng, s, layout) for s, j in zip(shapes_, live, strict=True)]


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_concatenate(data, kind, shape, layout, seed):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    ax = 0 if axis is None else axis % nd
    ops = pieces(data, rng, kind, [shape[:ax] + (s,) + shape[ax + 1:] for s in sizes], layout)
    F = lambda *a: np.concatenate(a, axis=axis)
    check_linear(F(*ops), ops, F, exact=True)
    if axis == 0:
        check_linear(np.concatenate(ops), ops, lambda *a: np.concatenate(a), exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(max_dims=2), layouts, seeds)
def test_stack(data, kind, shape, layout, seed):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    axis = data.draw(st.integers(-nd - 1, nd))
    ops = pieces(data, rng, kind, [shape] * data.draw(st.integers(1, 3)), layout)
    F = lambda *a: np.stack(a, axis=axis)
    check_linear(F(*ops), ops, F, exact=True)


@pytest.mark.parametrize(("func", "nd"), [
    pytest.param(np.hstack, 1, id="hstack-1d"),
    pytest.param(np.hstack, 2, id="hstack-2d"),
    pytest.param(np.vstack, 1, id="vstack-1d"),
    pytest.param(np.vstack, 2, id="vstack-2d"),
])
@NO_SHRINK
@given(data=st.data(), kind=kinds, layout=layouts, seed=seeds)
def test_hstack_vstack(func, nd, data, kind, layout, seed):
    rng = np.random.default_rng(seed)
    count = data.draw(st.integers(1, 3))
    fixed = data.draw(st.integers(1, 3))
    free = [data.draw(st.integers(1, 3)) for _ in range(count)]
    if func is np.hstack:  # 1-d pieces join along axis 0, 2-d ones along axis 1
        shps = [(f,) for f in free] if nd == 1 else [(fixed, f) for f in free]
    else:  # 1-d pieces become rows, 2-d ones join along axis 0
        shps = [(fixed,)] * count if nd == 1 else [(f, fixed) for f in free]
    ops = pieces(data, rng, kind, shps, layout)
    check_linear(func(ops), ops, lambda *a: func(a), exact=True)


@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_take(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = d.size if axis is None else shape[axis]
    idx_shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    indices = data.draw(hnp.arrays(np.intp, idx_shape, elements=st.integers(-n, n - 1)))
    F = lambda a: np.take(a, indices, axis=axis)
    check_linear(F(d), [d], F, exact=True)
    i = int(data.draw(st.integers(-n, n - 1)))
    check_linear(np.take(d, i, axis=axis), [d], lambda a: np.take(a, i, axis=axis), exact=True)
    check_linear(d.take(indices, axis=axis), [d], F, exact=True)


@SETTINGS
@given(st.data(), kinds, st.integers(1, 4), st.integers(1, 4), layouts, seeds)
def test_trace_and_diag(data, kind, m, n, layout, seed):
    rng = np.random.default_rng(seed)
    a = make_jet(rng, kind, (m, n), layout)
    offset = data.draw(st.integers(-m + 1, n - 1))
    check_linear(np.trace(a), [a], np.trace, rtol=1e-13, atol=1e-13)
    check_linear(np.trace(a, offset=offset), [a], lambda c: np.trace(c, offset=offset), rtol=1e-13, atol=1e-13)
    check_linear(np.diag(a), [a], np.diag, exact=True)
    check_linear(np.diag(a, offset), [a], lambda c: np.diag(c, offset), exact=True)
    b = make_jet(rng, kind, (m, n, 3), layout)
    ax1, ax2 = data.draw(st.permutations(range(-3, 0)))[:2]
    G = lambda c: np.trace(c, offset=offset, axis1=ax1, axis2=ax2)
    check_linear(G(b), [b], G, rtol=1e-13, atol=1e-13)
    v = make_jet(rng, kind, (n,), layout)
    k = data.draw(st.integers(-2, 2))
    check_linear(np.diag(v), [v], np.diag, exact=True)
    check_linear(np.diag(v, k), [v], lambda c: np.diag(c, k), exact=True)


@SETTINGS
@given(st.data(), kinds, hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       layouts, seeds)
def test_where(data, kind, bshapes, layout, seed):
    rng = np.random.default_rng(seed)
    cshape, xshape, yshape = bshapes.input_shapes
    cond = rng.random(cshape) < 0.5
    ops = pieces(data, rng, kind, [xshape, yshape], layout)
    if data.draw(st.booleans()) and not is_jet(ops[1]):
        ops[1] = 1.5  # a Python float branch
    F = lambda a, b: np.where(cond, a, b)
    check_linear(F(*ops), ops, F, exact=True)
    # a condition computed from the dual itself
    x = next(o for o in ops if is_jet(o))
    G = lambda a: np.where(np.asarray(x.value) > 0, a, 0.0)
    check_linear(np.where(x > 0, x, 0.0), [x], G, exact=True)


# =============================================================================================
# piecewise functions: the derivative follows the selected piece
# =============================================================================================

@SETTINGS
@given(st.data(), kinds, shapes(), layouts, seeds)
def test_clip(data, kind, shape, layout, seed):
    rng = np.random.default_rng(seed)
    d = make_jet(rng, kind, shape, layout)
    lo = data.draw(st.sampled_from([None, -0.5, "array"]))
    hi = data.draw(st.sampled_from([0.7, 1e9] if lo is None else [None, 0.7, "array"]))
    lo = rng.standard_normal(shape[-1:]) - 0.5 if isinstance(lo, str) else lo
    hi = rng.standard_normal(shape[-1:]) + 0.5 if isinstance(hi, str) else hi
    x = np.asarray(d.value)
    inside = (x > (-np.inf if lo is None else lo)) & (x < (np.inf if hi is None else hi))
    check(np.clip(d, lo, hi), [d], lambda v: np.clip(v, lo, hi), lambda vals, ds: np.where(inside, ds[0], 0.0),
          exact=True)
    if lo is not None and hi is not None:
        check(d.clip(lo, hi), [d], lambda v: np.clip(v, lo, hi),
              lambda vals, ds: np.where(inside, ds[0], 0.0), exact=True)


@NO_SHRINK
@given(kinds, shapes(), layouts, seeds)
def test_clip_numpy2_keywords(kind, shape, layout, seed):
    """np.clip(a, min=..., max=...) (numpy >= 2.1 spelling) is np.clip(a, lo, hi)."""
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    inside = np.abs(np.asarray(d.value)) < 0.5
    check(np.clip(d, min=-0.5, max=0.5), [d], lambda v: np.clip(v, -0.5, 0.5),
          lambda vals, ds: np.where(inside, ds[0], 0.0), exact=True)


def _sq_oracle(a):
    return np.dot(a[:2], a[:2])


# (call with d and a list of d's scalar elements, the same thing on plain arrays, DF, D2F)
LIST_OPERANDS = {
    "concatenate": (lambda d, lst: np.concatenate([d, lst]), lambda a: np.concatenate([a, a[:2]]), None, None),
    "stack": (lambda d, lst: np.stack([d[:2], lst]), lambda a: np.stack([a[:2], a[:2]]), None, None),
    "where": (lambda d, lst: np.where([True, False], d[:2], lst), lambda a: a[:2], None, None),
    "dot": (lambda d, lst: np.dot(lst, d[:2]), _sq_oracle,
            lambda vals, ds: 2.0 * np.dot(vals[0][:2], ds[0][:2]),
            lambda vals, a, b: 2.0 * np.dot(a[0][:2], b[0][:2])),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", list(LIST_OPERANDS))
def test_list_of_scalar_duals_as_operand(case, kind):
    """A Python list of scalar duals where numpy takes an array (np.concatenate([d, [d[0], d[1]]]))
    gives the right dual result or a TypeError -- never a dual holding an object array that
    silently drops the listed elements' derivatives, nor another exception type."""
    call, F, DF, D2F = LIST_OPERANDS[case]
    d = make_jet(np.random.default_rng(1), kind, (3,), "c")
    try:
        r = call(d, [d[0], d[1]])
    except TypeError:
        return
    assert is_jet(r), f"got a {type(r).__name__}"
    assert np.asarray(r.value).dtype == np.float64
    check(r, [d], F, DF if DF is not None else linear(F), D2F)


@SETTINGS
@given(st.data(), st.sampled_from([np.maximum, np.minimum]), kinds,
       hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), layouts, seeds)
def test_maximum_minimum(data, func, kind, bshapes, layout, seed):
    rng = np.random.default_rng(seed)
    ops = pieces(data, rng, kind, list(bshapes.input_shapes), layout)
    x, y = (comp(o, "v") for o in ops)
    pick_x = (x > y) if func is np.maximum else (x < y)
    check(func(*ops), ops, func, lambda vals, ds: np.where(pick_x, ds[0], ds[1]), exact=True)


@SETTINGS
@given(kinds, shapes(), layouts, seeds)
def test_abs(kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    s = np.sign(np.asarray(d.value))
    for r in (np.abs(d), abs(d), np.absolute(d)):
        check(r, [d], np.abs, lambda vals, ds: s * ds[0], exact=True)


# =============================================================================================
# elementwise ufuncs and operators, with broadcasting
# =============================================================================================

# name: (function, f', f'', domain)
UNARY_ANALYTIC = {
    "sin": (np.sin, np.cos, lambda x: -np.sin(x), None),
    "cos": (np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), None),
    "exp": (np.exp, np.exp, np.exp, None),
    "log": (np.log, lambda x: 1 / x, lambda x: -1 / x**2, positive),
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x**-1.5, positive),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), None),
    "arctan": (np.arctan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2, None),
    "square": (np.square, lambda x: 2 * x, lambda x: 2 + 0 * x, None),
    "cube": (lambda x: x**3, lambda x: 3 * x * x, lambda x: 6 * x, None),
    "reciprocal": (lambda x: 1.0 / x, lambda x: -1 / x**2, lambda x: 2 / x**3, away_from_zero),
}


@SETTINGS
@given(st.sampled_from(sorted(UNARY_ANALYTIC)), kinds, shapes(), layouts, seeds)
def test_unary_ufuncs_analytic(name, kind, shape, layout, seed):
    f, d1, d2, domain = UNARY_ANALYTIC[name]
    d = make_jet(np.random.default_rng(seed), kind, shape, layout, domain)
    check(f(d), [d], f, lambda vals, ds: d1(vals[0]) * ds[0], lambda vals, a, b: d2(vals[0]) * a[0] * b[0])


UNARY_UFUNCS = {
    np.sin: None, np.cos: None, np.tan: lambda v: 0.4 * np.tanh(v), np.exp: None, np.expm1: None,
    np.log: positive, np.log1p: positive, np.log2: positive, np.log10: positive, np.sqrt: positive,
    np.cbrt: away_from_zero, np.tanh: None, np.sinh: None, np.cosh: None, np.arctan: None,
    np.arcsin: lambda v: 0.9 * np.tanh(v), np.arccos: lambda v: 0.9 * np.tanh(v),
    np.arctanh: lambda v: 0.9 * np.tanh(v), np.arcsinh: None, np.arccosh: lambda v: positive(v) + 1.0,
    np.abs: away_from_zero, np.negative: None, np.positive: None, np.square: None,
    np.reciprocal: away_from_zero, np.exp2: None,
}


@SETTINGS
@given(st.sampled_from(list(UNARY_UFUNCS)), kinds, shapes(), layouts, seeds)
def test_unary_ufuncs_scalar_path(ufunc, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout, UNARY_UFUNCS[ufunc])
    check_scalar_path(ufunc(d), np.frompyfunc(ufunc, 1, 1), d)


# name: (function, domain of x, domain of y)
BINARY = {
    "add": (np.add, None, None),
    "subtract": (np.subtract, None, None),
    "multiply": (np.multiply, None, None),
    "divide": (np.divide, None, away_from_zero),
    "power": (np.power, positive, None),
    "arctan2": (np.arctan2, None, away_from_zero),
    "hypot": (np.hypot, away_from_zero, None),
    "maximum": (np.maximum, None, None),
    "minimum": (np.minimum, None, None),
    "logaddexp": (np.logaddexp, None, None),
    "+": (lambda a, b: a + b, None, None),
    "-": (lambda a, b: a - b, None, None),
    "*": (lambda a, b: a * b, None, None),
    "/": (lambda a, b: a / b, None, away_from_zero),
    "**": (lambda a, b: a**b, positive, None),
}


@SETTINGS
@given(st.data(), st.sampled_from(sorted(BINARY)), kinds,
       hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), layouts, seeds)
def test_binary_ufuncs_broadcasting(data, name, kind, bshapes, layout, seed):
    """Dual op Dual, Dual op array and array op Dual, with numpy broadcasting of the shapes."""
    f, dom_x, dom_y = BINARY[name]
    rng = np.random.default_rng(seed)
    which = data.draw(st.sampled_from(("left", "right", "both")))
    (sx, sy), doms = bshapes.input_shapes, (dom_x, dom_y)
    ops = []
    for i, s in enumerate((sx, sy)):
        if which in ("both", ("left", "right")[i]):
            ops.append(make_jet(rng, kind, s, layout, doms[i]))
        else:
            v = rand(rng, s, layout)
            if doms[i] is not None:
                v[...] = doms[i](v)
            ops.append(float(v) if s == () and data.draw(st.booleans()) else v)  # a Python float
    result = f(*ops)
    assert np.shape(result.value) == bshapes.result_shape
    # element by element: f on pairs of scalar jets / floats, broadcast by numpy's object loop
    check_scalar_path(result, np.frompyfunc(f, 2, 1), *ops)


@SETTINGS
@given(kinds, shapes(), layouts, seeds, st.sampled_from([2, 3, 2.0, 0.5, -1.5, 1, 0]))
def test_power_constant_exponent(kind, shape, layout, seed, p):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout, positive)
    for r in (d**p, np.power(d, p)):
        check(r, [d], lambda x: x**p, lambda vals, ds: p * vals[0] ** (p - 1) * ds[0],
              lambda vals, a, b: p * (p - 1) * vals[0] ** (p - 2) * a[0] * b[0])
    c = 1.7
    check(c**d, [d], lambda x: c**x, lambda vals, ds: c ** vals[0] * np.log(c) * ds[0],
          lambda vals, a, b: c ** vals[0] * np.log(c) ** 2 * a[0] * b[0])


@SETTINGS
@given(kinds, layouts, seeds)
def test_broadcasting_duals_with_directions(kind, layout, seed):
    """Duals of shapes (3, 1) and (4,) make a (3, 4) dual, directions kept last."""
    rng = np.random.default_rng(seed)
    a, b = make_jet(rng, kind, (3, 1), layout), make_jet(rng, kind, (4,), layout)
    for f in (lambda u, v: u * v, lambda u, v: np.arctan2(u, v), lambda u, v: np.hypot(u, v) - u / 3.0):
        r = f(a, b)
        assert r.shape == (3, 4)
        check_scalar_path(r, np.frompyfunc(f, 2, 1), a, b)


# =============================================================================================
# multilinear maps: product rule (and the scalar path)
# =============================================================================================

def operands(data, rng, kind, templates, layout, allow_same=True):
    """Operands shaped by letter templates ("mn", "np", ...; "o" has size 1, "" is a scalar),
    each a jet or a constant, at least one a jet.  Sometimes one jet appears twice."""
    sizes = {ch: data.draw(st.integers(1, 4), label=ch) for ch in "abcdmnp"}
    sizes["o"] = 1
    shps = [tuple(sizes[ch] for ch in t) for t in templates]
    ops = pieces(data, rng, kind, shps, layout)
    if allow_same and len(ops) == 2 and shps[0] == shps[1] and is_jet(ops[0]) and data.draw(st.booleans()):
        ops[1] = ops[0]  # the same dual on both sides
    return [o if np.shape(o) != () or is_jet(o) else float(o) for o in ops]


DOT_CASES = [("n", "n"), ("mn", "n"), ("n", "np"), ("mn", "np"), ("amn", "n"), ("amn", "bnp"),
             ("", "n"), ("mn", "")]


@SETTINGS
@given(st.data(), st.sampled_from(DOT_CASES), kinds, layouts, seeds)
def test_dot(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_multilinear(np.dot(*ops), ops, np.dot)


@FEW
@given(st.data(), st.sampled_from(DOT_CASES), kinds, layouts, seeds)
def test_dot_scalar_path(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_scalar_path(np.dot(*ops), np.dot, *ops)


MATMUL_CASES = [("n", "n"), ("mn", "n"), ("n", "np"), ("mn", "np"), ("bmn", "np"), ("bmn", "bnp"),
                ("omn", "bnp"), ("mn", "bnp"), ("n", "bnp"), ("bmn", "n"), ("cbmn", "bnp"), ("comn", "bnp")]


@SETTINGS
@given(st.data(), st.sampled_from(MATMUL_CASES), kinds, layouts, seeds)
def test_matmul(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_multilinear(np.matmul(*ops), ops, np.matmul)
    check_multilinear(ops[0] @ ops[1], ops, np.matmul)  # also ndarray @ dual


@FEW
@given(st.data(), st.sampled_from(MATMUL_CASES), kinds, layouts, seeds)
def test_matmul_scalar_path(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_scalar_path(ops[0] @ ops[1], np.matmul, *ops)


@SETTINGS
@given(st.data(), st.sampled_from([("n", "n"), ("mn", "n"), ("mn", "pn"), ("abn", "n"), ("n", "abn"), ("", "n")]),
       kinds, layouts, seeds)
def test_inner(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_multilinear(np.inner(*ops), ops, np.inner)


@SETTINGS
@given(st.data(), st.sampled_from([("m", "n"), ("ab", "n"), ("m", "ab"), ("n", "n")]), kinds, layouts, seeds)
def test_outer(data, case, kind, layout, seed):
    ops = operands(data, np.random.default_rng(seed), kind, case, layout)
    check_multilinear(np.outer(*ops), ops, np.outer, exact=False)
    check_scalar_path(np.outer(*ops), np.outer, *ops)


TENSORDOT_CASES = [
    (("abc", "bcd"), 2), (("ab", "bc"), 1), (("ab", "cd"), 0), (("abc", "cad"), ([0, 2], [1, 0])),
    (("ab", "ba"), ([0, 1], [1, 0])), (("abc", "b"), ([1], [0])), (("ab", "ab"), ([0, 1], [0, 1])),
    (("ab", "cb"), (1, 1)), (("abc", "bcd"), ([-2, -1], [0, 1])),
]


@SETTINGS
@given(st.data(), st.sampled_from(TENSORDOT_CASES), kinds, layouts, seeds)
def test_tensordot(data, case, kind, layout, seed):
    templates, axes = case
    ops = operands(data, np.random.default_rng(seed), kind, templates, layout)
    F = lambda a, b: np.tensordot(a, b, axes=axes)
    check_multilinear(F(*ops), ops, F)
    if axes == 2:
        check_multilinear(np.tensordot(*ops), ops, np.tensordot)


EINSUM_CASES = ["ij,jk->ik", "ij,ij->", "ij,ij->ij", "i,j->ij", "ijk,kj->i", "ij->ji", "ii->i", "ii", "i,i",
                "ij,j", "...j,j->...", "...ij,...jk->...ik", "ij,jk,kl->il", "bij,bjk->bik", "i,i,i->",
                "ij,kj->ikj", "ij->"]


@SETTINGS
@given(st.data(), st.sampled_from(EINSUM_CASES), kinds, layouts, seeds)
def test_einsum(data, spec, kind, layout, seed):
    rng = np.random.default_rng(seed)
    sizes = {ch: data.draw(st.integers(1, 3), label=ch) for ch in "bijkl"}
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), label="...")
    terms = spec.split("->")[0].split(",")
    shps = [(batch if t.startswith("...") else ()) + tuple(sizes[ch] for ch in t.replace("...", ""))
            for t in terms]
    ops = pieces(data, rng, kind, shps, layout)
    if len(ops) >= 2 and shps[0] == shps[1] and is_jet(ops[0]) and data.draw(st.booleans()):
        ops[1] = ops[0]
    F = lambda *a: np.einsum(spec, *a)
    check_multilinear(F(*ops), ops, F)
    check_scalar_path(F(*ops), F, *ops)
    check_multilinear(np.einsum(spec, *ops, optimize=True), ops, F)


# =============================================================================================
# nonlinear: prod, norm, det, inv, solve
# =============================================================================================

def _front(a, axis):
    """a with the reduced axis (or all axes) flattened to the front: shape (R, rest...)."""
    a = np.asarray(a)
    if axis is None:
        return a.reshape(-1)
    return np.moveaxis(a, axis, 0)


def prod_oracle(axis, keepdims):
    """np.prod is multilinear in the factors: replace factor t (resp. t and u != t) by the
    partials and sum over t (resp. ordered pairs)."""
    F = lambda a: np.prod(a, axis=axis, keepdims=keepdims)

    def DF(vals, ds):
        x, e = _front(vals[0], axis), _front(ds[0], axis)
        total = 0.0
        for t in range(x.shape[0]):
            y = x.copy()
            y[t] = e[t]
            total = total + np.prod(y, axis=0)
        return np.reshape(total, np.shape(F(vals[0])))

    def D2F(vals, d1, d2):
        x, e1, e2 = _front(vals[0], axis), _front(d1[0], axis), _front(d2[0], axis)
        total = np.zeros(x.shape[1:])
        for t, u in itertools.permutations(range(x.shape[0]), 2):
            y = x.copy()
            y[t], y[u] = e1[t], e2[u]
            total = total + np.prod(y, axis=0)
        return np.reshape(total, np.shape(F(vals[0])))

    return F, DF, D2F


@SETTINGS
@given(st.data(), kinds, shapes(max_side=3), layouts, seeds)
def test_prod(data, kind, shape, layout, seed):
    rng = np.random.default_rng(seed)
    zeros = rng.random(shape) < data.draw(st.sampled_from([0.0, 0.3]))
    d = make_jet(rng, kind, shape, layout, lambda v: np.where(zeros, 0.0, v))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    F, DF, D2F = prod_oracle(axis, keepdims)
    result = np.prod(d, axis=axis, keepdims=keepdims)
    check(result, [d], F, DF, D2F)
    check_scalar_path(result, F, d)
    check(d.prod(axis=axis), [d], *prod_oracle(axis, False))


def test_prod_exact_at_zeros():
    """d/dx_i of x0 x1 x2 at x = (0, 2, 3) is (6, 0, 0), exactly, with no division by 0."""
    d = np.prod(dd.Dual(np.array([0.0, 2.0, 3.0]), np.eye(3)))
    assert_array_equal(d.eps, [6.0, 0.0, 0.0])
    h = np.prod(dd.HyperDual(np.array([0.0, 0.0, 3.0]), np.eye(3), np.eye(3), np.zeros((3, 3, 3))))
    assert_array_equal(h.eps1, [0.0, 0.0, 0.0])
    assert_array_equal(h.eps12, [[0, 3, 0], [3, 0, 0], [0, 0, 0]])


def norm2_oracle(axis, keepdims):
    r = lambda x: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    s = lambda a, b: np.sum(a * b, axis=axis, keepdims=keepdims)
    DF = lambda vals, ds: s(vals[0], ds[0]) / r(vals[0])
    D2F = lambda vals, a, b: (s(a[0], b[0]) / r(vals[0])
                              - s(vals[0], a[0]) * s(vals[0], b[0]) / r(vals[0]) ** 3)
    return DF, D2F


@SETTINGS
@given(st.data(), kinds, layouts, seeds, st.sampled_from([None, 2, 1, np.inf]))
def test_norm_vector(data, kind, layout, seed, ord_):
    rng = np.random.default_rng(seed)
    if data.draw(st.booleans()):
        shape, axis, keepdims = (data.draw(st.integers(1, 6)),), None, False
    else:
        shape = data.draw(shapes(2, 2))
        axis, keepdims = data.draw(st.sampled_from([0, 1, -1])), data.draw(st.booleans())
    d = make_jet(rng, kind, shape, layout)
    F = lambda a: np.linalg.norm(a, ord=ord_, axis=axis, keepdims=keepdims)
    ax = 0 if axis is None else axis
    x = np.asarray(d.value)
    if ord_ in (None, 2):
        DF, D2F = norm2_oracle(ax, keepdims)
    elif ord_ == 1:
        DF, D2F = (lambda vals, ds: np.sum(np.sign(x) * ds[0], axis=ax, keepdims=keepdims)), None
    else:
        m = np.expand_dims(np.argmax(np.abs(x), axis=ax), ax)
        pick = lambda a: np.take_along_axis(a, m, axis=ax)
        DF = lambda vals, ds: np.reshape(pick(np.sign(x) * ds[0]), np.shape(F(x)))
        D2F = None
    check(F(d), [d], F, DF, D2F)


@SETTINGS
@given(st.data(), kinds, shapes(2, 2), layouts, seeds)
def test_norm_frobenius(data, kind, shape, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, shape, layout)
    ord_ = data.draw(st.sampled_from([None, "fro"]))
    axis = data.draw(st.sampled_from([None, (0, 1), (1, 0), (-2, -1)]))
    keepdims = data.draw(st.booleans())
    F = lambda a: np.linalg.norm(a, ord=ord_, axis=axis, keepdims=keepdims)
    DF, D2F = norm2_oracle(axis if axis is not None else (0, 1), keepdims)
    check(F(d), [d], F, DF, D2F)
    check(np.linalg.norm(d), [d], np.linalg.norm, *norm2_oracle(None, False))


@FEW
@given(st.sampled_from([2, 1, np.inf, "nuc"]), dual_kinds, st.integers(2, 4), layouts, seeds)
def test_norm_other_matrix_ords_are_right_or_refused(ord_, kind, n, layout, seed):
    """A matrix norm other than Frobenius is computed correctly or raises TypeError: never
    silently replaced by another norm."""
    d = make_jet(np.random.default_rng(seed), kind, (n, n + 1), layout)
    try:
        r = np.linalg.norm(d, ord=ord_)
    except TypeError as exc:
        assert "norm" in str(exc)
        return
    x = np.asarray(d.value)
    if ord_ in (2, "nuc"):
        u, _, vt = np.linalg.svd(x)
        count = 1 if ord_ == 2 else min(x.shape)
        DF = lambda vals, ds: sum(u[:, i] @ ds[0] @ vt[i] for i in range(count))
    else:
        axis = 0 if ord_ == 1 else 1
        j = int(np.argmax(np.sum(np.abs(x), axis=axis)))
        sel = (lambda a: a[:, j]) if ord_ == 1 else (lambda a: a[j])
        DF = lambda vals, ds: np.sum(np.sign(sel(x)) * sel(ds[0]))
    check(r, [d], lambda a: np.linalg.norm(a, ord=ord_), DF, None)


def well_conditioned(n):
    return lambda v: v + 3.0 * np.eye(n)


@SETTINGS
@given(kinds, st.integers(1, 4), layouts, seeds)
def test_det(kind, n, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, (n, n), layout, well_conditioned(n))
    A = np.asarray(d.value)
    Ai, det = np.linalg.inv(A), np.linalg.det(A)
    DF = lambda vals, ds: det * np.trace(Ai @ ds[0])
    D2F = lambda vals, a, b: det * (np.trace(Ai @ a[0]) * np.trace(Ai @ b[0]) - np.trace(Ai @ a[0] @ Ai @ b[0]))
    check(np.linalg.det(d), [d], np.linalg.det, DF, D2F, rtol=1e-11, atol=1e-11)


@SETTINGS
@given(kinds, st.integers(1, 4), layouts, seeds)
def test_inv(kind, n, layout, seed):
    d = make_jet(np.random.default_rng(seed), kind, (n, n), layout, well_conditioned(n))
    Ai = np.linalg.inv(np.asarray(d.value))
    DF = lambda vals, ds: -Ai @ ds[0] @ Ai
    D2F = lambda vals, a, b: Ai @ a[0] @ Ai @ b[0] @ Ai + Ai @ b[0] @ Ai @ a[0] @ Ai
    inv = np.linalg.inv(d)
    check(inv, [d], np.linalg.inv, DF, D2F, rtol=1e-11, atol=1e-11)
    # A^-1 A = I: a constant, so every partial vanishes up to rounding: the partials of the
    # product are (A^-1)'A + A^-1 A', each of size |A^-1|^2 |A'| |A| = cond(A) |A^-1| |A'|,
    # so rounding leaves about eps·cond(A)·|A^-1|·|A'| per entry (64 eps for the sums)
    A = np.asarray(d.value)
    partials = max(np.abs(np.asarray(c)).max() for c, _ in d._parts()[1:])
    atol = 64 * np.finfo(float).eps * np.linalg.cond(A) * np.linalg.norm(Ai, 2) * max(partials, 1.0) * n
    check(inv @ d, [d], lambda a: np.eye(n), lambda vals, ds: np.zeros((n, n)), rtol=1e-11, atol=atol)


@SETTINGS
@given(st.data(), kinds, st.integers(1, 4), st.sampled_from(["vector", "matrix"]), layouts, seeds)
def test_solve(data, kind, n, bkind, layout, seed):
    rng = np.random.default_rng(seed)
    which = data.draw(st.sampled_from(("A", "b", "both")))
    bshape = (n,) if bkind == "vector" else (n, data.draw(st.integers(1, 3)))
    A = (make_jet(rng, kind, (n, n), layout, well_conditioned(n)) if which != "b"
         else rand(rng, (n, n), layout) + 3.0 * np.eye(n))
    b = make_jet(rng, kind, bshape, layout) if which != "A" else rand(rng, bshape, layout)
    Ai = np.linalg.inv(comp(A, "v"))
    x = Ai @ comp(b, "v")

    def DF(vals, ds):
        return Ai @ (ds[1] - ds[0] @ x)

    def D2F(vals, d1, d2):
        x1, x2 = DF(vals, d1), DF(vals, d2)
        return -Ai @ (d1[0] @ x2 + d2[0] @ x1)

    check(np.linalg.solve(A, b), [A, b], np.linalg.solve, DF, D2F, rtol=1e-11, atol=1e-11)


# =============================================================================================
# unsupported functions: a TypeError naming the function, never a silent conversion
# =============================================================================================

# (sort, partition, median, eigh, svd, qr and fmod became supported in issue 13)
UNSUPPORTED = [
    ("np.linalg.eig", lambda d: np.linalg.eig(d)),
    ("np.linalg.eigvals", lambda d: np.linalg.eigvals(d)),
    ("np.unique", lambda d: np.unique(d)),
    ("np.histogram", lambda d: np.histogram(d)),
    ("np.gcd", lambda d: np.gcd(d, 2)),
    ("np.add.outer", lambda d: np.add.outer(d, d)),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "call"), UNSUPPORTED, ids=[n for n, _ in UNSUPPORTED])
def test_unsupported_function_raises_naming_it(name, call, kind):
    d = make_jet(np.random.default_rng(0), kind, (3, 3), "c", well_conditioned(3))
    with pytest.raises(TypeError) as info:
        call(d)
    assert name in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "call"), [("np.fft.fft", lambda d: np.fft.fft(d)),
                                            ("np.fft.ifft", lambda d: np.fft.ifft(d)),
                                            ("np.fft.rfft", lambda d: np.fft.rfft(d))],
                         ids=["fft", "ifft", "rfft"])
def test_unsupported_fft_raises_naming_it(name, call, kind):
    d = make_jet(np.random.default_rng(0), kind, (4,), "c")
    with pytest.raises(TypeError) as info:
        call(d)
    assert name in str(info.value)
