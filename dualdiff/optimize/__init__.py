"""Optimisation with exact derivatives: minimisers, Newton root finders and critical-point
analysis built on dualdiff's transforms.

>>> import numpy as np
>>> from dualdiff.optimize import minimize
>>> rosen = lambda x: (1 - x[0])**2 + 100 * (x[1] - x[0]**2)**2
>>> res = minimize(rosen, np.array([-1.2, 1.0]), method="newton")
>>> bool(res.success), np.allclose(res.x, [1.0, 1.0])
(True, True)

Every solver takes its gradients, Hessians and Jacobians from ``dd.value_and_grad``,
``dd.value_grad_hessian`` and ``dd.jacobian`` / ``dd.derivative``, so f may be plain
Python (``x[i]``, loops, ``dd.sin``, ``from dualdiff import math``), numpy-vectorised, or
anything else the transforms differentiate.

Minimisation — ``minimize(f, x0, method=..., tol=1e-8, maxiter=..., callback=...,
record_path=False, args=(), **options)`` returns an :class:`OptimizeResult`
(``x, fun, jac, hess, nit, nfev, njev, nhev, success, status, message`` and ``path``):

* ``"gd"``: x ← x - α∇f(x), fixed α (``learning_rate``/``alpha``) or Armijo backtracking
  (``line_search=True``);
* ``"momentum"`` (heavy ball): v ← βv - α∇f(x), x ← x + v;
* ``"nesterov"``: v ← βv - α∇f(x + βv), x ← x + v;
* ``"newton"`` (default): x ← x - α B⁻¹∇f(x), B = ∇²f(x) by Cholesky, or an eigenvalue-
  shifted / Levenberg-damped ∇²f(x) where that is not positive definite, α by
  backtracking: f never increases (beyond rounding), and convergence is quadratic near
  a minimum;
* ``"newton-trust"``: trust-region Newton with the exact (Moré–Sorensen) subproblem.

The Newton methods report ``success`` only where the second-order conditions for a minimum
hold to tolerance (||∇f|| <= tol and no Hessian eigenvalue below -1e-8·max(1, max|λ|)); they
leave saddles and maxima along directions of negative curvature, and stop with status
SADDLE where they cannot.  Every method stops with status UNBOUNDED when f falls below
-1e30·max(1, |f(x0)|) (f decreasing without bound).

Sparse — ``minimize(f, x0, method="newton", sparse=True)`` (Hessian by
``dualdiff.sparse.hessian``, step by a sparse factorisation), ``minimize(F, x0,
method="newton", separable=True)`` (minimises ``F(x).sum()``, value, gradient and Hessian
from one ``sparse.sum_hessian`` pass) and ``least_squares(F, x0)`` (½||F||² by
Levenberg–Marquardt with the exact sparse Jacobian): see :mod:`.sparse_newton` and
:mod:`.least_squares`.

Roots — ``root(F, x0)`` and ``root_scalar(f, x0)``: Newton's method x ← x - α J⁻¹F(x)
with the exact Jacobian, α by backtracking on ||F||.

Critical points — ``classify_critical_point(f, x, tol=1e-6)`` (the second-derivative test:
minimum, maximum, saddle or degenerate, from the Hessian's eigenvalues; "not critical"
where ||∇f(x)|| > tol) and
``condition_number(f, x)`` (max|λ| / min|λ| of the Hessian).

scipy — ``scipy_derivatives(f)`` returns ``dict(jac=..., hess=..., hessp=...)`` (from
``dd.grad``, ``dd.hessian`` and ``dd.hvp``) for :func:`scipy.optimize.minimize`::

    from scipy.optimize import minimize as sp_minimize
    d = scipy_derivatives(f)
    sp_minimize(f, x0, method="trust-exact", jac=d["jac"], hess=d["hess"])
    sp_minimize(f, x0, method="Newton-CG", jac=d["jac"], hessp=d["hessp"])
    sp_minimize(f, x0, method="trust-ncg", **d)     # scipy uses hess when both are given
    sp_minimize(f, x0, method="BFGS", jac=dd.grad(f))

``hessp(x, p, *args) = dd.hvp(f, x, p, *args)`` costs about n/chunk gradient-sized passes
and never forms the n × n Hessian.
"""

from __future__ import annotations

from .critical import CriticalPoint, classify_critical_point, condition_number
from .least_squares import least_squares
from .methods import METHODS, minimize
from .result import OptimizeResult, Path, Status
from .roots import root, root_scalar
from .scipy_interop import scipy_derivatives

__all__ = [
    "minimize", "least_squares", "root", "root_scalar", "classify_critical_point", "condition_number",
    "OptimizeResult", "CriticalPoint", "scipy_derivatives", "Path", "Status", "METHODS",
]
