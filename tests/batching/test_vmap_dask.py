"""dd.vmap over dask arrays (threads, sync and processes schedulers, a two-process
dask.distributed LocalCluster on loopback), Client.get_executor(), and a worker killed in
the middle of a computation.  Every result is compared with the per-point calls, bit for bit.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

import dualdiff as dd  # noqa: E402
from dualdiff.batching import EmptyBatchError, PointError  # noqa: E402

from . import batching_functions  # noqa: E402
from .batching_functions import (  # noqa: E402
    assert_identical,
    broyden_nb,
    matrix_energy,
    per_point,
    points,
    raise_if_big,
    slow_gradient,
    smooth,
    smooth_nb,
)

# The workers cannot import tests/batching/batching_functions.py (it is not a package on
# their path): send its functions by value, as a user would for a script's own module.
cloudpickle.register_pickle_by_value(batching_functions)

N = 23   # points; blocks of 5 or 7 rows do not divide it


@pytest.fixture
def client(dask_client):
    """The session's two-worker LocalCluster (tests/conftest.py), both workers up."""
    dask_client.wait_for_workers(2, timeout=120)   # fail, not hang, if a worker cannot start
    return dask_client


def lazy(X, rows=5, cols=None):
    return da.from_array(X, chunks=(rows, cols or X.shape[1]))


# -- local schedulers -----------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["python", "numba"])
def test_threads_scheduler_tuples_and_uneven_blocks(engine):
    fn = dd.value_grad_hessian(smooth_nb if engine == "numba" else smooth)
    X = points(N)
    out = dd.vmap(fn)(lazy(X, rows=5, cols=2), 2.0)     # chunked along the points' axis too
    assert isinstance(out, tuple) and all(isinstance(a, da.Array) for a in out)
    assert [a.shape for a in out] == [(N,), (N, 4), (N, 4, 4)]
    assert [a.chunks[0] for a in out] == [(5, 5, 5, 5, 3)] * 3
    assert all(a.dtype == np.float64 for a in out)
    with dask.config.set(scheduler="threads"):
        assert_identical(dask.compute(*out), per_point(fn, X, 2.0))


def test_lazy_until_computed_with_one_probe_point():
    calls = []
    lock = threading.Lock()

    def counted(x):
        with lock:
            calls.append(x[0])
        return dd.grad(smooth)(x)

    X = points(N)
    out = dd.vmap(counted)(lazy(X, rows=7))
    assert calls == [X[0, 0]]                      # the probe point only, evaluated here
    assert_identical(out.compute(scheduler="threads"), per_point(dd.grad(smooth), X))
    assert sorted(calls[1:]) == sorted(X[:, 0])    # every point once


def test_points_of_any_shape_and_block_rechunks():
    xs = da.from_array(np.linspace(-1.0, 1.0, N), chunks=6)     # scalar points
    d = dd.vmap(dd.derivative(np.tanh))(xs)
    assert d.shape == (N,) and d.chunks == ((6, 6, 6, 5),)
    assert_identical(d.compute(scheduler="sync"), per_point(dd.derivative(np.tanh), np.linspace(-1.0, 1.0, N)))
    A = points(2 * N, d=3).reshape(N, 2, 3)                        # matrix points
    g = dd.vmap(dd.grad(matrix_energy), block=4)(da.from_array(A, chunks=(N, 1, 1)))
    assert g.shape == (N, 2, 3) and g.chunks[0] == (4,) * 5 + (3,)
    assert_identical(g.compute(scheduler="sync"), per_point(dd.grad(matrix_energy), A))
    J = dd.vmap(dd.jacobian(broyden_nb))(lazy(points(N)))
    assert J.shape == (N, 4, 4)
    assert_identical(J.compute(scheduler="sync"), per_point(dd.jacobian(broyden_nb), points(N)))


def test_a_point_that_raises_names_its_index():
    X = points(N)
    X[:, 0] = -1.0
    X[17, 0] = 2.0
    out = dd.vmap(raise_if_big)(lazy(X, rows=5))
    with pytest.raises(PointError, match=r"at point 17 \(X\[17\]\): x\[0\] > 1") as info:
        out.compute(scheduler="sync")
    assert info.value.index == 17 and isinstance(info.value.__cause__, ValueError)
    X[0, 0] = 3.0                                 # the probe point raises when vmap is called
    with pytest.raises(PointError, match=r"at point 0 \(X\[0\]\)"):
        dd.vmap(raise_if_big)(lazy(X))


def test_empty_dask_x():
    X = da.zeros((0, 4), chunks=5)
    with pytest.raises(EmptyBatchError, match="probe="):
        dd.vmap(dd.grad(smooth))(X)
    v, g = dd.vmap(dd.value_and_grad(smooth), probe=np.zeros(4))(X)
    assert isinstance(g, da.Array) and (v.shape, g.shape) == ((0,), (0, 4))
    assert g.compute().shape == (0, 4)


def test_bad_dask_input():
    X = lazy(points(N))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        dd.vmap(smooth)(X[X[:, 0] > 0])
    with pytest.raises(ValueError, match=r"shape \(\)"):
        dd.vmap(smooth)(da.from_array(np.float64(1.0)))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex, pytest.raises(TypeError, match="drop executor="):
        dd.vmap(smooth, executor=ex)(X)
    with pytest.raises(TypeError, match="numeric results"):
        dd.vmap(lambda x: "text")(X)


def test_processes_scheduler():
    """dask's process pool (spawned processes): closures and numba functions travel."""
    X = points(N)
    fns = [dd.grad(smooth_nb), dd.value_grad_hessian(smooth)]
    outs = [dd.vmap(fn)(lazy(X, rows=7), 2.0) for fn in fns]
    got = dask.compute(*outs, scheduler="processes", num_workers=2)
    for fn, out in zip(fns, got, strict=True):
        assert_identical(out, per_point(fn, X, 2.0))


# -- dask.distributed -----------------------------------------------------------------------------

def test_distributed_client(client):
    X = points(N)
    numba_fn, python_fn = dd.value_grad_hessian(smooth_nb), dd.jacobian(batching_functions.vector)
    outs = dd.vmap(numba_fn)(lazy(X, rows=4), 2.0), dd.vmap(python_fn)(lazy(X, rows=4))
    with client.as_current():                      # the active scheduler
        got = dask.compute(*outs)
    assert_identical(got[0], per_point(numba_fn, X, 2.0))
    assert_identical(got[1], per_point(python_fn, X))


def test_x_persisted_on_the_cluster(client):
    """X held by the workers (client.persist, not the default client): the probe point is
    fetched through that client; the blocks run where X's data is."""
    X = points(N)
    XP = client.persist(lazy(X, rows=6))
    fn = dd.value_and_grad(smooth)
    out = dd.vmap(fn)(XP)
    assert_identical(tuple(client.compute(list(out), sync=True)), per_point(fn, X))


def test_distributed_error_reaches_the_caller_with_the_index(client):
    X = points(N)
    X[:, 0] = -1.0
    X[13, 0] = 2.0
    with pytest.raises(PointError, match=r"at point 13 \(X\[13\]\): x\[0\] > 1") as info:
        client.compute(dd.vmap(raise_if_big)(lazy(X, rows=5))).result(timeout=120)
    assert info.value.index == 13 and isinstance(info.value.original, ValueError)


def test_client_executor(client):
    X = points(N)
    fn = dd.value_grad_hessian(smooth_nb)
    with client.get_executor() as ex:
        assert_identical(dd.vmap(fn, executor=ex, block=6)(X, 2.0), dd.vmap(fn)(X, 2.0))
        X[:, 0] = -1.0
        X[20, 0] = 2.0
        with pytest.raises(PointError, match=r"at point 20 ") as info:
            dd.vmap(raise_if_big, executor=ex, block=6)(X)
        assert info.value.index == 20


def test_a_worker_killed_mid_computation_loses_and_duplicates_nothing(client):
    """SIGKILL one worker process while it runs a block: dask re-runs its tasks (and the
    results it held) elsewhere; the result is complete and exact."""
    n, rows = 48, 4                               # 12 tasks of 4 x 20 ms
    X = points(n, seed=5)
    future = client.compute(dd.vmap(slow_gradient)(lazy(X, rows=rows)))
    pids = client.run(os.getpid)
    victim = None
    deadline = time.monotonic() + 30
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        if len(busy) == 2:                          # both running: kill one mid-task,
            time.sleep(0.15)                        # after it finished (and holds) a block
            victim = busy[0]
        time.sleep(0.01)
    assert victim is not None, "the computation never got going"
    os.kill(pids[victim], signal.SIGKILL)
    result = future.result(timeout=60)
    assert_identical(result, per_point(dd.grad(smooth), X))
    assert victim not in client.scheduler_info()["workers"]
    # the scheduler's record: tasks of this vmap that ran or sat on the dead worker went
    # back to waiting (and were run again) when it was cleaned up
    log = client.run_on_scheduler(lambda dask_scheduler: [(str(t[0]), t[1], t[2], str(t[4]))
                                                          for t in dask_scheduler.transition_log])
    redone = {key for key, start, finish, stimulus in log
              if "vmap-slow_gradient" in key and start in ("memory", "processing") and finish == "released"
              and "worker" in stimulus}
    assert redone, "no task was lost with the worker: the kill came too late"
    client.wait_for_workers(2, timeout=60)          # the nanny restarts it, for the tests after this
