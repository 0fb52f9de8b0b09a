"""Every row of the rules table against an independent oracle: sympy.

For each unary row, ``Dual(x, 1).eps`` must be f'(x) and ``HyperDual(x, 1, 1, 0)`` must
carry f'(x) in ``.eps1``/``.eps2`` and f''(x) in ``.eps12``, where f', f'' come from sympy's
symbolic differentiation of an expression written here (not from dualdiff), evaluated
with mpmath at 400 digits at the *same* float64 point.  For each binary row, both first
partials (dual seeds on x only, y only, both) and all three second partials (hyper-dual
seeds x/x, x/y, y/x, y/y) are checked the same way.  Points are drawn by hypothesis
inside each row's ``domain``.  The test loops over ``dd.rules.UNARY`` / ``dd.rules.BINARY``,
so a new row is tested automatically -- and fails loudly until it gets a sympy
counterpart below.

Tolerances.  The oracle is evaluated exactly (400 digits: enough to resolve any cancellation
between O(1) terms down to the smallest subnormal) at the identical float input,
so the only error is dualdiff's float64 evaluation of its own rule formula: a handful of
roundings plus the libm/numpy error of the functions it calls (<= a few ulp each), each
amplified by the conditioning of the formula at that point.  Componentwise relative
error <= 1e-12 (~4500 ulp) leaves a wide margin for that while catching any wrong
formula, coefficient or sign (which err by O(1)).  A relative error is meaningless where
the exact derivative is (near) zero because of cancellation between terms of the same
size (e.g. d²/dxdy arctan2 = (x²-y²)/(x²+y²)² near |x| = |y|); there the error is
measured against the size of the derivatives of the same order at that point (a
normwise relative error), via the floor ``ABS_FLOOR * scale``.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy.codegen import cfunctions as cf

import dualdiff as dd

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # 20 per row: 89 rows
RTOL = 1e-12       # componentwise relative error, see the module docstring
ABS_FLOOR = 1e-14  # normwise floor, relative to the size of the same-order derivatives
# values: numpy/libm are within a few ulp; sigmoid/softplus go through logaddexp, whose
# absolute error (~2 ulp of |log| <= 20, i.e. ~7e-15) becomes a relative error of exp.
VALUE_RTOL = 1e-13
DPS = 400  # resolves cancellation between O(1) terms down to the smallest subnormal (5e-324)

X, Y = sympy.symbols("x y", real=True)


class _ZetaDerivative(sympy.Function):
    """The k-th derivative of the Riemann zeta function (sympy cannot differentiate zeta(s)
    in s); evaluated by mpmath.zeta(s, 1, k) at the working precision."""

    nargs = 2

    def fdiff(self, argindex=2):
        k, s = self.args
        return _ZetaDerivative(k + 1, s)

    @staticmethod
    def _imp_(k, s):
        return mpmath.zeta(s, 1, int(k))


class _BesselK(sympy.Function):
    """K_ν(x), differentiated by DLMF 10.29.1 (K_ν' = -(K_ν₋₁ + K_ν₊₁)/2, K₋₁ = K₁) and
    evaluated by mpmath at 60 digits: mpmath.besselk takes seconds per call at 400 digits,
    and no derivative formula here cancels (all terms have one sign), so 60 digits of each
    term leave the float64 result exact."""

    nargs = 2

    def fdiff(self, argindex=2):
        nu, x = self.args
        return -(_BesselK(abs(nu - 1), x) + _BesselK(nu + 1, x)) / 2

    @staticmethod
    def _imp_(nu, x):
        with mpmath.workdps(60):
            return +mpmath.besselk(int(nu), x)


class _BesselY(sympy.Function):
    """Y_ν(x), as _BesselK: Y_ν' = (Y_ν₋₁ - Y_ν₊₁)/2 with Y₋₁ = -Y₁ (DLMF 10.6.1), 60 digits
    per term (mpmath.bessely is slow at 400; the test domains keep the terms' cancellation
    far below 10⁻⁴⁰)."""

    nargs = 2

    def fdiff(self, argindex=2):
        nu, x = self.args
        below = -_BesselY(1, x) if nu == 0 else _BesselY(nu - 1, x)
        return (below - _BesselY(nu + 1, x)) / 2

    @staticmethod
    def _imp_(nu, x):
        with mpmath.workdps(60):
            return +mpmath.bessely(int(nu), x)
R = sympy.Rational


def _branch(p: float, positive, negative):
    return positive if p > 0 else negative


# name -> (t, p) -> sympy expression in t, valid in a neighbourhood of the float point p.
# Smooth rows ignore p; piecewise rows (abs, cbrt's real branch) pick their local branch,
# and piecewise-constant rows (sign, floor, ...) are the constant they take near p, so
# their derivatives are the analytic 0.
UNARY_SYMPY = {
    "negative": lambda t, p: -t,
    "positive": lambda t, p: t,
    "sin": lambda t, p: sympy.sin(t),
    "cos": lambda t, p: sympy.cos(t),
    "tan": lambda t, p: sympy.tan(t),
    "arcsin": lambda t, p: sympy.asin(t),
    "arccos": lambda t, p: sympy.acos(t),
    "arctan": lambda t, p: sympy.atan(t),
    "sinh": lambda t, p: sympy.sinh(t),
    "cosh": lambda t, p: sympy.cosh(t),
    "tanh": lambda t, p: sympy.tanh(t),
    "arcsinh": lambda t, p: sympy.asinh(t),
    "arccosh": lambda t, p: sympy.acosh(t),
    "arctanh": lambda t, p: sympy.atanh(t),
    "exp": lambda t, p: sympy.exp(t),
    "exp2": lambda t, p: 2**t,
    "expm1": lambda t, p: cf.expm1(t),  # not exp(t) - 1: that cancels for tiny t
    "log": lambda t, p: sympy.log(t),
    "log2": lambda t, p: sympy.log(t) / sympy.log(2),
    "log10": lambda t, p: sympy.log(t) / sympy.log(10),
    "log1p": lambda t, p: cf.log1p(t),
    "sqrt": lambda t, p: sympy.sqrt(t),
    "cbrt": lambda t, p: _branch(p, t ** R(1, 3), -((-t) ** R(1, 3))),
    "square": lambda t, p: t**2,
    "reciprocal": lambda t, p: 1 / t,
    "abs": lambda t, p: _branch(p, t, -t),
    "sign": lambda t, p: sympy.Integer(int(np.sign(p))),
    "floor": lambda t, p: sympy.Integer(math.floor(p)),
    "ceil": lambda t, p: sympy.Integer(math.ceil(p)),
    "trunc": lambda t, p: sympy.Integer(math.trunc(p)),
    "round": lambda t, p: sympy.Integer(int(np.rint(p))),
    "erf": lambda t, p: sympy.erf(t),
    "erfc": lambda t, p: sympy.erfc(t),
    "sigmoid": lambda t, p: 1 / (1 + sympy.exp(-t)),
    "softplus": lambda t, p: sympy.log(1 + sympy.exp(t)),
    "deg2rad": lambda t, p: t * sympy.pi / 180,
    "rad2deg": lambda t, p: t * 180 / sympy.pi,
    "sinc": lambda t, p: sympy.sin(sympy.pi * t) / (sympy.pi * t),
    # scipy.special rows
    "gamma": lambda t, p: sympy.gamma(t),
    "gammaln": lambda t, p: sympy.loggamma(t),
    "loggamma": lambda t, p: sympy.loggamma(t),
    "digamma": lambda t, p: sympy.polygamma(0, t),
    "erfinv": lambda t, p: sympy.erfinv(t),
    "erfcinv": lambda t, p: sympy.erfinv(1 - t),
    "erfcx": lambda t, p: sympy.exp(t**2) * sympy.erfc(t),
    "erfi": lambda t, p: sympy.erfi(t),
    "dawsn": lambda t, p: sympy.sqrt(sympy.pi) / 2 * sympy.exp(-t**2) * sympy.erfi(t),
    "log_expit": lambda t, p: -sympy.log(1 + sympy.exp(-t)),
    "logit": lambda t, p: sympy.log(t / (1 - t)),
    "ndtr": lambda t, p: (1 + sympy.erf(t / sympy.sqrt(2))) / 2,
    "log_ndtr": lambda t, p: sympy.log(sympy.erfc(-t / sympy.sqrt(2)) / 2),
    "ndtri": lambda t, p: sympy.sqrt(2) * sympy.erfinv(2 * t - 1),
    "i0": lambda t, p: sympy.besseli(0, t),
    "i1": lambda t, p: sympy.besseli(1, t),
    "i0e": lambda t, p: sympy.exp(-t) * sympy.besseli(0, t),   # domain t > 0
    "i1e": lambda t, p: sympy.exp(-t) * sympy.besseli(1, t),
    "j0": lambda t, p: sympy.besselj(0, t),
    "j1": lambda t, p: sympy.besselj(1, t),
    "y0": lambda t, p: _BesselY(0, t),
    "y1": lambda t, p: _BesselY(1, t),
    "k0": lambda t, p: _BesselK(0, t),
    "k1": lambda t, p: _BesselK(1, t),
    "k0e": lambda t, p: sympy.exp(t) * _BesselK(0, t),
    "k1e": lambda t, p: sympy.exp(t) * _BesselK(1, t),
    "zeta": lambda t, p: _ZetaDerivative(0, t),
    "expi": lambda t, p: sympy.Ei(t),
    "exp1": lambda t, p: sympy.expint(1, t),
    "sindg": lambda t, p: sympy.sin(sympy.pi * t / 180),
    "cosdg": lambda t, p: sympy.cos(sympy.pi * t / 180),
}

# name -> (x, y, px, py) -> sympy expression, as above.
BINARY_SYMPY = {
    "add": lambda x, y, px, py: x + y,
    "subtract": lambda x, y, px, py: x - y,
    "multiply": lambda x, y, px, py: x * y,
    "divide": lambda x, y, px, py: x / y,
    "power": lambda x, y, px, py: x**y,
    "arctan2": lambda x, y, px, py: sympy.atan2(x, y),
    "hypot": lambda x, y, px, py: sympy.sqrt(x**2 + y**2),
    "logaddexp": lambda x, y, px, py: sympy.log(sympy.exp(x) + sympy.exp(y)),
    "maximum": lambda x, y, px, py: x if px > py else y,
    "minimum": lambda x, y, px, py: x if px < py else y,
    "remainder": lambda x, y, px, py: x - y * math.floor(px / py),
    "floor_divide": lambda x, y, px, py: sympy.Integer(math.floor(px / py)),
    "fmod": lambda x, y, px, py: x - y * math.trunc(px / py),
    "fmax": lambda x, y, px, py: x if px > py else y,
    "fmin": lambda x, y, px, py: x if px < py else y,
    "logaddexp2": lambda x, y, px, py: sympy.log(2**x + 2**y) / sympy.log(2),
    "beta": lambda x, y, px, py: sympy.gamma(x) * sympy.gamma(y) / sympy.gamma(x + y),
    "betaln": lambda x, y, px, py: sympy.loggamma(x) + sympy.loggamma(y) - sympy.loggamma(x + y),
    "xlogy": lambda x, y, px, py: x * sympy.log(y),
    "xlog1py": lambda x, y, px, py: x * cf.log1p(y),
}

# Binary rows whose oracle holds only between kinks/jumps: the array test (whose fixed
# points may sit on a tie) compares them elementwise with the scalar results only.
NON_SMOOTH_AT = {"maximum", "minimum", "remainder", "floor_divide"}


def test_every_row_has_an_oracle():
    missing = [r.name for r in dd.rules.UNARY if r.name not in UNARY_SYMPY]
    missing += [r.name for r in dd.rules.BINARY if r.name not in BINARY_SYMPY]
    assert not missing, f"rules rows without a sympy counterpart in this test: {missing}"


# -- the oracle ------------------------------------------------------------------------

@functools.cache
def _unary_oracle(expr):
    fs = [expr, sympy.diff(expr, X), sympy.diff(expr, X, 2)]
    return [sympy.lambdify(X, e, "mpmath") for e in fs]


@functools.cache
def _binary_oracle(expr):
    fs = {
        "f": expr,
        "fx": sympy.diff(expr, X), "fy": sympy.diff(expr, Y),
        "fxx": sympy.diff(expr, X, X), "fxy": sympy.diff(expr, X, Y), "fyy": sympy.diff(expr, Y, Y),
    }
    return {k: sympy.lambdify((X, Y), e, "mpmath") for k, e in fs.items()}


def _mp(f, *args) -> float:
    with mpmath.workdps(DPS):
        try:
            r = f(*(mpmath.mpf(a) for a in args))  # mpf(float) is exact
        except ZeroDivisionError:  # a singular point (cbrt at 0): not smooth there
            return math.nan
        if isinstance(r, mpmath.mpc):
            assert abs(r.imag) <= abs(r.real) * 1e-30, "oracle left the real domain"
            r = r.real
        return float(r)


def unary_jet(name: str, p: float) -> tuple[float, float, float]:
    """(f, f', f'') at p from sympy."""
    fs = _unary_oracle(UNARY_SYMPY[name](X, p))
    return tuple(_mp(f, p) for f in fs)


def binary_jet(name: str, px: float, py: float) -> dict[str, float]:
    fs = _binary_oracle(sympy.sympify(BINARY_SYMPY[name](X, Y, px, py)))
    return {k: _mp(f, px, py) for k, f in fs.items()}


def assert_close(got, want, scale, what, rtol=RTOL):
    """|got - want| <= rtol*|want| + ABS_FLOOR*scale (see the module docstring)."""
    got = float(got)
    tol = rtol * abs(want) + ABS_FLOOR * scale
    assert math.isfinite(got), f"{what}: got {got!r}, want {want!r}"
    assert abs(got - want) <= tol, f"{what}: got {got!r}, want {want!r} (err {abs(got - want):.3g}, tol {tol:.3g})"


def points(domain):
    lo, hi = domain
    return st.floats(lo, hi, exclude_min=True, exclude_max=True, allow_nan=False)


# -- unary rows --------------------------------------------------------------------------

UNARY_IDS = [r.name for r in dd.rules.UNARY]
BINARY_IDS = [r.name for r in dd.rules.BINARY]


@pytest.mark.parametrize("row", dd.rules.UNARY, ids=UNARY_IDS)
def test_unary_row(row):
    @SETTINGS
    @given(points(row.domain), st.data())
    def check(p, data):
        f0, f1, f2 = unary_jet(row.name, p)
        # rows whose test domain holds a singular point (cbrt at 0): see test_conventions
        assume(all(math.isfinite(v) for v in (f0, f1, f2)))
        fn = getattr(dd, row.name)

        # values: the function on floats, on a Dual and on a HyperDual all equal numpy's
        plain = fn(p)
        d = fn(dd.Dual(p, 1.0))
        h = fn(dd.HyperDual(p, 1.0, 1.0, 0.0))
        if row.ufunc is not None:
            want = row.ufunc(np.float64(p))
            assert plain == want and d.value == want and h.value == want
            assert row.ufunc(dd.Dual(p, 1.0)).value == want  # dispatch via __array_ufunc__
        assert d.value == plain and h.value == plain
        assert_close(plain, f0, abs(f0), f"{row.name}({p!r})", rtol=VALUE_RTOL)

        # first and second derivatives
        assert_close(d.eps, f1, abs(f1), f"{row.name}'({p!r}) by Dual")
        assert_close(h.eps1, f1, abs(f1), f"{row.name}'({p!r}) by HyperDual eps1")
        assert_close(h.eps2, f1, abs(f1), f"{row.name}'({p!r}) by HyperDual eps2")
        assert_close(h.eps12, f2, abs(f2), f"{row.name}''({p!r}) by HyperDual")

        # general seeds: f(a + bε) = f + f'·b ε;
        # f(a + b ε1 + c ε2 + e ε1ε2) has ε1ε2 part f'·e + f''·b·c
        b, c, e = (data.draw(st.floats(-3, 3, allow_nan=False)) for _ in range(3))
        d = fn(dd.Dual(p, b))
        assert_close(d.eps, f1 * b, abs(f1 * b), f"{row.name}' seed {b}")
        h = fn(dd.HyperDual(p, b, c, e))
        assert_close(h.eps1, f1 * b, abs(f1 * b), f"{row.name} eps1 seed {b}")
        assert_close(h.eps2, f1 * c, abs(f1 * c), f"{row.name} eps2 seed {c}")
        want = f1 * e + f2 * b * c
        assert_close(h.eps12, want, abs(f1 * e) + abs(f2 * b * c), f"{row.name} eps12 seeds {b, c, e}")

    check()


@pytest.mark.parametrize("row", dd.rules.UNARY, ids=UNARY_IDS)
def test_unary_row_on_arrays(row):
    """A row on Dual/HyperDual with array components equals the row on each element."""
    lo, hi = row.domain
    p = np.linspace(lo, hi, 9)[1:-1] + 1e-3 * (hi - lo) * np.sin(np.arange(7))
    assert ((p > lo) & (p < hi)).all()
    b = np.linspace(-2.0, 2.0, 7)
    c = np.cos(np.arange(7.0))
    e = np.sin(np.arange(7.0))
    fn = getattr(dd, row.name)
    d = fn(dd.Dual(p, b))
    h = fn(dd.HyperDual(p, b, c, e))
    assert d.value.shape == d.eps.shape == (7,)
    assert h.eps12.shape == (7,)
    # numpy's vectorised loops (SIMD) may differ from its scalar path by an ulp or two
    tol = dict(rtol=4e-15, atol=0.0)
    for i in range(7):
        di = fn(dd.Dual(p[i], b[i]))
        hi_ = fn(dd.HyperDual(p[i], b[i], c[i], e[i]))
        np.testing.assert_allclose(d.value[i], di.value, **tol)
        np.testing.assert_allclose(d.eps[i], di.eps, **tol)
        for part in ("value", "eps1", "eps2", "eps12"):
            np.testing.assert_allclose(getattr(h, part)[i], getattr(hi_, part), **tol, err_msg=part)
        # and the oracle, elementwise
        f0, f1, f2 = unary_jet(row.name, float(p[i]))
        assert_close(h.eps12[i], f1 * e[i] + f2 * b[i] * c[i], abs(f1 * e[i]) + abs(f2 * b[i] * c[i]),
                     f"{row.name} array element {i}")
    # plain arrays, too
    np.testing.assert_allclose(fn(p), d.value, rtol=0, atol=0)


@pytest.mark.parametrize("row", dd.rules.UNARY, ids=UNARY_IDS)
def test_unary_row_with_direction_axis(row):
    """eps with a trailing direction axis: each direction gets f'(x) times its seed."""
    lo, hi = row.domain
    p = np.array([lo + 0.3 * (hi - lo), lo + 0.71 * (hi - lo)])
    seeds = np.array([[1.0, 0.0, -2.0], [0.5, 3.0, 0.0]])
    d = getattr(dd, row.name)(dd.Dual(p, seeds))
    assert d.eps.shape == (2, 3)
    for i in range(2):
        f1 = unary_jet(row.name, float(p[i]))[1]
        for k in range(3):
            assert_close(d.eps[i, k], f1 * seeds[i, k], abs(f1 * seeds[i, k]), f"{row.name} dir {k}")


# -- binary rows -------------------------------------------------------------------------

def _away_from_kinks(name, px, py):
    """Keep ties of maximum/minimum and the jumps of remainder/floor_divide out."""
    if name in ("maximum", "minimum"):
        assume(abs(px - py) > 1e-3)
    if name in ("remainder", "floor_divide"):
        q = px / py
        assume(abs(q - round(q)) > 1e-6)


@pytest.mark.parametrize("row", dd.rules.BINARY, ids=BINARY_IDS)
def test_binary_row(row):
    (xd, yd) = row.domain

    @SETTINGS
    @given(points(xd), points(yd), st.data())
    def check(px, py, data):
        _away_from_kinks(row.name, px, py)
        o = binary_jet(row.name, px, py)
        assume(all(math.isfinite(v) for v in o.values()))
        fn = getattr(dd, row.name)
        D, H = dd.Dual, dd.HyperDual
        s1 = abs(o["fx"]) + abs(o["fy"])                     # size of the first partials
        s2 = abs(o["fxx"]) + abs(o["fxy"]) + abs(o["fyy"])   # size of the second partials
        name = f"{row.name}({px!r}, {py!r})"

        # values
        plain = fn(px, py)
        if row.ufunc is not None:
            assert plain == row.ufunc(np.float64(px), np.float64(py))
            assert row.ufunc(D(px, 1.0), py).value == plain
        assert_close(plain, o["f"], abs(o["f"]), name, rtol=VALUE_RTOL)

        # first partials: seed x only, y only, both
        for args, want, what in (
            ((D(px, 1.0), py), o["fx"], "fx"),
            ((px, D(py, 1.0)), o["fy"], "fy"),
            ((D(px, 1.0), D(py, 0.0)), o["fx"], "fx (y dual)"),
            ((D(px, 0.0), D(py, 1.0)), o["fy"], "fy (x dual)"),
        ):
            r = fn(*args)
            assert r.value == plain
            assert_close(r.eps, want, s1, f"{name} {what}")
        a, b = data.draw(st.floats(-3, 3, allow_nan=False)), data.draw(st.floats(-3, 3, allow_nan=False))
        r = fn(D(px, a), D(py, b))
        assert_close(r.eps, o["fx"] * a + o["fy"] * b, abs(o["fx"] * a) + abs(o["fy"] * b) + s1, f"{name} J·{a, b}")

        # second partials through hyper-dual seeds
        for args, want, what in (
            ((H(px, 1.0, 1.0), py), o["fxx"], "fxx"),
            ((H(px, 1.0, 1.0), H(py)), o["fxx"], "fxx (y hyper-dual)"),
            ((px, H(py, 1.0, 1.0)), o["fyy"], "fyy"),
            ((H(px, 1.0, 0.0), H(py, 0.0, 1.0)), o["fxy"], "fxy"),
            ((H(px, 0.0, 1.0), H(py, 1.0, 0.0)), o["fxy"], "fyx"),
            ((H(px, 1.0, 1.0), H(py, 1.0, 1.0)), o["fxx"] + 2 * o["fxy"] + o["fyy"], "(1,1)ᵀH(1,1)"),
        ):
            r = fn(*args)
            assert r.value == plain
            assert_close(r.eps12, want, s2, f"{name} {what}")
            eps1_want = (o["fx"] if args[0].__class__ is H and args[0].eps1 else 0.0) + (
                o["fy"] if args[1].__class__ is H and args[1].eps1 else 0.0)
            assert_close(r.eps1, eps1_want, s1, f"{name} eps1 with {what} seeds")

    check()


@pytest.mark.parametrize("row", dd.rules.BINARY, ids=BINARY_IDS)
def test_binary_row_on_arrays(row):
    """Array components (and array/scalar broadcasting) equal the elementwise results."""
    (xlo, xhi), (ylo, yhi) = row.domain
    t = np.array([0.13, 0.29, 0.41, 0.57, 0.83])
    px = xlo + t * (xhi - xlo)
    py = ylo + t[::-1] * (yhi - ylo)
    fn = getattr(dd, row.name)
    H = dd.HyperDual
    r = fn(H(px, 1.0, 0.0), H(py, 0.0, 1.0))
    rs = fn(H(px, 1.0, 1.0), float(py[2]))  # broadcast a scalar y
    tol = dict(rtol=4e-15, atol=0.0)
    for i in range(5):
        ri = fn(H(px[i], 1.0, 0.0), H(py[i], 0.0, 1.0))
        for part in ("value", "eps1", "eps2", "eps12"):
            np.testing.assert_allclose(getattr(r, part)[i], getattr(ri, part), **tol, err_msg=part)
        rsi = fn(H(px[i], 1.0, 1.0), float(py[2]))
        for part in ("value", "eps1", "eps12"):
            np.testing.assert_allclose(getattr(rs, part)[i], getattr(rsi, part), **tol, err_msg=part)
        if row.name in NON_SMOOTH_AT:
            continue
        o = binary_jet(row.name, float(px[i]), float(py[i]))
        assert_close(r.eps12[i], o["fxy"], abs(o["fxx"]) + abs(o["fxy"]) + abs(o["fyy"]), f"{row.name} [{i}]")


# -- names and aliases ---------------------------------------------------------------------

ALIASES = {
    "asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2", "asinh": "arcsinh",
    "acosh": "arccosh", "atanh": "arctanh", "pow": "power", "fabs": "abs", "absolute": "abs",
}


@pytest.mark.parametrize("alias,name", sorted(ALIASES.items()))
def test_aliases_name_the_same_function(alias, name):
    row = next(r for r in (*dd.rules.UNARY, *dd.rules.BINARY) if r.name == name)
    if isinstance(row, dd.rules.Unary):
        lo, hi = row.domain
        p = lo + 0.37 * (hi - lo)
        a, b = getattr(dd, alias)(dd.HyperDual(p, 1.0, 1.0)), getattr(dd, name)(dd.HyperDual(p, 1.0, 1.0))
    else:
        (xlo, xhi), (ylo, yhi) = row.domain
        px, py = xlo + 0.37 * (xhi - xlo), ylo + 0.61 * (yhi - ylo)
        a = getattr(dd, alias)(dd.HyperDual(px, 1.0, 1.0), dd.HyperDual(py, 1.0, 1.0))
        b = getattr(dd, name)(dd.HyperDual(px, 1.0, 1.0), dd.HyperDual(py, 1.0, 1.0))
    assert (a.value, a.eps1, a.eps2, a.eps12) == (b.value, b.eps1, b.eps2, b.eps12)


def test_operators_match_rows():
    """The arithmetic operators are the add ... floor_divide rows, both operand orders."""
    x, y = 2.7, 0.8
    ops = {
        "add": lambda a, b: a + b, "subtract": lambda a, b: a - b, "multiply": lambda a, b: a * b,
        "divide": lambda a, b: a / b, "power": lambda a, b: a**b, "remainder": lambda a, b: a % b,
        "floor_divide": lambda a, b: a // b,
    }
    for name, op in ops.items():
        o = binary_jet(name, x, y)
        s = abs(o["fx"]) + abs(o["fy"])
        assert_close(op(dd.Dual(x, 1.0), y).eps, o["fx"], s, f"{name} x-seed")
        assert_close(op(x, dd.Dual(y, 1.0)).eps, o["fy"], s, f"{name} reflected y-seed")
        assert_close(op(np.float64(x), dd.Dual(y, 1.0)).eps, o["fy"], s, f"{name} numpy scalar left")
    for name, op in (("negative", lambda a: -a), ("positive", lambda a: +a), ("abs", abs)):
        assert op(dd.Dual(-1.5, 1.0)).eps == unary_jet(name, -1.5)[1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan partials are the point here
def test_conventions_at_non_differentiable_points():
    """The documented conventions: abs'(0) = 0, sqrt'(0) = cbrt'(0) = +inf, ties of
    maximum/minimum split 1/2 : 1/2, step functions have derivative 0 at their jumps."""
    assert dd.abs(dd.Dual(0.0, 1.0)).eps == 0.0
    assert dd.sqrt(dd.Dual(0.0, 1.0)).eps == np.inf
    assert dd.cbrt(dd.Dual(0.0, 1.0)).eps == np.inf
    for name in ("maximum", "minimum"):
        fn = getattr(dd, name)
        assert fn(dd.Dual(1.5, 1.0), 1.5).eps == 0.5
        assert fn(1.5, dd.Dual(1.5, 1.0)).eps == 0.5
        assert fn(dd.Dual(1.5, 1.0), dd.Dual(1.5, 1.0)).eps == 1.0
    for name in ("sign", "floor", "ceil", "trunc", "round"):
        d = getattr(dd, name)(dd.HyperDual(1.0, 1.0, 1.0))
        assert (d.eps1, d.eps2, d.eps12) == (0.0, 0.0, 0.0)


SCALES = [1e-140, 1e-60, 1e60, 1e140]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan partials are the point here
@pytest.mark.parametrize("name,scale", [(name, s) for name in ("hypot", "arctan2") for s in SCALES])
def test_scale_robust_rows_at_extreme_magnitudes(name, scale):
    """np.hypot and np.arctan2 work over the whole float range; their derivatives are
    representable there too (~1/s and ~1/s² at scale s), and should be computed."""
    px, py = 3.0 * scale, 4.0 * scale
    o = binary_jet(name, px, py)
    fn = getattr(dd, name)
    H = dd.HyperDual
    got = {
        "fx": fn(dd.Dual(px, 1.0), py).eps, "fy": fn(px, dd.Dual(py, 1.0)).eps,
        "fxx": fn(H(px, 1.0, 1.0), py).eps12, "fyy": fn(px, H(py, 1.0, 1.0)).eps12,
        "fxy": fn(H(px, 1.0, 0.0), H(py, 0.0, 1.0)).eps12,
    }
    s1 = abs(o["fx"]) + abs(o["fy"])
    s2 = abs(o["fxx"]) + abs(o["fxy"]) + abs(o["fyy"])
    for k, v in got.items():
        assert_close(v, o[k], s1 if len(k) == 2 else s2, f"{name} {k} at scale {scale}")
