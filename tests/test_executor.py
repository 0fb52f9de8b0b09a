"""executor= on dd.jacobian, dd.hessian, value_and_jacobian, value_grad_hessian and the
sparse functions: the passes as tasks on thread pools, process pools and a dask cluster's
executor; results equal the local ones bit for bit; errors reach the caller."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numba
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import sparse


def field(x, a=1.0):
    """Vector f (Python engine), 7 outputs for 7 inputs."""
    return a * np.sin(x) * np.roll(x, 1) + np.cumsum(x) ** 2


def energy(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2) + np.prod(np.cos(x))


@numba.njit
def field_nb(x, a):
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        y[i] = a * np.sin(x[i]) * x[i - 1] + np.exp(0.1 * x[i])
    return y


@numba.njit
def energy_nb(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s + np.cos(x[0]) * x[-1]


@numba.njit
def sqrt_corner_nb(x):
    return np.sqrt(x[0]) * x[1] + x[2] * x[3]


def failing(x):
    if x[0] > 0:
        raise ArithmeticError("the simulation diverged")
    return x * 2.0


def terms(x):
    return 100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2


def banded(x):
    return x[1:] * np.sin(x[:-1]) + x[:-1] ** 2


X7 = np.linspace(-1.2, 1.4, 7)


def same(a, b) -> None:
    if isinstance(a, tuple):
        for u, v in zip(a, b, strict=True):
            same(u, v)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()


def same_sparse(a, b) -> None:
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape
    same(a.indptr, b.indptr)
    same(a.indices, b.indices)
    same(a.data, b.data)


CASES = [("jacobian", field, (0.5,)), ("value_and_jacobian", field, (0.5,)), ("hessian", energy, ()),
         ("value_grad_hessian", energy, ()), ("jacobian", field_nb, (0.5,)), ("value_and_jacobian", field_nb, (0.5,)),
         ("hessian", energy_nb, ()), ("value_grad_hessian", energy_nb, ())]


def _check(ex, name, f, args, chunks=None):
    """Results with executor= equal the local ones for these chunks.  Default: every way of
    cutting 7 columns for the Python engine (None = 4 on two workers, 2, 3, 4, 7: one task
    up to four, partial last chunks); for numba, where each chunk compiles two drivers
    (~2 s each), None and 3 (2 and 3 tasks, both with a partial last chunk): the Jacobian's
    split into tasks does not depend on the engine, and the Python cases cover the rest."""
    if chunks is None:
        chunks = (None, 3) if dd.transforms._checks.is_numba(f) else (None, 2, 3, 4, 7)
    for chunk in chunks:
        remote = getattr(dd, name)(f, chunk=chunk, executor=ex)
        got = remote(X7, *args)
        plan = next(iter(remote.plans.values()))
        local = getattr(dd, name)(f, chunk=plan.chunk)(X7, *args)
        same(got, local)
        if dd.transforms._checks.is_numba(f):  # lanes are independent: any chunk gives these bits
            same(got, getattr(dd, name)(f)(X7, *args))


@pytest.fixture(scope="module")
def threads():
    with ThreadPoolExecutor(2) as ex:
        yield ex


@pytest.fixture(scope="module")
def processes():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        yield ex


@pytest.fixture(scope="module")
def dask_executor(dask_client):
    """The executor of the session's two-worker LocalCluster (tests/conftest.py)."""
    return dask_client.get_executor()


@pytest.mark.parametrize("name, f, args", CASES)
def test_thread_pool_equals_local(threads, name, f, args):
    _check(threads, name, f, args)


@pytest.mark.parametrize("name, f, args", CASES)
def test_process_pool_equals_local(processes, name, f, args):
    _check(processes, name, f, args, chunks=(None, 3))


def test_dask_executor_equals_local_and_sends_closures(dask_executor):
    _check(dask_executor, "jacobian", field_nb, (0.5,), chunks=(None, 3))
    _check(dask_executor, "value_grad_hessian", energy, (), chunks=(3,))
    scale = 3.0
    closure = lambda x: scale * field(x)  # noqa: E731 - travels by cloudpickle
    same(dd.jacobian(closure, chunk=2, executor=dask_executor)(X7), dd.jacobian(closure, chunk=2)(X7))
    with pytest.raises(ArithmeticError, match="diverged"):
        dd.jacobian(failing, chunk=2, executor=dask_executor)(np.abs(X7))


def test_nan_partials_redo_every_task_safely(threads):
    """sqrt'(0) = inf gives NaN partials on the unsafe jets in one task: every task is redone
    NaN-safely, as the local driver redoes the whole call."""
    x = np.array([0.0, 2.0, 3.0, -1.0, 0.5])
    for name in ("hessian", "value_grad_hessian"):
        same(getattr(dd, name)(sqrt_corner_nb, chunk=2, executor=threads)(x),
             getattr(dd, name)(sqrt_corner_nb, chunk=2)(x))


def test_errors_in_tasks_reach_the_caller(threads, processes):
    x = np.array([1.0, 2.0, 3.0])
    for ex in (threads, processes):
        with pytest.raises(ArithmeticError, match="diverged"):
            dd.jacobian(failing, chunk=1, executor=ex)(x)


def test_unpicklable_functions_are_refused_with_the_fix(processes):
    with pytest.raises(TypeError, match="cloudpickle|module level"):
        dd.jacobian(lambda x: x * 2.0, executor=processes)(X7)


def test_what_executor_accepts():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        dd.jacobian(field, executor=4)
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(TypeError, match="dd.vmap"):
            dd.plan("grad", energy, X7, executor=ex)
        plan = dd.plan("hessian", energy, X7, executor=ex, chunk=3)
        assert plan.executor is ex and "ThreadPoolExecutor" in repr(plan)
        same(plan(X7), dd.hessian(energy, chunk=3)(X7))
        # inside another transform: the outer numbers cannot travel
        with pytest.raises(TypeError, match="executor"):
            dd.grad(lambda x: np.sum(dd.jacobian(field, executor=ex)(x)))(X7)


def matrix_field(m):
    return np.sin(m) * np.sum(m**2, axis=0)


def test_empty_and_matrix_inputs(threads):
    m = np.arange(6.0).reshape(2, 3) / 7
    same(dd.jacobian(matrix_field, chunk=4, executor=threads)(m), dd.jacobian(matrix_field, chunk=4)(m))
    same(dd.hessian(energy, chunk=4, executor=threads)(m.ravel()), dd.hessian(energy, chunk=4)(m.ravel()))
    same(dd.jacobian(field, executor=threads)(np.zeros(0)), dd.jacobian(field)(np.zeros(0)))


# -- sparse -------------------------------------------------------------------------------------

def energy_sparse(x):
    return np.sum(terms(x)) + np.sum(x[::3] * x[1::3])


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_sparse_functions_on_executors(kind, request):
    ex = request.getfixturevalue(kind)
    x = np.linspace(-1.0, 2.0, 12)
    same_sparse(sparse.jacobian(banded, executor=ex)(x), sparse.jacobian(banded)(x))
    v1, g1, H1 = sparse.sum_hessian(terms, executor=ex)(x)
    v0, g0, H0 = sparse.sum_hessian(terms)(x)
    assert v1 == v0
    same(g1, g0)
    same_sparse(H1, H0)
    same_sparse(sparse.hessian(energy_sparse, executor=ex)(x), sparse.hessian(energy_sparse)(x))
    with pytest.raises(ArithmeticError, match="diverged"):
        sparse.jacobian(failing, pattern=np.eye(12, dtype=bool), executor=ex)(x + 2.0)
