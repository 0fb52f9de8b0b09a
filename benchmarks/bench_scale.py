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
3. The other batched kernels (issue 14 leftovers): dd.vmap of dd.derivative,
   dd.second_derivative, functools.partial(dd.jvp, f) and functools.partial(dd.hvp, f)
   (a direction per point, in_axes=(0, 0)) against the Python loop of the same calls.
4. executor= on dd.jacobian of a ~50 ms simulation (16 parameters, chunk 4: 4 tasks):
   serial against ThreadPoolExecutor(2) and ProcessPoolExecutor(2) (fork), first call
   (the workers compile the column-range driver) reported apart.

    python benchmarks/bench_scale.py --only executor,kernels   # some sections only

Medians in one process (timing.per_call); the machine's cores may be shared, so compare
rows of one run.  Nothing is asserted except that every method gives the same numbers.
"""

from __future__ import annotations

import functools
import gc
import math
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

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


@numba.njit
def wave(t):
    return np.sin(3.0 * t) * t**3 + np.exp(-t * t)


def batched_kernels(n: int) -> None:
    """dd.vmap of the batched kernels against the Python loop of the per-point calls."""
    rng = np.random.default_rng(2)
    X, V, T = rng.uniform(-1.0, 1.0, (n, PARAMS)), rng.uniform(-1.0, 1.0, (n, PARAMS)), rng.uniform(-1, 1, n)
    jvp, hvp = functools.partial(dd.jvp, rosenbrock), functools.partial(dd.hvp, rosenbrock)
    d1, d2 = dd.derivative(wave), dd.second_derivative(wave)
    cases = [
        ("dd.derivative (scalar t)", lambda: np.stack([d1(t) for t in T]), lambda: dd.vmap(d1)(T)),
        ("dd.second_derivative (scalar t)", lambda: np.stack([d2(t) for t in T]), lambda: dd.vmap(d2)(T)),
        (f"dd.jvp, {PARAMS} parameters, v per point", lambda: [dd.jvp(rosenbrock, x, v) for x, v in zip(X, V, strict=True)],
         lambda: dd.vmap(jvp, in_axes=(0, 0))(X, V)),
        (f"dd.hvp, {PARAMS} parameters, v per point", lambda: np.stack([dd.hvp(rosenbrock, x, v) for x, v in zip(X, V, strict=True)]),
         lambda: dd.vmap(hvp, in_axes=(0, 0))(X, V)),
    ]
    print(f"\n## Batched kernels: dd.vmap against the Python loop of the same calls, {n:,} points "
          f"(median of 3; {os.cpu_count()} cores)\n")
    print("| transform | Python loop | dd.vmap (compiled loop) | loop / vmap | vmap per point |")
    print("|---|---|---|---|---|")
    for name, loop, vm in cases:
        got, want = vm(), loop()
        if isinstance(want, list):
            want = tuple(np.stack(c) for c in zip(*want, strict=True))
            assert all(a.tobytes() == b.tobytes() for a, b in zip(got, want, strict=True))
        else:
            assert got.tobytes() == want.tobytes()
        t_loop, t_vm = median_of(loop), median_of(vm)
        print(f"| {name} | {fmt_time(t_loop)} | {fmt_time(t_vm)} | {t_loop / t_vm:.1f}x | "
              f"{t_vm / n * 1e9:.0f} ns |")


SIM_PARAMS = 16


@numba.njit
def simulate(p, steps):
    """Explicit Euler on a ring of 16 nonlinear oscillators, y_i' = -p_i y_i + sin(y_{i-1});
    the state after ``steps`` steps (R^16 -> R^16)."""
    y = np.empty_like(p)
    for i in range(p.shape[0]):
        y[i] = 0.1 * (i + 1) + 0.0 * p[i]
    dt = 1e-4
    for _ in range(steps):
        for i in range(p.shape[0]):
            y[i] = y[i] + dt * (-p[i] * y[i] + np.sin(y[i - 1]))
    return y


def executor_jacobian(target: float = 0.05) -> None:
    p = np.linspace(0.5, 2.0, SIM_PARAMS)
    steps = 20_000
    simulate(p, steps)
    t = median_of(lambda: simulate(p, steps), repeats=5)
    steps = max(1, round(steps * target / t))          # about `target` seconds per call of f
    t_f = median_of(lambda: simulate(p, steps), repeats=5)
    serial = dd.jacobian(simulate, chunk=4)
    reference = serial(p, steps)
    t_serial = median_of(lambda: serial(p, steps), repeats=5)
    print(f"\n## executor= on dd.jacobian of a simulation ({SIM_PARAMS} parameters, f(p) {fmt_time(t_f)}, "
          f"{steps:,} Euler steps), chunk 4 (4 tasks), 2 workers, median of 5\n")
    print("| executor | first call | later calls | serial / executor |")
    print("|---|---|---|---|")
    print(f"| serial `dd.jacobian(simulate, chunk=4)` | — | {fmt_time(t_serial)} | 1.00x |")
    pools = [("ThreadPoolExecutor(2)", lambda: ThreadPoolExecutor(2)),
             ("ProcessPoolExecutor(2) (fork)",
              lambda: ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")))]
    for label, make in pools:
        with make() as ex:
            jac = dd.jacobian(simulate, chunk=4, executor=ex)
            first = once(lambda jac=jac: jac(p, steps))
            assert jac(p, steps).tobytes() == reference.tobytes()   # bit for bit
            t = median_of(lambda jac=jac: jac(p, steps), repeats=5)
        print(f"| {label} | {fmt_time(first)} | {fmt_time(t)} | {t_serial / t:.2f}x |")


SECTIONS = ("throughput", "dask", "kernels", "executor")


def main(quick: bool, only: tuple[str, ...] = SECTIONS) -> None:
    n = 100_000 if quick else 1_000_000
    try:
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)")
    except OSError:
        pass
    if "throughput" in only:
        throughput(n)
    if "dask" in only:
        dask_tasks(20_000 if quick else 200_000)
    if "kernels" in only:
        batched_kernels(n // 10)
    if "executor" in only:
        executor_jacobian()
    try:
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    except OSError:
        pass


if __name__ == "__main__":
    only = SECTIONS
    if "--only" in sys.argv:
        only = tuple(sys.argv[sys.argv.index("--only") + 1].split(","))
        unknown = set(only) - set(SECTIONS)
        if unknown:
            sys.exit(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    main(quick="--quick" in sys.argv, only=only)
