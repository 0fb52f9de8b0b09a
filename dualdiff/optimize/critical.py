"""Critical points: the second-derivative test and the Hessian's condition number.

At a critical point x* (∇f(x*) = 0), f(x* + h) = f(x*) + ½ hᵀ H h + O(|h|³) with
H = ∇²f(x*).  With the eigenvalues λ_1 <= ... <= λ_n of H:

* all λ_i > 0: a strict local **minimum**;  all λ_i < 0: a strict local **maximum**;
* some λ_i > 0 and some λ_j < 0: a **saddle** (f rises along one eigenvector and
  falls along another);
* otherwise some λ_i = 0 and the rest share a sign: **degenerate**, the test is
  inconclusive (higher-order terms decide: x⁴, -x⁴ and x³ all have H = 0 at 0).

The test says nothing at a point that is not critical: there f(x + h) = f(x) + ∇f·h + ...
falls along -∇f whatever H is.  So where ||∇f(x)|| > ``tol`` the kind is **"not critical"**
(the eigenvalues are still reported).  The default ``tol`` = 10⁻⁶ is absolute: a
gradient tolerance relative to |f(x)| would let adding a constant to f (10⁸ + (x - 1)²)
turn a non-critical point into a "minimum".  For an f whose gradient cannot get that
small in floating point (|f| ~ 10¹², or a result ``minimize`` returned with status
ROUNDING), pass a larger ``tol``.

"Zero" means |λ| <= ``eig_tol`` · max(1, max|λ|).  For a scalar x the single
"eigenvalue" is f''(x) (from ``dd.second_derivative``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import transforms as _t
from .problem import as_start


@dataclass(frozen=True)
class CriticalPoint:
    """The second-derivative test at x.

    ``kind`` is "minimum", "maximum", "saddle" or "degenerate" (from the Hessian's
    eigenvalues) when x is critical (``is_critical``: ``gradient_norm <= tol``), and
    "not critical" otherwise.  ``eigenvalues`` are ascending (reported in either case).
    """

    kind: str
    eigenvalues: np.ndarray
    gradient_norm: float
    is_critical: bool
    x: Any
    value: float
    gradient: Any
    hessian: Any

    def __str__(self) -> str:
        where = "critical point" if self.is_critical else "the gradient is not small"
        return (f"{self.kind} ({where}: |grad f| = {self.gradient_norm:.3g}; Hessian eigenvalues "
                f"{np.array2string(self.eigenvalues, precision=6, threshold=10)})")


def _kind(eigenvalues: np.ndarray, eig_tol: float) -> str:
    zero = eig_tol * max(1.0, float(np.abs(eigenvalues).max()))
    pos, neg = bool(np.any(eigenvalues > zero)), bool(np.any(eigenvalues < -zero))
    if pos and neg:
        return "saddle"
    if np.all(np.abs(eigenvalues) > zero):
        return "minimum" if pos else "maximum"
    return "degenerate"


def _derivatives(f: Callable[..., Any], x: Any, args: tuple) -> tuple[Any, float, Any, Any, np.ndarray]:
    """(x, f, g, H, eigenvalues of H) at x; scalar x by derivative/second_derivative."""
    a = as_start(x, "classify_critical_point")
    if a.ndim == 0:
        x = float(a)
        value = float(f(np.float64(x), *args))
        g = float(_t.derivative(f)(x, *args))
        h = float(_t.second_derivative(f)(x, *args))
        return x, value, g, h, np.array([h])
    value, g, h = _t.value_grad_hessian(f)(a, *args)
    n = a.size
    hm = np.asarray(h, dtype=np.float64).reshape(n, n)
    if not np.all(np.isfinite(hm)):
        raise ValueError(f"the Hessian at x is not finite: {hm}")
    return a, float(value), g, h, np.linalg.eigvalsh(hm)


def classify_critical_point(f: Callable[..., Any], x: Any, tol: float = 1e-6, eig_tol: float = 1e-8,
                            args: tuple = ()) -> CriticalPoint:
    """Classify x by ∇f(x) and the eigenvalues of ∇²f(x).

    ``tol`` is the gradient tolerance: x is critical (``is_critical``) when
    ||∇f(x)||₂ <= tol (absolute, default 10⁻⁶).  Then ``kind`` is "minimum" (all λ > 0),
    "maximum" (all λ < 0), "saddle" (both signs) or "degenerate" (a zero eigenvalue, no
    sign change: inconclusive); otherwise ``kind`` is "not critical".  An eigenvalue counts
    as zero when |λ| <= eig_tol · max(1, max|λ|).  The result also carries the ascending
    ``eigenvalues``, ``gradient_norm``, ``x``, ``value`` f(x), ``gradient`` and ``hessian``.
    """
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not tol >= 0:
        raise ValueError(f"tol (the gradient tolerance) must be a non-negative number, got {tol!r}")
    xa, value, g, h, lam = _derivatives(f, x, args)
    gnorm = float(np.linalg.norm(np.ravel(g)))
    critical = gnorm <= tol
    return CriticalPoint(kind=_kind(lam, eig_tol) if critical else "not critical", eigenvalues=lam,
                         gradient_norm=gnorm, is_critical=critical, x=xa, value=value, gradient=g, hessian=h)


def condition_number(f: Callable[..., Any], x: Any, args: tuple = ()) -> float:
    """κ(∇²f(x)) = max|λ| / min|λ| over the Hessian's eigenvalues (inf if singular).

    It measures how elongated the level sets are near x: gradient descent needs
    O(κ) iterations to converge near a minimum, Newton's method is unaffected.
    """
    if not isinstance(args, tuple):
        args = (args,)
    lam = np.abs(_derivatives(f, x, args)[4])
    small, big = float(lam.min()), float(lam.max())
    if big == 0.0 or small == 0.0:
        return float("inf")
    return big / small
