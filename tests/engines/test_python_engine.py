"""Transforms (grad, jacobian, hessian, jvp, hvp, value_grad_hessian) on numpy-vectorised
functions, against analytic derivatives and a hand-written backpropagation.

For every function: every chunk size from 1 to n (and the default, and one larger than
n) gives the same result; Hessians are exactly symmetric; jvp / hvp equal J @ v / H @ v;
value_grad_hessian agrees with f, grad and hessian.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import dualdiff as dd
from dualdiff import problems

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)

# Results of different chunk sizes differ only by the order of floating-point sums over
# the value axes (direction axes change numpy's reduction loops), i.e. a few ulps.
CHUNK_RTOL = 1e-13
# f(x) through dual arithmetic (einsum for @) against plain numpy (BLAS): sums in another
# order, so agreement to a few ulps of the size of the terms, not of a cancelled result.
VALUE_TOL = dict(rtol=1e-13, atol=1e-13)


def chunks(n):
    return [*range(1, n + 1), n + 3, None]


def assert_same_over_chunks(make, x, n, *, exact=False):
    """make(chunk)(x) is the same for every chunk size; returns the chunk=1 result."""
    ref = np.asarray(make(1)(x))
    scale = max(1.0, float(np.max(np.abs(ref))))
    for c in chunks(n):
        got = np.asarray(make(c)(x))
        assert got.shape == ref.shape
        if exact:
            assert_array_equal(got, ref, err_msg=f"chunk={c}")
        else:
            assert_allclose(got, ref, rtol=CHUNK_RTOL, atol=CHUNK_RTOL * scale, err_msg=f"chunk={c}")
    return ref


def check_hessian_transforms(f, x, H_want, g_want, *, rtol=1e-12, atol=1e-12, exact=False):
    """hessian over all chunks (exactly symmetric, == H_want), value_grad_hessian, hvp, grad."""
    n = x.size
    H = assert_same_over_chunks(lambda c: dd.hessian(f, chunk=c), x, n, exact=exact)
    for c in chunks(n):
        Hc = dd.hessian(f, chunk=c)(x)
        assert_array_equal(Hc, Hc.T, err_msg=f"Hessian not exactly symmetric, chunk={c}")
    if exact:
        assert_array_equal(H, H_want)
    else:
        assert_allclose(H, H_want, rtol=rtol, atol=atol)
    g = assert_same_over_chunks(lambda c: dd.grad(f, chunk=c), x, n)
    assert_allclose(g, g_want, rtol=rtol, atol=atol)
    for c in chunks(n):
        value, gv, Hv = dd.value_grad_hessian(f, chunk=c)(x)
        assert_allclose(value, f(x), **VALUE_TOL)
        assert_allclose(gv, g, rtol=CHUNK_RTOL, atol=CHUNK_RTOL * max(1.0, np.max(np.abs(g))))
        assert_allclose(Hv, H, rtol=CHUNK_RTOL, atol=CHUNK_RTOL * max(1.0, np.max(np.abs(H))))
    rng = np.random.default_rng(n)
    v = rng.standard_normal(x.shape)
    for c in chunks(n):
        assert_allclose(dd.hvp(f, x, v, chunk=c), H @ v, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(H))))
    value, slope = dd.jvp(f, x, v)
    assert_allclose(value, f(x), **VALUE_TOL)
    assert_allclose(slope, g @ v, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(g))))
    return H, g


def check_jacobian_transforms(F, x, J_want, *, rtol=1e-12, atol=1e-12):
    n = x.size
    J = assert_same_over_chunks(lambda c: dd.jacobian(F, chunk=c), x, n)
    assert_allclose(J, J_want, rtol=rtol, atol=atol)
    v = np.random.default_rng(n + 1).standard_normal(x.shape)
    value, slope = dd.jvp(F, x, v)
    assert_allclose(value, F(x), **VALUE_TOL)
    assert_allclose(slope, J @ v, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(J))))
    return J


# -- softmax and log-sum-exp ----------------------------------------------------------------

def softmax(x):
    e = np.exp(x)
    return e / np.sum(e)


def logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def softmax_plain(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


@SETTINGS
@given(st.integers(1, 7), seeds)
def test_softmax_jacobian(n, seed):
    x = np.random.default_rng(seed).standard_normal(n)
    s = softmax_plain(x)
    check_jacobian_transforms(softmax, x, np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(st.integers(1, 6), st.data(), seeds)
def test_softmax_component_hessian(n, data, seed):
    """d2 s_i / dx_j dx_k = s_i (d_ij - s_j)(d_ik - s_k) - s_i s_j (d_jk - s_k)."""
    x = np.random.default_rng(seed).standard_normal(n)
    i = data.draw(st.integers(0, n - 1))
    s, eye = softmax_plain(x), np.eye(n)
    H_want = s[i] * np.outer(eye[i] - s, eye[i] - s) - s[i] * (np.diag(s) - np.outer(s, s))
    g_want = s[i] * (eye[i] - s)
    check_hessian_transforms(lambda y: softmax(y)[i], x, H_want, g_want, rtol=1e-12, atol=1e-14)


@SETTINGS
@given(st.integers(1, 7), seeds)
def test_logsumexp_grad_and_hessian(n, seed):
    x = np.random.default_rng(seed).standard_normal(n)
    s = softmax_plain(x)
    check_hessian_transforms(logsumexp, x, np.diag(s) - np.outer(s, s), s, rtol=1e-12, atol=1e-14)


# -- least squares and quadratic forms --------------------------------------------------------

@SETTINGS
@given(st.integers(1, 6), st.integers(1, 8), seeds)
def test_least_squares(n, m, seed):
    rng = np.random.default_rng(seed)
    A, y, x = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)

    def f(z):
        r = A @ z - y
        return 0.5 * np.sum(r * r)

    H, _ = check_hessian_transforms(f, x, A.T @ A, A.T @ (A @ x - y), rtol=1e-12, atol=1e-12)
    # the same function written with np.dot, np.linalg.norm and a transposed view
    g2 = lambda z: 0.5 * np.linalg.norm(np.dot(A.T.T, z) - y) ** 2
    assert_allclose(dd.hessian(g2)(x), A.T @ A, rtol=1e-12, atol=1e-12)
    # and the Jacobian of the residual is A itself
    check_jacobian_transforms(lambda z: A @ z - y, x, A)


@SETTINGS
@given(st.integers(1, 6), seeds)
def test_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    A, x = rng.standard_normal((n, n)), rng.standard_normal(n)  # A not symmetric
    S = A + A.T
    check_hessian_transforms(lambda z: z @ A @ z, x, S, S @ x, exact=False, rtol=1e-14, atol=1e-14)
    assert_array_equal(dd.hessian(lambda z: z @ A @ z)(x), S)  # the Hessian is exact
    assert_array_equal(dd.hessian(lambda z: np.einsum("i,ij,j->", z, A, z), chunk=2)(x), S)
    assert_array_equal(dd.hessian(lambda z: np.dot(z, np.dot(A, z)), chunk=n)(x), S)


def test_hessian_of_matrix_input_keeps_shape():
    rng = np.random.default_rng(0)
    X, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    f = lambda Z: np.trace(Z @ B) + np.sum(Z * Z)
    H = dd.hessian(f, chunk=4)(X)
    assert H.shape == (2, 3, 2, 3)
    assert_array_equal(H.reshape(6, 6), 2.0 * np.eye(6))
    assert_allclose(dd.grad(f, chunk=5)(X), B.T + 2 * X, rtol=1e-14)


# -- Broyden tridiagonal -------------------------------------------------------------------

broyden, broyden_jacobian = problems.broyden, problems.broyden_jacobian  # the shared test problem


@SETTINGS
@given(st.integers(1, 9), seeds)
def test_broyden_jacobian(n, seed):
    x = np.random.default_rng(seed).standard_normal(n)
    J = check_jacobian_transforms(broyden, x, broyden_jacobian(x), rtol=1e-14, atol=1e-14)
    band = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
    assert np.all(J[~band] == 0.0), "Jacobian not exactly tridiagonal"
    assert_array_equal(np.diag(J, -1), -1.0)
    assert_array_equal(np.diag(J, 1), -2.0)


@SETTINGS
@given(st.integers(1, 8), seeds)
def test_broyden_merit_hessian(n, seed):
    """phi = 1/2 |F|^2: Hessian J^T J + sum_i F_i Hess(F_i) = J^T J - 4 diag(F)."""
    x = np.random.default_rng(seed).standard_normal(n)
    F, J = broyden(x), broyden_jacobian(x)
    phi = lambda z: 0.5 * np.sum(broyden(z) ** 2)
    check_hessian_transforms(phi, x, J.T @ J - 4.0 * np.diag(F), J.T @ F, rtol=1e-12, atol=1e-12)


# -- a 2-layer MLP ----------------------------------------------------------------------------

D_IN, HIDDEN, SAMPLES = 2, 3, 5
N_W = HIDDEN * D_IN + HIDDEN + HIDDEN + 1  # W1, b1, w2, b2 flattened


def unpack(w):
    i = HIDDEN * D_IN
    return w[:i].reshape(HIDDEN, D_IN), w[i:i + HIDDEN], w[i + HIDDEN:i + 2 * HIDDEN], w[N_W - 1]


def mlp_loss(w, X, y):
    """1/2 sum (sigmoid(tanh(X W1^T + b1) w2 + b2) - y)^2."""
    W1, b1, w2, b2 = unpack(w)
    h = np.tanh(X @ W1.T + b1)
    p = 1.0 / (1.0 + np.exp(-(h @ w2 + b2)))
    r = p - y
    return 0.5 * np.sum(r * r)


def mlp_backprop(w, X, y):
    """The gradient of mlp_loss by hand (reverse mode), flattened like w."""
    W1, b1, w2, b2 = unpack(w)
    h = np.tanh(X @ W1.T + b1)            # (SAMPLES, HIDDEN)
    p = 1.0 / (1.0 + np.exp(-(h @ w2 + b2)))
    dz = (p - y) * p * (1.0 - p)          # dL/dz, (SAMPLES,)
    g_w2 = h.T @ dz
    g_b2 = np.sum(dz)
    da = np.outer(dz, w2) * (1.0 - h * h)  # dL/d(pre-activation), (SAMPLES, HIDDEN)
    g_W1 = da.T @ X
    g_b1 = np.sum(da, axis=0)
    return np.concatenate([np.ravel(g_W1), g_b1, g_w2, np.reshape(g_b2, (1,))])


def mlp_data(seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(N_W), rng.standard_normal((SAMPLES, D_IN)), rng.random(SAMPLES)


@settings(max_examples=8, deadline=None)
@given(seeds)
def test_mlp_gradient_and_hessian(seed):
    w, X, y = mlp_data(seed)
    f = lambda v: mlp_loss(v, X, y)
    g_hand = mlp_backprop(w, X, y)
    # the Hessian is the Jacobian of the hand-written gradient: differentiate the
    # backpropagation code itself with first-order duals (no hyper-duals involved)
    H_jac = dd.jacobian(lambda v: mlp_backprop(v, X, y))(w)
    H, g = check_hessian_transforms(f, w, 0.5 * (H_jac + H_jac.T), g_hand, rtol=1e-11, atol=1e-13)
    assert_allclose(H_jac, H_jac.T, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_hessian_central_differences(seed):
    """Hessian against central differences of the hand-written gradient.

    With step h = 1e-5 the truncation error is h^2/6 |g'''| ~ 1e-11 (all derivatives of this
    tanh/sigmoid net at unit-scale weights are O(1)) and the rounding error ~ 1e-16 |g| / h
    ~ 1e-11, so 1e-7 leaves a margin of 10^4 while catching any wrong entry.
    """
    w, X, y = mlp_data(seed)
    h = 1e-5
    fd = np.empty((N_W, N_W))
    for j in range(N_W):
        e = np.zeros(N_W)
        e[j] = h
        fd[:, j] = (mlp_backprop(w + e, X, y) - mlp_backprop(w - e, X, y)) / (2 * h)
    H = dd.hessian(lambda v: mlp_loss(v, X, y), chunk=4)(w)
    assert_allclose(H, fd, rtol=1e-7, atol=1e-7)
    assert np.max(np.abs(H)) > 1e-2  # a nontrivial Hessian


def test_mlp_grad_matches_backprop_for_all_chunks():
    w, X, y = mlp_data(7)
    f = lambda v: mlp_loss(v, X, y)
    g = assert_same_over_chunks(lambda c: dd.grad(f, chunk=c), w, N_W)
    assert_allclose(g, mlp_backprop(w, X, y), rtol=1e-12, atol=1e-15)


# -- chunked passes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "chunk", "passes"), [(5, 1, 5), (5, 2, 3), (5, 5, 1), (7, 3, 3), (6, 10, 1)])
def test_jacobian_runs_ceil_n_over_chunk_passes(n, chunk, passes):
    calls = []

    def f(x):
        calls.append(1)
        return np.exp(x) * np.sum(x)

    x = np.linspace(-1.0, 1.0, n)
    J = dd.jacobian(f, chunk=chunk)(x)
    assert len(calls) == passes
    assert_allclose(J, np.diag(np.exp(x) * x.sum()) + np.outer(np.exp(x), np.ones(n)), rtol=1e-14)
    calls.clear()
    dd.grad(lambda z: f(z)[0], chunk=chunk)(x)
    assert len(calls) == passes


@pytest.mark.parametrize(("n", "chunk"), [(5, 1), (5, 2), (5, 5), (7, 3), (6, 10)])
def test_hvp_and_hessian_pass_counts(n, chunk):
    """hvp: ceil(n/chunk) passes; hessian: the upper triangle of b x b blocks, b = ceil(n/chunk)."""
    calls = []

    def f(x):
        calls.append(1)
        return np.sum(np.exp(x)) * np.sum(x * x)

    x = np.linspace(-1.0, 1.0, n)
    v = np.cos(np.arange(n))
    s, q = np.exp(x).sum(), np.sum(x * x)
    H_want = np.diag(np.exp(x)) * q + 2 * np.outer(np.exp(x), x) + 2 * np.outer(x, np.exp(x)) + 2 * s * np.eye(n)
    b = -(-n // chunk)
    assert_allclose(dd.hvp(f, x, v, chunk=chunk), H_want @ v, rtol=1e-13)
    assert len(calls) == b
    calls.clear()
    assert_allclose(dd.hessian(f, chunk=chunk)(x), H_want, rtol=1e-13)
    assert len(calls) == b * (b + 1) // 2
    calls.clear()
    dd.jvp(f, x, v)
    assert len(calls) == 1


# -- consistency: nested first-order transforms through the numpy functions ------------------

_A = np.random.default_rng(5).standard_normal((4, 4)) + 4.0 * np.eye(4)
NESTED = {
    "logsumexp": logsumexp,
    "quadratic": lambda z: z @ _A @ z,
    "norm": lambda z: np.linalg.norm(z),
    "det": lambda z: np.linalg.det(_A + np.outer(z, z)),
    "solve": lambda z: np.sum(np.linalg.solve(_A + np.diag(z), z)),
    "inv": lambda z: np.trace(np.linalg.inv(_A + np.diag(z))),
    "prod": lambda z: np.prod(z),
    "einsum": lambda z: np.einsum("i,ij,j->", z, _A, np.tanh(z)),
    "cumsum": lambda z: np.sum(np.cumsum(z) ** 2),
    "where": lambda z: np.sum(np.where(z > 0, z**2, z**3)),
}


@pytest.mark.parametrize("name", NESTED)
def test_hessian_agrees_with_jacobian_of_grad(name):
    """Not an oracle (both are dualdiff), a consistency check: hyper-dual Hessians against
    Jacobians of gradients, whose inner duals are the *values* of the outer ones (nested tags)."""
    f = NESTED[name]
    x = np.random.default_rng(3).standard_normal(4)
    H = dd.hessian(f)(x)
    scale = max(1.0, np.max(np.abs(H)))
    for outer, inner in [(1, 1), (2, 3), (4, None)]:
        J = dd.jacobian(dd.grad(f, chunk=inner), chunk=outer)(x)
        assert_allclose(J, H, rtol=1e-12, atol=1e-13 * scale)


def test_storing_a_dual_in_a_float_array_inside_a_transform_names_the_fix():
    def f(x):
        out = np.zeros(2)
        out[0] = x[0] * x[1]
        return out

    with pytest.raises(dd.DualConversionError, match="zeros_like"):
        dd.jacobian(f)(np.ones(2))
