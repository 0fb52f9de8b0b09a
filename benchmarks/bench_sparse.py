"""Sparse derivatives (dualdiff.sparse, numpy engine): detection, colouring and per-call times.

Run: .venv/bin/python benchmarks/bench_sparse.py [n ...]   (default n = 1000 10000 100000)

Prints medians (one process); nothing is asserted.  Peers (jax, asdex, CasADi, analytic
numba) are not run here yet.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import fmt_time, per_call  # noqa: E402

import dualdiff as dd  # noqa: E402
from dualdiff import sparse  # noqa: E402


def broyden(x):
    y = (3.0 - 2.0 * x) * x + 1.0
    y[1:] = y[1:] - x[:-1]
    y[:-1] = y[:-1] - 2.0 * x[1:]
    return y


def rosenbrock_terms(x):  # extended Rosenbrock, the element vector
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a * a) ** 2, (1.0 - a) ** 2])


def rosenbrock(x):
    return np.sum(rosenbrock_terms(x))


def chained_rosenbrock_terms(x):
    return np.concatenate([100.0 * (x[1:] - x[:-1] ** 2) ** 2, (1.0 - x[:-1]) ** 2])


def grid_terms(x):
    k = int(round(np.sqrt(x.size)))
    u = x.reshape(k, k)
    return np.concatenate([((u[:-1, :] - u[1:, :]) ** 4).ravel(), ((u[:, :-1] - u[:, 1:]) ** 4).ravel(),
                           np.exp(u).ravel()])


def grid_energy(x):
    return np.sum(grid_terms(x))


def once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def detection(n: int) -> None:
    x = np.full(n, 0.5)
    cases = [
        ("Broyden Jacobian pattern", lambda: sparse.jacobian_pattern(broyden, x)),
        ("ext. Rosenbrock Hessian pattern", lambda: sparse.hessian_pattern(rosenbrock, x)),
        ("ext. Rosenbrock terms' Jacobian pattern", lambda: sparse.jacobian_pattern(rosenbrock_terms, x)),
    ]
    for name, detect in cases:
        detect()  # compile the kernels once
        t_detect = per_call(detect, budget=1.0, repeats=3)
        P = detect()
        t_color = per_call(lambda P=P: sparse.color_columns(P), budget=1.0, repeats=3)
        c = sparse.color_columns(P).max() + 1
        print(f"| {name} | {n} | {P.nnz} | {c} | {fmt_time(t_detect)} | {fmt_time(t_color)} | "
              f"{fmt_time(t_detect + t_color)} |")


def per_call_times(n: int) -> None:
    x = np.random.default_rng(0).uniform(-1, 1, n)
    k = int(round(np.sqrt(n)))
    xg = np.random.default_rng(1).uniform(-1, 1, k * k)
    cases = [
        ("Broyden sparse.jacobian", sparse.jacobian(broyden), x, "first call (detect + colour + pass)"),
        ("ext. Rosenbrock sparse.sum_hessian", sparse.sum_hessian(rosenbrock_terms), x, ""),
        ("chained Rosenbrock sparse.sum_hessian", sparse.sum_hessian(chained_rosenbrock_terms), x, ""),
        (f"grid energy {k}x{k} sparse.sum_hessian", sparse.sum_hessian(grid_terms), xg, ""),
    ]
    for name, fn, xx, _ in cases:
        first = once(lambda fn=fn, xx=xx: fn(xx))
        t = per_call(lambda fn=fn, xx=xx: fn(xx), budget=1.0, repeats=5)
        c = fn.plan(xx).ncolors
        print(f"| {name} | {xx.size} | {c} | {fmt_time(first)} | {fmt_time(t)} |")


def general_hessian(n: int) -> None:
    x = np.random.default_rng(2).uniform(-1, 1, n)
    h = sparse.hessian(rosenbrock)
    first = once(lambda: h(x))
    t_sparse = per_call(lambda: h(x), budget=2.0, repeats=3)
    t_dense = per_call(lambda: dd.hessian(rosenbrock)(x), budget=2.0, repeats=3) if n <= 1000 else None
    ratio = f"{t_dense / t_sparse:.0f}x" if t_dense else "—"
    print(f"| ext. Rosenbrock | {n} | {h.plan(x).ncolors} | {fmt_time(first)} | {fmt_time(t_sparse)} | "
          f"{fmt_time(t_dense)} | {ratio} |")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10_000, 100_000]
    print("\n## Detection and colouring (global pattern, numpy-vectorised code; median)\n")
    print("| pattern | n | nnz | colours | detection | colouring (3 orders) | total |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        detection(n)
    print("\n## Per call (numpy engine; median after the first call)\n")
    print("| derivative | n | colours | first call | per call |")
    print("|---|---|---|---|---|")
    for n in sizes:
        per_call_times(n)
    print("\n## General sparse Hessian (no sum structure) against dense dd.hessian\n")
    print("| f | n | colours | first call | sparse.hessian | dd.hessian | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for n in [100, 1000]:
        general_hessian(n)


if __name__ == "__main__":
    main()
