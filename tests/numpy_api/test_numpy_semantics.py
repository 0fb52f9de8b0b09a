"""numpy's semantics on dual arrays: in-place operators, views, ``out=``, ``ufunc.at``,
name aliasing, shapes with ``keepdims``, and the user's floating-point error settings.

Issue 10 found dualdiff returning wrong numbers here without a word.  Every case runs the
same code on plain floats: the values must be numpy's, and the Jacobian must match
central finite differences of the float code.  The functions are smooth polynomials and
sines of x in [0.5, 1.5] with third derivatives below ~50, so with h = 1e-5 the central
difference error is below h²/6·50 + 1e-16/h ≈ 1e-9; the tolerance 1e-6 leaves room.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd


def fd_jacobian(f, x, h=1e-5):
    """Central differences of the float function f (a copy of x per evaluation)."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        cols.append((np.asarray(f(x + e), dtype=float) - np.asarray(f(x - e), dtype=float)) / (2 * h))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x.copy())) + x.shape)


def check(f, x):
    """Values against numpy on floats; the Jacobian against finite differences."""
    expected = np.asarray(f(x.copy()), dtype=float)
    value, _ = dd.jvp(f, x.copy(), np.ones_like(x))
    np.testing.assert_allclose(np.asarray(value, dtype=float), expected, rtol=1e-14, atol=1e-14)
    jac = dd.jacobian(f)(x.copy())
    assert jac.shape == expected.shape + x.shape
    np.testing.assert_allclose(jac, fd_jacobian(f, x), rtol=1e-6, atol=1e-6)
    for chunk in (1, 2):  # every pass sees the same x, though f writes into views of it
        np.testing.assert_allclose(dd.jacobian(f, chunk=chunk)(x.copy()), jac, rtol=1e-14, atol=1e-14)
    return jac


# -- the reproducers of issue 10 ------------------------------------------------------------

def slice_view_iadd(x):
    y = np.zeros_like(x)
    v = y[:2]
    v += x[:2]
    return y


def name_alias_iadd(x):
    y = np.zeros_like(x)
    z = y
    y += x
    return z


def transpose_setitem(x):
    Y = np.zeros_like(x).reshape(2, 3)
    Y.T[1, 0] = 3 * x[0]
    return Y


def reshape_setitem(x):
    Y = np.zeros_like(x).reshape(2, 3)
    Y.reshape(-1)[3] = x[1] ** 2
    return Y


def ravel_setitem(x):
    y = np.zeros_like(x).reshape(2, 3)
    y.ravel()[2] = np.sin(x[2])
    return y


def input_view_setitem(x):
    y = x[:]
    y[0] = 2 * y[0]
    return x + y


def swapaxes_imul(x):
    Y = x.reshape(2, 3) * 1.0
    S = Y.swapaxes(0, 1)
    S[0] *= x[3]
    return Y


def view_before_first_write(x):
    y = x * 2.0
    v = y[:3]
    y += 1.0
    return v * y[3:]


def borrowed_result(x):
    y = x + 1.0  # may share x's derivative arrays inside dualdiff
    v = y[:3]
    v *= x[3:]
    return np.concatenate([x, y])


def broadcast_iadd_2d(x):
    Y = np.zeros_like(x).reshape(2, 3)
    Y += x[:3]
    row = Y[1]
    row *= x[3:]
    return Y


def out_arguments(x):
    y = np.zeros_like(x)
    np.multiply(x, x, out=y)
    np.add(x[:3], x[3:], out=y[3:])
    np.sin(y[:3], out=y[1:4])  # overlapping input and output, as numpy allows
    return y


def ufunc_at(x):
    y = np.zeros_like(x)
    np.add.at(y, [0, 0, 2, 5], x[:4])
    np.subtract.at(y, np.array([1, 1]), x[4])
    np.multiply.at(y, [2, 2], x[1])
    np.negative.at(y, [5])
    return y


def scalar_accumulators(x):
    s = x[0]
    t = s
    s += 1.0  # a scalar rebinds, as a numpy scalar does: t keeps x[0]
    s *= x[1]
    return np.stack([s, t])


def reshape_of_transpose(x):
    Y = np.zeros_like(x).reshape(2, 3).T  # reshape of a non-contiguous view: numpy copies
    Z = Y.reshape(-1)
    Z[0] = x[0] * x[1]
    return np.concatenate([Y.ravel(), Z])


def in_place_functions(x):
    y = np.zeros_like(x)
    np.copyto(y, x ** 2)
    np.copyto(y, 3.0 * x, where=x > 1.0)
    np.put(y, [0, 4], x[1:3] * x[0])
    Y = y.reshape(2, 3)[:, :2]
    np.fill_diagonal(Y, x[5])
    z = np.zeros_like(x)
    z.fill(2.0)
    return y + z


def out_of_array_functions(x):
    y = np.zeros_like(x)
    np.clip(x, 0.8, 1.2, out=y)
    np.cumsum(x[:3], out=y[3:])
    np.maximum(y, 1.0, out=y)
    np.sum(x.reshape(2, 3), axis=0, out=y[:3])
    return y


def fancy_and_mask_assignment(x):
    y = np.zeros_like(x)
    y[[0, 0, 1]] += x[:3]  # numpy buffers: the repeated index is written once, last wins
    y[x > 1.0] = x[x > 1.0] * 3
    y[np.array([5, 4])] -= x[:2] ** 2
    return y


def _augmented(op):
    def f(x):
        y = x * 1.0 + 2.0
        v = y[1:4]
        w = v
        if op == "+=":
            v += x[:3]
        elif op == "-=":
            v -= x[:3]
        elif op == "*=":
            v *= x[:3]
        elif op == "/=":
            v /= x[:3]
        elif op == "**=":
            v **= x[:3]
        elif op == "%=":
            v %= 1.7
        elif op == "//=":
            v //= 0.5
        elif op == "@=":
            M = x[:3].reshape(3, 1) * x[3:].reshape(1, 3)
            u = y.reshape(2, 3)
            u @= M
            return y
        return np.concatenate([y, w])
    f.__name__ = f"augmented {op}"
    return f


CASES = [slice_view_iadd, name_alias_iadd, transpose_setitem, reshape_setitem, ravel_setitem,
         input_view_setitem, swapaxes_imul, view_before_first_write, borrowed_result,
         broadcast_iadd_2d, out_arguments, ufunc_at, scalar_accumulators, reshape_of_transpose,
         in_place_functions, out_of_array_functions, fancy_and_mask_assignment,
         *(_augmented(op) for op in ("+=", "-=", "*=", "/=", "**=", "%=", "//=", "@="))]


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_numpy_semantics_on_dual_arrays(f):
    check(f, np.array([0.7, 1.1, 0.9, 1.3, 0.6, 1.2]))


SMOOTH = [f for f in CASES if f.__name__ not in (  # jumps (at 1.0, ...) defeat FD
    "augmented %=", "augmented //=", "in_place_functions", "fancy_and_mask_assignment")]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.5, 1.5), min_size=6, max_size=6), st.sampled_from(SMOOTH))
def test_numpy_semantics_random_points(values, f):
    check(f, np.array(values))


def test_issue_reproducers_exact():
    x = np.array([1.0, 2.0, 3.0])

    def f(x):
        y = np.zeros_like(x)
        v = y[:2]
        v += x[:2]
        return y

    def g(x):
        y = np.zeros_like(x)
        z = y
        y += x
        return z

    np.testing.assert_array_equal(dd.jacobian(f)(x), [[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(dd.jacobian(g)(x), np.eye(3))


def test_input_is_not_modified():
    x = np.array([0.7, 1.1, 0.9, 1.3, 0.6, 1.2])
    before = x.copy()
    dd.jacobian(input_view_setitem)(x)
    dd.hessian(lambda x: np.sum(input_view_setitem(x) ** 3))(x)
    np.testing.assert_array_equal(x, before)


def test_hessian_through_in_place_code():
    def f(x):
        y = np.zeros_like(x)
        v = y[1:]
        v += x[:-1] * x[1:]
        y[0] = x[0] ** 3
        y *= 2.0
        return np.sum(y ** 2)

    x = np.array([0.7, 1.1, 0.9, 1.3])
    grad_fd = lambda x: fd_jacobian(f, x, h=1e-6)
    # second differences: error ~ h²·f''''/12 + 1e-16·|f|/h² with h = 1e-4: below 1e-6
    np.testing.assert_allclose(dd.hessian(f)(x), fd_jacobian(grad_fd, x, h=1e-4), rtol=1e-5, atol=1e-5)
    nested = dd.jacobian(dd.grad(f))(x)
    np.testing.assert_allclose(nested, dd.hessian(f)(x), rtol=1e-12, atol=1e-12)


def test_nested_jacobian_of_code_assigning_into_zeros_like():
    def f(x):
        y = np.zeros_like(x)
        y[1:] = x[:-1] ** 2
        y[0] += x[2] * x[1]
        return y

    x = np.array([0.7, 1.1, 0.9])
    second = dd.jacobian(dd.jacobian(f))(x)
    jac_fd = lambda x: fd_jacobian(f, x, h=1e-6)
    np.testing.assert_allclose(second, fd_jacobian(jac_fd, x, h=1e-4), rtol=1e-5, atol=1e-5)


# -- refusals with a clear message --------------------------------------------------------

def test_float_array_out_and_in_place_raise_naming_the_fix():
    def into_float(x):
        y = np.zeros(3)
        y += x
        return y

    def out_float(x):
        y = np.zeros(3)
        np.sin(x, out=y)
        return y

    def at_float(x):
        y = np.zeros(3)
        np.add.at(y, [0], x[0])
        return y

    for f in (into_float, out_float, at_float):
        with pytest.raises(TypeError, match="zeros_like"):
            dd.jacobian(f)(np.ones(3))


def test_non_broadcastable_in_place_raises_like_numpy():
    def f(x):
        y = np.zeros_like(x[:2])
        y += x
        return y

    def g(x):  # broadcasts to (2, 3): fine for a new array, not for y of shape (3,)
        y = np.zeros_like(x)
        y += x.reshape(1, 3) * np.ones((2, 1))
        return y

    with pytest.raises(ValueError, match="broadcast"):
        f(np.ones(3))  # numpy's own error on floats
    with pytest.raises(ValueError, match="broadcast"):
        dd.jacobian(f)(np.ones(3))
    for fn in (g,):
        with pytest.raises(ValueError, match="non-broadcastable"):
            fn(np.ones(3))
        with pytest.raises(ValueError, match="non-broadcastable"):
            dd.jacobian(fn)(np.ones(3))


def test_broadcast_to_is_read_only_as_in_numpy():
    def f(x):
        b = np.broadcast_to(x[:1], (3,))
        b[0] = 2.0
        return b

    with pytest.raises(ValueError, match="read-only"):
        f(np.ones(3))
    with pytest.raises(ValueError, match="read-only"):
        dd.jacobian(f)(np.ones(3))


# -- memoised helpers (issue 10 item 2) -----------------------------------------------------

def test_lru_cached_helper_is_refused_not_stale():
    @functools.lru_cache
    def potential(r):
        return 1 / r**12 - 2 / r**6

    energy = lambda x: potential(x[0]) + potential(x[1]) + 0.5 * (x[0] - x[1]) ** 2
    x = np.array([1.1, 0.9])
    for _ in range(2):
        with pytest.raises(TypeError, match="unhashable"):
            dd.grad(energy)(x)
    # keyed on the value with derivative-free results, as the message says, it is exact
    analytic = lambda r: -12 / r**13 + 12 / r**7
    g = dd.grad(lambda x: potential.__wrapped__(x[0]) + potential.__wrapped__(x[1])
                + 0.5 * (x[0] - x[1]) ** 2)(x)
    np.testing.assert_allclose(g, [analytic(1.1) + 0.2, analytic(0.9) - 0.2], rtol=1e-13)


# -- the user's floating-point error settings (issue 10 item 3) -----------------------------

def test_user_error_settings_hold_inside_f():
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError):
            dd.grad(lambda x: np.sum(np.log(x)))(np.array([-1.0, 1.0]))
        with pytest.raises(FloatingPointError):
            dd.grad(lambda x: np.log(x[0]) + x[1])(np.array([-1.0, 1.0]))
        # dualdiff's own derivative products never raise: sqrt'(0) = inf is the convention
        g = dd.grad(lambda x: np.sum(np.sqrt(x)))(np.array([0.0, 4.0]))
        np.testing.assert_array_equal(g, [np.inf, 0.25])
        g = dd.grad(lambda x: dd.sqrt(x[0]) + x[1] ** 2)(np.array([0.0, 3.0]))
        np.testing.assert_array_equal(g, [np.inf, 6.0])
        h = dd.hessian(lambda x: np.sum(np.sqrt(x)) + x[0] * x[1])(np.array([0.0, 4.0]))
        assert h[0, 1] == h[1, 0] == 1.0
    with np.errstate(invalid="warn"):
        with pytest.warns(RuntimeWarning, match="invalid value"):
            dd.grad(lambda x: np.sum(np.log(x)))(np.array([-1.0, 1.0]))


# -- NaN-safety on the numbers, not in a global (issue 11 item 1) ---------------------------

def test_nested_nan_safety():
    f = lambda x: dd.sqrt(x[0]) + x[1] ** 2
    g = lambda x: np.sqrt(x[0]) + x[1] ** 2
    assert dd.derivative(lambda t: dd.grad(f)(np.array([0.0, t], dtype=object))[1] * t)(3.0) == 12.0
    assert dd.derivative(lambda t: dd.grad(g)(np.array([0.0, t]))[1] * t)(3.0) == 12.0


def test_two_threads_differentiate_at_once():
    f = lambda x: np.sum(np.sqrt(x[:1])) + np.sum(x[1:] ** 3)
    g = lambda x: np.sum(np.sin(x) * x)
    xf, xg = np.array([0.0, 1.0, 2.0] * 50), np.linspace(0.1, 2, 150)
    want_f = np.concatenate([[np.inf], 3 * xf[1:] ** 2])
    want_g = np.cos(xg) * xg + np.sin(xg)
    errors = []

    def work(fn, x, want):
        try:
            for _ in range(20):
                np.testing.assert_allclose(dd.grad(fn, chunk=7)(x), want, rtol=1e-13)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=a) for a in ((f, xf, want_f), (g, xg, want_g))] * 1
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


# -- shapes (issue 10 item 4) -------------------------------------------------------------

REDUCTIONS = [
    ("max", lambda a, **k: np.max(a, **k)), ("min", lambda a, **k: np.min(a, **k)),
    ("amax", lambda a, **k: np.amax(a, **k)), ("prod", lambda a, **k: np.prod(a, **k)),
    ("sum", lambda a, **k: np.sum(a, **k)), ("mean", lambda a, **k: np.mean(a, **k)),
    ("method max", lambda a, **k: a.max(**k)), ("method min", lambda a, **k: a.min(**k)),
    ("norm", lambda a, **k: np.linalg.norm(a, **k) if "axis" not in k or k["axis"] is None
     or isinstance(k["axis"], int) or len(k["axis"]) <= 2 else np.sum(a, **k)),
]


@pytest.mark.parametrize("name,red", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), (1, 2), (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_shapes_match_numpy(name, red, axis, keepdims):
    x = np.array([[[0.7, 1.3, 0.9], [1.1, 0.6, 1.4]], [[1.2, 0.8, 1.0], [0.5, 1.45, 0.95]]])
    if name == "norm" and axis is not None and not isinstance(axis, int) and len(axis) == 3:
        pytest.skip("np.linalg.norm takes one or two axes")
    f = lambda a: red(a, axis=axis, keepdims=keepdims)
    check(f, x)


def test_issue_keepdims_examples():
    x = np.array([[0.7, 1.3], [1.1, 0.6]])
    for f in (lambda a: np.max(a, keepdims=True), lambda a: np.min(a, keepdims=True),
              lambda a: a.max(keepdims=True), lambda a: np.linalg.norm(a, keepdims=True)):
        assert dd.jacobian(f)(x).shape == (1, 1, 2, 2)
    for f in (np.max, np.min, np.prod):
        assert dd.jacobian(lambda a, f=f: f(a, axis=(0, 1)))(x).shape == (2, 2)
