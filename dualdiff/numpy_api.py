"""numpy's protocols for dual numbers: ``__array_function__``, ufunc methods, ndarray methods.

A dual array is a structure of arrays: its value and each partial are ndarrays, the
partials with trailing direction axes.  Three kinds of numpy function follow:

* **linear maps** (sum, reshape, transpose, concatenate, take, diag, cumsum, diff, ...)
  act on the value and on every partial alike (on the value axes; direction axes ride
  along at the end);
* **multilinear maps** (dot, matmul, inner, outer, tensordot, einsum) follow the product
  rule, written once for all of them as einsum: with operands u, v,
  d B(u, v) = B(du, v) + B(u, dv) and, for hyper-duals,
  d₁₂ B = B(d₁₂u, v) + B(d₁u, d₂v) + B(d₂u, d₁v) + B(u, d₁₂v);
* **matrix functions** (solve, inv, det) expand in the nilpotent part N of A = A₀ + N
  (N² = 0 for duals, N³ = 0 for hyper-duals):
  A⁻¹ = (I − P + P²) A₀⁻¹ with P = A₀⁻¹N, and det A = det A₀ · det(I + P) with
  det(I + P) = 1 + tr P − tr(P²)/2 + (tr P)²/2.  These are exact for every kind of jet,
  so no matrix derivative formula is written per kind.

Every supported function is registered with :func:`implements`; anything else raises a
``TypeError`` naming the function, so numpy never silently converts a dual array to an
object array and drops its derivative.
"""

from __future__ import annotations

import string
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import functions, rules
from ._dispatch import FunctionTable, numpy_name
from ._messages import no_rule, ufunc_name, unsupported_function
from ._termsum import tracked_dot, tracked_sum
from .jet import (
    OPERATORS,
    VALUE_UFUNCS,
    DualConversionError,
    Jet,
    apply_binary,
    apply_unary,
    as_constant,
    is_plain_number,
    shape_of,
    store_out,
    tag_of,
    to_object_array,
    value_of,
)

HANDLED = FunctionTable()  # numpy function -> its implementation on dual numbers
implements = HANDLED.implements
_name = numpy_name


def supported_names() -> list[str]:
    """The numpy functions that accept dual arrays."""
    return HANDLED.names()


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    impl = HANDLED.get(func)
    if impl is None:
        raise TypeError(unsupported_function(_name(func)))
    out = kwargs.get("out")
    if out is not None:
        # numpy's out=: compute, then write into out (a dual array sees its views change)
        return store_out(out, impl(*args, **{k: v for k, v in kwargs.items() if k != "out"}), _name(func))
    return impl(*args, **kwargs)


# -- helpers ------------------------------------------------------------------------------

def _live(*xs: Any) -> Jet | None:
    """The operand with the largest tag (the differentiation being propagated)."""
    best = None
    for x in xs:
        if isinstance(x, Jet) and (best is None or x.tag > best.tag):
            best = x
    return best


def _lift(x: Any, live: Jet) -> Jet:
    """x as a jet of live's kind and tag (zero partials if it is a constant to it)."""
    if isinstance(x, Jet) and x.tag == live.tag:
        if type(x) is not type(live):
            raise TypeError(f"cannot combine a {type(x).__name__} and a {type(live).__name__} of the same tag")
        return x
    if not isinstance(x, Jet):
        x = as_array(x)
        if isinstance(x, Jet):
            return _lift(x, live)
        c = as_constant(x)
        if c is None or (isinstance(c, np.ndarray) and c.dtype == object):
            raise TypeError(f"cannot combine a dual number with {type(x).__name__}")
        x = c
    return live._constant(x)


def _no(kwargs: dict, who: str, **defaults: Any) -> None:
    """Reject keyword arguments that dual arrays do not support (unless at their default)."""
    for k, v in kwargs.items():
        if k == "dtype" and v is not None and v is not object and np.dtype(v) == np.float64:
            continue  # the dtype dual arrays compute in anyway
        if k in defaults and (v is defaults[k] or (v is None and defaults[k] is None)):
            continue
        if k in defaults and isinstance(v, bool) and v == defaults[k]:
            continue
        raise TypeError(f"{who} on dual numbers does not support {k}={v!r}")


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    return tuple(out)


def _map(a: Jet, fn: Callable[[Any, int], Any]) -> Jet:
    """Apply a linear map to the value and every partial (fn(component, n_trailing))."""
    return a._rebuild([fn(c, t) for c, t in a._parts()])


def _shared(new: Any, old: Any) -> list[bool]:
    """For each float array a component is made of (recursively through nested jets):
    does ``new``'s share memory with ``old``'s?"""
    if isinstance(new, Jet) and isinstance(old, Jet):
        return [s for (n, _), (o, _) in zip(new._parts(), old._parts(), strict=True) for s in _shared(n, o)]
    return [isinstance(new, np.ndarray) and isinstance(old, np.ndarray) and np.may_share_memory(new, old)]


def _leaves(c: Any) -> list[np.ndarray]:
    """The float arrays a component is made of (a nested jet's parts, recursively)."""
    if isinstance(c, Jet):
        return [leaf for p, _ in c._parts() for leaf in _leaves(p)]
    return [c] if isinstance(c, np.ndarray) else []


def _view(a: Jet, fn: Callable[[Any, int], Any]) -> Jet:
    """A shape-changing map that numpy does as a view where it can (reshape, transpose).

    Where every part of the result is a view of ``a``'s, the result writes through to
    ``a`` as in numpy; where every part is a copy, it owns its copies.  Where numpy made a
    view of some parts and copied others, a write could reach only some: the result
    refuses writes (``_owned = None``) rather than split a number in two.
    """
    if a.shape == ():  # a scalar is immutable: numpy makes a new array of it
        result = _map(a, fn)
        result._owned = False
        result._own()
        return result
    a._own()  # views are only taken of jets that own their arrays
    result = _map(a, fn)
    shared = _shared(result, a)
    if all(shared):
        result._owned = a._owned
    elif not any(shared):
        result._owned = True
    else:
        result._owned = None
    return result


def _map_many(xs: Sequence[Any], fn: Callable[[list[Any], int], Any]) -> Jet:
    """Apply a linear map of several arrays componentwise (constants lifted)."""
    live = _live(*xs)
    lifted = [_lift(x, live) for x in xs]
    parts = [x._parts() for x in lifted]
    return live._rebuild([fn([p[i][0] for p in parts], parts[0][i][1]) for i in range(len(parts[0]))])


def as_array(a: Any) -> Any:
    """A dual array for a list/tuple/object array holding duals; else a plain array or jet.

    ``[d[0], d[1]]`` must act as the dual vector it is, never as an object array whose
    elements numpy would treat as opaque objects (and whose derivatives could be lost).
    """
    if isinstance(a, Jet):
        return a
    if isinstance(a, np.ndarray) and a.dtype == object and a.ndim == 0:
        item = a[()]  # np.array(d) of a scalar dual: a 0-d object array holding it
        return item if isinstance(item, Jet) else a
    if isinstance(a, (list, tuple)) or (isinstance(a, np.ndarray) and a.dtype == object):
        items = list(a)
        if any(isinstance(e, Jet) or isinstance(e, (list, tuple, np.ndarray)) for e in items):
            converted = [as_array(e) for e in items]
            if any(isinstance(e, Jet) for e in converted):
                # rows of plain numbers in an object array (np.r_[x, c] of a dual x and
                # floats c) are constants next to the dual rows
                return stack([_numbers(e) for e in converted])
        return np.asarray(a) if not isinstance(a, np.ndarray) else a
    return np.asarray(a)


def _numbers(a: Any) -> Any:
    """An object array holding only real numbers as a float array; anything else unchanged."""
    if isinstance(a, np.ndarray) and a.dtype == object:
        try:
            return a.astype(np.float64) if all(is_plain_number(e) for e in a.flat) else a
        except (TypeError, ValueError):
            return a
    return a


def _arrays(seq: Sequence[Any]) -> list[Any]:
    return [as_array(a) for a in seq]


def _resolve_shape(shape: tuple[int, ...], newshape: Any) -> tuple[int, ...]:
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    return np.empty(shape, dtype=np.bool_).reshape(newshape).shape


# -- shape and structure -----------------------------------------------------------------

@implements(np.shape)
def _shape(a: Any) -> tuple[int, ...]:
    return shape_of(a)


@implements(np.ndim)
def _ndim(a: Any) -> int:
    return len(shape_of(a))


@implements(np.size)
def _size(a: Any, axis: int | None = None) -> int:
    return int(np.prod(shape_of(a))) if axis is None else shape_of(a)[axis]


@implements(np.reshape)
def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Jet:
    if order != "C":
        raise TypeError("reshape of dual arrays supports order='C' only")
    new = _resolve_shape(a.shape, shape if shape is not None else newshape)
    nd = a.ndim
    return _view(a, lambda c, t: np.reshape(c, new + shape_of(c)[nd:]))


@implements(np.ravel)
def ravel(a: Any, order: str = "C") -> Jet:
    return reshape(a, (-1,), order)


@implements(np.transpose)
def transpose(a: Any, axes: Any = None) -> Jet:
    nd = a.ndim
    perm = tuple(reversed(range(nd))) if axes is None else _axes(axes, nd)
    return _view(a, lambda c, t: np.transpose(c, perm + tuple(range(nd, nd + t))))


@implements(np.swapaxes)
def swapaxes(a: Any, axis1: int, axis2: int) -> Jet:
    perm = list(range(a.ndim))
    i, j = _axes((axis1, axis2), a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


@implements(np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> Jet:
    nd = a.ndim
    src, dst = _axes(source, nd), _axes(destination, nd)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(a, order)


@implements(np.squeeze)
def squeeze(a: Any, axis: Any = None) -> Jet:
    shape = a.shape
    axes = tuple(i for i, s in enumerate(shape) if s == 1) if axis is None else _axes(axis, a.ndim)
    return reshape(a, tuple(s for i, s in enumerate(shape) if i not in axes))


@implements(np.expand_dims)
def expand_dims(a: Any, axis: Any) -> Jet:
    shape = list(a.shape)
    for ax in sorted(_axes(axis, a.ndim + len(axis) if isinstance(axis, (tuple, list)) else a.ndim + 1)):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def _at_least(a: Any, ndim: int) -> Any:
    a = as_array(a)
    if not isinstance(a, Jet):
        return np.atleast_1d(a) if ndim == 1 else np.atleast_2d(a)
    if a.ndim >= ndim:
        return a
    return reshape(a, (1,) * (ndim - a.ndim) + a.shape)


@implements(np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    out = [_at_least(a, 1) for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    out = [_at_least(a, 2) for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_3d)
def atleast_3d(*arys: Any) -> Any:
    """numpy's rule: a scalar becomes (1, 1, 1), a vector (N,) becomes (1, N, 1), a matrix
    (M, N) becomes (M, N, 1); arrays of three or more axes are returned unchanged."""
    out = []
    for a in arys:
        a = as_array(a)
        if not isinstance(a, Jet):
            out.append(np.atleast_3d(a))
            continue
        shape = a.shape
        new = {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}.get(len(shape), shape)
        out.append(a if new == shape else reshape(a, new))
    return out[0] if len(out) == 1 else out


@implements(np.rollaxis)
def rollaxis(a: Any, axis: int, start: int = 0) -> Jet:
    """numpy's rollaxis: axis moves to before position ``start`` (a transpose, so a view)."""
    nd = a.ndim
    axis = _axes(axis, nd)[0]
    if not -nd <= start <= nd:
        raise np.exceptions.AxisError(f"start arg requires {-nd} <= start < {nd + 1} but {start} was passed in")
    start = start + nd if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    order = [n for n in range(nd) if n != axis]
    order.insert(start, axis)
    return transpose(a, order)


@implements(np.real, np.real_if_close)
def real(val: Any, tol: Any = 100) -> Any:
    """Dual numbers are real: the real part is the number itself (numpy returns a view)."""
    return as_array(val)[...]


@implements(np.imag)
def imag(val: Any) -> Any:
    """Dual numbers are real: the imaginary part is 0, a constant (numpy's zeros for a real array)."""
    return np.zeros(shape_of(as_array(val)))


@implements(np.angle)
def angle(z: Any, deg: bool = False) -> Any:
    """The argument of a real number: 0 for x ≥ +0, π for x < 0 or x = −0; piecewise
    constant, so a constant (numpy's angle of the value; derivative 0, as abs'(0) = 0 at the jump)."""
    return np.angle(value_of(as_array(z)), deg=deg)


@implements(np.linspace)
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0, *, device: Any = None) -> Any:
    """numpy's linspace, operation for operation (so the values are numpy's bit for bit):
    y_k = start + k·step with step = (stop − start)/div, div = num − 1 (endpoint) or num,
    and y_{num−1} = stop exactly when endpoint; linear in (start, stop), so the derivative
    is the same formula on the partials."""
    _no({"dtype": dtype, "device": device}, "np.linspace", dtype=None, device=None)
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    start, stop = as_array(start), as_array(stop)
    delta = stop - start
    nd = len(shape_of(delta))
    y = np.arange(0, num, dtype=np.float64).reshape((-1,) + (1,) * nd)
    if div > 0:
        step = delta / div
        if np.any(value_of(step) == 0):  # numpy: (y/div)·delta when a step underflows to 0
            y = (y / div) * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:  # numpy: y[-1, ...] = stop
        last_shape = (1,) + shape_of(y)[1:]
        last = broadcast_to(stop, last_shape) if isinstance(stop, Jet) else np.broadcast_to(stop, last_shape)
        y = concatenate([y[:-1], last], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return (y, step) if retstep else y


@implements(np.broadcast_to)
def broadcast_to(a: Any, shape: Any, subok: bool = False) -> Jet:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    nd = a.ndim
    result = _map(a, lambda c, t: np.array(np.broadcast_to(c, shape + shape_of(c)[nd:])))
    for leaf in (leaf for c, _ in result._parts() for leaf in _leaves(c)):
        leaf.flags.writeable = False  # numpy's broadcast_to is a read-only view
    result._owned = True
    return result


@implements(np.copy)
def copy(a: Any, order: str = "K", subok: bool = False) -> Jet:
    return _owned(_map(a, lambda c, t: c.copy() if isinstance(c, (np.ndarray, Jet)) else c))


def _owned(a: Jet) -> Jet:
    a._owned = True
    return a


@implements(np.zeros_like, np.empty_like)
def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None) -> Any:
    if not isinstance(a, Jet) or (dtype is not None and dtype is not object and np.dtype(dtype) != np.float64):
        return np.zeros(shape_of(a) if shape is None else shape, dtype=dtype)
    if shape is not None:
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
    return _zeros_of(a, a.shape if shape is None else shape)


def _zeros_of(a: Jet, shape: tuple[int, ...]) -> Jet:
    """Zeros of ``shape`` as a jet of a's kind and tag that owns its arrays.

    Nested like ``a``: where a's value is a jet of an older (inner) differentiation,
    every part is one too, so that anything f computes (whose derivative parts are inner
    jets) can be stored into it, as ``np.zeros_like(x)`` takes any float on floats.
    """
    inner = a.value if isinstance(a.value, Jet) else None

    def zeros(s: tuple[int, ...]) -> Any:
        return _zeros_of(inner, s) if inner is not None else np.zeros(s)

    result = a._rebuild([zeros(shape)] + [zeros(shape + t) for t in a._trailing()])
    result._owned = True
    return result


@implements(np.ones_like)
def ones_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None) -> Any:
    return full_like(a, 1.0, dtype=dtype, shape=shape)


@implements(np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None) -> Any:
    z = zeros_like(a, dtype=dtype, shape=shape)
    if isinstance(z, Jet):
        z[...] = fill_value
        return z
    z[...] = fill_value
    return z


# -- writing into dual arrays (numpy's in-place functions) --------------------------------

@implements(np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """``dst[...] = src`` (broadcast), or only where ``where`` holds."""
    if not isinstance(dst, Jet):
        store_out(dst, as_array(src), "np.copyto")  # a float dst refuses duals naming the fix
        return None
    if where is True:
        dst[...] = as_array(src)
        return None
    mask = np.broadcast_to(np.asarray(value_of(where), dtype=bool), dst.shape)
    dst[mask] = broadcast_to(as_array(src), dst.shape)[mask] if isinstance(as_array(src), Jet) \
        else np.broadcast_to(src, dst.shape)[mask]
    return None


@implements(np.put)
def put(a: Any, ind: Any, v: Any, mode: str = "raise") -> None:
    """``a.flat[ind] = v`` (v repeated as numpy does), in place."""
    if not isinstance(a, Jet):
        raise DualConversionError(
            "np.put(a, ind, v) would store dual numbers into the float array a and drop their "
            "derivative parts; allocate a from x (np.zeros_like(x))")
    ind = np.asarray(value_of(ind)).ravel()
    if mode != "raise":
        ind = np.clip(ind, 0, a.size - 1) if mode == "clip" else np.mod(ind, a.size)
    v = as_array(v)
    values = reshape(v, (-1,)) if isinstance(v, Jet) else np.asarray(v, dtype=np.float64).ravel()
    reps = np.resize(np.arange(shape_of(values)[0]), ind.size)
    where = np.unravel_index(ind, a.shape)
    a[where] = values[reps]
    return None


@implements(np.fill_diagonal)
def fill_diagonal(a: Any, val: Any, wrap: bool = False) -> None:
    if wrap or not isinstance(a, Jet) or a.ndim < 2 or len(set(a.shape)) != 1:
        raise TypeError("np.fill_diagonal on dual numbers supports square dual arrays, wrap=False")
    i = np.arange(a.shape[0])
    a[(i,) * a.ndim] = val
    return None


def _fill(self: Jet, value: Any) -> None:
    """``a.fill(v)``: every element set to v, in place."""
    self[...] = value



# -- joining --------------------------------------------------------------------------

@implements(np.concatenate)
def concatenate(arrays: Sequence[Any], axis: int | None = 0, out: Any = None, dtype: Any = None,
                casting: str = "same_kind") -> Jet:
    _no({"out": out, "dtype": dtype}, "np.concatenate", out=None, dtype=None)
    arrays = _arrays(arrays)
    if axis is None:
        arrays = [ravel(a) if isinstance(a, Jet) else np.ravel(a) for a in arrays]
        axis = 0
    nd = len(shape_of(arrays[0]))
    (ax,) = _axes(axis, nd)
    return _map_many(arrays, lambda cs, t: np.concatenate(cs, axis=ax))


@implements(np.stack)
def stack(arrays: Sequence[Any], axis: int = 0, out: Any = None, dtype: Any = None, casting: str = "same_kind") -> Jet:
    _no({"out": out, "dtype": dtype}, "np.stack", out=None, dtype=None)
    arrays = _arrays(arrays)
    nd = len(shape_of(arrays[0]))
    (ax,) = _axes(axis, nd + 1)
    expanded = [expand_dims(a, ax) if isinstance(a, Jet) else np.expand_dims(a, ax) for a in arrays]
    return concatenate(expanded, axis=ax)


@implements(np.vstack, np.row_stack) if hasattr(np, "row_stack") else implements(np.vstack)
def vstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Jet:
    return concatenate([atleast_2d(a) for a in _arrays(tup)], axis=0)


@implements(np.hstack)
def hstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Jet:
    arrs = [atleast_1d(a) for a in _arrays(tup)]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1)


# -- selection ------------------------------------------------------------------------------

@implements(np.take)
def take(a: Any, indices: Any, axis: int | None = None, out: Any = None, mode: str = "raise") -> Any:
    _no({"out": out, "mode": mode}, "np.take", out=None, mode="raise")
    if not isinstance(a, Jet):
        return np.take(a, value_of(indices), axis=axis)
    if axis is None:
        a, axis = ravel(a), 0
    (ax,) = _axes(axis, a.ndim)
    idx = np.asarray(value_of(indices))
    return _map(a, lambda c, t: np.take(c, idx, axis=ax))


@implements(np.where)
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        return np.where(value_of(condition))
    return functions.where(condition, as_array(x), as_array(y))


@implements(np.clip)
def clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, *, min: Any = None,
         max: Any = None, **kwargs: Any) -> Any:
    """np.clip, also with numpy 2.1's ``min=``/``max=`` spelling of the bounds."""
    _no({"out": out, **kwargs}, "np.clip", out=None)
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    return functions.clip(as_array(a), as_array(lo) if lo is not None else None,
                          as_array(hi) if hi is not None else None)


@implements(np.diag)
def diag(v: Any, k: int = 0) -> Jet:
    if v.ndim == 2:
        return diagonal(v, offset=k)
    if v.ndim != 1:
        raise ValueError("np.diag needs a 1-d or 2-d input")
    n = v.shape[0] + abs(k)
    rows = np.arange(v.shape[0]) + max(-k, 0)
    cols = np.arange(v.shape[0]) + max(k, 0)

    def build(c: Any, t: int) -> Any:
        out = zeros_like(c[0:1], shape=(n, n) + shape_of(c)[1:]) if isinstance(c, Jet) else np.zeros((n, n) + shape_of(c)[1:])
        out[rows, cols] = c
        return out

    return _map(v, build)


@implements(np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Jet:
    i, j = _axes((axis1, axis2), a.ndim)
    nd = a.ndim

    def diag_of(c: Any, t: int) -> Any:
        d = np.diagonal(c, offset=offset, axis1=i, axis2=j)  # diagonal axis goes last
        return np.moveaxis(d, -1, nd - 2) if t else d

    return _map(a, diag_of)


@implements(np.trace)
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Jet:
    _no({"dtype": dtype, "out": out}, "np.trace", dtype=None, out=None)
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1)


def _merge_axes(a: Jet, axes: tuple[int, ...], front: bool) -> Jet:
    """a with the reduced ``axes`` merged into one axis, first (front) or last."""
    keep = [i for i in range(a.ndim) if i not in axes]
    order = list(axes) + keep if front else keep + list(axes)
    kept = tuple(a.shape[i] for i in keep)
    return reshape(transpose(a, order), (-1,) + kept if front else kept + (-1,))


def _kept(a_shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction over ``axes`` with keepdims=True."""
    return tuple(1 if i in axes else s for i, s in enumerate(a_shape))


def _reduce_selected(a: Any, axis: Any, keepdims: bool, pick: Callable[..., Any]) -> Jet:
    """max/min: the derivative flows through the selected element (the first at ties)."""
    axes = _axes(axis, a.ndim)
    if len(axes) != 1:  # several axes (or all): merge them into one
        if a.size == 0:
            raise ValueError(f"zero-size array to reduction operation {pick.__name__[3:]} which has no identity")
        merged = _merge_axes(a, axes, front=False)
        result = _reduce_selected(merged, -1, False, pick)
        return reshape(result, _kept(a.shape, axes)) if keepdims else result
    (ax,) = axes
    idx = np.expand_dims(pick(value_of(a.value), axis=ax), ax)
    nd = a.ndim

    def select(c: Any, t: int) -> Any:
        ix = idx.reshape(idx.shape + (1,) * t)
        r = np.take_along_axis(c, np.broadcast_to(ix, idx.shape[:nd] + shape_of(c)[nd:]), axis=ax)
        return r if keepdims else np.squeeze(r, axis=ax)

    return _map(a, select)


@implements(np.max, np.amax)
def max_(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Jet:
    _no({"out": out, **kwargs}, "np.max", out=None)
    return _reduce_selected(a, axis, keepdims, np.argmax)


@implements(np.min, np.amin)
def min_(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Jet:
    _no({"out": out, **kwargs}, "np.min", out=None)
    return _reduce_selected(a, axis, keepdims, np.argmin)


def _value_function(np_func: Any) -> Callable[..., Any]:
    def impl(*args: Any, **kwargs: Any) -> Any:
        return np_func(*(value_of(a) for a in args), **{k: value_of(v) for k, v in kwargs.items()})
    return impl


# value-only functions (ufuncs such as np.isnan go through __array_ufunc__ instead)
for _f in (np.argmax, np.argmin, np.argsort, np.allclose, np.isclose, np.array_equal, np.nonzero,
           np.count_nonzero, np.any, np.all, np.searchsorted):
    implements(_f)(_value_function(_f))


# -- reductions and scans -----------------------------------------------------------------

@implements(np.sum)
def sum_(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **kwargs: Any) -> Jet:
    _no({"dtype": dtype, "out": out, **kwargs}, "np.sum", dtype=None, out=None)
    axes = _axes(axis, a.ndim)
    return tracked_sum(a, _map(a, lambda c, t: np.sum(c, axis=axes, keepdims=keepdims)))


@implements(np.mean)
def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **kwargs: Any) -> Jet:
    _no({"dtype": dtype, "out": out, **kwargs}, "np.mean", dtype=None, out=None)
    axes = _axes(axis, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes]))
    return sum_(a, axis=axes, keepdims=keepdims) * (1.0 / count)


@implements(np.prod)
def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **kwargs: Any) -> Jet:
    """A running product with the multiply rule (exact at zeros, no division)."""
    _no({"dtype": dtype, "out": out, **kwargs}, "np.prod", dtype=None, out=None)
    axes = _axes(axis, a.ndim)
    result = _running_product(_merge_axes(a, axes, front=True) if len(axes) != 1 else moveaxis(a, axes[0], 0))
    return reshape(result, _kept(a.shape, axes)) if keepdims else result


def _running_product(a: Jet) -> Any:
    if a.shape[0] == 0:
        return a[0:0].sum(axis=0) + 1.0
    result = a[0]
    for i in range(1, a.shape[0]):
        result = result * a[i]
    return result


@implements(np.cumsum)
def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Jet:
    _no({"dtype": dtype, "out": out}, "np.cumsum", dtype=None, out=None)
    if axis is None:
        a, axis = ravel(a), 0
    (ax,) = _axes(axis, a.ndim)
    return _map(a, lambda c, t: np.cumsum(c, axis=ax))


@implements(np.diff)
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Jet:
    if prepend is not np._NoValue or append is not np._NoValue:
        raise TypeError("np.diff on dual numbers does not support prepend/append; use np.concatenate first")
    (ax,) = _axes(axis, a.ndim)
    return _map(a, lambda c, t: np.diff(c, n=n, axis=ax))


# -- multilinear maps: one product rule, as einsum --------------------------------------

def _parse_einsum(spec: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit input/output index strings (ellipses spelled out with spare letters)."""
    spec = spec.replace(" ", "")
    inputs, _, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum spec {spec!r} names {len(terms)} operands, got {len(shapes)}")
    used = set(spec) - set(",->.")
    spare = [ch for ch in string.ascii_letters if ch not in used]
    ell_len = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes, strict=True) if "..." in t),
                  default=0)
    ell = "".join(spare[:ell_len])
    terms = [t.replace("...", ell[ell_len - (len(s) - len(t.replace("...", ""))):]) if "..." in t else t
             for t, s in zip(terms, shapes, strict=True)]
    if "->" not in spec:
        counts = {ch: "".join(terms).count(ch) for ch in set("".join(terms))}
        output = ell + "".join(sorted(ch for ch, n in counts.items() if n == 1 and ch not in ell))
    else:
        output = output.replace("...", ell)
    return terms, output


def _multilinear(terms: list[str], output: str, operands: Sequence[Any]) -> Any:
    """einsum(terms -> output) of the operands, differentiated by the product rule."""
    operands = [as_array(o) for o in operands]
    live = _live(*operands)
    if live is None:
        return np.einsum(",".join(terms) + "->" + output, *operands)
    ops = [_lift(o, live) if isinstance(o, Jet) else as_constant(o) for o in operands]
    used = set("".join(terms))
    letters = [ch for ch in string.ascii_letters if ch not in used]
    d1, d2 = letters[0], letters[1]

    def ein(specs: list[tuple[Any, str]], out: str) -> Any:
        return np.einsum(",".join(s for _, s in specs) + "->" + out, *(a for a, _ in specs), optimize=len(specs) > 2)

    def values() -> list[tuple[Any, str]]:
        return [((o.value if tag_of(o) == live.tag else o), t) for o, t in zip(ops, terms, strict=True)]

    jets = [i for i, o in enumerate(ops) if tag_of(o) == live.tag]
    value = ein(values(), output)
    parts = live._parts()
    if len(parts) == 2:  # Dual: one partial
        nd = live.ndir
        suffix = d1 if nd else ""
        eps = None
        for i in jets:
            specs = values()
            specs[i] = (ops[i].eps, terms[i] + suffix)
            term = ein(specs, output + suffix)
            eps = term if eps is None else eps + term
        return type(live)._new(value, eps, live.tag, nd)
    nd = live.ndir  # HyperDual: eps1 (d1), eps2 (d2), eps12 (d1 d2)
    s1, s2 = (d1, d2) if nd else ("", "")
    e1 = e2 = e12 = None
    for i in jets:
        for attr, suffix in (("eps1", s1), ("eps2", s2), ("eps12", s1 + s2)):
            specs = values()
            specs[i] = (getattr(ops[i], attr), terms[i] + suffix)
            term = ein(specs, output + suffix)
            if attr == "eps1":
                e1 = term if e1 is None else e1 + term
            elif attr == "eps2":
                e2 = term if e2 is None else e2 + term
            else:
                e12 = term if e12 is None else e12 + term
        for j in jets:
            if j != i:
                specs = values()
                specs[i] = (ops[i].eps1, terms[i] + s1)
                specs[j] = (ops[j].eps2, terms[j] + s2)
                e12 = e12 + ein(specs, output + s1 + s2)
    return type(live)._new(value, e1, e2, e12, live.tag, nd)


@implements(np.einsum)
def einsum(subscripts: str, *operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Any:
    _no({"out": out, **kwargs}, "np.einsum", out=None)
    if not isinstance(subscripts, str):
        raise TypeError("np.einsum on dual numbers needs the subscripts-string form")
    operands = tuple(as_array(o) for o in operands)
    terms, output = _parse_einsum(subscripts, [shape_of(o) for o in operands])
    return _multilinear(terms, output, operands)


def _letters(n: int, start: int = 0) -> str:
    return string.ascii_lowercase[start:start + n]


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    _no({"out": out}, "np.dot", out=None)
    a, b = as_array(a), as_array(b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return a * b
    ta = _letters(na)
    if nb == 1:
        tb = ta[-1]
    else:
        tb = _letters(nb - 2, na) + ta[-1] + _letters(1, na + nb)
    return tracked_dot(a, b, _multilinear([ta, tb], ta[:-1] + tb.replace(ta[-1], ""), [a, b]))


@implements(np.matmul)
def matmul(a: Any, b: Any, out: Any = None, **kwargs: Any) -> Any:
    _no({"out": out, **kwargs}, "np.matmul", out=None)
    a, b = as_array(a), as_array(b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        raise ValueError("matmul: input operand does not have enough dimensions")
    ta = "...ij" if na >= 2 else "j"
    tb = "...jk" if nb >= 2 else "j"
    out_t = ("...i" if na >= 2 else "...") + ("k" if nb >= 2 else "")
    if na < 2 and nb < 2:
        out_t = ""
    terms, output = _parse_einsum(f"{ta},{tb}->{out_t}", [shape_of(a), shape_of(b)])
    return tracked_dot(a, b, _multilinear(terms, output, [a, b]))


@implements(np.inner)
def inner(a: Any, b: Any) -> Any:
    a, b = as_array(a), as_array(b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return a * b
    ta, tb = _letters(na - 1) + "z", _letters(nb - 1, na) + "z"
    return tracked_dot(a, b, _multilinear([ta, tb], ta[:-1] + tb[:-1], [a, b]))


@implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    _no({"out": out}, "np.outer", out=None)
    a, b = as_array(a), as_array(b)
    a = ravel(a) if isinstance(a, Jet) else np.ravel(a)
    b = ravel(b) if isinstance(b, Jet) else np.ravel(b)
    return _multilinear(["i", "j"], "ij", [a, b])


@implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    a, b = as_array(a), as_array(b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a, ax_b = [x % na for x in ax_a], [x % nb for x in ax_b]
    ta = list(_letters(na))
    tb = list(_letters(nb, na))
    for i, j in zip(ax_a, ax_b, strict=True):
        tb[j] = ta[i]
    out = [ch for i, ch in enumerate(ta) if i not in ax_a] + [ch for j, ch in enumerate(tb) if j not in ax_b]
    return _multilinear(["".join(ta), "".join(tb)], "".join(out), [a, b])


@implements(np.vdot)
def vdot(a: Any, b: Any) -> Any:
    return dot(ravel(a) if isinstance(a, Jet) else np.ravel(a), ravel(b) if isinstance(b, Jet) else np.ravel(b))


# -- matrix functions: expansion in the nilpotent part ----------------------------------

def _nilpotent(a: Jet) -> Jet:
    """a - value(a): the same jet with a zero value part."""
    return a._rebuild([np.zeros(shape_of(a.value)) if not isinstance(a.value, Jet) else a.value * 0.0]
                      + [c for c, _ in a._parts()[1:]])


def _solve_plain(a0: Any, b: Any, nrows: int) -> Any:
    """A0^-1 b for a plain or (nested) jet b whose first axis has the rows."""
    if isinstance(b, Jet):
        return _map(b, lambda c, t: _solve_plain(a0, c, nrows))
    flat = np.reshape(b, (nrows, -1))
    return np.linalg.solve(a0, flat).reshape(shape_of(b))


def _matrix_only(a: Any, who: str) -> None:
    if len(shape_of(a)) != 2 or shape_of(a)[0] != shape_of(a)[1]:
        raise TypeError(f"{who} on dual numbers supports one square 2-d matrix (no stacks of matrices)")


@implements(np.linalg.solve)
def solve(a: Any, b: Any) -> Any:
    """x = A⁻¹b for dual A and/or b: with A = A₀ + N, x = (I − SN + SNSN)·S b, S = A₀⁻¹."""
    _matrix_only(a, "np.linalg.solve")
    n = shape_of(a)[0]
    live = _live(a, b)
    if live is None:
        return np.linalg.solve(a, b)
    if isinstance(a, Jet) and isinstance(a.value, Jet) or (isinstance(a, Jet) and a.tag != live.tag):
        return matmul(inv(a), b)  # nested transforms: A carries an outer derivative
    a0 = a.value if isinstance(a, Jet) else a
    y = _solve_plain(a0, b, n)
    if not isinstance(a, Jet):
        return y
    nil = _nilpotent(a)
    correction = _solve_plain(a0, matmul(nil, y), n)
    second = _solve_plain(a0, matmul(nil, correction), n)
    return y - correction + second


@implements(np.linalg.inv)
def inv(a: Any) -> Any:
    """A⁻¹ = (I − P + P²)·A₀⁻¹ with P = A₀⁻¹N (exact for N² = 0 or N³ = 0)."""
    _matrix_only(a, "np.linalg.inv")
    x0 = np.linalg.inv(a.value)
    p = matmul(x0, _nilpotent(a))
    eye_minus = (p * -1.0) + matmul(p, p)
    return matmul(eye_minus, x0) + x0


@implements(np.linalg.det)
def det(a: Any) -> Any:
    """det A = det A₀ · (1 + tr P − tr(P²)/2 + (tr P)²/2), P = A₀⁻¹N."""
    _matrix_only(a, "np.linalg.det")
    x0 = inv(a.value) if isinstance(a.value, Jet) else np.linalg.inv(a.value)
    p = matmul(x0, _nilpotent(a))
    t1 = trace(p)
    return np.linalg.det(a.value) * (1.0 + t1 - 0.5 * trace(matmul(p, p)) + 0.5 * t1 * t1)


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector norms (2, 1, inf, -inf, p) and the Frobenius matrix norm, from dual operations.

    At x = 0 the 2-norm has derivative 0 (the abs'(0) = 0 convention)."""
    nd = x.ndim
    matrix = (axis is None and nd == 2) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
    if matrix:
        if ord not in (None, "fro"):
            raise TypeError(f"np.linalg.norm(ord={ord!r}) of a dual matrix is not supported; use 'fro'")
        return functions.sqrt(sum_(x * x, axis=axis, keepdims=keepdims))
    if axis is None and nd != 1:
        result = norm(ravel(x), ord)
        return reshape(result, (1,) * nd) if keepdims else result
    if ord is None or ord == 2:
        return functions.sqrt(sum_(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum_(functions.abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return max_(functions.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min_(functions.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        return sum_(functions.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    raise TypeError(f"np.linalg.norm(ord={ord!r}) is not supported on dual numbers")


# -- ufuncs other than the elementwise rules -------------------------------------------------

_REDUCE = {np.add: sum_, np.multiply: prod, np.maximum: max_, np.minimum: min_}
# ufunc.accumulate implementations (np.add here; numpy_statistics registers the others)
ACCUMULATE: dict[np.ufunc, Callable[..., Any]] = {np.add: cumsum}


def ufunc_method(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    if method == "reduce" and ufunc in _REDUCE:
        return _REDUCE[ufunc](*inputs, **{k: v for k, v in kwargs.items() if k in ("axis", "keepdims")})
    if method == "accumulate" and ufunc in ACCUMULATE:
        return ACCUMULATE[ufunc](inputs[0], axis=kwargs.get("axis", 0))
    if method == "at":
        return _ufunc_at(ufunc, *inputs)
    raise TypeError(
        f"{ufunc_name(ufunc)}.{method} is not supported on dual numbers; use np.sum / "
        "np.prod / np.cumsum / np.max or an explicit loop")


def _ufunc_at(ufunc: np.ufunc, a: Any, indices: Any, b: Any = None) -> None:
    """``np.ufunc.at(a, indices, b)``: unbuffered, in place, so a repeated index applies
    repeatedly (``np.add.at(y, [0, 0], 1)`` adds 2), derivative parts included."""
    if not isinstance(a, Jet):
        if isinstance(a, np.ndarray) and a.dtype == object:
            raise TypeError(f"{ufunc_name(ufunc)}.at on an object array of dual numbers is not "
                            "supported; use a dual array (np.zeros_like(x))")
        raise DualConversionError(
            f"{ufunc_name(ufunc)}.at(a, ...) would store dual numbers into the float array a "
            "and drop their derivative parts; allocate a from x (np.zeros_like(x), "
            "np.empty_like(x) or dtype=x.dtype)")
    if ufunc.nin != (1 if b is None else 2):
        raise TypeError(f"{ufunc_name(ufunc)}.at takes {ufunc.nin} operand(s)")
    # the flat positions, in numpy's order, that ``a[indices]`` selects (slices, fancy, tuples)
    positions = np.arange(a.size).reshape(a.shape)[value_of(indices)]
    where = np.unravel_index(positions.ravel(), a.shape)
    if b is not None:
        b = as_array(b)
        values = b if isinstance(b, Jet) else np.asarray(b, dtype=np.float64)
        values = broadcast_to(values, positions.shape) if isinstance(values, Jet) else np.broadcast_to(values, positions.shape)
        values = reshape(values, (-1,)) if isinstance(values, Jet) else values.reshape(-1)
    a._own()
    linear = ufunc in (np.add, np.subtract) and b is not None and (not isinstance(b, Jet) or b.tag == a.tag) \
        and all(isinstance(c, np.ndarray) for c, _ in a._parts())
    if linear:  # numpy's own unbuffered add on every part
        sign = 1.0 if ufunc is np.add else -1.0
        lifted = _lift(values, a)
        for (c, _), (v, _) in zip(a._parts(), lifted._parts(), strict=True):
            np.add.at(c, where, sign * v if sign < 0 else v)
        return None
    for k, pos in enumerate(zip(*where, strict=True)):  # sequentially: each sees the last
        a[pos] = ufunc(a[pos]) if b is None else ufunc(a[pos], values[k])
    return None


def ufunc_call(ufunc: np.ufunc, inputs: tuple) -> Any:
    if ufunc is np.matmul:
        return matmul(*inputs)
    if ufunc is np.conjugate:  # dual numbers are real: a copy of the number itself
        return copy(as_array(inputs[0]))
    if ufunc is np.float_power:  # x**y computed in float64: np.power's rule on float64 duals
        return apply_binary(rules.RULE_BY_UFUNC[np.power], *inputs)
    raise TypeError(no_rule(ufunc))


# -- ndarray-style methods and attributes on dual numbers ----------------------------------

def _method(np_func: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Jet, *args: Any, **kwargs: Any) -> Any:
        return np_func(self, *args, **kwargs)
    method.__name__ = np_func.__name__
    method.__doc__ = f"Same as ``np.{np_func.__name__}(self, ...)``."
    return method


def _reshape_method(self: Jet, *shape: Any, order: str = "C") -> Jet:
    return reshape(self, shape[0] if len(shape) == 1 else shape, order)


def _transpose_method(self: Jet, *axes: Any) -> Jet:
    return transpose(self, None if not axes else axes[0] if len(axes) == 1 else axes)


def _astype(self: Jet, dtype: Any, *args: Any, **kwargs: Any) -> Jet:
    """float64 (the dtype duals compute in) or object: a copy; anything else would drop
    or distort the derivative and raises."""
    if dtype is object or dtype is float or np.dtype(dtype) in (np.dtype(np.float64), np.dtype(object)):
        return copy(self)
    raise DualConversionError(
        f"cannot convert a dual array to {np.dtype(dtype)}: that would drop or round its "
        "derivative part; use .value.astype(...) if only the value is wanted")


def _item(self: Jet, *args: Any) -> Any:
    raise DualConversionError(
        "dual.item() would return a plain number and drop the derivative; index the dual "
        "(d[i]) to keep it, or use d.value.item() for the value alone")


def _tolist(self: Jet) -> Any:
    return [e.tolist() if e.ndim else e for e in self] if self.ndim else self


def _inplace_operator(name: str, binary: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``a op= b``: numpy's semantics.  A dual array is updated in place, so views of it and
    other names for it see the change; a scalar dual (immutable, like a numpy scalar)
    rebinds to the result."""
    def op(self: Jet, other: Any) -> Any:
        if not isinstance(value_of(self), np.ndarray):
            return NotImplemented  # a scalar: Python rebinds to self <op> other (reflected first
            # for a subclass operand, such as a term sum of sparse.hessian's pass)
        result = binary(self, other)
        if result is NotImplemented:
            return result
        if isinstance(result, np.ndarray) and result.dtype == object:
            result = as_array(result)
        if shape_of(result) != self.shape:
            raise ValueError(
                f"non-broadcastable output operand with shape {self.shape} doesn't match the "
                f"broadcast shape {shape_of(result)}")
        self[...] = result
        return self
    op.__name__ = f"__i{name}__"
    return op


def _matmul(self: Jet, other: Any) -> Any:
    return matmul(self, other)


class ObjectArrayWarning(UserWarning):
    """A dual array was converted to an object array of scalar duals (``np.asarray(x)``)."""


_OBJECT_ARRAY_ADVICE = (
    "np.asarray turned a dual array of shape {shape} into an object array of scalar dual "
    "numbers: the result is exact, but every operation on it runs element by element in "
    "Python (5-20x slower than on the dual array; dd.grad(scipy.optimize.rosen) at n = 5000: "
    "~3 s against ~0.2 s). The cause is code that calls np.asarray/np.array on its input "
    "(scipy.optimize.rosen does). Fix: pass the dual array to code that does not convert it "
    "(copy the function without the np.asarray line), or ignore this warning "
    "(dualdiff.numpy_api.ObjectArrayWarning) if the speed is acceptable. See docs/supported-functions.md, "
    "'Object arrays of dual numbers'.")


class NumpyArray:
    """numpy's protocols and the ndarray methods, for the number kinds.

    Mixed into :class:`~dualdiff.Dual` and :class:`~dualdiff.HyperDual` (``class Dual(
    NumpyArray, Jet)``), so the numpy layer sits above the jet core instead of being
    patched onto it: ``np.sin(d)`` reaches ``__array_ufunc__``, ``np.sum(d)``
    ``__array_function__``, and ``d.sum()``, ``d.T``, ``d += e`` the methods below.
    """

    __slots__ = ()

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        if out is not None:
            result = self.__array_ufunc__(ufunc, method, *inputs, **kwargs)
            return store_out(out, result, f"{ufunc_name(ufunc)}")
        if method != "__call__":
            return ufunc_method(ufunc, method, inputs, kwargs)
        if kwargs:
            raise TypeError(
                f"{ufunc_name(ufunc)} on dual numbers does not take the keyword(s) "
                f"{sorted(kwargs)}")
        rule = rules.RULE_BY_UFUNC.get(ufunc)
        if isinstance(rule, rules.Unary):
            return apply_unary(rule, inputs[0])
        if isinstance(rule, rules.Binary):
            return apply_binary(rule, inputs[0], inputs[1])
        if ufunc in VALUE_UFUNCS:
            return ufunc(*(value_of(i) for i in inputs))
        return ufunc_call(ufunc, inputs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return array_function(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """np.asarray(dual): an object array of scalar duals (exact, but slow to compute with:
        warns once per call site, naming the cause and the fix); a float dtype raises."""
        if dtype is not None and np.dtype(dtype) != np.dtype(object):
            try:  # as numpy reports it without __array__: the dual's __float__ names the fix
                float(self if not self.shape else self[(0,) * self.ndim])
            except DualConversionError as cause:
                raise ValueError("setting an array element with a sequence: a dual number cannot "
                                 f"become a {np.dtype(dtype)}") from cause
        if not self.shape:
            out = np.empty((), dtype=object)
            out[()] = self
            return out
        result = to_object_array(self)  # as fast as numpy's own sequence protocol (measured)
        self._as_objects = True  # the engine reads it: later passes carry more directions
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.split(".")[0] != "dualdiff":  # dualdiff's own object arrays (nesting) are meant
            warnings.warn(
                _OBJECT_ARRAY_ADVICE.format(shape=self.shape), ObjectArrayWarning, stacklevel=2)
        return result

    # ndarray methods: the numpy functions above
    sum = _method(sum_)
    mean = _method(mean)
    var = _method(np.var)
    std = _method(np.std)
    cumprod = _method(np.cumprod)
    repeat = _method(np.repeat)

    def conjugate(self) -> Jet:
        """The number itself (duals are real); numpy's object-array paths call it."""
        return self

    conj = conjugate

    @property
    def real(self) -> Jet:
        return self
    prod = _method(prod)
    cumsum = _method(cumsum)
    dot = _method(dot)
    ravel = _method(ravel)
    squeeze = _method(squeeze)
    swapaxes = _method(swapaxes)
    diagonal = _method(diagonal)
    trace = _method(trace)
    max = _method(max_)
    min = _method(min_)
    take = _method(take)
    clip = _method(clip)
    copy = _method(copy)
    reshape = _reshape_method
    transpose = _transpose_method
    astype = _astype
    item = _item
    tolist = _tolist
    fill = _fill

    @property
    def T(self) -> Jet:  # noqa: N802 - numpy's name
        return transpose(self)

    @property
    def dtype(self) -> np.dtype:
        """object: ``np.empty(n, dtype=x.dtype)`` then makes an array that can hold duals."""
        return np.dtype(object)

    def flatten(self) -> Jet:
        return copy(ravel(self))

    __matmul__ = _matmul

    def __rmatmul__(self, other: Any) -> Any:
        return matmul(other, self)

    __imatmul__ = _inplace_operator("matmul", _matmul)


for _dunder in OPERATORS:
    setattr(NumpyArray, f"__i{_dunder}__", _inplace_operator(_dunder, getattr(Jet, f"__{_dunder}__")))
