"""The textbook examples, against their closed forms.

* sigmoid'(x) = s(x)·(1 - s(x));
* x / (x² + 1) has critical points at ±1 with f''(1) = -1/2 and f''(-1) = 1/2;
* f(x, y) = x² y has ∂²f/∂x∂y = 2x;
* the Hessian of ½‖Ax - y‖², written with element loops, is AᵀA (and its gradient
  Aᵀ(Ax - y));
* the entropy Σ -x_i log x_i has gradient -log x_i - 1 and Hessian diag(-1/x_i).

Tolerances: the closed forms are evaluated in float64 too, so both sides carry a few
ulps of rounding; rtol 1e-13 (~450 ulp) unless stated.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd

SETTINGS = settings(max_examples=40, deadline=None)
RTOL = 1e-13


def closed_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@SETTINGS
@given(st.floats(-30, 30, allow_nan=False))
def test_sigmoid_derivative(x):
    s = closed_sigmoid(x)
    # s(1 - s) loses accuracy for x >> 0 (1 - s cancels); s(x)·s(-x) is the same exactly
    want = s * closed_sigmoid(-x)
    np.testing.assert_allclose(dd.derivative(dd.sigmoid)(x), want, rtol=1e-13)
    if abs(x) < 5:  # where 1 - s does not cancel, the textbook form itself
        np.testing.assert_allclose(dd.derivative(dd.sigmoid)(x), s * (1 - s), rtol=1e-13)
    # s'' = s(1 - s)(1 - 2s)
    np.testing.assert_allclose(dd.second_derivative(dd.sigmoid)(x), want * np.tanh(-x / 2),
                               rtol=1e-12, atol=1e-300)
    # the same written by hand with operators
    np.testing.assert_allclose(dd.derivative(lambda t: 1 / (1 + np.exp(-t)))(x), want, rtol=1e-12)


def test_critical_points_of_x_over_x2_plus_1():
    f = lambda x: x / (x**2 + 1)
    df = dd.derivative(f)
    d2f = dd.second_derivative(f)
    assert df(1.0) == 0.0
    assert df(-1.0) == 0.0
    assert d2f(1.0) == -0.5
    assert d2f(-1.0) == 0.5
    for x in (-3.0, -0.4, 0.0, 0.5, 2.0):
        np.testing.assert_allclose(df(x), (1 - x**2) / (x**2 + 1) ** 2, rtol=RTOL)
        np.testing.assert_allclose(d2f(x), 2 * x * (x**2 - 3) / (x**2 + 1) ** 3, rtol=RTOL, atol=1e-300)
    # Newton's method on f' with f'' finds the critical point
    x = 0.7
    for _ in range(20):
        x -= df(x) / d2f(x)
    assert abs(x - 1.0) < 1e-15


@pytest.mark.parametrize("x,y", [(1.0, 2.0), (-3.5, 0.25), (0.0, 7.0), (2.5, -1.0)])
def test_mixed_partial_of_x2_y(x, y):
    f = lambda v: v[0] ** 2 * v[1]
    H = dd.hessian(f)(np.array([x, y]))
    assert H[0, 1] == H[1, 0] == 2 * x
    assert H[0, 0] == 2 * y
    assert H[1, 1] == 0.0
    np.testing.assert_array_equal(dd.grad(f)(np.array([x, y])), [2 * x * y, x**2])
    # one hyper-dual evaluation with ε1 on x and ε2 on y
    h = dd.HyperDual(x, 1.0, 0.0) ** 2 * dd.HyperDual(y, 0.0, 1.0)
    assert h.eps12 == 2 * x


def least_squares(x, A, y):
    """½‖Ax - y‖² with explicit element loops."""
    total = 0.0
    for i in range(len(y)):
        r = -y[i]
        for j in range(len(x)):
            r = r + A[i][j] * x[j]
        total = total + 0.5 * r * r
    return total


@pytest.mark.parametrize("m,n", [(3, 2), (5, 4), (4, 6)])
def test_least_squares_hessian_is_AtA(m, n):
    rng = np.random.default_rng(10 * m + n)
    A = rng.normal(size=(m, n))
    y = rng.normal(size=m)
    x = rng.normal(size=n)
    AtA = A.T @ A
    for chunk in [*range(1, n + 1), None]:
        H = dd.hessian(least_squares, chunk=chunk)(x, A, y)
        assert np.array_equal(H, H.T)
        np.testing.assert_allclose(H, AtA, rtol=RTOL, atol=RTOL * np.abs(AtA).max())
    np.testing.assert_allclose(dd.grad(least_squares)(x, A, y), A.T @ (A @ x - y), rtol=1e-12,
                               atol=1e-13 * np.abs(A).sum() * (np.abs(x).max() + np.abs(y).max()))
    # A passes through as a keyword argument too
    np.testing.assert_allclose(dd.hessian(least_squares)(x, A=A, y=y), AtA, rtol=RTOL,
                               atol=RTOL * np.abs(AtA).max())


def entropy(x):
    return sum(-xi * dd.log(xi) for xi in x)


@SETTINGS
@given(st.lists(st.floats(1e-3, 10.0, allow_nan=False), min_size=1, max_size=6))
def test_entropy_gradient(xs):
    x = np.array(xs)
    np.testing.assert_allclose(dd.grad(entropy)(x), -np.log(x) - 1.0, rtol=1e-14, atol=1e-15)
    H = dd.hessian(entropy)(x)
    # the product rule forms -(2/x - x/x²): a couple of roundings, so not bit-exact
    np.testing.assert_allclose(np.diag(H), -1.0 / x, rtol=1e-14)
    np.testing.assert_array_equal(H - np.diag(np.diag(H)), 0.0)  # separable: exact zeros


def test_entropy_vectorised_matches_loop():
    x = np.array([0.1, 0.5, 2.0, 3.0])
    g = dd.grad(lambda x: -np.sum(x * np.log(x)))(x)
    np.testing.assert_allclose(g, -np.log(x) - 1.0, rtol=1e-14)
    np.testing.assert_allclose(dd.grad(entropy)(x), g, rtol=1e-14)
