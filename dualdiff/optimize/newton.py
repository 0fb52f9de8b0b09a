"""Newton's method with exact Hessians, a modified Hessian where it is not positive
definite, and a backtracking line search (``method="newton"``).

Each iteration takes f, g = ∇f(x_k) and H = ∇²f(x_k) from one ``dd.value_grad_hessian``
pass and solves for the Newton step

    B p_k = -g,        x_{k+1} = x_k + α_k p_k,

with B = H = L Lᵀ (a Cholesky solve) when H is positive definite.  Otherwise
(``modification``) B is a positive definite modification of H, so p is a descent
direction (g·p = -gᵀ B⁻¹ g < 0):

* ``"shift"`` (default), an eigenvalue shift: with H = Q Λ Qᵀ,
  B = H + τ I,  τ = -λ_min + max(|λ_min|, δ),  so the smallest eigenvalue of B is
  |λ_min| (or δ if that is smaller): the most negative curvature is reflected rather
  than replaced by a tiny δ, which would make the step along its eigenvector
  arbitrarily long (and the line search cut it back, or accept a jump far away);
* ``"abs"``: B = Q max(|Λ|, δ) Qᵀ, negative curvature flipped (as in saddle-free Newton);
* ``"levenberg"``, Levenberg damping: B = H + τ I with τ = 0, β, 2β, 4β, ... (β = 10⁻³·max|H_ij|;
  Nocedal & Wright, Algorithm 3.3) until the Cholesky factorisation succeeds, no
  eigendecomposition;
* ``None``: pure Newton, B = H (an LU solve; it converges to any nearby critical point,
  maxima and saddles included).  A singular H stops the run with status SINGULAR.

δ = ``delta`` · max|λ| (default delta = 1e-8).  α_k comes from Armijo backtracking starting
at ``alpha`` (default 1, the full Newton step) when ``line_search=True`` (the default), so
f never increases; with ``line_search=False`` α_k = ``alpha`` is fixed (damped Newton,
x_{k+1} = x_k - α H⁻¹ g).  Near a minimum with positive definite Hessian the full step is
accepted and convergence is quadratic: ||x_{k+1} - x*|| <= C ||x_k - x*||².

At the rounding floor of f (the predicted decrease -α g·p is below the rounding error of
f, see :mod:`.line_search`) the full step is taken if it reduces ||∇f|| instead, and the
run stops with status ROUNDING when it does not: so Newton still converges to ||∇f|| <=
tol on f = 10⁶ + (x - 1)², where values of f cannot show progress below ~10⁻¹⁰.  Such a
step may change the computed f by a few ulps either way: "f never increases" holds up
to the rounding error of f.
"""

from __future__ import annotations

import numpy as np

from .line_search import at_rounding_floor, backtracking
from .problem import (
    Problem,
    finite,
    norm,
    rounding_message,
    second_order_stop,
    small_step,
)
from .result import OptimizeResult, Status

MODIFICATIONS = ("shift", "abs", "levenberg", None)

# H is treated as singular when its smallest |pivot| (or |eigenvalue|) is below this
# times its largest: the solve would only amplify rounding error.
SINGULAR_RTOL = 1e3 * np.finfo(float).eps


def _cholesky_solve(h: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Solve h p = rhs by Cholesky, or None if h is not (numerically) positive definite."""
    try:
        lower = np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        return None
    d = np.diagonal(lower)
    if d.min() ** 2 <= SINGULAR_RTOL * max(d.max() ** 2, np.finfo(float).tiny):
        return None
    return np.linalg.solve(lower.T, np.linalg.solve(lower, rhs))


def _levenberg(h: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Solve (H + τI) p = rhs for the first τ = τ₀, 2τ₀, ... (at least β) that Cholesky accepts."""
    scale = float(np.abs(h).max()) or 1.0
    beta = 1e-3 * scale
    dmin = float(np.diagonal(h).min())
    tau = 0.0 if dmin > 0 else beta - dmin
    eye = np.eye(len(h))
    for _ in range(100):  # τ reaches any eigenvalue's magnitude (< n·scale) long before
        p = _cholesky_solve(h + tau * eye, rhs)
        if p is not None:
            return p
        tau = max(2.0 * tau, beta)
    return None


def newton_direction(g: np.ndarray, h: np.ndarray, modification: str | None = "shift",
                     delta: float = 1e-8) -> tuple[np.ndarray | None, bool]:
    """(p, modified): the solution of B p = -g and whether B differs from H.

    p is None only for ``modification=None`` and a singular H.
    """
    p = _cholesky_solve(h, -g)
    if p is not None:
        return p, False
    if modification is None:
        lam = np.linalg.eigvalsh(h)
        big = float(np.abs(lam).max())
        if big == 0.0 or float(np.abs(lam).min()) <= SINGULAR_RTOL * big:
            return None, False
        return np.linalg.solve(h, -g), False
    if modification == "levenberg":
        p = _levenberg(h, -g)
        if p is not None:
            return p, True
    lam, q = np.linalg.eigh(h)
    floor = delta * (float(np.abs(lam).max()) or 1.0)
    if modification == "abs":
        mu = np.maximum(np.abs(lam), floor)
    else:  # "shift" (and "levenberg" if τ never made H + τI factorisable)
        mu = lam + (max(abs(lam[0]), floor) - lam[0])
    return -(q @ ((q.T @ g) / mu)), True


def check_modification(modification: str | None, delta: float) -> None:
    if modification not in MODIFICATIONS:
        raise ValueError(f"modification must be one of {MODIFICATIONS}, got {modification!r}")
    if not (isinstance(delta, (int, float, np.floating)) and 0 < delta < 1):
        raise ValueError(f"delta must be a number in (0, 1), got {delta!r}")


def newton(problem: Problem, *, tol: float, maxiter: int, xtol: float, alpha: float = 1.0,
           line_search: bool = True, modification: str | None = "shift", delta: float = 1e-8
           ) -> OptimizeResult:
    """Newton's method: x_{k+1} = x_k - α_k B_k⁻¹ ∇f(x_k), B_k = ∇²f(x_k) or its modification."""
    check_modification(modification, delta)
    if not (isinstance(alpha, (int, float, np.floating)) and np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha (the Newton step length) must be a positive number, got {alpha!r}")
    x, nit, nmod = problem.x0.copy(), 0, 0

    def done(status: Status, message: str) -> OptimizeResult:
        return problem.result(x, f, nit, status, message, jac=g, hess=h, nmod=nmod)

    f, g, h = problem.value_grad_hessian(x)
    while True:
        stop = problem.visit(x, f, g, nit)
        stopped = second_order_stop(f, g, h, nit, stop, tol, maxiter)
        if stopped is not None:
            return done(*stopped)
        gn = norm(g)
        p, modified = newton_direction(g, h, modification, delta)
        if p is None:
            return done(Status.SINGULAR, (
                f"Singular Hessian at iteration {nit} (gradient norm {gn:.3g}): pure Newton "
                "(modification=None) cannot solve for the step; use modification='shift' or "
                "'levenberg', or method='newton-trust'."))
        nmod += modified
        if small_step(p, x, xtol):
            return done(Status.SMALL_STEP, (
                f"Converged: Newton step {norm(p):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} after "
                f"{nit} iterations (gradient norm {gn:.3g}, at its rounding floor)."))
        step = alpha
        if line_search:
            slope = float(g @ p)
            if slope < 0 and at_rounding_floor(f, -slope * alpha):
                # values of f cannot show the decrease; the gradient norm can
                trial = problem.value_grad_hessian(x + alpha * p)
                if not (finite(*trial) and norm(trial[1]) < gn):
                    return done(Status.ROUNDING, rounding_message(nit, -slope * alpha, f, gn))
                x, nit = x + alpha * p, nit + 1
                f, g, h = trial
                continue
            found = backtracking(lambda a: problem.value(x + a * p), f, slope, alpha)
            if found is None:
                why = ("the Newton direction is not a descent direction (the Hessian is not positive "
                       "definite; use modification='shift')" if not slope < 0 else
                       "no step along the Newton direction decreases f (is f continuous?)")
                return done(Status.NO_DECREASE, f"Line search failed at iteration {nit}: {why}; "
                                                f"gradient norm {gn:.3g}.")
            step = found[0]
        x, nit = x + step * p, nit + 1
        f, g, h = problem.value_grad_hessian(x)
