"""Optimizer answers that claim no more than they know (issue 10, item 5).

* ``classify_critical_point`` says "not critical" where the gradient is not small;
* the Newton methods use directions of negative curvature to leave maxima and saddles,
  and report success only where the second-order conditions hold;
* an objective that decreases without bound stops early, unsuccessfully, saying so.

Every oracle here is analytic (values worked out by hand in the comments), not dualdiff.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dualdiff.optimize import Status, classify_critical_point, minimize

NEWTONS = {
    "newton": dict(method="newton"),
    "newton-abs": dict(method="newton", modification="abs"),
    "newton-levenberg": dict(method="newton", modification="levenberg"),
    "newton-trust": dict(method="newton-trust"),
}


def quartic_well(x):
    """-x² - y² + x⁴ + y⁴: a local maximum at 0 (H = -2I), saddles at (±1/√2, 0) and
    (0, ±1/√2), minima -1/2 at (±1/√2, ±1/√2) where H = 4I."""
    return -x[0] ** 2 - x[1] ** 2 + x[0] ** 4 + x[1] ** 4


def mexican_hat(x):
    """-r² + r⁴/10, r² = x² + y²: a local maximum at 0, a ring of minima -5/2 at r² = 5."""
    r2 = x[0] ** 2 + x[1] ** 2
    return -r2 + 0.1 * r2**2


def double_well(x):
    """x² - y² + y⁴/4: a saddle at 0 (H = diag(2, -2)), minima -1 at (0, ±√2)."""
    return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4


# -- 1. classify_critical_point: "not critical" ---------------------------------------------------

def test_a_point_with_a_large_gradient_is_not_critical():
    # at (3, 2): ∇f = (-2·3 + 4·27, -2·2 + 4·8) = (102, 28), H = diag(-2 + 12·9, -2 + 12·4)
    point = classify_critical_point(quartic_well, np.array([3.0, 2.0]))
    assert point.kind == "not critical" and not point.is_critical
    assert point.gradient_norm == pytest.approx(math.hypot(102.0, 28.0), rel=1e-14)
    np.testing.assert_allclose(point.eigenvalues, [46.0, 106.0], rtol=1e-14)
    assert "not critical" in str(point)
    # the gradient tolerance is a keyword: with tol above |∇f| the Hessian's verdict shows
    assert classify_critical_point(quartic_well, np.array([3.0, 2.0]), tol=200.0).kind == "minimum"


def test_not_critical_for_a_scalar_and_near_a_maximum():
    # x / (x² + 1): f'(0) = 1, f''(0) = 0
    point = classify_critical_point(lambda x: x / (x**2 + 1), 0.0)
    assert point.kind == "not critical" and point.gradient_norm == pytest.approx(1.0)
    np.testing.assert_allclose(point.eigenvalues, [0.0], atol=1e-15)
    # 1e-3 from the maximum of -x² - y²: |∇f| = 2·√2·1e-3 is not small, the Hessian is -2I
    point = classify_critical_point(lambda x: -x[0] ** 2 - x[1] ** 2, [1e-3, 1e-3])
    assert point.kind == "not critical"
    np.testing.assert_allclose(point.eigenvalues, [-2.0, -2.0])
    # ... and 1e-9 from it the gradient is below the default tol (1e-6)
    assert classify_critical_point(lambda x: -x[0] ** 2 - x[1] ** 2, [1e-9, 1e-9]).kind == "maximum"


# -- 2. second-order conditions: leave maxima and saddles, report honestly -----------------------

@pytest.mark.parametrize("variant", NEWTONS)
@pytest.mark.parametrize("start", [[1e-9, 1e-9], [0.0, 0.0], [-1e-9, 3e-10]])
def test_newton_leaves_a_local_maximum(variant, start):
    res = minimize(quartic_well, np.array(start), **NEWTONS[variant])
    assert res.success and res.status is Status.CONVERGED, res.message
    assert res.fun == pytest.approx(-0.5, abs=1e-12)
    np.testing.assert_allclose(np.abs(res.x), [1 / math.sqrt(2)] * 2, atol=1e-8)
    np.testing.assert_allclose(res.hess, 4.0 * np.eye(2), atol=1e-6)


@pytest.mark.parametrize("variant", NEWTONS)
def test_newton_leaves_the_top_of_a_mexican_hat(variant):
    res = minimize(mexican_hat, np.array([1e-9, 1e-9]), **NEWTONS[variant])
    assert res.success, res.message
    assert res.fun == pytest.approx(-2.5, abs=1e-12)
    assert float(res.x @ res.x) == pytest.approx(5.0, abs=1e-8)


@pytest.mark.parametrize("variant", NEWTONS)
@pytest.mark.parametrize("start", [[0.0, 0.0], [0.3, 0.0], [0.3, 1e-12]])
def test_newton_leaves_a_saddle(variant, start):
    res = minimize(double_well, np.array(start), **NEWTONS[variant])
    assert res.success, res.message
    assert res.fun == pytest.approx(-1.0, abs=1e-12)
    np.testing.assert_allclose(np.abs(res.x), [0.0, math.sqrt(2)], atol=1e-8)


@pytest.mark.parametrize("variant", NEWTONS)
def test_newton_still_never_goes_uphill_when_leaving_a_maximum(variant):
    res = minimize(quartic_well, np.array([1e-9, 1e-9]), record_path=True, **NEWTONS[variant])
    assert np.all(np.diff(res.path.fun) <= 0)


@pytest.mark.parametrize("variant", NEWTONS)
def test_from_next_to_every_critical_point_newton_ends_at_a_minimum(variant):
    # quartic_well's nine critical points: (a, b) with a, b in {0, ±1/√2}; only the four
    # with a, b both nonzero are minima.  Started 1e-9 off each, every run ends at one.
    r = 1 / math.sqrt(2)
    for a in (-r, 0.0, r):
        for b in (-r, 0.0, r):
            res = minimize(quartic_well, np.array([a + 1e-9, b - 1e-9]), **NEWTONS[variant])
            assert res.success and res.fun == pytest.approx(-0.5, abs=1e-12), (a, b, res.message)
            if variant == "newton" and (a == 0.0 or b == 0.0):
                assert res.nneg >= 1  # it left along a direction of negative curvature


def test_the_stopping_messages_at_a_maximum():
    # maxiter = 0 at a point that passes the gradient test but is a maximum: not "converged"
    res = minimize(quartic_well, np.array([1e-9, 1e-9]), maxiter=0)
    assert not res.success and res.status is Status.MAXITER and "local maximum" in res.message
    res = minimize(double_well, np.zeros(2), method="newton-trust", maxiter=0)
    assert res.status is Status.MAXITER and "saddle point" in res.message
    with pytest.raises(ValueError, match="tol"):
        classify_critical_point(quartic_well, np.zeros(2), tol=-1.0)


def test_pure_newton_at_a_maximum_or_saddle_is_not_a_success():
    # pure Newton solves ∇f = 0: it converges to the maximum of x/(x² + 1) at x = 1 (f'' = -1/2)
    res = minimize(lambda x: x / (x**2 + 1), 0.8, method="newton", modification=None, line_search=False,
                   tol=1e-13)
    assert not res.success and res.status is Status.SADDLE
    assert res.x == pytest.approx(1.0, abs=1e-10)
    assert "maximum" in res.message and "modification=None" in res.message
    # ... and to the saddle of x² - y² + y⁴/4 from near it
    res = minimize(double_well, [0.3, 1e-3], method="newton", modification=None)
    assert not res.success and res.status is Status.SADDLE and "saddle" in res.message
    np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-8)


def test_second_order_success_at_a_degenerate_minimum():
    # x⁴ + y²: H = diag(12x², 2) >= 0, no negative curvature: the minimum is a success
    res = minimize(lambda x: x[0] ** 4 + x[1] ** 2, [1.0, 1.0], method="newton")
    assert res.success and abs(res.x[0]) < 1e-2 and abs(res.x[1]) < 1e-12


# -- 3. unbounded objectives ---------------------------------------------------------------------

def linear(x):
    """-x + 0·y: unbounded below, the Hessian is 0 everywhere."""
    return -x[0] + 0.0 * x[1]


def cubic(x):
    """x³: unbounded below as x → -∞."""
    return x**3


ALL = ["gd", "momentum", "nesterov", "newton", "newton-trust"]


def _check_unbounded(res):
    assert not res.success and res.status is Status.UNBOUNDED, (res.status, res.message)
    assert "unbounded" in res.message
    assert res.fun < -1e30 and math.isfinite(res.fun) or res.fun == -math.inf


@pytest.mark.parametrize("method", ALL)
def test_x_cubed_is_unbounded_below(method):
    res = minimize(cubic, -1.0, method=method)
    _check_unbounded(res)
    assert res.x < 0 and res.nit <= 100


@pytest.mark.parametrize("method", ["newton", "newton-trust"])
@pytest.mark.parametrize("variant", ["shift", "abs", "levenberg"])
def test_a_linear_objective_is_unbounded_below(method, variant):
    options = dict(modification=variant) if method == "newton" else {}
    if method == "newton-trust" and variant != "shift":
        pytest.skip("one trust-region run is enough")
    res = minimize(linear, np.zeros(2), method=method, **options)
    _check_unbounded(res)
    assert res.nit <= 30 and res.x[0] > 1e30 and res.x[1] == 0.0


@pytest.mark.parametrize("method", ["newton", "newton-trust"])
def test_a_concave_quadratic_is_unbounded_below(method):
    for start in ([1.0, -2.0], [0.0, 0.0]):
        res = minimize(lambda x: -x[0] ** 2 - 3 * x[1] ** 2, np.array(start), method=method)
        _check_unbounded(res)
        assert res.nit <= 30


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_first_order_methods_on_a_linear_objective_say_it_may_be_unbounded(method):
    # a constant gradient: each step lowers f by the same amount, so no threshold is reached
    # in maxiter steps; the MAXITER message says what the run saw
    res = minimize(linear, np.zeros(2), method=method, maxiter=200)
    assert not res.success and res.status is Status.MAXITER
    assert "unbounded" in res.message


def test_gd_leaving_a_saddle_runs_away_unbounded():
    # x² - y² from just off the x axis: y_m = y0·1.2^m, f = -y² → -∞
    res = minimize(lambda x: x[0] ** 2 - x[1] ** 2, [-0.7, -0.01], method="gd", learning_rate=0.1)
    _check_unbounded(res)


BOUNDED = [
    # (f, x0, f*): large values, long linear stretches, negative minima: no false "unbounded"
    (lambda x: np.sum(np.sqrt(1.0 + x**2)), np.array([30.0, -20.0]), 2.0),      # pseudo-Huber
    (lambda x: (x[0] - 300.0) ** 2 + x[1] ** 2 - 1e20, np.array([0.0, 1.0]), -1e20),
    (lambda x: 1e25 * ((x[0] - 1) ** 2 + (x[1] + 2) ** 2) - 1e27, np.array([5.0, 5.0]), -1e27),
]


@pytest.mark.parametrize("method", ["newton", "newton-trust"])
@pytest.mark.parametrize("case", range(len(BOUNDED)))
def test_bounded_objectives_are_not_called_unbounded(method, case):
    f, x0, fstar = BOUNDED[case]
    res = minimize(f, x0, method=method)
    assert res.status is not Status.UNBOUNDED and "unbounded" not in res.message
    assert res.fun == pytest.approx(fstar, rel=1e-12)


def test_unbounded_and_saddle_statuses_are_failures():
    assert not Status.UNBOUNDED.success and not Status.SADDLE.success
