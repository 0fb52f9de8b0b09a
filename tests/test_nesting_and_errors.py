"""Nested transforms (perturbation confusion, higher derivatives), error handling, the
number protocol of Dual / HyperDual, and the ``dualdiff.math`` drop-in.

Oracles: closed forms, and ``mpmath.diff`` (high-precision numerical differentiation at
40 digits, whose error is far below the 1e-12 relative tolerance used against it) for
the ``dualdiff.math`` functions.
"""

from __future__ import annotations

import math as stdmath

import mpmath
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import math as ddmath

# -- nesting ------------------------------------------------------------------------------


def test_perturbation_confusion():
    """Siskind & Pearlmutter: the inner derivative must not see the outer perturbation."""
    assert dd.derivative(lambda x: x * dd.derivative(lambda y: x + y)(1.0))(2.0) == 1.0
    # d/dx [x · d/dy (x y)] = d/dx x² = 2x
    assert dd.derivative(lambda x: x * dd.derivative(lambda y: x * y)(3.0))(2.0) == 4.0
    # inner derivative taken at a point that depends on x: d/dx [d/dy (x y²)](y = x) = d/dx 2x² = 4x
    assert dd.derivative(lambda x: dd.derivative(lambda y: x * y * y)(x))(3.0) == 12.0
    # second order outside, first order inside
    assert dd.second_derivative(lambda x: x * dd.derivative(lambda y: x * y)(5.0))(1.5) == 2.0
    # grad outside, derivative inside: f(x) = x0 · d/dy (x1 y) = x0 x1
    g = dd.grad(lambda x: x[0] * dd.derivative(lambda y: x[1] * y)(1.0))(np.array([2.0, 7.0]))
    np.testing.assert_array_equal(g, [7.0, 2.0])
    # hessian outside, grad inside: h(x) = ∇(u ↦ x0 u0 u1)(x) · (1, 1) = x0 (x1 + x0)
    inner = lambda x: np.sum(dd.grad(lambda u: x[0] * u[0] * u[1])(x))
    np.testing.assert_array_equal(dd.hessian(inner)(np.array([2.0, 3.0])), [[2.0, 1.0], [1.0, 0.0]])


NESTED_FUNCTIONS = [
    # f, f'', f''', points
    (dd.sin, lambda x: -np.sin(x), lambda x: -np.cos(x), [-2.0, 0.3, 1.7]),
    (lambda x: dd.exp(2 * x), lambda x: 4 * np.exp(2 * x), lambda x: 8 * np.exp(2 * x), [-1.0, 0.5]),
    (lambda x: x**5, lambda x: 20 * x**3, lambda x: 60 * x**2, [-1.5, 0.7, 2.0]),
    (dd.log, lambda x: -1 / x**2, lambda x: 2 / x**3, [0.3, 4.0]),
    (lambda x: 1 / (1 + x * x), lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3,
     lambda x: 24 * x * (1 - x**2) / (1 + x**2) ** 4, [-0.8, 0.25, 3.0]),
    (lambda x: dd.arctan(x) * dd.sqrt(x), None, None, [0.4, 2.5]),
]


@pytest.mark.parametrize("case", range(len(NESTED_FUNCTIONS)))
def test_higher_derivatives_by_nesting(case):
    f, d2, d3, pts = NESTED_FUNCTIONS[case]
    for x in pts:
        nested = dd.derivative(dd.derivative(f))(x)
        direct = dd.second_derivative(f)(x)
        np.testing.assert_allclose(nested, direct, rtol=1e-13)
        third = dd.derivative(dd.second_derivative(f))(x)
        np.testing.assert_allclose(dd.second_derivative(dd.derivative(f))(x), third, rtol=1e-13)
        np.testing.assert_allclose(dd.derivative(dd.derivative(dd.derivative(f)))(x), third, rtol=1e-13)
        if d2 is not None:
            np.testing.assert_allclose(direct, d2(x), rtol=1e-13)
            np.testing.assert_allclose(third, d3(x), rtol=1e-13)
        else:  # sympy-free check against mpmath's numerical derivative
            g = lambda t: mpmath.atan(t) * mpmath.sqrt(t)
            with mpmath.workdps(40):
                np.testing.assert_allclose(direct, float(mpmath.diff(g, x, 2)), rtol=1e-12)
                np.testing.assert_allclose(third, float(mpmath.diff(g, x, 3)), rtol=1e-12)


def test_fourth_derivative():
    for x in (-1.0, 0.4, 2.0):
        np.testing.assert_allclose(dd.second_derivative(dd.second_derivative(dd.sin))(x), np.sin(x), rtol=1e-13)
        np.testing.assert_allclose(dd.second_derivative(dd.second_derivative(lambda t: t**6))(x),
                                   360 * x**2, rtol=1e-13)


def _f_vec(x):
    return dd.exp(x[0] * x[1]) + dd.sin(x[1]) * x[2] ** 2 + dd.log(1 + x[0] ** 2 + x[2] ** 2)


@pytest.mark.parametrize("x", [np.array([0.3, -0.8, 1.2]), np.array([-1.1, 0.4, 0.05])])
def test_jacobian_of_grad_is_hessian(x):
    H = dd.hessian(_f_vec)(x)
    scale = np.abs(H).max()
    for chunk in (1, 2, 3):
        JG = dd.jacobian(dd.grad(_f_vec, chunk=chunk), chunk=4 - chunk)(x)
        np.testing.assert_allclose(JG, H, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(dd.jacobian(dd.jacobian(_f_vec))(x), H, rtol=1e-12, atol=1e-12 * scale)
    # Hessian-vector product three ways
    v = np.array([0.5, -2.0, 1.0])
    hv = dd.hvp(_f_vec, x, v)
    np.testing.assert_allclose(hv, H @ v, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(dd.jvp(dd.grad(_f_vec), x, v)[1], H @ v, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(dd.grad(lambda y: dd.grad(_f_vec)(y) @ v)(x), H @ v, rtol=1e-12,
                               atol=1e-12 * scale)


def test_hessian_of_nested_derivative():
    """d/dt f(x + t·e0) at t = 0 inside a Hessian: the third derivative tensor slice."""
    x = np.array([0.7, -0.2])
    g = lambda y: dd.derivative(lambda t: dd.exp(y[0] + t) * dd.sin(y[1]))(0.0)  # = e^{y0} sin y1
    want = np.exp(x[0]) * np.array([[np.sin(x[1]), np.cos(x[1])], [np.cos(x[1]), -np.sin(x[1])]])
    np.testing.assert_allclose(dd.hessian(g)(x), want, rtol=1e-13)


# -- conversion errors --------------------------------------------------------------------

NUMBERS = [dd.Dual(1.5, 1.0), dd.HyperDual(1.5, 1.0, 1.0, 0.0)]


@pytest.mark.parametrize("d", NUMBERS, ids=["Dual", "HyperDual"])
def test_float_int_and_stdlib_math_raise_with_fix(d):
    for convert in (float, int, stdmath.sin, stdmath.exp, complex):
        with pytest.raises(TypeError) as info:
            convert(d)
        assert isinstance(info.value, dd.DualConversionError)
        msg = str(info.value)
        assert ".value" in msg, msg
        assert "dd.sin" in msg or "np.sin" in msg, msg
    assert issubclass(dd.DualConversionError, TypeError)


def test_stdlib_math_inside_a_transform_raises():
    with pytest.raises(TypeError, match=r"\.value"):
        dd.grad(lambda x: stdmath.sin(x[0]) + x[1])(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"\.value"):
        dd.derivative(lambda x: stdmath.exp(x))(1.0)
    with pytest.raises(TypeError):
        dd.hessian(lambda x: float(x[0]) * x[1])(np.array([1.0, 2.0]))


def _store_in_float_array(x):
    a = np.zeros(2)
    a[0] = x[0] * 2.0
    return a.sum()


@pytest.mark.parametrize("transform", [dd.grad, dd.hessian, dd.jacobian])
def test_storing_a_dual_into_a_float_array_inside_a_transform(transform):
    with pytest.raises(TypeError, match="zeros_like"):
        transform(_store_in_float_array)(np.array([1.0, 2.0]))


@pytest.mark.parametrize("transform", [dd.derivative, dd.second_derivative])
def test_storing_a_dual_into_a_float_array_inside_a_scalar_transform(transform):
    def f(x):
        a = np.zeros(1)
        a[0] = x
        return a[0]

    with pytest.raises(TypeError, match="zeros_like"):
        transform(f)(1.0)


@pytest.mark.parametrize("d", NUMBERS, ids=["Dual", "HyperDual"])
def test_storing_a_dual_into_a_float_array_directly(d):
    """Outside a transform numpy raises its own ValueError (a dual supports indexing, so
    numpy takes it for a sequence); dualdiff's message naming the fix is its cause
    (docs/conventions.md).  Inside a transform it is a DualConversionError (above)."""
    a = np.zeros(3)
    with pytest.raises((TypeError, ValueError)) as info:
        a[0] = d
    causes = [info.value, info.value.__cause__, info.value.__context__]
    assert any(isinstance(c, dd.DualConversionError) and "zeros_like" in str(c) for c in causes)
    assert np.all(a == 0.0)


def test_storing_into_a_dual_array_works():
    """The fix the error names: allocate from x."""
    def f(x):
        a = np.zeros_like(x)
        for i in range(len(x)):
            a[i] = x[i] ** 2
        return a.sum()

    np.testing.assert_array_equal(dd.grad(f)(np.array([1.0, -2.0, 3.0])), [2.0, -4.0, 6.0])


# -- transform input and output errors ---------------------------------------------------------

def test_grad_of_vector_output_says_jacobian():
    for transform in (dd.grad, dd.hessian, dd.value_and_grad, dd.value_grad_hessian):
        with pytest.raises(TypeError, match="jacobian"):
            transform(lambda x: x * 2.0)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="jacobian"):
        dd.hvp(lambda x: x * 2.0, np.array([1.0, 2.0]), np.array([1.0, 0.0]))


BAD_X = ["abc", b"abc", None, 1 + 2j, np.complex128(1.0), True, np.bool_(False),
         np.array([1.0 + 1.0j, 2.0]), np.array([True, False]), ["a", "b"], {1: 2}]


@pytest.mark.parametrize("bad", BAD_X, ids=repr)
def test_bad_x_types_raise_type_error(bad):
    scalar = lambda x: x * 1.0
    total = lambda x: np.sum(x)
    for call in (
        lambda: dd.derivative(scalar)(bad),
        lambda: dd.second_derivative(scalar)(bad),
        lambda: dd.grad(total)(bad),
        lambda: dd.jacobian(scalar)(bad),
        lambda: dd.hessian(total)(bad),
        lambda: dd.value_and_grad(total)(bad),
        lambda: dd.value_grad_hessian(total)(bad),
        lambda: dd.jvp(scalar, bad, 1.0),
        lambda: dd.hvp(total, bad, 1.0),
    ):
        with pytest.raises(TypeError):
            call()


def test_wrong_direction_shape_raises_value_error():
    x = np.array([1.0, 2.0, 3.0])
    f = lambda x: np.sum(x**2)
    for v in (np.ones(2), np.ones(4), np.ones((3, 1)), 1.0):
        with pytest.raises(ValueError):
            dd.jvp(f, x, v)
        with pytest.raises(ValueError):
            dd.hvp(f, x, v)
    with pytest.raises(ValueError):
        dd.jvp(lambda t: t * t, 2.0, np.ones(2))


def test_derivative_needs_scalar_x():
    for transform in (dd.derivative, dd.second_derivative):
        with pytest.raises(TypeError):
            transform(lambda x: x * 2.0)(np.array([1.0, 2.0]))
        with pytest.raises(TypeError):
            transform(lambda x: x * 2.0)([1.0, 2.0])


def test_scalar_inputs_accepted_in_every_form():
    f = lambda x: x**3
    for x in (2.0, 2, np.float64(2.0), np.float32(2.0), np.int64(2), np.array(2.0)):
        assert dd.derivative(f)(x) == 12.0
        assert dd.second_derivative(f)(x) == 12.0
        assert dd.grad(f)(x) == 12.0
        assert dd.hessian(f)(x) == 12.0


# -- the number protocol ------------------------------------------------------------------

def test_comparisons_use_the_value_only():
    a, b = dd.Dual(1.0, 5.0), dd.Dual(2.0, -3.0)
    assert a < b and a <= b and b > a and b >= a and a != b
    assert a == dd.Dual(1.0, 99.0)
    assert a == 1.0 and 1.0 == a and a < 1.5 and 0.5 < a and a >= 1 and np.float64(2.0) > a
    h = dd.HyperDual(3.0, 1.0, 2.0, 4.0)
    assert h == 3.0 and h > a and h == dd.HyperDual(3.0) and not (h < 3.0)
    assert max(a, b) is b and sorted([b, a])[0] is a
    # branches on duals follow the value
    f = lambda x: x * x if x > 0 else -x
    assert dd.derivative(f)(3.0) == 6.0
    assert dd.derivative(f)(-3.0) == -1.0
    # array comparisons: elementwise on values
    d = dd.Dual(np.array([1.0, 2.0, 3.0]), np.ones(3))
    np.testing.assert_array_equal(d > 1.5, [False, True, True])


def test_duals_are_unhashable_but_compare_by_value():
    """Issue 10: a cache keyed on a dual would hand back another number's derivative."""
    for d in (dd.Dual(2.0, 1.0), dd.HyperDual(2.0, 1.0, 2.0, 3.0)):
        with pytest.raises(TypeError, match="unhashable.*lru_cache.*\\.value"):
            hash(d)
        with pytest.raises(TypeError):
            {d: 1}
        assert d == 2.0 and d < 3.0 and not d > 2.0


def test_repr_is_readable():
    assert repr(dd.Dual(2.0, 1.0)) == "Dual(2.0, eps=1.0)"
    assert repr(dd.Dual(-0.5)) == "Dual(-0.5, eps=0.0)"
    r = repr(dd.HyperDual(1.0, 2.0, 3.0, 4.0))
    assert r == "HyperDual(1.0, eps1=2.0, eps2=3.0, eps12=4.0)", r
    ra = repr(dd.Dual(np.array([1.0, 2.0]), np.array([0.0, 1.0])))
    assert ra.startswith("Dual(") and "eps=" in ra and "1." in ra and "np.float64" not in ra
    # a result of arithmetic prints plain numbers (no np.float64(...) noise)
    r = repr(dd.Dual(1.0, 1.0) * 2.0)
    assert r == "Dual(2.0, eps=2.0)", r


def test_mixed_operands():
    d = dd.Dual(2.0, 1.0)
    for other in (3, 3.0, np.float64(3.0), np.int32(3), np.float32(3.0)):
        assert (d * other).eps == 3.0 and (other * d).eps == 3.0
        assert (other - d).eps == -1.0 and (other / d).eps == -0.75
        assert (d**other).eps == 12.0
    for other in (3, 3.0, np.float64(3.0), np.int32(3)):
        assert (other**d).eps == pytest.approx(9.0 * np.log(3.0), rel=1e-15)
    arr = np.array([1.0, 2.0])
    r = d * arr
    np.testing.assert_array_equal(r.eps, arr)
    r = arr * d
    np.testing.assert_array_equal(np.asarray(r.eps if isinstance(r, dd.Dual) else [e.eps for e in r]), arr)


@pytest.mark.parametrize("base", [np.float32(3.0), np.array([3.0], dtype=np.float32)], ids=["scalar", "array"])
def test_float32_constant_base_to_a_dual_power(base):
    """numpy promotes float32 ** float64 to float64 (the value here is float64 9.0), so the
    derivative 9 ln 3 must be float64-accurate too; 3.0 is exact in float32."""
    r = base ** dd.Dual(2.0, 1.0)
    np.testing.assert_allclose(r.value, 9.0, rtol=0)
    np.testing.assert_allclose(r.eps, 9.0 * np.log(3.0), rtol=1e-14)


def test_clip_and_where():
    f = lambda x: dd.clip(x, -1.0, 1.0)
    assert dd.derivative(f)(0.3) == 1.0
    assert dd.derivative(f)(2.0) == 0.0
    assert dd.derivative(f)(-2.0) == 0.0
    assert dd.derivative(f)(1.0) == 0.5  # documented tie convention
    g = lambda x: dd.where(x > 0, x**2, -x)
    assert dd.derivative(g)(3.0) == 6.0
    assert dd.derivative(g)(-3.0) == -1.0
    np.testing.assert_array_equal(dd.grad(lambda x: np.sum(dd.where(x > 0, x**2, 3 * x)))(np.array([2.0, -1.0])),
                                  [4.0, 3.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan partials are the point here
def test_nan_safe_gradient():
    np.testing.assert_array_equal(dd.grad(lambda x: dd.sqrt(x[0]) + x[1])(np.array([0.0, 1.0])), [np.inf, 1.0])
    H = dd.hessian(lambda x: dd.sqrt(x[0]) + x[1] ** 2)(np.array([0.0, 1.0]))
    assert H[1, 1] == 2.0 and H[0, 1] == 0.0 and H[1, 0] == 0.0


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
