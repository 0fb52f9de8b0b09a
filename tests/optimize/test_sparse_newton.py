"""Sparse Newton (sparse=True, separable=True), least_squares and the sparse scipy interop.

Oracles: the dense Newton iterates, known minima, analytic gradients
(dualdiff.problems.rosenbrock_grad) and residuals of known roots.

Note on the two Rosenbrock functions: the chained form ``problems.rosenbrock``
(Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²) has, besides the global minimum at all ones, a local
minimum near (-0.993, 0.997, ..., 0.988) (f ≈ 3.9866 at n = 10), and Newton from the
standard start (-1.2, 1, -1.2, 1, ...) converges to it (the dense method does too).  The
extended Rosenbrock of Moré, Garbow & Hillstrom (problem 21, decoupled pairs
100 (x_{2i} - x_{2i-1}²)² + (1 - x_{2i-1})²) reaches all ones from that start.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp

from dualdiff import problems
from dualdiff.optimize import Status, least_squares, minimize, scipy_derivatives
from dualdiff.optimize.sparse_linalg import factor_pd


def start(n: int) -> np.ndarray:
    return np.tile([-1.2, 1.0], n // 2)


def chained_terms(x):
    """The chained Rosenbrock as its element vector: Σ of it is problems.rosenbrock."""
    return np.concatenate([100.0 * (x[1:] - x[:-1] ** 2) ** 2, (1.0 - x[:-1]) ** 2])


def extended_terms(x):
    """Moré-Garbow-Hillstrom extended Rosenbrock (decoupled pairs) as its element vector."""
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a**2) ** 2, (1.0 - a) ** 2])


def extended(x):
    return np.sum(extended_terms(x))


def extended_grad(x):
    a, b = x[0::2], x[1::2]
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * (b - a**2) - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * (b - a**2)
    return g


def rosen_residuals(x):
    """½||r||² = ½ chained Rosenbrock."""
    return np.concatenate([10.0 * (x[1:] - x[:-1] ** 2), 1.0 - x[:-1]])


# -- the factorisation --------------------------------------------------------------------------

def test_factor_pd_accepts_exactly_the_positive_definite_matrices():
    rng = np.random.default_rng(0)
    for shift in (-3.0, -0.5, 0.5, 3.0):
        a = sp.diags([np.full(29, -1.0), rng.uniform(1, 3, 30), np.full(29, -1.0)], [-1, 0, 1])
        a = sp.csr_array(a + shift * sp.identity(30))
        pd = np.linalg.eigvalsh(a.toarray()).min() > 0
        solve = factor_pd(a)
        assert (solve is not None) == pd
        if pd:
            b = rng.normal(size=30)
            np.testing.assert_allclose(a @ solve(b), b, atol=1e-12)


# -- sparse=True ----------------------------------------------------------------------------------

def test_sparse_newton_repeats_the_dense_iterates_at_n10():
    x0 = start(10)
    dense = minimize(problems.rosenbrock, x0, method="newton", record_path=True)
    res = minimize(problems.rosenbrock, x0, method="newton", sparse=True, record_path=True)
    assert res.status == dense.status == Status.CONVERGED
    assert res.nit == dense.nit and res.nmod == dense.nmod and res.nneg == dense.nneg
    np.testing.assert_allclose(res.path.x, dense.path.x, rtol=0, atol=1e-12)
    assert sp.issparse(res.hess) and res.hess.format == "csr"
    np.testing.assert_allclose(res.hess.toarray(), problems.rosenbrock_hessian(res.x), rtol=1e-13)
    assert np.linalg.norm(problems.rosenbrock_grad(res.x)) < 1e-8
    assert np.linalg.eigvalsh(res.hess.toarray()).min() > 0  # a local minimum (f ≈ 3.9866)
    assert abs(res.fun - 3.98657911234714) < 1e-9


def test_sparse_newton_extended_rosenbrock_reaches_all_ones():
    for n in (10, 1000):
        res = minimize(extended, start(n), method="newton", sparse=True) if n == 10 else \
            minimize(extended_terms, start(n), method="newton", separable=True)
        assert res.success and res.status == Status.CONVERGED
        np.testing.assert_allclose(res.x, 1.0, atol=1e-9)
        assert np.linalg.norm(extended_grad(res.x)) < 1e-8
        assert np.linalg.norm(res.jac) < 1e-8


def test_sparse_newton_options_and_errors():
    with pytest.raises(ValueError, match="method='newton'"):
        minimize(extended, start(4), method="gd", sparse=True)
    with pytest.raises(ValueError, match="modification"):
        minimize(extended, start(4), method="newton", sparse=True, modification="abs")
    with pytest.raises(TypeError, match="no option"):
        minimize(extended, start(4), method="newton", sparse=True, learning_rate=0.1)
    for modification in ("levenberg", None, "shift"):
        res = minimize(extended, start(10), method="newton", sparse=True, modification=modification)
        assert res.success
        np.testing.assert_allclose(res.x, 1.0, atol=1e-9)


def test_sparse_newton_leaves_a_saddle_and_reports_unbounded():
    # f = x0² - x1² + x1⁴/4 + x2²: saddle at 0, minima at x1 = ±√2
    f = lambda x: x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4 + x[2] ** 2
    res = minimize(f, np.array([1e-12, 0.0, 0.5]), method="newton", sparse=True)
    assert res.success and res.nneg >= 1
    np.testing.assert_allclose(np.abs(res.x), [0, np.sqrt(2), 0], atol=1e-8)
    res = minimize(f, np.zeros(3), method="newton", sparse=True, modification=None)
    assert res.status == Status.SADDLE
    res = minimize(lambda x: -np.sum(x**3) + 0 * x[0] ** 2, np.ones(3), method="newton", sparse=True)
    assert res.status == Status.UNBOUNDED


# -- separable=True -------------------------------------------------------------------------------

def test_separable_matches_sparse_and_dense():
    x0 = start(10)
    dense = minimize(problems.rosenbrock, x0, method="newton", record_path=True)
    res = minimize(chained_terms, x0, method="newton", separable=True, record_path=True)
    assert res.nit == dense.nit and res.status == dense.status
    np.testing.assert_allclose(res.path.x, dense.path.x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.jac, problems.rosenbrock_grad(res.x), atol=1e-12)
    assert res.fun == pytest.approx(problems.rosenbrock(res.x), rel=1e-14)


def test_separable_chained_rosenbrock_n1000():
    x0 = start(1000)
    res = minimize(chained_terms, x0, method="newton", separable=True)
    assert res.success
    assert np.linalg.norm(problems.rosenbrock_grad(res.x)) < 1e-8
    assert np.linalg.eigvalsh(problems.rosenbrock_hessian(res.x)).min() > 0  # a minimum


# -- least_squares --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [10, 1000])
def test_least_squares_rosenbrock_residuals(n):
    res = least_squares(rosen_residuals, start(n))
    assert res.success and res.status == Status.CONVERGED
    np.testing.assert_allclose(res.x, 1.0, atol=1e-8)
    assert res.fun < 1e-18
    np.testing.assert_allclose(res.jac, 0.5 * problems.rosenbrock_grad(res.x), atol=1e-9)
    assert set(res) >= {"x", "fun", "jac", "nit", "nfev", "njev", "success", "status", "message"}
    assert sp.issparse(res.jacobian)


@pytest.mark.parametrize("n", [10, 1000, 10000])
def test_least_squares_broyden_root(n):
    res = least_squares(problems.broyden, -np.ones(n))
    assert res.success
    assert np.linalg.norm(problems.broyden(res.x)) < 1e-8
    assert res.nit <= 10  # zero residual: λ → 0, Gauss-Newton, fast convergence
    np.testing.assert_allclose(res.jacobian.toarray() if n <= 1000 else res.jacobian[:5, :5].toarray(),
                               problems.broyden_jacobian(res.x) if n <= 1000
                               else problems.broyden_jacobian(res.x[:6])[:5, :5], atol=1e-13)


# -- scipy ----------------------------------------------------------------------------------------

def test_scipy_trust_constr_with_sparse_hessian():
    x0 = start(10)
    d = scipy_derivatives(extended, sparse=True)
    assert sp.issparse(d["hess"](x0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = so.minimize(extended, x0, method="trust-constr", jac=d["jac"], hess=d["hess"],
                        options=dict(gtol=1e-10, maxiter=2000))
    np.testing.assert_allclose(r.x, 1.0, atol=1e-7)
    d = scipy_derivatives(extended_terms, separable=True)
    np.testing.assert_allclose(d["jac"](x0), extended_grad(x0), rtol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = so.minimize(d["fun"], start(200), method="trust-constr", jac=d["jac"], hess=d["hess"],
                        options=dict(gtol=1e-10, maxiter=2000))
    np.testing.assert_allclose(r.x, 1.0, atol=1e-7)


def test_scipy_least_squares_with_sparse_jacobian():
    d = scipy_derivatives(problems.broyden, residuals=True)
    J = d["jac"](-np.ones(50))
    assert sp.issparse(J)
    np.testing.assert_array_equal(J.toarray(), problems.broyden_jacobian(-np.ones(50)))
    r = so.least_squares(problems.broyden, -np.ones(1000), jac=d["jac"])
    assert r.success and np.linalg.norm(r.fun) < 1e-8
    d = scipy_derivatives(rosen_residuals, residuals=True)
    r = so.least_squares(rosen_residuals, start(100), jac=d["jac"], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose(r.x, 1.0, atol=1e-7)


# -- measurement (printed, not asserted) ----------------------------------------------------------

def test_print_timing_separable_newton_n10000(capsys):
    t = time.perf_counter()
    res = minimize(extended_terms, start(10_000), method="newton", separable=True)
    elapsed = time.perf_counter() - t
    assert res.success
    with capsys.disabled():
        print(f"\n[sparse Newton, extended Rosenbrock n=10^4: {elapsed:.2f} s, {res.nit} iterations]")
