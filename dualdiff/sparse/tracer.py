"""Sparsity detection by tracing: an array of index sets that runs numpy code at array speed.

A :class:`Tracer` stands for an array of the function's intermediates.  Instead of numbers
it carries, for every element, the set of inputs the element depends on (its *first-order*
set, a row of the Jacobian pattern) and, when a Hessian pattern is wanted, the set of input
pairs (i, j) with a possibly nonzero ∂²/∂x_i∂x_j (its *second-order* set).  The sets of
all elements are stored together as CSR index rows (:class:`~dualdiff.sparse._sets.Rows`),
so each numpy call on a traced array is one set operation over all its elements:

* elementwise f(a): G = G_a if f' is not identically zero, else ∅;
  H = H_a ∪ (G_a × G_a if f'' is not identically zero);
* elementwise f(a, b): G = G_a ∪ G_b (each side only if its partial is not identically zero);
  H = H_a ∪ H_b ∪ the blocks with a nonzero second partial: G_a×G_a (f_aa), G_a×G_b (f_ab),
  G_b×G_b (f_bb).  So ``a + b`` and ``c * a`` only propagate, ``a * b`` adds G_a × G_b and
  ``sin(a)`` adds G_a × G_a.  Which partials are structural zeros is read from the rules
  table (:mod:`dualdiff.rules`), the same table the dual numbers differentiate with;
* data movement (indexing, reshape, transpose, concatenate, broadcasting, ...) moves rows:
  the same numpy function is applied to an array of element positions;
* linear reductions and contractions with constants (sum, mean, dot and @ with a constant
  matrix) take the union of the contributing rows (zero entries of a constant contribute
  nothing);
* products of traced operands (prod, dot of two traced arrays) combine both rules.

The pattern is *global*: it holds for every x.  Both sides of ``np.maximum``,
``np.minimum``, ``np.where``, ``abs`` and ``np.clip`` count, and any use of a traced value
as a truth value (``if x[0] > 0:``, ``bool(...)``, a boolean mask made from x) raises
:class:`~dualdiff.sparse.PatternError`.  In *local* mode the tracer also carries the values
of x, comparisons give real booleans, and the code runs its branches at that x.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import rules
from .._dispatch import FunctionTable, numpy_name
from .._termsum import TermSumMixin, constant_vector
from ._errors import WAYS_OUT, PatternError
from ._sets import INT, Rows, gather, pairs, union_rows

__all__ = ["Tracer", "Condition", "trace", "supported_functions"]


class _Ctx:
    """What one detection run shares: the number of inputs, the mode, and whether full
    sums keep their terms (``sums``: see :mod:`dualdiff._termsum`)."""

    __slots__ = ("n", "second", "local", "sums")

    def __init__(self, n: int, second: bool, local: bool, sums: bool = False) -> None:
        self.n, self.second, self.local, self.sums = n, second, local, sums


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _value_error(what: str) -> PatternError:
    return PatternError(
        f"the function's control flow depends on the value of x ({what}); a pattern valid for "
        f"every x cannot be found by tracing. {WAYS_OUT}")


_CONVERSION = (
    "A traced value cannot become a plain number: use np.sin / np.exp ... (not math.sin), and "
    "allocate arrays that hold values depending on x from x (np.zeros_like(x), np.empty_like(x), "
    "dtype=x.dtype), not np.zeros(n).")


class Condition:
    """A comparison of traced values in global mode: its truth value depends on x.

    It can select (``np.where``) and take part in arithmetic as a piecewise constant,
    but ``bool()`` on it — ``if``, ``and``, ``while`` — raises :class:`PatternError`.
    """

    __slots__ = ("shape",)
    __array_priority__ = 1000.0

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return _size(self.shape)

    def __bool__(self) -> bool:
        raise _value_error("the truth value of a comparison of traced values, e.g. `if x[0] > 0:`")

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar condition")
        return self.shape[0]

    def __getitem__(self, index: Any) -> Condition:
        return Condition(np.empty(self.shape, dtype=bool)[index].shape)

    def __repr__(self) -> str:
        return f"Condition(shape={self.shape})"

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return _constant_tracer(self.shape)

    def __and__(self, other: Any) -> Condition:
        return _condition_of(self, other)

    __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __and__

    def __invert__(self) -> Condition:
        return self

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__":
            if method == "reduce" and ufunc in (np.logical_and, np.logical_or):
                raise _value_error(f"np.{ufunc.__name__}.reduce of a comparison of traced values")
            raise TypeError(f"np.{ufunc.__name__}.{method} is not supported on traced conditions")
        if ufunc in _LOGICAL:
            return _condition_of(*inputs)
        ctx = next((i.ctx for i in inputs if isinstance(i, Tracer)), None)
        if ctx is not None:
            return _ufunc(ctx, ufunc, inputs, kwargs)
        # a piecewise constant: no dependence on x
        return _constant_tracer(np.broadcast_shapes(*(np.shape(_shape_stand_in(i)) for i in inputs)))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func is np.where:
            return _where(None, *args, **kwargs)
        if func in (np.any, np.all, np.nonzero, np.count_nonzero, np.flatnonzero, np.argwhere):
            raise _value_error(f"np.{func.__name__} of a comparison of traced values")
        if func in (np.shape, np.ndim, np.size):
            return func(np.empty(self.shape, dtype=bool))
        raise TypeError(f"np.{func.__name__} is not supported on a traced condition")


def _shape_stand_in(a: Any) -> Any:
    return np.empty(a.shape) if isinstance(a, (Condition, Tracer)) else a


def _condition_of(*xs: Any) -> Condition:
    return Condition(np.broadcast_shapes(*(np.shape(_shape_stand_in(x)) for x in xs)))


_LOGICAL = frozenset({np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.bitwise_and,
                      np.bitwise_or, np.bitwise_xor, np.invert})
_COMPARE = frozenset({np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
                      np.isnan, np.isinf, np.isfinite, np.signbit})
_PIECEWISE = {np.maximum: "max", np.minimum: "min", np.fmax: "max", np.fmin: "min"}


_CONSTANT_CTX = _Ctx(0, False, False)


def _constant_tracer(shape: tuple[int, ...], ctx: _Ctx | None = None, value: Any = None) -> Tracer:
    ctx = ctx or _CONSTANT_CTX
    size = _size(shape)
    return Tracer(tuple(shape), Rows.empty(size), Rows.empty(size) if ctx.second else None, value, ctx)


class Tracer:
    """An array of index sets standing for an intermediate of the traced function.

    ``G`` holds the first-order set of every element (C order), ``H`` the second-order
    pair codes ``i * n + j`` (i <= j) or None when only a Jacobian pattern is wanted, and
    ``value`` the values in local mode (None in global mode).
    """

    __slots__ = ("shape", "_G", "_H", "_value", "ctx", "_pending")
    __array_priority__ = 1000.0

    def __init__(self, shape: tuple[int, ...], G: Rows, H: Rows | None, value: Any, ctx: _Ctx) -> None:
        self.shape, self._G, self._H, self._value, self.ctx = tuple(shape), G, H, value, ctx
        self._pending: dict[int, Scalar] | None = None

    # -- the sets and values; scalar stores wait in _pending until the array is read whole ----
    @property
    def G(self) -> Rows:
        if self._pending:
            self._flush()
        return self._G

    @G.setter
    def G(self, rows: Rows) -> None:
        self._G = rows

    @property
    def H(self) -> Rows | None:
        if self._pending:
            self._flush()
        return self._H

    @H.setter
    def H(self, rows: Rows | None) -> None:
        self._H = rows

    @property
    def value(self) -> Any:
        if self._pending:
            self._flush()
        return self._value

    @value.setter
    def value(self, v: Any) -> None:
        self._value = v

    def _flush(self) -> None:
        """Apply the pending element stores ``a[i] = scalar`` (an element loop filling an
        array) in one pass over the rows: O(size + stored entries) for all of them, where
        storing one at a time would rebuild the rows each time."""
        pend, self._pending = self._pending, None
        assert pend is not None
        size = _size(self.shape)
        pos = np.fromiter(pend.keys(), dtype=INT, count=len(pend))
        vals = list(pend.values())
        src = np.arange(size, dtype=INT)
        src[pos] = size + np.arange(len(vals), dtype=INT)
        self._G = Rows.concat([self._G, _rows_of([v.g for v in vals])]).take(src)
        if self._H is not None:
            self._H = Rows.concat([self._H, _rows_of([v.h or _EMPTY for v in vals])]).take(src)
        if self.ctx.local:
            value = np.array(self._value, dtype=np.float64)
            value.reshape(-1)[pos] = [v.value for v in vals]
            self._value = value

    # -- structure ----------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return _size(self.shape)

    @property
    def dtype(self) -> np.dtype:
        # np.empty(n, dtype=x.dtype) makes an object array that can hold traced elements
        return np.dtype(object)

    @property
    def T(self) -> Tracer:
        return transpose(self)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar traced value")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"Tracer(shape={self.shape}, first-order entries={self.G.nnz})"

    # -- no conversion to numbers, no truth value in global mode --------------------------
    def __bool__(self) -> bool:
        if self.ctx.local:
            return bool(self.value)
        raise _value_error("the truth value of a traced value")

    def __float__(self) -> float:
        raise TypeError(f"cannot convert a traced value to float. {_CONVERSION}")

    def __int__(self) -> int:
        raise TypeError(f"cannot convert a traced value to int. {_CONVERSION}")

    def __complex__(self) -> complex:
        raise TypeError(f"cannot convert a traced value to complex. {_CONVERSION}")

    def __index__(self) -> int:
        raise _value_error("a traced value used as an index")

    def item(self, *args: Any) -> Any:
        raise TypeError(f"item() of a traced value would drop its dependence. {_CONVERSION}")

    def tolist(self) -> Any:
        return [e.tolist() if e.ndim else e for e in self] if self.ndim else self

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Tracer:
        if dtype is object or dtype is float or np.dtype(dtype).kind in "fO":
            return self
        raise TypeError(f"cannot convert a traced array to {np.dtype(dtype)}. {_CONVERSION}")

    # -- indexing ----------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tracer:
        index = _index(self, index)
        flat = _flat_scalar_index(self.shape, index)
        if flat is not None and not self.ctx.sums:
            pend = self._pending
            if pend and flat in pend:
                return pend[flat]
            return Scalar.element(self, flat)
        if flat is not None:
            src = np.array([flat], dtype=INT)
            shape: tuple[int, ...] = ()
        else:
            pos = np.arange(self.size, dtype=INT).reshape(self.shape)[index]
            src, shape = pos.ravel(), pos.shape
        value = None
        if self.ctx.local:
            value = np.asarray(self.value[index], dtype=np.float64)
        return Tracer(shape, self.G.take(src), self.H.take(src) if self.H is not None else None,
                      value, self.ctx)

    def __setitem__(self, index: Any, val: Any) -> None:
        """Store into this traced array (the written elements take val's sets)."""
        index = _index(self, index)
        ctx = self.ctx
        if not self.shape:
            raise TypeError("a scalar traced value does not support item assignment")
        flat = _flat_scalar_index(self.shape, index)
        if flat is not None and not ctx.sums and type(self) is Tracer:
            sc = val if isinstance(val, Scalar) else _number_scalar(val, ctx)
            if sc is not None:
                if sc.ctx is not ctx:
                    raise ValueError("cannot store a value traced for another detection")
                if self._pending is None:
                    self._pending = {}
                self._pending[flat] = sc
                return
        v = _operand(val, ctx)
        dst = np.array([flat], dtype=INT) if flat is not None else \
            np.arange(self.size, dtype=INT).reshape(self.shape)[index]
        vshape = np.shape(dst)
        if isinstance(v, Tracer):
            if v.ctx is not ctx and v.ctx is not _CONSTANT_CTX:
                raise ValueError("cannot store a value traced for another detection")
            vsrc = np.broadcast_to(np.arange(v.size, dtype=INT).reshape(v.shape), vshape).ravel()
            src = np.arange(self.size, dtype=INT)
            src[np.ravel(dst)] = self.size + vsrc
            self.G = Rows.concat([self.G, v.G]).take(src) if v.G.nnz else self.G.take(
                np.where(src < self.size, src, -1))
            if self.H is not None:
                vh = v.H if v.H is not None else Rows.empty(v.size)
                self.H = Rows.concat([self.H, vh]).take(src) if vh.nnz else self.H.take(
                    np.where(src < self.size, src, -1))
            new = v.value
        else:
            keep = np.arange(self.size, dtype=INT)
            keep[np.ravel(dst)] = -1
            self.G = self.G.take(keep)
            if self.H is not None:
                self.H = self.H.take(keep)
            new = v
        if ctx.local:
            self.value = np.array(self.value, dtype=np.float64)
            self.value[index] = new

    # -- comparisons --------------------------------------------------------------------
    def __lt__(self, other: Any) -> Any:
        return _ufunc(self.ctx, np.less, (self, other), {})

    def __le__(self, other: Any) -> Any:
        return _ufunc(self.ctx, np.less_equal, (self, other), {})

    def __gt__(self, other: Any) -> Any:
        return _ufunc(self.ctx, np.greater, (self, other), {})

    def __ge__(self, other: Any) -> Any:
        return _ufunc(self.ctx, np.greater_equal, (self, other), {})

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _ufunc(self.ctx, np.equal, (self, other), {})

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return _ufunc(self.ctx, np.not_equal, (self, other), {})

    __hash__ = None  # type: ignore[assignment]

    # -- numpy protocols ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__":
            return _ufunc(self.ctx, ufunc, inputs, kwargs)
        kwargs = {k: v for k, v in kwargs.items() if v is not None or k != "out"}
        if "out" in kwargs:
            raise TypeError(f"np.{ufunc.__name__}.{method}(..., out=...) is not supported while tracing")
        if method == "reduce" and ufunc in _REDUCE:
            return _REDUCE[ufunc](inputs[0], **{k: v for k, v in kwargs.items() if k in ("axis", "keepdims")})
        if method == "accumulate" and ufunc is np.add:
            return cumsum(inputs[0], axis=kwargs.get("axis", 0))
        raise TypeError(f"np.{ufunc.__name__}.{method} is not supported while tracing a sparsity pattern")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        impl = HANDLED.get(func)
        if impl is None:
            raise TypeError(
                f"{_np_name(func)} is not supported while tracing a sparsity pattern. Pass the "
                "pattern yourself (pattern=...), or rewrite with supported functions: "
                + ", ".join(supported_functions()))
        return impl(*args, **kwargs)

    # -- methods ------------------------------------------------------------------------
    def reshape(self, *shape: Any, order: str = "C") -> Tracer:
        return reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes: Any) -> Tracer:
        return transpose(self, None if not axes else axes[0] if len(axes) == 1 else axes)

    def flatten(self, order: str = "C") -> Tracer:
        return ravel(self, order)


_EMPTY: frozenset = frozenset()


def _rows_of(sets: list[frozenset]) -> Rows:
    """Rows holding the given sets, one per row."""
    lengths = np.fromiter((len(g) for g in sets), dtype=INT, count=len(sets))
    indptr = np.zeros(len(sets) + 1, dtype=INT)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter((i for g in sets for i in sorted(g)), dtype=INT, count=int(indptr[-1]))
    return Rows(indptr, indices)


class Scalar(Tracer):
    """One traced element, as ``x[i]`` gives it in an element loop (``for i in range(n):
    out[i] = ... x[i] ...``: the way @njit code is written, traced through ``py_func``).

    Its first-order set ``g`` is a frozenset of input indices and its second-order set ``h``
    a frozenset of pair codes ``i * n + j`` (i <= j; None for Jacobian patterns), so an
    operation on scalars is a few set unions in Python (about a µs) instead of array
    operations on one-row :class:`Rows` (tens of µs).  The rules are those of
    :func:`_elementwise`, element by element.  Anything else sees an ordinary 0-d
    :class:`Tracer` (``G``, ``H`` are built from the sets on first use).
    """

    __slots__ = ("g", "h", "_rows", "_constant")

    def __init__(self, g: frozenset, h: frozenset | None, value: Any, ctx: _Ctx, constant: float | None = None
                 ) -> None:
        self.shape, self.g, self.h, self._value, self.ctx = (), g, h, value, ctx
        self._pending = None
        self._rows: tuple[Rows, Rows | None] | None = None
        self._constant = constant  # a plain number's value (constants only, in either mode)

    @staticmethod
    def element(t: Tracer, flat: int) -> Scalar:
        """Element ``flat`` (C order) of t."""
        G, H = t.G, t.H
        g = frozenset(G.indices[G.indptr[flat]:G.indptr[flat + 1]].tolist())
        h = frozenset(H.indices[H.indptr[flat]:H.indptr[flat + 1]].tolist()) if H is not None else None
        value = np.float64(t.value.reshape(-1)[flat]) if t.ctx.local else None
        return Scalar(g, h, value, t.ctx)

    def _sets(self) -> tuple[Rows, Rows | None]:
        if self._rows is None:
            self._rows = (_rows_of([self.g]), None if self.h is None else _rows_of([self.h]))
        return self._rows

    @property
    def G(self) -> Rows:  # type: ignore[override]
        return self._sets()[0]

    @property
    def H(self) -> Rows | None:  # type: ignore[override]
        return self._sets()[1]

    @property
    def value(self) -> Any:  # type: ignore[override]
        return None if self._value is None else np.asarray(self._value)

    def __repr__(self) -> str:
        return f"Scalar(first-order set={sorted(self.g)})"


def _number_scalar(a: Any, ctx: _Ctx) -> Scalar | None:
    """A plain real number as a constant Scalar (no dependence), else None."""
    if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, float, np.integer, np.floating)):
        return None
    c = np.float64(a)
    return Scalar(_EMPTY, _EMPTY if ctx.second else None, c if ctx.local else None, ctx, c)


def _scalar_operands(inputs: Sequence[Any], ctx: _Ctx) -> list[Scalar] | None:
    """The inputs as Scalars (numbers as constants) if they are all scalars of this run and
    at least one is traced; else None."""
    ops: list[Scalar] = []
    traced = False
    for a in inputs:
        if isinstance(a, Scalar):
            if a.ctx is not ctx:
                return None
            traced = True
            ops.append(a)
        else:
            c = _number_scalar(a, ctx)
            if c is None:
                return None
            ops.append(c)
    return ops if traced else None


def _pair_codes(a: frozenset, b: frozenset, n: int) -> set[int]:
    return {i * n + j if i <= j else j * n + i for i in a for j in b}


def _scalar_elementwise(ctx: _Ctx, ops: list[Scalar], value_fn: Callable[..., Any] | None, first: list[bool],
                        blocks: set[str]) -> Scalar:
    """:func:`_elementwise` for scalar operands (constants as Scalars with empty sets)."""
    live = [o for o, f in zip(ops, first, strict=True) if f]
    g = live[0].g if len(live) == 1 else frozenset().union(*(o.g for o in live))
    h = None
    if ctx.second:
        hs = [o.h for o in live if o.h]
        gx = ops[0].g
        gy = ops[1].g if len(ops) > 1 else _EMPTY
        if not gy:
            blocks = {b for b in blocks if b == "xx"}
        if not gx:
            blocks = {b for b in blocks if b == "yy"}
        if blocks:
            n = ctx.n
            extra: set[int] = set()
            for b in blocks:
                extra |= _pair_codes(gx if b[0] == "x" else gy, gx if b[1] == "x" else gy, n)
            hs.append(frozenset(extra))
        h = hs[0] if len(hs) == 1 else frozenset().union(*hs)
    value = None
    if ctx.local and value_fn is not None:
        with np.errstate(all="ignore"):
            value = np.float64(value_fn(*(o._value for o in ops)))
    return Scalar(g, h, value, ctx)


def _scalar_ufunc(ctx: _Ctx, ufunc: np.ufunc, ops: list[Scalar]) -> Any:
    """The ufunc on scalar operands, or NotImplemented (then the array path runs)."""
    if ufunc in _COMPARE or ufunc in _LOGICAL:
        if not ctx.local:
            return Condition(())
        return ufunc(*(o._value for o in ops))
    if ufunc in _PIECEWISE:
        a, b = ops
        if not ctx.local:
            return _scalar_elementwise(ctx, ops, None, [True, True], set())
        va, vb = a._value, b._value
        kind = _PIECEWISE[ufunc]
        first = [bool(va >= vb if kind == "max" else va <= vb), bool(vb >= va if kind == "max" else vb <= va)]
        out = _scalar_elementwise(ctx, ops, None, first, set()) if any(first) else Scalar(
            _EMPTY, _EMPTY if ctx.second else None, None, ctx)
        out._value = np.float64(ufunc(va, vb))
        return out
    rule = rules.RULE_BY_UFUNC.get(ufunc)
    if isinstance(rule, rules.Unary) and len(ops) == 1:
        linear = rule.d1 is not None
        return _scalar_elementwise(ctx, ops, rule.f, [linear], {"xx"} if linear and rule.d2 is not None else set())
    if isinstance(rule, rules.Binary) and len(ops) == 2:
        a, b = ops
        if rule.name == "power" and not b.g and not b.h and b._constant is not None:
            if b._constant == 0:  # x ** 0 = 1
                return _scalar_elementwise(ctx, ops, rule.f, [False, False], set())
            if b._constant == 1:  # x ** 1 = x
                return _scalar_elementwise(ctx, ops, rule.f, [True, False], set())
        first = [rule.fx is not None, rule.fy is not None]
        blocks = {name for name, p in (("xx", rule.fxx), ("xy", rule.fxy), ("yy", rule.fyy)) if p is not None}
        return _scalar_elementwise(ctx, ops, rule.f, first, blocks)
    return NotImplemented


def _index(t: Tracer, index: Any) -> Any:
    """The index with traced parts rejected (global) or replaced by their values (local)."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, Condition):
            raise _value_error("a boolean mask computed from traced values")
        if isinstance(p, Tracer):
            if not t.ctx.local:
                raise _value_error("a traced value used as an index")
            p = p.value
        out.append(p)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _flat_scalar_index(shape: tuple[int, ...], index: Any) -> int | None:
    """The flat position for an index of one integer per axis (fast path), else None."""
    parts = index if isinstance(index, tuple) else (index,)
    if len(parts) != len(shape) or not parts:
        return None
    flat = 0
    for p, n in zip(parts, shape, strict=True):
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)):
            return None
        i = int(p)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for axis with size {n}")
        flat = flat * n + (i % n)
    return flat


# -- operands -----------------------------------------------------------------------------

def _operand(a: Any, ctx: _Ctx) -> Tracer | np.ndarray:
    """A tracer, or a constant as a float64 ndarray."""
    if isinstance(a, Tracer):
        return a
    if isinstance(a, Condition):
        return _constant_tracer(a.shape, ctx)
    if isinstance(a, (list, tuple)) or (isinstance(a, np.ndarray) and a.dtype == object):
        if _holds_traced(a):
            return _stack_nested(a, ctx)
    try:
        c = np.asarray(a)
    except Exception as exc:  # pragma: no cover
        raise TypeError(f"cannot use {type(a).__name__} with a traced value") from exc
    if c.dtype.kind not in "biuf":
        raise TypeError(f"cannot combine a traced value with {type(a).__name__} of dtype {c.dtype}")
    return c.astype(np.float64)


def _holds_traced(a: Any) -> bool:
    if isinstance(a, (Tracer, Condition)):
        return True
    if isinstance(a, (list, tuple)):
        return any(_holds_traced(e) for e in a)
    if isinstance(a, np.ndarray) and a.dtype == object:
        return any(_holds_traced(e) for e in a.flat)
    return False


def _stack_nested(a: Any, ctx: _Ctx) -> Tracer:
    """A nested list / object array of traced values and numbers as one traced array."""
    if isinstance(a, np.ndarray):
        items = list(a.flat)
        shape = a.shape
        flat = [_operand(e, ctx) for e in items]
        return _move(ctx, flat, lambda ps: np.stack([np.asarray(p) for p in ps]).reshape(
            shape + np.shape(ps[0])) if ps else np.zeros(shape, INT))
    return stack(list(a), axis=0)


def _ctx_of(*xs: Any) -> _Ctx:
    for x in xs:
        if isinstance(x, Tracer):
            return x.ctx
        if isinstance(x, (list, tuple)):
            for e in x:
                if isinstance(e, Tracer):
                    return e.ctx
    return _CONSTANT_CTX


def _value(a: Tracer | np.ndarray) -> Any:
    return a.value if isinstance(a, Tracer) else a


def _aligned(t: Tracer, shape: tuple[int, ...]) -> tuple[Rows, Rows | None]:
    """t's rows broadcast to ``shape``."""
    if t.shape == shape:
        return t.G, t.H
    src = np.broadcast_to(np.arange(t.size, dtype=INT).reshape(t.shape), shape).ravel()
    return t.G.take(src), (t.H.take(src) if t.H is not None else None)


def _shape_of(a: Any) -> tuple[int, ...]:
    return a.shape if isinstance(a, Tracer) else np.shape(a)


# -- elementwise ----------------------------------------------------------------------------

def _elementwise(ctx: _Ctx, ops: list[Any], value_fn: Callable[..., Any] | None, first: list[bool],
                 blocks: set[str]) -> Tracer:
    """The rule of the module docstring for f(ops), given which partials can be nonzero.

    ``first[i]``: ∂f/∂op_i is not identically zero; ``blocks`` ⊆ {"xx", "xy", "yy"}: the
    second partials that are not identically zero.
    """
    shape = np.broadcast_shapes(*(_shape_of(o) for o in ops))
    size = _size(shape)
    rows = [_aligned(o, shape) if isinstance(o, Tracer) else (None, None) for o in ops]
    Gs = [r[0] for r in rows]
    G = union_rows([g for g, f in zip(Gs, first, strict=True) if g is not None and f], size)
    H = None
    if ctx.second:
        H = union_rows([r[1] for r, f in zip(rows, first, strict=True) if r[1] is not None and f], size)
        gx = Gs[0] if Gs[0] is not None else Rows.empty(size)
        gy = Gs[1] if len(Gs) > 1 and Gs[1] is not None else Rows.empty(size)
        n = ctx.n
        if gy.nnz == 0:
            blocks = {b for b in blocks if b == "xx"}
        if gx.nnz == 0:
            blocks = {b for b in blocks if b == "yy"}
        if blocks == {"xx", "xy", "yy"}:
            u = union_rows([gx, gy], size)
            H = pairs(H, u, u, n)
        elif blocks == {"xy", "yy"}:
            H = pairs(H, union_rows([gx, gy], size), gy, n)
        elif blocks == {"xx", "xy"}:
            H = pairs(H, gx, union_rows([gx, gy], size), n)
        else:
            if "xx" in blocks:
                H = pairs(H, gx, gx, n)
            if "xy" in blocks:
                H = pairs(H, gx, gy, n)
            if "yy" in blocks:
                H = pairs(H, gy, gy, n)
    value = None
    if ctx.local and value_fn is not None:
        with np.errstate(all="ignore"):
            value = np.asarray(value_fn(*(_value(o) for o in ops)), dtype=np.float64)
    return Tracer(shape, G, H, value, ctx)


def _unary_rule(ctx: _Ctx, rule: rules.Unary, a: Tracer) -> Tracer:
    linear = rule.d1 is not None
    return _elementwise(ctx, [a], rule.f, [linear], {"xx"} if linear and rule.d2 is not None else set())


def _binary_rule(ctx: _Ctx, rule: rules.Binary, a: Any, b: Any) -> Tracer:
    if rule.name == "power" and not isinstance(b, Tracer):
        exps = np.unique(np.asarray(b))
        if exps.size and np.all(exps == 0):  # x ** 0 = 1
            return _elementwise(ctx, [a, b], rule.f, [False, False], set())
        if exps.size and np.all(exps == 1):  # x ** 1 = x
            return _elementwise(ctx, [a, b], rule.f, [True, False], set())
    first = [rule.fx is not None, rule.fy is not None]
    blocks = {name for name, p in (("xx", rule.fxx), ("xy", rule.fxy), ("yy", rule.fyy)) if p is not None}
    return _elementwise(ctx, [a, b], rule.f, first, blocks)


def _piecewise(ctx: _Ctx, kind: str, a: Any, b: Any, ufunc: np.ufunc) -> Tracer:
    """max/min of two operands: piecewise linear; globally both sides count, locally the
    side that is selected at x (both at ties)."""
    if not ctx.local:
        return _elementwise(ctx, [a, b], None, [True, True], set())
    va, vb = _value(a), _value(b)
    shape = np.broadcast_shapes(np.shape(va), np.shape(vb))
    pick_a = np.broadcast_to(va >= vb if kind == "max" else va <= vb, shape).ravel()
    pick_b = np.broadcast_to(vb >= va if kind == "max" else vb <= va, shape).ravel()
    return _select(ctx, [a, b], [pick_a, pick_b], shape, np.asarray(ufunc(va, vb), dtype=np.float64))


def _select(ctx: _Ctx, ops: list[Any], masks: list[np.ndarray], shape: tuple[int, ...], value: Any) -> Tracer:
    """Element r takes the union of the sets of ops[i][r] for which masks[i][r] (broadcast)."""
    size = _size(shape)
    parts_g, parts_h, ms = [], [], []
    for o, m in zip(ops, masks, strict=True):
        if isinstance(o, Tracer):
            g, h = _aligned(o, shape)
            parts_g.append(g)
            parts_h.append(h)
            ms.append(np.broadcast_to(m, (size,)))
    if not parts_g:
        return _constant_tracer(shape, ctx, value)
    M = np.stack(ms, axis=1)  # (size, k)
    sel_indptr = np.zeros(size + 1, INT)
    np.cumsum(M.sum(axis=1), out=sel_indptr[1:])
    r, k = np.nonzero(M)
    src = k.astype(INT) * size + r
    G = gather(Rows.concat(parts_g), sel_indptr, src)
    H = gather(Rows.concat(parts_h), sel_indptr, src) if ctx.second else None
    return Tracer(shape, G, H, value, ctx)


def _ufunc(ctx: _Ctx, ufunc: np.ufunc, inputs: Sequence[Any], kwargs: dict) -> Any:
    if not ctx.sums and not any(v is not None for v in kwargs.values()):
        ops = _scalar_operands(inputs, ctx)  # an element loop: scalars only
        if ops is not None:
            out = _scalar_ufunc(ctx, ufunc, ops)
            if out is not NotImplemented:
                return out
    kwargs = dict(kwargs)
    if kwargs.pop("out", None) is not None:
        raise TypeError(f"np.{ufunc.__name__}(..., out=...) cannot store traced values in an array; "
                        "drop out= and use the returned value")
    kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"np.{ufunc.__name__} while tracing does not take the keyword(s) {sorted(kwargs)}")
    if ufunc in _COMPARE or ufunc in _LOGICAL:
        if not ctx.local:
            return _condition_of(*inputs)
        return ufunc(*(_value(_operand(i, ctx)) for i in inputs))
    ops = [_operand(i, ctx) for i in inputs]
    if ufunc is np.matmul:
        return matmul(*ops)
    if ufunc in _PIECEWISE:
        return _piecewise(ctx, _PIECEWISE[ufunc], ops[0], ops[1], ufunc)
    rule = rules.RULE_BY_UFUNC.get(ufunc)
    if isinstance(rule, rules.Unary):
        return _unary_rule(ctx, rule, ops[0])
    if isinstance(rule, rules.Binary):
        return _binary_rule(ctx, rule, ops[0], ops[1])
    raise TypeError(
        f"np.{ufunc.__name__} is not supported while tracing a sparsity pattern (no rule in "
        "dualdiff.rules); supported ufuncs: "
        + ", ".join(sorted({u.__name__ for u in rules.RULE_BY_UFUNC} | {"maximum", "minimum", "matmul"})))


def _operator(ufunc: np.ufunc, reflected: bool) -> Callable[..., Any]:
    if reflected:
        def op(self: Tracer, other: Any) -> Any:
            return _ufunc(self.ctx, ufunc, (other, self), {})
    else:
        def op(self: Tracer, other: Any) -> Any:
            return _ufunc(self.ctx, ufunc, (self, other), {})
    return op


for _dunder, _uf in {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
                     "pow": np.power, "mod": np.remainder, "floordiv": np.floor_divide}.items():
    setattr(Tracer, f"__{_dunder}__", _operator(_uf, False))
    setattr(Tracer, f"__r{_dunder}__", _operator(_uf, True))
Tracer.__neg__ = lambda self: _ufunc(self.ctx, np.negative, (self,), {})  # type: ignore[attr-defined]
Tracer.__pos__ = lambda self: self  # type: ignore[attr-defined]
Tracer.__abs__ = lambda self: _ufunc(self.ctx, np.absolute, (self,), {})  # type: ignore[attr-defined]
Tracer.__matmul__ = lambda self, other: matmul(self, other)  # type: ignore[attr-defined]
Tracer.__rmatmul__ = lambda self, other: matmul(other, self)  # type: ignore[attr-defined]
# methods named like the ufuncs: numpy calls them on the elements of object arrays
for _rule in rules.UNARY:
    if _rule.ufunc is not None:
        setattr(Tracer, _rule.name, (lambda u: lambda self: _ufunc(self.ctx, u, (self,), {}))(_rule.ufunc))
Tracer.absolute = Tracer.abs  # type: ignore[attr-defined]
Tracer.rint = Tracer.round  # type: ignore[attr-defined]


# -- data movement: the same numpy function on element positions -------------------------

def _move(ctx: _Ctx, ops: Sequence[Any], pos_fn: Callable[[list[np.ndarray]], Any],
          val_fn: Callable[[list[Any]], Any] | None = None) -> Any:
    """Apply a data-moving function: output element = one input element or a constant.

    ``pos_fn`` gets one int array per operand (1-based positions in the concatenated
    rows of the traced operands; 0 for constants) and must only move and copy entries
    (filling with 0 where it creates new ones).  ``val_fn`` computes the values (local).
    """
    positions, gs, hs, offset = [], [], [], 0
    for o in ops:
        if isinstance(o, Tracer):
            positions.append(np.arange(offset + 1, offset + 1 + o.size, dtype=INT).reshape(o.shape))
            gs.append(o.G)
            hs.append(o.H if o.H is not None else Rows.empty(o.size))
            offset += o.size
        else:
            positions.append(np.zeros(np.shape(o), dtype=INT))
    out = pos_fn(positions)
    value = None
    if ctx.local:
        value = (val_fn or pos_fn)([_value(o) for o in ops])
    G = Rows.concat(gs) if gs else Rows.empty(0)
    H = Rows.concat(hs) if (gs and ctx.second) else None

    def wrap(pos: Any, val: Any) -> Tracer:
        pos = np.asarray(pos)
        src = pos.ravel() - 1
        v = np.asarray(val, dtype=np.float64) if val is not None else None
        return Tracer(pos.shape, G.take(src) if gs else Rows.empty(pos.size),
                      (H.take(src) if gs else Rows.empty(pos.size)) if ctx.second else None, v, ctx)

    if isinstance(out, (list, tuple)):
        return [wrap(p, value[i] if value is not None else None) for i, p in enumerate(out)]
    return wrap(out, value)


HANDLED = FunctionTable()  # numpy function -> its implementation on tracers
_implements = HANDLED.implements
_np_name = numpy_name


def supported_functions() -> list[str]:
    """The numpy functions the tracer runs (ufuncs with a rule in dualdiff.rules aside)."""
    return HANDLED.names()


def _one(fn: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    return lambda ps: fn(ps[0])


def _moving(np_func: Any) -> Callable[..., Any]:
    """Register a numpy function of one array argument that only moves elements."""
    def impl(a: Any, *args: Any, **kwargs: Any) -> Any:
        a = _operand(a, _ctx_of(a))
        if not isinstance(a, Tracer):
            return np_func(a, *args, **kwargs)
        return _move(a.ctx, [a], _one(lambda p: np_func(p, *args, **kwargs)))
    HANDLED[np_func] = impl
    return impl


for _f in (np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims,
           np.broadcast_to, np.copy, np.flip, np.fliplr, np.flipud, np.roll, np.rot90, np.tile, np.repeat,
           np.diagonal, np.triu, np.tril, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.asarray,
           np.ascontiguousarray, np.asanyarray, np.array_split, np.split, np.hsplit, np.vsplit):
    _moving(_f)

reshape = HANDLED[np.reshape]
ravel = HANDLED[np.ravel]
transpose = HANDLED[np.transpose]


@_implements(np.diag)
def diag(v: Any, k: int = 0) -> Any:
    v = _operand(v, _ctx_of(v))
    if not isinstance(v, Tracer):
        return np.diag(v, k)
    return _move(v.ctx, [v], _one(lambda p: np.diag(p, k)))


@_implements(np.pad)
def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    a = _operand(array, _ctx_of(array))
    if not isinstance(a, Tracer):
        return np.pad(a, pad_width, mode, **kwargs)
    if mode == "constant":
        pos_fn = _one(lambda p: np.pad(p, pad_width, "constant"))
    elif mode in ("edge", "wrap", "symmetric", "reflect"):
        pos_fn = _one(lambda p: np.pad(p, pad_width, mode))
    else:
        raise TypeError(f"np.pad(mode={mode!r}) is not supported while tracing")
    return _move(a.ctx, [a], pos_fn, _one(lambda v: np.pad(v, pad_width, mode, **kwargs)))


def _many(np_func: Any) -> Callable[..., Any]:
    """Register a numpy function of a sequence of arrays that only moves elements."""
    def impl(arrays: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        ctx = _ctx_of(*arrays)
        ops = [_operand(a, ctx) for a in arrays]
        return _move(ctx, ops, lambda ps: np_func(ps, *args, **kwargs))
    HANDLED[np_func] = impl
    return impl


for _f in (np.concatenate, np.stack, np.vstack, np.hstack, np.column_stack, np.dstack, np.block):
    _many(_f)
stack = HANDLED[np.stack]


@_implements(np.append)
def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    ctx = _ctx_of(arr, values)
    ops = [_operand(arr, ctx), _operand(values, ctx)]
    return _move(ctx, ops, lambda ps: np.append(ps[0], ps[1], axis=axis))


@_implements(np.take)
def take(a: Any, indices: Any, axis: int | None = None, out: Any = None, mode: str = "raise") -> Any:
    if out is not None:
        raise TypeError("np.take(out=...) is not supported while tracing")
    a = _operand(a, _ctx_of(a))
    idx = _plain_index(a, indices)
    return _move(a.ctx, [a], _one(lambda p: np.take(p, idx, axis=axis, mode=mode)))


def _plain_index(a: Tracer, indices: Any) -> Any:
    if isinstance(indices, Condition):
        raise _value_error("indices computed from traced values")
    if isinstance(indices, Tracer):
        if not a.ctx.local:
            raise _value_error("indices computed from traced values")
        return indices.value.astype(np.intp)
    return indices


@_implements(np.take_along_axis)
def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    a = _operand(arr, _ctx_of(arr))
    idx = _plain_index(a, indices)
    return _move(a.ctx, [a], _one(lambda p: np.take_along_axis(p, idx, axis)))


def _likes(fill: Callable[[Any], Any]) -> Callable[..., Any]:
    def impl(a: Any, *args: Any, dtype: Any = None, shape: Any = None, **kwargs: Any) -> Any:
        ctx = _ctx_of(a)
        shp = _shape_of(a) if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        value = fill((shp, args)) if ctx.local else None
        return _constant_tracer(shp, ctx, value)
    return impl


_implements(np.zeros_like)(_likes(lambda sa: np.zeros(sa[0])))
_implements(np.empty_like)(_likes(lambda sa: np.zeros(sa[0])))
_implements(np.ones_like)(_likes(lambda sa: np.ones(sa[0])))


@_implements(np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None) -> Any:
    ctx = _ctx_of(a)
    shp = _shape_of(a) if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
    fv = _operand(fill_value, ctx)
    if isinstance(fv, Tracer):
        return broadcast_to_(fv, shp)
    return _constant_tracer(shp, ctx, np.full(shp, fv, dtype=np.float64) if ctx.local else None)


def broadcast_to_(a: Tracer, shape: tuple[int, ...]) -> Tracer:
    return _move(a.ctx, [a], _one(lambda p: np.broadcast_to(p, shape).copy()))


@_implements(np.shape)
def shape_(a: Any) -> tuple[int, ...]:
    return _shape_of(a)


@_implements(np.ndim)
def ndim_(a: Any) -> int:
    return len(_shape_of(a))


@_implements(np.size)
def size_(a: Any, axis: int | None = None) -> int:
    s = _shape_of(a)
    return _size(s) if axis is None else s[axis]


@_implements(np.where)
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    return _where(None, condition, x, y)


def _where(_: Any, condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:
        if isinstance(condition, (Condition, Tracer)) and not (isinstance(condition, Tracer) and condition.ctx.local):
            raise _value_error("np.where(condition) of traced values")
        return np.where(_value(condition) if isinstance(condition, Tracer) else condition)
    ctx = _ctx_of(x, y, condition)
    a, b = _operand(x, ctx), _operand(y, ctx)
    if isinstance(condition, Tracer):
        if not ctx.local:
            raise _value_error("np.where with a traced value as the condition")
        condition = condition.value != 0
    shape = np.broadcast_shapes(_shape_of(a), _shape_of(b), np.shape(_shape_stand_in(condition)))
    if isinstance(condition, Condition):  # global: both branches
        return _select(ctx, [a, b], [np.ones(1, bool), np.ones(1, bool)], shape, None)
    cond = np.broadcast_to(np.asarray(condition, dtype=bool), shape).ravel()
    value = np.where(np.asarray(condition, bool), _value(a), _value(b)).astype(np.float64) if ctx.local else None
    return _select(ctx, [a, b], [cond, ~cond], shape, value)


@_implements(np.clip)
def clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, *, min: Any = None,
         max: Any = None, **kwargs: Any) -> Any:
    if out is not None:
        raise TypeError("np.clip(out=...) is not supported while tracing")
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    ctx = _ctx_of(a, lo, hi)
    r = _operand(a, ctx)
    if lo is not None:
        r = _ufunc(ctx, np.maximum, (r, lo), {})
    if hi is not None:
        r = _ufunc(ctx, np.minimum, (r, hi), {})
    return r


# -- reductions -----------------------------------------------------------------------------

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


def _group(t: Tracer, axes: tuple[int, ...]) -> tuple[np.ndarray, int, int]:
    """Positions grouped per output element: (out_size, red) array, out_size, red."""
    keep = [i for i in range(t.ndim) if i not in axes]
    red = _size(tuple(t.shape[i] for i in axes))
    out_size = _size(tuple(t.shape[i] for i in keep))
    pos = np.arange(t.size, dtype=INT).reshape(t.shape)
    return np.transpose(pos, keep + list(axes)).reshape(out_size, red), out_size, red


def _out_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _union_reduce(t: Tracer, axes: tuple[int, ...], keepdims: bool, value: Any) -> Tracer:
    """Every output element depends on the union of its group (a linear reduction)."""
    grouped, out_size, red = _group(t, axes)
    sel_indptr = np.arange(0, out_size * red + 1, max(red, 1), dtype=INT) if red else np.zeros(out_size + 1, INT)
    src = grouped.ravel()
    G = gather(t.G, sel_indptr, src)
    H = gather(t.H, sel_indptr, src) if t.H is not None else None
    return Tracer(_out_shape(t.shape, axes, keepdims), G, H, value, t.ctx)


def _reduction(name: str, np_func: Any) -> Callable[..., Any]:
    def impl(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
             **kwargs: Any) -> Any:
        if out is not None:
            raise TypeError(f"np.{name}(out=...) is not supported while tracing")
        kwargs.pop("initial", None) if name == "sum" and kwargs.get("initial") in (None, 0) else None
        if kwargs.get("where", True) is not True:
            raise TypeError(f"np.{name}(where=...) is not supported while tracing")
        kwargs.pop("where", None)
        t = _operand(a, _ctx_of(a))
        if not isinstance(t, Tracer):
            return np_func(t, axis=axis, keepdims=keepdims)
        axes = _axes(axis, t.ndim)
        value = np_func(t.value, axis=axes, keepdims=keepdims) if t.ctx.local else None
        result = _union_reduce(t, axes, keepdims, value)
        if t.ctx.sums and np_func in (np.sum, np.mean) and result.shape == ():
            return TracerTermSum.of(result, ("leaf", t.reshape(-1), 1.0))
        return result
    return impl


sum_ = _implements(np.sum)(_reduction("sum", np.sum))
mean = _implements(np.mean)(_reduction("mean", np.mean))
_implements(np.nansum)(_reduction("sum", np.nansum))


def _extreme(name: str, np_func: Any, arg_func: Any) -> Callable[..., Any]:
    def impl(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if out is not None or kwargs.get("where", True) is not True:
            raise TypeError(f"np.{name}(out=/where=) is not supported while tracing")
        t = _operand(a, _ctx_of(a))
        if not isinstance(t, Tracer):
            return np_func(t, axis=axis, keepdims=keepdims)
        if not t.ctx.local:
            return _union_reduce(t, _axes(axis, t.ndim), keepdims, None)
        if axis is None:
            t, axis = ravel(t), 0
            if keepdims:
                raise TypeError(f"np.{name}(axis=None, keepdims=True) is not supported in local mode")
        (ax,) = _axes(axis, t.ndim)
        idx = np.expand_dims(arg_func(t.value, axis=ax), ax)

        def pick(p: Any) -> Any:
            r = np.take_along_axis(p, idx, axis=ax)
            return r if keepdims else np.squeeze(r, axis=ax)

        return _move(t.ctx, [t], _one(pick))
    return impl


max_ = _implements(np.max, np.amax)(_extreme("max", np.max, np.argmax))
min_ = _implements(np.min, np.amin)(_extreme("min", np.min, np.argmin))


@_implements(np.prod)
def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **kwargs: Any) -> Any:
    """A running product, so that (∏ x_i) has no ∂²/∂x_i² entries."""
    if out is not None:
        raise TypeError("np.prod(out=...) is not supported while tracing")
    t = _operand(a, _ctx_of(a))
    if not isinstance(t, Tracer):
        return np.prod(t, axis=axis, keepdims=keepdims)
    if axis is None:
        r = _running_product(ravel(t))
        return reshape(r, (1,) * t.ndim) if keepdims else r
    (ax,) = _axes(axis, t.ndim)
    r = _running_product(HANDLED[np.moveaxis](t, ax, 0))
    return HANDLED[np.expand_dims](r, ax) if keepdims else r


def _running_product(t: Tracer) -> Tracer:
    if t.shape[0] == 0:
        return _constant_tracer(t.shape[1:], t.ctx, np.ones(t.shape[1:]) if t.ctx.local else None)
    acc = t[0]
    for i in range(1, t.shape[0]):
        acc = acc * t[i]
    return acc


@_implements(np.cumsum)
def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    if out is not None:
        raise TypeError("np.cumsum(out=...) is not supported while tracing")
    t = _operand(a, _ctx_of(a))
    if not isinstance(t, Tracer):
        return np.cumsum(t, axis=axis)
    if axis is None:
        t, axis = ravel(t), 0
    (ax,) = _axes(axis, t.ndim)
    moved = HANDLED[np.moveaxis](t, ax, -1)
    L = moved.shape[-1]
    rest = _size(moved.shape[:-1])
    pos = np.arange(moved.size, dtype=INT).reshape(rest, L)
    ii, jj = np.tril_indices(L)  # output i gets inputs j <= i, rows in order
    src = pos[:, jj].ravel()
    counts = np.tile(np.arange(1, L + 1, dtype=INT), rest)
    sel_indptr = np.zeros(rest * L + 1, INT)
    np.cumsum(counts, out=sel_indptr[1:])
    G = gather(moved.G, sel_indptr, src)
    H = gather(moved.H, sel_indptr, src) if moved.H is not None else None
    value = np.cumsum(moved.value, axis=-1) if t.ctx.local else None
    r = Tracer(moved.shape, G, H, value, t.ctx)
    return HANDLED[np.moveaxis](r, -1, ax)


@_implements(np.diff)
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Any:
    ctx = _ctx_of(a, prepend, append)
    t = _operand(a, ctx)
    (ax,) = _axes(axis, len(_shape_of(t)))
    parts = []
    for extra, where_ in ((prepend, 0), (None, 1), (append, 2)):
        if where_ == 1:
            parts.append(t)
        elif extra is not np._NoValue:
            e = _operand(extra, ctx)
            shp = list(_shape_of(t))
            shp[ax] = 1
            e = broadcast_to_(e, tuple(shp)) if isinstance(e, Tracer) and _shape_of(e) != tuple(shp) \
                else (e if isinstance(e, Tracer) else np.broadcast_to(e, shp))
            if isinstance(e, Tracer) or np.ndim(extra) == 0:
                parts.append(e)
            else:
                parts.append(np.asarray(extra, dtype=np.float64))
    if len(parts) > 1:
        t = HANDLED[np.concatenate](parts, axis=ax)
    for _ in range(n):
        hi = [slice(None)] * t.ndim
        lo = [slice(None)] * t.ndim
        hi[ax], lo[ax] = slice(1, None), slice(None, -1)
        t = t[tuple(hi)] - t[tuple(lo)]
    return t


@_implements(np.trace)
def trace_(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None) -> Any:
    return sum_(HANDLED[np.diagonal](a, offset, axis1, axis2), axis=-1)


_REDUCE = {np.add: sum_, np.multiply: prod, np.maximum: max_, np.minimum: min_}


# -- products: contractions ------------------------------------------------------------------

def _contract(ctx: _Ctx, terms: list[str], output: str, ops: list[Any]) -> Any:
    """einsum(terms -> output) for one or two operands, at least one traced.

    Every output element is a sum of products over a grid of (output letters, summed
    letters); its sets are the union over the grid of the sets of the factors, and for
    two traced factors also the pairs G_a × G_b.  A constant factor's zero entries
    contribute nothing.
    """
    dims: dict[str, int] = {}
    for term, o in zip(terms, ops, strict=True):
        shp = _shape_of(o)
        if len(term) != len(shp):
            raise ValueError(f"einsum term {term!r} does not match an operand of shape {shp}")
        if len(set(term)) != len(term):
            raise TypeError("einsum with a repeated index within one operand is not supported while tracing")
        for c, s in zip(term, shp, strict=True):
            if dims.setdefault(c, s) != s:
                raise ValueError(f"einsum: index {c!r} has sizes {dims[c]} and {s}")
    summed = "".join(c for c in dims if c not in output)
    grid_letters = output + summed
    grid_shape = tuple(dims[c] for c in grid_letters)
    out_shape = tuple(dims[c] for c in output)
    out_size, red = _size(out_shape), _size(tuple(dims[c] for c in summed))
    keep = np.ones(_size(grid_shape), dtype=bool)
    grid_pos = []
    for term, o in zip(terms, ops, strict=True):
        pos = np.arange(_size(_shape_of(o)), dtype=INT).reshape(_shape_of(o))
        order = sorted(range(len(term)), key=lambda k: grid_letters.index(term[k]))
        pos = np.transpose(pos, order)
        present = {term[k] for k in order}
        pos = pos.reshape(tuple(dims[c] if c in present else 1 for c in grid_letters))
        g = np.broadcast_to(pos, grid_shape).ravel()
        if not isinstance(o, Tracer):
            keep &= np.asarray(o).ravel()[g] != 0
        grid_pos.append(g)
    traced = [i for i, o in enumerate(ops) if isinstance(o, Tracer)]
    value = np.einsum(",".join(terms) + "->" + output, *[_value(o) for o in ops]) if ctx.local else None
    counts = np.bincount(np.arange(keep.size)[keep] // max(red, 1), minlength=out_size) if red else \
        np.zeros(out_size, INT)
    sel_indptr = np.zeros(out_size + 1, INT)
    np.cumsum(counts, out=sel_indptr[1:])
    if len(traced) == 1:
        t = ops[traced[0]]
        src = grid_pos[traced[0]][keep]
        G = gather(t.G, sel_indptr, src)
        H = gather(t.H, sel_indptr, src) if ctx.second else None
        return Tracer(out_shape, G, H, value, ctx)
    a, b = ops
    ga, gb = a.G.take(grid_pos[0][keep]), b.G.take(grid_pos[1][keep])
    ge = union_rows([ga, gb], ga.nrows)
    src = np.arange(ge.nrows, dtype=INT)
    G = gather(ge, sel_indptr, src)
    H = None
    if ctx.second:
        he = union_rows([a.H.take(grid_pos[0][keep]), b.H.take(grid_pos[1][keep])], ga.nrows)
        he = pairs(he, ga, gb, ctx.n)
        H = gather(he, sel_indptr, src)
    return Tracer(out_shape, G, H, value, ctx)


def _products(terms: list[str], output: str, operands: Sequence[Any]) -> Any:
    ctx = _ctx_of(*operands)
    ops = [_operand(o, ctx) for o in operands]
    if not any(isinstance(o, Tracer) for o in ops):
        return np.einsum(",".join(terms) + "->" + output, *ops)
    while len(ops) > 2:  # contract the first two, keeping the letters still needed
        later = set("".join(terms[2:]) + output)
        mid = "".join(dict.fromkeys(c for c in terms[0] + terms[1] if c in later))
        ops = [_contract(ctx, terms[:2], mid, ops[:2]) if any(isinstance(o, Tracer) for o in ops[:2])
               else np.einsum(f"{terms[0]},{terms[1]}->{mid}", *ops[:2])] + ops[2:]
        terms = [mid] + terms[2:]
    return _contract(ctx, terms, output, ops)


_LETTERS = string.ascii_letters


@_implements(np.einsum)
def einsum(subscripts: str, *operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Any:
    if out is not None:
        raise TypeError("np.einsum(out=...) is not supported while tracing")
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise TypeError("np.einsum with '...' is not supported while tracing")
    if "->" in spec:
        lhs, output = spec.split("->")
    else:
        lhs = spec
        letters = lhs.replace(",", "")
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return _products(lhs.split(","), output, operands)


@_implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    if out is not None:
        raise TypeError("np.dot(out=...) is not supported while tracing")
    na, nb = len(_shape_of(a)), len(_shape_of(b))
    if na == 0 or nb == 0:
        ctx = _ctx_of(a, b)
        return _ufunc(ctx, np.multiply, (a, b), {})
    ta = _LETTERS[:na]
    if nb == 1:
        tb = ta[-1]
    else:
        rest = _LETTERS[na:na + nb - 1]
        tb = rest[:-1] + ta[-1] + rest[-1]
    output = ta[:-1] + "".join(c for c in tb if c != ta[-1])
    return _tracked_dot(a, b, _products([ta, tb], output, [a, b]))


@_implements(np.matmul)
def matmul(a: Any, b: Any, out: Any = None, **kwargs: Any) -> Any:
    na, nb = len(_shape_of(a)), len(_shape_of(b))
    if na == 0 or nb == 0:
        raise ValueError("matmul: an operand is a scalar")
    if na <= 2 and nb <= 2:
        return dot(a, b)
    sa, sb = _shape_of(a), _shape_of(b)
    batch = np.broadcast_shapes(sa[:-2], sb[:-2]) if na > 1 and nb > 1 else (sa[:-2] if na > 1 else sb[:-2])
    ctx = _ctx_of(a, b)
    A, B = _operand(a, ctx), _operand(b, ctx)
    if na > 1:
        A = broadcast_to_(A, batch + sa[-2:]) if isinstance(A, Tracer) else np.broadcast_to(A, batch + sa[-2:])
    if nb > 1:
        B = broadcast_to_(B, batch + sb[-2:]) if isinstance(B, Tracer) else np.broadcast_to(B, batch + sb[-2:])
    nbatch = len(batch)
    bl = _LETTERS[:nbatch]
    i, k, j = _LETTERS[nbatch:nbatch + 3]
    ta = bl + i + k if na > 1 else k
    tb = bl + k + j if nb > 1 else k
    output = bl + (i if na > 1 else "") + (j if nb > 1 else "")
    return _products([ta, tb], output, [A, B])


@_implements(np.inner)
def inner(a: Any, b: Any) -> Any:
    na, nb = len(_shape_of(a)), len(_shape_of(b))
    if na == 0 or nb == 0:
        return _ufunc(_ctx_of(a, b), np.multiply, (a, b), {})
    ta = _LETTERS[:na - 1] + "z"
    tb = _LETTERS[na - 1:na + nb - 2] + "z"
    return _tracked_dot(a, b, _products([ta, tb], ta[:-1] + tb[:-1], [a, b]))


@_implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    ctx = _ctx_of(a, b)
    return _products(["i", "j"], "ij", [ravel(_operand(a, ctx)) if isinstance(_operand(a, ctx), Tracer)
                                        else np.ravel(a),
                                        ravel(_operand(b, ctx)) if isinstance(_operand(b, ctx), Tracer)
                                        else np.ravel(b)])


@_implements(np.vdot)
def vdot(a: Any, b: Any) -> Any:
    ctx = _ctx_of(a, b)
    A, B = _operand(a, ctx), _operand(b, ctx)
    A = ravel(A) if isinstance(A, Tracer) else np.ravel(A)
    B = ravel(B) if isinstance(B, Tracer) else np.ravel(B)
    return _tracked_dot(A, B, _products(["i", "i"], "", [A, B]))


@_implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    na, nb = len(_shape_of(a)), len(_shape_of(b))
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - int(axes), na)), list(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a = [x % na for x in ax_a]
    ax_b = [x % nb for x in ax_b]
    ta = list(_LETTERS[:na])
    tb = list(_LETTERS[na:na + nb])
    for i, j in zip(ax_a, ax_b, strict=True):
        tb[j] = ta[i]
    output = "".join(ta[i] for i in range(na) if i not in ax_a) + "".join(tb[j] for j in range(nb) if j not in ax_b)
    return _products(["".join(ta), "".join(tb)], output, [a, b])


# -- dense operations (linear algebra) ----------------------------------------------------------

def _dense(ctx: _Ctx, ops: list[Any], nonlinear: list[bool], shape: tuple[int, ...], value: Any) -> Tracer:
    """Every output element depends on every element of every traced operand; pairs
    among all of them where the operation is nonlinear in an operand."""
    traced = [o for o in ops if isinstance(o, Tracer)]
    size = _size(shape)
    if not traced:
        return _constant_tracer(shape, ctx, value)
    all_g = Rows.concat([o.G for o in traced])
    one = gather(all_g, np.array([0, all_g.nrows], INT), np.arange(all_g.nrows, dtype=INT))
    H = None
    if ctx.second:
        all_h = Rows.concat([o.H for o in traced])
        H = gather(all_h, np.array([0, all_h.nrows], INT), np.arange(all_h.nrows, dtype=INT))
        if any(nl for o, nl in zip(ops, nonlinear, strict=True) if isinstance(o, Tracer)):
            H = pairs(H, one, one, ctx.n)
        H = H.take(np.zeros(size, INT))
    return Tracer(shape, one.take(np.zeros(size, INT)), H, value, ctx)


@_implements(np.linalg.solve)
def solve(a: Any, b: Any) -> Any:
    ctx = _ctx_of(a, b)
    A, B = _operand(a, ctx), _operand(b, ctx)
    value = np.linalg.solve(_value(A), _value(B)) if ctx.local else None
    shape = _shape_of(B)
    return _dense(ctx, [A, B], [True, isinstance(A, Tracer)], shape, value)


@_implements(np.linalg.inv)
def inv(a: Any) -> Any:
    A = _operand(a, _ctx_of(a))
    return _dense(A.ctx, [A], [True], A.shape, np.linalg.inv(A.value) if A.ctx.local else None)


@_implements(np.linalg.det)
def det(a: Any) -> Any:
    A = _operand(a, _ctx_of(a))
    return _dense(A.ctx, [A], [True], A.shape[:-2], np.linalg.det(A.value) if A.ctx.local else None)


@_implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    t = _operand(x, _ctx_of(x))
    if ord in (None, 2, "fro") and (axis is None or isinstance(axis, (int, np.integer)) or ord != 2):
        return np.sqrt(sum_(t * t, axis=axis, keepdims=keepdims))
    if ord == 1 and (axis is not None or t.ndim == 1):
        return sum_(abs(t), axis=axis, keepdims=keepdims)
    if ord in (np.inf, -np.inf) and (axis is not None or t.ndim == 1):
        return (max_ if ord > 0 else min_)(abs(t), axis=axis, keepdims=keepdims)
    raise TypeError(f"np.linalg.norm(ord={ord!r}, axis={axis!r}) is not supported while tracing")


# -- functions of the value only -----------------------------------------------------------------

def _value_only(np_func: Any) -> Callable[..., Any]:
    def impl(*args: Any, **kwargs: Any) -> Any:
        ctx = _ctx_of(*args, *kwargs.values())
        if not ctx.local or any(isinstance(a, Condition) for a in (*args, *kwargs.values())):
            raise _value_error(f"np.{np_func.__name__} of traced values")
        unwrap = lambda a: a.value if isinstance(a, Tracer) else a  # noqa: E731
        return np_func(*(unwrap(a) for a in args), **{k: unwrap(v) for k, v in kwargs.items()})
    return impl


for _f in (np.argmax, np.argmin, np.argsort, np.allclose, np.isclose, np.array_equal, np.nonzero,
           np.count_nonzero, np.any, np.all, np.searchsorted, np.sort, np.unique, np.flatnonzero, np.argwhere):
    HANDLED[_f] = _value_only(_f)


# ndarray-style methods
for _name, _fn in {"sum": sum_, "mean": mean, "prod": prod, "cumsum": cumsum, "dot": dot, "ravel": ravel,
                   "squeeze": HANDLED[np.squeeze], "swapaxes": HANDLED[np.swapaxes],
                   "diagonal": HANDLED[np.diagonal], "trace": trace_, "max": max_, "min": min_,
                   "take": take, "clip": clip, "copy": HANDLED[np.copy], "repeat": HANDLED[np.repeat]}.items():
    setattr(Tracer, _name, (lambda fn: lambda self, *a, **k: fn(self, *a, **k))(_fn))


# -- sums that keep their terms (sum detection for sparse.hessian) ---------------------------------

class TracerTermSum(TermSumMixin, Tracer):
    """A traced full sum that keeps its terms (``ctx.sums``; see :mod:`dualdiff._termsum`)."""

    __slots__ = ("node",)

    @classmethod
    def of(cls, t: Tracer, node: tuple) -> TracerTermSum:
        s = cls(t.shape, t.G, t.H, t.value, t.ctx)
        s.node = node
        return s

    @property
    def tag(self) -> Any:  # one object per run: term sums of one run combine
        return self.ctx

    def _make(self, number: Any, node: tuple) -> Any:
        return TracerTermSum.of(number, node) if isinstance(number, Tracer) else number

    def _plain(self) -> Tracer:
        return Tracer(self.shape, self.G, self.H, self.value, self.ctx)

    def _same_kind(self, other: Any) -> bool:
        return type(other) is Tracer and other.ctx is self.ctx and other.shape == ()


def _tracked_dot(a: Any, b: Any, result: Any) -> Any:
    """A full dot product of a traced 1-d array with a constant vector keeps its terms."""
    if not isinstance(result, Tracer) or result.shape != () or not result.ctx.sums:
        return result
    for t, other in ((a, b), (b, a)):
        if isinstance(t, Tracer) and t.ndim == 1 and t.ctx is result.ctx:
            w = constant_vector(other)
            if w is not None and w.shape == t.shape:
                return TracerTermSum.of(result, ("leaf", t * w, 1.0))
    return result


# -- running a function ----------------------------------------------------------------------------

def _is_numba(f: Any) -> bool:
    nb = sys.modules.get("numba")
    return nb is not None and isinstance(f, nb.core.registry.CPUDispatcher)


def collect(out: Any, ctx: _Ctx) -> Tracer:
    """f's output as one traced array (constants and lists of traced values included)."""
    if isinstance(out, Tracer):
        return out
    if isinstance(out, Condition):
        return _constant_tracer(out.shape, ctx)
    o = _operand(out, ctx)
    if isinstance(o, Tracer):
        return o
    return _constant_tracer(np.shape(o), ctx, o if ctx.local else None)


def trace(f: Callable[..., Any], x: np.ndarray, args: tuple = (), kwargs: dict | None = None, *,
          second: bool = False, local: bool = False, sums: bool = False) -> Tracer:
    """Run f once on a traced copy of x; return its output as a :class:`Tracer`
    (a :class:`TracerTermSum` when ``sums`` and f ends in a sum that keeps its terms)."""
    if _is_numba(f):
        f = f.py_func
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    ctx = _Ctx(n, second, local, sums)
    t = Tracer(x.shape, Rows.identity(n), Rows.empty(n) if second else None, x.copy() if local else None, ctx)
    try:
        with np.errstate(all="ignore"):
            out = f(t, *args, **(kwargs or {}))
    except Exception as exc:
        if type(exc).__name__ == "TypingError" and "dualdiff.sparse.tracer" in str(exc):
            raise TypeError(
                "f calls a numba @njit function with a traced value, which compiled code cannot "
                "carry: call g.py_func inside f while detecting, or pass the pattern yourself "
                "(pattern=...)") from exc
        raise
    return collect(out, ctx)

