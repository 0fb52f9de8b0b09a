"""Newton's method with sparse Hessians: ``minimize(f, x0, method="newton", sparse=True)``
and ``minimize(F, x0, method="newton", separable=True)``.

The iteration is the dense method's (:mod:`.newton`): solve B p = -g and take
x_{k+1} = x_k + α_k p by Armijo backtracking, with B = H = ∇²f(x_k) when H is positive
definite; only the linear algebra is sparse (:mod:`.sparse_linalg`):

* **derivatives.**  ``sparse=True``: H = ``dualdiff.sparse.hessian(f)(x)`` (pattern
  detected once, coloured, compressed hyper-dual passes; its cost is about n·c lanes, see
  docs/sparse.md) and f, ∇f from ``dd.value_and_grad``.  ``separable=True``: f(x) =
  Σ_k F_k(x) is given as the vector of its terms F, and f, ∇f and H all come from one
  compressed pass ``dualdiff.sparse.sum_hessian(F)(x)`` of c + c² lanes (c = 2 for
  extended Rosenbrock), linear in n.
* **Newton step.**  B = H if a Cholesky-like factorisation of H succeeds with positive
  pivots (CHOLMOD when scikit-sparse is installed, else SuperLU LDLᵀ with diagonal pivots:
  positive pivots ⟺ H positive definite, by Sylvester's law of inertia).  Otherwise
  (``modification``):

  - ``"shift"`` (default): B = H + τI, τ = -λ_min + max(|λ_min|, δ), δ = ``delta``·max|λ|,
    the dense method's eigenvalue shift, with λ_min, λ_max from Lanczos (``eigsh``; a
    dense ``eigh`` for n <= 500, so small problems repeat the dense iterates); if
    Lanczos does not converge, or H + τI still fails to factorise, Levenberg doubling
    from there;
  - ``"levenberg"``: B = H + τI, τ = τ₀, 2τ₀, ... (β = 10⁻³·max|H_ij|, τ₀ = max(0, β - min
    H_ii)) until the factorisation succeeds: no eigenvalues at all;
  - ``None``: pure Newton by sparse LU; a singular H stops with status SINGULAR.

  (The dense ``"abs"`` modification needs every eigenvector and is not offered.)
* **Negative curvature.**  Where H is not positive definite the smallest eigenpair
  (λ_min, d) is computed (as above) and, as in the dense method, a step along d by the
  curvilinear search is compared with the modified Newton step (the lower f wins), and
  is taken where the run would otherwise stop.
* **Success** means ||∇f|| <= tol (or the xtol / rounding-floor stops) *and* no negative
  curvature: either H factorises with positive pivots (positive definite: no eigenvalue
  computed), or, where it does not, λ_min >= -10⁻⁸·max(1, max|λ|) by Lanczos.  If
  Lanczos does not converge at such a point the run stops with status SADDLE and says so
  (it cannot certify the second-order conditions).

The result is the dense method's :class:`~.result.OptimizeResult` with ``hess`` the
CSR Hessian (of the flattened x) at the returned x, and ``nmod``, ``nneg``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import sparse as _sparse
from .line_search import at_rounding_floor, backtracking, curvature_search, expand
from .problem import (
    Curvature,
    Problem,
    finite,
    norm,
    not_finite_message,
    rounding_message,
    saddle_message,
    small_step,
    stop_message,
    unbounded_message,
)
from .result import OptimizeResult, Status
from .sparse_linalg import extreme_curvature, factor_general, factor_pd, identity, max_abs

SPARSE_MODIFICATIONS = ("shift", "levenberg", None)

Triple = tuple[float, np.ndarray, sp.csr_array]


class SparseDerivatives:
    """(f, ∇f, ∇²f as CSR) at x, for a :class:`Problem`: counts the evaluations like the
    dense ``value_grad_hessian`` (one each of nfev, njev, nhev per call)."""

    def __init__(self, problem: Problem, terms: Callable[..., Any] | None, pattern: Any) -> None:
        self.problem = problem
        if terms is not None:  # separable: problem.f is the sum of the terms
            self._sum = _sparse.sum_hessian(terms, pattern=pattern)
        else:  # value, gradient and Hessian from one pass when f is found to be a sum of terms
            self._sum = _sparse.hessian(problem.f, pattern=pattern).value_grad_hessian

    def __call__(self, x: np.ndarray) -> Triple:
        p = self.problem
        p.nfev += 1
        p.njev += 1
        p.nhev += 1
        f, g, h = p._run(lambda z, *a: self._sum(z, *a), x)
        return (p._scalar(f), np.asarray(g, dtype=np.float64).reshape(p.n),
                sp.csr_array(h, dtype=np.float64))


def _levenberg(h: sp.csr_array, rhs: np.ndarray, tau0: float | None = None) -> np.ndarray | None:
    """Solve (H + τI) p = rhs for the first τ = τ₀, 2τ₀, ... (at least β) that factorises with
    positive pivots; β = 10⁻³·max|H_ij| (Nocedal & Wright, Algorithm 3.3)."""
    beta = 1e-3 * (max_abs(h) or 1.0)
    if tau0 is None:
        dmin = float(h.diagonal().min())
        tau0 = 0.0 if dmin > 0 else beta - dmin
    eye, tau = identity(h.shape[0]), tau0
    for _ in range(100):
        solve = factor_pd(h + tau * eye)
        if solve is not None:
            return solve(rhs)
        tau = max(2.0 * tau, beta)
    return None


def sparse_newton_direction(g: np.ndarray, h: sp.csr_array, modification: str | None, delta: float
                            ) -> tuple[np.ndarray | None, bool, bool, Curvature | None]:
    """(p, modified, positive_definite, curvature): the solution of B p = -g, whether B ≠ H,
    whether H factorised with positive pivots, and the eigen-information computed on the way
    (None if none was needed).  p is None only for ``modification=None`` and a singular H."""
    solve = factor_pd(h)
    if solve is not None:
        return solve(-g), False, True, None
    if modification is None:
        solve = factor_general(h)
        return (None if solve is None else solve(-g)), False, False, None
    if modification == "levenberg":
        return _levenberg(h, -g), True, False, None
    curv = extreme_curvature(h)
    if curv is None:
        return _levenberg(h, -g), True, False, None
    lam_min = curv.lam_min
    floor = delta * (float(np.abs(curv.eigenvalues).max()) or 1.0)
    tau = max(abs(lam_min), floor) - lam_min
    solve = factor_pd(h + tau * identity(h.shape[0]))
    p = solve(-g) if solve is not None else _levenberg(h, -g, tau0=tau)
    return p, True, False, curv


def check_sparse_modification(modification: str | None, delta: float) -> None:
    if modification not in SPARSE_MODIFICATIONS:
        raise ValueError(f"modification must be one of {SPARSE_MODIFICATIONS} for the sparse Newton method "
                         f"('abs' needs every eigenvector), got {modification!r}")
    if not (isinstance(delta, (int, float, np.floating)) and 0 < delta < 1):
        raise ValueError(f"delta must be a number in (0, 1), got {delta!r}")


def sparse_newton(problem: Problem, *, tol: float, maxiter: int, xtol: float, alpha: float = 1.0,
                  line_search: bool = True, modification: str | None = "shift", delta: float = 1e-8,
                  pattern: Any = "auto", terms: Callable[..., Any] | None = None) -> OptimizeResult:
    """Newton's method with sparse Hessians (module docstring): x_{k+1} = x_k - α_k B_k⁻¹ ∇f(x_k),
    B_k = ∇²f(x_k) (a sparse positive definite factorisation) or its modification.

    ``terms``: the element vector F for ``separable=True`` (``problem.f`` is then F(x).sum()).
    ``pattern``: passed to ``sparse.hessian`` (or ``sparse.sum_hessian``: the Jacobian
    pattern of F).
    """
    check_sparse_modification(modification, delta)
    if not (isinstance(alpha, (int, float, np.floating)) and np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha (the Newton step length) must be a positive number, got {alpha!r}")
    derivs = SparseDerivatives(problem, terms, pattern)
    x, nit, nmod, nneg = problem.x0.copy(), 0, 0, 0

    def done(status: Status, message: str) -> OptimizeResult:
        res = problem.result(x, f, nit, status, message, jac=g, nmod=nmod, nneg=nneg)
        res["hess"] = h
        return res

    def value_along(d: np.ndarray) -> Callable[[float], float]:
        return lambda a: problem.value(x + a * d)

    def curvature_step(curv: Curvature) -> tuple[np.ndarray, float] | None:
        d = curv.direction if float(g @ curv.direction) <= 0.0 else -curv.direction
        found = curvature_search(value_along(d), f, float(g @ d), curv.lam_min, 1.0,
                                 problem.unbounded_bound())
        return None if found is None else (found[0] * d, found[1])

    def second_order(curv: Curvature | None = None) -> Curvature | None | bool:
        """False if H is positive definite (no eigenvalues needed); else its Curvature (None
        if Lanczos did not converge)."""
        if curv is not None:
            return curv
        if factor_pd(h) is not None:
            return False
        return extreme_curvature(h)

    def uncertified(gn: float) -> OptimizeResult:
        return done(Status.SADDLE, (
            f"Stopped after {nit} iterations with gradient norm {gn:.3g} (tol = {tol:.3g}) where the "
            "Hessian is not positive definite and Lanczos (eigsh) did not find its smallest eigenvalue: "
            "the second-order conditions for a minimum cannot be certified."))

    def saddle(curv: Curvature, gn: float) -> OptimizeResult:
        why = ("pure Newton (modification=None) solves ∇f = 0 and converges to any critical point; "
               "use modification='shift' to minimise" if modification is None
               else "no step along the eigenvector of negative curvature decreases f")
        return done(Status.SADDLE, saddle_message(nit, gn, tol, curv, why))

    f, g, h = derivs(x)
    while True:
        stop = problem.visit(x, f, g, nit)
        if problem.unbounded(f):
            return done(Status.UNBOUNDED, unbounded_message(nit, f, problem.unbounded_bound()))
        if not finite(f, g, h.data):
            what = "f" if not finite(f) else "the gradient" if not finite(g) else "the Hessian"
            return done(Status.NOT_FINITE, not_finite_message(nit, what))
        gn = norm(g)
        escape: Curvature | None = None
        p: np.ndarray | None = None
        modified = False
        known: Curvature | None = None
        if gn <= tol:
            so = second_order()
            if so is False or (isinstance(so, Curvature) and not so.negative):
                return done(Status.CONVERGED, stop_message(Status.CONVERGED, nit, gn, tol))
            if so is None:
                return uncertified(gn)
            escape = so
        for status, hit in ((Status.CALLBACK, stop), (Status.MAXITER, nit >= maxiter)):
            if hit:
                return done(status, stop_message(status, nit, gn, tol))
        if escape is None:
            p, modified, _, known = sparse_newton_direction(g, h, modification, delta)
            if p is None:
                return done(Status.SINGULAR, (
                    f"Singular Hessian at iteration {nit} (gradient norm {gn:.3g}): pure Newton "
                    "(modification=None) cannot solve for the step; use modification='shift' or "
                    "'levenberg'."))
            nmod += modified
            if small_step(p, x, xtol):
                so = second_order(known)
                if so is None:
                    return uncertified(gn)
                if so is False or not so.negative:
                    return done(Status.SMALL_STEP, (
                        f"Converged: Newton step {norm(p):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} "
                        f"after {nit} iterations (gradient norm {gn:.3g}, at its rounding floor)."))
                escape = so
        if escape is not None:
            if modification is None:
                return saddle(escape, gn)
            found_nc = curvature_step(escape)
            if found_nc is None:
                return saddle(escape, gn)
            x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
            f, g, h = derivs(x)
            continue
        assert p is not None
        step = alpha
        if line_search:
            slope = float(g @ p)
            if slope < 0 and at_rounding_floor(f, -slope * alpha):
                trial = derivs(x + alpha * p)
                if not (finite(trial[0], trial[1], trial[2].data) and norm(trial[1]) < gn):
                    so = second_order(known)
                    if so is None:
                        return uncertified(gn)
                    if so is False or not so.negative:
                        return done(Status.ROUNDING, rounding_message(nit, -slope * alpha, f, gn))
                    found_nc = curvature_step(so) if modification is not None else None
                    if found_nc is None:
                        return saddle(so, gn)
                    x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
                    f, g, h = derivs(x)
                    continue
                x, nit = x + alpha * p, nit + 1
                f, g, h = trial
                continue
            found = backtracking(value_along(p), f, slope, alpha)
            if found is not None and found[0] == alpha and float(p @ (h @ p)) <= 0.0:
                found = expand(value_along(p), f, found[0], found[1], problem.unbounded_bound())
            if modified and modification is not None:
                curv = known if known is not None else extreme_curvature(h)
                if curv is not None and curv.negative:
                    found_nc = curvature_step(curv)
                    if found_nc is not None and (found is None or found_nc[1] < found[1]):
                        x, nit, nneg = x + found_nc[0], nit + 1, nneg + 1
                        f, g, h = derivs(x)
                        continue
            if found is None:
                why = ("the Newton direction is not a descent direction (the Hessian is not positive "
                       "definite; use modification='shift')" if not slope < 0 else
                       "no step along the Newton direction decreases f (is f continuous?)")
                return done(Status.NO_DECREASE, f"Line search failed at iteration {nit}: {why}; "
                                                f"gradient norm {gn:.3g}.")
            step = found[0]
        x, nit = x + step * p, nit + 1
        f, g, h = derivs(x)
