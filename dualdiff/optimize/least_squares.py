"""Nonlinear least squares with the exact sparse Jacobian: ``least_squares(F, x0)``.

Minimises f(x) = ½ ||F(x)||² (F: Rⁿ → Rᵐ) by Levenberg–Marquardt.  At x_k, with
r = F(x_k) and the exact Jacobian J = ``dualdiff.sparse.jacobian(F)(x_k)`` (CSR, one
compressed dual pass of c colours), the gradient is g = Jᵀr and the step solves the
damped normal equations

    (JᵀJ + λ I) p = -Jᵀ r,

sparsely (the positive definite factorisation of :func:`.sparse_linalg.factor_pd`:
CHOLMOD if scikit-sparse is installed, else SuperLU LDLᵀ).  λ = 0 is Gauss–Newton.  The
step is judged by the ratio of actual to predicted reduction

    ρ = (f(x) - f(x + p)) / (m(0) - m(p)),   m(0) - m(p) = -(gᵀp + ½ ||J p||²),

accepted when ρ > 10⁻⁴, and λ follows Nielsen's rule (H. B. Nielsen, "Damping parameter in
Marquardt's method", 1999): after an accepted step λ ← λ·max(⅓, 1 - (2ρ - 1)³), ν = 2;
after a rejected one λ ← λ·ν, ν ← 2ν.  λ₀ = 10⁻³·max_i (JᵀJ)_ii.  λ → 0 near a zero-residual
solution, where the iteration becomes Gauss–Newton and converges quadratically.

Stops: ||g|| <= tol (CONVERGED), the step below ``xtol``·(1 + ||x||) (SMALL_STEP), a
predicted reduction below f's rounding error (ROUNDING), ``maxiter`` (MAXITER), F or J not
finite (NOT_FINITE), the callback.  The result is ``minimize``'s :class:`OptimizeResult`
with ``fun`` = ½||F(x)||², ``jac`` = Jᵀ F(x) (the gradient of fun), ``nit``, ``nfev``
(evaluations of F), ``njev`` (Jacobian passes), and the extras ``residual`` (F(x)),
``jacobian`` (J at x, CSR) and ``damping`` (the final λ).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import sparse as _sparse
from .line_search import at_rounding_floor
from .problem import Problem, finite, norm, not_finite_message, small_step, stop_message
from .result import OptimizeResult, Status
from .sparse_linalg import factor_pd, identity


def least_squares(F: Callable[..., Any], x0: Any, tol: float = 1e-8, maxiter: int | None = None,
                  callback: Callable[..., Any] | None = None, record_path: bool = False,
                  args: tuple = (), xtol: float = 1e-14, pattern: Any = "auto",
                  damping: float | None = None) -> OptimizeResult:
    """Minimise ½ ||F(x)||² by Levenberg–Marquardt with the exact sparse Jacobian.

    Parameters
    ----------
    F : callable
        ``F(x, *args)`` -> array of residuals (any shape; flattened).
    x0 : array_like
        The start (any shape; F receives arrays of that shape).
    tol : float
        Converged when ||Jᵀ F(x)|| <= tol (the gradient of ½||F||²).
    maxiter : int, optional
        Iterations allowed (default 200·n, as for Newton).
    callback, record_path, args, xtol :
        As for :func:`~dualdiff.optimize.minimize` (the path records ½||F||²).
    pattern :
        The Jacobian pattern for ``dualdiff.sparse.jacobian`` (``"auto"``, ``"local"`` or a
        matrix).
    damping : float, optional
        λ₀; default 10⁻³·max (JᵀJ)_ii.  ``damping=0`` starts as Gauss–Newton.

    Returns
    -------
    OptimizeResult
        ``x, fun (= ½||F||²), jac (= JᵀF), nit, nfev, njev, success, status, message`` and
        ``residual``, ``jacobian`` (CSR), ``damping``.
    """
    if damping is not None and not (isinstance(damping, (int, float, np.floating)) and damping >= 0):
        raise ValueError(f"damping must be a non-negative number, got {damping!r}")
    for name, value in (("tol", tol), ("xtol", xtol)):
        if not (isinstance(value, (int, float, np.floating)) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    problem = Problem(F, x0, args, who="least_squares", callback=callback, record_path=record_path,
                      vector_output=True)
    if maxiter is None:
        maxiter = 200 * max(problem.n, 1)
    jac_F = _sparse.jacobian(F, pattern=pattern)

    def jacobian(x: np.ndarray) -> sp.csr_array:
        problem.njev += 1
        return sp.csr_array(problem._run(lambda z, *a: jac_F(z, *a), x), dtype=np.float64)

    def half_sq(r: np.ndarray) -> float:
        with np.errstate(over="ignore"):
            return 0.5 * float(r @ r)

    x, nit = problem.x0.copy(), 0
    r = problem.residual(x)
    J = jacobian(x)
    f, g = half_sq(r), J.T @ r
    lam = damping
    nu = 2.0
    eye = identity(problem.n)

    def done(status: Status, message: str) -> OptimizeResult:
        res = problem.result(x, f, nit, status, message, jac=g)
        res.update(residual=r.reshape(problem.fshape).copy(), jacobian=J, damping=lam)
        return res

    while True:
        stop = problem.visit(x, f, g, nit)
        if not finite(r) or not finite(J.data):
            return done(Status.NOT_FINITE, not_finite_message(nit, "F" if not finite(r) else "the Jacobian"))
        gn = norm(g)
        if gn <= tol:
            return done(Status.CONVERGED, stop_message(Status.CONVERGED, nit, gn, tol))
        for status, hit in ((Status.CALLBACK, stop), (Status.MAXITER, nit >= maxiter)):
            if hit:
                return done(status, stop_message(status, nit, gn, tol))
        JtJ = sp.csc_matrix(J.T @ J)
        if lam is None:
            lam = 1e-3 * (float(JtJ.diagonal().max()) or 1.0)
        # find an accepted step, raising λ after each rejection
        while True:
            solve = factor_pd(JtJ + lam * eye)
            if solve is None:  # JᵀJ singular and λ = 0 (or too small to help)
                lam = max(lam * nu, 1e-3 * (float(JtJ.diagonal().max()) or 1.0))
                nu *= 2.0
                continue
            p = solve(-g)
            Jp = J @ p
            predicted = -(float(g @ p) + 0.5 * float(Jp @ Jp))
            if small_step(p, x, xtol):
                return done(Status.SMALL_STEP, (
                    f"Converged: step {norm(p):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} after {nit} "
                    f"iterations (gradient norm {gn:.3g})."))
            if at_rounding_floor(f, predicted):
                return done(Status.ROUNDING, (
                    f"Converged to the rounding floor of ½||F||² after {nit} iterations: the predicted "
                    f"decrease {predicted:.3g} is below its rounding error (gradient norm {gn:.3g})."))
            r_new = problem.residual(x + p)
            f_new = half_sq(r_new)
            rho = (f - f_new) / predicted if predicted > 0 and np.isfinite(f_new) else -1.0
            if rho > 1e-4:
                x, r, f, nit = x + p, r_new, f_new, nit + 1
                lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
                break
            lam, nu = lam * nu, 2.0 * nu
            if not np.isfinite(lam) or lam > 1e300:
                return done(Status.NO_DECREASE, (
                    f"No step decreases ½||F||² at iteration {nit} (damping {lam:.3g}, gradient norm "
                    f"{gn:.3g}): is F continuous?"))
        J = jacobian(x)
        g = J.T @ r
