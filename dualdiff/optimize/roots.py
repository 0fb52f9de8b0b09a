"""Newton's method for F(x) = 0 with exact Jacobians: :func:`root` (systems) and
:func:`root_scalar` (one equation in one unknown).

Each iteration solves the linearisation F(x_k) + J(x_k) d = 0 for the Newton step

    d_k = -J(x_k)⁻¹ F(x_k),        x_{k+1} = x_k + α_k d_k,

with J from ``dd.jacobian`` (``dd.derivative`` for a scalar x: d = -f(x)/f'(x)).  The step
length α_k comes from Armijo backtracking on the merit function φ(x) = ½||F(x)||², along
which d is a descent direction: ∇φ·d = Fᵀ J d = -||F||² < 0.  So ||F|| never increases,
and far from a root a full step that would overshoot is shortened (damped Newton).  Near
a simple root (J non-singular) α = 1 and convergence is quadratic.

If J is singular (or numerically so) the step is the least-squares one, d = -J⁺F, still a
descent direction for φ unless F is orthogonal to the range of J; then the run stops
with status SINGULAR (for a scalar equation: f'(x) = 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .line_search import backtracking
from .problem import Problem, finite, norm, not_finite_message, small_step, stop_message
from .result import OptimizeResult, Status

# a Jacobian whose condition number exceeds this is solved by least squares
COND_MAX = 1.0 / (1e3 * np.finfo(float).eps)


def _newton_step(jac: np.ndarray, fx: np.ndarray) -> np.ndarray:
    """d with J d = -F, or the least-squares step -J⁺F when J is (nearly) singular."""
    try:
        if np.linalg.cond(jac) < COND_MAX:
            return np.linalg.solve(jac, -fx)
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(jac, -fx, rcond=None)[0]


def _solve(problem: Problem, tol: float, maxiter: int, xtol: float, line_search: bool) -> OptimizeResult:
    x, nit = problem.x0.copy(), 0
    fx = problem.residual(x)
    if fx.size != problem.n:
        raise ValueError(f"{problem.who} needs F(x) with as many elements as x (a square system): x has "
                         f"{problem.n} element(s), F(x0) has {fx.size}; for least squares use minimize "
                         "on 0.5 * sum(F(x)**2)")
    jac = None
    cache: dict[float, np.ndarray] = {}

    def done(status: Status, message: str) -> OptimizeResult:
        fun = float(fx[0]) if problem.scalar else fx.reshape(problem.fshape)
        res = problem.result(x, fun, nit, status, message)
        if jac is not None:
            res["jac"] = float(jac[0, 0]) if problem.scalar else jac.reshape(problem.fshape + problem.shape)
        return res

    while True:
        stop = problem.visit(x, float(fx[0]) if problem.scalar else fx.reshape(problem.fshape), None, nit)
        if not finite(fx):
            return done(Status.NOT_FINITE, not_finite_message(nit, "F(x)"))
        r = norm(fx)
        for status, hit in ((Status.CONVERGED, r <= tol), (Status.CALLBACK, stop),
                            (Status.MAXITER, nit >= maxiter)):
            if hit:
                return done(status, stop_message(status, nit, r, tol, what="|F(x)|"))
        jac = problem.jacobian(x)
        if not finite(jac):
            return done(Status.NOT_FINITE, not_finite_message(nit, "the Jacobian"))
        d = _newton_step(jac, fx)
        slope = float(fx @ (jac @ d))  # ∇φ·d, φ = ½|F|²
        if not slope < 0:
            what = "f'(x) = 0" if problem.n == 1 else "the Jacobian is singular and F(x) is orthogonal to its range"
            return done(Status.SINGULAR, f"Singular Jacobian at iteration {nit}: {what}, so no Newton step "
                                         f"reduces |F| = {r:.3g}. Try another x0.")
        if small_step(d, x, xtol):
            return done(Status.SMALL_STEP, (
                f"Converged: Newton step {norm(d):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} after "
                f"{nit} iterations (|F(x)| = {r:.3g}, at its rounding floor)."))
        cache.clear()

        def merit(a: float) -> float:
            cache[a] = problem.residual(x + a * d)
            return 0.5 * float(cache[a] @ cache[a])

        if line_search:
            found = backtracking(merit, 0.5 * r * r, slope, 1.0)
            if found is None:
                return done(Status.NO_DECREASE, (
                    f"Line search failed at iteration {nit}: no step along the Newton direction reduces "
                    f"|F| = {r:.3g} (a local minimum of |F| that is not a root?). Try another x0."))
            alpha = found[0]
            fx = cache[alpha]
        else:
            alpha = 1.0
            merit(alpha)
            fx = cache[alpha]
        x, nit = x + alpha * d, nit + 1


def _check(tol: Any, maxiter: Any, xtol: Any) -> None:
    for name, value in (("tol", tol), ("xtol", xtol)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value >= 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 0:
        raise ValueError(f"maxiter must be a non-negative integer, got {maxiter!r}")


def _method(method: str) -> None:
    if method != "newton":
        raise ValueError(f"unknown method {method!r}; the methods are 'newton'")


def root(F: Callable[..., Any], x0: Any, method: str = "newton", tol: float = 1e-12, maxiter: int = 100,
         callback: Callable[..., Any] | None = None, record_path: bool = False, args: tuple = (),
         xtol: float = 1e-14, line_search: bool = True) -> OptimizeResult:
    """Solve F(x) = 0 by Newton's method with the exact Jacobian (damped by backtracking).

    ``F(x, *args)`` returns an array with as many elements as x (any shapes; a float for a
    float x0).  Converged when ||F(x)|| <= tol (2-norm) or the Newton step is below
    ``xtol · (1 + ||x||)``.  ``line_search=False`` takes full Newton steps.  Returns an
    OptimizeResult with ``x, fun`` (= F(x)), ``jac`` (the last Jacobian, (m, n)), ``nit,
    nfev, njev, success, status, message`` (and ``path``).
    """
    _method(method)
    _check(tol, maxiter, xtol)
    problem = Problem(F, x0, args, who="root", callback=callback, record_path=record_path, vector_output=True)
    return _solve(problem, float(tol), int(maxiter), float(xtol), line_search)


def root_scalar(f: Callable[..., Any], x0: float, method: str = "newton", tol: float = 1e-12,
                maxiter: int = 100, callback: Callable[..., Any] | None = None, record_path: bool = False,
                args: tuple = (), xtol: float = 1e-14, line_search: bool = True) -> OptimizeResult:
    """Solve f(x) = 0 for scalar x by Newton's method, x ← x - α f(x)/f'(x), with f' from
    ``dd.derivative``.

    As :func:`root`, and additionally scipy's ``RootResults`` names: ``root`` (= x),
    ``iterations`` (= nit), ``function_calls`` (nfev + njev), ``converged`` (= success)
    and ``flag`` (= message).
    """
    _method(method)
    _check(tol, maxiter, xtol)
    if np.ndim(x0) != 0:
        raise TypeError(f"root_scalar needs a scalar x0, got shape {np.shape(x0)}; use root for systems")
    problem = Problem(f, x0, args, who="root_scalar", callback=callback, record_path=record_path,
                      vector_output=True)
    res = _solve(problem, float(tol), int(maxiter), float(xtol), line_search)
    res.update(root=res.x, iterations=res.nit, function_calls=res.nfev + res.njev, converged=res.success,
               flag=res.message)
    return res
