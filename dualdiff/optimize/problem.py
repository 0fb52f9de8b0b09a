"""The function to minimise (or the system to solve) as every solver sees it.

Solvers work on flat float64 vectors of n = x0.size elements.  :class:`Problem` turns
them back into what ``f`` expects (an array of x0's shape, or a numpy float for a scalar
x0), gets derivatives only through the dualdiff transforms (so every engine works),
counts evaluations, records the path, calls the callback, and assembles the
:class:`~dualdiff.optimize.result.OptimizeResult`.

Evaluations run under ``np.errstate(over, invalid, divide = "ignore")``: an overflow or
NaN is not an exception but a value the solvers detect and report (``Status.NOT_FINITE``,
or a shorter step in a line search).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import transforms as _t
from .result import OptimizeResult, Path, Status

Function = Callable[..., Any]


def as_start(x0: Any, who: str) -> np.ndarray:
    """x0 as a float64 array (0-d for a scalar); TypeError/ValueError for bad input."""
    if x0 is None or isinstance(x0, (str, bytes, dict, set, bool, np.bool_)):
        raise TypeError(f"{who} needs x0 to be a float or an array of floats, got {type(x0).__name__}")
    try:
        a = np.asarray(x0)
    except Exception as exc:  # ragged lists
        raise TypeError(f"{who} could not read x0 as an array of floats: {exc}") from exc
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{who} needs x0 to be a float or an array of real floats, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.size == 0:
        raise ValueError(f"{who} needs a non-empty x0")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{who} needs a finite x0, got {a if a.ndim else float(a)} (NaN or inf)")
    return a


def _is_new_style(callback: Function) -> bool:
    """scipy's convention: a callback whose one parameter is named ``intermediate_result``
    receives an OptimizeResult; any other callback receives x."""
    try:
        params = list(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        return False
    return params == ["intermediate_result"]


class Problem:
    """f (or F) with x0's shape, extra ``args``, counters, the path and the callback."""

    def __init__(self, f: Function, x0: Any, args: tuple = (), *, who: str = "minimize",
                 callback: Function | None = None, record_path: bool = False,
                 vector_output: bool = False) -> None:
        if not callable(f):
            raise TypeError(f"{who} needs a function, got {type(f).__name__}")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        if not isinstance(args, tuple):
            args = (args,)
        start = as_start(x0, who)
        self.f, self.args, self.who, self.vector_output = f, args, who, vector_output
        self.shape: tuple[int, ...] = start.shape
        self.scalar = start.ndim == 0
        self.x0 = start.ravel().copy()
        self.n = self.x0.size
        self.nfev = self.njev = self.nhev = 0
        self.callback = callback
        self.new_style_callback = callback is not None and _is_new_style(callback)
        self.record_path = record_path
        self.path_x: list[np.ndarray] = []
        self.path_f: list[Any] = []
        self._checked = False
        self._vg = _t.value_and_grad(f)
        self._vgh = _t.value_grad_hessian(f)
        self._jac = _t.derivative(f) if self.scalar else _t.jacobian(f)
        self.fshape: tuple[int, ...] = ()

    # -- shapes ------------------------------------------------------------------------

    def point(self, x: np.ndarray) -> Any:
        """The argument f sees for the flat vector x."""
        return np.float64(x[0]) if self.scalar else x.reshape(self.shape).copy()

    def output(self, x: np.ndarray) -> Any:
        """x as returned to the user: a float for a scalar x0, else an array of x0's shape."""
        return float(x[0]) if self.scalar else np.array(x, dtype=np.float64).reshape(self.shape)

    def output_matrix(self, h: np.ndarray) -> Any:
        return float(h[0, 0]) if self.scalar else h.reshape(self.shape + self.shape)

    # -- evaluations ---------------------------------------------------------------------

    def _run(self, fn: Function, x: np.ndarray) -> Any:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self._checked:
                return fn(self.point(x), *self.args)
            try:
                out = fn(self.point(x), *self.args)
            except (IndexError, ValueError, TypeError) as exc:
                self._diagnose(x, exc)
                raise
            self._checked = True
            return out

    def _diagnose(self, x: np.ndarray, exc: Exception) -> None:
        """Turn a failure at the first evaluation into an error naming the likely cause."""
        try:
            out = self.f(self.point(x), *self.args)
        except (IndexError, ValueError) as plain:
            text = str(plain)
            shape_error = isinstance(plain, IndexError) or any(
                word in text for word in ("shape", "broadcast", "index", "size", "dimension"))
            hint = "; does x0 have the shape f expects?" if shape_error else ""
            raise ValueError(f"{self.who}: f could not be evaluated at x0 of shape {self.shape} "
                             f"({type(plain).__name__}: {text}){hint}") from exc
        except Exception:
            return
        if np.shape(out) != () and not self.vector_output:
            raise TypeError(
                f"{self.who} needs f to return a scalar, but f(x0) has shape {np.shape(out)}") from exc

    def _scalar(self, v: Any) -> float:
        if np.shape(v) != ():
            raise TypeError(f"{self.who} needs f to return a scalar, but f returned shape {np.shape(v)}")
        if np.iscomplexobj(v):
            raise TypeError(f"{self.who} needs f to return a real number, got {v!r}")
        return float(v)

    def value(self, x: np.ndarray) -> float:
        """f(x) by a plain call (no derivatives)."""
        self.nfev += 1
        return self._scalar(self._run(self.f, x))

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """(f(x), ∇f(x)) from one gradient pass."""
        self.nfev += 1
        self.njev += 1
        f, g = self._run(self._vg, x)
        return self._scalar(f), np.asarray(g, dtype=np.float64).reshape(self.n)

    def value_grad_hessian(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(f(x), ∇f(x), ∇²f(x)) from one set of Hessian passes."""
        self.nfev += 1
        self.njev += 1
        self.nhev += 1
        f, g, h = self._run(self._vgh, x)
        return (self._scalar(f), np.asarray(g, dtype=np.float64).reshape(self.n),
                np.asarray(h, dtype=np.float64).reshape(self.n, self.n))

    def residual(self, x: np.ndarray) -> np.ndarray:
        """F(x) flattened, by a plain call (root finding)."""
        self.nfev += 1
        out = np.asarray(self._run(self.f, x))
        if out.dtype.kind not in "iuf":
            raise TypeError(f"{self.who} needs F to return real numbers, got dtype {out.dtype}")
        self.fshape = out.shape
        return out.astype(np.float64).ravel()

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """The Jacobian of F at x as an (m, n) matrix (``dd.derivative`` for a scalar x)."""
        self.njev += 1
        return np.asarray(self._run(self._jac, x), dtype=np.float64).reshape(-1, self.n)

    # -- progress ------------------------------------------------------------------------

    def visit(self, x: np.ndarray, fun: Any, jac: np.ndarray | None, nit: int) -> bool:
        """Record iterate ``nit`` and, after the start, report it to the callback.

        Returns True if the callback asks to stop (returns True or raises StopIteration).
        """
        if self.record_path:
            self.path_x.append(self.output(x))
            self.path_f.append(fun if np.ndim(fun) == 0 else np.array(fun))
        if self.callback is None or nit == 0:
            return False
        try:
            if self.new_style_callback:
                info = OptimizeResult(x=self.output(x), fun=fun, nit=nit)
                if jac is not None:
                    info["jac"] = self.output(jac)
                stop = self.callback(intermediate_result=info)
            else:
                stop = self.callback(self.output(x))
        except StopIteration:
            return True
        return bool(stop) if isinstance(stop, (bool, np.bool_)) else False

    def result(self, x: np.ndarray, fun: Any, nit: int, status: Status, message: str,
               jac: np.ndarray | None = None, hess: np.ndarray | None = None,
               **extra: Any) -> OptimizeResult:
        res = OptimizeResult(
            x=self.output(x), fun=fun, nit=nit, nfev=self.nfev, njev=self.njev, nhev=self.nhev,
            success=status.success, status=status, message=message)
        if jac is not None:
            res["jac"] = self.output(jac)
        if hess is not None:
            res["hess"] = self.output_matrix(hess)
        res.update(extra)
        if self.record_path:
            res["path"] = Path(x=np.array(self.path_x), fun=np.array(self.path_f, dtype=np.float64))
        return res


def finite(*arrays: Any) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


def norm(v: np.ndarray) -> float:
    with np.errstate(over="ignore"):
        return float(np.linalg.norm(v))


def small_step(step: np.ndarray, x: np.ndarray, xtol: float) -> bool:
    """||step|| <= xtol · (1 + ||x||): the iterate has (numerically) stopped moving."""
    return norm(step) <= xtol * (1.0 + norm(x))


def stop_message(status: Status, nit: int, gnorm: float, tol: float, what: str = "gradient norm") -> str:
    """The messages shared by the solvers."""
    if status is Status.CONVERGED:
        return f"Converged: {what} {gnorm:.3g} <= tol = {tol:.3g} after {nit} iterations."
    if status is Status.MAXITER:
        return (f"Maximum number of iterations ({nit}) reached without convergence: {what} "
                f"{gnorm:.3g} > tol = {tol:.3g}. Increase maxiter, or check the method's options.")
    if status is Status.CALLBACK:
        return f"Stopped by the callback after {nit} iterations ({what} {gnorm:.3g})."
    raise ValueError(status)


def not_finite_message(nit: int, what: str, hint: str = "") -> str:
    """The NOT_FINITE message; ``hint`` (a likely cause) applies after the start only."""
    if nit == 0:
        return f"Non-finite value: {what} is inf or NaN at the start x0."
    return f"Non-finite value: {what} is inf or NaN at iteration {nit}" + (f" ({hint})." if hint else ".")


def second_order_stop(f: float, g: np.ndarray, h: np.ndarray, nit: int, stop: bool, tol: float,
                      maxiter: int) -> tuple[Status, str] | None:
    """The stopping tests the second-order methods share: non-finite f/g/H, then
    ||g|| <= tol, a callback's request, maxiter.  None: go on iterating."""
    if not finite(f, g, h):
        what = "f" if not finite(f) else "the gradient" if not finite(g) else "the Hessian"
        return Status.NOT_FINITE, not_finite_message(nit, what)
    gn = norm(g)
    for status, hit in ((Status.CONVERGED, gn <= tol), (Status.CALLBACK, stop), (Status.MAXITER, nit >= maxiter)):
        if hit:
            return status, stop_message(status, nit, gn, tol)
    return None


def rounding_message(nit: int, decrease: float, f: float, gnorm: float) -> str:
    return (f"Converged to the rounding floor of f after {nit} iterations: a step could decrease f by "
            f"about {decrease:.3g}, below its rounding error ~{abs(f) * 2.0**-52:.3g}, so no computed "
            f"value can confirm progress (gradient norm {gnorm:.3g}; a larger tol, or f shifted "
            "to be near 0 at the minimum, avoids this).")
