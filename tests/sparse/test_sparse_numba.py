"""The numba engine's compressed passes (sparse.jacobian, sum_hessian, sum_grad on @njit F)
against analytic derivatives and the numpy engine's results.

Few distinct compiled drivers (compilation dominates): Broyden's Jacobian (3 lanes),
extended Rosenbrock's sum-Hessian and gradient (2 lanes), a 2-D grid energy's (its colours).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from dualdiff import sparse

N = 24            # Broyden and Rosenbrock sizes (one plan, one compilation each)
GRID = (4, 5)     # the grid energy's x is a 2-D array


# -- test functions (element loops) and their analytic derivatives ----------------------------

@njit
def broyden(x):
    """F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1."""
    n = x.shape[0]
    y = np.empty_like(x)
    for i in range(n):
        v = (3.0 - 2.0 * x[i]) * x[i] + 1.0
        if i > 0:
            v = v - x[i - 1]
        if i < n - 1:
            v = v - 2.0 * x[i + 1]
        y[i] = v
    return y


def broyden_jacobian(x):
    n = x.size
    return np.diag(3.0 - 4.0 * x) - np.diag(np.ones(n - 1), -1) - 2.0 * np.diag(np.ones(n - 1), 1)


@njit
def rosenbrock_terms(x):
    """Extended Rosenbrock: 100 (x_{2i+1} - x_{2i}²)² and (1 - x_{2i})²."""
    h = x.shape[0] // 2
    out = np.empty(2 * h, dtype=x.dtype)
    for i in range(h):
        a = x[2 * i]
        b = x[2 * i + 1]
        out[i] = 100.0 * (b - a * a) ** 2
        out[h + i] = (1.0 - a) ** 2
    return out


def rosenbrock_derivatives(x):
    n = x.size
    f, g, H = 0.0, np.zeros(n), np.zeros((n, n))
    for i in range(n // 2):
        ia, ib = 2 * i, 2 * i + 1
        a, b = x[ia], x[ib]
        f += 100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2
        g[ia] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
        g[ib] = 200.0 * (b - a * a)
        H[ia, ia] = 1200.0 * a * a - 400.0 * b + 2.0
        H[ia, ib] = H[ib, ia] = -400.0 * a
        H[ib, ib] = 200.0
    return f, g, H


@njit
def grid_terms(u):
    """(u_ij - u_{i+1,j})⁴, (u_ij - u_{i,j+1})⁴ and exp(u_ij) on a 2-D u."""
    R, C = u.shape
    out = np.empty((R - 1) * C + R * (C - 1) + R * C, dtype=u.dtype)
    t = 0
    for i in range(R - 1):
        for j in range(C):
            out[t] = (u[i, j] - u[i + 1, j]) ** 4
            t += 1
    for i in range(R):
        for j in range(C - 1):
            out[t] = (u[i, j] - u[i, j + 1]) ** 4
            t += 1
    for i in range(R):
        for j in range(C):
            out[t] = np.exp(u[i, j])
            t += 1
    return out


def grid_derivatives(u):
    R, C = u.shape
    n = R * C
    f, g, H = 0.0, np.zeros(n), np.zeros((n, n))

    def pair(a, b):
        nonlocal f
        d = u.flat[a] - u.flat[b]
        f += d ** 4
        g[a] += 4 * d ** 3
        g[b] -= 4 * d ** 3
        h = 12 * d ** 2
        H[a, a] += h
        H[b, b] += h
        H[a, b] -= h
        H[b, a] -= h

    for i in range(R):
        for j in range(C):
            k = i * C + j
            if i + 1 < R:
                pair(k, k + C)
            if j + 1 < C:
                pair(k, k + 1)
    e = np.exp(u.ravel())
    f += e.sum()
    g += e
    H[np.diag_indices(n)] += e
    return f, g, H


@njit
def sqrt_products(x):
    """F_i = sqrt(x_i) x_{i+1}: at x_i = 0 the partial in x_{i+1}'s lane is inf · 0 unless NaN-safe."""
    n = x.shape[0]
    out = np.empty(n - 1, dtype=x.dtype)
    for i in range(n - 1):
        out[i] = np.sqrt(x[i]) * x[i + 1]
    return out


# -- helpers -------------------------------------------------------------------------------------

def close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(np.abs(b).max(initial=0.0), 1.0)
    assert np.abs(a - b).max(initial=0.0) <= rtol * scale, np.abs(a - b).max()


def same_csr(A, B, rtol=1e-12):
    """Same structure, values equal to rounding."""
    assert isinstance(A, sp.csr_array) and A.dtype == np.float64 and A.shape == B.shape
    assert np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)
    np.testing.assert_allclose(A.data, B.data, rtol=rtol, atol=1e-300)


def identical_csr(A, B):
    assert np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)
    assert A.data.tobytes() == B.data.tobytes()


def exactly_symmetric(H):
    assert (H != H.T).nnz == 0


unit = st.floats(-2.0, 2.0, allow_nan=False, width=64)

# transforms made once per module: their plans and compiled drivers are reused
JAC = sparse.jacobian(broyden, engine="numba")
JAC_PY = sparse.jacobian(broyden, engine="python")
SH = sparse.sum_hessian(rosenbrock_terms)                   # auto: numba for an @njit F
SH_PY = sparse.sum_hessian(rosenbrock_terms, engine="python")
SG = sparse.sum_grad(rosenbrock_terms)
SG_PY = sparse.sum_grad(rosenbrock_terms, engine="python")
GRID_SH = sparse.sum_hessian(grid_terms, engine="numba")
GRID_SG = sparse.sum_grad(grid_terms, engine="numba")


# -- against the analytic derivatives and the numpy engine --------------------------------------

@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, N, elements=unit))
def test_broyden_jacobian(x):
    J = JAC(x)
    close(J.toarray(), broyden_jacobian(x))
    same_csr(J, JAC_PY(x))


@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, N, elements=unit))
def test_rosenbrock_sum_hessian_and_sum_grad(x):
    f, g, H = rosenbrock_derivatives(x)
    value, grad, Hs = SH(x)
    close(value, f)
    close(grad, g)
    close(Hs.toarray(), H)
    exactly_symmetric(Hs)
    v2, g2, H2 = SH_PY(x)
    np.testing.assert_allclose(value, v2, rtol=1e-12)
    np.testing.assert_allclose(grad, g2, rtol=1e-12, atol=1e-300)
    same_csr(Hs, H2)
    value, grad = SG(x)
    assert isinstance(value, float) and grad.dtype == np.float64 and grad.shape == (N,)
    close(value, f)
    close(grad, g)
    v3, g3 = SG_PY(x)
    np.testing.assert_allclose(value, v3, rtol=1e-12)
    np.testing.assert_allclose(grad, g3, rtol=1e-12, atol=1e-300)


@settings(max_examples=10, deadline=None)
@given(arrays(np.float64, GRID, elements=st.floats(-1.0, 1.0, width=64)))
def test_grid_energy_on_a_2d_x(u):
    f, g, H = grid_derivatives(u)
    value, grad, Hs = GRID_SH(u)
    close(value, f)
    close(grad, g)
    close(Hs.toarray(), H)
    exactly_symmetric(Hs)
    v2, g2 = GRID_SG(u)
    close(v2, f)
    close(g2, g)
    vp, gp, Hp = sparse.sum_hessian(grid_terms, engine="python")(u)
    np.testing.assert_allclose(grad, gp, rtol=1e-12, atol=1e-300)
    same_csr(Hs, Hp)


def test_sum_grad_fast_path_matches_the_first_call_and_handles_other_inputs():
    x = np.linspace(-1.0, 1.0, N)
    first = SG(x)
    again = SG(x)
    assert first[0] == again[0] and first[1].tobytes() == again[1].tobytes()
    g = rosenbrock_derivatives(x)[1]
    close(SG(x[::-1].copy())[1], rosenbrock_derivatives(x[::-1])[1])
    close(SG(list(x))[1], g)                             # not an array: the general path
    close(SG(np.asarray(x, dtype=np.float32))[1], rosenbrock_derivatives(x.astype(np.float32).astype(float))[1])
    wide = np.stack([x, x], axis=1)[:, 0]                # a strided view
    close(SG(wide)[1], g)


# -- executor: colour ranges as tasks, bit for bit --------------------------------------------------

def test_executor_threads_give_identical_results():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, N)
    u = rng.uniform(-1, 1, GRID)
    with ThreadPoolExecutor(2) as ex:
        identical_csr(sparse.jacobian(broyden, executor=ex)(x), JAC(x))
        v, g, H = sparse.sum_hessian(rosenbrock_terms, executor=ex)(x)
        v0, g0, H0 = SH(x)
        assert v == v0 and g.tobytes() == g0.tobytes()
        identical_csr(H, H0)
        v, g = sparse.sum_grad(rosenbrock_terms, executor=ex)(x)
        v0, g0 = SG(x)
        assert v == v0 and g.tobytes() == g0.tobytes()
        v, g, H = sparse.sum_hessian(grid_terms, executor=ex)(u)
        v0, g0, H0 = GRID_SH(u)
        assert v == v0 and g.tobytes() == g0.tobytes()
        identical_csr(H, H0)


# -- NaN-safe rerun, errors ---------------------------------------------------------------------------

def test_nan_safe_rerun():
    x = np.array([0.0, 2.0, 0.0, 3.0, 1.0])
    jac = sparse.jacobian(sqrt_products)
    first = jac(x)
    identical_csr(jac(x), first)  # the fast path redoes NaN-safely too
    J = first.toarray()
    # ∂F_0/∂x_1 = sqrt(x_0) = 0 (inf · 0 in x_1's lane without the NaN-safe rerun)
    assert J[0, 1] == 0.0 and J[2, 3] == 0.0
    assert np.isinf(J[0, 0]) and np.isinf(J[2, 2])
    close([J[1, 2], J[3, 4], J[1, 1], J[3, 3]], [np.sqrt(2.0), np.sqrt(3.0), 0.0, 0.5 / np.sqrt(3.0)])
    assert not np.isnan(J).any()
    value, grad = sparse.sum_grad(sqrt_products)(x)
    assert grad[1] == 0.0 and not np.isnan(grad).any()
    close(grad[3], 0.5 / np.sqrt(3.0))
    close(value, np.sqrt(3.0))
    again = sparse.sum_grad(sqrt_products)
    again(x)
    assert again(x)[1].tobytes() == grad.tobytes()  # the fast path redoes NaN-safely too


def test_engine_numba_needs_an_njit_function():
    def plain(x):
        return x * x

    for transform in (sparse.jacobian, sparse.sum_hessian, sparse.sum_grad):
        with pytest.raises(TypeError, match="njit"):
            transform(plain, engine="numba")
        with pytest.raises(TypeError, match="positionally"):
            transform(broyden, engine="numba")(np.ones(4), scale=2.0)


def test_wrong_given_pattern_raises():
    x = np.linspace(-1.0, 1.0, N)
    P = sp.csr_array(np.abs(broyden_jacobian(x)) > 0)
    close(sparse.jacobian(broyden, pattern=P)(x).toarray(), broyden_jacobian(x))
    bad = P.tolil()
    bad[3, 4] = False
    with pytest.raises(sparse.PatternError, match=r"\(3, 4\)"):
        sparse.jacobian(broyden, pattern=bad.tocsr())(x)
    # the terms' Jacobian pattern for sum_hessian / sum_grad
    Pt = sparse.jacobian_pattern(rosenbrock_terms, x).tolil()
    close(sparse.sum_hessian(rosenbrock_terms, pattern=Pt.tocsr())(x)[2].toarray(), rosenbrock_derivatives(x)[2])
    Pt[0, 1] = False
    for transform in (sparse.sum_hessian, sparse.sum_grad):
        with pytest.raises(sparse.PatternError, match=r"\(0, 1\)"):
            transform(rosenbrock_terms, pattern=Pt.tocsr())(x)
    with pytest.raises(ValueError, match="rows"):
        sparse.jacobian(broyden, pattern=np.eye(N + 1, N))(x)


def test_results_are_independent_between_calls():
    x = np.linspace(-1.0, 1.0, N)
    J1 = JAC(x)
    J1.data[:] = 0.0
    J1.eliminate_zeros()  # rewrites J1's index arrays in place
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
        J1[0, 5] = 7.0  # a new entry: new index arrays
    J2 = JAC(x)
    close(J2.toarray(), broyden_jacobian(x))
    _, g1, H1 = SH(x)
    H1.data[:] = 0.0
    H1.eliminate_zeros()
    g1[:] = 0.0
    _, g2, H2 = SH(x)
    _, g, H = rosenbrock_derivatives(x)
    close(H2.toarray(), H)
    close(g2, g)
    assert H2.has_canonical_format and (H2 @ np.ones(N)).shape == (N,)
    assert (H2 + H2).nnz == H2.nnz and sp.csr_array(H2.toarray()).nnz <= H2.nnz
