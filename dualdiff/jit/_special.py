"""scipy.special's ufuncs on plain floats inside numba code.

The special-function rows of :mod:`dualdiff.rules` use scipy.special's ufuncs as their
value functions (and in their partials).  numba has no implementation of them, so this
module registers one overload per ufunc that calls the same C function scipy's ufunc
calls, through its address in ``scipy.special.cython_special`` (a ``ctypes`` pointer,
which numba calls directly).  The jets' overloads, generated from the rows in
:mod:`dualdiff.jit._overloads`, then compile unchanged.

Also here: the rules' :class:`~dualdiff.rules.SpecialValue` helpers (``polygamma``),
whose scipy implementation is Python code numba cannot compile: ψ⁽ⁿ⁾ for n ≥ 1 is
computed by the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)ⁿ n! x⁻⁽ⁿ⁺¹⁾ up to x ≥ 20 and the
asymptotic series (DLMF 5.15.8) there, which is exact to a few ulp.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numba
import scipy.special as sc
from numba.core import types
from numba.extending import get_cython_function_address, overload

from .. import rules

_MODULE = "scipy.special.cython_special"
_capi = __import__(_MODULE, fromlist=["__pyx_capi__"]).__pyx_capi__

_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype = ctypes.c_char_p
_capsule_name.argtypes = [ctypes.py_object]

_SIGNATURES = {1: "double (double, int __pyx_skip_dispatch)",
               2: "double (double, double, int __pyx_skip_dispatch)"}


def _c_function(name: str, nargs: int) -> Any:
    """The double-precision C implementation of scipy.special.<name> (None if absent)."""
    want = _SIGNATURES[nargs]
    for key in [name] + [f"__pyx_fuse_{i}{name}" for i in range(4)]:
        capsule = _capi.get(key)
        if capsule is not None and _capsule_name(capsule).decode() == want:
            proto = ctypes.CFUNCTYPE(ctypes.c_double, *([ctypes.c_double] * nargs), ctypes.c_int)
            return proto(get_cython_function_address(_MODULE, key))
    return None


def _is_real(x: Any) -> bool:
    return isinstance(x, (types.Float, types.Integer))


def _register_unary(ufunc: Any, cfunc: Any) -> None:
    def ol(x):
        if _is_real(x):
            return lambda x: cfunc(float(x), 0)
        return None
    overload(ufunc)(ol)


def _register_binary(ufunc: Any, cfunc: Any) -> None:
    def ol(x, y):
        if _is_real(x) and _is_real(y):
            return lambda x, y: cfunc(float(x), float(y), 0)
        return None
    overload(ufunc)(ol)


# scipy ufunc -> (its cython_special name, number of arguments)
UFUNCS: dict[Any, tuple[str, int]] = {
    sc.erf: ("erf", 1), sc.erfc: ("erfc", 1), sc.expit: ("expit", 1), sc.gamma: ("gamma", 1),
    sc.gammaln: ("gammaln", 1), sc.loggamma: ("loggamma", 1), sc.digamma: ("psi", 1),
    sc.erfinv: ("erfinv", 1), sc.erfcinv: ("erfcinv", 1), sc.erfcx: ("erfcx", 1), sc.erfi: ("erfi", 1),
    sc.dawsn: ("dawsn", 1), sc.log_expit: ("log_expit", 1), sc.logit: ("logit", 1), sc.ndtr: ("ndtr", 1),
    sc.log_ndtr: ("log_ndtr", 1), sc.ndtri: ("ndtri", 1), sc.i0: ("i0", 1), sc.i1: ("i1", 1),
    sc.i0e: ("i0e", 1), sc.i1e: ("i1e", 1), sc.j0: ("j0", 1), sc.j1: ("j1", 1), sc.y0: ("y0", 1),
    sc.y1: ("y1", 1), sc.k0: ("k0", 1), sc.k1: ("k1", 1), sc.k0e: ("k0e", 1), sc.k1e: ("k1e", 1),
    sc.expi: ("expi", 1), sc.exp1: ("exp1", 1), sc.sindg: ("sindg", 1), sc.cosdg: ("cosdg", 1),
    sc.zetac: ("zetac", 1),
    sc.beta: ("beta", 2), sc.betaln: ("betaln", 2), sc.xlogy: ("xlogy", 2), sc.xlog1py: ("xlog1py", 2),
    sc.iv: ("iv", 2), sc.ive: ("ive", 2), sc.jv: ("jv", 2), sc.yv: ("yv", 2), sc.kv: ("kv", 2),
    sc.kve: ("kve", 2),
}

MISSING: list[str] = []  # scipy ufuncs whose C function this scipy does not export


def register() -> None:
    for ufunc, (name, nargs) in UFUNCS.items():
        cfunc = _c_function(name, nargs)
        if cfunc is None:
            MISSING.append(name)
            continue
        (_register_unary if nargs == 1 else _register_binary)(ufunc, cfunc)
    zetac = _c_function("zetac", 1)

    @overload(rules.riemann_zeta)
    def _ol_zeta(x):
        if _is_real(x):
            return lambda x: zetac(float(x), 0) + 1.0
        return None

    # the rules' SpecialValue helpers over a scipy ufunc (jv, kve, ...): that ufunc on floats
    for helper in vars(rules).values():
        if isinstance(helper, rules.SpecialValue) and helper.plain in UFUNCS:
            name, nargs = UFUNCS[helper.plain]
            (_register_unary if nargs == 1 else _register_binary)(helper, _c_function(name, nargs))

    @overload(rules.polygamma)
    def _ol_polygamma(n, x):
        if _is_real(n) and _is_real(x):
            return lambda n, x: nb_polygamma(int(n), float(x))
        return None


# B₂ₖ/(2k) ... used as (2k+n-1)!/(2k)! · B₂ₖ in the asymptotic series of ψ⁽ⁿ⁾
_BERNOULLI = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0,
              7.0 / 6.0, -3617.0 / 510.0, 43867.0 / 798.0, -174611.0 / 330.0)


@numba.njit(error_model="numpy", cache=False)
def nb_polygamma(n: int, x: float) -> float:
    """ψ⁽ⁿ⁾(x) for an integer n ≥ 0 (n = 0: scipy's digamma is used instead)."""
    if n < 0 or math.isnan(x):
        return math.nan
    if x <= 0.0 and x == math.floor(x):
        return math.inf if n % 2 == 1 else math.nan
    sign = 1.0 if n % 2 == 1 else -1.0  # (-1)^(n+1)
    nfact = math.gamma(n + 1.0)
    total = 0.0
    while x < 20.0:  # ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x+1) + (-1)^(n+1) n! / x^(n+1)
        total += sign * nfact / x ** (n + 1)
        x += 1.0
    if n == 0:
        s = math.log(x) - 0.5 / x
        x2 = x * x
        xp = x2
        for k in range(len(_BERNOULLI)):
            s -= _BERNOULLI[k] / (2.0 * (k + 1)) / xp
            xp *= x2
        return total + s
    # ψ⁽ⁿ⁾(x) ~ (-1)^(n+1) [ (n-1)!/xⁿ + n!/(2x^(n+1)) + Σ B₂ₖ (2k+n-1)!/(2k)! / x^(2k+n) ]
    s = math.gamma(float(n)) / x ** n + nfact / (2.0 * x ** (n + 1))
    for k in range(1, len(_BERNOULLI) + 1):
        s += _BERNOULLI[k - 1] * math.exp(math.lgamma(2.0 * k + n) - math.lgamma(2.0 * k + 1.0)) / x ** (2 * k + n)
    return total + sign * s


register()
