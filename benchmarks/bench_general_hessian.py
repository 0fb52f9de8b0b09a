"""The general sparse Hessian (sparse.hessian without sum structure) against dense dd.hessian.

    python benchmarks/bench_general_hessian.py [n_rosenbrock] [n_arrowhead]   # defaults 1000, 300

1. Extended Rosenbrock at n = 1000 (2 colours), numpy-vectorised and as an @njit loop
   (the numba engine: c compiled Hessian-vector products), against dd.hessian on the
   same engine.
2. An arrowhead Hessian (f = x0 * sum(sin(x[1:])) + sum(x**4), n = 300): the star
   colouring needs 2 colours, distance-2 colouring n; the same general method with both
   plans, and dense dd.hessian.

The pattern is given (pattern=P), so sparse.hessian uses the general method and never the
sum method; the first call checks it.  Medians in one process; the machine's cores may
be shared (the load average is printed), so compare rows of one run.  Every sparse result
is compared with the dense one (max |difference| printed).
"""

from __future__ import annotations

import os
import sys
import time

import numba
import numpy as np

import dualdiff as dd
from dualdiff import sparse
from dualdiff.sparse import api


def rosenbrock(x):
    a, b = x[0::2], x[1::2]
    return np.sum(100.0 * (b - a * a) ** 2) + np.sum((1.0 - a) ** 2)


@numba.njit
def rosenbrock_loop(x):  # pragma: no cover - compiled
    s = 0.0
    for i in range(x.shape[0] // 2):
        a = x[2 * i]
        b = x[2 * i + 1]
        s += 100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2
    return s


def arrowhead(x):
    return x[0] * np.sum(np.sin(x[1:])) + np.sum(x ** 4)


@numba.njit
def arrowhead_loop(x):  # pragma: no cover - compiled
    s = 0.0
    t = 0.0
    for i in range(1, x.size):
        s += np.sin(x[i])
    for i in range(x.size):
        t += x[i] ** 4
    return x[0] * s + t


def median_time(fn, reps: int) -> tuple[float, object]:
    ts, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), out


def ms(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def main() -> None:
    n_r = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    n_a = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| f | form | n | colours | first call | sparse.hessian | distance-2 plan | dd.hessian | max abs diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fname, n, forms in [("ext. Rosenbrock", n_r, [("numpy", rosenbrock), ("njit loop", rosenbrock_loop)]),
                            ("arrowhead", n_a, [("numpy", arrowhead), ("njit loop", arrowhead_loop)])]:
        x = np.random.default_rng(0).uniform(-1, 1, n)
        P = sparse.hessian_pattern(forms[0][1], x)
        for form, f in forms:
            h = sparse.hessian(f, pattern=P)
            t0 = time.perf_counter()
            h(x)
            first = time.perf_counter() - t0
            plan = h.plan(x)
            t_sparse, H = median_time(lambda: h(x), 7)  # noqa: B023
            d2 = api.Plan("hessian", x.shape, P, sparse.color_columns(P), "given", coloring="distance2")
            if d2.ncolors != plan.ncolors:
                api._general_hessian(f, x, d2, (), {}, None)
                t_d2, _ = median_time(lambda: api._general_hessian(f, x, d2, (), {}, None), 3)  # noqa: B023
                d2_cell = f"{d2.ncolors} colours: {ms(t_d2)}"
            else:
                d2_cell = "(same)"
            dense = dd.hessian(f)
            dense(x)
            t_dense, Hd = median_time(lambda: dense(x), 3)  # noqa: B023
            err = np.abs(H.toarray() - Hd).max()
            print(f"| {fname} | {form} | {n} | {plan.ncolors} ({plan.coloring}) | {ms(first)} | {ms(t_sparse)} | "
                  f"{d2_cell} | {ms(t_dense)} | {err:.1e} |")


if __name__ == "__main__":
    main()
