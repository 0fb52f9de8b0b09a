"""Numba overloads for jets, generated from the rules table.

For every row of :data:`dualdiff.rules.UNARY` / :data:`dualdiff.rules.BINARY` this
module writes the chain rule as a small Python function (source text: one line per
nonzero term, structural zeros and unit constants dropped), compiles it with the
row's partials, and registers it for every spelling of the function in numba code:
the operator (``+``, ``*``, ``**``, ``abs``, ...), ``math.*``, ``np.*`` and ``dd.*``.
Nothing here states a derivative: the coefficients come from the row's lambdas.

Also here: comparisons (on the value, as in Python), ``bool``, builtin ``min``/``max``
(select one argument, as Python's do) and ``dd.value_of``-style access.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.core import types
from numba.extending import overload

from .. import functions as dd_functions
from .. import rules
from . import (
    _arrays,
    _special,  # noqa: F401 - scipy.special ufuncs on floats in numba (the special rows need them)
)
from . import _types as T
from ._compile import is_constant, jit_function
from ._types import DualType, HyperDualType, JetType, _is_real_number


@numba.njit(error_model="numpy")
def smul_safe(c: float, b: float) -> float:
    """c * b, but 0 where b is 0 (NaN-safe mode)."""
    return 0.0 if b == 0.0 else c * b


@numba.njit(error_model="numpy")
def second_safe(coef: float, b: Any, c: float) -> Any:
    """coef * b * c for a vector b and scalar c, 0 where b * c is 0 (NaN-safe mode)."""
    if math.isfinite(coef):
        return T.vmul(coef * c, b)
    return T.vmul_safe(coef, T.vmul(c, b))


_NAMESPACE_BASE = {
    "vadd": T.vadd, "vsub": T.vsub, "vneg": T.vneg, "vmul": T.vmul, "vmul_safe": T.vmul_safe,
    "vzero": T.vzero, "new_dual": T.new_dual, "new_hyperdual": T.new_hyperdual,
    "smul_safe": smul_safe, "second_safe": second_safe,
}


# -- source generation: one chain-rule implementation per (rule, kind, live args, safety) ----

def _vec_times(p: Any, coef: str, v: str, safe: bool) -> str:
    """times(p, v) of dualdiff.jet for a partial vector v."""
    if is_constant(p):
        c = float(p)
        if c == 1.0:
            return v
        if c == -1.0:
            return f"vneg({v})"
        return f"vmul({c!r}, {v})"
    return f"{'vmul_safe' if safe else 'vmul'}({coef}, {v})"


def _scalar_times(p: Any, coef: str, v: str, safe: bool) -> str:
    if is_constant(p):
        c = float(p)
        if c == 1.0:
            return v
        if c == -1.0:
            return f"(-{v})"
        return f"({c!r} * {v})"
    return f"smul_safe({coef}, {v})" if safe else f"({coef} * {v})"


def _second(p: Any, coef: str, b: str, c: str, safe: bool) -> str:
    """coef * (b ⊗ c) for a vector b (eps1 side) and a scalar c (eps2 side)."""
    if is_constant(p):
        return f"vmul({float(p)!r} * {c}, {b})"
    if safe:
        return f"second_safe({coef}, {b}, {c})"
    return f"vmul({coef} * {c}, {b})"


def _add_times(total: str | None, p: Any, term: str, v: str, vector: bool) -> str:
    """add_times of dualdiff.jet: total + p * v, with p = -1 as one subtraction."""
    if total is None:
        return term
    if is_constant(p) and float(p) == -1.0:
        return f"vsub({total}, {v})" if vector else f"({total} - {v})"
    return f"vadd({total}, {term})" if vector else f"({total} + {term})"


def _unary_source(rule: rules.Unary, kind: str, safe: bool) -> tuple[str, dict[str, Any]]:
    ns: dict[str, Any] = {"F": jit_function(rule.f)}
    lines = ["def impl(x):", "    a = x.value", "    y = F(a)"]
    d1, d2 = rule.d1, rule.d2
    if d1 is not None and not is_constant(d1):
        ns["D1"] = jit_function(d1)
        lines.append("    d = D1(a, y)")
    elif d1 is not None:
        lines.append(f"    d = {float(d1)!r}")
    if kind == "D":
        eps = "vzero(x.eps)" if d1 is None else _vec_times(d1, "d", "x.eps", safe)
        lines.append(f"    return new_dual(x, y, {eps})")
    else:
        if d1 is None:
            lines.append("    return new_hyperdual(x, y, vzero(x.eps1), 0.0, vzero(x.eps12))")
        else:
            e12 = _vec_times(d1, "d", "x.eps12", safe)
            if d2 is not None:
                if not is_constant(d2):
                    ns["D2"] = jit_function(d2)
                    lines.append("    dd = D2(a, y, d)")
                e12 = f"vadd({e12}, {_second(d2, 'dd', 'x.eps1', 'x.eps2', safe)})"
            lines.append(f"    return new_hyperdual(x, y, {_vec_times(d1, 'd', 'x.eps1', safe)}, "
                         f"{_scalar_times(d1, 'd', 'x.eps2', safe)}, {e12})")
    return "\n".join(lines), ns


def _binary_source(rule: rules.Binary, kind: str, safe: bool, x_live: bool, y_live: bool
                   ) -> tuple[str, dict[str, Any]]:
    ns: dict[str, Any] = {"F": jit_function(rule.f)}
    live = "x" if x_live else "y"
    lines = ["def impl(x, y):",
             "    xv = x.value" if x_live else "    xv = float(x)",
             "    yv = y.value" if y_live else "    yv = float(y)",
             "    z = F(xv, yv)"]

    def coef(name: str, p: Any) -> str:
        if p is not None and not is_constant(p):
            key = name.upper()
            if key not in ns:
                ns[key] = jit_function(p)
                lines.append(f"    c_{name} = {key}(xv, yv, z)")
        return f"c_{name}"

    linear = [(u, name, getattr(rule, name)) for u, name, live_here in
              (("x", "fx", x_live), ("y", "fy", y_live)) if live_here and getattr(rule, name) is not None]
    if kind == "D":
        eps = None
        for u, name, p in linear:
            c = coef(name, p)
            eps = _add_times(eps, p, _vec_times(p, c, f"{u}.eps", safe), f"{u}.eps", True)
        lines.append(f"    return new_dual({live}, z, {eps or f'vzero({live}.eps)'})")
        return "\n".join(lines), ns
    e1 = e2 = e12 = None
    for u, name, p in linear:
        c = coef(name, p)
        e1 = _add_times(e1, p, _vec_times(p, c, f"{u}.eps1", safe), f"{u}.eps1", True)
        e2 = _add_times(e2, p, _scalar_times(p, c, f"{u}.eps2", safe), f"{u}.eps2", False)
        e12 = _add_times(e12, p, _vec_times(p, c, f"{u}.eps12", safe), f"{u}.eps12", True)
    seconds = []
    if x_live and rule.fxx is not None:
        seconds.append(_second(rule.fxx, coef("fxx", rule.fxx), "x.eps1", "x.eps2", safe))
    if x_live and y_live and rule.fxy is not None:
        c = coef("fxy", rule.fxy)
        seconds.append(f"vadd({_second(rule.fxy, c, 'x.eps1', 'y.eps2', safe)}, "
                       f"{_second(rule.fxy, c, 'y.eps1', 'x.eps2', safe)})")
    if y_live and rule.fyy is not None:
        seconds.append(_second(rule.fyy, coef("fyy", rule.fyy), "y.eps1", "y.eps2", safe))
    for s in seconds:
        e12 = s if e12 is None else f"vadd({e12}, {s})"
    lines.append(f"    return new_hyperdual({live}, z, {e1 or f'vzero({live}.eps1)'}, "
                 f"{e2 or '0.0'}, {e12 or f'vzero({live}.eps12)'})")
    return "\n".join(lines), ns


def _build(source: str, ns: dict[str, Any], name: str) -> Callable[..., Any]:
    namespace = {**_NAMESPACE_BASE, **ns}
    exec(compile(source, f"<dualdiff.jit chain rule for {name}>", "exec"), namespace)  # noqa: S102
    impl = namespace["impl"]
    impl.__name__ = impl.__qualname__ = f"{name}_impl"
    impl.source = source  # for inspection and debugging
    return impl


_impls: dict[tuple[Any, ...], Callable[..., Any]] = {}


def unary_impl(rule: rules.Unary, kind: str, safe: bool) -> Callable[..., Any]:
    key = (rule.name, kind, safe)
    if key not in _impls:
        _impls[key] = _build(*_unary_source(rule, kind, safe), rule.name)
    return _impls[key]


def binary_impl(rule: rules.Binary, kind: str, safe: bool, x_live: bool, y_live: bool) -> Callable[..., Any]:
    key = (rule.name, kind, safe, x_live, y_live)
    if key not in _impls:
        _impls[key] = _build(*_binary_source(rule, kind, safe, x_live, y_live), rule.name)
    return _impls[key]


def _number_impl(rule: Any) -> Callable[..., Any]:
    """The plain value, for dd.* functions called on floats in numba code."""
    key = (rule.name, "N")
    if key not in _impls:
        ns = {"F": jit_function(rule.f)}
        if isinstance(rule, rules.Unary):
            src = "def impl(x):\n    return F(float(x))"
        else:
            src = "def impl(x, y):\n    return F(float(x), float(y))"
        _impls[key] = _build(src, ns, rule.name)
    return _impls[key]


# -- registration (overload functions carry no annotations: numba compares signatures) -----------------------------------------------------------------------

def _unary_overload(rule: rules.Unary, numbers: bool, array_fn: Any) -> Callable[..., Any]:
    def ol(x):
        if isinstance(x, JetType):
            return unary_impl(rule, x.kind, x.safe)
        if numbers and _is_real_number(x):
            return _number_impl(rule)
        if array_fn is not None:
            return _arrays.unary_array_impl(array_fn, x)
        return None
    return ol


def _binary_overload(rule: rules.Binary, numbers: bool, array_fn: Any, inplace: bool) -> Callable[..., Any]:
    def ol(x, y):
        xj, yj = isinstance(x, JetType), isinstance(y, JetType)
        if xj and yj:
            return binary_impl(rule, x.kind, x.safe, True, True) if x == y else None
        if xj and _is_real_number(y):
            return binary_impl(rule, x.kind, x.safe, True, False)
        if yj and _is_real_number(x):
            return binary_impl(rule, y.kind, y.safe, False, True)
        if numbers and _is_real_number(x) and _is_real_number(y):
            return _number_impl(rule)
        if array_fn is not None:
            return _arrays.binary_array_impl(array_fn, x, y, inplace)
        return None
    return ol


UNARY_OPERATORS = {"negative": [operator.neg], "positive": [operator.pos], "abs": [builtins.abs],
                   "round": [builtins.round]}
BINARY_OPERATORS = {
    "add": [operator.add, operator.iadd], "subtract": [operator.sub, operator.isub],
    "multiply": [operator.mul, operator.imul], "divide": [operator.truediv, operator.itruediv],
    "power": [operator.pow, operator.ipow, builtins.pow], "remainder": [operator.mod, operator.imod],
    "floor_divide": [operator.floordiv, operator.ifloordiv],
}
# math functions whose name differs from the rule and its aliases, or must be skipped
_MATH_SKIP = {"fmod", "remainder"}  # math.remainder/fmod round differently from np.remainder


def targets(rule: Any) -> tuple[list[Any], list[Any]]:
    """(functions on jets only, functions also on plain numbers) naming ``rule``."""
    jets_only: list[Any] = []
    names = rules.names(rule)
    if rule.ufunc is not None:
        jets_only.append(rule.ufunc)
    for nm in names:
        f = getattr(np, nm, None)
        if isinstance(f, np.ufunc) and f not in jets_only:
            jets_only.append(f)
        f = getattr(math, nm, None)
        if f is not None and nm not in _MATH_SKIP and f not in jets_only:
            jets_only.append(f)
    ops = UNARY_OPERATORS if isinstance(rule, rules.Unary) else BINARY_OPERATORS
    jets_only.extend(ops.get(rule.name, []))
    with_numbers = []
    for nm in names:
        f = dd_functions.FUNCTIONS.get(nm)
        if f is not None and f not in with_numbers:
            with_numbers.append(f)
    return jets_only, with_numbers


_OPERATOR_TARGETS = {f for fs in BINARY_OPERATORS.values() for f in fs}
_INPLACE = {operator.iadd: operator.add, operator.isub: operator.sub, operator.imul: operator.mul,
            operator.itruediv: operator.truediv, operator.ipow: operator.pow,
            operator.imod: operator.mod, operator.ifloordiv: operator.floordiv}


def _array_function(f: Any) -> Any:
    """The function to apply per element when ``f`` gets arrays of jets (None: no array form)."""
    if f in _INPLACE:
        return _INPLACE[f]
    if isinstance(f, np.ufunc) or f is builtins.abs or getattr(f, "__module__", None) in (
            "operator", "_operator", dd_functions.__name__):
        return f
    return None  # math.* and builtins such as round take scalars only


def _register_rules() -> None:
    for rule in rules.UNARY:
        jets_only, with_numbers = targets(rule)
        for f in jets_only:
            overload(f)(_unary_overload(rule, False, _array_function(f)))
        for f in with_numbers:
            overload(f)(_unary_overload(rule, True, _array_function(f)))
    for rule in rules.BINARY:
        jets_only, with_numbers = targets(rule)
        for f in jets_only:
            # operators for the CPU target: tried before numba's generic array operator
            # templates (whose in-place variant crashes on dtypes that are not numpy's)
            target = "cpu" if f in _INPLACE or f in _OPERATOR_TARGETS else "generic"
            overload(f, target=target)(_binary_overload(rule, False, _array_function(f), f in _INPLACE))
        for f in with_numbers:
            overload(f)(_binary_overload(rule, True, _array_function(f), False))


# -- value-only operations ------------------------------------------------------------------

def value_of(x: Any) -> Any:
    """The value of a jet (numba code and Python alike); numbers unchanged."""
    while isinstance(x, (T.Dual, T.HyperDual)):
        x = x.value
    return x


@overload(value_of)
def _ol_value_of(x):
    if isinstance(x, JetType):
        return lambda x: x.value
    if isinstance(x, (types.Number, types.Boolean)):
        return lambda x: x
    return None


def _compatible(x: Any, y: Any) -> bool:
    """Operands a value-only binary operation accepts: at least one jet, others numbers."""
    xj, yj = isinstance(x, JetType), isinstance(y, JetType)
    if xj and yj:
        return x == y
    return (xj and _is_real_number(y)) or (yj and _is_real_number(x))


def _register_comparison(op: Callable[..., Any]) -> None:
    def ol(x, y):
        if _compatible(x, y):
            return lambda x, y: op(value_of(x), value_of(y))
        return None
    overload(op)(ol)


def _register_value_only() -> None:
    for op in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne):
        _register_comparison(op)

    @overload(builtins.bool)
    def _ol_bool(x):
        if isinstance(x, JetType):
            return lambda x: x.value != 0.0
        return None

    @overload(builtins.max)
    def _ol_max(x, y):
        # Python's max(a, b) is b if b > a else a: the selected argument carries its partials
        if _compatible(x, y):
            proto = x if isinstance(x, JetType) else y

            def impl(x, y):
                a, b = T.as_jet(proto, x), T.as_jet(proto, y)
                return b if b.value > a.value else a
            return impl
        return None

    @overload(builtins.min)
    def _ol_min(x, y):
        if _compatible(x, y):
            proto = x if isinstance(x, JetType) else y

            def impl(x, y):
                a, b = T.as_jet(proto, x), T.as_jet(proto, y)
                return b if b.value < a.value else a
            return impl
        return None

    for f in (math.isnan, math.isinf, math.isfinite, np.isnan, np.isinf, np.isfinite):
        _register_value_predicate(f)


def _register_value_predicate(f: Callable[..., Any]) -> None:
    def ol(x):
        if isinstance(x, JetType):
            return lambda x: f(x.value)
        return None
    overload(f)(ol)


_register_rules()
_register_value_only()
_arrays.register()

__all__ = ["DualType", "HyperDualType", "value_of", "unary_impl", "binary_impl", "targets"]
