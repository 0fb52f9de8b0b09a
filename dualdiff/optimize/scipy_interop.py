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


def scipy_derivatives(f: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """``dict(jac=..., hess=..., hessp=...)`` for ``scipy.optimize.minimize(f, x0, **d)``.

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
