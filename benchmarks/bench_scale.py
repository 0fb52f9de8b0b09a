"""Many points, many machines: dd.vmap throughput and the cost of dask tasks.

    python benchmarks/bench_scale.py [--quick]      # --quick: 10^5 points instead of 10^6

1. Throughput: the gradient of a 10-parameter @njit function (chained Rosenbrock) at N
   points: a Python loop of dd.grad(f)(x), dd.vmap(dd.grad(f)) (through fn.batched when
   the numba engine provides it, else the same loop), dd.vmap on a 2-process pool, dask's
   threaded scheduler, and jax.jit(jax.vmap(jax.grad(f))) (float64) where installed.
2. dask: a LocalCluster of 2 worker processes (X persisted on them first) against dask's
   local threaded scheduler on the same 2 cores, over block sizes: the wall-clock overhead per task and the block
   size from which it stops mattering (a column "-x only" runs a trivial map_blocks over
   the same blocks: dask's own cost); and what the first task on a fresh worker costs
   (importing numba and compiling the gradient driver there).
3. executor= on dd.jacobian of a ~50 ms simulation: not here yet (dd.jacobian's executor=
   belongs to the plans work; row left as a TODO).

Medians in one process (timing.per_call); the machine's cores may be shared, so compare
rows of one run.  Nothing is asserted except that every method gives the same numbers.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numba
import numpy as np
from timing import fmt_time, per_call, print_table

import dualdiff as dd

PARAMS = 10


@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_np(x, xp):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_of(fn, repeats: int = 3) -> float:
    fn()  # warm up
    return statistics.median(once(fn) for _ in range(repeats))


def throughput(n: int) -> np.ndarray:
    X = np.random.default_rng(0).uniform(-1.0, 1.0, (n, PARAMS))
    g = dd.grad(rosenbrock)
    reference = dd.vmap(g)(X)
    batched = getattr(g, "batched", None) is not None
    rows: list[dict] = []
    times: dict[str, float | None] = {}

    def loop():
        return np.stack([g(x) for x in X])

    assert np.array_equal(loop(), reference)
    vm = dd.vmap(g)
    # interleaved A B B A B A, so that changes in the machine's load and the order hit both alike
    t_loop, t_vmap = [], []
    for first_loop in (True, False, True):
        for which in ((0, 1) if first_loop else (1, 0)):
            gc.collect()
            (t_loop if which == 0 else t_vmap).append(once(loop if which == 0 else (lambda: vm(X))))
    times["Python loop of dd.grad(f)(x)"] = statistics.median(t_loop)
    times["dd.vmap(dd.grad(f))" + (" [batched]" if batched else " [point by point]")] = statistics.median(t_vmap)

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        vm = dd.vmap(g, executor=ex)
        assert np.array_equal(vm(X), reference)   # also warms both processes up (numba compiles)
        times["dd.vmap(..., executor=ProcessPool(2))"] = median_of(lambda: vm(X))

    try:
        import dask
        import dask.array as da
    except ImportError:
        times["dask threads (2), blocks of N/8"] = None
    else:
        lazy = dd.vmap(g)(da.from_array(X, chunks=(math.ceil(n / 8), PARAMS)))
        with dask.config.set(scheduler="threads", num_workers=2):
            assert np.array_equal(lazy.compute(), reference)
            times["dask threads (2), blocks of N/8"] = median_of(lambda: lazy.compute())

    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        times["jax.jit(jax.vmap(jax.grad(f)))"] = None
    else:
        jax.config.update("jax_enable_x64", True)
        jg = jax.jit(jax.vmap(jax.grad(lambda x: rosenbrock_np(x, jnp))))
        XJ = jnp.asarray(X)
        assert np.allclose(np.asarray(jg(XJ)), reference, rtol=1e-13, atol=1e-12)
        times["jax.jit(jax.vmap(jax.grad(f)))"] = median_of(lambda: jg(XJ).block_until_ready())

    reference_name = next(k for k in times if k.startswith("dd.vmap(dd.grad"))
    for name, t in times.items():
        rows.append({"case": name, "time": t})
    print(f"\n## Throughput: gradient of a {PARAMS}-parameter @njit function at {n:,} points "
          f"(median of 3; {os.cpu_count()} cores)\n")
    print("| method | time | µs per point | points per second | time / dd.vmap |")
    print("|---|---|---|---|---|")
    ref = times[reference_name]
    for row in rows:
        t = row["time"]
        if t is None:
            print(f"| {row['case']} | not installed | — | — | — |")
            continue
        print(f"| {row['case']} | {fmt_time(t)} | {t / n * 1e6:.2f} | {n / t / 1e6:.2f} M | {t / ref:.2f}x |")
    return X


def dask_tasks(n: int) -> None:
    try:
        import dask
        import dask.array as da
        import distributed
        from distributed import Client, LocalCluster
    except ImportError:
        print("\n(dask/distributed not installed: no task-overhead table)")
        return
    X = np.random.default_rng(1).uniform(-1.0, 1.0, (n, PARAMS))
    g = dd.grad(rosenbrock)
    reference = dd.vmap(g)(X)
    local = median_of(lambda: dd.vmap(g)(X))
    blocks = [n // 200, n // 20, n // 2]     # 200, 20 and 2 tasks
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster, set_as_default=False) as client:
        started = time.perf_counter() - t0
        small = dd.vmap(g)(da.from_array(X[:20], chunks=(10, PARAMS)))
        first = once(lambda: small.compute(scheduler=client))   # each worker: import numba, compile
        again = per_call(lambda: small.compute(scheduler=client), budget=0.5, repeats=3)
        print(f"\n## dask.distributed LocalCluster (2 worker processes x 1 thread) against dask's threads "
              f"scheduler (2 threads), {n:,} points\n")
        print(f"- cluster start: {started:.1f} s; first 2-task computation on fresh workers "
              f"{fmt_time(first)}, then {fmt_time(again)}: {fmt_time(first - again)} per worker process for "
              "importing numba and compiling the gradient driver (in parallel on the two workers)")
        print(f"- plain dd.vmap in this process (no dask): {fmt_time(local)}\n")
        rows = []
        for b in blocks:
            XD = da.from_array(X, chunks=(b, PARAMS))
            on_cluster = client.persist(XD)               # X's blocks already on the workers
            with client.as_current():
                distributed.wait(on_cluster)
            lazy, lazy_here = dd.vmap(g)(on_cluster), dd.vmap(g)(XD)
            trivial = on_cluster.map_blocks(np.negative)  # dask's own cost for these blocks
            tasks = lazy.npartitions
            t_cluster = median_of(lambda lazy=lazy: lazy.compute(scheduler=client))
            t_trivial = median_of(lambda t=trivial: t.compute(scheduler=client))
            with dask.config.set(num_workers=2):
                t_threads = median_of(lambda lazy=lazy_here: lazy.compute(scheduler="threads"))
            assert np.array_equal(lazy.compute(scheduler=client), reference)
            del on_cluster, lazy, trivial
            rows.append({"case": f"blocks of {b:,} points ({tasks:,} tasks)", "tasks": tasks,
                         "LocalCluster": t_cluster, "threads": t_threads, "LocalCluster, -x only": t_trivial})
        print_table("time per computation (median of 3)", rows, ["LocalCluster", "threads", "LocalCluster, -x only"], "threads")
        best = min(r["LocalCluster"] for r in rows)
        r0, r1 = rows[0], rows[-1]
        per_task = (r0["LocalCluster"] - r1["LocalCluster"]) / (r0["tasks"] - r1["tasks"])
        per_task_threads = (r0["threads"] - r1["threads"]) / (r0["tasks"] - r1["tasks"])
        enough = next(r for r in rows if r["LocalCluster"] <= 1.1 * best)
        per_task_trivial = ((r0["LocalCluster, -x only"] - r1["LocalCluster, -x only"])
                            / (r0["tasks"] - r1["tasks"]))
        def overhead(t: float) -> str:
            return fmt_time(t) if t > 0 else "below the noise"

        print(f"\n- overhead per task (wall clock, from the smallest to the largest blocks): LocalCluster "
              f"{overhead(per_task)} (a trivial task: {overhead(per_task_trivial)}), threads scheduler "
              f"{overhead(per_task_threads)}")
        print(f"- the LocalCluster is within 10% of its best from {enough['case']}")


def executor_jacobian() -> None:
    print("\n## executor= on dd.jacobian of a ~50 ms simulation (16 parameters, chunk 4, 2 workers)\n")
    print("TODO: dd.jacobian(f, executor=...) comes with the plans refactor; measure it here then.")


def main(quick: bool) -> None:
    n = 100_000 if quick else 1_000_000
    throughput(n)
    dask_tasks(20_000 if quick else 200_000)
    executor_jacobian()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
