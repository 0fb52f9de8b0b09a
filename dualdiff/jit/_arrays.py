"""Whole-array operations on arrays of jets inside numba code.

Elementwise: every rule's ufunc, operator and ``dd.*`` function on arrays of jets (and
mixed with float arrays or scalars): equal shapes, or an array with a scalar.  Each
element goes through the scalar overload of the same function, so the chain rule is
the one generated from the rules table.  In-place operators (``y += x``) write into a
jet array; writing jets into a float array is refused with the float-scratch error.

Reductions and products: ``np.sum`` / ``a.sum()`` / ``np.mean`` / ``a.mean()`` (no
axis), ``np.dot`` and ``@`` for 1-d and 2-d operands, jets on either side.

Registered for the CPU target so they are tried before numba's generic array code,
which accepts any dtype at typing time and then fails to lower jets.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
from numba.core import types
from numba.extending import overload, overload_method

from ..jet import DualConversionError
from . import _types as T
from ._types import JetType, _is_real_number

FLOAT_SCRATCH_MESSAGE = (
    "an in-place operator would store dual numbers into a float array, dropping their "
    "derivatives; allocate arrays that hold values depending on x from x: "
    "np.empty_like(x), np.zeros_like(x) or np.empty(n, dtype=x.dtype), not np.zeros(n)")


def is_jet_array(t: Any) -> bool:
    return isinstance(t, types.Array) and isinstance(t.dtype, JetType)


def _is_number_array(t: Any) -> bool:
    return isinstance(t, types.Array) and _is_real_number(t.dtype)


def _element(t: Any) -> Any:
    return t.dtype if isinstance(t, types.Array) else t


def _jet_of_operands(*ts: Any) -> Any:
    """The jet type of the operands (all jets must agree), or None."""
    jets = {_element(t) for t in ts if isinstance(_element(t), JetType)}
    return jets.pop() if len(jets) == 1 else None


def _scalar_operand(t: Any) -> bool:
    return isinstance(t, JetType) or _is_real_number(t)


# -- elementwise -------------------------------------------------------------------------------

def unary_array_impl(fn: Callable[..., Any], x: Any) -> Any:
    """fn applied to each element of a jet array x (None if x is not one)."""
    if not is_jet_array(x):
        return None
    jt = x.dtype
    if x.ndim == 1:
        def impl(x):
            out = np.empty(x.shape[0], dtype=jt)
            for i in range(x.shape[0]):
                out[i] = fn(x[i])
            return out
        return impl

    def impl_nd(x):
        out = np.empty(x.shape, dtype=jt)
        flat = out.reshape(out.size)
        for i in range(out.size):
            flat[i] = fn(x.flat[i])
        return out
    return impl_nd


def _elementwise(fn: Callable[..., Any], a_arr: bool, b_arr: bool, ndim: int) -> Any:
    """A jitable ``loop(a, b, out)`` storing fn(a[i], b[i]) (a scalar side broadcast) into
    the C-contiguous ``out``; 1-d operands are indexed directly, others through .flat."""
    index_a = ("a[i]" if ndim == 1 else "a.flat[i]") if a_arr else "a"
    index_b = ("b[i]" if ndim == 1 else "b.flat[i]") if b_arr else "b"
    lines = ["def loop(a, b, out):"]
    if a_arr and b_arr:
        lines += ["    if a.shape != b.shape:",
                  "        raise ValueError('dualdiff.jit: array operands must have equal shapes "
                  "(or one be a scalar); numpy broadcasting is not supported')"]
    if ndim == 1:
        lines += ["    for i in range(out.shape[0]):", f"        out[i] = fn({index_a}, {index_b})"]
    else:
        lines += ["    flat = out.reshape(out.size)", "    for i in range(out.size):",
                  f"        flat[i] = fn({index_a}, {index_b})"]
    ns = {"fn": fn}
    exec("\n".join(lines), ns)  # noqa: S102
    return _jitable(ns["loop"])


def binary_array_impl(fn: Callable[..., Any], a: Any, b: Any, inplace: bool) -> Any:
    """fn(a, b) elementwise where a or b is a jet array (None if neither is)."""
    if not (is_jet_array(a) or is_jet_array(b)):
        return None
    jt = _jet_of_operands(a, b)
    if jt is None:
        return None
    a_arr, b_arr = isinstance(a, types.Array), isinstance(b, types.Array)
    if (a_arr and not (is_jet_array(a) or _is_number_array(a))) or (
            b_arr and not (is_jet_array(b) or _is_number_array(b))):
        return None
    if (not a_arr and not _scalar_operand(a)) or (not b_arr and not _scalar_operand(b)):
        return None
    if a_arr and b_arr and a.ndim != b.ndim:
        return None
    if inplace:
        if not a_arr:
            return None
        if not is_jet_array(a):
            # Refusing at typing time would hand the call to numba's in-place array
            # operator template, which crashes on a dtype that is not numpy's; so this
            # compiles to the error instead (raised before any result is returned).
            def refuse(x, y):
                if x.size >= 0:  # always; written so that x stays the return type
                    raise DualConversionError(FLOAT_SCRATCH_MESSAGE)
                return x
            return refuse
    ndim = a.ndim if a_arr else b.ndim
    loop = _elementwise(fn, a_arr, b_arr, ndim)
    if inplace:
        # into a temporary first: y += y[::-1] must read only old values, as in numpy
        if ndim == 1:
            def impl(x, y):  # (named as the overloaded operator's arguments)
                tmp = np.empty(x.shape[0], dtype=jt)
                loop(x, y, tmp)
                for i in range(x.shape[0]):
                    x[i] = tmp[i]
                return x
            return impl

        def impl_nd(x, y):
            tmp = np.empty(x.shape, dtype=jt)
            loop(x, y, tmp)
            tf = tmp.reshape(tmp.size)
            for i in range(x.size):
                x.flat[i] = tf[i]
            return x
        return impl_nd
    if a_arr:
        def impl_a(x, y):
            out = np.empty(x.shape, dtype=jt)
            loop(x, y, out)
            return out
        return impl_a

    def impl_b(x, y):
        out = np.empty(y.shape, dtype=jt)
        loop(x, y, out)
        return out
    return impl_b


def _jitable(fn: Callable[..., Any]) -> Any:
    from numba.extending import register_jitable
    return register_jitable(fn)


# -- reductions and products --------------------------------------------------------------

def _absent(t: Any) -> bool:
    return t is None or isinstance(t, types.NoneType) or (
        isinstance(t, types.Omitted) and t.value is None)


def _ol_sum(a, axis=None, dtype=None):
    if not is_jet_array(a) or not _absent(axis) or not _absent(dtype):
        return None
    jt = a.dtype

    def impl(a, axis=None, dtype=None):
        s = T.as_jet(jt, 0.0)
        if a.ndim == 1:
            for i in range(a.shape[0]):
                s = s + a[i]
        else:
            for i in range(a.size):
                s = s + a.flat[i]
        return s
    return impl


def _ol_mean(a):
    if not is_jet_array(a):
        return None
    return lambda a: np.sum(a) / a.size


def _ol_dot(a, b):
    jt = _jet_of_operands(a, b)
    if jt is None or not (is_jet_array(a) or is_jet_array(b)):
        return None
    if not all(isinstance(t, types.Array) and (is_jet_array(t) or _is_number_array(t)) for t in (a, b)):
        return None
    if a.ndim == 1 and b.ndim == 1:
        def impl(a, b):
            if a.shape[0] != b.shape[0]:
                raise ValueError("dot: shapes not aligned")
            s = T.as_jet(jt, 0.0)
            for i in range(a.shape[0]):
                s = s + a[i] * b[i]
            return s
        return impl
    if a.ndim == 2 and b.ndim == 1:
        def impl(a, b):
            m, n = a.shape
            if n != b.shape[0]:
                raise ValueError("dot: shapes not aligned")
            out = np.empty(m, dtype=jt)
            for i in range(m):
                s = T.as_jet(jt, 0.0)
                for j in range(n):
                    s = s + a[i, j] * b[j]
                out[i] = s
            return out
        return impl
    if a.ndim == 1 and b.ndim == 2:
        def impl(a, b):
            m, n = b.shape
            if m != a.shape[0]:
                raise ValueError("dot: shapes not aligned")
            out = np.empty(n, dtype=jt)
            for j in range(n):
                s = T.as_jet(jt, 0.0)
                for i in range(m):
                    s = s + a[i] * b[i, j]
                out[j] = s
            return out
        return impl
    if a.ndim == 2 and b.ndim == 2:
        def impl(a, b):
            m, k = a.shape
            k2, n = b.shape
            if k != k2:
                raise ValueError("dot: shapes not aligned")
            out = np.empty((m, n), dtype=jt)
            for i in range(m):
                for j in range(n):
                    s = T.as_jet(jt, 0.0)
                    for p in range(k):
                        s = s + a[i, p] * b[p, j]
                    out[i, j] = s
            return out
        return impl
    return None


def _ol_array(object, dtype=None):
    """np.array of a list or tuple of jets (and numbers): a 1-d jet array."""
    if not _absent(dtype):
        return None
    if isinstance(object, types.List) and isinstance(object.dtype, JetType):
        jt = object.dtype

        def impl(object, dtype=None):
            out = np.empty(len(object), dtype=jt)
            for i in range(len(object)):
                out[i] = object[i]
            return out
        return impl
    if isinstance(object, types.BaseTuple) and len(object) > 0:
        jt = _jet_of_operands(*object.types)
        if jt is None or not all(isinstance(t, JetType) or _is_real_number(t) for t in object.types):
            return None
        lines = ["def impl(object, dtype=None):", f"    out = np.empty({len(object)}, dtype=jt)"]
        lines += [f"    out[{i}] = as_jet(jt, object[{i}])" for i in range(len(object))]
        lines.append("    return out")
        ns = {"np": np, "jt": jt, "as_jet": T.as_jet}
        exec("\n".join(lines), ns)  # noqa: S102
        return ns["impl"]
    return None


def _method_with_fallback(ours: Callable[..., Any], numbas: Callable[..., Any]) -> Callable[..., Any]:
    """An array method overload for jet arrays that hands every other array to numba's
    own implementation: the first method template found for an attribute is the only
    one numba tries, and numba's accepts jet arrays at typing time but cannot lower them."""
    def method(a, axis=None, dtype=None):
        impl = ours(a, axis, dtype)
        return impl if impl is not None else numbas(a, axis, dtype)

    def method1(a):
        impl = ours(a)
        return impl if impl is not None else numbas(a)
    return method if ours is _ol_sum else method1


def register() -> None:
    overload(np.array, target="cpu")(_ol_array)
    overload(np.sum, target="cpu")(_ol_sum)
    overload(np.mean, target="cpu")(_ol_mean)
    overload(np.dot, target="cpu")(_ol_dot)
    overload(operator.matmul, target="cpu")(_ol_dot)
    try:
        from numba.np.arraymath import array_mean, array_sum
    except ImportError:  # pragma: no cover - another numba layout: no a.sum() on jets
        return
    overload_method(types.Array, "sum", target="cpu")(_method_with_fallback(_ol_sum, array_sum))
    overload_method(types.Array, "mean", target="cpu")(_method_with_fallback(_ol_mean, array_mean))


# -- no conversion to floats: dualdiff's own errors, raised while numba types f ---------------
# (numba passes an exception that is not its own straight to the caller)

@overload(operator.setitem)
def _ol_setitem_float_array(a: Any, index: Any, value: Any) -> Any:
    """Storing duals into a float array would drop their derivatives: refuse by name."""
    if isinstance(a, types.Array) and not isinstance(a.dtype, JetType) and (
            isinstance(value, JetType) or (isinstance(value, types.Array) and isinstance(value.dtype, JetType))):
        raise DualConversionError(
            "f stores a dual number into a float array, which would drop its derivative; "
            "allocate scratch arrays that hold values depending on x from x: np.empty_like(x), "
            "np.zeros_like(x) or np.empty(n, dtype=x.dtype), not np.zeros(n) / np.empty(n)")
    return None


def _refuse_conversion(kind: str) -> Any:
    def ol(x: Any) -> Any:
        if isinstance(x, JetType):
            raise DualConversionError(
                f"f converts a dual number with {kind}(), which would drop its derivative; use "
                ".value (dd.jit.value_of(x)) for the value alone")
        return None
    return ol


for _conversion in (float, int, complex):
    overload(_conversion)(_refuse_conversion(_conversion.__name__))
