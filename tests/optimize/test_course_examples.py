"""Course examples: gradient descent step sizes, saddles, linear regression, Newton for
critical points, and the second-derivative test."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import math as dmath
from dualdiff.optimize import Status, classify_critical_point, minimize, root_scalar


def parabola(x):
    return x**2 + 4


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.25, 0.4, 0.49])
def test_gd_on_x2_plus_4_converges_for_alpha_below_one_half(alpha):
    res = minimize(parabola, 3.0, method="gd", learning_rate=alpha, record_path=True)
    assert res.success and res.status is Status.CONVERGED
    assert isinstance(res.x, float) and abs(res.x) <= 0.5e-8 and res.fun == pytest.approx(4.0)
    # the iterates are exactly x_m = x0 (1 - 2 alpha)^m, monotonically decreasing to 0
    m = np.arange(len(res.path))
    np.testing.assert_allclose(res.path.x, 3.0 * (1 - 2 * alpha) ** m, rtol=1e-12, atol=1e-300)
    assert np.all(np.diff(res.path.x) < 0) and np.all(np.diff(res.path.fun) <= 0)  # 4 + x² rounds to 4
    assert res.nit == len(res.path) - 1


def test_gd_iterates_are_exact_for_alpha_one_quarter():
    # x - 0.25·2x = x/2 has no rounding error: the recorded path is bit-exact
    res = minimize(parabola, 1.0, method="gd", alpha=0.25, record_path=True)
    np.testing.assert_array_equal(res.path.x, 0.5 ** np.arange(len(res.path)))
    assert res.nit == 28  # 2 x_m <= 1e-8 first at m = 28


def test_gd_on_x2_plus_4_oscillates_but_converges_for_alpha_between_one_half_and_one():
    res = minimize(parabola, 3.0, method="gd", learning_rate=0.75, record_path=True)
    assert res.success
    assert np.all(np.sign(res.path.x[1:]) == -np.sign(res.path.x[:-1]))  # x_m = 3 (-1/2)^m


def test_gd_on_x2_plus_4_cycles_at_alpha_one():
    res = minimize(parabola, 3.0, method="gd", learning_rate=1.0, maxiter=20, record_path=True)
    assert not res.success and res.status is Status.MAXITER and "Maximum number of iterations" in res.message
    np.testing.assert_array_equal(np.abs(res.path.x), 3.0)


@pytest.mark.parametrize("alpha", [1.01, 1.5, 3.0])
def test_gd_on_x2_plus_4_diverges_for_alpha_above_one(alpha):
    res = minimize(parabola, 3.0, method="gd", learning_rate=alpha, maxiter=2000, record_path=True)
    assert not res.success
    x = res.path.x
    assert np.all(np.abs(x[1:]) > np.abs(x[:-1]))  # |x_m| = 3 |1 - 2 alpha|^m grows
    m = np.arange(min(len(x), 50))
    np.testing.assert_allclose(x[m], 3.0 * (1 - 2 * alpha) ** m, rtol=1e-12)
    if alpha == 1.01:  # |x| grows by 1.02 per step: 3·1.02^2000 ≈ 5e17 after 2000 steps
        assert res.status is Status.MAXITER and abs(res.x) > 1e17
    else:  # x² overflows
        assert res.status is Status.NOT_FINITE
        assert "inf or NaN" in res.message and "learning_rate" in res.message


def test_gd_on_a_quartic_reaches_plus_sqrt3():
    res = minimize(lambda x: (x**2 - 3) ** 2, 2.0, method="gd", learning_rate=0.01)
    assert res.success and res.x == pytest.approx(math.sqrt(3), abs=1e-9)
    res = minimize(lambda x: (x**2 - 3) ** 2, -2.0, method="gd", learning_rate=0.01)
    assert res.x == pytest.approx(-math.sqrt(3), abs=1e-9)
    for method in ("newton", "newton-trust", "momentum", "nesterov"):
        res = minimize(lambda x: (x**2 - 3) ** 2, 2.0, method=method)
        assert res.success and res.x == pytest.approx(math.sqrt(3), abs=1e-9), method


def test_linear_regression_through_the_origin_by_gd_matches_the_closed_form():
    rng = np.random.default_rng(1)
    xs = np.linspace(0.0, 2.0, 20)
    ys = 1.7 * xs + 0.1 * rng.standard_normal(20)

    def loss(m, xs, ys):  # the sum of squared residuals of y = m x
        return np.sum((ys - m * xs) ** 2)

    res = minimize(loss, 0.0, method="gd", learning_rate=0.01, args=(xs, ys), tol=1e-12)
    assert res.success
    assert res.x == pytest.approx(np.sum(xs * ys) / np.sum(xs**2), rel=1e-10)
    # plain-Python loss with a loop: same answer
    def loop_loss(m):
        return sum((y - m * x) ** 2 for x, y in zip(xs.tolist(), ys.tolist(), strict=True))

    assert minimize(loop_loss, 0.0, method="gd", learning_rate=0.01, tol=1e-12).x == pytest.approx(res.x, rel=1e-10)
    assert minimize(loop_loss, 0.0, method="newton").nit == 1


def saddle(x):
    return x[0] ** 2 - x[1] ** 2


def test_gd_stalls_at_the_saddle_of_x2_minus_y2_from_the_x_axis():
    res = minimize(saddle, [-0.7, 0.0], method="gd", learning_rate=0.1, record_path=True)
    # the gradient (2x, -2y) never gets a y component: gd "converges" to the saddle
    assert res.success and np.all(res.path.x[:, 1] == 0.0)
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-8)
    point = classify_critical_point(saddle, res.x)
    assert point.is_critical and point.kind == "saddle"


def test_gd_escapes_the_saddle_from_slightly_off_the_axis():
    res = minimize(saddle, [-0.7, -0.01], method="gd", learning_rate=0.1, maxiter=100, record_path=True)
    y = res.path.x[:, 1]
    np.testing.assert_allclose(y, -0.01 * 1.2 ** np.arange(len(y)), rtol=1e-12)  # y_m = y0 (1 + 2 alpha)^m
    assert abs(res.x[1]) > 100 and res.fun < -1 and np.all(np.diff(res.path.fun) < 0)
    assert not res.success and res.status is Status.MAXITER
    # left to run, it diverges: f -> -inf, and the run stops once f is below -1e30·max(1, |f(x0)|)
    res = minimize(saddle, [-0.7, -0.01], method="gd", learning_rate=0.1)
    assert res.status is Status.UNBOUNDED and "unbounded" in res.message and res.fun < -1e30


def rational(x):
    return x / (x**2 + 1)  # f' = (1 - x²)/(1 + x²)², critical points ±1


@pytest.mark.parametrize("x0,expected", [(0.5, 1.0), (1.4, 1.0), (-0.5, -1.0), (-1.3, -1.0)])
def test_newton_on_f_prime_finds_the_critical_points_of_x_over_x2_plus_1(x0, expected):
    res = root_scalar(dd.derivative(rational), x0)
    assert res.converged and res.root == pytest.approx(expected, abs=1e-12)
    assert res.iterations <= 8


def test_newton_for_critical_points_pure_and_modified():
    # pure Newton (no modification, no line search) solves f'(x) = 0: it finds the maximum too,
    # and says so: f''(1) = -1/2 < 0, not a minimum, so no success
    res = minimize(rational, 0.8, method="newton", modification=None, line_search=False, tol=1e-13)
    assert not res.success and res.status is Status.SADDLE and "maximum" in res.message
    assert res.x == pytest.approx(1.0, abs=1e-10)
    # modified Newton minimises: from the concave side it moves downhill to the minimum -1
    for x0 in (0.5, -0.5, -3.0):
        res = minimize(rational, x0, method="newton", record_path=True, tol=1e-13)
        assert res.success and res.x == pytest.approx(-1.0, abs=1e-10), x0
        assert np.all(np.diff(res.path.fun) <= 0)
        assert minimize(rational, x0, method="newton-trust", tol=1e-13).x == pytest.approx(-1.0, abs=1e-10)


def test_second_derivative_test_on_x_over_x2_plus_1():
    top, bottom = classify_critical_point(rational, 1.0), classify_critical_point(rational, -1.0)
    assert top.kind == "maximum" and bottom.kind == "minimum"
    assert top.is_critical and bottom.is_critical
    np.testing.assert_allclose(top.eigenvalues, [-0.5])   # f''(1) = -1/2
    np.testing.assert_allclose(bottom.eigenvalues, [0.5])
    assert top.value == 0.5 and bottom.value == -0.5
    assert not classify_critical_point(rational, 0.0).is_critical  # f'(0) = 1
    assert classify_critical_point(rational, 0.0).kind == "not critical"  # f''(0) = 0 is beside the point


def test_saddle_of_x2_minus_y2_and_other_classifications():
    point = classify_critical_point(saddle, np.zeros(2))
    assert point.kind == "saddle" and point.is_critical and point.gradient_norm == 0.0
    np.testing.assert_array_equal(point.eigenvalues, [-2.0, 2.0])
    assert "saddle" in str(point)
    assert classify_critical_point(lambda x: x[0] ** 2 + 3 * x[1] ** 2, [0.0, 0.0]).kind == "minimum"
    assert classify_critical_point(lambda x: -x[0] ** 2 - dmath.cosh(x[1]), [0.0, 0.0]).kind == "maximum"
    # x⁴ + y²: a minimum the second-derivative test cannot see
    assert classify_critical_point(lambda x: x[0] ** 4 + x[1] ** 2, [0.0, 0.0]).kind == "degenerate"
    # monkey saddle x³ - 3xy²: H = 0
    assert classify_critical_point(lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2, [0.0, 0.0]).kind == "degenerate"
    # mixed signs with a zero eigenvalue is still a saddle
    assert classify_critical_point(lambda x: x[0] ** 2 - x[1] ** 2 + x[2] ** 4, np.zeros(3)).kind == "saddle"
