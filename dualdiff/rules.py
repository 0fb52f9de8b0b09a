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
import scipy.special as _sc  # scipy.special's ufuncs ARE the value functions of the special-function rows

Partial = Callable[..., Any] | float | int | None


def is_table_constant(p: Any) -> bool:
    """True for a partial written as a number in the table (int or float), not a rule."""
    return type(p) is int or type(p) is float

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

def erf(x: Any) -> Any:
    """The error function (scipy.special.erf; on a dual of an outer differentiation, its row)."""
    return _sc.erf(x)


def erfc(x: Any) -> Any:
    """The complementary error function (scipy.special.erfc)."""
    return _sc.erfc(x)


def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(-x)) (scipy.special.expit), without overflow."""
    return _sc.expit(x)


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), computed without overflow."""
    return np.logaddexp(0.0, x)


def _is_plain(a: Any) -> bool:
    return isinstance(a, (int, float, np.number)) or (
        isinstance(a, np.ndarray) and a.dtype != object)


def _zero_if(coef: Any, term: Any) -> Any:
    """``coef * term``, but exactly 0 where ``coef`` is 0 (even when ``term`` is inf/nan).

    Where ``coef`` is a plain number it is a constant, so where it is 0 the product is 0
    identically, whatever ``term`` is -- a dual of an outer differentiation included
    (``d²/dx² x**0`` at 0: the inner coefficient 0·x⁻¹ must not become 0·(inf + inf·ε)).
    A dual ``coef`` of an outer differentiation may have value 0 and a nonzero derivative,
    so there the product is formed as it is.
    """
    if not _is_plain(coef):
        return coef * term
    if not _is_plain(term):  # a plain constant times a dual of an outer differentiation
        if np.ndim(coef) == 0:
            return coef * term if coef != 0 else np.zeros(np.shape(term))[()]
        return np.where(coef == 0, 0.0, coef * term)
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


# --- special functions: value helpers for the scipy.special rows ----------------------
# Derivatives from standard identities (DLMF 5.15, 7.2, 10.6, 10.29, 25.2):
# Γ' = Γψ, lnΓ' = ψ, ψ' = ψ⁽¹⁾; erfinv' = (√π/2)·exp(erfinv²); d/dx J_ν = (J_{ν-1} - J_{ν+1})/2
# (also Y_ν), d/dx I_ν = (I_{ν-1} + I_{ν+1})/2, d/dx K_ν = -(K_{ν-1} + K_{ν+1})/2, with
# J₋₁ = -J₁ etc.  Higher orders come from scipy's jv/yv/iv/kv (no 1/x, so exact at x = 0).

_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_HALF = math.sqrt(0.5)
_DEG = math.pi / 180.0
_PI2 = math.pi * math.pi
# scipy.special.zeta(x) is a Python function over this ufunc (Riemann zeta)
riemann_zeta: np.ufunc = _sc._ufuncs._riemann_zeta


class SpecialValue:
    """A value function that numba cannot compile from its Python source.

    On plain numbers and float arrays it calls ``plain`` (scipy); on a dual number of an
    outer differentiation it calls ``on_jet`` (the rule that computes the same function, so
    nested transforms keep working).  The numba engine runs it through an overload
    registered for this object in :mod:`dualdiff.jit._special`.
    """

    def __init__(self, name: str, plain: Callable[..., Any], on_jet: Callable[..., Any]) -> None:
        self.name, self.plain, self.on_jet = name, plain, on_jet
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args: Any) -> Any:
        if all(_is_plain(a) for a in args):
            return self.plain(*args)
        return self.on_jet(*args)

    def __repr__(self) -> str:
        return f"<dualdiff rule helper {self.name}>"


def _polygamma_plain(n: Any, x: Any) -> Any:
    out = _sc.polygamma(n, x)
    return out[()] if isinstance(out, np.ndarray) else out


def _polygamma_jet(n: Any, x: Any) -> Any:
    if not isinstance(n, (int, np.integer)) and not (_is_plain(n) and float(n) == int(n)):
        raise TypeError("polygamma(n, x): n must be a plain non-negative integer (x may be dual)")
    return x._unary(polygamma_rule(int(n)))


#: ψ⁽ⁿ⁾(x) for an integer order n: scipy.special.polygamma on numbers, its row on duals
polygamma = SpecialValue("polygamma", _polygamma_plain, _polygamma_jet)

_rules_by_order: dict[int, Unary] = {}


def polygamma_rule(n: int) -> Unary:
    """The row of x ↦ ψ⁽ⁿ⁾(x) for a fixed integer order n ≥ 0 (ψ⁽ⁿ⁾' = ψ⁽ⁿ⁺¹⁾).

    A family, not one row: n is an integer order, not a variable (dd.polygamma(n, x) is
    differentiable in x only).  Order 0 is the ``digamma`` row.
    """
    if n < 0:
        raise ValueError(f"polygamma order must be >= 0, got {n}")
    if n == 0:
        return UNARY_BY_NAME["digamma"]
    if n not in _rules_by_order:
        _rules_by_order[n] = Unary(
            f"polygamma({n}, ·)", lambda x: polygamma(n, x), lambda x, y: polygamma(n + 1, x),
            lambda x, y, d: polygamma(n + 2, x), (0.1, 20))
    return _rules_by_order[n]


def _recurrence(c0: Any, c1: Any, nu: Any, x: Any, a: float, b: float) -> Any:
    """C_ν from C₀, C₁ by C_{k+1} = a·(2k/x)·C_k + b·C_{k-1} (DLMF 10.6.1, 10.29.1)."""
    for k in range(1, int(nu)):
        c0, c1 = c1, a * (2.0 * k / x) * c1 + b * c0
    return c1 if int(nu) >= 1 else c0


# Bessel functions of integer order ν ≥ 2 in the rows' second derivatives: scipy's ufuncs on
# numbers (no 1/x: exact at x = 0); on a dual of an outer differentiation, the recurrence
# from the order-0 and order-1 rows, so nested transforms (third derivatives) work.
jv = SpecialValue("jv", _sc.jv, lambda nu, x: _recurrence(_sc.j0(x), _sc.j1(x), nu, x, 1.0, -1.0))
yv = SpecialValue("yv", _sc.yv, lambda nu, x: _recurrence(_sc.y0(x), _sc.y1(x), nu, x, 1.0, -1.0))
kv = SpecialValue("kv", _sc.kv, lambda nu, x: _recurrence(_sc.k0(x), _sc.k1(x), nu, x, 1.0, 1.0))
kve = SpecialValue("kve", _sc.kve, lambda nu, x: _recurrence(_sc.k0e(x), _sc.k1e(x), nu, x, 1.0, 1.0))
ive = SpecialValue("ive", _sc.ive, lambda nu, x: _recurrence(_sc.i0e(x), _sc.i1e(x), nu, x, -1.0, 1.0))


def _iv(nu: Any, x: Any) -> Any:
    """I_ν(x) = ive(ν, x)·exp(|x|) (scipy's iv returns nan for |x| below ~1e-300, ive does not)."""
    return ive(nu, x) * np.exp(np.abs(x))


def _trigamma(x: Any) -> Any:
    return polygamma(1, x)


def _tetragamma(x: Any) -> Any:
    return polygamma(2, x)


def _gamma_d2(x: Any, y: Any, d: Any) -> Any:
    # Γ'' = Γ(ψ² + ψ⁽¹⁾) = Γ'ψ + Γψ⁽¹⁾
    return d * _sc.digamma(x) + y * _trigamma(x)


def _log_ndtr_d1(x: Any, y: Any) -> Any:
    # φ(x)/Φ(x) = √(2/π) / erfcx(-x/√2): no overflow, no cancellation, in both tails
    return _SQRT_2_OVER_PI / _sc.erfcx(-x * _SQRT_HALF)


def _beta_dx(x: Any, y: Any, z: Any) -> Any:
    return z * (_sc.digamma(x) - _sc.digamma(x + y))


def _beta_dy(x: Any, y: Any, z: Any) -> Any:
    return z * (_sc.digamma(y) - _sc.digamma(x + y))


def _beta_dxx(x: Any, y: Any, z: Any) -> Any:
    u = _sc.digamma(x) - _sc.digamma(x + y)
    return z * (u * u + _trigamma(x) - _trigamma(x + y))


def _beta_dxy(x: Any, y: Any, z: Any) -> Any:
    s = _sc.digamma(x + y)
    return z * ((_sc.digamma(x) - s) * (_sc.digamma(y) - s) - _trigamma(x + y))


def _beta_dyy(x: Any, y: Any, z: Any) -> Any:
    u = _sc.digamma(y) - _sc.digamma(x + y)
    return z * (u * u + _trigamma(y) - _trigamma(x + y))


# Riemann zeta: ζ' has no closed form; the Euler-Maclaurin formula (DLMF 25.2.9) with
# N = 10 and Bernoulli numbers up to B₂₀, differentiated term by term in s, is exact to
# rounding for moderate s (truncation < 1e-18 relative for 1 < s < 60, and tiny for s < 1
# down to about -10): ζ(s) = Σ_{n<N} n^-s + N^(1-s)/(s-1) + N^-s/2
#                           + Σ_j B₂ⱼ/(2j)! · s(s+1)…(s+2j-2) · N^(1-s-2j).
_EM_N = 10
_EM_TERMS = (1.0 / 12.0, -1.0 / 720.0, 1.0 / 30240.0, -1.0 / 1209600.0, 1.0 / 47900160.0,
             -691.0 / 1307674368000.0, 1.0 / 74724249600.0, -3617.0 / 10670622842880000.0,
             43867.0 / 5109094217170944000.0, -174611.0 / 802857662698291200000.0)  # B₂ⱼ/(2j)!


def _zeta_derivative(s: Any, k: int) -> Any:
    """The k-th derivative (k = 1 or 2) of the Riemann zeta function at s ≠ 1."""
    total = 0.0 * s
    for n in range(2, _EM_N):
        ln = math.log(n)
        total = total + (-ln) ** k * np.exp(-ln * s)
    big_l = math.log(_EM_N)
    u = s - 1.0
    e = np.exp(-big_l * u)  # N^(1-s)
    if k == 1:
        total = total - e * (big_l / u + 1.0 / (u * u))
    else:
        total = total + e * (big_l * big_l / u + 2.0 * big_l / (u * u) + 2.0 / (u * u * u))
    total = total + 0.5 * (-big_l) ** k * np.exp(-big_l * s)
    p, p1, p2 = 1.0 + 0.0 * s, 0.0 * s, 0.0 * s  # s(s+1)…(s+2j-2) and its derivatives
    for j in range(len(_EM_TERMS)):
        for i in range(2 * j - 1 if j else 0, 2 * j + 1):
            f = s + i
            p2 = p2 * f + 2.0 * p1
            p1 = p1 * f + p
            p = p * f
        ej = np.exp(-big_l * (s + 2 * j + 1))  # N^(1-s-2(j+1))
        if k == 1:
            total = total + _EM_TERMS[j] * ej * (p1 - big_l * p)
        else:
            total = total + _EM_TERMS[j] * ej * (p2 - 2.0 * big_l * p1 + big_l * big_l * p)
    return total


def _zeta_d1(x: Any, y: Any) -> Any:
    return _zeta_derivative(x, 1)


def _zeta_d2(x: Any, y: Any, d: Any) -> Any:
    return _zeta_derivative(x, 2)


def sinc_value(x: Any) -> Any:
    """np.sinc(x) = sin(πx)/(πx) (a function, not a ufunc: wrapped so numba compiles it)."""
    return np.sinc(x)


def _sinc_d1(x: Any, y: Any) -> Any:
    # sinc'(x) = (cos πx - sinc x)/x, 0 at x = 0
    return _hypot_grad(np.cos(math.pi * x) - y, x)


def _sinc_d2(x: Any, y: Any, d: Any) -> Any:
    # sinc'' = -π² sinc - 2 sinc'/x, -π²/3 at x = 0
    return -_PI2 * y - 2.0 * _hypot_grad(d, x) + (2.0 * _PI2 / 3.0) * (x == 0)


def _xlogy_dy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(x, 1.0 / y)


def _xlogy_dyy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(x, -1.0 / (y * y))


def _xlog1py_dy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(x, 1.0 / (1.0 + y))


def _xlog1py_dyy(x: Any, y: Any, z: Any) -> Any:
    return _zero_if(x, -1.0 / ((1.0 + y) * (1.0 + y)))


def _fmod_dy(x: Any, y: Any, z: Any) -> Any:
    return -np.trunc(x / y)


def _logaddexp2_dxx(x: Any, y: Any, z: Any) -> Any:
    return _LN2 * np.exp2(x + y - 2.0 * z)


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
    U("erf", _sc.erf, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-x * x), lambda x, y, d: -2.0 * x * d, (-5, 5), _sc.erf),
    U("erfc", _sc.erfc, lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-x * x), lambda x, y, d: -2.0 * x * d, (-5, 5), _sc.erfc),
    U("sigmoid", _sc.expit, lambda x, y: y * sigmoid(-x), lambda x, y, d: -d * np.tanh(0.5 * x), (-20, 20), _sc.expit, aliases=("logistic", "expit")),
    U("softplus", softplus, lambda x, y: sigmoid(x), lambda x, y, d: d * sigmoid(-x), (-20, 20)),
    U("deg2rad", np.deg2rad, math.pi / 180.0, None, (-360, 360), np.deg2rad, aliases=("radians",)),
    U("rad2deg", np.rad2deg, 180.0 / math.pi, None, (-7, 7), np.rad2deg, aliases=("degrees",)),
    U("sinc", sinc_value, _sinc_d1, _sinc_d2, (0.1, 0.9)),  # np.sinc(k) ≈ 4e-17, not 0, at integers k
    # scipy.special (conventions and sources of the identities: see the helpers above).  The test
    # domains of the oscillating functions lie between the zeros of f, f' and f'': near a zero,
    # no formula is accurate relative to the (tiny) result, only relative to its terms.
    U("gamma", _sc.gamma, lambda x, y: y * _sc.digamma(x), _gamma_d2, (0.1, 8), _sc.gamma),
    U("gammaln", _sc.gammaln, lambda x, y: _sc.digamma(x), lambda x, y, d: _trigamma(x), (0.1, 30), _sc.gammaln, aliases=("lgamma",)),
    U("loggamma", _sc.loggamma, lambda x, y: _sc.digamma(x), lambda x, y, d: _trigamma(x), (2.5, 30), _sc.loggamma),  # scipy.special.loggamma is accurate to ~1 ulp of 1 (not of its value) near its zeros 1 and 2
    U("digamma", _sc.digamma, lambda x, y: _trigamma(x), lambda x, y, d: _tetragamma(x), (0.1, 30), _sc.digamma, aliases=("psi",)),
    U("erfinv", _sc.erfinv, lambda x, y: _SQRT_PI_OVER_2 * np.exp(y * y), lambda x, y, d: 2.0 * y * d * d, (-0.99, 0.99), _sc.erfinv),
    U("erfcinv", _sc.erfcinv, lambda x, y: -_SQRT_PI_OVER_2 * np.exp(y * y), lambda x, y, d: 2.0 * y * d * d, (0.01, 1.99), _sc.erfcinv),
    U("erfcx", _sc.erfcx, lambda x, y: 2.0 * x * y - _TWO_OVER_SQRT_PI, lambda x, y, d: 2.0 * y + 2.0 * x * d, (-3, 4), _sc.erfcx),  # cancels for x >> 1: relative error ~ (2x²)ᵏ ulp in the k-th derivative
    U("erfi", _sc.erfi, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(x * x), lambda x, y, d: 2.0 * x * d, (-3, 3), _sc.erfi),
    U("dawsn", _sc.dawsn, lambda x, y: 1.0 - 2.0 * x * y, lambda x, y, d: -2.0 * y - 2.0 * x * d, (-0.9, 0.9), _sc.dawsn),
    U("log_expit", _sc.log_expit, lambda x, y: sigmoid(-x), lambda x, y, d: -d * sigmoid(x), (-30, 30), _sc.log_expit),
    U("logit", _sc.logit, lambda x, y: 1.0 / (x * (1.0 - x)), lambda x, y, d: (2.0 * x - 1.0) * d * d, (0.01, 0.99), _sc.logit),
    U("ndtr", _sc.ndtr, lambda x, y: np.exp(-0.5 * x * x) / _SQRT_2PI, lambda x, y, d: -x * d, (-10, 10), _sc.ndtr),
    U("log_ndtr", _sc.log_ndtr, _log_ndtr_d1, lambda x, y, d: -d * (x + d), (-20, 10), _sc.log_ndtr),
    U("ndtri", _sc.ndtri, lambda x, y: _SQRT_2PI * np.exp(0.5 * y * y), lambda x, y, d: y * d * d, (0.01, 0.99), _sc.ndtri),
    U("i0", _sc.i0, lambda x, y: _sc.i1(x), lambda x, y, d: 0.5 * (y + _iv(2.0, x)), (-10, 10), _sc.i0),
    U("i1", _sc.i1, lambda x, y: 0.5 * (_sc.i0(x) + _iv(2.0, x)), lambda x, y, d: 0.25 * (3.0 * y + _iv(3.0, x)), (0.05, 10), _sc.i1),
    U("i0e", _sc.i0e, lambda x, y: _sc.i1e(x) - np.sign(x) * y, lambda x, y, d: 1.5 * y + 0.5 * ive(2.0, x) - 2.0 * np.sign(x) * _sc.i1e(x), (0.1, 20), _sc.i0e),
    U("i1e", _sc.i1e, lambda x, y: 0.5 * (_sc.i0e(x) + ive(2.0, x)) - np.sign(x) * y, lambda x, y, d: 1.75 * y + 0.25 * ive(3.0, x) - np.sign(x) * (_sc.i0e(x) + ive(2.0, x)), (0.1, 1.5), _sc.i1e),
    U("j0", _sc.j0, lambda x, y: -_sc.j1(x), lambda x, y, d: 0.5 * (jv(2.0, x) - y), (-1.8, 1.8), _sc.j0),
    U("j1", _sc.j1, lambda x, y: 0.5 * (_sc.j0(x) - jv(2.0, x)), lambda x, y, d: 0.25 * (jv(3.0, x) - 3.0 * y), (0.05, 1.8), _sc.j1),
    U("y0", _sc.y0, lambda x, y: -_sc.y1(x), lambda x, y, d: 0.5 * (yv(2.0, x) - y), (1.0, 2.1), _sc.y0),
    U("y1", _sc.y1, lambda x, y: 0.5 * (_sc.y0(x) - yv(2.0, x)), lambda x, y, d: 0.25 * (yv(3.0, x) - 3.0 * y), (0.1, 2.1), _sc.y1),
    U("k0", _sc.k0, lambda x, y: -_sc.k1(x), lambda x, y, d: 0.5 * (y + kv(2.0, x)), (0.1, 20), _sc.k0),
    U("k1", _sc.k1, lambda x, y: -0.5 * (_sc.k0(x) + kv(2.0, x)), lambda x, y, d: 0.25 * (3.0 * y + kv(3.0, x)), (0.1, 20), _sc.k1),
    U("k0e", _sc.k0e, lambda x, y: y - _sc.k1e(x), lambda x, y, d: 1.5 * y + 0.5 * kve(2.0, x) - 2.0 * _sc.k1e(x), (0.1, 20), _sc.k0e),
    U("k1e", _sc.k1e, lambda x, y: y - 0.5 * (_sc.k0e(x) + kve(2.0, x)), lambda x, y, d: 1.75 * y + 0.25 * kve(3.0, x) - (_sc.k0e(x) + kve(2.0, x)), (0.1, 6), _sc.k1e),  # k1e = (k0e + k2e)/2 asymptotically: the partials cancel beyond ~6
    U("zeta", riemann_zeta, _zeta_d1, _zeta_d2, (1.2, 12), riemann_zeta),
    U("expi", _sc.expi, lambda x, y: np.exp(x) / x, lambda x, y, d: d * (x - 1.0) / x, (0.5, 20), _sc.expi),
    U("exp1", _sc.exp1, lambda x, y: -np.exp(-x) / x, lambda x, y, d: -d * (1.0 + 1.0 / x), (0.1, 20), _sc.exp1),
    U("sindg", _sc.sindg, lambda x, y: _DEG * _sc.cosdg(x), lambda x, y, d: -_DEG * _DEG * y, (-720, 720), _sc.sindg),
    U("cosdg", _sc.cosdg, lambda x, y: -_DEG * _sc.sindg(x), lambda x, y, d: -_DEG * _DEG * y, (-720, 720), _sc.cosdg),
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
    B("fmod", np.fmod, 1, _fmod_dy, None, None, None, ((0.1, 0.29), (0.3, 3)), np.fmod),
    B("fmax", np.fmax, _maximum_dx, _minimum_dx, None, None, None, ((-10, 0), (0.5, 10)), np.fmax),
    B("fmin", np.fmin, _minimum_dx, _maximum_dx, None, None, None, ((-10, 0), (0.5, 10)), np.fmin),
    B("logaddexp2", np.logaddexp2, lambda x, y, z: np.exp2(x - z), lambda x, y, z: np.exp2(y - z), _logaddexp2_dxx, lambda x, y, z: -_logaddexp2_dxx(x, y, z), _logaddexp2_dxx, ((-10, 10), (-10, 10)), np.logaddexp2),
    # scipy.special, scipy's argument order: dd.xlogy(x, y) = x·log(y) (0 where x = 0)
    B("beta", _sc.beta, _beta_dx, _beta_dy, _beta_dxx, _beta_dxy, _beta_dyy, ((0.2, 10), (0.2, 10)), _sc.beta),
    B("betaln", _sc.betaln, lambda x, y, z: _sc.digamma(x) - _sc.digamma(x + y), lambda x, y, z: _sc.digamma(y) - _sc.digamma(x + y), lambda x, y, z: _trigamma(x) - _trigamma(x + y), lambda x, y, z: -_trigamma(x + y), lambda x, y, z: _trigamma(y) - _trigamma(x + y), ((0.2, 0.9), (0.2, 0.9)), _sc.betaln),  # away from betaln = 0, where scipy's value loses relative accuracy,
    B("xlogy", _sc.xlogy, lambda x, y, z: np.log(y), _xlogy_dy, None, lambda x, y, z: 1.0 / y, _xlogy_dyy, ((-10, 10), (0.1, 10)), _sc.xlogy),
    B("xlog1py", _sc.xlog1py, lambda x, y, z: np.log1p(y), _xlog1py_dy, None, lambda x, y, z: 1.0 / (1.0 + y), _xlog1py_dyy, ((-10, 10), (-0.9, 10)), _sc.xlog1py),
)

UNARY_BY_NAME: dict[str, Unary] = {r.name: r for r in UNARY}
BINARY_BY_NAME: dict[str, Binary] = {r.name: r for r in BINARY}
RULE_BY_UFUNC: dict[np.ufunc, Unary | Binary] = {
    r.ufunc: r for r in (*UNARY, *BINARY) if r.ufunc is not None
}
# numpy's other spellings of a row (np.fabs, np.radians, np.degrees): aliases naming a ufunc
RULE_BY_UFUNC.update({
    getattr(np, a): r for r in (*UNARY, *BINARY) for a in r.aliases
    if isinstance(getattr(np, a, None), np.ufunc) and getattr(np, a) not in RULE_BY_UFUNC})
# every other name of a rule (asin, fabs, expit, ...) -> the rule's name
ALIASES: dict[str, str] = {alias: r.name for r in (*UNARY, *BINARY) for alias in r.aliases}


def names(rule: Unary | Binary) -> tuple[str, ...]:
    """The rule's name and its aliases."""
    return (rule.name, *rule.aliases)
