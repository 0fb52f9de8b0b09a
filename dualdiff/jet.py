"""What Dual and HyperDual share: tags, dispatch to the rules table, no float conversion.

A *jet* is a number carrying a value and derivative parts ("partials").  The two kinds,
:class:`~dualdiff.Dual` and :class:`~dualdiff.HyperDual`, differ only in their partials
and the chain rule that propagates them; everything else lives here:

* **Tags** keep nested differentiations apart (perturbation confusion).  Every transform
  call draws a fresh, larger tag.  In an operation between jets of different tags, the
  jet with the larger tag is the live one and the other is a constant *to it*: the newer
  perturbation sits outermost, its components may be jets of older tags.
* **Dispatch**: arithmetic operators, numpy ufuncs (``__array_ufunc__``) and the
  ``dualdiff`` functions all end in :func:`apply_unary` / :func:`apply_binary`, which
  look the function up in :mod:`dualdiff.rules`.
* **No silent conversion**: ``float(d)``, ``int(d)``, ``math.sin(d)`` and storing a jet in
  a float array raise :class:`DualConversionError` (a ``TypeError``) naming the fix.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from typing import Any

import numpy as np

from . import rules
from .rules import Binary, Unary, is_table_constant  # noqa: F401 - dual.py and hyperdual.py import it from here

_tags = itertools.count(1)
_isfinite = math.isfinite


def new_tag() -> int:
    """A fresh tag, larger than every tag drawn before (user-made jets have tag 0)."""
    return next(_tags)


class DualConversionError(TypeError):
    """Raised when a dual number would be converted to a plain number (losing derivatives)."""


_CONVERSION_FIX = (
    "that would drop its derivative part. Use .value for the value alone; use dd.sin / "
    "np.sin (or `from dualdiff import math`) instead of math.sin; and allocate arrays that "
    "hold duals from x (np.empty_like(x), np.zeros_like(x), dtype=x.dtype) or build a list, "
    "not np.zeros(n) / np.empty(n), which are float arrays."
)

# ufuncs that act on the value only (their result carries no derivative)
VALUE_UFUNCS = frozenset({
    np.isnan, np.isinf, np.isfinite, np.signbit, np.less, np.less_equal, np.greater,
    np.greater_equal, np.equal, np.not_equal, np.logical_not,
})


def is_plain_number(a: Any) -> bool:
    """True for real Python and numpy scalars (not bool, not complex)."""
    return isinstance(a, (numbers.Real, np.number)) and not isinstance(
        a, (bool, np.bool_, complex, np.complexfloating))


def as_constant(a: Any) -> Any:
    """Normalise a non-jet operand: float64 scalars/arrays, object arrays kept; else None."""
    if isinstance(a, np.ndarray):
        if a.dtype == np.float64 or a.dtype == object:
            return a
        if a.dtype.kind in "iubf":  # float32 etc.: derivatives are computed in float64
            return a.astype(np.float64)
        raise TypeError(f"dual numbers do not support arrays of dtype {a.dtype}; use real floats")
    if isinstance(a, (float, int)) and not isinstance(a, bool):
        return np.float64(a)
    if isinstance(a, np.float64):
        return a
    if isinstance(a, (np.floating, np.integer, bool, np.bool_)):
        return np.float64(a)
    if isinstance(a, (complex, np.complexfloating)):
        raise TypeError("dual numbers are real: complex operands are not supported")
    if isinstance(a, (list, tuple)):
        return as_constant(np.asarray(a))
    return None


def shape_of(a: Any) -> tuple[int, ...]:
    """The shape of a number, array or jet (without numpy's dispatch)."""
    shape = getattr(a, "shape", None)
    return () if shape is None else shape


def fmt(a: Any) -> str:
    """A component for repr: plain numbers for numpy scalars."""
    if isinstance(a, np.floating):
        return repr(float(a))
    return repr(a)


def component(a: Any, kind: str, name: str) -> Any:
    """A constructor argument as a component: a jet, or a real float64 scalar/array."""
    if isinstance(a, Jet):
        return a
    c = as_constant(a)
    if c is None or (isinstance(c, np.ndarray) and c.dtype == object):
        raise TypeError(f"{kind} {name} must be a real number or array of reals, got {type(a).__name__}")
    return c


def fit(part: Any, shape: tuple[int, ...], dirs: tuple[int, ...]) -> Any:
    """Broadcast a partial to ``shape + dirs`` (operations with constants may leave it smaller)."""
    want = shape + dirs
    if shape_of(part) == want:
        return part
    if isinstance(part, Jet):
        return part + np.zeros(want)
    return np.array(np.broadcast_to(part, want))


def tag_of(a: Any) -> int:
    return a.tag if isinstance(a, Jet) else -1


def _is_object_array(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == object


def to_object_array(a: Any) -> Any:
    """An array-valued jet as an object array of scalar jets (other values unchanged).

    The elements are a snapshot: their values are scalars and their partials rows of one
    private copy of ``a``'s, so a later write into ``a`` changes neither (a value and its
    derivative never disagree), and nothing writes into that copy, so the elements
    need not own their rows (``_owned`` False: operations may borrow them).
    """
    if isinstance(a, Jet) and a.shape != ():
        out = np.empty(a.shape, dtype=object)
        parts = a._parts()
        if not all(type(c) is np.ndarray for c, _ in parts):  # nested jets: index them
            for index in np.ndindex(a.shape):
                out[index] = a[index]
            return out
        n, nd = out.size, a.ndim
        rows = [c.reshape(n) if not t else c.reshape((n,) + c.shape[nd:]).copy() for c, t in parts]
        rebuild, flat = a._rebuild, out.reshape(n)
        for i, elem in enumerate(zip(*rows, strict=True)):
            flat[i] = rebuild(list(elem))
        return out
    return a


def went_through_object_array(a: Any) -> bool:
    """Whether ``np.asarray`` turned the dual array ``a`` into an object array of scalar
    duals (recorded on ``a`` by ``NumpyArray.__array__``; the engine then widens passes)."""
    return getattr(a, "_as_objects", False)


def value(f: Any, *args: Any) -> Any:
    """The value ``f(*args)`` of an operation, computed here so that numpy's floating-point
    warnings about it are attributed to this module and reach the user as on floats; the
    derivative parts are computed in ``dual``/``hyperdual``/``rules``, whose warnings
    (an infinite coefficient at a singular point, by convention) are filtered out."""
    return f(*args)


_PARTIALS_MODULES = r"dualdiff\.(dual|hyperdual|rules)$"


def quiet_partials() -> None:
    """Ignore numpy's RuntimeWarnings raised on the lines that compute derivative parts.

    dualdiff's own derivative products may meet an inf or 0/0 at a singular point: that
    is the documented convention (``sqrt'(0) = inf``), never the user's floating-point
    warning.  One warnings filter, for those modules only, does it at no cost per
    operation; transforms re-install it if a ``warnings.catch_warnings`` block (pytest
    runs each test in one) dropped it.  Values are computed in this module
    (:func:`value`), so warnings about them still reach the user.
    """
    for f in warnings.filters:
        if f[0] == "ignore" and f[2] is RuntimeWarning and f[3] is not None and f[3].pattern == _PARTIALS_MODULES:
            return
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=_PARTIALS_MODULES)


quiet_partials()


def apply_unary(rule: Unary, x: Any) -> Any:
    """``rule`` applied to ``x``: a jet, an object array of jets, or a plain number/array."""
    if isinstance(x, Jet):
        try:
            return x._unary(rule)
        except (FloatingPointError, RuntimeWarning):  # np.seterr "raise", warnings as errors
            # np.seterr(...="raise"): the value raises as it would on floats (the user's
            # error); dualdiff's own derivative products never do
            rule.f(x.value)
            with np.errstate(all="ignore"):
                return x._unary(rule)
    if _is_object_array(x):
        return np.frompyfunc(lambda e: apply_unary(rule, e), 1, 1)(x)
    c = as_constant(x)
    if c is None:
        raise TypeError(f"{rule.name}() needs a number, array or dual number, got {type(x).__name__}")
    return rule.f(c)


def apply_binary(rule: Binary, x: Any, y: Any) -> Any:
    """``rule`` applied to ``(x, y)``; the operand with the larger tag is the live one.

    Floating-point errors follow the user's ``np.seterr`` for the value only: with
    ``"raise"``, an operation whose value is fine but whose derivative part meets an
    inf or 0/0 (``sqrt'(0)``) is redone quietly instead of raising.
    """
    try:
        return _apply_binary(rule, x, y)
    except (FloatingPointError, RuntimeWarning):
        rule.f(value_of(x), value_of(y))  # raises if the value itself does
        with np.errstate(all="ignore"):
            return _apply_binary(rule, x, y)


def _apply_binary(rule: Binary, x: Any, y: Any) -> Any:
    # the common cases first, as the general code below decides them (one number kind and
    # tag, or a jet and a float): arithmetic on the scalar duals of object arrays is all these
    if isinstance(x, Jet):
        if isinstance(y, Jet):
            if x.tag == y.tag and type(x) is type(y):
                return x._binary(rule, x, y, True, True)
        elif type(y) is np.float64:
            return x._binary(rule, x, y, True, False)
        elif type(y) is float or type(y) is int:
            return x._binary(rule, x, np.float64(y), True, False)
    elif isinstance(y, Jet):
        if type(x) is np.float64:
            return y._binary(rule, x, y, False, True)
        if type(x) is float or type(x) is int:
            return y._binary(rule, np.float64(x), y, False, True)
    if _is_object_array(x) or _is_object_array(y):
        x, y = to_object_array(x), to_object_array(y)
        return np.frompyfunc(lambda a, b: _apply_binary(rule, a, b), 2, 1)(x, y)
    tx, ty = tag_of(x), tag_of(y)
    if tx > ty:
        if ty < 0:
            y = _constant_operand(rule, y)
            if _is_object_array(y):
                return _apply_binary(rule, x, y)
        return x._binary(rule, x, y, True, False)
    if ty > tx:
        if tx < 0:
            x = _constant_operand(rule, x)
            if _is_object_array(x):
                return _apply_binary(rule, x, y)
        return y._binary(rule, x, y, False, True)
    if tx < 0:
        return rule.f(_constant_operand(rule, x), _constant_operand(rule, y))
    if type(x) is not type(y):
        raise TypeError(
            f"cannot combine a {type(x).__name__} and a {type(y).__name__} of the same tag "
            f"({tx}); convert one to the other kind first")
    return x._binary(rule, x, y, True, True)


def _constant_operand(rule: Binary, a: Any) -> Any:
    c = as_constant(a)
    if c is None:
        raise TypeError(f"{rule.name}() cannot take an operand of type {type(a).__name__}")
    return c


def store_out(out: Any, result: Any, who: str) -> Any:
    """numpy's ``out=``: write ``result`` into the array ``out`` and return ``out``.

    A dual array or an object array receives the derivative parts too (views of it see
    them, as in numpy); a float array cannot hold them and raises naming the fix.
    """
    if isinstance(out, tuple):
        if len(out) != 1:
            raise TypeError(f"{who} on dual numbers takes one out= array, got {len(out)}")
        out = out[0]
    if isinstance(out, Jet):
        if np.broadcast_shapes(shape_of(result), out.shape) != out.shape:
            raise ValueError(
                f"non-broadcastable output operand with shape {out.shape} doesn't match the "
                f"broadcast shape {shape_of(result)}")
        out[...] = result
        return out
    if isinstance(out, np.ndarray):
        if out.dtype == object:
            if isinstance(result, Jet) and result.shape == ():
                source = np.empty((), dtype=object)
                source[()] = result
            else:
                source = to_object_array(result)
            out[...] = source
            return out
        if isinstance(result, Jet) or _is_object_array(result):
            raise DualConversionError(
                f"{who}(..., out=a) would store dual numbers into the float array a and drop "
                "their derivative parts; allocate a from x (np.zeros_like(x), "
                "np.empty_like(x) or dtype=x.dtype), or drop out= and use the returned value")
        out[...] = result
        return out
    raise TypeError(f"{who}: out= must be an array, got {type(out).__name__}")


def value_of(a: Any) -> Any:
    """The value part of a jet (recursively through nested jets); other things unchanged."""
    while isinstance(a, Jet):
        a = a.value
    return a


def expand(c: Any, ntrail: int) -> Any:
    """``c`` with ``ntrail`` trailing unit axes, to broadcast against partials."""
    if ntrail == 0:
        return c
    if not isinstance(c, (np.ndarray, Jet)):
        c = np.asarray(c)
    return c[(Ellipsis,) + (None,) * ntrail]


#: The lane product below takes its fast path when the partials have at most this many
#: lanes (K, the product of the direction axes) per value element ...
FEW_LANES = 4
#: ... and at least this many value elements.  Measured on numpy 2.4 (2 cores): at
#: K = 2..4 the strided product wins from about 200 to 1000 elements (c·b with k = 2:
#: m = 5000 16 µs against 41 µs, m = 50000 85 µs against 365 µs), loses from K ≈ 6 on
#: (each pass then touches a cache line per element), and is level below that size.
MANY_ROWS = 1024


def lane_product(c: Any, b: Any, ntrail: int) -> Any:
    """``expand(c, ntrail) * b``: a value-shaped coefficient times partials, lane by lane.

    For a coefficient c of the value's shape L and partials b of shape ``L + T`` (the
    ``ntrail`` direction axes T, K = prod(T) lanes), the product is
    ``(c·b)[i, l] = c[i]·b[i, l]`` for every value index i and lane l.

    numpy's broadcasting runs that as one inner loop of length K per value element, which
    for few lanes (K = 2..4: the colours of ``dualdiff.sparse``'s compressed passes, a
    jvp chunk) costs more than the multiplications: 365 µs for m = 50000, K = 2.  The fast
    path iterates with the value axis innermost instead (``order="F"`` into a fresh
    C-contiguous result): K strided loops of length m, 85 µs there.  It is taken for
    float64 arrays with c's shape equal to b's leading shape, 2 <= K <= :data:`FEW_LANES`
    and at least :data:`MANY_ROWS` value elements (tested first, from ``b.size``, so small
    arrays pay two comparisons).  The multiplications are the same IEEE products, so the
    result is bit for bit the broadcasting one (NaN positions, inf, signed zeros; not the
    sign of a NaN·NaN, which numpy's own loops do not fix either); it never aliases c or b.
    """
    if (ntrail and type(b) is np.ndarray and b.size >= 2 * MANY_ROWS and type(c) is np.ndarray
            and c.dtype == np.float64 and b.dtype == np.float64):
        lead, shape = c.ndim, b.shape
        if b.ndim == lead + ntrail and shape[:lead] == c.shape:
            m = c.size
            if m >= MANY_ROWS and 2 * m <= b.size <= FEW_LANES * m:
                if lead != 1:  # one value axis, so that the inner loop runs over all of it
                    if not b.flags.c_contiguous:
                        return expand(c, ntrail) * b
                    c, b = c.reshape(m), b.reshape((m,) + shape[lead:])
                out = np.empty(b.shape)
                np.multiply(c[(Ellipsis,) + (None,) * ntrail], b, out=out, order="F")
                return out.reshape(shape)
    return expand(c, ntrail) * b


def scale(c: Any, b: Any, ntrail: int) -> Any:
    """``c * b`` for a coefficient ``c`` (value-shaped) and partials ``b``.

    NaN-safe: where the partial ``b`` is 0, the product is 0 even if ``c`` is infinite
    (``sqrt'(0) * 0``), because a variable the value does not depend on contributes
    nothing.  This is what makes ``d/dy sqrt(x) = 0`` at ``x = 0`` instead of NaN.  The
    check is one comparison for a scalar coefficient and one ``isfinite`` pass over a
    value-sized array; no state outside the numbers decides it.
    """
    if isinstance(c, (float, np.floating)):
        if _isfinite(c):
            return c * b
    elif isinstance(c, np.ndarray) and c.dtype.kind == "f":
        if np.isfinite(c).all():
            return lane_product(c, b, ntrail)
    else:
        return expand(c, ntrail) * b
    if isinstance(b, Jet) or (isinstance(b, np.ndarray) and b.dtype == object):
        return expand(c, ntrail) * b
    with np.errstate(invalid="ignore"):
        return np.where(b == 0, 0.0, lane_product(c, b, ntrail))[()]


def zeros_like(b: Any) -> Any:
    if isinstance(b, np.ndarray):
        return np.zeros_like(b)
    if isinstance(b, Jet):
        return b * 0.0
    return np.float64(0.0)


def times(c: Any, b: Any, ntrail: int) -> Any:
    """``c * b`` where ``c`` is a table constant or a computed coefficient."""
    if type(c) is int or type(c) is float:  # is_table_constant(c), inlined: once per partial
        if c == 1:  # borrowed: see unalias
            return b
        return -b if c == -1 else c * b
    return scale(c, b, ntrail)


def unalias(parts: list[Any], *inputs: Any) -> list[Any]:
    """Copy any result array that is an array of a writable (owned) input jet.

    Operations borrow input partials where the chain rule leaves them unchanged
    (``x + 1``); that is safe for jets whose arrays are never written in place, but a
    result must not share arrays with a dual array that ``__setitem__`` may change later.
    """
    out = None
    for j in inputs:
        if isinstance(j, Jet) and j._owned:
            for c, _ in j._parts():
                for i, p in enumerate(parts):
                    if p is c and isinstance(p, np.ndarray):
                        if out is None:
                            out = list(parts)
                        out[i] = p.copy()
    return parts if out is None else out


def borrows(parts: list[Any], *inputs: Any) -> bool:
    """True if a result part is one of the input jets' arrays (then the result must not
    be written into, or viewed, before it owns its arrays: see ``Jet._own``)."""
    for p in parts:
        if isinstance(p, np.ndarray):
            for j in inputs:
                if isinstance(j, Jet):
                    for c, _ in j._parts():
                        if p is c:
                            return True
    return False


def linear_term(p: Any, coef_args: tuple, b: Any, ntrail: int) -> Any:
    """The contribution ``p * b`` of one partial ``p`` (a table constant or a rule)."""
    return times(p if type(p) is int or type(p) is float else p(*coef_args), b, ntrail)


def accumulate(total: Any, term: Any) -> Any:
    return term if total is None else total + term


def add_times(total: Any, c: Any, b: Any, ntrail: int) -> Any:
    """``total + c * b`` (``total`` may be None), with ``c = -1`` as one subtraction."""
    if total is not None and (type(c) is int or type(c) is float) and c == -1:
        return total - b
    return accumulate(total, times(c, b, ntrail))


class Jet:
    """Base of the dual number kinds; see the module docstring.  Not used directly."""

    #: set by ``np.asarray(a)`` on a dual array (see :func:`went_through_object_array`)
    __slots__ = ("_as_objects",)
    _owned: bool

    # -- subclass interface ---------------------------------------------------------
    tag: int
    value: Any

    def _unary(self, rule: Unary) -> Jet:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _binary(cls, rule: Binary, x: Any, y: Any, x_live: bool, y_live: bool) -> Jet:  # pragma: no cover
        raise NotImplementedError

    def _parts(self) -> list[tuple[Any, int]]:  # pragma: no cover - abstract
        """Components as (array, number of trailing direction axes), value first."""
        raise NotImplementedError

    def _rebuild(self, parts: list[Any]) -> Jet:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_parts(self, parts: list[Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _trailing(self) -> list[tuple[int, ...]]:  # pragma: no cover - abstract
        """The direction-axis shape of each partial."""
        raise NotImplementedError

    def _constant(self, value: Any, copy: bool = False) -> Jet:
        """``value`` as a jet of this kind and tag with zero partials (a constant to it)."""
        shape = shape_of(value)
        if copy and isinstance(value, np.ndarray):
            value = value.copy()
        return self._rebuild([value] + [np.zeros(shape + t)[()] for t in self._trailing()])

    # -- no conversion to plain numbers -------------------------------------------
    def __float__(self) -> float:
        raise DualConversionError(f"cannot convert {type(self).__name__} to float: {_CONVERSION_FIX}")

    def __int__(self) -> int:
        raise DualConversionError(f"cannot convert {type(self).__name__} to int: {_CONVERSION_FIX}")

    def __complex__(self) -> complex:
        raise DualConversionError(f"cannot convert {type(self).__name__} to complex: {_CONVERSION_FIX}")

    def __index__(self) -> int:
        raise DualConversionError(
            f"a {type(self).__name__} cannot be used as an index; use int(d.value) if the "
            "index really depends on the value only")

    # -- structure ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError(f"len() of a scalar {type(self).__name__}")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def _own(self) -> None:
        """Give this jet private copies of its arrays (once), so writes cannot reach others.

        Operations may borrow an input's arrays (``x + 1`` keeps x's partials); a jet that
        is written into, or that views are taken of, must own its arrays first.
        """
        if not self._owned:
            self._set_parts([c.copy() if isinstance(c, (np.ndarray, Jet)) else c for c, _ in self._parts()])
            self._owned = True

    def __getitem__(self, index: Any) -> Jet:
        index = index if isinstance(index, tuple) else (index,)
        index = tuple(value_of(i) for i in index)
        basic = all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in index)
        ints = sum(isinstance(i, (int, np.integer)) for i in index)
        view = basic and ints < self.ndim  # numpy returns a view: it writes through
        if view:
            self._own()
        has_ellipsis = any(i is Ellipsis for i in index)
        parts = []
        for comp, ntrail in self._parts():
            if has_ellipsis and ntrail:
                parts.append(comp[index + (slice(None),) * ntrail])
            else:
                parts.append(comp[index])
        result = self._rebuild(parts)
        # a view of a dual array writes through, as in numpy; a copy owns its arrays
        result._owned = self._owned if view else True
        return result

    def __setitem__(self, index: Any, val: Any) -> None:
        """Store ``val`` (a number, array or dual) into this dual array, derivatives too."""
        if tag_of(val) > self.tag:
            raise ValueError(
                "cannot store a dual number of an inner differentiation into this array; "
                "allocate the array from the inner function's own input (np.zeros_like(x))")
        if not self.shape:
            raise TypeError(f"a scalar {type(self).__name__} does not support item assignment")
        if self._owned is None:
            raise ValueError(
                f"cannot write into this {type(self).__name__} array: it was made by a reshape "
                "that numpy could do as a view for the value but not for the derivative parts "
                "(or the other way round), so a write could not reach the original array the "
                "way numpy's would; write into the original array, or .copy() this one first")
        # arrays of a jet made by an operation may be shared with other jets: copy once
        # before the first write so no other jet changes (views are only taken of owners)
        self._own()
        if isinstance(val, Jet) and val.tag == self.tag:
            if type(val) is not type(self):
                raise TypeError(f"cannot store a {type(val).__name__} into a {type(self).__name__} array")
            source = [c for c, _ in val._parts()]
        else:
            const = val if isinstance(val, Jet) else as_constant(val)
            if const is None:
                raise TypeError(f"cannot store {type(val).__name__} into a dual array")
            source = [const] + [0.0] * (len(self._parts()) - 1)
        index = index if isinstance(index, tuple) else (index,)
        index = tuple(value_of(i) for i in index)
        has_ellipsis = any(i is Ellipsis for i in index)
        for (comp, ntrail), v in zip(self._parts(), source, strict=True):
            if has_ellipsis and ntrail:
                comp[index + (slice(None),) * ntrail] = v
            else:
                comp[index] = v

    # -- comparisons: on the value only -------------------------------------------
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return value_of(self) == value_of(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return value_of(self) != value_of(other)

    def __lt__(self, other: Any) -> Any:
        return value_of(self) < value_of(other)

    def __le__(self, other: Any) -> Any:
        return value_of(self) <= value_of(other)

    def __gt__(self, other: Any) -> Any:
        return value_of(self) > value_of(other)

    def __ge__(self, other: Any) -> Any:
        return value_of(self) >= value_of(other)

    def __hash__(self) -> int:
        raise TypeError(
            f"{type(self).__name__} numbers are unhashable: equal values with different "
            "derivative parts would share a cache entry (functools.lru_cache, dict or set), "
            "and a cached result would carry another number's derivative. Don't memoise "
            "functions of dual numbers, or key the cache on .value and cache only "
            "derivative-free results")

    def __bool__(self) -> bool:
        return bool(value_of(self))

    # -- rounding with Python's builtins --------------------------------------------
    def __round__(self, ndigits: int | None = None) -> Jet:
        if ndigits is None:
            return apply_unary(rules.UNARY_BY_NAME["round"], self)
        return self._with_zero_partials(np.round(value_of(self.value), ndigits))

    def __trunc__(self) -> Jet:
        return apply_unary(rules.UNARY_BY_NAME["trunc"], self)

    def __floor__(self) -> Jet:
        return apply_unary(rules.UNARY_BY_NAME["floor"], self)

    def __ceil__(self) -> Jet:
        return apply_unary(rules.UNARY_BY_NAME["ceil"], self)

    def round(self, decimals: int = 0, out: Any = None) -> Jet:
        """Round the value (numpy's ``round``); the derivative of rounding is 0."""
        if out is not None:
            raise TypeError("round(out=...) is not supported for dual numbers")
        if decimals == 0:
            return apply_unary(rules.UNARY_BY_NAME["round"], self)
        return self._with_zero_partials(np.round(value_of(self.value), decimals))

    def _with_zero_partials(self, value: Any) -> Jet:
        parts = [value] + [zeros_like(c) for c, _ in self._parts()[1:]]
        return self._rebuild(parts)


# -- operators, generated from the rules table -----------------------------------------

def _binary_operator(rule: Binary, reflected: bool):
    if reflected:
        def op(self: Jet, other: Any) -> Any:
            return apply_binary(rule, other, self)
    else:
        def op(self: Jet, other: Any) -> Any:
            return apply_binary(rule, self, other)
    op.__name__ = f"{'r' if reflected else ''}{rule.name}"
    return op


def _unary_method(rule: Unary):
    def method(self: Jet) -> Any:
        return self._unary(rule)
    method.__name__ = rule.name
    method.__doc__ = f"{rule.name} of this dual number (its rule in dualdiff.rules)."
    return method


def _binary_method(rule: Binary):
    def method(self: Jet, other: Any) -> Any:
        return apply_binary(rule, self, other)
    method.__name__ = rule.name
    return method


OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "pow": "power", "mod": "remainder", "floordiv": "floor_divide",
}
for _dunder, _name in OPERATORS.items():
    _rule = rules.BINARY_BY_NAME[_name]
    setattr(Jet, f"__{_dunder}__", _binary_operator(_rule, False))
    setattr(Jet, f"__r{_dunder}__", _binary_operator(_rule, True))


Jet.__neg__ = _unary_method(rules.UNARY_BY_NAME["negative"])  # type: ignore[method-assign]
Jet.__pos__ = _unary_method(rules.UNARY_BY_NAME["positive"])  # type: ignore[method-assign]
Jet.__abs__ = _unary_method(rules.UNARY_BY_NAME["abs"])  # type: ignore[method-assign]

# methods named like the ufuncs (and their aliases: rint, absolute), which numpy calls on
# the elements of object arrays; round is numpy's method with decimals (above)
for _rule in rules.UNARY:
    for _name in rules.names(_rule):
        if _name != "round":
            setattr(Jet, _name, _unary_method(_rule))
for _rule in rules.BINARY:
    for _name in rules.names(_rule):
        setattr(Jet, _name, _binary_method(_rule))
