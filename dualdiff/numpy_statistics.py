"""numpy's statistics and numerical-analysis functions on dual arrays: var, std, median,
quantile/percentile, cumprod, interp, polyval, trapezoid, gradient, and the scans
``np.maximum.accumulate`` / ``np.minimum.accumulate`` / ``np.multiply.accumulate``.

All are written with differentiable operations (the rules and the linear maps of
:mod:`dualdiff.numpy_api`), so first and second derivatives are exact and one
implementation serves Dual and HyperDual:

* var = Σ(a - ā)² / (n - ddof), std = √var (at var = 0, std' follows sqrt'(0) = inf times
  a zero seed = 0, the NaN-safe convention);
* quantile (method 'linear', numpy's default): sort, then numpy's own interpolation
  a[i] + (a[i+1] - a[i])·g with i, g from q·(n - 1): the derivative is that of the two
  neighbouring order statistics, and of q itself if q is dual;
* interp: fp[i] + (x - xp[i])·(fp[i+1] - fp[i])/(xp[i+1] - xp[i]) on the interval holding x
  (right-continuous at the knots; the end values outside, derivative 0 there);
* cumprod and the accumulate scans: the running product / maximum / minimum by the rules'
  multiply / maximum / minimum, element after element (exact at zeros and at ties).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions, rules
from .jet import Jet, apply_binary, shape_of, value_of
from .numpy_api import (
    ACCUMULATE,
    _axes,
    _map,
    as_array,
    implements,
    moveaxis,
    ravel,
    reshape,
    stack,
    sum_,
    take,
)
from .numpy_api import (
    mean as _np_mean,
)
from .numpy_shape import sort


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[i] for i in axes]))


@implements(np.var)
def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0, keepdims: bool = False,
        *, where: Any = True, mean: Any = None, correction: Any = None) -> Any:
    """Σ(a - ā)²/(n - ddof) over ``axis`` (``correction`` is numpy 2's name for ddof)."""
    if where is not True or mean is not None or (dtype is not None and np.dtype(dtype) != np.float64):
        raise TypeError("np.var on dual numbers supports axis, ddof/correction and keepdims")
    ddof = correction if correction is not None else ddof
    a = as_array(a)
    axes = _axes(axis, a.ndim)
    centred = a - _mean(a, axes)
    return sum_(centred * centred, axis=axes, keepdims=keepdims) * (1.0 / (_count(a.shape, axes) - ddof))


def _mean(a: Jet, axes: tuple[int, ...]) -> Any:
    return _np_mean(a, axis=axes, keepdims=True)


@implements(np.std)
def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0, keepdims: bool = False,
        *, where: Any = True, mean: Any = None, correction: Any = None) -> Any:
    """√var."""
    return functions.sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                              mean=mean, correction=correction))


@implements(np.nanvar)
def nanvar(a: Any, *args: Any, **kwargs: Any) -> Any:
    _no_nans(a, "np.nanvar")
    return var(a, *args, **kwargs)


@implements(np.nanstd)
def nanstd(a: Any, *args: Any, **kwargs: Any) -> Any:
    _no_nans(a, "np.nanstd")
    return std(a, *args, **kwargs)


def _no_nans(a: Any, who: str) -> None:
    if np.isnan(value_of(as_array(a))).any():
        raise TypeError(f"{who} on dual numbers with NaN values is not supported; drop the NaNs first")


# -- order statistics -------------------------------------------------------------------------

def _lerp(lo: Any, hi: Any, t: Any) -> Any:
    """numpy's linear interpolation: lo + (hi - lo)·t, from hi's side where t >= 0.5."""
    diff = hi - lo
    from_hi = np.asarray(value_of(t)) >= 0.5
    return functions.where(from_hi, hi - diff * (1.0 - t), lo + diff * t)


@implements(np.quantile)
def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None,
             interpolation: Any = None) -> Any:
    """The q-quantile(s) along ``axis`` by linear interpolation (numpy's default method)."""
    if (interpolation or method) != "linear" or weights is not None:
        raise TypeError("np.quantile on dual numbers supports method='linear' (the default) only")
    a, q = as_array(a), as_array(q)
    qv = np.asarray(value_of(q), dtype=np.float64)
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    if not isinstance(a, Jet):
        a = _constant_like(a, q)
    nd = a.ndim
    axes = _axes(axis, nd)
    moved = reshape(moveaxis(a, axes, tuple(range(nd - len(axes), nd))),
                    tuple(s for i, s in enumerate(a.shape) if i not in axes) + (-1,))
    n = moved.shape[-1]
    ordered = sort(moved, axis=-1)
    virtual = q * float(n - 1)
    below = np.clip(np.floor(np.asarray(value_of(virtual))), 0, n - 1).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    g = virtual - below.astype(np.float64)
    lo = take(ordered, below.ravel(), axis=-1)
    hi = take(ordered, above.ravel(), axis=-1)
    g_flat = reshape(g, (-1,)) if isinstance(g, Jet) else np.ravel(g)
    result = _lerp(lo, hi, g_flat)  # shape: kept axes + (q.size,)
    kept = result.shape[:-1]
    result = moveaxis(result, -1, 0)
    result = reshape(result, qv.shape + kept)
    if keepdims:
        result = reshape(result, qv.shape + tuple(1 if i in axes else s for i, s in enumerate(a.shape)))
    return result


def _constant_like(a: Any, q: Jet) -> Jet:
    return q._constant(np.asarray(a, dtype=np.float64)) if q.shape == () else \
        q.reshape(-1)[0]._constant(np.asarray(a, dtype=np.float64))


@implements(np.percentile)
def percentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: Any = None,
               interpolation: Any = None) -> Any:
    """quantile(a, q / 100)."""
    return quantile(a, as_array(q) * 0.01 if isinstance(as_array(q), Jet) else np.asarray(q, dtype=float) / 100.0,
                    axis=axis, method=method, keepdims=keepdims, weights=weights, interpolation=interpolation)


@implements(np.median)
def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """quantile(a, 0.5): the middle order statistic, or the mean of the two middle ones."""
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


# -- scans ----------------------------------------------------------------------------------------

def _scan(a: Any, axis: Any, step: Any) -> Any:
    """out[0] = a[0], out[i] = step(out[i-1], a[i]) along axis (numpy's accumulate)."""
    a = as_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    (ax,) = _axes(axis, a.ndim)
    front = moveaxis(a, ax, 0)
    if front.shape[0] == 0:
        return a.copy()
    rows = [front[0]]
    for i in range(1, front.shape[0]):
        rows.append(step(rows[-1], front[i]))
    return moveaxis(stack(rows, axis=0), 0, ax)


@implements(np.cumprod)
def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """Running product by the multiply rule (exact at zeros, no division)."""
    return _scan(a, axis, lambda x, y: x * y)


def accumulate(ufunc: np.ufunc, a: Any, axis: Any = 0) -> Any:
    """``ufunc.accumulate`` for multiply, maximum, minimum, fmax and fmin: the ufunc's rule
    applied element after element (ties of maximum/minimum split 1/2 : 1/2, as the rule)."""
    if ufunc is np.multiply:
        return _scan(a, axis, lambda x, y: x * y)
    rule = rules.RULE_BY_UFUNC[ufunc]
    return _scan(a, axis, lambda x, y: apply_binary(rule, x, y))


for _ufunc in (np.multiply, np.maximum, np.minimum, np.fmax, np.fmin):
    ACCUMULATE[_ufunc] = lambda a, axis=0, _u=_ufunc: accumulate(_u, a, axis)


# -- numerical analysis ---------------------------------------------------------------------------

@implements(np.interp)
def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None) -> Any:
    """Piecewise-linear interpolation; differentiable in x and fp (xp must be plain)."""
    if isinstance(as_array(xp), Jet):
        raise TypeError("np.interp on dual numbers: the knots xp must be plain numbers (x and fp may be dual)")
    if period is not None:
        raise TypeError("np.interp(period=...) is not supported on dual numbers")
    x, fp = as_array(x), as_array(fp)
    xp = np.asarray(xp, dtype=np.float64)
    xv = np.asarray(value_of(x), dtype=np.float64)
    n = xp.shape[0]
    if n == 1:
        return functions.where(np.ones(xv.shape, bool), fp[0] if isinstance(fp, Jet) else float(fp[0]), x * 0.0)
    i = np.clip(np.searchsorted(xp, xv, side="right") - 1, 0, n - 2)
    f0 = take(fp, i) if isinstance(fp, Jet) else np.asarray(fp, dtype=np.float64)[i]
    f1 = take(fp, i + 1) if isinstance(fp, Jet) else np.asarray(fp, dtype=np.float64)[i + 1]
    inside = f0 + (x - xp[i]) * ((f1 - f0) / (xp[i + 1] - xp[i]))
    lo = fp[0] if left is None else left
    hi = fp[n - 1] if right is None else right
    lo = lo if isinstance(lo, Jet) else float(value_of(lo))
    hi = hi if isinstance(hi, Jet) else float(value_of(hi))
    out = functions.where(xv < xp[0], lo + inside * 0.0, inside)
    out = functions.where(xv > xp[-1], hi + inside * 0.0, out)
    return out


@implements(np.polyval)
def polyval(p: Any, x: Any) -> Any:
    """Horner's rule: ((p₀x + p₁)x + p₂)…, differentiable in the coefficients and in x."""
    p, x = as_array(p), as_array(x)
    coefficients = [p[i] for i in range(shape_of(p)[0])]
    result = coefficients[0] + x * 0.0
    for c in coefficients[1:]:
        result = result * x + c
    return result


def _trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """Σ (y[i] + y[i+1])/2 · Δx_i along axis."""
    y = as_array(y)
    (ax,) = _axes(axis, len(shape_of(y)))
    y = moveaxis(y, ax, -1) if isinstance(y, Jet) else np.moveaxis(y, ax, -1)
    if x is None:
        d: Any = dx
    else:
        x = as_array(x)
        if len(shape_of(x)) == 1:
            d = x[1:] - x[:-1]
        else:
            x = moveaxis(x, ax, -1) if isinstance(x, Jet) else np.moveaxis(x, ax, -1)
            d = x[..., 1:] - x[..., :-1]
    return sum_((y[..., 1:] + y[..., :-1]) * d, axis=-1) * 0.5 if isinstance(y, Jet) else \
        np.sum((y[..., 1:] + y[..., :-1]) * d, axis=-1) * 0.5


for _name in ("trapezoid", "trapz"):
    if hasattr(np, _name):
        implements(getattr(np, _name))(_trapezoid)


@implements(np.gradient)
def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """np.gradient: linear in f for plain spacings (applied to the value and each partial)."""
    if any(isinstance(as_array(v), Jet) for v in varargs):
        raise TypeError("np.gradient on dual numbers: the spacings must be plain numbers (f may be dual)")
    f = as_array(f)
    nd = f.ndim
    axes = _axes(axis, nd)
    spacing = list(varargs) if len(varargs) != 1 else list(varargs) * len(axes)
    if not spacing:
        spacing = [1.0] * len(axes)
    outs = [_map(f, lambda c, t, ax=ax, h=h: np.gradient(c, h, axis=ax, edge_order=edge_order))
            for ax, h in zip(axes, spacing, strict=True)]
    if len(outs) == 1:
        return outs[0]
    return tuple(outs)


__all__ = ["var", "std", "median", "quantile", "percentile", "cumprod", "interp", "polyval", "gradient",
           "accumulate"]
