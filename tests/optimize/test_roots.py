"""root and root_scalar: Newton's method with exact Jacobians."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.optimize import OptimizeResult, Status, root, root_scalar


def test_cube_root_of_two():
    res = root(lambda x: x**3 - 2, 1.0)
    assert isinstance(res, OptimizeResult) and res.success and res.status is Status.CONVERGED
    assert isinstance(res.x, float) and res.x == pytest.approx(2 ** (1 / 3), rel=1e-15)
    assert abs(res.fun) <= 1e-12 and res.jac == pytest.approx(3 * res.x**2)
    assert res.nit <= 6 and res.njev == res.nit and res.nfev == res.nit + 1
    assert root_scalar(lambda x: x**3 - 2, 1.0).root == pytest.approx(2 ** (1 / 3), rel=1e-15)


def test_newton_on_x3_minus_2_converges_quadratically():
    res = root_scalar(lambda x: x**3 - 2, 2.0, record_path=True, tol=0.0, xtol=1e-16, maxiter=20)
    e = np.abs(res.path.x - 2 ** (1 / 3))
    tail = [(a, b) for a, b in zip(e[:-1], e[1:], strict=True) if a < 0.1 and b > 1e-15]
    assert tail and max(b / a**2 for a, b in tail) < 2  # C = f''/(2 f') = 1/cbrt(2) ≈ 0.79


def test_cos_x_minus_x():
    res = root_scalar(lambda x: dd.cos(x) - x, 1.0)
    assert res.converged and res.flag == res.message and res.iterations == res.nit
    assert res.root == pytest.approx(0.7390851332151607, rel=1e-15)
    assert res.function_calls == res.nfev + res.njev
    # the standard-library style works too
    from dualdiff import math as dmath
    assert root_scalar(lambda x: dmath.cos(x) - x, 0.0).root == pytest.approx(0.7390851332151607, rel=1e-15)


def test_two_by_two_nonlinear_system():
    # circle x² + y² = 4 meets the hyperbola x y = 1 at four points
    def F(v):
        x, y = v[0], v[1]
        return [x**2 + y**2 - 4, x * y - 1]

    res = root(F, [2.0, 0.5])
    assert res.success and res.nit <= 8
    x, y = res.x
    assert x**2 + y**2 == pytest.approx(4) and x * y == pytest.approx(1)
    assert x == pytest.approx(math.sqrt(2 + math.sqrt(3)), rel=1e-14)
    assert res.jac.shape == (2, 2)
    np.testing.assert_allclose(res.jac, [[2 * x, 2 * y], [y, x]])
    # a numpy-vectorised system of any shape: F(X) = X @ X - A for a 2x2 matrix X
    A = np.array([[5.0, 2.0], [2.0, 2.0]])
    res = root(lambda X: X @ X - A, np.eye(2))
    assert res.success and res.x.shape == (2, 2)
    np.testing.assert_allclose(res.x @ res.x, A, atol=1e-12)


def test_damping_keeps_the_residual_from_growing():
    # arctan: full Newton steps from |x0| > 1.39 diverge; backtracking on |F| converges
    undamped = root_scalar(dd.arctan, 3.0, line_search=False, maxiter=10)
    assert not undamped.converged and abs(undamped.root) > 10
    res = root_scalar(dd.arctan, 3.0, record_path=True)
    assert res.converged and abs(res.root) < 1e-12
    assert np.all(np.diff(np.abs(res.path.fun)) <= 0)


def test_args_pass_through():
    res = root(lambda x, a, b: a * x**2 - b, 1.0, args=(2.0, 8.0))
    assert res.x == pytest.approx(2.0)


def test_singular_jacobian():
    # f(x) = x² + 1 has no real root; f'(0) = 0 and the run cannot move
    res = root_scalar(lambda x: x**2 + 1, 0.0)
    assert not res.converged and res.status is Status.SINGULAR and "f'(x) = 0" in res.message
    # no real root from elsewhere: stuck at the minimum of |F|
    res = root_scalar(lambda x: x**2 + 1, 1.0)
    assert not res.converged
    assert res.status in (Status.SINGULAR, Status.NO_DECREASE, Status.MAXITER)
    assert abs(res.root) < 1e-3


def test_double_root_converges_linearly():
    res = root_scalar(lambda x: (x - 1) ** 2, 2.0, tol=1e-14)
    assert res.converged and res.root == pytest.approx(1.0, abs=1e-6)
    assert res.nit > 15  # e_{k+1} = e_k / 2


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        root(lambda x: np.array([x[0], x[1], x[0] * x[1]]), [1.0, 2.0])
    with pytest.raises(TypeError, match="scalar x0"):
        root_scalar(lambda x: x, [1.0, 2.0])
    with pytest.raises(ValueError, match="finite x0"):
        root_scalar(lambda x: x, float("nan"))
    with pytest.raises(ValueError, match="unknown method"):
        root(lambda x: x, 1.0, method="brentq")
    res = root_scalar(lambda x: dd.log(x), -1.0)
    assert not res.success and res.status is Status.NOT_FINITE
