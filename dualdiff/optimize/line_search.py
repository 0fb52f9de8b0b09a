"""Backtracking (Armijo) line search.

Given a descent direction p at x (slope ``s = ∇f(x)·p < 0``), find a step α with the
sufficient-decrease (Armijo) condition

    f(x + α p) <= f(x) + c₁ α s,        c₁ = 1e-4,

starting from α₀ and shrinking.  Each shrink moves to the minimiser of the quadratic
interpolating f(x), s and f(x + α p),

    α_new = -s α² / (2 (f(x + α p) - f(x) - s α)),

safeguarded to [α/4, α/2] (a wider range, down to α/10, made Newton take many more,
shorter steps on extended Rosenbrock: far from a minimum f along a Newton direction is
not quadratic); a non-finite trial value shrinks α by 10.  Since s < 0,
every accepted step decreases f: the solvers using this never take an ascent step.

Near a minimum the decrease a step can make, about α₀|s|, can fall below the rounding
error of f itself (about ε|f|; f = 1 + 10⁻²⁰ x² has no measurable decrease anywhere
near 0).  No comparison of computed values can then confirm progress (a "decrease" by
an ulp is luck).  The solvers test :func:`at_rounding_floor` before searching: gradient
descent then stops successfully with status ROUNDING (as scipy's L-BFGS-B does on
"REL_REDUCTION_OF_F <= FACTR*EPSMCH"), Newton's methods judge the full step by ||∇f||.

Along a direction of non-positive curvature (pᵀ∇²f p <= 0) the quadratic model of f is
unbounded below and backtracking from α₀ would stop at a step that is merely "long
enough": :func:`expand` then doubles α while each doubling decreases f by at least half
the decrease so far (at most ``MAX_DOUBLINGS`` times, and no further once f is below the
"unbounded" bound), and
:func:`curvature_search` is the search along an eigenvector d of negative curvature
λ = dᵀ∇²f d < 0 at a point where the gradient may vanish: it asks for

    f(x + α d) <= f(x) + c₁ (α ∇f·d + ½ α² λ)

(the Armijo condition with the curvature term of the model, as in Moré & Sorensen's
curvilinear search), halving α from α₀ and then expanding.
"""

from __future__ import annotations

import math
from collections.abc import Callable

C1 = 1e-4
EPS = 2.0**-52
#: a decrease below FLOOR · ε · |f| is lost in the rounding error of f
FLOOR = 100.0
MAX_TRIALS = 60
#: 2^128 ≈ 3·10³⁸: from a step as short as 10⁻⁸, doubling reaches the 10³⁰ scale of "unbounded"
MAX_DOUBLINGS = 128


def backtracking(phi: Callable[[float], float], f0: float, slope: float, alpha0: float = 1.0,
                 c1: float = C1, max_trials: int = MAX_TRIALS) -> tuple[float, float] | None:
    """The first α = α₀, α₁, ... with ``phi(α) <= f0 + c1·α·slope``, and ``phi(α)``.

    ``phi(α) = f(x + α p)``.  Returns None if ``slope >= 0`` (p is not a descent
    direction) or no step satisfies the condition within ``max_trials`` evaluations.
    """
    if not slope < 0 or not alpha0 > 0:
        return None
    alpha = alpha0
    for _ in range(max_trials):
        fa = phi(alpha)
        if math.isfinite(fa):
            # fa < f0 as well: where c₁αs is below the rounding of f0, the sum rounds to f0
            # and a tie would pass for a decrease
            if fa <= f0 + c1 * alpha * slope and fa < f0:
                return alpha, fa
            curvature = fa - f0 - slope * alpha
            guess = -slope * alpha * alpha / (2.0 * curvature) if curvature > 0 else 0.5 * alpha
            alpha = min(max(guess, 0.25 * alpha), 0.5 * alpha)
        else:
            alpha *= 0.1
        if alpha == 0.0:
            break
    return None


def at_rounding_floor(f0: float, predicted_decrease: float) -> bool:
    """True if a decrease of ``predicted_decrease`` (α₀|s| for a line search, m(0) - m(p) for
    a trust region) is too small to be seen in computed values of f near ``f0``."""
    return 0.0 <= predicted_decrease <= FLOOR * EPS * abs(f0)


def expand(phi: Callable[[float], float], f0: float, alpha: float, f_alpha: float,
           stop_below: float = -math.inf, max_doublings: int = MAX_DOUBLINGS) -> tuple[float, float]:
    """From an accepted (α, phi(α)) with phi(α) < f0 = phi(0), double α while doubling keeps
    paying: ``phi(2α) <= phi(α) - ½ (f0 - phi(α))``; returns the last such pair.

    Along a line where f falls linearly or faster (f = -x, -x², x³: f unbounded below)
    every doubling at least doubles the decrease and passes; where f levels off (a convex
    stretch, an asymptote) the extra decrease shrinks and the expansion stops, rather than
    chase an asymptote to α ~ 2¹²⁸.  Stops also once ``phi(α) <= stop_below`` (f is
    already "unbounded") or after ``max_doublings`` doublings; NaN or +inf ends it, -inf is
    returned (f is unbounded below there).
    """
    for _ in range(max_doublings):
        if f_alpha <= stop_below:
            break
        trial = phi(2.0 * alpha)
        if not trial <= f_alpha - 0.5 * (f0 - f_alpha):  # NaN, +inf or too little further decrease
            break
        alpha, f_alpha = 2.0 * alpha, trial
    return alpha, f_alpha


def curvature_search(phi: Callable[[float], float], f0: float, slope: float, curvature: float,
                     alpha0: float = 1.0, stop_below: float = -math.inf, c1: float = C1,
                     max_trials: int = MAX_TRIALS) -> tuple[float, float] | None:
    """A step along a direction d of negative curvature: the first α = α₀, α₀/2, ... with

        phi(α) <= f0 + c1 (α·slope + ½ α²·curvature)   and   phi(α) < f0,

    then expanded by :func:`expand`.  ``slope = ∇f·d <= 0``, ``curvature = dᵀ∇²f d < 0``.  None if
    the inputs are not of that kind or no trial step decreases f enough (the negative
    curvature is lost in f's rounding, or f is not smooth).
    """
    if not (slope <= 0 and curvature < 0 and alpha0 > 0):
        return None
    alpha = alpha0
    for _ in range(max_trials):
        fa = phi(alpha)
        if fa == -math.inf:
            return alpha, fa
        if math.isfinite(fa) and fa < f0 and fa <= f0 + c1 * (alpha * slope + 0.5 * alpha * alpha * curvature):
            return expand(phi, f0, alpha, fa, stop_below)
        alpha *= 0.5 if math.isfinite(fa) else 0.1
        if alpha == 0.0:
            break
    return None
