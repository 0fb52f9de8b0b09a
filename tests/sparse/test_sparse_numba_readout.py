"""The numba engine's read-out of f's output as flat floats (``output_floats``): outputs that
are not C-contiguous arrays of jets (copied first) and more colours than lanes (chunks
with the colour test), against analytic derivatives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from dualdiff import sparse

unit = st.floats(-1.0, 1.0, width=64)
DENSE_N = 20   # a dense Jacobian: 20 colours > 16 lanes, two chunks
ROS_N = 8


@njit
def scaled_strided(x):
    """F_i = x_i · Σ_j x_j, returned as a strided view (not C-contiguous)."""
    n = x.shape[0]
    s = x[0]
    for i in range(1, n):
        s = s + x[i]
    y = np.empty(2 * n, dtype=x.dtype)
    for i in range(n):
        y[2 * i] = x[i] * s
        y[2 * i + 1] = x[i]
    return y[::2]


def scaled_jacobian(x):
    """∂F_i/∂x_j = δ_ij Σ x + x_i."""
    return np.diag(np.full(x.size, x.sum())) + x[:, None] * np.ones(x.size)[None, :]


@njit
def rosenbrock_terms_transposed(x):
    """Extended Rosenbrock's terms as a transposed (F-ordered) 2-D array: term (i, 0) is
    100 (x_{2i+1} - x_{2i}²)², term (i, 1) is (1 - x_{2i})²."""
    h = x.shape[0] // 2
    out = np.empty((2, h), dtype=x.dtype)
    for i in range(h):
        a = x[2 * i]
        b = x[2 * i + 1]
        out[0, i] = 100.0 * (b - a * a) ** 2
        out[1, i] = (1.0 - a) ** 2
    return out.T


def rosenbrock_analytic(x):
    f = 0.0
    g = np.zeros(x.size)
    H = np.zeros((x.size, x.size))
    for i in range(x.size // 2):
        a, b = x[2 * i], x[2 * i + 1]
        r = b - a * a
        f += 100.0 * r * r + (1.0 - a) ** 2
        g[2 * i] = -400.0 * a * r - 2.0 * (1.0 - a)
        g[2 * i + 1] = 200.0 * r
        H[2 * i, 2 * i] = 1200.0 * a * a - 400.0 * b + 2.0
        H[2 * i, 2 * i + 1] = H[2 * i + 1, 2 * i] = -400.0 * a
        H[2 * i + 1, 2 * i + 1] = 200.0
    return f, g, H


JAC = sparse.jacobian(scaled_strided, engine="numba", pattern=np.ones((DENSE_N, DENSE_N), bool))
SH = sparse.sum_hessian(rosenbrock_terms_transposed, engine="numba")
SG = sparse.sum_grad(rosenbrock_terms_transposed, engine="numba")


@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, DENSE_N, elements=unit))
def test_strided_output_and_two_chunks_of_colours(x):
    J = JAC(x)
    np.testing.assert_allclose(J.toarray(), scaled_jacobian(x), rtol=1e-13, atol=1e-13)
    again = JAC(x)  # the fast path: the same numbers, its own arrays
    assert again.data.tobytes() == J.data.tobytes() and again.data is not J.data


@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, ROS_N, elements=unit))
def test_transposed_output_sum_hessian_and_sum_grad(x):
    f, g, H = rosenbrock_analytic(x)
    value, grad, Hs = SH(x)
    np.testing.assert_allclose(value, f, rtol=1e-13)
    np.testing.assert_allclose(grad, g, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(Hs.toarray(), H, rtol=1e-13, atol=1e-12)
    v2, g2 = SG(x)
    np.testing.assert_allclose(v2, f, rtol=1e-13)
    np.testing.assert_allclose(g2, g, rtol=1e-13, atol=1e-12)
