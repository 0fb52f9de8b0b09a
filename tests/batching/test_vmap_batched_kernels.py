"""dd.vmap of every numba-engine transform through one compiled loop (issue 14 leftovers):
dd.derivative, dd.second_derivative, functools.partial(dd.jvp, f) and
functools.partial(dd.hvp, f) with the direction mapped (``in_axes=(0, 0)``) or shared,
and the value_and_* transforms.  Each is compared bit for bit with the per-point calls
and, to tolerance, with analytic derivatives written out below (no dualdiff code);
executor blocks and dask chunks that do not divide the points; empty X; points that
raise (PointError with the index the compiled loop reports); NaN-safe redo per point;
in_axes checks.

Compiling a parallel loop costs more than a sequential one, so the tests run the
sequential loops (the same point bodies), except test_jvp_direction_per_point_and_shared,
which runs the parallel loop (test_batched_numba.py tests the rest of the parallel path)."""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dualdiff as dd
from dualdiff.batching import EmptyBatchError, PointError, _batched_form

TOL = {"rtol": 1e-12, "atol": 1e-12}


PARALLEL = {"test_jvp_direction_per_point_and_shared"}   # tests that run the prange loop


@pytest.fixture(autouse=True)
def sequential_loops(request, monkeypatch):
    """The sequential compiled loops (cheaper to compile) except in the PARALLEL tests."""
    if request.function.__name__ not in PARALLEL:
        monkeypatch.setattr("dualdiff.engines.numba.parallel_allowed", lambda: False)


@numba.njit
def curve(t):
    """R -> R^3: (sin t, t² eᵗ, 2)."""
    return np.array([np.sin(t), t * t * np.exp(t), 2.0])


def curve_d1(t):
    return np.array([math.cos(t), (2 * t + t * t) * math.exp(t), 0.0])


@numba.njit
def wave(t, a):
    """R -> R with an extra argument: sin(a t) t³."""
    return np.sin(a * t) * t**3


def wave_d1(t, a):
    return a * math.cos(a * t) * t**3 + 3 * t**2 * math.sin(a * t)


def wave_d2(t, a):
    return (-a * a * math.sin(a * t) * t**3 + 6 * a * math.cos(a * t) * t**2 + 6 * t * math.sin(a * t))


@numba.njit
def field(x):
    """R^n -> R^n: y_i = sin(x_i) x_{i+1} + exp(x_i / 10) (indices mod n)."""
    y = np.empty_like(x)
    n = x.shape[0]
    for i in range(n):
        y[i] = np.sin(x[i]) * x[(i + 1) % n] + np.exp(0.1 * x[i])
    return y


def field_jacobian(x):
    n = len(x)
    J = np.zeros((n, n))
    for i in range(n):
        J[i, i] += math.cos(x[i]) * x[(i + 1) % n] + 0.1 * math.exp(0.1 * x[i])
        J[i, (i + 1) % n] += math.sin(x[i])
    return J


@numba.njit
def bowl(x):
    """R^n -> R: sum x_i⁴ / 4 + x0 x1 x2 + sin(x0) x_{n-1}  (n >= 4)."""
    return np.sum(x**4) / 4.0 + x[0] * x[1] * x[2] + np.sin(x[0]) * x[-1]


def bowl_hessian(x):
    n = len(x)
    H = np.diag(3.0 * np.asarray(x) ** 2)
    H[0, 1] = H[1, 0] = x[2]
    H[0, 2] = H[2, 0] = x[1]
    H[1, 2] = H[2, 1] = x[0]
    H[0, 0] -= math.sin(x[0]) * x[-1]
    H[0, n - 1] = H[n - 1, 0] = math.cos(x[0])
    return H


@numba.njit
def picky(t):
    if t > 2.5:
        raise ValueError("t too large")
    return t * t


@numba.njit
def sqrt_corner(x):
    """sqrt'(0) = inf: a zero direction on x[0] at x[0] = 0 gives inf * 0 = NaN on the
    unsafe jets (redone NaN-safely: 0)."""
    return np.sqrt(x[0]) + x[1] * x[2]


def stacked(results):
    if isinstance(results[0], tuple):
        return tuple(np.stack(c) for c in zip(*results, strict=True))
    return np.stack(results)


def assert_identical(a, b) -> None:
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            assert_identical(u, v)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()  # bit for bit


def points(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.5, 1.5, (n, d))


def assert_batched(fn, args=(), mapped=()) -> None:
    """fn has a compiled batched form for these arguments (dd.vmap does not loop)."""
    assert _batched_form(fn, args, mapped) is not None


# -- derivative and second derivative ---------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-2.0, 2.0)))
def test_derivatives_of_scalar_functions(ts):
    for transform, exact in ((dd.derivative, wave_d1), (dd.second_derivative, wave_d2)):
        fn = transform(wave)
        assert_batched(fn)
        got = dd.vmap(fn)(ts, 1.7)
        assert_identical(got, stacked([fn(t, 1.7) for t in ts]))
        np.testing.assert_allclose(got, [exact(t, 1.7) for t in ts], rtol=1e-12, atol=1e-11)


def test_derivative_of_vector_output():
    ts = np.linspace(-2.0, 2.0, 23)
    fn = dd.derivative(curve)
    got = dd.vmap(fn)(ts)
    assert got.shape == (23, 3)
    assert_identical(got, stacked([fn(t) for t in ts]))
    np.testing.assert_allclose(got, [curve_d1(t) for t in ts], **TOL)


# -- jvp: a direction per point or shared -----------------------------------------------------

def test_jvp_direction_per_point_and_shared():
    X, V = points(31, 5), points(31, 5, seed=1)
    jvp = functools.partial(dd.jvp, field)
    assert_batched(jvp, (V,), (True,))
    assert_batched(jvp, (V[0],), (False,))
    values, jv = dd.vmap(jvp, in_axes=(0, 0))(X, V)
    assert_identical((values, jv), stacked([dd.jvp(field, x, v) for x, v in zip(X, V, strict=True)]))
    np.testing.assert_allclose(jv, [field_jacobian(x) @ v for x, v in zip(X, V, strict=True)], **TOL)
    np.testing.assert_allclose(values, [field.py_func(x) for x in X], **TOL)
    shared = dd.vmap(jvp)(X, V[3])   # default in_axes: only X mapped, v shared
    assert_identical(shared, stacked([dd.jvp(field, x, V[3]) for x in X]))
    assert_identical(dd.vmap(jvp, in_axes=(0, None))(X, V[3]), shared)
    assert_identical(dd.vmap(jvp, in_axes=0)(X, V), (values, jv))   # jax's default: every argument


def test_jvp_of_scalar_points_with_extra_arguments():
    ts, vs = np.linspace(-1, 1, 9), np.linspace(2, 3, 9)
    jvp = functools.partial(dd.jvp, wave)
    got = dd.vmap(jvp, in_axes=(0, 0, None))(ts, vs, 0.5)
    assert_identical(got, stacked([dd.jvp(wave, t, v, 0.5) for t, v in zip(ts, vs, strict=True)]))
    np.testing.assert_allclose(got[1], [wave_d1(t, 0.5) * v for t, v in zip(ts, vs, strict=True)], **TOL)


# -- hvp ------------------------------------------------------------------------------------

def test_hvp_direction_per_point_and_shared(chunk=2):   # chunk 2 of 5 inputs: a partial last chunk
    X, V = points(29, 5, seed=2), points(29, 5, seed=3)
    hvp = functools.partial(dd.hvp, bowl, chunk=chunk)
    assert_batched(hvp, (V,), (True,))
    got = dd.vmap(hvp, in_axes=(0, 0))(X, V)
    assert got.shape == (29, 5)
    assert_identical(got, stacked([dd.hvp(bowl, x, v, chunk=chunk) for x, v in zip(X, V, strict=True)]))
    np.testing.assert_allclose(got, [bowl_hessian(x) @ v for x, v in zip(X, V, strict=True)], **TOL)
    shared = dd.vmap(hvp)(X, V[0])
    assert_identical(shared, stacked([dd.hvp(bowl, x, V[0], chunk=chunk) for x in X]))


# -- the value_and_* transforms ------------------------------------------------------------------

def test_value_and_transforms_take_the_compiled_loop():
    """Batched before this file; their bits against the per-point calls (and the value_*
    tuples) are tested in test_batched_numba.py, not compiled again here."""
    for transform in (dd.value_and_grad, dd.value_grad_hessian, dd.value_and_jacobian, dd.derivative,
                      dd.second_derivative):
        assert_batched(transform(bowl))
        assert _batched_form(transform(bowl), (np.ones((3, 2)),), (True,)) is None  # mapped args: loop
        assert _batched_form(transform(bowl.py_func), (), ()) is None               # Python engine: loop
        assert _batched_form(transform(bowl), (dd.Dual(1.0, 1.0),), (False,)) is None  # a dual argument: loop
    assert _batched_form(functools.partial(dd.jvp, bowl), (dd.Dual(np.ones(5), 1.0),), (False,)) is None


# -- blocks that do not divide the points -------------------------------------------------------

def test_executor_blocks_and_dask_chunks():
    X, V = points(23, 5, seed=5), points(23, 5, seed=6)
    jvp, hvp = functools.partial(dd.jvp, field), functools.partial(dd.hvp, bowl, chunk=2)
    want_jvp = dd.vmap(jvp, in_axes=(0, 0))(X, V)
    want_hvp = dd.vmap(hvp, in_axes=(0, 0))(X, V)
    want_d = dd.vmap(dd.derivative(wave))(X[:, 0], 0.3)
    with ThreadPoolExecutor(2) as ex:
        assert_identical(dd.vmap(jvp, executor=ex, block=7, in_axes=(0, 0))(X, V), want_jvp)
        assert_identical(dd.vmap(hvp, executor=ex, block=4, in_axes=(0, 0))(X, V), want_hvp)
        assert_identical(dd.vmap(dd.derivative(wave), executor=ex, block=5)(X[:, 0], 0.3), want_d)
    da = pytest.importorskip("dask.array")
    import dask

    with dask.config.set(scheduler="sync"):
        lazy = dd.vmap(jvp, in_axes=(0, 0))(da.from_array(X, chunks=(6, 5)), V)
        assert_identical(dask.compute(*lazy), want_jvp)
        lazy = dd.vmap(hvp, in_axes=(0, 0), block=10)(da.from_array(X, chunks=(23, 5)), V)
        assert_identical(lazy.compute(), want_hvp)


# -- empty X -----------------------------------------------------------------------------------

def test_empty_X():
    fn = dd.derivative(curve)
    with pytest.raises(EmptyBatchError, match="probe"):
        dd.vmap(fn)(np.empty(0))      # the output shape is not known before a call
    assert dd.vmap(fn, probe=0.5)(np.empty(0)).shape == (0, 3)
    fn(0.5)
    assert dd.vmap(fn)(np.empty(0)).shape == (0, 3)   # known once f has run
    assert dd.vmap(dd.second_derivative(wave), probe=1.0)(np.empty(0), 2.0).shape == (0,)
    hvp = functools.partial(dd.hvp, bowl)
    assert dd.vmap(hvp, in_axes=(0, 0))(np.empty((0, 4)), np.empty((0, 4))).shape == (0, 4)
    jvp = functools.partial(dd.jvp, field)
    values, jv = dd.vmap(jvp, in_axes=(0, 0), probe=(np.ones(6), np.ones(6)))(np.empty((0, 6)), np.empty((0, 6)))
    assert values.shape == jv.shape == (0, 6)
    with pytest.raises(TypeError, match="tuple of 2 values"):
        dd.vmap(functools.partial(dd.jvp, picky), in_axes=(0, 0), probe=1.0)(np.empty(0), np.empty(0))


# -- points that raise -------------------------------------------------------------------------

def test_a_point_that_raises_is_named():
    ts = np.linspace(0.0, 2.0, 40)
    ts[[26, 33]] = 3.0
    fn = dd.derivative(picky)
    with pytest.raises(PointError, match=r"at point 26 \(X\[26\]\)") as err:
        dd.vmap(fn)(ts)
    assert err.value.index == 26 and "t too large" in str(err.value.original)
    with ThreadPoolExecutor(2) as ex, pytest.raises(PointError) as err:
        dd.vmap(fn, executor=ex, block=7)(ts)    # block 3 holds points 21..27
    assert err.value.index == 26


class _ReportsIndex:
    """fn.batched raises naming point 3 although fn itself never raises: dd.vmap must take
    the index from the exception (a rerun point by point would find no failing point)."""

    def __call__(self, x):
        return x * 2.0

    def batched(self, X):
        exc = ArithmeticError("from the compiled loop")
        exc.point_index = 3
        raise exc


def test_vmap_takes_the_index_the_batched_loop_reports():
    with pytest.raises(PointError, match="at point 3") as err:
        dd.vmap(_ReportsIndex())(np.ones((5, 2)))
    assert err.value.index == 3 and isinstance(err.value.original, ArithmeticError)
    with ThreadPoolExecutor(1) as ex, pytest.raises(PointError) as err:
        dd.vmap(_ReportsIndex(), executor=ex, block=4)(np.ones((5, 2)))
    assert err.value.index == 3   # the first block's row 3


# -- NaN-safe redo per point -------------------------------------------------------------------

def test_nan_partials_redone_at_those_points_only():
    X = points(40, 3, seed=7)
    X[:, 0] = np.abs(X[:, 0])
    X[::4, 0] = 0.0
    V = points(40, 3, seed=8)
    V[::8, 0] = 0.0      # inf * 0 at points 0, 8, 16, ...: NaN on the unsafe jets
    jvp = functools.partial(dd.jvp, sqrt_corner)
    values, jv = dd.vmap(jvp, in_axes=(0, 0))(X, V)
    assert_identical((values, jv), stacked([dd.jvp(sqrt_corner, x, v) for x, v in zip(X, V, strict=True)]))
    assert np.isfinite(jv[::8]).all()   # the NaN-safe jets: sqrt'(0) * 0 = 0
    np.testing.assert_allclose(jv[::8], X[::8, 2] * V[::8, 1] + X[::8, 1] * V[::8, 2], **TOL)
    assert np.isinf(jv[4::8]).all()   # sqrt'(0) * v0 with v0 != 0: inf (no NaN, no redo)


# -- in_axes --------------------------------------------------------------------------------------

def test_in_axes_of_any_function_and_its_checks():
    X, A = points(6, 2), points(6, 2, seed=9)

    def add(x, a, s):
        return x + a * s

    assert_identical(dd.vmap(add, in_axes=(0, 0, None))(X, A, 2.0), X + A * 2.0)
    assert_identical(dd.vmap(add, in_axes=(0, None))(X, A[1], 2.0), X + A[1] * 2.0)  # the rest shared
    assert_identical(dd.vmap(add, in_axes=[0, 0, 0])(X, A, np.arange(6.0)), X + A * np.arange(6.0)[:, None])
    with pytest.raises(ValueError, match=r"in_axes\[0\] must be 0"):
        dd.vmap(add, in_axes=(None, 0))
    for bad in (1, (0, 1), (0, -1), None, (), (0, True), "0"):
        with pytest.raises(ValueError, match="in_axes"):
            dd.vmap(add, in_axes=bad)
    with pytest.raises(ValueError, match="5 entries, but X has 6 points"):
        dd.vmap(add, in_axes=(0, 0))(X, A[:5], 1.0)
    with pytest.raises(ValueError, match=r"shape \(\)"):
        dd.vmap(add, in_axes=(0, 0, 0))(X, A, np.float64(2.0))
    with pytest.raises(TypeError, match="in_axes None"):
        dd.vmap(add, in_axes=(0, 0, 0))(X, A, 2.0)
    with pytest.raises(TypeError, match="np.asarray"):
        dd.vmap(add, in_axes=(0, 0))(X, [list(a) for a in A], 1.0)
    with pytest.raises(TypeError, match="4 entries"):
        dd.vmap(add, in_axes=(0, 0, None, None))(X, A, 1.0)


def test_python_engine_partials_loop_point_by_point():
    X, V = points(5, 4), points(5, 4, seed=1)
    jvp = functools.partial(dd.jvp, field.py_func)
    assert _batched_form(jvp, (V,), (True,)) is None
    assert_identical(dd.vmap(jvp, in_axes=(0, 0))(X, V),
                     stacked([dd.jvp(field.py_func, x, v) for x, v in zip(X, V, strict=True)]))


def test_vmap_of_a_plan_uses_its_compiled_loop_and_equals_the_per_point_calls():
    """dd.vmap(dd.plan(...)): a plan follows the batched protocol (batched(X, *args)), and a
    plan without a compiled loop (Python engine) is mapped point by point."""

    @numba.njit
    def energy(x, a):
        return a * np.sum(x ** 4) + x[0] * x[1]

    X = np.random.default_rng(7).uniform(-1, 1, (9, 3))
    p = dd.plan("grad", energy, X[0])
    assert p.batched is not None
    got = dd.vmap(p)(X, 2.0)
    want = np.stack([p(x, 2.0) for x in X])
    assert np.array_equal(got, want)
    analytic = 8.0 * X ** 3 + np.stack([X[:, 1], X[:, 0], 0 * X[:, 0]], axis=1)
    np.testing.assert_allclose(got, analytic, rtol=1e-13, atol=1e-13)
    q = dd.plan("grad", energy.py_func, X[0])
    assert q.batched is None
    assert np.array_equal(dd.vmap(q)(X, 2.0), want)
