"""The numpy engine's products on few trailing direction axes.

``jet.lane_product`` (a value-shaped coefficient times partials, used by ``scale``) and
``hyperdual._outer`` (the ε1 ⊗ ε2 outer product) take a strided fast path when the
partials have few lanes and many value elements.  Checked here: bit for bit (NaN
positions, signed zeros, inf) against the plain broadcasting formulas the engine used
before, on drawn shapes and layouts; and end to end (``sparse.sum_hessian``,
``sparse.jacobian``, ``dd.hessian``, ``dd.hvp``, ``dd.jacobian``, ``dd.jvp``) against
analytic derivatives, with a counter proving that the fast path ran.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import hyperdual, jet, sparse

# the drawn specials overflow (1e308·x) and meet inf·0 in the reference formulas too
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# -- the formulas the fast paths replace (the engine's code before them) ----------------------


def old_product(c: np.ndarray, b: np.ndarray, ntrail: int) -> np.ndarray:
    return c[(Ellipsis,) + (None,) * ntrail] * b


def old_scale(c: np.ndarray, b: np.ndarray, ntrail: int) -> np.ndarray:
    """``jet.scale`` for float arrays as it was: NaN-safe where c is not finite."""
    if np.isfinite(c).all():
        return old_product(c, b, ntrail)
    with np.errstate(invalid="ignore"):
        return np.where(b == 0, 0.0, old_product(c, b, ntrail))[()]


def old_outer(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return b[..., :, None] * c[..., None, :]


def same_bits(got: Any, want: Any) -> None:
    """Equal bit for bit: shape, dtype, NaN positions and every other float's 64 bits
    (signed zeros, infinities).  Not the sign of a NaN: NaN·NaN returns one operand's
    NaN, and which one numpy's own loops pick varies (with the operands' strides, and
    within one loop between its vector body and its tail)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype == np.float64
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got.view(np.uint64)[~nan], want.view(np.uint64)[~nan])


class CountingNumpy:
    """Stands in for ``np`` in jet.py and hyperdual.py: counts the fast paths' products
    (``np.multiply(..., order="F")``, which only they call); everything else is numpy's."""

    def __init__(self) -> None:
        self.fast = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    def multiply(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("order") == "F":
            self.fast += 1
        return np.multiply(*args, **kwargs)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingNumpy:
    counter = CountingNumpy()
    monkeypatch.setattr(jet, "np", counter)
    monkeypatch.setattr(hyperdual, "np", counter)
    return counter


def no_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds no array reaches: the engine runs the broadcasting formulas."""
    monkeypatch.setattr(jet, "MANY_ROWS", 2**62)
    monkeypatch.setattr(hyperdual, "OUTER_MANY_ROWS", 2**62)


# -- drawn arrays: shapes, layouts, NaN/inf/±0 sprinkles ----------------------------------------

SPECIALS = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, 5e-324])


def make_array(shape: tuple[int, ...], layout: str, seed: int, sprinkle: float) -> np.ndarray:
    """A float64 array of ``shape`` in a ``layout``: "C", "F", "strided" (every other element
    of a larger array along each axis), "transposed" (axes reversed in memory) or
    "negative" (reversed along axis 0); a ``sprinkle`` fraction of special values."""
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    mask = rng.random(shape) < sprinkle
    data[mask] = rng.choice(SPECIALS, size=int(mask.sum()))
    if layout == "F":
        return np.asfortranarray(data)
    if layout == "strided":
        big = np.full(tuple(2 * s + 1 for s in shape), 7.0)
        view = big[tuple(slice(1, None, 2) for _ in shape)]
        view[...] = data
        return view
    if layout == "transposed":
        return np.ascontiguousarray(data.transpose()).transpose()
    if layout == "negative" and data.ndim:
        return np.ascontiguousarray(data[::-1])[::-1]
    return data


layouts = st.sampled_from(["C", "F", "strided", "transposed", "negative"])
leads = st.lists(st.integers(0, 40), min_size=1, max_size=3).map(tuple)
trails = st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple)
sprinkles = st.sampled_from([0.0, 0.05, 0.5])
seeds = st.integers(0, 2**32 - 1)


@pytest.fixture
def low_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds small arrays reach, so that drawn shapes exercise the fast paths."""
    monkeypatch.setattr(jet, "MANY_ROWS", 2)
    monkeypatch.setattr(hyperdual, "OUTER_MANY_ROWS", 2)


@settings(max_examples=300, deadline=None)
@given(lead=leads, trail=trails, lc=layouts, lb=layouts, sc=sprinkles, sb=sprinkles, seed=seeds)
def test_scale_is_the_broadcasting_product_bit_for_bit(lead, trail, lc, lb, sc, sb, seed):
    c = make_array(lead, lc, seed, sc)
    b = make_array(lead + trail, lb, seed + 1, sb)
    with pytest.MonkeyPatch.context() as mp:  # hypothesis: no function-scoped fixtures
        mp.setattr(jet, "MANY_ROWS", 2)
        got = jet.scale(c, b, len(trail))
        got_product = jet.lane_product(c, b, len(trail))
    same_bits(got, old_scale(c, b, len(trail)))
    same_bits(got_product, old_product(c, b, len(trail)))
    for r in (got, got_product):
        assert not np.shares_memory(r, c) and not np.shares_memory(r, b)


@settings(max_examples=300, deadline=None)
@given(lead=leads, k1=st.integers(1, 6), k2=st.integers(1, 6), lb=layouts, lc=layouts,
       sb=sprinkles, sc=sprinkles, seed=seeds)
def test_outer_is_the_broadcasting_product_bit_for_bit(lead, k1, k2, lb, lc, sb, sc, seed):
    b = make_array(lead + (k1,), lb, seed, sb)
    c = make_array(lead + (k2,), lc, seed + 1, sc)
    coef = make_array(lead, "C", seed + 2, sb)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hyperdual, "OUTER_MANY_ROWS", 2)
        mp.setattr(jet, "MANY_ROWS", 2)
        got = hyperdual._outer(b, c, 1)
        second = hyperdual._second(coef, b, c, 1)
    same_bits(got, old_outer(b, c))
    assert not np.shares_memory(got, b) and not np.shares_memory(got, c)
    # _second: coef·(b ⊗ c) as (coef·b) ⊗ c, or NaN-safely where coef is not finite
    if np.isfinite(coef).all():
        want = old_outer(old_product(coef, b, 1), c)
    else:
        want = old_scale(coef, old_outer(b, c), 2)
    same_bits(second, want)


def test_broadcasting_operands_keep_the_old_path(counting, low_thresholds):
    """A coefficient that broadcasts (a 0-d array, fewer axes, a unit axis) is not the fast
    path's case: the result is still numpy's broadcasting product."""
    b = make_array((30, 3), "C", 1, 0.1)
    for c in (np.float64(2.5) * np.ones(()), make_array((1,), "C", 2, 0.0), make_array((30,), "C", 3, 0.1)):
        same_bits(jet.lane_product(c, b, 1), old_product(c, b, 1))
    b3 = make_array((1, 30, 3), "C", 4, 0.1)
    same_bits(jet.lane_product(make_array((5, 30), "C", 5, 0.1), b3, 1),
              old_product(make_array((5, 30), "C", 5, 0.1), b3, 1))
    assert counting.fast == 1  # only the (30,) coefficient with (30, 3) partials


@pytest.mark.parametrize("lead", [(5000,), (50, 100), (2, 2500)])
@pytest.mark.parametrize("trail", [(1,), (2,), (3,), (4,), (2, 2), (8,), (3, 3)])
@pytest.mark.parametrize("layout", ["C", "strided"])
def test_the_fast_path_runs_where_it_should(counting, lead, trail, layout):
    """At the real thresholds: 2..4 lanes take the fast path (a one-axis value of any
    layout, a several-axis value if C-contiguous); one lane or more than four do not."""
    c = make_array(lead, layout, 7, 0.01)
    b = make_array(lead + trail, layout, 8, 0.01)
    same_bits(jet.scale(c, b, len(trail)), old_scale(c, b, len(trail)))
    lanes = int(np.prod(trail))
    expect = 2 <= lanes <= jet.FEW_LANES and (len(lead) == 1 or layout == "C")
    assert counting.fast == int(expect)


@pytest.mark.parametrize("k1, k2, fast", [(1, 1, False), (1, 3, True), (2, 2, True), (3, 1, True),
                                          (4, 4, True), (5, 3, True), (6, 6, False), (1, 8, False)])
def test_the_outer_fast_path_runs_where_it_should(counting, k1, k2, fast):
    b, c = make_array((3000, k1), "C", 1, 0.01), make_array((3000, k2), "C", 2, 0.01)
    same_bits(hyperdual._outer(b, c, 1), old_outer(b, c))
    assert counting.fast == int(fast)


def test_small_arrays_keep_the_old_path(counting):
    c, b = make_array((100,), "C", 1, 0.0), make_array((100, 2), "C", 2, 0.0)
    same_bits(jet.scale(c, b, 1), old_product(c, b, 1))
    b1, c1 = make_array((10, 2), "C", 1, 0.0), make_array((10, 2), "C", 2, 0.0)
    same_bits(hyperdual._outer(b1, c1, 1), old_outer(b1, c1))
    assert counting.fast == 0


def test_nan_safe_scale_on_the_fast_path(counting):
    """An infinite coefficient times a zero partial is 0 (sqrt'(0)·0), on the fast path too."""
    m = 4000
    c = np.full(m, 2.0)
    c[::7] = np.inf
    b = np.ones((m, 2))
    b[::7, 0] = 0.0
    b[::14, 1] = -0.0
    got = jet.scale(c, b, 1)
    same_bits(got, old_scale(c, b, 1))
    assert (got[::7, 0] == 0).all() and np.isinf(got[7::14, 1]).all()
    assert counting.fast == 1
    # end to end: d/dy sqrt(x)·y at x = 0 along a direction with no x component
    x = np.zeros(m)
    y = np.ones(m)
    d = dd.Dual(np.stack([x, y]), np.zeros((2, m, 2)))
    d.eps[1, :, 0] = 1.0
    r = np.sqrt(d[0]) + d[1]
    assert np.array_equal(r.eps[:, 0], np.ones(m)) and not np.isnan(r.eps).any()


# -- end to end, against analytic derivatives ---------------------------------------------------

RNG = np.random.default_rng(5)


def rosenbrock_terms(x):
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a * a) ** 2, (1.0 - a) ** 2])


def rosenbrock_reference(x):
    """f = Σ 100 (b - a²)² + (1 - a)² with a = x[0::2], b = x[1::2]: value, gradient and
    the 2×2 Hessian blocks H_aa = 1200 a² - 400 b + 2, H_ab = -400 a, H_bb = 200."""
    a, b = x[0::2], x[1::2]
    value = np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * (b - a * a)
    n = x.size
    H = np.zeros((n, n))
    i = np.arange(0, n, 2)
    H[i, i] = 1200.0 * a * a - 400.0 * b + 2.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * a
    H[i + 1, i + 1] = 200.0
    return value, g, H


def broyden(x):
    y = (3.0 - 2.0 * x) * x + 1.0
    return y - np.concatenate([[0.0], x[:-1]]) - 2.0 * np.concatenate([x[1:], [0.0]])


def broyden_jacobian(x):
    n = x.size
    return np.diag(3.0 - 4.0 * x) - np.eye(n, k=-1) - 2.0 * np.eye(n, k=1)


def close(got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = max(np.abs(want).max(initial=0.0), 1.0)
    assert np.abs(got - want).max(initial=0.0) <= rtol * scale


def test_sum_hessian_of_rosenbrock_terms(counting, monkeypatch):
    n = 4000  # 2000 values per term kind: above MANY_ROWS, two colours
    x = RNG.uniform(-1.5, 1.5, n)
    pattern = sparse.jacobian_pattern(rosenbrock_terms, x)
    value, g, H = sparse.sum_hessian(rosenbrock_terms, pattern=pattern)(x)
    assert counting.fast > 0
    v_ref, g_ref, H_ref = rosenbrock_reference(x)
    assert value == pytest.approx(v_ref, rel=1e-13)
    close(g, g_ref)
    close(H.toarray(), H_ref)
    no_fast_paths(monkeypatch)
    before = counting.fast
    v0, g0, H0 = sparse.sum_hessian(rosenbrock_terms, pattern=pattern)(x)
    assert counting.fast == before
    assert v0 == value
    same_bits(g, g0)
    same_bits(H.data, H0.data)


def test_sparse_jacobian_of_broyden(counting, monkeypatch):
    n = 3000  # three colours: three lanes
    x = RNG.uniform(-1, 1, n)
    jac = sparse.jacobian(broyden, pattern=sparse.jacobian_pattern(broyden, x))
    J = jac(x)
    assert counting.fast > 0
    close(J.toarray(), broyden_jacobian(x))
    no_fast_paths(monkeypatch)
    same_bits(J.data, jac(x).data)


def test_dense_transforms_on_a_tall_function(counting, monkeypatch):
    """f(p) = Σ exp(A p), F(p) = exp(A p) with A of 3000 × 3: e = exp(A p),
    ∇f = Aᵀe, ∇²f = Aᵀ diag(e) A, J_F = diag(e) A, J_F·v = e ⊙ (A v), ∇²f·v = Aᵀ(e ⊙ (A v))."""
    m, n = 3000, 3
    A = RNG.standard_normal((m, n)) / 3
    p, v = RNG.standard_normal(n) / 3, RNG.standard_normal(n)
    e = np.exp(A @ p)

    def f(q):
        return np.sum(np.exp(A @ q))

    def F(q):
        return np.exp(A @ q)

    results = {}
    for name, run, want in [
        ("hessian", lambda: dd.hessian(f)(p), A.T @ (e[:, None] * A)),
        ("hvp", lambda: dd.hvp(f, p, v), A.T @ (e * (A @ v))),
        ("jacobian", lambda: dd.jacobian(F)(p), e[:, None] * A),
        ("jvp", lambda: dd.jvp(F, p, v)[1], e * (A @ v)),
    ]:
        before = counting.fast
        results[name] = got = np.asarray(run())
        close(got, want)
        if name != "jvp":  # jvp's one direction has no direction axis: nothing to speed up
            assert counting.fast > before, name
        results[name + " run"] = run
    no_fast_paths(monkeypatch)
    for name in ("hessian", "hvp", "jacobian", "jvp"):
        same_bits(results[name], np.asarray(results[name + " run"]()))
