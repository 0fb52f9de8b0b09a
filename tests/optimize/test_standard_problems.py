"""Standard problems with known minima: every method that should converge reaches the
minimum; Newton converges quadratically and never takes an ascent step.

The problems (f, x0, x*) come from the shared catalogue :mod:`dualdiff.problems`.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.optimize import Status, classify_critical_point, minimize
from dualdiff.problems import HIMMELBLAU_MINIMA, MINIMA, QUADRATIC_A, beale, himmelblau, rosenbrock, wood

PROBLEMS = MINIMA  # name: (f, x0, x*), from the shared catalogue


# -- every method that should converge reaches the known minimum -----------------------------

NEWTON_VARIANTS = {
    "newton": dict(method="newton"),
    "newton-abs": dict(method="newton", modification="abs"),
    "newton-levenberg": dict(method="newton", modification="levenberg"),
    "newton-trust": dict(method="newton-trust"),
}


def _check_minimum(res, f, xstar, xtol=1e-6):
    assert res.success, res.message
    assert res.status in (Status.CONVERGED, Status.SMALL_STEP, Status.ROUNDING)
    assert np.linalg.norm(np.asarray(res.x) - xstar) <= xtol, (res.x, xstar)
    assert res.fun == pytest.approx(float(f(np.asarray(xstar, dtype=float))), abs=1e-10)


@pytest.mark.parametrize("variant", NEWTON_VARIANTS)
@pytest.mark.parametrize("name", PROBLEMS)
def test_newton_methods_reach_the_minimum(name, variant):
    f, x0, xstar = PROBLEMS[name]
    res = minimize(f, x0, **NEWTON_VARIANTS[variant])
    # Powell's Hessian is singular at the minimum: the gradient is O(|x - x*|³) there,
    # so ||g|| <= 1e-8 only pins x to about 1e-3 (Newton converges linearly, not quadratically)
    _check_minimum(res, f, xstar, xtol=1e-2 if name == "powell" else 1e-6)
    assert np.linalg.norm(res.jac) <= 1e-8 or res.status is Status.SMALL_STEP
    assert res.nit <= 70
    assert res.hess.shape == (len(x0), len(x0))
    np.testing.assert_allclose(res.jac, dd.grad(f)(res.x))


FIRST_ORDER = [
    # (problem, method, options): each converges to ||g|| <= 1e-8 within 10000 iterations
    ("quadratic", "gd", dict(learning_rate=0.2)),
    ("booth", "gd", dict(learning_rate=0.05)),
    ("quadratic", "gd", dict(line_search=True)),
    ("booth", "gd", dict(line_search=True)),
    ("beale", "gd", dict(line_search=True)),
    *[(f"himmelblau{i}", "gd", dict(line_search=True)) for i in range(4)],
    *[(f"himmelblau{i}", "momentum", dict(learning_rate=0.002)) for i in range(4)],
    *[(f"himmelblau{i}", "nesterov", dict(learning_rate=0.002)) for i in range(4)],
    ("booth", "momentum", dict(learning_rate=0.01)),
    ("booth", "nesterov", dict(learning_rate=0.01)),
    ("quadratic", "momentum", dict(learning_rate=0.05, momentum=0.5)),
    ("quadratic", "nesterov", dict(learning_rate=0.05, momentum=0.5)),
    ("rosenbrock2", "momentum", dict(learning_rate=1e-3)),
    ("rosenbrock2", "nesterov", dict(learning_rate=1e-3)),
]


@pytest.mark.parametrize("name,method,options", FIRST_ORDER,
                         ids=[f"{n}-{m}-{'-'.join(o)}" for n, m, o in FIRST_ORDER])
def test_first_order_methods_reach_the_minimum(name, method, options):
    f, x0, xstar = PROBLEMS[name]
    res = minimize(f, x0, method=method, **options)
    _check_minimum(res, f, xstar, xtol=1e-6)
    if res.status is Status.ROUNDING:  # a line search cannot see decreases below ε|f|
        assert options.get("line_search") and "rounding floor" in res.message
        assert np.linalg.norm(res.jac) <= 1e-6
    else:
        assert res.status is Status.CONVERGED and np.linalg.norm(res.jac) <= 1e-8
    assert res.nhev == 0 and "hess" not in res
    assert res.njev == res.nit + 1


def test_gd_line_search_decreases_f_at_every_step():
    f, x0, _ = PROBLEMS["beale"]
    res = minimize(f, x0, method="gd", line_search=True, record_path=True)
    assert np.all(np.diff(res.path.fun) < 0)


# -- Newton: one step on a quadratic, quadratic convergence, never uphill -----------------------

def test_newton_solves_a_strictly_convex_quadratic_in_one_step():
    f, x0, xstar = PROBLEMS["quadratic"]
    res = minimize(f, x0, method="newton")
    assert res.nit == 1 and res.nhev == 2
    np.testing.assert_allclose(res.x, xstar, rtol=0, atol=1e-14)
    np.testing.assert_allclose(res.hess, QUADRATIC_A)
    # any start, any scale
    res = minimize(f, np.array([1e3, -2e3, 5e2]), method="newton")
    assert res.nit == 1
    np.testing.assert_allclose(res.x, xstar, rtol=0, atol=1e-10)


def _errors(res, xstar):
    return np.linalg.norm(res.path.x - xstar, axis=1)


@pytest.mark.parametrize("method", ["newton", "newton-trust"])
@pytest.mark.parametrize("name", ["rosenbrock2", "beale", "wood", "himmelblau1"])
def test_newton_converges_quadratically(name, method):
    f, x0, xstar = PROBLEMS[name]
    res = minimize(f, x0, method=method, record_path=True, tol=1e-12, xtol=1e-15)
    e = _errors(res, xstar)
    assert e[-1] < 1e-9
    # the final phase: e_{k+1} <= C e_k² with a moderate C (rounding aside)
    tail = [(a, b) for a, b in zip(e[:-1], e[1:], strict=True) if a < 0.05 and b > 1e-12]
    assert tail, e
    ratios = [b / a**2 for a, b in tail]
    assert max(ratios) < 100, ratios
    # ... so the number of correct digits roughly doubles: from e < 0.05 to e < 1e-9 in <= 5 steps
    first = int(np.argmax(e < 0.05))
    assert int(np.argmax(e < 1e-9)) - first <= 5


def test_newton_needs_far_fewer_iterations_than_gradient_descent():
    f, x0, _ = PROBLEMS["rosenbrock2"]
    newton = minimize(f, x0, method="newton")
    gd = minimize(f, x0, method="gd", learning_rate=1e-3, maxiter=3000)
    assert newton.success and newton.nit <= 30
    assert not gd.success and gd.status is Status.MAXITER and "Maximum number of iterations" in gd.message
    assert np.linalg.norm(gd.jac) > 1e3 * np.linalg.norm(newton.jac)
    # on Booth (condition number 9) fixed-step gd takes ~200 steps, Newton one
    f, x0, _ = PROBLEMS["booth"]
    assert minimize(f, x0, method="newton").nit == 1
    assert minimize(f, x0, method="gd", learning_rate=0.05).nit > 100


NON_CONVEX_STARTS = [
    ("himmelblau", himmelblau, np.array([-0.3, -0.9])),   # near the local maximum: H negative definite
    ("himmelblau-saddle", himmelblau, np.array([0.1, 2.9])),
    ("rosenbrock", rosenbrock, np.array([-1.2, 1.0])),
    ("rosenbrock4", rosenbrock, np.array([-1.0, 0.5, -0.5, 2.0])),
    ("wood", wood, np.array([-3.0, -1.0, -3.0, -1.0])),
    ("beale", beale, np.array([1.0, 1.0])),
]


@pytest.mark.parametrize("variant", NEWTON_VARIANTS)
@pytest.mark.parametrize("name,f,x0", NON_CONVEX_STARTS, ids=[s[0] for s in NON_CONVEX_STARTS])
def test_newton_never_takes_an_ascent_step(name, f, x0, variant):
    res = minimize(f, x0, record_path=True, **NEWTON_VARIANTS[variant])
    assert res.success, res.message
    fun = res.path.fun
    # non-increasing; at the rounding floor of f (where Newton judges the full step by
    # ||∇f|| instead) values may differ in the last bits: allow 4 ulps
    assert np.all(np.diff(fun) <= 4 * np.spacing(np.abs(fun[1:]))), fun
    assert np.sum(np.diff(fun) > 0) <= 2
    assert classify_critical_point(f, res.x).kind == "minimum"


def test_newton_modifies_an_indefinite_hessian():
    # at (-0.3, -0.9) Himmelblau's Hessian is negative definite: pure Newton heads for the
    # local maximum, the modified Newton directions go downhill
    x0 = np.array([-0.3, -0.9])
    assert np.all(np.linalg.eigvalsh(dd.hessian(himmelblau)(x0)) < 0)
    for modification in ("shift", "abs", "levenberg"):
        res = minimize(himmelblau, x0, method="newton", modification=modification)
        assert res.success and res.nmod >= 1 and res.fun < 1e-20
    pure = minimize(himmelblau, x0, method="newton", modification=None, line_search=False)
    assert not pure.success and pure.status is Status.SADDLE and "local maximum" in pure.message
    assert pure.nmod == 0 and classify_critical_point(himmelblau, pure.x).kind == "maximum"
    np.testing.assert_allclose(pure.x, [-0.270845, -0.923039], atol=1e-6)


def test_extended_rosenbrock_from_the_standard_start_has_a_local_minimum():
    # for n >= 4 the extended Rosenbrock function has a second local minimum near
    # (-1, 1, ..., 1); Newton from (-1.2, 1, -1.2, 1, ...) finds it (so does scipy's
    # trust-exact), a start nearer the valley finds the global one
    x0 = np.tile([-1.2, 1.0], 5)
    for method in ("newton", "newton-trust"):
        res = minimize(rosenbrock, x0, method=method)
        assert res.success
        assert res.fun == pytest.approx(3.98657911234714, rel=1e-10)
        assert res.x[0] == pytest.approx(-0.99326, abs=1e-5)
        assert classify_critical_point(rosenbrock, res.x).kind == "minimum"
    assert minimize(rosenbrock, np.zeros(10)).fun < 1e-20


def test_line_search_stops_at_the_rounding_floor_of_f():
    # f = 10⁶ + a convex quadratic: a decrease below ~10⁶·ε ≈ 2e-10 is invisible, so a
    # value-comparing line search cannot push |∇f| much below 1e-5; it says so, successfully
    def f(x):
        return (x[0] + 2 * x[1] - 0.7) ** 2 + 10.0 * (x[0] - x[1] + 0.3) ** 2 + 1e6

    xstar = np.array([0.1, 1.0]) / 3
    res = minimize(f, [0.0, 0.0], method="gd", line_search=True)
    assert res.success and res.status is Status.ROUNDING and "rounding floor" in res.message
    np.testing.assert_allclose(res.x, xstar, atol=1e-4)
    assert 1e-8 < np.linalg.norm(res.jac) < 1e-3
    # fixed-step gd compares no values of f
    assert minimize(f, [0.0, 0.0], method="gd", learning_rate=0.02).status is Status.CONVERGED
    # Newton's methods fall back on ||∇f|| there and converge
    for method in ("newton", "newton-trust"):
        res = minimize(f, [0.0, 0.0], method=method)
        assert res.status is Status.CONVERGED and res.nit == 1
        np.testing.assert_allclose(res.x, xstar, rtol=1e-14)

    def g(x):  # not quadratic: several Newton steps, the last ones below the floor
        return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2 + 1e3

    for method in ("newton", "newton-trust"):
        res = minimize(g, [0.0, 0.0], method=method)
        assert res.status is Status.CONVERGED and res.fun == 1e3
        # ||∇f|| <= tol = 1e-8 pins x to about tol / λ_min(∇²f) ~ 1e-9 of a minimum
        assert min(np.linalg.norm(res.x - np.array(m)) for m in HIMMELBLAU_MINIMA) < 1e-9
