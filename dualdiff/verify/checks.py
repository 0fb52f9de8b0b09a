"""check_grad, check_jacobian, check_hessian, check_hvp: a candidate derivative against
dualdiff's exact one, at one or many points.

The candidate is a callable, called as ``grad_fn(x, *args, **kwargs)`` (``hvp_fn(x, v,
*args, **kwargs)``) with x a float64 numpy array (a numpy float for scalar x), or a
precomputed array (the derivative at the single point x).  ``f`` is differentiated by
dualdiff, so it must be written with numpy / dualdiff functions; the candidate can come
from anywhere (JAX, PyTorch, a formula, finite differences).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import transforms
from .candidate import CandidateTypeError, describe, to_array
from .compare import ASYMMETRY_MESSAGE, asymmetry, compare, hints, shape_message
from .finite_differences import FiniteDifferences
from .points import as_point, make_points
from .report import CheckReport, Entry, PointResult

DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-9
DEFAULT_TOP = 5

Function = Callable[..., Any]


def _exact(kind: str, f: Function, x: np.ndarray, v: np.ndarray | None, args: tuple, kwargs: dict) -> np.ndarray:
    xx = x[()] if x.ndim == 0 else x
    if kind == "gradient":
        out = transforms.grad(f)(xx, *args, **kwargs)
    elif kind == "Jacobian":
        out = transforms.jacobian(f)(xx, *args, **kwargs)
    elif kind == "Hessian":
        out = transforms.hessian(f)(xx, *args, **kwargs)
    else:
        out = transforms.hvp(f, xx, v, *args, **kwargs)
    return np.asarray(out, dtype=np.float64)


def _call_candidate(kind: str, candidate: Any, x: np.ndarray, v: np.ndarray | None, args: tuple,
                    kwargs: dict) -> Any:
    if not callable(candidate):
        return candidate
    xx = x.copy()[()] if x.ndim == 0 else x.copy()
    if kind == "Hessian-vector product":
        return candidate(xx, v.copy() if v is not None else v, *args, **kwargs)
    return candidate(xx, *args, **kwargs)


def _low_precision(raw: Any) -> str | None:
    dtype = str(getattr(raw, "dtype", ""))
    for name in ("bfloat16", "float16", "float32"):
        if dtype.endswith(name):
            return name
    return None


def _top_entries(point: int, exact: np.ndarray, cand: np.ndarray, err: Any, top: int) -> list[Entry]:
    ratio, abs_error = err.ratio.ravel(), err.abs_error.ravel()
    order = np.lexsort((-abs_error, -ratio))[:top]
    out = []
    for k in order:
        index = tuple(int(i) for i in np.unravel_index(int(k), exact.shape)) if exact.ndim else ()
        out.append(Entry(point, index, float(exact.ravel()[k]), float(cand.ravel()[k]), float(abs_error[k]),
                         float(err.rel_error.ravel()[k]), float(ratio[k]), not bool(err.failed.ravel()[k])))
    return out


def _check_point(kind: str, i: int, x: np.ndarray, exact: np.ndarray, raw: Any, rtol: float,
                 atol: float, top: int) -> tuple[PointResult, list[Entry]]:
    try:
        cand = to_array(raw)
    except CandidateTypeError as exc:
        return PointResult(i, x, False, exact, None, message=str(exc)), []
    if cand.shape != exact.shape:
        return PointResult(i, x, False, exact, cand, message=shape_message(kind, exact.shape, cand.shape),
                           hints=hints(kind, exact, cand, x.shape, rtol, atol)), []
    err = compare(exact, cand, rtol, atol)
    result = PointResult(i, x, err.n_failed == 0, exact, cand, n_entries=int(exact.size),
                         n_failed=err.n_failed, max_abs_error=err.max_abs_error,
                         max_rel_error=err.max_rel_error)
    if kind == "Hessian":
        asym = asymmetry(exact, cand, x.shape, rtol, atol)
        result.asymmetry, result.asymmetry_index = asym.max_abs, asym.index
        if asym.beyond_tolerance:
            result.passed = False
            result.message = ASYMMETRY_MESSAGE
    if not result.passed:
        result.hints = hints(kind, exact, cand, x.shape, rtol, atol)
        low = _low_precision(raw)
        if low:
            result.hints.append(
                f"the candidate is {low}, with about {7 if low == 'float32' else 3} significant digits: "
                "compute it in float64 (JAX: jax.config.update('jax_enable_x64', True)) or raise rtol")
    return result, _top_entries(i, exact, cand, err, top)


def _validate(rtol: float, atol: float, top: int) -> None:
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be non-negative, got rtol={rtol!r}, atol={atol!r}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
        raise ValueError(f"top must be a non-negative integer, got {top!r}")


def run_check(kind: str, check: str, f: Function, candidate: Any, x: Any = None, v: Any = None, *,
              args: tuple = (), kwargs: dict | None = None, rtol: float = DEFAULT_RTOL,
              atol: float = DEFAULT_ATOL, top: int = DEFAULT_TOP, points: Iterable[Any] | None = None,
              samples: int = 0, seed: int | None = None, low: Any = None, high: Any = None,
              finite_differences: bool = False) -> CheckReport:
    """The shared driver of the check_* functions (``kind`` as in :data:`compare.SHAPES`)."""
    _validate(rtol, atol, top)
    if not callable(f):
        raise TypeError(f"f must be the function to differentiate, got {type(f).__name__}")
    kwargs = dict(kwargs or {})
    args = tuple(args)
    xs = make_points(x, points, samples, seed, low, high)
    if not callable(candidate) and len(xs) > 1:
        raise TypeError("a precomputed candidate is the derivative at one point; pass a function to check "
                        f"at several points ({len(xs)} given by x, points= and samples=)")
    vv = None if v is None else as_point(v)
    results, entries = [], []
    for i, xp in enumerate(xs):
        exact = _exact(kind, f, xp, vv, args, kwargs)
        raw = _call_candidate(kind, candidate, xp, vv, args, kwargs)
        result, top_entries = _check_point(kind, i, xp, exact, raw, rtol, atol, top)
        results.append(result)
        entries.extend(top_entries)
    worst = sorted(entries, key=lambda e: (-e.ratio, -e.abs_error))[:top]
    if finite_differences:
        estimators: dict[int, FiniteDifferences] = {}
        for e in worst:
            fd = estimators.setdefault(e.point, FiniteDifferences(f, xs[e.point], args, kwargs))
            e.fd = fd.entry(kind, e.index, vv)
            e.fd_error = abs(e.fd - e.exact) if np.isfinite(e.exact) else None
    return CheckReport(kind, check, describe(f), describe(candidate), float(rtol), float(atol), results,
                       worst, bool(finite_differences))


_OPTIONS_DOC = """
    Options (all keyword-only):

    * ``args``, ``kwargs``: extra arguments passed to both ``f`` and the candidate.
    * ``rtol``, ``atol``: an entry passes when
      ``|candidate - exact| <= atol + rtol*|exact|`` (NaN matches NaN, ±inf the same inf).
    * ``top``: how many worst entries (largest error / tolerance) the report lists.
    * ``points``: more points to check at (a sequence of x's; an array's first axis).
    * ``samples``, ``seed``, ``low``, ``high``: check at ``samples`` more points drawn
      uniformly from the box ``[low, high]`` (default ``[x - 1, x + 1]``).
    * ``finite_differences``: also give central finite differences at the worst entries.

    Returns a :class:`CheckReport` (``bool(report)`` is whether every point passed).
    A candidate of the wrong shape or type fails the report with a message; it does not
    raise.  Exceptions raised by ``f`` or by a candidate function propagate.
"""


def check_grad(f: Function, grad_fn: Any, x: Any = None, *, args: tuple = (), kwargs: dict | None = None,
               rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, top: int = DEFAULT_TOP,
               points: Iterable[Any] | None = None, samples: int = 0, seed: int | None = None,
               low: Any = None, high: Any = None, finite_differences: bool = False) -> CheckReport:
    """Check a gradient of scalar ``f`` (shape x.shape) against ``dd.grad(f)``.

    ``grad_fn`` is called as ``grad_fn(x, *args, **kwargs)``, or is the precomputed gradient at x.
    """
    return run_check("gradient", "check_grad", f, grad_fn, x, args=args, kwargs=kwargs, rtol=rtol,
                     atol=atol, top=top, points=points, samples=samples, seed=seed, low=low, high=high,
                     finite_differences=finite_differences)


def check_jacobian(f: Function, jac_fn: Any, x: Any = None, *, args: tuple = (), kwargs: dict | None = None,
                   rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, top: int = DEFAULT_TOP,
                   points: Iterable[Any] | None = None, samples: int = 0, seed: int | None = None,
                   low: Any = None, high: Any = None, finite_differences: bool = False) -> CheckReport:
    """Check a Jacobian ``J[i..., j...] = d f(x)[i...] / d x[j...]`` (shape f(x).shape + x.shape)
    against ``dd.jacobian(f)``; a transposed candidate fails with a hint saying so.

    ``jac_fn`` is called as ``jac_fn(x, *args, **kwargs)``, or is the precomputed Jacobian at x.
    """
    return run_check("Jacobian", "check_jacobian", f, jac_fn, x, args=args, kwargs=kwargs, rtol=rtol,
                     atol=atol, top=top, points=points, samples=samples, seed=seed, low=low, high=high,
                     finite_differences=finite_differences)


def check_hessian(f: Function, hess_fn: Any, x: Any = None, *, args: tuple = (), kwargs: dict | None = None,
                  rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, top: int = DEFAULT_TOP,
                  points: Iterable[Any] | None = None, samples: int = 0, seed: int | None = None,
                  low: Any = None, high: Any = None, finite_differences: bool = False) -> CheckReport:
    """Check a Hessian of scalar ``f`` (shape x.shape + x.shape) against ``dd.hessian(f)``.

    The report also gives the candidate's asymmetry ``max |H[i, j] - H[j, i]|`` and where it
    is; a candidate with ``|H[i, j] - H[j, i]| > atol + rtol*|exact[i, j]|`` anywhere fails
    even if each entry is within tolerance.  ``hess_fn`` is called as
    ``hess_fn(x, *args, **kwargs)``, or is the precomputed Hessian at x.
    """
    return run_check("Hessian", "check_hessian", f, hess_fn, x, args=args, kwargs=kwargs, rtol=rtol,
                     atol=atol, top=top, points=points, samples=samples, seed=seed, low=low, high=high,
                     finite_differences=finite_differences)


def check_hvp(f: Function, hvp_fn: Any, x: Any = None, v: Any = None, *, args: tuple = (),
              kwargs: dict | None = None, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
              top: int = DEFAULT_TOP, points: Iterable[Any] | None = None, samples: int = 0,
              seed: int | None = None, low: Any = None, high: Any = None,
              finite_differences: bool = False) -> CheckReport:
    """Check a Hessian-vector product ``H(x) v`` (shape x.shape) against ``dd.hvp(f, x, v)``.

    ``hvp_fn`` is called as ``hvp_fn(x, v, *args, **kwargs)`` (the same v at every point), or
    is the precomputed product at x.
    """
    if v is None:
        raise TypeError("check_hvp needs the direction v")
    return run_check("Hessian-vector product", "check_hvp", f, hvp_fn, x, v, args=args, kwargs=kwargs,
                     rtol=rtol, atol=atol, top=top, points=points, samples=samples, seed=seed, low=low,
                     high=high, finite_differences=finite_differences)


for _check in (check_grad, check_jacobian, check_hessian, check_hvp):
    _check.__doc__ = (_check.__doc__ or "") + _OPTIONS_DOC
