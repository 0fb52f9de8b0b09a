"""Optimisation benchmark: iterations, evaluations and wall time to ||∇f|| < 1e-8.

    python benchmarks/bench_optimize.py [--quick]

Extended Rosenbrock, n = 2, 10, 100 (``--quick``: 2 and 10), from the standard start
(-1.2, 1, -1.2, 1, ...), written once with numpy (np.sum of array expressions):

* dualdiff ``minimize(method="newton")`` and ``"newton-trust"`` (exact Hessians from
  ``dd.value_grad_hessian``);
* scipy BFGS with ``dd.grad``; Newton-CG with ``dd.grad`` + ``dd.hessian`` and with
  ``dd.grad`` + ``hessp`` (``dd.hvp``, no Hessian formed); trust-exact with ``dd.hessian``;
* scipy BFGS with finite-difference gradients (scipy's default when no ``jac`` is given).

Stopping rule ||∇f||₂ < 1e-8: ``tol=1e-8`` for dualdiff, ``gtol=1e-8`` (2-norm) for
BFGS and trust-exact; Newton-CG has no gradient tolerance, so a callback stops it once
the exact gradient norm is below 1e-8 (its cost is in the time, not in the counts).
The "‖∇f‖" column is the exact gradient norm at the returned point, "f" the value
there: for n >= 6 the standard start lies near a local minimum close to (-1, 1, ..., 1)
with f ≈ 3.99, which Newton's methods (dualdiff's and scipy's trust-exact) find; which
of the others reach the global minimum f = 0 instead depends on the path they take.

Counts: dualdiff counts a gradient pass as one nfev + one njev and a Hessian pass as
one of each of nfev, njev, nhev (see dualdiff/optimize/result.py); scipy counts calls
of fun, jac, hess/hessp (finite-difference evaluations in nfev).  Times are medians of
repeated runs in one process.  OpenBLAS runs single-threaded here (set before numpy is
imported, unless OPENBLAS_NUM_THREADS is already set): on a busy machine its threads
made a 100 x 100 solve take ~40 ms instead of 40 µs, for every solver alike.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from timing import fmt_time  # noqa: E402

import dualdiff as dd  # noqa: E402
from dualdiff.optimize import minimize, scipy_derivatives  # noqa: E402
from dualdiff.problems import rosenbrock  # noqa: E402

GTOL = 1e-8


def start(n: int) -> np.ndarray:
    return np.tile([-1.2, 1.0], n // 2)


def solvers() -> dict[str, Callable[[np.ndarray], Any]]:
    out: dict[str, Callable[[np.ndarray], Any]] = {
        "dualdiff newton": lambda x0: minimize(rosenbrock, x0, method="newton", tol=GTOL),
        "dualdiff newton-trust": lambda x0: minimize(rosenbrock, x0, method="newton-trust", tol=GTOL),
    }
    try:
        import scipy.optimize as so
    except ImportError:
        print("(scipy not installed: dualdiff only)")
        return out
    d = scipy_derivatives(rosenbrock)
    grad = dd.grad(rosenbrock)

    def stop_at_gtol(intermediate_result):
        if np.linalg.norm(grad(intermediate_result.x)) < GTOL:
            raise StopIteration

    gtol = {"gtol": GTOL, "norm": 2}
    out.update({
        "scipy BFGS + dd.grad": lambda x0: so.minimize(
            rosenbrock, x0, method="BFGS", jac=d["jac"], options=gtol),
        "scipy Newton-CG + dd.hessian": lambda x0: so.minimize(
            rosenbrock, x0, method="Newton-CG", jac=d["jac"], hess=d["hess"], callback=stop_at_gtol,
            options={"xtol": 1e-14, "maxiter": 10_000}),
        "scipy Newton-CG + dd.hvp": lambda x0: so.minimize(
            rosenbrock, x0, method="Newton-CG", jac=d["jac"], hessp=d["hessp"], callback=stop_at_gtol,
            options={"xtol": 1e-14, "maxiter": 10_000}),
        "scipy trust-exact + dd.hessian": lambda x0: so.minimize(
            rosenbrock, x0, method="trust-exact", jac=d["jac"], hess=d["hess"], options={"gtol": GTOL}),
        "scipy BFGS, finite differences": lambda x0: so.minimize(
            rosenbrock, x0, method="BFGS", options=gtol),
    })
    return out


def run(solve: Callable[[np.ndarray], Any], x0: np.ndarray, budget: float) -> tuple[Any, float]:
    """The result and the median wall time of repeated solves (at least 1, at most 7)."""
    times, res = [], None
    while len(times) < 7:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = solve(x0.copy())
        times.append(time.perf_counter() - t0)
        if sum(times) > budget and len(times) >= (1 if times[0] > budget else 3):
            break
    return res, statistics.median(times)


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (2, 10) if quick else (2, 10, 100)
    grad = dd.grad(rosenbrock)
    try:
        import scipy
        versions = f"numpy {np.__version__}, scipy {scipy.__version__}"
    except ImportError:
        versions = f"numpy {np.__version__}"
    print(f"{versions}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print("\n## Rosenbrock from (-1.2, 1, -1.2, 1, ...) to ||∇f|| < 1e-8\n")
    head = ["n", "solver", "reached", "f", "‖∇f‖", "nit", "nfev", "njev", "nhev", "time"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n in sizes:
        x0 = start(n)
        for name, solve in solvers().items():
            res, seconds = run(solve, x0, budget=1.0 if quick else 3.0)
            gnorm = float(np.linalg.norm(grad(res.x)))
            cells = [str(n), name, "yes" if gnorm < GTOL else "**no**", f"{float(res.fun):.3g}",
                     f"{gnorm:.1e}", str(res.nit), str(res.get("nfev", "—")), str(res.get("njev", "—")),
                     str(res.get("nhev", "—")), fmt_time(seconds)]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
