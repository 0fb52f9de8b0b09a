"""minimize's interface: results, shapes, paths, callbacks, options, counts and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff import math as dmath
from dualdiff.optimize import METHODS, OptimizeResult, Path, Status, condition_number, minimize, root
from dualdiff.optimize.trust_region import solve_subproblem
from dualdiff.problems import himmelblau, quadratic, rosenbrock

ALL = list(METHODS)
RATES = {"gd": dict(learning_rate=0.1), "momentum": dict(learning_rate=0.05),
         "nesterov": dict(learning_rate=0.05), "newton": {}, "newton-trust": {}}
# Himmelblau's Hessian reaches ~100 near (3.5, 2.5): smaller steps
HIMMELBLAU_RATES = {"gd": dict(learning_rate=0.01), "momentum": dict(learning_rate=0.002),
                    "nesterov": dict(learning_rate=0.002), "newton": {}, "newton-trust": {}}


# -- the result --------------------------------------------------------------------------

def test_optimize_result_is_a_dict_with_attributes_and_a_readable_repr():
    res = minimize(rosenbrock, [-1.2, 1.0])
    assert isinstance(res, dict) and isinstance(res, OptimizeResult)
    for key in ("x", "fun", "jac", "hess", "nit", "nfev", "njev", "nhev", "success", "status", "message"):
        assert key in res and getattr(res, key) is res[key]
    assert "path" not in res
    with pytest.raises(AttributeError):
        res.path
    res.extra = 1
    assert res["extra"] == 1 and "extra" in dir(res)
    text = repr(res)
    lines = text.splitlines()
    assert lines[0].strip().startswith("message: Converged") and "success: True" in text
    assert "status: 0 (CONVERGED)" in text and "hess: [[" in text
    assert len({line.index(":") for line in lines if not line.startswith(" " * 8)}) == 1  # aligned keys
    assert repr(OptimizeResult()) == "OptimizeResult()"
    assert Status.CONVERGED.success and Status.SMALL_STEP.success and Status.ROUNDING.success
    assert not any(s.success for s in (Status.MAXITER, Status.NOT_FINITE, Status.SINGULAR,
                                       Status.NO_DECREASE, Status.CALLBACK))


@pytest.mark.parametrize("method", ALL)
def test_scalar_x0_gives_float_results(method):
    res = minimize(lambda x: (x - 2.0) ** 2 + dmath.sin(x) / 10, 0, method=method, **RATES[method])
    assert res.success, res.message
    assert type(res.x) is float and type(res.fun) is float and type(res.jac) is float
    assert abs(2 * (res.x - 2) + np.cos(res.x) / 10) <= 1e-8
    if method.startswith("newton"):
        assert type(res.hess) is float and res.hess > 0


@pytest.mark.parametrize("method", ["gd", "newton", "newton-trust"])
def test_matrix_x0_keeps_its_shape(method):
    target = np.array([[1.0, 2.0], [3.0, 4.0]])

    def f(X):
        return np.sum((X - target) ** 2) + 0.1 * np.sum(X @ X.T)

    res = minimize(f, np.zeros((2, 2)), method=method, record_path=True, **RATES[method])
    assert res.success and res.x.shape == (2, 2) and res.jac.shape == (2, 2)
    assert res.path.x.shape == (len(res.path), 2, 2)
    np.testing.assert_allclose(dd.grad(f)(res.x), 0.0, atol=1e-8)
    if method != "gd":
        assert res.hess.shape == (2, 2, 2, 2)


@pytest.mark.parametrize("method", ALL)
def test_record_path(method):
    res = minimize(himmelblau, [3.5, 2.5], method=method, record_path=True, **HIMMELBLAU_RATES[method])
    assert res.success
    path = res.path
    assert isinstance(path, Path) and len(path) == res.nit + 1 and "points" in repr(path)
    np.testing.assert_array_equal(path.x[0], [3.5, 2.5])
    np.testing.assert_array_equal(path.x[-1], res.x)
    assert path.fun[-1] == res.fun and path.fun.shape == (len(path),)
    np.testing.assert_allclose(path.fun, [himmelblau(x) for x in path.x], rtol=1e-12, atol=1e-12)


def test_plain_python_functions_with_loops_and_dualdiff_math():
    def f(x):
        total = 0.0
        for i in range(len(x)):
            total = total + (x[i] - 0.1 * i) ** 2 + 0.5 * dmath.exp(-x[i]) + dd.cos(x[i]) / 4
        return total

    ref = minimize(f, np.zeros(3), method="newton")
    assert ref.success
    for method in ALL:
        res = minimize(f, np.zeros(3), method=method, **RATES[method])
        assert res.success and np.allclose(res.x, ref.x, atol=1e-8), method


def test_args_pass_through_to_f():
    def f(x, a, b):
        return np.sum((x - a) ** 2) * b

    for method in ALL:
        res = minimize(f, np.zeros(2), args=(np.array([1.0, -1.0]), 2.0), method=method, **RATES[method])
        np.testing.assert_allclose(res.x, [1.0, -1.0], atol=1e-8)


# -- callbacks ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ALL)
def test_callback_receives_each_iterate(method):
    seen = []
    res = minimize(himmelblau, [3.5, 2.5], method=method, callback=lambda xk: seen.append(xk),
                   **HIMMELBLAU_RATES[method])
    assert res.success and len(seen) == res.nit
    np.testing.assert_array_equal(seen[-1], res.x)
    seen[-1][0] = 99.0  # a copy
    assert res.x[0] != 99.0


def test_new_style_callback_and_stopping():
    infos = []

    def callback(intermediate_result):
        infos.append(intermediate_result)
        return intermediate_result.nit >= 3

    res = minimize(rosenbrock, [-1.2, 1.0], callback=callback)
    assert res.status is Status.CALLBACK and not res.success and res.nit == 3
    assert "callback" in res.message
    assert [i.nit for i in infos] == [1, 2, 3]
    assert isinstance(infos[0], OptimizeResult) and set(infos[0]) >= {"x", "fun", "jac", "nit"}

    def stop(xk):
        raise StopIteration

    res = minimize(rosenbrock, [-1.2, 1.0], method="newton-trust", callback=stop)
    assert res.status is Status.CALLBACK and res.nit == 1


# -- options -------------------------------------------------------------------------------

def test_unknown_method_lists_the_methods():
    with pytest.raises(ValueError, match="unknown method 'bfgs'") as info:
        minimize(rosenbrock, [0.0, 0.0], method="bfgs")
    for name in ALL:
        assert repr(name) in str(info.value)
    assert minimize(rosenbrock, [0.0, 0.0], method="Newton").success  # case-insensitive


def test_options_are_checked():
    with pytest.raises(TypeError, match="has no option.*'line_search'"):
        minimize(rosenbrock, [0.0, 0.0], method="momentum", line_search=True)
    with pytest.raises(TypeError, match="initial_trust_radius"):
        minimize(rosenbrock, [0.0, 0.0], method="newton-trust", learning_rate=0.1)
    bad = [
        dict(method="gd", learning_rate=-0.1), dict(method="gd", learning_rate=0.1, alpha=0.2),
        dict(method="momentum", momentum=1.5), dict(method="newton", modification="cholesky"),
        dict(method="newton", alpha=0.0), dict(method="newton", delta=2.0),
        dict(method="newton-trust", initial_trust_radius=-1.0), dict(method="newton-trust", eta=0.5),
        dict(tol=-1.0), dict(maxiter=-1), dict(maxiter=2.5), dict(xtol=float("nan")),
    ]
    for options in bad:
        with pytest.raises(ValueError):
            minimize(rosenbrock, [0.0, 0.0], **options)
    # learning_rate and alpha are aliases
    a = minimize(quadratic, np.zeros(3), method="gd", learning_rate=0.2)
    b = minimize(quadratic, np.zeros(3), method="gd", alpha=0.2)
    np.testing.assert_array_equal(a.x, b.x)


def test_maxiter_zero_returns_the_start():
    res = minimize(rosenbrock, [-1.2, 1.0], maxiter=0)
    assert res.nit == 0 and res.status is Status.MAXITER and res.nhev == 1
    np.testing.assert_array_equal(res.x, [-1.2, 1.0])


def test_damped_newton_with_a_fixed_step():
    # x_{k+1} - x* = (1 - alpha)(x_k - x*) on a quadratic
    res = minimize(quadratic, np.zeros(3), method="newton", line_search=False, alpha=0.5, record_path=True)
    assert res.success
    err = np.linalg.norm(res.path.x - res.x, axis=1)
    np.testing.assert_allclose(err[1:6] / err[:5], 0.5, rtol=1e-6)


def test_step_size_convergence():
    # tol = 0: Newton stops on the exact zero gradient; gd once x stops moving
    res = minimize(himmelblau, [3.5, 2.5], method="gd", learning_rate=0.01, tol=0.0)
    assert res.success and res.status is Status.SMALL_STEP and "stopped moving" in res.message
    np.testing.assert_allclose(res.x, [3.0, 2.0], atol=1e-12)
    res = minimize(himmelblau, [3.5, 2.5], method="gd", learning_rate=0.01, tol=0.0, xtol=0.0, maxiter=500)
    assert res.status in (Status.MAXITER, Status.CONVERGED)


def test_evaluation_counts():
    res = minimize(rosenbrock, [-1.2, 1.0], method="newton")
    assert res.nhev == res.njev == res.nit + 1
    assert res.nfev >= res.nhev + res.nit  # one value per line-search trial at least
    res = minimize(quadratic, np.zeros(3), method="gd", learning_rate=0.2)
    assert res.njev == res.nfev == res.nit + 1 and res.nhev == 0
    res = minimize(rosenbrock, [-1.2, 1.0], method="newton-trust")
    assert res.nhev == res.nit + 1 and res.trust_radius > 0


# -- singular and indefinite Hessians --------------------------------------------------------

def test_singular_hessian():
    def f(x):  # H = diag(2, 0) everywhere
        return x[0] ** 2

    res = minimize(f, [1.0, 1.0], method="newton", modification=None)
    assert not res.success and res.status is Status.SINGULAR and "Singular Hessian" in res.message
    for options in (dict(method="newton"), dict(method="newton", modification="levenberg"),
                    dict(method="newton", modification="abs"), dict(method="newton-trust")):
        res = minimize(f, [1.0, 1.0], **options)
        assert res.success and abs(res.x[0]) < 1e-8 and res.x[1] == 1.0
    assert condition_number(f, [1.0, 1.0]) == np.inf


def test_pure_newton_on_an_ascent_direction_with_line_search_fails_clearly():
    res = minimize(himmelblau, [-0.3, -0.9], method="newton", modification=None)
    assert not res.success and res.status is Status.NO_DECREASE
    assert "not a descent direction" in res.message


def test_condition_number():
    lam = np.linalg.eigvalsh(dd.hessian(quadratic)(np.zeros(3)))
    assert condition_number(quadratic, np.zeros(3)) == pytest.approx(lam.max() / lam.min())
    assert condition_number(rosenbrock, [1.0, 1.0]) == pytest.approx(2508.009601, rel=1e-6)
    assert condition_number(lambda x: x[0] ** 2 - 4 * x[1] ** 2, [0.3, 0.2]) == pytest.approx(4.0)
    assert condition_number(lambda x: x**3, 2.0) == 1.0
    assert condition_number(lambda x: x**3, 0.0) == np.inf


# -- bad input ---------------------------------------------------------------------------------

def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match=r"x0 of shape \(1,\).*shape f expects"):
        minimize(himmelblau, [1.0])  # himmelblau reads x[1]
    with pytest.raises(TypeError, match="scalar"):
        minimize(lambda x: x**2, [1.0, 2.0])
    with pytest.raises(TypeError, match="scalar"):
        minimize(lambda x: x**2, [1.0, 2.0], method="gd")
    with pytest.raises(ValueError, match="finite x0"):
        minimize(himmelblau, [np.nan, 1.0])
    with pytest.raises(ValueError, match="finite x0"):
        minimize(lambda x: x**2, np.inf)
    with pytest.raises(TypeError):
        minimize(himmelblau, "1.0, 2.0")
    with pytest.raises(TypeError):
        minimize(himmelblau, [1 + 2j, 1.0])
    with pytest.raises(TypeError, match="function"):
        minimize(3.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="non-empty"):
        minimize(himmelblau, [])
    with pytest.raises(TypeError, match="callback"):
        minimize(himmelblau, [1.0, 2.0], callback=3)


@pytest.mark.parametrize("method", ALL)
def test_non_finite_values_stop_with_a_message(method):
    res = minimize(lambda x: dd.log(x[0]) + x[1] ** 2, [-1.0, 1.0], method=method)
    assert not res.success and res.status is Status.NOT_FINITE and "at the start x0" in res.message
    res = minimize(lambda x: dd.sqrt(x) + x**2, 0.0, method=method)  # f'(0) = inf
    assert not res.success and res.status is Status.NOT_FINITE and "gradient" in res.message


def test_line_searches_step_back_from_non_finite_values():
    # log barrier: a full step lands outside the domain (NaN); backtracking recovers
    def f(x):
        return x - 2 * dd.log(x)  # minimum at x = 2

    res = minimize(f, 0.1, method="newton")
    assert res.success and res.x == pytest.approx(2.0, abs=1e-8)
    res = minimize(f, 0.1, method="gd", line_search=True, learning_rate=10.0)
    assert res.success and res.x == pytest.approx(2.0, abs=1e-6)  # ends at the rounding floor


# -- properties ----------------------------------------------------------------------------------

@st.composite
def spd_problems(draw):
    n = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    a = m @ m.T + n * np.eye(n)
    b = rng.standard_normal(n)
    return a, b, rng.standard_normal(n) * 10


@settings(max_examples=30, deadline=None)
@given(spd_problems())
def test_newton_solves_any_spd_quadratic_in_one_step(problem):
    a, b, x0 = problem
    res = minimize(lambda x: 0.5 * x @ a @ x - b @ x, x0, method="newton")
    assert res.nit <= 1 or np.linalg.norm(res.jac) <= 1e-8
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-9)


@st.composite
def subproblems(draw):
    n = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = rng.standard_normal((n, n))
    h = (m + m.T) / 2
    g = rng.standard_normal(n) * draw(st.sampled_from([1e-3, 1.0, 10.0]))
    if draw(st.booleans()) and n > 1:  # the hard case: g orthogonal to the lowest eigenvector
        q = np.linalg.eigh(h)[1][:, 0]
        g = g - (g @ q) * q
    return g, h, draw(st.sampled_from([0.01, 0.5, 1.0, 10.0]))


@settings(max_examples=100, deadline=None)
@given(subproblems())
def test_trust_region_subproblem_satisfies_the_optimality_conditions(problem):
    g, h, radius = problem
    p, sigma = solve_subproblem(g, h, radius)
    n = len(g)
    scale = 1.0 + np.abs(h).max() + np.linalg.norm(g)
    assert np.linalg.norm(p) <= radius * (1 + 1e-8)
    assert sigma >= 0
    np.testing.assert_allclose((h + sigma * np.eye(n)) @ p, -g, atol=1e-7 * scale * (1 + radius))
    assert np.linalg.eigvalsh(h + sigma * np.eye(n))[0] >= -1e-8 * scale
    assert sigma * (radius - np.linalg.norm(p)) <= 1e-7 * scale * radius
    # and it beats random feasible points
    model = lambda s: g @ s + 0.5 * s @ h @ s
    rng = np.random.default_rng(0)
    for _ in range(20):
        s = rng.standard_normal(n)
        s *= radius * rng.uniform() / np.linalg.norm(s)
        assert model(p) <= model(s) + 1e-9 * scale * (1 + radius) ** 2


def test_trust_region_subproblem_cases():
    h = np.diag([-1.0, 1.0])
    # interior Newton step when H is positive definite and the step fits
    p, sigma = solve_subproblem(np.array([1.0, 1.0]), np.diag([2.0, 4.0]), 10.0)
    np.testing.assert_allclose(p, [-0.5, -0.25])
    assert sigma == 0.0
    # indefinite: on the boundary, with H + σI positive semidefinite
    p, sigma = solve_subproblem(np.array([0.5, 1.0]), h, 2.0)
    assert np.linalg.norm(p) == pytest.approx(2.0) and sigma > 1.0
    # the hard case: g has no component along the lowest eigenvector e_1
    p, sigma = solve_subproblem(np.array([0.0, 1.0]), h, 2.0)
    assert sigma == pytest.approx(1.0) and np.linalg.norm(p) == pytest.approx(2.0)
    np.testing.assert_allclose(p[1], -0.5)
    assert abs(p[0]) == pytest.approx(np.sqrt(4.0 - 0.25))


def test_trust_region_and_modified_newton_leave_a_saddle():
    # at (0, 1e-6) near the saddle of x² - y² + y⁴/4 (minima at y = ±√2) the gradient is tiny
    def f(x):
        return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4

    for method in ("newton", "newton-trust"):
        res = minimize(f, [0.3, 1e-6], method=method)
        assert res.success and abs(abs(res.x[1]) - np.sqrt(2)) < 1e-8, method
    # started exactly at the saddle the gradient is 0: the Newton methods see the negative
    # curvature (H = diag(2, -2)) and leave along it; gradient descent cannot (and its success
    # claims a first-order point only)
    for method in ("newton", "newton-trust"):
        res = minimize(f, [0.0, 0.0], method=method)
        assert res.success and res.nit > 0 and abs(abs(res.x[1]) - np.sqrt(2)) < 1e-8, method
    res = minimize(f, [0.0, 0.0], method="gd")
    assert res.nit == 0 and res.success


def test_integer_and_list_starts():
    res = minimize(himmelblau, [3, 2])
    assert res.nit == 0 and res.x.dtype == np.float64
    assert minimize(lambda x: (x - 1) ** 2, 5).x == pytest.approx(1.0)


def test_root_callback_and_path():
    seen = []
    res = root(lambda x: [x[0] ** 2 - 2, x[1] - x[0]], [1.0, 1.0], callback=seen.append, record_path=True)
    assert res.success and len(seen) == res.nit and res.path.fun.shape == (res.nit + 1, 2)
    np.testing.assert_allclose(res.path.fun[-1], res.fun)


def test_numba_jitted_functions():
    numba = pytest.importorskip("numba")

    @numba.njit
    def f(x):  # values run compiled; the transforms differentiate the Python source
        s = 0.0
        for i in range(x.shape[0] - 1):
            s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return s

    for method in ("newton", "newton-trust"):
        res = minimize(f, np.array([-1.2, 1.0]), method=method)
        assert res.success and np.allclose(res.x, 1.0)
