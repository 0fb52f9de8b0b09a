"""The ``dualdiff.math`` drop-in for the standard ``math`` module.

Oracle: ``mpmath.diff`` (high-precision numerical differentiation at 40 digits, whose
error is far below the 1e-12 relative tolerance used against it) and closed forms."""

from __future__ import annotations

import math as stdmath

import mpmath
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import math as ddmath

# -- the math drop-in ---------------------------------------------------------------------

ONE_ARG = {
    # name: (points, mpmath function)
    "sin": ([-2.0, 0.5, 3.0], mpmath.sin), "cos": ([-2.0, 0.5, 3.0], mpmath.cos),
    "tan": ([-1.0, 0.5, 1.3], mpmath.tan), "asin": ([-0.9, 0.2], mpmath.asin),
    "acos": ([-0.9, 0.2], mpmath.acos), "atan": ([-3.0, 0.5], mpmath.atan),
    "sinh": ([-2.0, 0.5], mpmath.sinh), "cosh": ([-2.0, 0.5], mpmath.cosh),
    "tanh": ([-2.0, 0.5], mpmath.tanh), "asinh": ([-2.0, 0.5], mpmath.asinh),
    "acosh": ([1.5, 4.0], mpmath.acosh), "atanh": ([-0.7, 0.3], mpmath.atanh),
    "exp": ([-2.0, 0.5, 3.0], mpmath.exp), "expm1": ([-2.0, 1e-3, 3.0], mpmath.expm1),
    "log": ([0.2, 3.0], mpmath.log), "log2": ([0.2, 3.0], lambda t: mpmath.log(t, 2)),
    "log10": ([0.2, 3.0], mpmath.log10), "log1p": ([-0.5, 2.0], mpmath.log1p),
    "sqrt": ([0.2, 3.0], mpmath.sqrt), "erf": ([-1.0, 0.3], mpmath.erf),
    "erfc": ([-1.0, 0.3], mpmath.erfc), "fabs": ([-2.0, 0.5], mpmath.fabs),
    "degrees": ([-2.0, 0.5], lambda t: t * 180 / mpmath.pi),
    "radians": ([-90.0, 30.0], lambda t: t * mpmath.pi / 180),
}
TWO_ARG = {
    "atan2": ([(1.0, 2.0), (-0.5, -3.0)], mpmath.atan2),
    "pow": ([(1.5, 2.5), (3.0, -0.5)], lambda a, b: a**b),
    "hypot": ([(3.0, 4.0), (-1.0, 0.5)], lambda a, b: mpmath.sqrt(a * a + b * b)),
    "log": ([(8.0, 2.0), (0.3, 10.0)], lambda a, b: mpmath.log(a) / mpmath.log(b)),
    "copysign": ([(1.5, -2.0), (-1.5, 3.0)], lambda a, b: mpmath.fabs(a) * mpmath.sign(b)),
    "fmod": ([(5.5, 2.0), (-5.5, 2.0)], lambda a, b: a - b * (int(a / b))),
}


def _mp_diff(f, x, n):
    with mpmath.workdps(40):
        return float(mpmath.diff(f, x, n))


def test_math_drop_in_names_and_constants():
    for name in ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
                 "asinh", "acosh", "atanh", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt",
                 "pow", "hypot", "erf", "erfc", "fabs", "floor", "ceil", "isnan", "isclose", "fsum",
                 "prod", "dist", "copysign", "fmod", "degrees", "radians", "gamma", "lgamma", "factorial"):
        assert callable(getattr(ddmath, name)), name
    assert ddmath.pi == stdmath.pi and ddmath.e == stdmath.e and ddmath.inf == stdmath.inf


@pytest.mark.parametrize("name", sorted(ONE_ARG))
def test_math_one_argument_functions(name):
    pts, mpf = ONE_ARG[name]
    fn = getattr(ddmath, name)
    for x in pts:
        # on floats: the standard library function, bit for bit
        assert fn(x) == getattr(stdmath, name)(x)
        assert type(fn(x)) is type(getattr(stdmath, name)(x))
        # on duals: the derivative, against mpmath
        np.testing.assert_allclose(dd.derivative(fn)(x), _mp_diff(mpf, x, 1), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(dd.second_derivative(fn)(x), _mp_diff(mpf, x, 2), rtol=1e-12,
                                   atol=1e-13, err_msg=name)


@pytest.mark.parametrize("name", sorted(TWO_ARG))
def test_math_two_argument_functions(name):
    pts, mpf = TWO_ARG[name]
    fn = getattr(ddmath, name)
    for a, b in pts:
        assert fn(a, b) == getattr(stdmath, name)(a, b)
        g = dd.grad(lambda v: fn(v[0], v[1]))(np.array([a, b]))
        with mpmath.workdps(40):
            want = [float(mpmath.diff(mpf, (a, b), (1, 0))), float(mpmath.diff(mpf, (a, b), (0, 1)))]
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-14, err_msg=name)


def test_math_on_floats_behaves_like_stdlib():
    for bad in (lambda m: m.log(-1.0), lambda m: m.log(0.0), lambda m: m.sqrt(-1.0),
                lambda m: m.acos(2.0), lambda m: m.log(2.0, 1.0), lambda m: m.fmod(1.0, 0.0)):
        with pytest.raises((ValueError, ZeroDivisionError)) as std:
            bad(stdmath)
        with pytest.raises(std.type):
            bad(ddmath)
    with pytest.raises(OverflowError):
        ddmath.exp(1000.0)
    for x in (2.5, -2.5, 3.0, -0.0):
        for name in ("floor", "ceil", "trunc"):
            got, want = getattr(ddmath, name)(x), getattr(stdmath, name)(x)
            assert got == want and type(got) is int
    assert ddmath.log(8.0, 2.0) == stdmath.log(8.0, 2.0)
    assert ddmath.hypot(3.0, 4.0, 12.0) == stdmath.hypot(3.0, 4.0, 12.0) == 13.0
    assert ddmath.fsum([0.1] * 10) == stdmath.fsum([0.1] * 10) == 1.0
    assert ddmath.prod([1.5, 2.0, 4.0]) == 12.0
    assert ddmath.dist([0.0, 0.0], [3.0, 4.0]) == 5.0
    assert ddmath.isnan(float("nan")) and not ddmath.isnan(1.0)
    assert ddmath.isclose(1.0, 1.0 + 1e-12)
    assert ddmath.gamma(5.0) == 24.0
    assert ddmath.copysign(2.0, -0.0) == -2.0
    assert ddmath.degrees(stdmath.pi) == 180.0


def test_math_on_duals_special_functions():
    d = dd.Dual(2.5, 1.0)
    assert ddmath.floor(d) == 2 and type(ddmath.floor(d)) is int
    assert ddmath.ceil(d) == 3 and type(ddmath.ceil(d)) is int
    assert ddmath.isnan(d) is False and ddmath.isclose(d, 2.5)
    # hypot of several coordinates: ∂/∂x_i = x_i / r
    g = dd.grad(lambda v: ddmath.hypot(*v))(np.array([3.0, 4.0, 12.0]))
    np.testing.assert_allclose(g, np.array([3.0, 4.0, 12.0]) / 13.0, rtol=1e-15)
    g = dd.grad(lambda v: ddmath.dist(v[:2], v[2:]))(np.array([1.0, 2.0, 4.0, 6.0]))
    np.testing.assert_allclose(g, [-0.6, -0.8, 0.6, 0.8], rtol=1e-15)
    assert dd.derivative(lambda x: ddmath.fsum([x, x, 2.0]))(3.0) == 2.0
    assert dd.derivative(lambda x: ddmath.prod([x, x, 2.0]))(3.0) == 12.0
    # log with a dual base: d/db log_b(8) = -ln 8 / (b ln² b)
    np.testing.assert_allclose(dd.derivative(lambda b: ddmath.log(8.0, b))(2.0),
                               -stdmath.log(8.0) / (2.0 * stdmath.log(2.0) ** 2), rtol=1e-14)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan partials are the point here
@pytest.mark.parametrize("case", ["second_derivative", "hessian", "hessian_tiny", "dist"])
def test_math_hypot_second_derivative_at_a_zero_coordinate(case):
    """sqrt(x² + y²) is smooth wherever (x, y) != 0: at (0, 1) the Hessian is [[1, 0], [0, 0]]."""
    if case == "second_derivative":
        assert dd.second_derivative(lambda x: ddmath.hypot(x, 1.0))(0.0) == 1.0
        return
    x = {"hessian": [0.0, 1.0], "hessian_tiny": [1e-300, 1.0], "dist": [0.0, 1.0]}[case]
    f = (lambda v: ddmath.dist(v, [0.0, 0.0])) if case == "dist" else (lambda v: ddmath.hypot(*v))
    H = dd.hessian(f)(np.array(x))
    np.testing.assert_allclose(H, [[1.0, -x[0]], [-x[0], 0.0]], rtol=1e-15, atol=1e-300)


def test_math_hypot_hessian_away_from_zero_coordinates():
    v = np.array([3.0, -4.0, 12.0])
    r = 13.0
    want = (np.eye(3) * r**2 - np.outer(v, v)) / r**3
    np.testing.assert_allclose(dd.hessian(lambda u: ddmath.hypot(*u))(v), want, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("name", ["factorial", "frexp", "comb", "ldexp"])  # gamma, lgamma: rows (issue 13)
def test_math_without_rule_raises_on_duals(name):
    with pytest.raises(TypeError, match=name):
        getattr(ddmath, name)(dd.Dual(2.0, 1.0))
    with pytest.raises(TypeError):
        dd.derivative(lambda x: getattr(ddmath, name)(x))(3.0)
