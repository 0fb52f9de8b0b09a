"""Trust-region Newton with the exact subproblem solution (``method="newton-trust"``).

Each iteration minimises the quadratic model of f inside a ball of radius Δ,

    min_p  m(p) = f + g·p + ½ pᵀ H p   subject to  ||p|| <= Δ,

exactly (Moré & Sorensen): p* solves it if and only if, for some σ >= 0,

    (H + σ I) p* = -g,    H + σ I positive semidefinite,    σ (Δ - ||p*||) = 0.

With the eigendecomposition H = Q Λ Qᵀ and ĝ = Qᵀ g, p(σ) = -Σ ĝ_i/(λ_i + σ) q_i, and
||p(σ)|| decreases from infinity to 0 on σ > max(0, -λ_min).  If H is positive definite
and the Newton step fits, σ = 0; otherwise σ is the root of the secular equation
1/||p(σ)|| = 1/Δ (Newton's method on it, safeguarded by bisection).  In the *hard case*
(ĝ has no component along the eigenvectors of λ_min and ||p(-λ_min)|| < Δ) the solution
is p(-λ_min) + τ q_min with τ chosen so that ||p|| = Δ.  Negative curvature is thus used,
not discarded: the method moves away from saddles and maxima.

A step is accepted when the ratio of actual to predicted reduction

    ρ = (f(x) - f(x + p)) / (m(0) - m(p))

exceeds η (default 0.15), so f never increases.  When the Newton step is interior and its
predicted reduction is below the rounding error of f, ρ is meaningless: the step is taken
if it reduces ||∇f|| (f may then change by a few ulps either way), and otherwise the run
stops with status ROUNDING.  The radius shrinks to ||p||/4 when
ρ < 1/4 and doubles (up to ``max_trust_radius``) when ρ > 3/4 and the step reached the
boundary.  The eigendecomposition costs O(n³) per iteration: meant for small n.

**Second-order success.**  ||∇f|| <= tol ends the run successfully only if the Hessian
has no negative curvature (λ_min >= -10⁻⁸·max(1, max|λ|)); otherwise the iteration goes
on, and the subproblem itself leaves the saddle or maximum: with g ≈ 0 it is the (nearly)
hard case, whose solution is a step of length Δ along the eigenvector of λ_min, predicted
to lower f by ½|λ_min|Δ².  If the radius collapses there without a decrease, the status
is SADDLE (``success=False``).  The SMALL_STEP and ROUNDING stops need σ = 0, i.e. a
positive definite H, so they are second-order points already.

**Unbounded below.**  f below -10³⁰·max(1, |f(x₀)|) (or -inf) stops the run with status
UNBOUNDED.  Since the radius is capped at ``max_trust_radius``, f = -x₁ would only fall by
that much per iteration; so when a step of the maximal length along non-positive model
curvature (pᵀHp <= 0) is accepted with ρ > 3/4, f is also probed at x + 2p, x + 4p, ...
while it keeps falling about linearly or faster (:func:`~.line_search.expand`), and the
iterate moves to the best of these points.
"""

from __future__ import annotations

import math

import numpy as np

from .line_search import at_rounding_floor, expand
from .problem import (
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


def solve_subproblem(g: np.ndarray, h: np.ndarray, radius: float, rtol: float = 1e-10
                     ) -> tuple[np.ndarray, float]:
    """(p, σ): the exact minimiser of g·p + ½ pᵀ H p over ||p|| <= radius and its multiplier."""
    lam, q = np.linalg.eigh(h)
    gh = q.T @ g
    lam_min = float(lam[0])
    scale = max(float(np.abs(lam).max()), np.finfo(float).tiny)
    gnorm = norm(g)
    if lam_min > 1e-14 * scale:
        p = -(q @ (gh / lam))
        if norm(p) <= radius:
            return p, 0.0
    lo = max(0.0, -lam_min)
    if lam_min <= 0.0:
        # the hard case: g has no component along the eigenvectors of λ_min
        flat = lam - lam_min <= 1e-12 * scale
        if np.all(np.abs(gh[flat]) <= 1e-12 * max(gnorm, np.finfo(float).tiny)):
            coeff = np.zeros_like(gh)
            coeff[~flat] = gh[~flat] / (lam[~flat] + lo)
            base = -(q @ coeff)
            if norm(base) <= radius:
                tau = math.sqrt(max(radius * radius - norm(base) ** 2, 0.0))
                return base + tau * q[:, 0], lo
    # the root of ψ(σ) = 1/||p(σ)|| - 1/Δ, increasing on (lo, hi]: ||p(hi)|| <= ||g||/(λ_min + hi) = Δ
    hi = max(gnorm / radius - lam_min, lo) * (1.0 + 1e-12) + np.finfo(float).tiny
    sigma = lo if lam_min > 0.0 else lo + 1e-6 * (hi - lo)
    for _ in range(200):
        d = lam + sigma
        r = gh / d
        plen = float(np.sqrt(r @ r))
        if abs(plen - radius) <= rtol * radius:
            break
        if plen > radius:
            lo = sigma
        else:
            hi = sigma
        if hi - lo <= 1e-15 * max(hi, np.finfo(float).tiny):
            break
        # Newton's method on ψ (Moré & Sorensen): ψ'(σ) = Σ ĝ²/(λ+σ)³ / ||p||³
        dpsi = float(np.sum(r * r / d)) / plen**3
        candidate = sigma - (1.0 / plen - 1.0 / radius) / dpsi if dpsi > 0 else lo
        sigma = candidate if lo < candidate < hi else 0.5 * (lo + hi)
    return -(q @ (gh / (lam + sigma))), sigma


def newton_trust(problem: Problem, *, tol: float, maxiter: int, xtol: float,
                 initial_trust_radius: float = 1.0, max_trust_radius: float = 1000.0,
                 eta: float = 0.15) -> OptimizeResult:
    """Trust-region Newton with exact Hessians and the exact (Moré–Sorensen) subproblem."""
    if not (0 < initial_trust_radius <= max_trust_radius):
        raise ValueError("need 0 < initial_trust_radius <= max_trust_radius, got "
                         f"{initial_trust_radius!r}, {max_trust_radius!r}")
    if not 0 <= eta < 0.25:
        raise ValueError(f"eta must be in [0, 1/4), got {eta!r}")
    x, nit, radius, nprobe = problem.x0.copy(), 0, float(initial_trust_radius), 0
    f, g, h = problem.value_grad_hessian(x)
    stop = problem.visit(x, f, g, nit)

    def done(status: Status, message: str) -> OptimizeResult:
        return problem.result(x, f, nit, status, message, jac=g, hess=h, trust_radius=radius)

    while True:
        stopped = second_order_stop(problem, f, g, h, nit, stop, tol, maxiter)
        if stopped is not None:
            return done(*stopped)
        gn = norm(g)
        p, sigma = solve_subproblem(g, h, radius)
        if sigma == 0.0 and small_step(p, x, xtol):
            return done(Status.SMALL_STEP, (
                f"Converged: Newton step {norm(p):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} after "
                f"{nit} iterations (gradient norm {gn:.3g}, at its rounding floor)."))
        curv_p = float(p @ h @ p)
        predicted = -(float(g @ p) + 0.5 * curv_p)
        if sigma == 0.0 and at_rounding_floor(f, predicted):
            # values of f cannot confirm the decrease; the gradient norm can
            trial = problem.value_grad_hessian(x + p)
            if not (finite(*trial) and norm(trial[1]) < gn):
                return done(Status.ROUNDING, rounding_message(nit, predicted, f, gn))
            x, nit = x + p, nit + 1
            f, g, h = trial
            stop = problem.visit(x, f, g, nit)
            continue
        f_new = problem.value(x + p)
        actual = f - f_new if math.isfinite(f_new) else -math.inf
        rho = actual / predicted if predicted > 0 else -math.inf
        plen = norm(p)
        step = p
        if rho < 0.25:
            radius = 0.25 * plen
        elif rho > 0.75 and plen >= 0.99 * radius:
            if plen >= 0.99 * max_trust_radius and curv_p <= 0.0:
                # the largest step allowed, the model unbounded below along it (no positive
                # curvature) and f following it: look farther along the ray, to tell an
                # objective that is unbounded below from a long way down
                a, _ = expand(lambda a: problem.value(x + a * p), f, 1.0, f_new, problem.unbounded_bound())
                step, nprobe = a * p, nprobe + 1
            radius = min(2.0 * radius, max_trust_radius)
        if rho > eta:
            x, nit = x + step, nit + 1
            f, g, h = problem.value_grad_hessian(x)
            stop = problem.visit(x, f, g, nit)
        elif radius <= np.finfo(float).eps * (1.0 + norm(x)):
            if gn <= tol:
                curv = curvature(h)
                return done(Status.SADDLE, saddle_message(
                    nit, gn, tol, curv, "no step within the trust region decreases f (the negative curvature "
                    "is below the resolution of f, or f is not smooth here)"))
            return done(Status.NO_DECREASE, (
                f"Trust region collapsed at iteration {nit}: no step decreases f (gradient norm "
                f"{gn:.3g}; is f continuous?)."))
