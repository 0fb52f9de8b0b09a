"""Sparse Jacobians and Hessians against dense dualdiff results and analytic formulas."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

import dualdiff as dd
from dualdiff import sparse

from .sparse_strategies import expected_pattern, make_F, structures

RNG = np.random.default_rng(11)


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(np.abs(b).max(initial=0.0), 1.0)
    assert np.abs(a - b).max(initial=0.0) <= rtol * scale, np.abs(a - b).max()


def exactly_symmetric(H):
    assert isinstance(H, sp.csr_array) and H.dtype == np.float64
    assert (H != H.T).nnz == 0


# -- test functions with known derivatives -------------------------------------------------

def broyden(x):
    """Broyden tridiagonal: F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1."""
    y = (3.0 - 2.0 * x) * x + 1.0
    y[1:] = y[1:] - x[:-1]
    y[:-1] = y[:-1] - 2.0 * x[1:]
    return y


def broyden_jacobian(x):
    n = x.size
    return (np.diag(3.0 - 4.0 * x) - np.diag(np.ones(n - 1), -1) - 2.0 * np.diag(np.ones(n - 1), 1))


def rosenbrock_terms(x):
    """Chained Rosenbrock terms: 100 (x_{i+1} - x_i²)² and (1 - x_i)²."""
    return np.concatenate([100.0 * (x[1:] - x[:-1] ** 2) ** 2, (1.0 - x[:-1]) ** 2])


def rosenbrock(x):
    return np.sum(rosenbrock_terms(x))


def rosenbrock_derivatives(x):
    n = x.size
    g = np.zeros(n)
    H = np.zeros((n, n))
    for i in range(n - 1):
        a, b = x[i], x[i + 1]
        g[i] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
        g[i + 1] += 200.0 * (b - a * a)
        H[i, i] += 1200.0 * a * a - 400.0 * b + 2.0
        H[i, i + 1] += -400.0 * a
        H[i + 1, i] += -400.0 * a
        H[i + 1, i + 1] += 200.0
    return g, H


def extended_rosenbrock_terms(x):
    """Extended (pairwise) Rosenbrock: 100 (x_{2i+1} - x_{2i}²)² + (1 - x_{2i})²."""
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a ** 2) ** 2, (1.0 - a) ** 2])


GRID = (5, 4)


def grid_terms(x, shape=GRID):
    u = x.reshape(shape)
    return np.concatenate([((u[:-1, :] - u[1:, :]) ** 4).ravel(), ((u[:, :-1] - u[:, 1:]) ** 4).ravel(),
                           np.exp(u).ravel()])


def grid_energy(x):
    return np.sum(grid_terms(x))


def grid_hessian(x, shape=GRID):
    u = x.reshape(shape)
    n = x.size
    idx = np.arange(n).reshape(shape)
    H = np.diag(np.exp(x))
    for (a, b) in [(idx[:-1, :], idx[1:, :]), (idx[:, :-1], idx[:, 1:])]:
        for i, j in zip(a.ravel(), b.ravel(), strict=True):
            d2 = 12.0 * (x[i] - x[j]) ** 2
            H[i, i] += d2
            H[j, j] += d2
            H[i, j] -= d2
            H[j, i] -= d2
    del u
    return H


# -- Jacobians ----------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(structures())
def test_jacobian_equals_dense_on_random_structures(case):
    n, rows = case
    F = make_F(n, rows)
    x = RNG.uniform(-2, 2, n)
    J = sparse.jacobian(F)(x)
    assert isinstance(J, sp.csr_array) and J.dtype == np.float64 and J.shape == (len(rows), n)
    close(J.toarray(), dd.jacobian(F)(x))
    assert (J.toarray() != 0).sum() <= expected_pattern(n, rows).sum()


def test_broyden_jacobian_analytic_and_three_colours():
    n = 50
    x = RNG.uniform(-1, 1, n)
    jac = sparse.jacobian(broyden)
    close(jac(x).toarray(), broyden_jacobian(x))
    assert jac.plan(x).ncolors == 3


def test_args_and_kwargs_pass_through_and_shapes():
    def F(x, a, *, b=1.0):
        return a * x[:, 1:] * x[:, :-1] + b

    x = RNG.uniform(-1, 1, (3, 4))
    J = sparse.jacobian(F)(x, 2.0, b=3.0)
    close(J.toarray(), dd.jacobian(F)(x, 2.0, b=3.0).reshape(9, 12))


def test_auto_pattern_is_detected_once_per_shape():
    calls = []

    def F(x):
        calls.append(type(x).__name__)
        return np.sin(x[1:]) * x[:-1]

    jac = sparse.jacobian(F)
    for _ in range(3):
        jac(RNG.uniform(-1, 1, 6))
    assert calls.count("Tracer") == 1
    jac(RNG.uniform(-1, 1, 7))
    assert calls.count("Tracer") == 2


# -- Hessians -------------------------------------------------------------------------------------

def test_sum_hessian_chained_rosenbrock_analytic():
    n = 30
    x = RNG.uniform(-1.5, 1.5, n)
    value, g, H = sparse.sum_hessian(rosenbrock_terms)(x)
    g_ref, H_ref = rosenbrock_derivatives(x)
    assert value == pytest.approx(rosenbrock(x), rel=1e-14)
    close(g, g_ref)
    close(H.toarray(), H_ref)
    exactly_symmetric(H)
    assert sparse.sum_hessian(rosenbrock_terms).plan(x).ncolors == 2


@pytest.mark.parametrize("terms, n", [(extended_rosenbrock_terms, 20), (grid_terms, 20)])
def test_sum_hessian_equals_dense(terms, n):
    x = RNG.uniform(-1, 1, n)
    f = lambda x: np.sum(terms(x))  # noqa: E731
    value, g, H = sparse.sum_hessian(terms)(x)
    v_ref, g_ref, H_ref = dd.value_grad_hessian(f)(x)
    assert value == pytest.approx(v_ref, rel=1e-13)
    close(g, g_ref)
    close(H.toarray(), H_ref)
    exactly_symmetric(H)


def test_grid_energy_hessian_analytic_both_methods():
    x = RNG.uniform(-1, 1, GRID[0] * GRID[1])
    H_ref = grid_hessian(x)
    _, _, H1 = sparse.sum_hessian(grid_terms)(x)
    H2 = sparse.hessian(grid_energy)(x)
    close(H1.toarray(), H_ref)
    close(H2.toarray(), H_ref)
    exactly_symmetric(H1)
    exactly_symmetric(H2)


@settings(max_examples=30, deadline=None)
@given(structures())
def test_hessians_equal_dense_on_random_structures(case):
    n, rows = case
    F = make_F(n, rows)
    f = lambda x: np.sum(F(x) ** 2)  # noqa: E731
    terms = lambda x: F(x) ** 2  # noqa: E731
    x = RNG.uniform(-2, 2, n)
    v_ref, g_ref, H_ref = dd.value_grad_hessian(f)(x)
    H = sparse.hessian(f)(x)
    close(H.toarray(), H_ref)
    exactly_symmetric(H)
    value, g, H2 = sparse.sum_hessian(terms)(x)
    close(H2.toarray(), H_ref)
    close(g, g_ref)
    exactly_symmetric(H2)


def test_hessian_of_linear_and_constant_functions():
    x = np.ones(4)
    assert sparse.hessian(lambda x: np.sum(2.0 * x))(x).nnz == 0
    value, g, H = sparse.sum_hessian(lambda x: 3.0 * x)(x)
    assert value == 12.0 and (g == 3.0).all() and H.shape == (4, 4)


def test_sparse_hessian_rejects_vector_output():
    with pytest.raises(TypeError, match="scalar"):
        sparse.hessian(lambda x: x ** 2)(np.ones(3))


# -- given patterns -----------------------------------------------------------------------------------

def tridiagonal(n):
    return sp.diags_array([np.ones(n - 1), np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1]) != 0


def test_given_pattern_right_is_accepted_and_wrong_raises_naming_entries():
    n = 12
    x = RNG.uniform(-1, 1, n)
    J = sparse.jacobian(broyden, pattern=tridiagonal(n))(x)
    close(J.toarray(), broyden_jacobian(x))
    J = sparse.jacobian(broyden, pattern=tridiagonal(n).toarray() | np.eye(n, k=3, dtype=bool))(x)
    close(J.toarray(), broyden_jacobian(x))  # a superset is fine
    missing = tridiagonal(n).toarray() & ~np.eye(n, k=1, dtype=bool)
    with pytest.raises(sparse.PatternError) as info:
        sparse.jacobian(broyden, pattern=missing)(x)
    assert "(0, 1)" in str(info.value) and "(1, 2)" in str(info.value)


def test_given_pattern_for_value_dependent_code_names_rows_or_entries():
    def F(x):
        if x[0] > 0:  # the tracer cannot run this in global mode; the local one names entries
            return x * x[::-1]
        return x

    n = 5
    with pytest.raises(sparse.PatternError, match=r"\(0, 4\)"):
        sparse.jacobian(F, pattern=np.eye(n))(np.ones(n))
    J = sparse.jacobian(F, pattern=np.eye(n) + np.eye(n)[::-1])(np.ones(n))
    close(J.toarray(), dd.jacobian(F)(np.ones(n)))


def test_given_hessian_pattern_is_checked():
    n = 8
    x = RNG.uniform(-1, 1, n)
    g_ref, H_ref = rosenbrock_derivatives(x)
    H = sparse.hessian(rosenbrock, pattern=tridiagonal(n))(x)
    close(H.toarray(), H_ref)
    with pytest.raises(sparse.PatternError, match=r"\(0, 1\)"):
        sparse.hessian(rosenbrock, pattern=sp.eye_array(n))(x)
    upper_only = sp.triu(tridiagonal(n))  # made symmetric: accepted
    close(sparse.hessian(rosenbrock, pattern=upper_only)(x).toarray(), H_ref)


def test_given_sum_hessian_pattern_is_checked():
    n = 8
    x = RNG.uniform(-1, 1, n)
    P = sparse.jacobian_pattern(rosenbrock_terms, x).toarray()
    value, g, H = sparse.sum_hessian(rosenbrock_terms, pattern=P)(x)
    close(H.toarray(), rosenbrock_derivatives(x)[1])
    P[0, 1] = False
    with pytest.raises(sparse.PatternError, match=r"\(0, 1\)"):
        sparse.sum_hessian(rosenbrock_terms, pattern=P)(x)


def test_bad_arguments():
    with pytest.raises(ValueError):
        sparse.jacobian(broyden, pattern="global")
    with pytest.raises(ValueError):
        sparse.jacobian(broyden, engine="fortran")
    with pytest.raises(TypeError, match="njit"):
        sparse.jacobian(broyden, engine="numba")
    with pytest.raises(TypeError):
        sparse.jacobian(3.0)
    with pytest.raises(ValueError, match="columns"):
        sparse.jacobian(broyden, pattern=np.eye(3))(np.ones(4))
    with pytest.raises(ValueError, match="rows"):
        sparse.jacobian(lambda x: x[:2], pattern=np.eye(3))(np.ones(3))


def test_numba_function():
    numba = pytest.importorskip("numba")

    @numba.njit
    def F(x):
        y = np.empty_like(x)
        for i in range(x.size):
            y[i] = x[i] ** 2 * x[(i + 1) % x.size]
        return y

    x = RNG.uniform(-1, 1, 7)
    close(sparse.jacobian(F)(x).toarray(), dd.jacobian(F.py_func)(x))


def test_results_do_not_share_arrays_between_calls():
    n = 10
    x = RNG.uniform(-1, 1, n)
    sh = sparse.sum_hessian(rosenbrock_terms)
    _, _, H1 = sh(x)
    H1.data[:] = 0.0
    H1.eliminate_zeros()  # rewrites H1's index arrays in place
    _, _, H2 = sh(x)
    close(H2.toarray(), rosenbrock_derivatives(x)[1])
    J1 = sparse.jacobian(broyden)
    A = J1(x)
    A.indices[:] = 0
    close(J1(x).toarray(), broyden_jacobian(x))
