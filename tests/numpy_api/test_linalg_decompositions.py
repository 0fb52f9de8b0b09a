"""np.linalg decompositions on dual arrays (issue 13, item 3), first and second order.

Oracle: mpmath at 50 digits, independent of numpy and dualdiff (mp.cholesky, mp.eigsy,
mp.svd_r, mp.qr, mp.det, mp.inverse, matrix powers), differentiated by central differences
along the hyper-dual's seed directions E₁, E₂ with step h = 1e-15:
f'·E₁ = (f(A + hE₁) − f(A − hE₁))/2h and E₁ᵀf''E₂ by the four-point formula.  At 50 digits
the truncation error is O(h²) ≈ 1e-30 relative and the rounding error O(10⁻⁵⁰/h²) ≈ 1e-20,
so the oracle is exact to far below float64; dualdiff's error is the conditioning of the
decomposition times a few ulp: rtol 1e-9 on well-conditioned matrices drawn by hypothesis
(eigenvalue/singular-value gaps >= 0.05 and condition numbers <= 1e3).  Eigen- and
singular-vector signs are matched to numpy's before comparing.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualdiff as dd

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
H = mp.mpf("1e-15")
RTOL = 1e-9


def mpm(a):
    return mp.matrix(np.asarray(a, dtype=float).tolist())


def fd(f, A, E1, E2):
    """(f'(A)·E₁, E₁ᵀ f''(A) E₂) of a scalar mpmath function f of a matrix, at 50 digits."""
    with mp.workdps(50):
        a, e1, e2 = mpm(A), mpm(E1), mpm(E2)
        g = lambda t, s: f(a + t * e1 + s * e2)
        d1 = (g(H, 0) - g(-H, 0)) / (2 * H)
        d12 = (g(H, H) - g(H, -H) - g(-H, H) + g(-H, -H)) / (4 * H * H)
        return float(d1), float(d12)


def check(f_dd, f_mp, A, E1, E2):
    r = f_dd(dd.HyperDual(A, E1, E2, 0.0))
    d1, d12 = fd(f_mp, A, E1, E2)
    scale1 = max(abs(d1), 1e-3)
    scale2 = max(abs(d12), 1e-3)
    assert abs(r.eps1 - d1) <= RTOL * scale1, (r.eps1, d1)
    assert abs(r.eps12 - d12) <= RTOL * scale2, (r.eps12, d12)


sizes = st.integers(2, 4)


@st.composite
def problem(draw, spd=False, square=True):
    n = draw(sizes)
    m = n if square else draw(st.integers(n, n + 2))
    A = draw(hnp.arrays(np.float64, (m, n), elements=st.floats(-2, 2)))
    E1 = draw(hnp.arrays(np.float64, (m, n), elements=st.floats(-1, 1)))
    E2 = draw(hnp.arrays(np.float64, (m, n), elements=st.floats(-1, 1)))
    if spd:
        A = A @ A.T + n * np.eye(n)
        E1, E2 = E1 + E1.T, E2 + E2.T
    assume(np.linalg.cond(A) < 1e3)
    w = np.linspace(1.0, 2.0, m * n).reshape(m, n)
    return A, E1, E2, w


def _wsum(w, M, rows, cols):
    return sum(w[i, j] * M[i, j] for i in range(rows) for j in range(cols))


@SETTINGS
@given(problem(spd=True))
def test_cholesky_and_slogdet(p):
    A, E1, E2, w = p
    n = len(A)
    check(lambda h: np.sum(w * np.linalg.cholesky(h)), lambda M: _wsum(w, mp.cholesky(M), n, n), A, E1, E2)
    check(lambda h: np.sum(w * np.linalg.cholesky(h, upper=True)),
          lambda M: _wsum(w, mp.cholesky(M).T, n, n), A, E1, E2)
    check(lambda h: np.linalg.slogdet(h).logabsdet, lambda M: mp.log(abs(mp.det(M))), A, E1, E2)


@SETTINGS
@given(problem(spd=True))
def test_eigh_and_eigvalsh(p):
    A, E1, E2, w = p
    n = len(A)
    w0, v0 = np.linalg.eigh(A)
    assume(np.min(np.diff(w0)) > 0.05)
    c = np.arange(1.0, n + 1)
    check(lambda h: np.linalg.eigvalsh(h) @ c, lambda M: sum(ci * e for ci, e in zip(c, sorted(mp.eigsy(M)[0]), strict=True)),
          A, E1, E2)

    def vectors(M):
        e, Q = mp.eigsy(M)
        order = sorted(range(n), key=lambda i: e[i])
        total = 0
        for k, i in enumerate(order):
            col = [Q[r, i] for r in range(n)]
            sign = 1 if sum(col[r] * v0[r, k] for r in range(n)) > 0 else -1
            total += sum(w[r, k] * sign * col[r] for r in range(n))
        return total

    check(lambda h: np.sum(w * np.linalg.eigh(h).eigenvectors), vectors, A, E1, E2)


@SETTINGS
@given(problem(square=False))
def test_svd_and_matrix_norms(p):
    A, E1, E2, w = p
    s0 = np.linalg.svd(A, compute_uv=False)
    assume(np.min(-np.diff(s0)) > 0.05 and s0[-1] > 0.05)
    c = np.arange(1.0, len(s0) + 1)
    sv = lambda M: sorted(mp.svd_r(M, compute_uv=False), reverse=True)
    check(lambda h: np.linalg.svd(h, compute_uv=False) @ c, lambda M: sum(ci * s for ci, s in zip(c, sv(M), strict=True)), A, E1, E2)
    check(lambda h: np.linalg.norm(h, 2), lambda M: sv(M)[0], A, E1, E2)
    check(lambda h: np.linalg.norm(h, "nuc"), lambda M: sum(sv(M)), A, E1, E2)
    check(lambda h: np.linalg.norm(h, -2), lambda M: sv(M)[-1], A, E1, E2)
    # the singular vectors reconstruct A to second order: U S Vᵀ = A in every part
    u, s, vh = np.linalg.svd(dd.HyperDual(A, E1, E2, 0.0), full_matrices=False)
    back = (u * s[..., None, :]) @ vh
    np.testing.assert_allclose(back.value, A, atol=1e-12)
    np.testing.assert_allclose(back.eps1, E1, atol=1e-10)
    np.testing.assert_allclose(back.eps12, 0.0, atol=1e-9)
    orth = u.T @ u
    np.testing.assert_allclose(orth.eps12, 0.0, atol=1e-9)


@SETTINGS
@given(problem(square=False))
def test_qr_pinv_lstsq(p):
    A, E1, E2, w = p
    m, n = A.shape
    q0, r0 = np.linalg.qr(A)
    assume(np.min(np.abs(np.diag(r0))) > 0.05)

    def qr_mp(M):
        Q, R = mp.qr(M)
        total = 0
        for i in range(n):
            sign = 1 if R[i, i] * r0[i, i] > 0 else -1
            total += sum(w[i, j] * sign * R[i, j] for j in range(n))
            total += sum(w[r, i] * sign * Q[r, i] for r in range(m))
        return total

    check(lambda h: (lambda q, r: np.sum(w[:n] * r) + np.sum(w * q))(*np.linalg.qr(h)), qr_mp, A, E1, E2)
    pw = np.linspace(0.5, 1.5, m * n).reshape(n, m)
    pinv_mp = lambda M: _wsum(pw, (M.T * M) ** -1 * M.T, n, m)
    check(lambda h: np.sum(pw * np.linalg.pinv(h)), pinv_mp, A, E1, E2)
    b = np.linspace(-1, 1, m)
    check(lambda h: np.linalg.lstsq(h, b)[0] @ np.arange(1.0, n + 1),
          lambda M: sum((i + 1) * x for i, x in enumerate((M.T * M) ** -1 * M.T * mp.matrix(b.tolist()))), A, E1, E2)


@SETTINGS
@given(problem(), st.integers(-2, 3))
def test_matrix_power_multi_dot(p, k):
    A, E1, E2, w = p
    n = len(A)
    check(lambda h: np.sum(w * np.linalg.matrix_power(h, k)), lambda M: _wsum(w, M ** k, n, n), A, E1, E2)
    check(lambda h: np.sum(w * np.linalg.multi_dot([h, A, h])), lambda M: _wsum(w, M * mpm(A) * M, n, n), A, E1, E2)


@SETTINGS
@given(st.integers(1, 3), problem())
def test_batched_solve_inv_det(batch, p):
    A, E1, E2, w = p
    n = len(A)
    As = np.stack([A + k * np.eye(n) for k in range(batch)])
    e1s, e2s = np.stack([E1] * batch), np.stack([E2 * (k + 1) for k in range(batch)])
    h = dd.HyperDual(As, e1s, e2s, 0.0)
    dets, invs = np.linalg.det(h), np.linalg.inv(h)
    b = np.linspace(1, 2, n)
    sols = np.linalg.solve(h, b)
    for k in range(batch):
        Ak = As[k]
        d1, d12 = fd(lambda M: mp.det(M), Ak, E1, E2 * (k + 1))
        np.testing.assert_allclose([dets.eps1[k], dets.eps12[k]], [d1, d12], rtol=RTOL, atol=1e-9)
        d1, d12 = fd(lambda M: _wsum(w, M ** -1, n, n), Ak, E1, E2 * (k + 1))
        np.testing.assert_allclose([np.sum(w * invs.eps1[k]), np.sum(w * invs.eps12[k])], [d1, d12], rtol=RTOL, atol=1e-9)
        d1, d12 = fd(lambda M: sum(M ** -1 * mp.matrix(b.tolist())), Ak, E1, E2 * (k + 1))
        np.testing.assert_allclose([sols.eps1[k].sum(), sols.eps12[k].sum()], [d1, d12], rtol=RTOL, atol=1e-9)


def test_not_differentiable_cases_raise():
    with pytest.raises(ValueError, match="repeated eigenvalue"):
        np.linalg.eigh(dd.Dual(np.eye(3), np.ones((3, 3))))
    with pytest.raises(ValueError, match="zero singular value"):
        np.linalg.svd(dd.Dual(np.diag([1.0, 0.0]), np.ones((2, 2))))
    with pytest.raises(TypeError, match="full_matrices=False"):
        np.linalg.svd(dd.Dual(np.ones((3, 2)) + np.eye(3, 2), 1.0))
    with pytest.raises(ValueError, match="rank-deficient"):
        np.linalg.pinv(dd.Dual(np.ones((3, 2)), 1.0))
