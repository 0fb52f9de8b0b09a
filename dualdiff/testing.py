"""pytest helpers: assert a candidate derivative matches dualdiff's exact one, and
hypothesis strategies for finite float inputs in a domain.

>>> import numpy as np
>>> from dualdiff.testing import assert_grad_close
>>> _ = assert_grad_close(lambda x: np.sum(x ** 2), lambda x: 2 * x, np.array([1.0, -3.0]))

The ``assert_*_close`` functions take the options of :mod:`dualdiff.verify` (``points=``,
``samples=``, ``finite_differences=``, ...), raise ``AssertionError`` whose message is the
report table (the worst entries, the first failing point), and return the report when
the check passes.  hypothesis is a test extra: it is imported only when a strategy is
built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .verify import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    CheckReport,
    check_grad,
    check_hessian,
    check_hvp,
    check_jacobian,
)
from .verify.checks import Function

__all__ = ["assert_grad_close", "assert_jacobian_close", "assert_hessian_close", "assert_hvp_close",
           "arrays_in", "float_vectors"]


def _assert(report: CheckReport) -> CheckReport:
    __tracebackhide__ = True  # pytest: show the caller's line
    if not report:
        raise AssertionError("\n" + str(report))
    return report


def assert_grad_close(f: Function, grad_fn: Any, x: Any = None, *, rtol: float = DEFAULT_RTOL,
                      atol: float = DEFAULT_ATOL, **options: Any) -> CheckReport:
    """Assert ``grad_fn`` is the gradient of ``f`` (see :func:`dualdiff.verify.check_grad`)."""
    __tracebackhide__ = True
    return _assert(check_grad(f, grad_fn, x, rtol=rtol, atol=atol, **options))


def assert_jacobian_close(f: Function, jac_fn: Any, x: Any = None, *, rtol: float = DEFAULT_RTOL,
                          atol: float = DEFAULT_ATOL, **options: Any) -> CheckReport:
    """Assert ``jac_fn`` is the Jacobian of ``f`` (see :func:`dualdiff.verify.check_jacobian`)."""
    __tracebackhide__ = True
    return _assert(check_jacobian(f, jac_fn, x, rtol=rtol, atol=atol, **options))


def assert_hessian_close(f: Function, hess_fn: Any, x: Any = None, *, rtol: float = DEFAULT_RTOL,
                         atol: float = DEFAULT_ATOL, **options: Any) -> CheckReport:
    """Assert ``hess_fn`` is the Hessian of ``f`` (see :func:`dualdiff.verify.check_hessian`)."""
    __tracebackhide__ = True
    return _assert(check_hessian(f, hess_fn, x, rtol=rtol, atol=atol, **options))


def assert_hvp_close(f: Function, hvp_fn: Any, x: Any = None, v: Any = None, *, rtol: float = DEFAULT_RTOL,
                     atol: float = DEFAULT_ATOL, **options: Any) -> CheckReport:
    """Assert ``hvp_fn(x, v)`` is ``H(x) v`` for ``f`` (see :func:`dualdiff.verify.check_hvp`)."""
    __tracebackhide__ = True
    return _assert(check_hvp(f, hvp_fn, x, v, rtol=rtol, atol=atol, **options))


# -- hypothesis strategies -------------------------------------------------------------------

def _hypothesis() -> tuple[Any, Any]:
    try:
        from hypothesis import strategies
        from hypothesis.extra import numpy as hnp
    except ImportError as exc:
        raise ImportError(
            "dualdiff.testing strategies need hypothesis, a test extra: pip install 'dualdiff[test]' "
            "(or pip install hypothesis)") from exc
    return strategies, hnp


def arrays_in(shape: Any, low: float = -10.0, high: float = 10.0) -> Any:
    """A hypothesis strategy for float64 arrays of ``shape`` with every entry finite and in
    ``[low, high]``.

    ``shape`` is an int, a tuple, or a hypothesis strategy of shapes (e.g.
    ``hypothesis.extra.numpy.array_shapes()``).
    """
    st, hnp = _hypothesis()
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(f"arrays_in needs finite low <= high, got low={low}, high={high}")
    elements = st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elements)


def float_vectors(n: Any, low: float = -10.0, high: float = 10.0) -> Any:
    """A hypothesis strategy for float64 vectors of length ``n`` (an int or a strategy of
    ints), every entry finite and in ``[low, high]``."""
    st, _ = _hypothesis()
    if isinstance(n, st.SearchStrategy):
        return n.flatmap(lambda k: arrays_in((k,), low, high))
    return arrays_in((int(n),), low, high)
