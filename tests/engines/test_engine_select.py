"""The transforms route numba dispatchers to the numba engine and everything else to the
Python engine; nesting and engine errors never give a wrong number."""

import math
from math import cos

import numba
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import problems

rosenbrock = numba.njit(problems.rosenbrock_loop)
rosenbrock_hessian = problems.rosenbrock_hessian


@numba.njit(cache=True)
def cubic(t):
    return t ** 3 + 4.0 * t ** 2 - 5.0 * t + 1.0


X = np.array([1.2, 0.8, 1.1, 0.9])


def test_auto_engine_uses_numba_for_dispatchers():
    h = dd.hessian(rosenbrock)
    np.testing.assert_allclose(h(X), rosenbrock_hessian(X), rtol=1e-14)
    (plan,) = h.plans.values()
    assert plan.engine.name == "numba" and plan.function is rosenbrock
    p = dd.hessian(rosenbrock, engine="python")
    p(X)
    (plan,) = p.plans.values()
    assert plan.engine.name == "python" and plan.function is not rosenbrock


def test_engines_agree_bit_for_bit_on_gradients():
    for engine in ("auto", "numba", "python"):
        np.testing.assert_allclose(dd.grad(rosenbrock, engine=engine)(X),
                                   dd.grad(rosenbrock.py_func)(X), rtol=1e-13)


@pytest.mark.parametrize("outer", ["jacobian", "hessian_via_derivative"])
def test_nested_transforms_over_an_njit_function(outer):
    h = rosenbrock_hessian(X)
    if outer == "jacobian":
        np.testing.assert_allclose(dd.jacobian(dd.grad(rosenbrock))(X), h, rtol=1e-13, atol=1e-12)
    else:
        d2 = dd.derivative(dd.derivative(cubic))(2.0)
        assert d2 == dd.second_derivative(cubic)(2.0) == 6.0 * 2.0 + 8.0


def test_transformed_function_does_not_inherit_py_func():
    g = dd.grad(rosenbrock)
    assert not hasattr(g, "py_func")  # else an outer transform would differentiate rosenbrock


def test_engine_numba_refuses_plain_functions_and_nesting():
    with pytest.raises(TypeError):
        dd.grad(lambda x: x[0] ** 2, engine="numba")(np.ones(2))
    with pytest.raises((TypeError, ValueError), match="python"):
        dd.jacobian(dd.grad(rosenbrock, engine="numba"))(X)


def test_python_engine_code_calling_an_njit_helper_gets_a_clear_error():
    def f(x):
        return rosenbrock(x) + x[0]

    with pytest.raises(TypeError, match="py_func"):
        dd.grad(f)(X)


def test_unknown_engine():
    with pytest.raises(ValueError, match="engine"):
        dd.grad(rosenbrock, engine="gpu")


def test_jvp_and_hvp_of_njit_functions():
    v = np.array([1.0, -1.0, 0.5, 2.0])
    value, tangent = dd.jvp(rosenbrock, X, v)
    assert value == pytest.approx(rosenbrock.py_func(X), rel=1e-15)
    assert tangent == pytest.approx(dd.grad(rosenbrock.py_func)(X) @ v, rel=1e-13)
    np.testing.assert_allclose(dd.hvp(rosenbrock, X, v), rosenbrock_hessian(X) @ v, rtol=1e-13)


@numba.njit
def _scaled_exp(a, b):
    return a * math.exp(b)


@numba.njit
def _uses_math(x):
    return math.sin(x[0]) * x[1] + cos(x[1]) + _scaled_exp(x[0], x[1])


def test_nested_transforms_of_njit_code_using_math_and_njit_callees():
    """The outer level runs the njit function's Python source with math, `from math
    import cos` and the njit callee rebound to dual-aware versions (issue 13)."""
    x = np.array([0.3, 0.7])
    s0, c0, e1 = math.sin(0.3), math.cos(0.3), math.exp(0.7)
    want = np.array([[-s0 * 0.7, c0 + e1], [c0 + e1, -math.cos(0.7) + 0.3 * e1]])
    np.testing.assert_allclose(dd.jacobian(dd.grad(_uses_math))(x), want, rtol=1e-14)
    np.testing.assert_allclose(dd.hessian(_uses_math, engine="python")(x), want, rtol=1e-14)
    np.testing.assert_allclose(dd.hessian(_uses_math)(x), want, rtol=1e-14)
