"""Numba types for dual and hyper-dual numbers, their data models and low-level helpers.

Two jet kinds, each parametrised by ``n`` (the number of seed directions carried at once,
a *chunk*) and ``safe`` (NaN-safe products, see ``docs/conventions.md``):

* :class:`DualType` ``(value, eps)`` with ``eps`` an ``n``-vector: a chunk of ``n``
  Jacobian columns (``n = 1`` is the scalar dual number).
* :class:`HyperDualType` ``(value, eps1, eps2, eps12)`` with ``eps1`` and ``eps12``
  ``n``-vectors and ``eps2`` a scalar: seeding ``eps2 = e_i`` and ``eps1`` = columns
  ``j0 .. j0+n-1`` yields the row chunk ``H[i, j0:j0+n]`` in ``eps12`` (and the gradient
  chunk in ``eps1``) from one evaluation.

The partial vectors are LLVM ``<n x double>`` vectors in registers (so the chain rule
compiles to SIMD code) and are stored packed as ``[n x double]`` in arrays (so an array
element is exactly ``8 * (n + 1)`` or ``8 * (2n + 2)`` bytes).

Floats and integers convert to jets (zero partials) implicitly, so ``s = 0.0;
s += x[i] * x[i]`` types; there is deliberately no conversion from a jet to a float.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.datamodel import models
from numba.core.imputils import impl_ret_borrowed, lower_constant
from numba.core.pythonapi import NativeValue
from numba.core.typeconv import Conversion
from numba.extending import (
    box,
    intrinsic,
    lower_cast,
    make_attribute_wrapper,
    register_model,
    typeof_impl,
    unbox,
)
from numba.np.arrayobj import make_array, populate_array

from ..dual import Dual
from ..hyperdual import HyperDual

_DOUBLE = ir.DoubleType()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


# -- the partials vector ------------------------------------------------------------------

class EpsType(types.Type):
    """``n`` partial derivatives: an LLVM vector in registers, packed doubles in memory."""

    def __init__(self, n: int) -> None:
        self.n = int(n)
        super().__init__(name=f"DualPartials[{self.n}]")


@register_model(EpsType)
class EpsModel(models.DataModel):
    def __init__(self, dmm: Any, fe_type: EpsType) -> None:
        super().__init__(dmm, fe_type)
        self._vec = ir.VectorType(_DOUBLE, fe_type.n)
        self._arr = ir.ArrayType(_DOUBLE, fe_type.n)

    def get_value_type(self) -> ir.Type:
        return self._vec

    def get_data_type(self) -> ir.Type:
        return self._arr

    def as_data(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        out = ir.Constant(self._arr, ir.Undefined)
        for k in range(self.fe_type.n):
            out = builder.insert_value(out, builder.extract_element(value, ir.Constant(_I32, k)), k)
        return out

    def from_data(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        out = ir.Constant(self._vec, ir.Undefined)
        for k in range(self.fe_type.n):
            out = builder.insert_element(out, builder.extract_value(value, k), ir.Constant(_I32, k))
        return out

    def load_from_data_pointer(self, builder: ir.IRBuilder, ptr: ir.Value, align: Any = None) -> ir.Value:
        # the packed doubles are read as one (unaligned) vector load
        return builder.load(builder.bitcast(ptr, self._vec.as_pointer()), align=8)

    def as_argument(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        return value

    def from_argument(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        return value

    def as_return(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        return self.as_data(builder, value)

    def get_return_type(self) -> ir.Type:
        return self._arr

    def from_return(self, builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
        return self.from_data(builder, value)


# -- the jet types ---------------------------------------------------------------------------

def _is_real_number(t: Any) -> bool:
    return isinstance(t, (types.Integer, types.Float)) and not isinstance(t, types.Boolean)


class JetType(types.Type):
    """Common base of the numba jet types (not used directly)."""

    n: int
    safe: bool
    kind: str
    python_class: type

    def unify(self, typingctx: Any, other: Any) -> Any:
        if _is_real_number(other):
            return self
        return None

    def can_convert_from(self, typingctx: Any, other: Any) -> Any:
        if _is_real_number(other):
            return Conversion.safe
        return None

    @property
    def eps_type(self) -> EpsType:
        return EpsType(self.n)

    def with_safe(self, safe: bool) -> JetType:
        return type(self)(self.n, safe)


class DualType(JetType):
    """A dual number with ``n`` partials (a chunk of ``n`` seed directions)."""

    kind = "D"
    python_class = Dual

    def __init__(self, n: int, safe: bool = False) -> None:
        self.n, self.safe = int(n), bool(safe)
        super().__init__(name=f"Dual[{self.n}{', nan-safe' if self.safe else ''}]")


class HyperDualType(JetType):
    """A hyper-dual number: ``eps1``/``eps12`` of ``n`` partials, a scalar ``eps2``."""

    kind = "H"
    python_class = HyperDual

    def __init__(self, n: int, safe: bool = False) -> None:
        self.n, self.safe = int(n), bool(safe)
        super().__init__(name=f"HyperDual[{self.n}{', nan-safe' if self.safe else ''}]")


@register_model(DualType)
class DualModel(models.StructModel):
    def __init__(self, dmm: Any, fe_type: DualType) -> None:
        members = [("value", types.float64), ("eps", EpsType(fe_type.n))]
        super().__init__(dmm, fe_type, members)


@register_model(HyperDualType)
class HyperDualModel(models.StructModel):
    def __init__(self, dmm: Any, fe_type: HyperDualType) -> None:
        eps = EpsType(fe_type.n)
        members = [("value", types.float64), ("eps1", eps), ("eps2", types.float64), ("eps12", eps)]
        super().__init__(dmm, fe_type, members)


for _attr in ("value", "eps"):
    make_attribute_wrapper(DualType, _attr, _attr)
for _attr in ("value", "eps1", "eps2", "eps12"):
    make_attribute_wrapper(HyperDualType, _attr, _attr)

FIELDS = {"D": ("value", "eps"), "H": ("value", "eps1", "eps2", "eps12")}


# -- vector code generation helpers -----------------------------------------------------------

def _splat(builder: ir.IRBuilder, scalar: ir.Value, n: int) -> ir.Value:
    vt = ir.VectorType(_DOUBLE, n)
    v = builder.insert_element(ir.Constant(vt, ir.Undefined), scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(v, ir.Constant(vt, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, n), [0] * n))


def _zeros(n: int) -> ir.Constant:
    return ir.Constant(ir.VectorType(_DOUBLE, n), [0.0] * n)


def _jet_of(t: Any) -> Any:
    """The jet type named by ``t``: a jet type itself or a TypeRef to one."""
    if isinstance(t, types.TypeRef):
        t = t.instance_type
    return t if isinstance(t, JetType) else None


# -- intrinsics on partial vectors ----------------------------------------------------------

@intrinsic
def vadd(typingctx: Any, a: Any, b: Any) -> Any:
    """a + b for partial vectors."""
    if isinstance(a, EpsType) and a == b:
        return a(a, b), lambda context, builder, sig, args: builder.fadd(args[0], args[1])
    return None


@intrinsic
def vsub(typingctx: Any, a: Any, b: Any) -> Any:
    """a - b for partial vectors."""
    if isinstance(a, EpsType) and a == b:
        return a(a, b), lambda context, builder, sig, args: builder.fsub(args[0], args[1])
    return None


@intrinsic
def vneg(typingctx: Any, a: Any) -> Any:
    """-a for a partial vector."""
    if isinstance(a, EpsType):
        return a(a), lambda context, builder, sig, args: builder.fneg(args[0])
    return None


@intrinsic
def vmul(typingctx: Any, c: Any, a: Any) -> Any:
    """c * a for a scalar c and a partial vector a."""
    if isinstance(a, EpsType) and _is_real_number(c):
        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            s = context.cast(builder, args[0], sig.args[0], types.float64)
            return builder.fmul(_splat(builder, s, a.n), args[1])
        return a(c, a), codegen
    return None


@intrinsic
def vmul_safe(typingctx: Any, c: Any, a: Any) -> Any:
    """c * a, but exactly 0 where a is 0 even if c is inf or nan (NaN-safe mode)."""
    if isinstance(a, EpsType) and _is_real_number(c):
        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            s = context.cast(builder, args[0], sig.args[0], types.float64)
            prod = builder.fmul(_splat(builder, s, a.n), args[1])
            is_zero = builder.fcmp_ordered("==", args[1], _zeros(a.n))
            return builder.select(is_zero, _zeros(a.n), prod)
        return a(c, a), codegen
    return None


@intrinsic
def vzero(typingctx: Any, proto: Any) -> Any:
    """Zero partials of the vector type (or jet type) ``proto``."""
    t = proto if isinstance(proto, EpsType) else _jet_of(proto)
    if t is None:
        return None
    e = t if isinstance(t, EpsType) else t.eps_type
    return e(proto), lambda context, builder, sig, args: _zeros(e.n)


@intrinsic
def vunit(typingctx: Any, proto: Any, k: Any) -> Any:
    """The unit partial vector e_k of ``proto``'s size (all zeros if k is out of range)."""
    t = proto if isinstance(proto, EpsType) else _jet_of(proto)
    if t is None or not isinstance(k, types.Integer):
        return None
    e = t if isinstance(t, EpsType) else t.eps_type

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        kk = context.cast(builder, args[1], sig.args[1], types.int64)
        lanes = ir.Constant(ir.VectorType(_I64, e.n), list(range(e.n)))
        ks = builder.insert_element(ir.Constant(ir.VectorType(_I64, e.n), ir.Undefined), kk,
                                    ir.Constant(_I32, 0))
        ks = builder.shuffle_vector(ks, ir.Constant(ir.VectorType(_I64, e.n), ir.Undefined),
                                    ir.Constant(ir.VectorType(_I32, e.n), [0] * e.n))
        hit = builder.icmp_signed("==", lanes, ks)
        return builder.select(hit, ir.Constant(ir.VectorType(_DOUBLE, e.n), [1.0] * e.n), _zeros(e.n))
    return e(proto, k), codegen


@intrinsic
def vsplat(typingctx: Any, proto: Any, c: Any) -> Any:
    """A partial vector of ``proto``'s size with every entry ``c``."""
    t = proto if isinstance(proto, EpsType) else _jet_of(proto)
    if t is None or not _is_real_number(c):
        return None
    e = t if isinstance(t, EpsType) else t.eps_type

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        s = context.cast(builder, args[1], sig.args[1], types.float64)
        return _splat(builder, s, e.n)
    return e(proto, c), codegen


@intrinsic
def vget(typingctx: Any, a: Any, k: Any) -> Any:
    """Entry k of a partial vector."""
    if isinstance(a, EpsType) and isinstance(k, types.Integer):
        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            kk = context.cast(builder, args[1], sig.args[1], types.int64)
            return builder.extract_element(args[0], kk)
        return types.float64(a, k), codegen
    return None


@intrinsic
def vhasnan(typingctx: Any, a: Any) -> Any:
    """True if any entry of a partial vector is NaN."""
    if isinstance(a, EpsType):
        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            uno = builder.fcmp_unordered("uno", args[0], args[0])
            bits = builder.bitcast(uno, ir.IntType(a.n))
            return builder.icmp_unsigned("!=", bits, ir.Constant(ir.IntType(a.n), 0))
        return types.boolean(a), codegen
    return None


# -- constructing jets --------------------------------------------------------------------

@intrinsic
def new_dual(typingctx: Any, proto: Any, value: Any, eps: Any) -> Any:
    """A dual number of ``proto``'s type (a jet or a TypeRef) from its parts."""
    t = _jet_of(proto)
    if not isinstance(t, DualType) or not _is_real_number(value) or eps != t.eps_type:
        return None

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        s = cgutils.create_struct_proxy(t)(context, builder)
        s.value = context.cast(builder, args[1], sig.args[1], types.float64)
        s.eps = args[2]
        return s._getvalue()
    return t(proto, value, eps), codegen


@intrinsic
def new_hyperdual(typingctx: Any, proto: Any, value: Any, eps1: Any, eps2: Any, eps12: Any) -> Any:
    """A hyper-dual number of ``proto``'s type from its parts."""
    t = _jet_of(proto)
    if (not isinstance(t, HyperDualType) or not _is_real_number(value) or not _is_real_number(eps2)
            or eps1 != t.eps_type or eps12 != t.eps_type):
        return None

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        s = cgutils.create_struct_proxy(t)(context, builder)
        s.value = context.cast(builder, args[1], sig.args[1], types.float64)
        s.eps1 = args[2]
        s.eps2 = context.cast(builder, args[3], sig.args[3], types.float64)
        s.eps12 = args[4]
        return s._getvalue()
    return t(proto, value, eps1, eps2, eps12), codegen


def _constant_jet(context: Any, builder: ir.IRBuilder, t: JetType, value: ir.Value) -> ir.Value:
    s = cgutils.create_struct_proxy(t)(context, builder)
    s.value = value
    if t.kind == "D":
        s.eps = _zeros(t.n)
    else:
        s.eps1 = _zeros(t.n)
        s.eps2 = ir.Constant(_DOUBLE, 0.0)
        s.eps12 = _zeros(t.n)
    return s._getvalue()


@intrinsic
def as_jet(typingctx: Any, proto: Any, x: Any) -> Any:
    """``x`` as a jet of ``proto``'s type: jets unchanged, numbers with zero partials."""
    t = _jet_of(proto)
    if t is None:
        return None
    if x == t:
        return t(proto, x), lambda context, builder, sig, args: args[1]
    if _is_real_number(x):
        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            v = context.cast(builder, args[1], sig.args[1], types.float64)
            return _constant_jet(context, builder, t, v)
        return t(proto, x), codegen
    return None


# -- number -> jet conversion (never the other way) ------------------------------------------

@lower_cast(types.Integer, DualType)
@lower_cast(types.Float, DualType)
@lower_cast(types.Integer, HyperDualType)
@lower_cast(types.Float, HyperDualType)
def _number_to_jet(context: Any, builder: ir.IRBuilder, fromty: Any, toty: Any, val: ir.Value) -> ir.Value:
    return _constant_jet(context, builder, toty, context.cast(builder, val, fromty, types.float64))


@lower_constant(DualType)
@lower_constant(HyperDualType)
def _jet_constant(context: Any, builder: ir.IRBuilder, ty: JetType, pyval: Any) -> ir.Value:
    if isinstance(pyval, (Dual, HyperDual)):
        parts = _python_parts(pyval, ty)
        s = cgutils.create_struct_proxy(ty)(context, builder)
        s.value = ir.Constant(_DOUBLE, parts[0])
        for name, part in zip(FIELDS[ty.kind][1:], parts[1:], strict=True):
            if isinstance(part, float):
                setattr(s, name, ir.Constant(_DOUBLE, part))
            else:
                setattr(s, name, ir.Constant(ir.VectorType(_DOUBLE, ty.n), list(part)))
        return s._getvalue()
    return _constant_jet(context, builder, ty, ir.Constant(_DOUBLE, float(pyval)))


# -- arrays of jets returned to Python: a zero-copy structured-dtype view ------------------

def numpy_dtype(t: JetType) -> np.dtype:
    """The numpy structured dtype with the memory layout of an array element of type t."""
    fields = [(name, np.float64, (t.n,)) if name in ("eps", "eps1", "eps12") else (name, np.float64)
              for name in FIELDS[t.kind]]
    return np.dtype(fields)




@intrinsic
def record_floats(typingctx: Any, arr: Any) -> Any:
    """The float64 view (1-d, C) of a C-contiguous array of jets: its records' fields one
    after the other (``numpy_dtype``'s layout), sharing the array's memory.  Element k's
    value is ``view[k * S]`` and its partials follow, S = 1 + n doubles per Dual record and
    2 + 2n per HyperDual record."""
    if not (isinstance(arr, types.Array) and isinstance(arr.dtype, JetType) and arr.layout == "C"):
        return None
    rt = types.Array(types.float64, 1, "C", readonly=not arr.mutable)

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> Any:
        src = make_array(arr)(context, builder, args[0])
        dst = make_array(rt)(context, builder)
        eight = ir.Constant(src.itemsize.type, 8)
        size = builder.mul(src.nitems, builder.udiv(src.itemsize, eight))
        populate_array(dst, data=builder.bitcast(src.data, dst.data.type), shape=[size], strides=[eight],
                       itemsize=eight, meminfo=src.meminfo, parent=src.parent)
        return impl_ret_borrowed(context, builder, rt, dst._getvalue())
    return rt(arr), codegen


# -- boxing scalars (Python dd.Dual / dd.HyperDual <-> numba) ---------------------------------

def _direction_count(eps: Any) -> int | None:
    """n for partials held as a float (1) or a 1-d float array of n directions."""
    if isinstance(eps, (float, np.floating)):
        return 1
    if isinstance(eps, np.ndarray) and eps.dtype == np.float64 and eps.ndim <= 1:
        return 1 if eps.ndim == 0 else eps.shape[0]
    return None


def _plain_scalar(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) or (
        isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype == np.float64)


# Only user-made jets (tag 0) pass into numba code: the numba types carry no tag, so a
# jet of a running dualdiff transform would come back untagged and be taken for a
# constant -- a silently dropped derivative.  Such calls fail to type instead.

@typeof_impl.register(Dual)
def _typeof_dual(val: Dual, c: Any) -> Any:
    if val.tag != 0 or not _plain_scalar(val.value):
        return None  # array-valued duals have no numba type (use arrays of scalar duals)
    n = _direction_count(val.eps)
    return None if n is None or n < 1 else DualType(n)


@typeof_impl.register(HyperDual)
def _typeof_hyperdual(val: HyperDual, c: Any) -> Any:
    if val.tag != 0 or not _plain_scalar(val.value):
        return None
    n = _direction_count(val.eps1)
    e2 = np.asarray(val.eps2)
    e12 = np.asarray(val.eps12)
    if n is None or n < 1 or e2.size != 1 or e12.size != n:
        return None
    return HyperDualType(n)


def _python_parts(val: Any, ty: JetType) -> list[Any]:
    """The components of a Python jet as a float and tuples of n floats (or floats)."""
    out: list[Any] = [float(np.asarray(val.value))]
    for name in FIELDS[ty.kind][1:]:
        part = np.asarray(getattr(val, name), dtype=np.float64).ravel()
        if name == "eps2":
            out.append(float(part[0]))
        else:
            out.append(tuple(float(p) for p in part))
    return out


def _unbox_parts(val: Any, ty: JetType) -> tuple[Any, ...]:
    """(value, parts...) of a Python jet as floats / tuples, for the unboxer."""
    return tuple(_python_parts(val, ty))


def _box_parts(kind: str, n: int, parts: tuple[Any, ...]) -> Any:
    """Rebuild the Python jet from the boxed parts (floats and tuples of n floats)."""
    if kind == "D":
        value, eps = parts
        return Dual(value, eps[0] if n == 1 else np.array(eps))
    value, eps1, eps2, eps12 = parts
    if n == 1:
        return HyperDual(value, eps1[0], eps2, eps12[0])
    return HyperDual(value, np.array(eps1), np.array([eps2]), np.array(eps12).reshape(n, 1))


def _parts_tuple_type(ty: JetType) -> types.Tuple:
    vec = types.UniTuple(types.float64, ty.n)
    if ty.kind == "D":
        return types.Tuple((types.float64, vec))
    return types.Tuple((types.float64, vec, types.float64, vec))


@unbox(DualType)
@unbox(HyperDualType)
def _unbox_jet(typ: JetType, obj: Any, c: Any) -> NativeValue:
    tuple_type = _parts_tuple_type(typ)
    helper = c.pyapi.unserialize(c.pyapi.serialize_object(_unbox_parts))
    tyobj = c.pyapi.unserialize(c.pyapi.serialize_object(typ))
    parts_obj = c.pyapi.call_function_objargs(helper, [obj, tyobj])
    c.pyapi.decref(helper)
    c.pyapi.decref(tyobj)
    failed = cgutils.is_null(c.builder, parts_obj)
    out = cgutils.alloca_once(c.builder, c.context.get_value_type(typ))
    err = cgutils.alloca_once_value(c.builder, cgutils.true_bit)
    with c.builder.if_then(c.builder.not_(failed)):
        native = c.unbox(tuple_type, parts_obj)
        c.pyapi.decref(parts_obj)
        s = cgutils.create_struct_proxy(typ)(c.context, c.builder)
        for i, name in enumerate(FIELDS[typ.kind]):
            item = c.builder.extract_value(native.value, i)
            if isinstance(item.type, ir.LiteralStructType) or isinstance(item.type, ir.ArrayType):
                vec = ir.Constant(ir.VectorType(_DOUBLE, typ.n), ir.Undefined)
                for k in range(typ.n):
                    vec = c.builder.insert_element(vec, c.builder.extract_value(item, k), ir.Constant(_I32, k))
                item = vec
            setattr(s, name, item)
        c.builder.store(s._getvalue(), out)
        c.builder.store(native.is_error, err)
    return NativeValue(c.builder.load(out), is_error=c.builder.load(err))


@box(DualType)
@box(HyperDualType)
def _box_jet(typ: JetType, val: ir.Value, c: Any) -> Any:
    s = cgutils.create_struct_proxy(typ)(c.context, c.builder, value=val)
    tuple_type = _parts_tuple_type(typ)
    items = []
    for name, member in zip(FIELDS[typ.kind], tuple_type.types, strict=True):
        item = getattr(s, name)
        if isinstance(member, types.UniTuple):
            tup = ir.Constant(c.context.get_value_type(member), ir.Undefined)
            for k in range(typ.n):
                tup = c.builder.insert_value(tup, c.builder.extract_element(item, ir.Constant(_I32, k)), k)
            item = tup
        items.append(item)
    packed = c.context.make_tuple(c.builder, tuple_type, items)
    parts_obj = c.box(tuple_type, packed)
    helper = c.pyapi.unserialize(c.pyapi.serialize_object(_box_parts))
    kind = c.pyapi.unserialize(c.pyapi.serialize_object(typ.kind))
    n = c.pyapi.long_from_longlong(ir.Constant(_I64, typ.n))
    res = c.pyapi.call_function_objargs(helper, [kind, n, parts_obj])
    for o in (helper, kind, n, parts_obj):
        c.pyapi.decref(o)
    return res
