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

**Negative curvature.**  A modified Newton step only reflects negative curvature: near a
maximum or saddle x̄ it is about -B⁻¹∇f, of the size of ||∇f||, so from 10⁻⁹ off a
maximum the gradient test ||∇f|| <= tol passes at once and x̄ would be returned.  With
the exact Hessian at hand, Newton uses its eigenvector d of λ_min = λ_min(H) instead
(d a unit vector, signed so that g·d <= 0), in three places:

* where the run would stop successfully (||g|| <= tol, or a step below ``xtol``, or the
  rounding floor) but λ_min < -10⁻⁸·max(1, max|λ|): x + α d, α from the curvilinear
  Armijo condition f(x + α d) <= f + c₁(α g·d + ½α²λ_min) (halving from α = 1, then
  doubling while that pays; :func:`~.line_search.curvature_search`);
* at every iteration with such negative curvature (and ``line_search=True``): the best
  of that step and the modified Newton step (the lower f) is taken, so Newton does not
  creep away from a saddle by the modified steps' factor-of-two growth (the
  negative-curvature step also replaces a failed line search);
* when the accepted full step α = ``alpha`` runs along non-positive curvature
  (pᵀHp <= 0, the quadratic model unbounded below along p), α is doubled while each
  doubling adds at least half the decrease so far, i.e. while f falls about linearly or
  faster (:func:`~.line_search.expand`).

So the run reports success only where the second-order necessary conditions hold to
tolerance: ||∇f|| <= tol (or the xtol / rounding-floor stops) and λ_min >= -10⁻⁸·max(1,
max|λ|).  If no step along d decreases f, the run stops with status SADDLE
(``success=False``, the message says "saddle point" or "local maximum").  Pure Newton
(``modification=None``) takes no such steps: it solves ∇f = 0 and finds maxima and
saddles as readily as minima, and reports them with status SADDLE too.

**Unbounded below.**  f below -10³⁰·max(1, |f(x₀)|) (or -inf) stops the run with status
UNBOUNDED.  The doubling searches above reach that threshold in one iteration on f = -x₁
(where H = 0 and the shifted step is g/δ) or on x³; without them the iterates would
creep down by a constant or geometric factor per iteration for all ``maxiter``.
``nneg`` in the result counts the negative-curvature steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .line_search import at_rounding_floor, backtracking, curvature_search, expand
from .problem import (
    Curvature,
    Problem,
    curvature,
    finite,
    norm,
    rounding_message,
    saddle_message,
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
    """Newton's method: x_{k+1} = x_k - α_k B_k⁻¹ ∇f(x_k), B_k = ∇²f(x_k) or its modification,
    with steps along directions of negative curvature where ∇²f(x_k) has them."""
    check_modification(modification, delta)
    if not (isinstance(alpha, (int, float, np.floating)) and np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha (the Newton step length) must be a positive number, got {alpha!r}")
    x, nit, nmod, nneg = problem.x0.copy(), 0, 0, 0

    def done(status: Status, message: str) -> OptimizeResult:
        return problem.result(x, f, nit, status, message, jac=g, hess=h, nmod=nmod, nneg=nneg)

    def value_along(d: np.ndarray) -> Callable[[float], float]:
        """φ(a) = f(x + a d) at the current x."""
        return lambda a: problem.value(x + a * d)

    def curvature_step(curv: Curvature) -> tuple[np.ndarray, float] | None:
        """(s, f(x + s)): a step along the eigenvector of λ_min, downhill, or None."""
        d = curv.direction if float(g @ curv.direction) <= 0.0 else -curv.direction
        found = curvature_search(value_along(d), f, float(g @ d), curv.lam_min, 1.0,
                                 problem.unbounded_bound())
        return None if found is None else (found[0] * d, found[1])

    def saddle(curv: Curvature, gn: float) -> OptimizeResult:
        why = ("pure Newton (modification=None) solves ∇f = 0 and converges to any critical point; "
               "use modification='shift' or method='newton-trust' to minimise" if modification is None
               else "no step along the eigenvector of negative curvature decreases f (the curvature is "
               "below the resolution of f, or f is not smooth here)")
        return done(Status.SADDLE, saddle_message(nit, gn, tol, curv, why))

    f, g, h = problem.value_grad_hessian(x)
    while True:
        stop = problem.visit(x, f, g, nit)
        stopped = second_order_stop(problem, f, g, h, nit, stop, tol, maxiter)
        if stopped is not None:
            return done(*stopped)
        gn = norm(g)
        # a point where Newton would stop successfully, or p = None: is there negative curvature?
        escape: Curvature | None = None
        p: np.ndarray | None = None
        modified = False
        if gn <= tol:  # first-order point, negative curvature (else second_order_stop converged)
            escape = curvature(h)
        else:
            p, modified = newton_direction(g, h, modification, delta)
            if p is None:
                return done(Status.SINGULAR, (
                    f"Singular Hessian at iteration {nit} (gradient norm {gn:.3g}): pure Newton "
                    "(modification=None) cannot solve for the step; use modification='shift' or "
                    "'levenberg', or method='newton-trust'."))
            nmod += modified
            if small_step(p, x, xtol):
                curv = curvature(h)
                if not curv.negative:
                    return done(Status.SMALL_STEP, (
                        f"Converged: Newton step {norm(p):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} "
                        f"after {nit} iterations (gradient norm {gn:.3g}, at its rounding floor)."))
                escape = curv
        if escape is not None:
            if modification is None:
                return saddle(escape, gn)
            found_nc = curvature_step(escape)
            if found_nc is None:
                return saddle(escape, gn)
            x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
            f, g, h = problem.value_grad_hessian(x)
            continue
        assert p is not None
        step = alpha
        if line_search:
            slope = float(g @ p)
            if slope < 0 and at_rounding_floor(f, -slope * alpha):
                # values of f cannot show the decrease; the gradient norm can
                trial = problem.value_grad_hessian(x + alpha * p)
                if not (finite(*trial) and norm(trial[1]) < gn):
                    curv = curvature(h)
                    if not curv.negative:
                        return done(Status.ROUNDING, rounding_message(nit, -slope * alpha, f, gn))
                    found_nc = curvature_step(curv) if modification is not None else None
                    if found_nc is None:
                        return saddle(curv, gn)
                    x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
                    f, g, h = problem.value_grad_hessian(x)
                    continue
                x, nit = x + alpha * p, nit + 1
                f, g, h = trial
                continue
            found = backtracking(value_along(p), f, slope, alpha)
            if found is not None and found[0] == alpha and float(p @ h @ p) <= 0.0:
                # the model is unbounded below along p and the full step was accepted: go farther
                found = expand(value_along(p), f, found[0], found[1], problem.unbounded_bound())
            if modified and modification is not None:
                curv = curvature(h)
                if curv.negative:
                    # compare with a step along the direction of most negative curvature
                    found_nc = curvature_step(curv)
                    if found_nc is not None and (found is None or found_nc[1] < found[1]):
                        x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
                        f, g, h = problem.value_grad_hessian(x)
                        continue
            if found is None:
                why = ("the Newton direction is not a descent direction (the Hessian is not positive "
                       "definite; use modification='shift')" if not slope < 0 else
                       "no step along the Newton direction decreases f (is f continuous?)")
                return done(Status.NO_DECREASE, f"Line search failed at iteration {nit}: {why}; "
                                                f"gradient norm {gn:.3g}.")
            step = found[0]
        x, nit = x + step * p, nit + 1
        f, g, h = problem.value_grad_hessian(x)
