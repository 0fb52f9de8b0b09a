"""The function to minimise (or the system to solve) as every solver sees it.

Solvers work on flat float64 vectors of n = x0.size elements.  :class:`Problem` turns
them back into what ``f`` expects (an array of x0's shape, or a numpy float for a scalar
x0), gets derivatives only through the dualdiff transforms (so every engine works),
counts evaluations, records the path, calls the callback, and assembles the
:class:`~dualdiff.optimize.result.OptimizeResult`.

Evaluations run under ``np.errstate(over, invalid, divide = "ignore")``: an overflow or
NaN is not an exception but a value the solvers detect and report (``Status.NOT_FINITE``,
or a shorter step in a line search).

Two tests shared by the solvers decide what a run may claim:

* **unbounded below** (:meth:`Problem.unbounded`): f(x_k) = -inf, or
  f(x_k) < -``UNBOUNDED_RATIO`` · max(1, |f(x0)|) with ``UNBOUNDED_RATIO`` = 10³⁰.  No
  finite minimum of a problem posed at the scale of f(x0) lies 30 orders of magnitude
  below it, so reaching there means f decreases without bound along the iterates
  (``Status.UNBOUNDED``).  The ratio is relative so that objectives of any scale
  (f ≈ -10²⁷ at a legitimate minimum, say) are not misjudged.
* **negative curvature** (:func:`curvature`): the Hessian's smallest eigenvalue
  λ_min < -``CURVATURE_RTOL`` · max(1, max|λ|), ``CURVATURE_RTOL`` = 10⁻⁸, the same "zero"
  as :func:`~dualdiff.optimize.classify_critical_point`'s default ``eig_tol``.  A point
  with ||∇f|| <= tol and no negative curvature satisfies the second-order necessary
  conditions of a minimum (∇f = 0, ∇²f positive semidefinite) to tolerance; with
  negative curvature it is a saddle or a maximum, whatever the gradient says.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _checks
from .. import transforms as _t
from .result import OptimizeResult, Path, Status

Function = Callable[..., Any]

#: f below -UNBOUNDED_RATIO · max(1, |f(x0)|) (or f = -inf) counts as unbounded below
UNBOUNDED_RATIO = 1e30
#: an eigenvalue below -CURVATURE_RTOL · max(1, max|λ|) is negative curvature
CURVATURE_RTOL = 1e-8


def as_start(x0: Any, who: str) -> np.ndarray:
    """x0 as a float64 array (0-d for a scalar); TypeError/ValueError for bad input."""
    a = _checks.real_array(x0, who, "x0")
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
        self.f_start: float | None = None
        self.g_start_norm: float | None = None

    # -- unbounded below -----------------------------------------------------------------

    def unbounded_bound(self) -> float:
        """-UNBOUNDED_RATIO · max(1, |f(x0)|): a value of f below this is "unbounded"."""
        start = self.f_start if self.f_start is not None and np.isfinite(self.f_start) else 0.0
        return -UNBOUNDED_RATIO * max(1.0, abs(start))

    def maxiter_hint(self, fun: float, gnorm: float) -> str:
        """For a first-order method's MAXITER message: a note if f went down while ||∇f|| did
        not shrink (f = -x with a fixed learning rate, say)."""
        f0, g0 = self.f_start, self.g_start_norm
        if f0 is None or g0 is None or not (fun < f0 and g0 > 0.0 and gnorm >= g0):
            return ""
        return (f" f went down from {f0:.6g} to {fun:.6g} while the gradient norm did not shrink "
                f"({g0:.3g} at x0): f may be unbounded below (or fall towards an asymptote), or the "
                "steps are too short.")

    def unbounded(self, fun: float) -> bool:
        """True if ``fun`` is -inf or below :meth:`unbounded_bound` (NaN is not unbounded)."""
        return bool(fun == -np.inf or fun < self.unbounded_bound())

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
        if nit == 0 and self.f_start is None and np.ndim(fun) == 0:
            self.f_start = float(fun)
            self.g_start_norm = None if jac is None else norm(jac)
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


def unbounded_message(nit: int, f: float, bound: float) -> str:
    if f == -np.inf:
        return f"Unbounded: f = -inf at iteration {nit}: f is unbounded below."
    return (f"Unbounded: f = {f:.3g} < {bound:.3g} = -1e30·max(1, |f(x0)|) after {nit} iterations: f "
            "decreases without bound along the iterates (it is unbounded below); there is no minimum "
            "to converge to.")


@dataclass(frozen=True)
class Curvature:
    """The eigenvalues of a Hessian and what they say about a point where ∇f ≈ 0."""

    eigenvalues: np.ndarray  #: ascending
    direction: np.ndarray    #: a unit eigenvector of the smallest eigenvalue
    negative: bool           #: λ_min < -CURVATURE_RTOL · max(1, max|λ|)

    @property
    def lam_min(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def kind(self) -> str:
        """"local maximum" if every eigenvalue is negative, else "saddle point"."""
        zero = CURVATURE_RTOL * max(1.0, float(np.abs(self.eigenvalues).max()))
        return "local maximum" if bool(np.all(self.eigenvalues < -zero)) else "saddle point"


def curvature(h: np.ndarray) -> Curvature:
    """The eigendecomposition test for negative curvature of the (finite, symmetric) h."""
    lam, q = np.linalg.eigh(h)
    zero = CURVATURE_RTOL * max(1.0, float(np.abs(lam).max()))
    return Curvature(eigenvalues=lam, direction=q[:, 0].copy(), negative=bool(lam[0] < -zero))


def saddle_message(nit: int, gnorm: float, tol: float, curv: Curvature, why: str) -> str:
    """The SADDLE message: first-order conditions hold, second-order ones do not."""
    return (f"Stopped at a {curv.kind}, not a minimum, after {nit} iterations: the gradient norm "
            f"{gnorm:.3g} is small (tol = {tol:.3g}) but the Hessian has the negative eigenvalue "
            f"{curv.lam_min:.3g}, so the second-order conditions for a minimum fail; {why}.")


def second_order_stop(problem: Problem, f: float, g: np.ndarray, h: np.ndarray, nit: int, stop: bool,
                      tol: float, maxiter: int) -> tuple[Status, str] | None:
    """The stopping tests the second-order methods share: f unbounded below, non-finite
    f/g/H, ||g|| <= tol *and* no negative curvature (second-order conditions), a callback's
    request, maxiter.  None: go on iterating (also at a first-order point with negative
    curvature, which the solver then leaves)."""
    if problem.unbounded(f):
        return Status.UNBOUNDED, unbounded_message(nit, f, problem.unbounded_bound())
    if not finite(f, g, h):
        what = "f" if not finite(f) else "the gradient" if not finite(g) else "the Hessian"
        return Status.NOT_FINITE, not_finite_message(nit, what)
    gn = norm(g)
    curv = curvature(h) if gn <= tol else None
    if curv is not None and not curv.negative:
        return Status.CONVERGED, stop_message(Status.CONVERGED, nit, gn, tol)
    for status, hit in ((Status.CALLBACK, stop), (Status.MAXITER, nit >= maxiter)):
        if hit:
            if status is Status.MAXITER and curv is not None:
                return status, (f"Maximum number of iterations ({nit}) reached at a {curv.kind}: gradient "
                                f"norm {gn:.3g} <= tol = {tol:.3g} but the Hessian has the negative "
                                f"eigenvalue {curv.lam_min:.3g} (not a minimum). Increase maxiter.")
            return status, stop_message(status, nit, gn, tol)
    return None


def rounding_message(nit: int, decrease: float, f: float, gnorm: float) -> str:
    return (f"Converged to the rounding floor of f after {nit} iterations: a step could decrease f by "
            f"about {decrease:.3g}, below its rounding error ~{abs(f) * 2.0**-52:.3g}, so no computed "
            f"value can confirm progress (gradient norm {gnorm:.3g}; a larger tol, or f shifted "
            "to be near 0 at the minimum, avoids this).")
