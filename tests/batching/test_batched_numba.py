"""fn.batched of numba-engine transforms: one compiled loop over the points (parallel
across cores) whose results equal stacking the per-point calls bit for bit; NaN-safe redo
per point; failing points named; extra arguments; empty X; dd.vmap through it; forked
process pools (where the loop runs sequentially)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numba
import numpy as np
import pytest

import dualdiff as dd
from dualdiff.batching import EmptyBatchError, PointError

BATCHED = ["grad", "value_and_grad", "hessian", "value_grad_hessian"]
VECTOR = ["jacobian", "value_and_jacobian"]

# tests of functions that no parallel test compiles run the sequential loop: the same
# per-point body (jit/_drivers.py: _batched), far cheaper to compile than a prange loop
SEQUENTIAL = {"test_points_of_any_shape", "test_nan_partials_are_redone_per_point",
              "test_outputs_of_different_shapes_are_refused"}


@pytest.fixture(autouse=True)
def sequential_loops(request, monkeypatch):
    if request.function.__name__ in SEQUENTIAL:
        monkeypatch.setattr("dualdiff.engines.numba.parallel_allowed", lambda: False)


@numba.njit
def energy(x, scale):
    """Scalar f of a vector (extra argument positional)."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return scale * s + np.sin(x[0]) * x[-1]


@numba.njit
def field(x):
    """Vector f of a vector."""
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[(i + 1) % x.shape[0]] + np.exp(0.1 * x[i])
    return y


@numba.njit
def matrix_energy(a):
    """Scalar f of a matrix point."""
    return np.sum(a * a) + a[0, 1] * a[1, 2]


@numba.njit
def scalar_point(t):
    return np.sin(t) * t**3


@numba.njit
def sqrt_corner(x):
    """sqrt'(0) = inf: the unsafe jets give NaN partials at x[0] == 0 (redone NaN-safely)."""
    return np.sqrt(x[0]) + x[1] * x[2]


@numba.njit
def picky(x):
    if x[0] > 2.5:
        raise ValueError("x[0] too large")
    return np.sum(x * x)


@numba.njit
def ragged(x):
    """An output whose length depends on the point."""
    m = 2 if x[0] > 0 else 3
    y = np.empty(m, dtype=x.dtype)
    for i in range(m):
        y[i] = x[i] * x[i]
    return y


def points(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.5, 1.5, (n, d))


def stacked(fn, X, *args):
    results = [fn(x, *args) for x in X]
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
    assert a.tobytes() == b.tobytes()  # bit for bit (signed zeros and NaN payloads too)


@pytest.mark.parametrize("name", BATCHED)
@pytest.mark.parametrize("chunk", [None, 3])
def test_batched_equals_the_point_by_point_calls(name, chunk):
    fn = getattr(dd, name)(energy, chunk=chunk)
    X = points(203, 7)
    assert_identical(fn.batched(X, 2.0), stacked(fn, X, 2.0))


@pytest.mark.parametrize("name", VECTOR)
def test_batched_jacobians(name):
    fn = getattr(dd, name)(field)
    X = points(101, 5, seed=1)
    assert_identical(fn.batched(X), stacked(fn, X))


def test_points_of_any_shape():
    X = points(40, 6).reshape(40, 2, 3)
    for name in ("grad", "hessian", "value_grad_hessian"):
        fn = getattr(dd, name)(matrix_energy)
        got = fn.batched(X)
        assert_identical(got, stacked(fn, X))
    assert dd.grad(matrix_energy).batched(X).shape == (40, 2, 3)
    assert dd.hessian(matrix_energy).batched(X).shape == (40, 2, 3, 2, 3)
    T = np.linspace(-2, 2, 17)  # scalar points
    for name in ("grad", "hessian", "jacobian"):
        fn = getattr(dd, name)(scalar_point)
        assert_identical(fn.batched(T), stacked(fn, T))


def test_integer_points_are_converted_like_single_points():
    fn = dd.grad(energy)
    X = np.arange(12).reshape(3, 4)
    assert_identical(fn.batched(X, 1.0), stacked(fn, X.astype(float), 1.0))


def test_nan_partials_are_redone_per_point():
    X = points(64, 3, seed=2)
    X[::5, 0] = 0.0           # sqrt'(0): NaN partials on the unsafe jets at these points
    X[1::5, 0] = np.abs(X[1::5, 0])
    X[:, 0] = np.abs(X[:, 0])
    for name in ("grad", "hessian", "value_grad_hessian", "jacobian"):
        fn = getattr(dd, name)(sqrt_corner)
        assert_identical(fn.batched(X), stacked(fn, X))
    g = dd.grad(sqrt_corner).batched(X)
    assert np.isinf(g[::5, 0]).all() and np.isfinite(g[::5, 1:]).all()


def test_a_point_that_raises_is_named():
    X = points(50, 3, seed=3)
    X[:, 0] = np.linspace(0, 2, 50)
    X[37, 0] = X[41, 0] = 3.0
    fn = dd.grad(picky)
    with pytest.raises(ValueError, match="x\\[0\\] too large") as info:
        fn.batched(X)
    assert info.value.point_index == 37
    assert "point 37" in "".join(getattr(info.value, "__notes__", []))
    with pytest.raises(PointError) as err:
        dd.vmap(fn)(X)
    assert err.value.index == 37


def test_outputs_of_different_shapes_are_refused():
    X = np.array([[1.0, 2.0, 3.0], [1.0, 0.5, 0.5], [-1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="point 2"):
        dd.jacobian(ragged).batched(X)


def test_empty_batches():
    assert dd.grad(energy).batched(np.empty((0, 4)), 1.0).shape == (0, 4)
    v, g, h = dd.value_grad_hessian(energy).batched(np.empty((0, 4)), 1.0)
    assert (v.shape, g.shape, h.shape) == ((0,), (0, 4), (0, 4, 4))
    fn = dd.jacobian(field)
    with pytest.raises(EmptyBatchError, match="probe"):
        fn.batched(np.empty((0, 3)))
    fn(np.ones(3))  # once f has run, the output shape is known
    assert fn.batched(np.empty((0, 3))).shape == (0, 3, 3)


def test_vmap_runs_through_batched_and_equals_the_loop():
    X = points(1000, 10)
    fn = dd.grad(energy)
    assert_identical(dd.vmap(fn)(X, 1.0), stacked(fn, X, 1.0))
    fn = dd.value_grad_hessian(energy)
    assert_identical(dd.vmap(fn)(X[:100], 1.0), stacked(fn, X[:100], 1.0))


def test_only_numba_engine_transforms_have_it():
    assert getattr(dd.grad(energy.py_func), "batched", None) is None
    assert getattr(dd.grad(energy, engine="python"), "batched", None) is None
    with ThreadPoolExecutor(1) as ex:
        assert getattr(dd.jacobian(field, executor=ex), "batched", None) is None


def test_threads_calling_batched_at_once():
    fn = dd.grad(energy)
    X = points(400, 10)
    want = stacked(fn, X, 1.0)
    with ThreadPoolExecutor(2) as ex:
        got = list(ex.map(lambda _: fn.batched(X, 1.0), range(4)))
    for g in got:
        assert_identical(g, want)


def _grad_batch(X):
    return dd.grad(energy).batched(X, 1.0)


def test_forked_workers_loop_sequentially_after_the_parent_ran_in_parallel():
    """GNU OpenMP aborts a forked child that starts parallel work after its parent did: in
    fork-started workers the compiled loop runs sequentially."""
    X = points(300, 10)
    want = dd.grad(energy).batched(X, 1.0)  # parallel here first
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        got = list(ex.map(_grad_batch, [X[:150], X[150:]]))
    assert_identical(np.concatenate(got), want)


@numba.njit
def overwrites_input(x):
    """Writes into its input (the drivers then hand it a fresh copy of the seeds per pass)."""
    x[0] = x[0] * x[1]
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


@pytest.mark.parametrize("chunk", [None, 2])
def test_batched_gradient_of_a_function_that_writes_into_its_input(chunk):
    # chunk None: one pass per point (the seeds are set once per block, the points write
    # only the values); chunk 2 of 5 inputs: three passes per point
    fn = dd.grad(overwrites_input, chunk=chunk)
    X = points(57, 5, seed=4)
    got = fn.batched(X)
    assert_identical(got, stacked(fn, X))
    # f = sin(u)·u + Σ_{i≥1} sin(x_i)·x_i with u = x0·x1
    u = X[:, 0] * X[:, 1]
    du = np.cos(u) * u + np.sin(u)
    want = np.cos(X) * X + np.sin(X)
    want[:, 0] = du * X[:, 1]
    want[:, 1] += du * X[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
