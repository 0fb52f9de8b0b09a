"""dualdiff derivatives plugged into scipy.optimize.minimize."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.optimize import minimize, scipy_derivatives
from dualdiff.problems import beale, rosenbrock

so = pytest.importorskip("scipy.optimize")


def test_scipy_derivatives_match_the_transforms():
    d = scipy_derivatives(rosenbrock)
    assert set(d) == {"jac", "hess", "hessp"}
    x, p = np.array([-1.2, 1.0, 0.3]), np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(d["jac"](x), dd.grad(rosenbrock)(x))
    np.testing.assert_array_equal(d["hess"](x), dd.hessian(rosenbrock)(x))
    np.testing.assert_allclose(d["hessp"](x, p), dd.hessian(rosenbrock)(x) @ p, rtol=1e-14)
    # extra args pass through, as scipy passes them
    f = lambda x, a: a * np.sum(x**4)
    d = scipy_derivatives(f)
    np.testing.assert_allclose(d["jac"](x, 2.0), 8 * x**3)
    np.testing.assert_allclose(d["hess"](x, 2.0), np.diag(24 * x**2))
    np.testing.assert_allclose(d["hessp"](x, p, 2.0), 24 * x**2 * p)
    with pytest.raises(TypeError):
        scipy_derivatives(3.0)


@pytest.mark.parametrize("n", [2, 10])
@pytest.mark.parametrize("method,keys", [
    ("trust-exact", ("jac", "hess")),
    ("Newton-CG", ("jac", "hess")),
    ("Newton-CG", ("jac", "hessp")),
    ("trust-ncg", ("jac", "hess", "hessp")),
    ("trust-krylov", ("jac", "hessp")),
    ("BFGS", ("jac",)),
])
def test_scipy_minimize_converges_on_rosenbrock(n, method, keys):
    d = scipy_derivatives(rosenbrock)
    x0 = np.zeros(n)
    options = {"xtol": 1e-12} if method == "Newton-CG" else {"gtol": 1e-9}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "does not use hessp" warnings: the dict fits
        res = so.minimize(rosenbrock, x0, method=method, options=options, **{k: d[k] for k in keys})
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(n), atol=1e-6)


def test_the_transforms_plug_in_directly():
    x0 = np.array([-1.2, 1.0])
    res = so.minimize(rosenbrock, x0, method="trust-exact", jac=dd.grad(rosenbrock), hess=dd.hessian(rosenbrock))
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-8)
    ours = minimize(rosenbrock, x0, method="newton-trust")
    np.testing.assert_allclose(ours.x, res.x, atol=1e-8)


def test_bfgs_with_the_exact_gradient_reaches_a_tight_tolerance():
    x0 = np.array([1.0, 1.0])
    exact = so.minimize(beale, x0, method="BFGS", jac=dd.grad(beale), options={"gtol": 1e-10})
    assert exact.success and np.linalg.norm(dd.grad(beale)(exact.x)) < 1e-9
    np.testing.assert_allclose(exact.x, [3.0, 0.5], atol=1e-9)
