"""Sparse Newton on the extended Rosenbrock function from the standard start (issue 12).

Run: .venv/bin/python benchmarks/bench_sparse_newton.py [n ...]   (default n = 1000 100000)

One process, wall time of one solve each (the first call includes detection, colouring
and numba compilation of the colouring kernels), iterations and the final gradient
norm.  Rows: dualdiff's sparse Newton with sum detection (``sparse=True``, f written
with np.sum), with the element vector (``separable=True``), scipy's ``trust-constr``
with dualdiff's exact sparse derivatives (``scipy_derivatives(f, sparse=True)``), and
``trust-constr`` with finite differences (dense: n + 1 evaluations of f per gradient
and a dense quasi-Newton matrix, so it is run only for n ≤ 1000).  With scikit-sparse
installed (CHOLMOD; ``pip install "scikit-sparse<0.5"`` builds against Debian 12's
SuiteSparse 5 from ``apt install libsuitesparse-dev``), the sparse=True row is run with
CHOLMOD and again with scipy's SuperLU.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.optimize as so

from dualdiff import optimize
from dualdiff.optimize import sparse_linalg


def ext_rosenbrock(x: np.ndarray) -> float:
    a, b = x[0::2], x[1::2]
    return np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def ext_rosenbrock_terms(x: np.ndarray) -> np.ndarray:
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a * a) ** 2, (1.0 - a) ** 2])


def ext_rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    a, b = x[0::2], x[1::2]
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * (b - a * a)
    return g


def row(name: str, n: int, solve) -> None:  # noqa: ANN001
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = solve()
    dt = time.perf_counter() - t0
    gn = float(np.linalg.norm(ext_rosenbrock_grad(res.x), np.inf))
    print(f"| {name} | {n} | {res.nit} | {dt:.2f} s | {gn:.1e} | {float(res.fun):.1e} |", flush=True)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 100_000]
    print("| method | n | iterations | time | ‖∇f‖∞ at the end | f at the end |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        x0 = np.tile([-1.2, 1.0], n // 2)
        row(f"dualdiff newton, sparse=True (sum found in f), {sparse_linalg.backend()}", n,
            lambda x0=x0: optimize.minimize(ext_rosenbrock, x0, method="newton", sparse=True))
        if sparse_linalg.HAVE_CHOLMOD:  # the same with scipy's SuperLU, for comparison
            sparse_linalg.HAVE_CHOLMOD = False
            row("dualdiff newton, sparse=True (sum found in f), superlu", n,
                lambda x0=x0: optimize.minimize(ext_rosenbrock, x0, method="newton", sparse=True))
            sparse_linalg.HAVE_CHOLMOD = True
        row("dualdiff newton, separable=True (terms given)", n,
            lambda x0=x0: optimize.minimize(ext_rosenbrock_terms, x0, method="newton", separable=True))
        d = optimize.scipy_derivatives(ext_rosenbrock, sparse=True)
        row("scipy trust-constr, dualdiff exact sparse jac + hess", n,
            lambda x0=x0, d=d: so.minimize(ext_rosenbrock, x0, method="trust-constr", jac=d["jac"],
                                           hess=d["hess"], options={"gtol": 1e-8, "xtol": 1e-14,
                                                                    "maxiter": 5000}))
        if n <= 1000:
            row("scipy trust-constr, finite differences (2-point jac, BFGS)", n,
                lambda x0=x0: so.minimize(ext_rosenbrock, x0, method="trust-constr", jac="2-point",
                                          hess=so.BFGS(), options={"gtol": 1e-8, "maxiter": 5000}))


if __name__ == "__main__":
    main()
