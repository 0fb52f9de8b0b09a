"""The derivative rules: the single source of truth for every elementary function.

Every number type and engine in dualdiff is generated from the two tables below;
nothing else in the package writes a derivative formula.  Adding a function is one row.

Unary rows are ``U(name, f, f', f'', domain, ufunc)`` with

* ``f(x)``              the value,
* ``f'(x, y)``          the first derivative, given ``y = f(x)`` so rules can reuse it,
* ``f''(x, y, d)``      the second derivative, given also ``d = f'(x, y)``,
* ``domain``            an open interval inside which the function is smooth (the tests
                        draw points there; it documents nothing else),
* ``ufunc``             the numpy ufunc that dispatches to this rule, if any.

Binary rows are ``B(name, f, fx, fy, fxx, fxy, fyy, domain, ufunc)``: the value
``z = f(x, y)`` and the first and second partials, each called as ``p(x, y, z)``.

A partial may also be a number (a constant, e.g. ``1`` for ``d(x + y)/dx``) or ``None``
(a structural zero): the engines then skip the multiplication altogether.

Conventions at non-differentiable points (documented in docs/conventions.md):

* ``abs'(0) = 0`` and ``sign' = floor' = ceil' = round' = 0`` everywhere;
* ``sqrt'(0) = cbrt'(0) = +inf`` (the one-sided limit), never a finite number;
* ``maximum``/``minimum`` split the derivative ``1/2 : 1/2`` at ties (as JAX and PyTorch);
* ``hypot`` has zero first partials at the origin (as ``abs``) and NaN second ones;
* ``x ** p`` with a constant ``p``: a term whose coefficient is exactly zero is zero, so
  ``x**1``, ``x**0`` and ``x**2`` are exact at ``x = 0``.

Rules use numpy functions only, so they evaluate on Python floats, numpy arrays and
(through ``__array_ufunc__``) on dual numbers of an outer differentiation alike, and the
numba engine compiles them as they are.

Floating-point errors: a derivative coefficient may be infinite or 0/0 where the value
is fine (``sqrt'(0)``); that is a convention, not the user's error.  So numpy's
RuntimeWarnings raised on this module's lines (the partials are computed here) are
ignored by one warnings filter (installed in ``dualdiff.jet``), and with
``np.seterr(all="raise")`` the engines redo such an operation quietly
(``dualdiff.jet.apply_unary``); the value functions are numpy's ufuncs, called from the
engines, so the user's own settings hold for every value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Partial = Callable[..., Any] | float | int | None

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@dataclass(frozen=True)
class Unary:
    """One unary rule: value, first and second derivative (see the module docstring)."""

    name: str
    f: Callable[[Any], Any]
    d1: Partial
    d2: Partial
    domain: tuple[float, float]
    ufunc: np.ufunc | None = None
    aliases: tuple[str, ...] = ()   # other names of the function (math / scipy spellings)


@dataclass(frozen=True)
class Binary:
    """One binary rule: value and first and second partials (see the module docstring)."""

    name: str
    f: Callable[[Any, Any], Any]
    fx: Partial
    fy: Partial
    fxx: Partial
    fxy: Partial
    fyy: Partial
    domain: tuple[tuple[float, float], tuple[float, float]]
    ufunc: np.ufunc | None = None
    aliases: tuple[str, ...] = ()


# --- helpers the rules are written with (values only, no derivatives) ---------------

_erf_vec = np.vectorize(math.erf, otypes=[float])
_erfc_vec = np.vectorize(math.erfc, otypes=[float])


def erf(x: Any) -> Any:
    """The error function on floats and float arrays (numpy has none)."""
    if isinstance(x, np.ndarray):
        return _erf_vec(x) if x.ndim else np.float64(math.erf(x))
    if isinstance(x, (float, int, np.floating, np.integer)):
        return np.float64(math.erf(x))
    return x.erf()  # a dual number of an outer differentiation


def erfc(x: Any) -> Any:
    """The complementary error function on floats and float arrays."""
    if isinstance(x, np.ndarray):
        return _erfc_vec(x) if x.ndim else np.float64(math.erfc(x))
    if isinstance(x, (float, int, np.floating, np.integer)):
        return np.float64(math.erfc(x))
    return x.erfc()


def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(-x)) = exp(-softplus(-x)), without overflow."""
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), computed without overflow."""
    return np.logaddexp(0.0, x)


def _is_plain(a: Any) -> bool:
    return isinstance(a, (int, float, np.number)) or (
        isinstance(a, np.ndarray) and a.dtype != object)


def _zero_if(coef: Any, term: Any) -> Any:
    """``coef * term``, but exactly 0 where ``coef`` is 0 (even when ``term`` is inf/nan).

    Only on plain numbers: a dual ``coef`` of an outer differentiation may have value 0
    and a nonzero derivative, so there the product is formed as it is.
    """
    if not (_is_plain(coef) and _is_plain(term)):
        return coef * term
    if isinstance(coef, np.ndarray) and coef.ndim:
        return np.where(coef == 0, 0.0, coef * term)
    return coef * term if coef != 0 else np.zeros_like(term)[()]


def _pow_dx(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(y, x ** (y - 1))  # 0**-1 = inf is discarded by _zero_if where y = 0


def _pow_dxx(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(y * (y - 1), x ** (y - 2))


def _pow_dy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(z, np.log(x))


def _pow_dxy(x: Any, y: Any, z: Any) -> Any:
    xm1 = x ** (y - 1)
    return xm1 + y * _zero_if(xm1, np.log(x))


def _pow_dyy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(z, np.log(x) ** 2)


def _hypot_grad(u: Any, z: Any) -> Any:
    """u / hypot, taken as 0 at the origin (the abs'(0) = 0 convention)."""
    if isinstance(z, np.ndarray):
        return np.where(z == 0, 0.0, u / z)
    return np.float64(0.0) if z == 0 else u / z


def _polar(x: Any, y: Any) -> tuple[Any, Any, Any]:
    """(x/r, y/r, r) with r = hypot(x, y): scale-free pieces for the hypot/arctan2 rules."""
    r = np.hypot(x, y)
    return x / r, y / r, r


def _atan2_dxx(x: Any, y: Any, z: Any) -> Any:
    u, v, r = _polar(x, y)
    return -2.0 * u * v / r / r


def _atan2_dxy(x: Any, y: Any, z: Any) -> Any:
    u, v, r = _polar(x, y)
    return (u * u - v * v) / r / r


def _atan2_dyy(x: Any, y: Any, z: Any) -> Any:
    u, v, r = _polar(x, y)
    return 2.0 * u * v / r / r


def _maximum_dx(x: Any, y: Any, z: Any) -> Any:
    return (np.sign(x - y) + 1.0) * 0.5


def _minimum_dx(x: Any, y: Any, z: Any) -> Any:
    return (np.sign(y - x) + 1.0) * 0.5


def _sqrt_d1(x: Any, y: Any) -> Any:
    return 0.5 / y  # sqrt'(0) = +inf, the documented convention


def _cbrt_d1(x: Any, y: Any) -> Any:
    return 1.0 / (3.0 * y * y)  # cbrt'(0) = +inf, as sqrt'(0)


# --- the unary table ------------------------------------------------------------------
# name, f, f'(x, y), f''(x, y, d), test domain, numpy ufunc

U = Unary
UNARY: tuple[Unary, ...] = (
    U("negative", np.negative, -1, None, (-10, 10), np.negative),
    U("positive", np.positive, 1, None, (-10, 10), np.positive),
    U("sin", np.sin, lambda x, y: np.cos(x), lambda x, y, d: -y, (-10, 10), np.sin),
    U("cos", np.cos, lambda x, y: -np.sin(x), lambda x, y, d: -y, (-10, 10), np.cos),
    U("tan", np.tan, lambda x, y: 1.0 + y * y, lambda x, y, d: 2.0 * y * d, (-1.4, 1.4), np.tan),
    U("arcsin", np.arcsin, lambda x, y: 1.0 / np.sqrt(1.0 - x * x), lambda x, y, d: x * d**3, (-0.95, 0.95), np.arcsin, aliases=("asin",)),
    U("arccos", np.arccos, lambda x, y: -1.0 / np.sqrt(1.0 - x * x), lambda x, y, d: x * d**3, (-0.95, 0.95), np.arccos, aliases=("acos",)),
    U("arctan", np.arctan, lambda x, y: 1.0 / (1.0 + x * x), lambda x, y, d: -2.0 * x * d * d, (-10, 10), np.arctan, aliases=("atan",)),
    U("sinh", np.sinh, lambda x, y: np.cosh(x), lambda x, y, d: y, (-10, 10), np.sinh),
    U("cosh", np.cosh, lambda x, y: np.sinh(x), lambda x, y, d: y, (-10, 10), np.cosh),
    U("tanh", np.tanh, lambda x, y: 1.0 / np.cosh(x) ** 2, lambda x, y, d: -2.0 * y * d, (-10, 10), np.tanh),
    U("arcsinh", np.arcsinh, lambda x, y: 1.0 / np.sqrt(x * x + 1.0), lambda x, y, d: -x * d**3, (-10, 10), np.arcsinh, aliases=("asinh",)),
    U("arccosh", np.arccosh, lambda x, y: 1.0 / np.sqrt(x * x - 1.0), lambda x, y, d: -x * d**3, (1.05, 10), np.arccosh, aliases=("acosh",)),
    U("arctanh", np.arctanh, lambda x, y: 1.0 / (1.0 - x * x), lambda x, y, d: 2.0 * x * d * d, (-0.95, 0.95), np.arctanh, aliases=("atanh",)),
    U("exp", np.exp, lambda x, y: y, lambda x, y, d: y, (-10, 10), np.exp),
    U("exp2", np.exp2, lambda x, y: y * _LN2, lambda x, y, d: d * _LN2, (-10, 10), np.exp2),
    U("expm1", np.expm1, lambda x, y: np.exp(x), lambda x, y, d: d, (-10, 10), np.expm1),
    U("log", np.log, lambda x, y: 1.0 / x, lambda x, y, d: -d * d, (0.05, 10), np.log),
    U("log2", np.log2, lambda x, y: 1.0 / (x * _LN2), lambda x, y, d: -d / x, (0.05, 10), np.log2),
    U("log10", np.log10, lambda x, y: 1.0 / (x * _LN10), lambda x, y, d: -d / x, (0.05, 10), np.log10),
    U("log1p", np.log1p, lambda x, y: 1.0 / (1.0 + x), lambda x, y, d: -d * d, (-0.95, 10), np.log1p),
    U("sqrt", np.sqrt, _sqrt_d1, lambda x, y, d: -0.5 * d / x, (0.05, 10), np.sqrt),
    U("cbrt", np.cbrt, _cbrt_d1, lambda x, y, d: -2.0 * d / (3.0 * x), (-10, 10), np.cbrt),
    U("square", np.square, lambda x, y: 2.0 * x, 2.0, (-10, 10), np.square),
    U("reciprocal", np.reciprocal, lambda x, y: -y * y, lambda x, y, d: -2.0 * d * y, (0.1, 10), np.reciprocal),
    U("abs", np.abs, lambda x, y: np.sign(x), None, (0.1, 10), np.absolute, aliases=("absolute", "fabs")),
    U("sign", np.sign, None, None, (0.1, 10), np.sign),
    U("floor", np.floor, None, None, (0.1, 0.9), np.floor),
    U("ceil", np.ceil, None, None, (0.1, 0.9), np.ceil),
    U("trunc", np.trunc, None, None, (0.1, 0.9), np.trunc),
    U("round", np.rint, None, None, (0.1, 0.4), np.rint, aliases=("rint",)),
    U("erf", erf, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-x * x), lambda x, y, d: -2.0 * x * d, (-5, 5)),
    U("erfc", erfc, lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-x * x), lambda x, y, d: -2.0 * x * d, (-5, 5)),
    U("sigmoid", sigmoid, lambda x, y: y * sigmoid(-x), lambda x, y, d: -d * np.tanh(0.5 * x), (-20, 20), aliases=("logistic", "expit")),
    U("softplus", softplus, lambda x, y: sigmoid(x), lambda x, y, d: d * sigmoid(-x), (-20, 20)),
    U("deg2rad", np.deg2rad, math.pi / 180.0, None, (-360, 360), np.deg2rad, aliases=("radians",)),
    U("rad2deg", np.rad2deg, 180.0 / math.pi, None, (-7, 7), np.rad2deg, aliases=("degrees",)),
)

# --- the binary table -----------------------------------------------------------------
# name, f, fx, fy, fxx, fxy, fyy (each p(x, y, z) with z = f(x, y)), test domains, ufunc

B = Binary
BINARY: tuple[Binary, ...] = (
    B("add", np.add, 1, 1, None, None, None, ((-10, 10), (-10, 10)), np.add),
    B("subtract", np.subtract, 1, -1, None, None, None, ((-10, 10), (-10, 10)), np.subtract, aliases=("sub",)),
    B("multiply", np.multiply, lambda x, y, z: y, lambda x, y, z: x, None, 1, None, ((-10, 10), (-10, 10)), np.multiply, aliases=("mul",)),
    B("divide", np.divide, lambda x, y, z: 1.0 / y, lambda x, y, z: -z / y, None, lambda x, y, z: -1.0 / (y * y), lambda x, y, z: 2.0 * z / (y * y), ((-10, 10), (0.5, 10)), np.divide, aliases=("true_divide", "div")),
    B("power", np.power, _pow_dx, _pow_dy, _pow_dxx, _pow_dxy, _pow_dyy, ((0.1, 5), (-3, 3)), np.power, aliases=("pow",)),
    B("arctan2", np.arctan2, lambda x, y, z: _polar(x, y)[1] / _polar(x, y)[2], lambda x, y, z: -_polar(x, y)[0] / _polar(x, y)[2], _atan2_dxx, _atan2_dxy, _atan2_dyy, ((-10, 10), (0.5, 10)), np.arctan2, aliases=("atan2",)),
    B("hypot", np.hypot, lambda x, y, z: _hypot_grad(x, z), lambda x, y, z: _hypot_grad(y, z), lambda x, y, z: (y / z) ** 2 / z, lambda x, y, z: -(x / z) * (y / z) / z, lambda x, y, z: (x / z) ** 2 / z, ((0.5, 10), (-10, 10)), np.hypot),
    B("logaddexp", np.logaddexp, lambda x, y, z: np.exp(x - z), lambda x, y, z: np.exp(y - z), lambda x, y, z: np.exp(x + y - 2.0 * z), lambda x, y, z: -np.exp(x + y - 2.0 * z), lambda x, y, z: np.exp(x + y - 2.0 * z), ((-10, 10), (-10, 10)), np.logaddexp),
    B("maximum", np.maximum, _maximum_dx, _minimum_dx, None, None, None, ((-10, 10), (-10, 10)), np.maximum),
    B("minimum", np.minimum, _minimum_dx, _maximum_dx, None, None, None, ((-10, 10), (-10, 10)), np.minimum),
    B("remainder", np.remainder, 1, lambda x, y, z: -np.floor(x / y), None, None, None, ((0.1, 10), (0.3, 3)), np.remainder, aliases=("mod",)),
    B("floor_divide", np.floor_divide, None, None, None, None, None, ((0.1, 10), (0.3, 3)), np.floor_divide),
)

UNARY_BY_NAME: dict[str, Unary] = {r.name: r for r in UNARY}
BINARY_BY_NAME: dict[str, Binary] = {r.name: r for r in BINARY}
RULE_BY_UFUNC: dict[np.ufunc, Unary | Binary] = {
    r.ufunc: r for r in (*UNARY, *BINARY) if r.ufunc is not None
}
# every other name of a rule (asin, fabs, expit, ...) -> the rule's name
ALIASES: dict[str, str] = {alias: r.name for r in (*UNARY, *BINARY) for alias in r.aliases}


def names(rule: Unary | Binary) -> tuple[str, ...]:
    """The rule's name and its aliases."""
    return (rule.name, *rule.aliases)
