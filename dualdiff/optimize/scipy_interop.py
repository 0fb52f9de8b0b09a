"""Exact derivatives for :func:`scipy.optimize.minimize`.

``dd.grad(f)``, ``dd.hessian(f)`` and ``dd.hvp`` already have the call signatures scipy
expects (extra ``args`` pass through), so::

    from scipy.optimize import minimize
    from dualdiff.optimize import scipy_derivatives

    d = scipy_derivatives(f)          # dict(jac=..., hess=..., hessp=...)
    res = minimize(f, x0, method="trust-exact", jac=d["jac"], hess=d["hess"])
    res = minimize(f, x0, method="Newton-CG", jac=d["jac"], hessp=d["hessp"])
    res = minimize(f, x0, method="BFGS", jac=dd.grad(f))      # the transforms plug in directly

scipy does not need to be installed to import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import transforms as _t


def scipy_derivatives(f: Callable[..., Any], sparse: bool = False, separable: bool = False,
                      residuals: bool = False, pattern: Any = "auto") -> dict[str, Callable[..., Any]]:
    """``dict(jac=..., hess=..., hessp=...)`` for ``scipy.optimize.minimize(f, x0, **d)``.

    Sparse variants (see :func:`_sparse_derivatives`): ``sparse=True`` makes ``hess``
    return ``dualdiff.sparse.hessian(f)(x)`` (a scipy sparse CSR array, for
    ``trust-constr``); ``separable=True`` takes f as the vector of terms F of
    ``F(x).sum()`` and returns ``dict(fun=..., jac=..., hess=...)`` from one
    ``sparse.sum_hessian`` pass per x (pass ``fun`` as scipy's objective);
    ``residuals=True`` takes f as a vector F and returns ``dict(jac=...)`` with the sparse
    Jacobian ``dualdiff.sparse.jacobian(F)(x)`` for :func:`scipy.optimize.least_squares`.

    * ``jac(x, *args)`` = ∇f(x)  (``dd.grad(f)``);
    * ``hess(x, *args)`` = ∇²f(x), exactly symmetric  (``dd.hessian(f)``);
    * ``hessp(x, p, *args)`` = ∇²f(x)·p without forming the Hessian  (``dd.hvp(f, x, p)``).

    scipy uses ``hess`` when both are given, so splatting the whole dict is right for
    ``"Newton-CG"``, ``"trust-ncg"``, ``"trust-krylov"`` and ``"trust-constr"``; for
    ``"trust-exact"`` and ``"dogleg"`` (which warn about an unused ``hessp``) pass
    ``jac=d["jac"], hess=d["hess"]``; for a large n without forming the Hessian, pass
    ``jac=d["jac"], hessp=d["hessp"]`` to ``"Newton-CG"``, ``"trust-ncg"`` or ``"trust-krylov"``.
    """
    if not callable(f):
        raise TypeError(f"scipy_derivatives needs a function, got {type(f).__name__}")
    if sparse or separable or residuals:
        return _sparse_derivatives(f, separable, residuals, pattern)
    grad, hess = _t.grad(f), _t.hessian(f)

    def jac(x: Any, *args: Any) -> np.ndarray:
        return np.asarray(grad(x, *args), dtype=np.float64)

    def hessian(x: Any, *args: Any) -> np.ndarray:
        return np.asarray(hess(x, *args), dtype=np.float64)

    def hessp(x: Any, p: Any, *args: Any) -> np.ndarray:
        return np.asarray(_t.hvp(f, x, p, *args), dtype=np.float64)

    jac.__doc__ = "∇f(x, *args) by dualdiff (dd.grad)."
    hessian.__doc__ = "∇²f(x, *args) by dualdiff (dd.hessian)."
    hessp.__doc__ = "∇²f(x, *args)·p by dualdiff (dd.hvp), without forming the Hessian."
    return {"jac": jac, "hess": hessian, "hessp": hessp}


def _last_x(triple: Callable[..., Any]) -> Callable[[Any, tuple], Any]:
    """``triple(x, *args)`` cached for the last (x, args): scipy calls fun, jac and hess at
    the same x."""
    cache: dict[str, Any] = {}

    def at(x: Any, args: tuple) -> Any:
        x = np.asarray(x, dtype=np.float64)
        key = cache.get("key")
        if key is None or key[1] != args or key[0].shape != x.shape or not np.array_equal(key[0], x):
            cache["key"] = (x.copy(), args)
            cache["value"] = triple(x, *args)
        return cache["value"]
    return at


def _sparse_derivatives(f: Callable[..., Any], separable: bool, residuals: bool, pattern: Any
                        ) -> dict[str, Callable[..., Any]]:
    """The sparse variants of :func:`scipy_derivatives`:

    * default (``sparse=True``): ``hess`` = ∇²f as CSR (``sparse.hessian(f)``), ``jac`` = ∇f
      (from the same pass when ``sparse.hessian`` finds f to be a sum of terms, so both
      are linear in n; else ``dd.grad``), ``hessp`` = ∇²f·p (``dd.hvp``): ``trust-constr``
      accepts the sparse ``hess`` and solves with it by projected CG;
    * ``separable=True``: f is the vector F; ``fun`` = F(x).sum(), ``jac`` its gradient and
      ``hess`` its CSR Hessian, the three from one ``sparse.sum_hessian(F)`` pass, cached
      for the last x (scipy calls fun, jac and hess at the same x);
    * ``residuals=True``: f is the vector F; ``jac`` = the CSR Jacobian
      ``sparse.jacobian(F)(x)`` for ``scipy.optimize.least_squares(F, x0, jac=d["jac"])``.
    """
    if separable and residuals:
        raise ValueError("separable=True (f is the vector of terms of a sum) and residuals=True "
                         "(f is a vector of residuals) exclude each other")
    from .. import sparse as _sparse

    if residuals:
        jac_F = _sparse.jacobian(f, pattern=pattern)

        def jac_sparse(x: Any, *args: Any) -> Any:
            return jac_F(np.asarray(x, dtype=np.float64), *args)

        jac_sparse.__doc__ = "The Jacobian of F(x, *args) as a CSR array (dualdiff.sparse.jacobian)."
        return {"jac": jac_sparse}
    if separable:
        at = _last_x(_sparse.sum_hessian(f, pattern=pattern))

        def fun(x: Any, *args: Any) -> float:
            return at(x, args)[0]

        def jac_sum(x: Any, *args: Any) -> np.ndarray:
            return at(x, args)[1].copy()

        def hess_sum(x: Any, *args: Any) -> Any:
            return at(x, args)[2]

        fun.__doc__ = "F(x, *args).sum() (dualdiff.sparse.sum_hessian, cached per x)."
        jac_sum.__doc__ = "The gradient of F(x, *args).sum() (same pass)."
        hess_sum.__doc__ = "The Hessian of F(x, *args).sum() as a CSR array (same pass)."
        return {"fun": fun, "jac": jac_sum, "hess": hess_sum}
    hess_f = _sparse.hessian(f, pattern=pattern)
    at = _last_x(hess_f.value_grad_hessian)

    def jac(x: Any, *args: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1 and hess_f.plan(x, *args).kind == "sum_hessian":
            return at(x, args)[1].copy()  # the sum method's pass: linear in n, H comes with it
        return np.asarray(_t.grad(f)(x, *args), dtype=np.float64)

    def hessian(x: Any, *args: Any) -> Any:
        return at(x, args)[2]

    def hessp(x: Any, p: Any, *args: Any) -> np.ndarray:
        return np.asarray(_t.hvp(f, x, p, *args), dtype=np.float64)

    jac.__doc__ = ("∇f(x, *args) by dualdiff: from the sum method's pass when sparse.hessian finds f "
                   "to be a sum of terms (cached per x, with the Hessian), else dd.grad.")
    hessian.__doc__ = "∇²f(x, *args) as a CSR array (dualdiff.sparse.hessian)."
    hessp.__doc__ = "∇²f(x, *args)·p by dualdiff (dd.hvp), without forming the Hessian."
    return {"jac": jac, "hess": hessian, "hessp": hessp}
