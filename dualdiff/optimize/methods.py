"""``minimize``: the method registry and the common front end.

=================  ==========================================================  ================
method             update                                                       derivatives
=================  ==========================================================  ================
``"gd"``           x ← x - α ∇f (fixed α, or Armijo backtracking)               gradient
``"momentum"``     v ← β v - α ∇f(x),  x ← x + v                                 gradient
``"nesterov"``     v ← β v - α ∇f(x + β v),  x ← x + v                           gradient
``"newton"``       x ← x - α B⁻¹ ∇f,  B = ∇²f or a positive definite modification  Hessian
``"newton-trust"`` x ← x + argmin_{|p|<=Δ} m(p), exact subproblem                Hessian
=================  ==========================================================  ================
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .gradient_methods import gradient_descent, momentum, nesterov
from .newton import newton
from .problem import Problem
from .result import OptimizeResult
from .trust_region import newton_trust

Solver = Callable[..., OptimizeResult]

METHODS: dict[str, Solver] = {
    "gd": gradient_descent,
    "momentum": momentum,
    "nesterov": nesterov,
    "newton": newton,
    "newton-trust": newton_trust,
}



def default_maxiter(method: str, n: int) -> int:
    """Iterations allowed when ``maxiter`` is not given: 10000 for the first-order methods,
    200·n for the Newton methods (scipy's default for its trust-region methods)."""
    return 10_000 if method in ("gd", "momentum", "nesterov") else 200 * max(n, 1)


def method_options(method: str) -> list[str]:
    """The keyword options ``minimize(..., method=method, **options)`` accepts."""
    params = inspect.signature(METHODS[method]).parameters
    return [name for name in params if name not in ("problem", "tol", "maxiter", "xtol")]


def _solver(method: Any) -> str:
    name = method.lower() if isinstance(method, str) else method
    if name not in METHODS:
        raise ValueError(f"unknown method {method!r}; the methods are {', '.join(map(repr, METHODS))}")
    return name


def _positive(name: str, value: Any, integer: bool = False) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kinds) or not value >= 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def minimize(f: Callable[..., Any], x0: Any, method: str = "newton", tol: float = 1e-8,
             maxiter: int | None = None, callback: Callable[..., Any] | None = None,
             record_path: bool = False, args: tuple = (), xtol: float = 1e-14,
             sparse: bool = False, separable: bool = False, **options: Any) -> OptimizeResult:
    """Minimise the scalar function f from x0, with derivatives from dualdiff.

    Parameters
    ----------
    f : callable
        ``f(x, *args) -> float``; plain Python (``x[i]``, loops, ``dd.sin``,
        ``from dualdiff import math``), numpy-vectorised, or numba.  Gradients and
        Hessians come from ``dd.value_and_grad`` / ``dd.value_grad_hessian``.
    x0 : float or array_like
        The start; any shape (f receives arrays of that shape).  A float x0 gives a float x.
    method : str
        ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"newton"`` (default) or ``"newton-trust"``.
    tol : float
        Converged when ||∇f(x)|| <= tol (2-norm; default 1e-8), and, for the Newton methods,
        the Hessian has no negative eigenvalue below -1e-8·max(1, max|λ|) (the second-order
        conditions for a minimum): at a saddle or maximum they step along the eigenvector of
        the most negative eigenvalue instead, and stop with status SADDLE (``success=False``)
        if that cannot decrease f.
    maxiter : int, optional
        Iterations allowed (default 10000 for the gradient methods, 200·n for Newton).
    callback : callable, optional
        Called after each iteration with x_k (a copy shaped like x0), or, if its only
        parameter is named ``intermediate_result``, with an OptimizeResult holding
        ``x, fun, jac, nit`` (as in scipy).  Returning True or raising StopIteration stops
        the run (status CALLBACK, ``success=False``).
    record_path : bool
        Attach ``res.path`` with every iterate ``path.x[k]`` and value ``path.fun[k]``.
    args : tuple
        Extra positional arguments for f.
    xtol : float
        Also stop (successfully) when the full step is below ``xtol · (1 + ||x||)``: x has
        stopped moving, and the gradient is at its rounding floor.  0 disables the test.
    sparse : bool
        ``method="newton"`` only: the Hessian as a sparse matrix by
        ``dualdiff.sparse.hessian(f)`` (pattern detected once) and the Newton step by a
        sparse factorisation (:mod:`dualdiff.optimize.sparse_newton`); ``res.hess`` is CSR.
    separable : bool
        ``method="newton"`` only: f is the *vector of terms* F and the objective is
        ``F(x).sum()``; value, gradient and sparse Hessian come from one compressed pass of
        ``dualdiff.sparse.sum_hessian(F)`` per iteration (implies ``sparse``; ``res.fun``
        is the sum).
    **options
        Method options: ``"gd"``: ``learning_rate`` (alias ``alpha``), ``line_search``;
        ``"momentum"``, ``"nesterov"``: ``learning_rate``/``alpha``, ``momentum`` (β);
        ``"newton"``: ``alpha``, ``line_search``, ``modification``, ``delta`` (and, with
        ``sparse``/``separable``, ``pattern``: the pattern passed to the sparse transform;
        ``modification`` then one of ``"shift"``, ``"levenberg"``, None);
        ``"newton-trust"``: ``initial_trust_radius``, ``max_trust_radius``, ``eta``.

    Returns
    -------
    OptimizeResult
        ``x, fun, jac, hess`` (Newton methods), ``nit, nfev, njev, nhev, success, status,
        message`` and, with ``record_path=True``, ``path``.  Every method stops with status
        UNBOUNDED (``success=False``, a message saying "unbounded") once f falls below
        -1e30·max(1, |f(x0)|) or to -inf.

    Raises
    ------
    ValueError
        for an unknown method or option value, a non-finite x0, or an x0 that f cannot
        take; TypeError for an unknown option or an f that does not return a scalar.
    """
    name = _solver(method)
    if sparse or separable:
        if name != "newton":
            raise ValueError(f"sparse=True and separable=True need method='newton', got {method!r}")
        return _sparse_minimize(f, x0, tol, maxiter, callback, record_path, args, xtol, separable, options)
    allowed = method_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"method {name!r} has no option(s) {', '.join(map(repr, unknown))}; "
                        f"its options are {', '.join(map(repr, allowed))}")
    _positive("tol", tol)
    _positive("xtol", xtol)
    if maxiter is not None:
        _positive("maxiter", maxiter, integer=True)
    problem = Problem(f, x0, args, who="minimize", callback=callback, record_path=record_path)
    if maxiter is None:
        maxiter = default_maxiter(name, problem.n)
    return METHODS[name](problem, tol=float(tol), maxiter=int(maxiter), xtol=float(xtol), **options)


def _sparse_minimize(f: Callable[..., Any], x0: Any, tol: float, maxiter: int | None,
                     callback: Callable[..., Any] | None, record_path: bool, args: tuple, xtol: float,
                     separable: bool, options: dict[str, Any]) -> OptimizeResult:
    """``minimize(..., method="newton", sparse=True / separable=True)``."""
    from .sparse_newton import sparse_newton  # scipy.sparse: imported only when asked for

    allowed = [name for name in inspect.signature(sparse_newton).parameters
               if name not in ("problem", "tol", "maxiter", "xtol", "terms")]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"the sparse Newton method has no option(s) {', '.join(map(repr, unknown))}; "
                        f"its options are {', '.join(map(repr, allowed))}")
    _positive("tol", tol)
    _positive("xtol", xtol)
    if maxiter is not None:
        _positive("maxiter", maxiter, integer=True)
    terms = None
    objective = f
    if separable:
        if not callable(f):
            raise TypeError(f"minimize needs a function, got {type(f).__name__}")
        terms = f

        def objective(x: Any, *a: Any) -> Any:
            return np.sum(terms(x, *a))

    problem = Problem(objective, x0, args, who="minimize", callback=callback, record_path=record_path)
    if maxiter is None:
        maxiter = default_maxiter("newton", problem.n)
    return sparse_newton(problem, tol=float(tol), maxiter=int(maxiter), xtol=float(xtol), terms=terms,
                         **options)
