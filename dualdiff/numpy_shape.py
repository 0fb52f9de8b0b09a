"""numpy's data-moving functions on dual arrays: tile, repeat, roll, flip, rot90, pad, sort,
partition, tril/triu, the split family, column_stack, append, select, nan_to_num, round,
cross, kron and einsum's sublist form.

Most of them move elements without arithmetic: ``y = a[P]`` for an index array P that
depends on the shape alone (tile, repeat, roll, flip, rot90, pad's edge/reflect/symmetric/
wrap modes) or on the *value* alone (sort, partition: P = argsort of the value).  Such a map
is linear with the same P for every component, so it is computed once, by running numpy's
own function on the element positions ``arange(a.size).reshape(a.shape)``, and applied to
the value and every partial alike (:func:`gather`).  Where the value decides P (sort), the
derivative follows the element: d sort(a) = (da)[P], exact wherever the order is strict
(at ties, the elements' derivatives are kept in numpy's stable order).

cross and kron are bilinear and go through the product rule of
:func:`dualdiff.numpy_api._multilinear` (cross with the Levi-Civita tensor as a constant).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import functions
from .jet import Jet, shape_of, value_of
from .numpy_api import (
    _axes,
    _map,
    _multilinear,
    as_array,
    concatenate,
    einsum,
    implements,
    moveaxis,
    ravel,
    reshape,
)


def positions(a: Jet) -> np.ndarray:
    """The flat position of every element of a, in a's shape."""
    return np.arange(a.size).reshape(a.shape)


def gather(a: Jet, where: np.ndarray) -> Jet:
    """The jet whose element i is a.flat[where[i]] (value and every partial alike)."""
    nd = a.ndim
    where = np.asarray(where)

    def pick(c: Any, t: int) -> Any:
        flat = reshape(c, (-1,) + shape_of(c)[nd:]) if isinstance(c, Jet) else np.reshape(c, (-1,) + shape_of(c)[nd:])
        return flat[where]

    result = _map(a, pick)
    result._owned = True  # fancy indexing copied every array
    return result


def _jet(a: Any) -> Any:
    return as_array(a)


@implements(np.tile)
def tile(A: Any, reps: Any) -> Any:
    A = _jet(A)
    return gather(A, np.tile(positions(A), reps))


@implements(np.repeat)
def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    a = _jet(a)
    return gather(a, np.repeat(positions(a), value_of(repeats), axis=axis))


@implements(np.roll)
def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    a = _jet(a)
    return gather(a, np.roll(positions(a), shift, axis=axis))


@implements(np.flip)
def flip(m: Any, axis: Any = None) -> Any:
    m = _jet(m)
    return gather(m, np.flip(positions(m), axis=axis))


@implements(np.flipud)
def flipud(m: Any) -> Any:
    m = _jet(m)
    return gather(m, np.flipud(positions(m)))


@implements(np.fliplr)
def fliplr(m: Any) -> Any:
    m = _jet(m)
    return gather(m, np.fliplr(positions(m)))


@implements(np.rot90)
def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    m = _jet(m)
    return gather(m, np.rot90(positions(m), k, axes))


_PAD_GATHER = {"edge", "reflect", "symmetric", "wrap"}


@implements(np.pad)
def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """np.pad: 'constant' (plain constant_values), 'edge', 'reflect', 'symmetric', 'wrap'.

    The padded elements are copies of elements of ``array`` (derivatives copied with them)
    or constants (derivative 0).  reflect_type='odd' and the statistic modes are refused."""
    a = _jet(array)
    if not isinstance(a, Jet):
        return np.pad(a, pad_width, mode=mode, **kwargs)
    if mode in _PAD_GATHER:
        if kwargs.get("reflect_type", "even") != "even":
            raise TypeError("np.pad(reflect_type='odd') is not supported on dual numbers")
        return gather(a, np.pad(positions(a), pad_width, mode=mode, **kwargs))
    if mode != "constant":
        raise TypeError(f"np.pad(mode={mode!r}) is not supported on dual numbers; use 'constant', "
                        "'edge', 'reflect', 'symmetric' or 'wrap'")
    constants = kwargs.pop("constant_values", 0.0)
    if kwargs:
        raise TypeError(f"np.pad on dual numbers does not take {sorted(kwargs)}")
    if isinstance(constants, Jet):
        raise TypeError("np.pad(constant_values=<dual>) is not supported; pad with 0 and add it")
    nd = a.ndim
    per_side = np.broadcast_to(np.asarray(constants, dtype=np.float64), (nd, 2))
    codes = -1 - np.arange(2 * nd).reshape(nd, 2)  # position -1-j: the j-th constant
    where = np.pad(positions(a), pad_width, mode="constant", constant_values=codes)
    where = np.where(where < 0, a.size + (-1 - where), where)
    extra = _jet_constants(a, per_side.ravel())
    return gather(concatenate([ravel(a), extra]), where)


def _jet_constants(a: Jet, values: np.ndarray) -> Jet:
    zero = a[(0,) * a.ndim] if a.size else None
    base = (zero * 0.0) if zero is not None else a.sum() * 0.0
    return base + values  # constants of a's kind and tag (zero partials)


def _triangle(m: Any, k: int, lower: bool) -> Any:
    m = _jet(m)
    if not isinstance(m, Jet):
        return np.tril(m, k) if lower else np.triu(m, k)
    shape = m.shape[-2:] if m.ndim >= 2 else (m.shape[0], m.shape[0])
    keep = np.tril(np.ones(shape, dtype=bool), k) if lower else np.triu(np.ones(shape, dtype=bool), k)
    if m.ndim == 1:  # numpy broadcasts a 1-d input to a square matrix
        m = functions.where(np.ones(shape, dtype=bool), m, 0.0)
    nd = m.ndim

    def mask(c: Any, t: int) -> Any:
        return np.where(keep.reshape(keep.shape + (1,) * (len(shape_of(c)) - nd)), c, 0.0)

    return _map(m, mask)


@implements(np.tril)
def tril(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, True)


@implements(np.triu)
def triu(m: Any, k: int = 0) -> Any:
    return _triangle(m, k, False)


# -- splitting (views, as numpy's) ----------------------------------------------------------------

def _split(a: Any, indices_or_sections: Any, axis: int, exact: bool) -> list[Any]:
    a = _jet(a)
    (ax,) = _axes(axis, a.ndim)
    idx = np.arange(a.shape[ax])
    pieces = np.split(idx, indices_or_sections) if exact else np.array_split(idx, indices_or_sections)
    out, start = [], 0
    for p in pieces:
        stop = start + len(p)
        out.append(a[(slice(None),) * ax + (slice(start, stop),)])
        start = stop
    return out


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    return _split(ary, indices_or_sections, axis, exact=True)


@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    return _split(ary, indices_or_sections, axis, exact=False)


@implements(np.hsplit)
def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    return _split(ary, indices_or_sections, 1 if len(shape_of(ary)) > 1 else 0, exact=True)


@implements(np.vsplit)
def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    return _split(ary, indices_or_sections, 0, exact=True)


@implements(np.dsplit)
def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    return _split(ary, indices_or_sections, 2, exact=True)


# -- joining and choosing ---------------------------------------------------------------------

@implements(np.column_stack)
def column_stack(tup: Sequence[Any]) -> Any:
    cols = []
    for a in tup:
        a = _jet(a)
        if len(shape_of(a)) < 2:
            a = reshape(a, (-1, 1)) if isinstance(a, Jet) else np.reshape(a, (-1, 1))
        cols.append(a)
    return concatenate(cols, axis=1)


@implements(np.append)
def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    arr, values = _jet(arr), _jet(values)
    if axis is None:
        flat = [ravel(x) if isinstance(x, Jet) else np.ravel(x) for x in (arr, values)]
        return concatenate(flat, axis=0)
    return concatenate([arr, values], axis=axis)


@implements(np.select)
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """The first choice whose condition holds (conditions read by value); the derivative
    follows the chosen element."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    result = _jet(default)
    for cond, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = functions.where(value_of(cond), _jet(choice), result)
    shape = np.broadcast_shapes(*(np.shape(value_of(c)) for c in condlist), shape_of(result))
    return result + np.zeros(shape) if shape_of(result) != shape else result


@implements(np.nan_to_num)
def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """Non-finite values replaced by constants (derivative 0 there); elsewhere unchanged."""
    x = _jet(x)
    bad = ~np.isfinite(value_of(x))
    nd = x.ndim

    def fix(c: Any, t: int) -> Any:
        return np.where(bad.reshape(bad.shape + (1,) * (len(shape_of(c)) - nd)), 0.0, c)

    parts = x._parts()
    value = np.nan_to_num(parts[0][0], nan=nan, posinf=posinf, neginf=neginf)
    result = x._rebuild([value] + [fix(c, t) for c, t in parts[1:]])
    result._owned = True
    return result


@implements(np.round, np.around)
def round_(a: Any, decimals: int = 0, out: Any = None) -> Any:
    """Rounded value, derivative 0 (the documented convention of round)."""
    if out is not None:
        raise TypeError("np.round(out=...) is not supported on dual numbers")
    a = _jet(a)
    return a._with_zero_partials(np.round(a.value, decimals))


# -- sort and partition: the value decides the positions ---------------------------------------

@implements(np.sort)
def sort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    if order is not None:
        raise TypeError("np.sort(order=...) is not supported on dual numbers")
    a = _jet(a)
    if axis is None:
        a, axis = ravel(a), 0
    idx = np.argsort(value_of(a), axis=axis, kind="stable")
    return gather(a, np.take_along_axis(positions(a), idx, axis=axis))


@implements(np.partition)
def partition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect", order: Any = None) -> Any:
    if order is not None:
        raise TypeError("np.partition(order=...) is not supported on dual numbers")
    a = _jet(a)
    if axis is None:
        a, axis = ravel(a), 0
    idx = np.argpartition(value_of(a), kth, axis=axis)
    return gather(a, np.take_along_axis(positions(a), idx, axis=axis))


# -- bilinear: cross, kron; einsum's sublist form ---------------------------------------------------

_LEVI_CIVITA = np.zeros((3, 3, 3))
for _i, _j, _k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    _LEVI_CIVITA[_i, _j, _k], _LEVI_CIVITA[_i, _k, _j] = 1.0, -1.0


@implements(np.cross)
def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """a × b = ε_ijk a_j b_k (3-vectors), a₀b₁ - a₁b₀ (2-vectors), along the last axis."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _jet(a), _jet(b)
    if axisa != -1:
        a = moveaxis(a, axisa, -1) if isinstance(a, Jet) else np.moveaxis(a, axisa, -1)
    if axisb != -1:
        b = moveaxis(b, axisb, -1) if isinstance(b, Jet) else np.moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na != nb or na not in (2, 3):
        raise TypeError("np.cross on dual numbers needs two 2-vectors or two 3-vectors (along the axis)")
    shape = np.broadcast_shapes(shape_of(a)[:-1], shape_of(b)[:-1]) + (na,)
    a = np.broadcast_to(a, shape) if shape_of(a) != shape else a
    b = np.broadcast_to(b, shape) if shape_of(b) != shape else b
    lead = "".join(chr(ord("m") + i) for i in range(len(shape) - 1))
    if na == 3:
        out = _multilinear(["ijk", lead + "j", lead + "k"], lead + "i", [_LEVI_CIVITA, a, b])
        return moveaxis(out, -1, axisc) if axisc != -1 and isinstance(out, Jet) else out
    eps2 = np.array([[0.0, 1.0], [-1.0, 0.0]])
    return _multilinear(["jk", lead + "j", lead + "k"], lead, [eps2, a, b])


@implements(np.kron)
def kron(a: Any, b: Any) -> Any:
    """kron(a, b)[..., i·p + k, ...] = a[..., i, ...]·b[..., k, ...] (an outer product, reshaped)."""
    a, b = _jet(a), _jet(b)
    nd = max(len(shape_of(a)), len(shape_of(b)))
    sa = (1,) * (nd - len(shape_of(a))) + shape_of(a)
    sb = (1,) * (nd - len(shape_of(b))) + shape_of(b)
    a = reshape(a, sa) if isinstance(a, Jet) else np.reshape(a, sa)
    b = reshape(b, sb) if isinstance(b, Jet) else np.reshape(b, sb)
    ta = "".join(chr(ord("a") + i) for i in range(nd))
    tb = "".join(chr(ord("n") + i) for i in range(nd))
    out = _multilinear([ta, tb], "".join(x + y for x, y in zip(ta, tb, strict=True)), [a, b])
    return reshape(out, tuple(x * y for x, y in zip(sa, sb, strict=True)))


def _sublist_to_subscripts(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """einsum(op0, sub0, op1, sub1, ..., [out]) -> ("ij,jk->ik", [op0, op1, ...])."""
    def letters(sub: Sequence[Any]) -> str:
        return "".join("..." if s is Ellipsis else string.ascii_letters[int(s)] for s in sub)

    args = list(args)
    operands, terms = args[0::2], args[1::2]
    output = None
    if len(args) % 2 == 1:
        operands, output = operands[:-1], args[-1]
    spec = ",".join(letters(t) for t in terms)
    if output is not None:
        spec += "->" + letters(output)
    return spec, operands


@implements(np.einsum)
def einsum_any(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Any:
    """np.einsum in both forms: the subscripts string and the sublist form."""
    if operands and isinstance(operands[0], str):
        return einsum(operands[0], *operands[1:], out=out, optimize=optimize, **kwargs)
    spec, ops = _sublist_to_subscripts(operands)
    return einsum(spec, *ops, out=out, optimize=optimize, **kwargs)


__all__ = ["gather", "positions", "sort", "partition", "cross", "kron", "pad", "select"]
