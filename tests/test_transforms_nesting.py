"""Nested transforms: perturbation confusion, higher derivatives by nesting, jacobian of
grad = hessian.  Oracles: closed forms."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import dualdiff as dd

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
