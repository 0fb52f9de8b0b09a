"""Special functions that are not one elementwise rule: ``dd.polygamma``, ``dd.logsumexp``,
``dd.softmax``.

* ``polygamma(n, x)``: ψ⁽ⁿ⁾(x), scipy's argument order; differentiable in x (the order n is
  an integer, a constant); each order is a row made by :func:`dualdiff.rules.polygamma_rule`.
* ``logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False)`` and
  ``softmax(x, axis=None)``: scipy.special's, built from differentiable operations with
  the maximum shifted out (log Σ exp(aᵢ - m) + m; the shift is a constant of the value, so
  it cancels in every derivative).

scipy.special.logsumexp / softmax themselves convert their input with numpy's array
API, which a dual array does not take part in; call these (same signature) instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions, rules
from .jet import Jet, apply_unary, value_of
from .numpy_api import as_array, implements


def polygamma(n: Any, x: Any) -> Any:
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (scipy.special.polygamma).

    ``n`` is a non-negative integer order (not differentiated: a dual ``n`` raises);
    ``x`` a number, array or dual number.  d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾.
    """
    if isinstance(n, Jet):
        raise TypeError("dd.polygamma(n, x) is differentiable in x only: the order n must be "
                        "a plain non-negative integer")
    order = np.asarray(n)
    if order.ndim or order.dtype.kind not in "iuf" or float(order) != int(order) or int(order) < 0:
        raise TypeError(f"dd.polygamma(n, x): n must be one non-negative integer, got {n!r}")
    x = as_array(x)
    if isinstance(x, Jet) or (isinstance(x, np.ndarray) and x.dtype == object):
        return apply_unary(rules.polygamma_rule(int(order)), x)
    return rules.polygamma(int(order), np.asarray(x, dtype=np.float64)[()])


def _max_of(a: Any, axis: Any) -> Any:
    """max of the value along axis (keepdims), 0 where it is not finite: a constant shift."""
    m = np.amax(value_of(a), axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """log Σ b·exp(a) along ``axis`` (scipy.special.logsumexp), differentiable in a and b.

    With m = max(a): log Σ b·exp(a - m) + m; m is a constant (the value's maximum), so the
    derivative is exactly that of log Σ b·exp(a): ∂/∂aᵢ = softmaxᵢ, ∂²/∂aᵢ∂aⱼ = δᵢⱼsᵢ - sᵢsⱼ.
    ``return_sign=True`` returns (log|Σ|, sign) with the sign a plain array.
    """
    a = as_array(a)
    if not isinstance(a, Jet) and not isinstance(as_array(b) if b is not None else None, Jet):
        from scipy.special import logsumexp as plain
        return plain(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    m = _max_of(a, axis)
    terms = functions.exp(a - m)
    if b is not None:
        terms = terms * as_array(b)
    total = np.sum(terms, axis=axis, keepdims=True)
    sign = np.sign(value_of(total))
    if not return_sign and np.any(sign < 0):
        total = total * np.nan  # as scipy: the log of a negative sum is nan
    out = functions.log(total * sign if return_sign else total) + m
    if not keepdims:
        axes = tuple(range(np.ndim(value_of(a)))) if axis is None else axis
        out = np.squeeze(out, axis=axes)
        sign = np.squeeze(sign, axis=axes)
    return (out, sign) if return_sign else out


def softmax(x: Any, axis: Any = None) -> Any:
    """exp(x) / Σ exp(x) along ``axis`` (scipy.special.softmax), without overflow."""
    x = as_array(x)
    if not isinstance(x, Jet):
        from scipy.special import softmax as plain
        return plain(x, axis=axis)
    e = functions.exp(x - _max_of(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: Any = None) -> Any:
    """x - logsumexp(x) along ``axis`` (scipy.special.log_softmax)."""
    x = as_array(x)
    if not isinstance(x, Jet):
        from scipy.special import log_softmax as plain
        return plain(x, axis=axis)
    return x - logsumexp(x, axis=axis, keepdims=True)


# numpy's own spellings of rows whose numpy function is not a ufunc
@implements(np.sinc)
def _np_sinc(x: Any) -> Any:
    return functions.FUNCTIONS["sinc"](x)


@implements(np.i0)
def _np_i0(x: Any) -> Any:
    return functions.FUNCTIONS["i0"](x)


__all__ = ["polygamma", "logsumexp", "softmax", "log_softmax"]
