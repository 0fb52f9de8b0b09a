"""Element loops traced one scalar at a time (``dualdiff.sparse.tracer.Scalar``): the
patterns equal those of the vectorised twins (same terms), the dense Jacobian/Hessian's
nonzeros are inside them, and stores into an array wait and apply in one pass."""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import problems, sparse
from dualdiff.sparse.tracer import Scalar, Tracer, trace


def rosenbrock_terms_loop(x):
    n2 = x.shape[0] // 2
    out = np.empty(2 * n2, dtype=x.dtype)
    for i in range(n2):
        a, b = x[2 * i], x[2 * i + 1]
        out[i] = 100.0 * (b - a * a) ** 2
        out[n2 + i] = (1.0 - a) ** 2
    return out


def rosenbrock_terms(x):
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a * a) ** 2, (1.0 - a) ** 2])


def mixed_loop(x):
    """Products, quotients, unary rules, powers 0 and 1, max, reads of stored elements."""
    n = x.shape[0]
    out = np.zeros_like(x)
    for i in range(n):
        out[i] = np.sin(x[i]) * x[(i + 2) % n] + x[i] ** 1 + x[(i + 1) % n] ** 0
    for i in range(1, n):
        out[i] = out[i] + np.maximum(out[i - 1], 2.0) / np.exp(x[0])
    out[0] = 3.0
    return out


@pytest.mark.parametrize("n", [2, 7, 40])
def test_loop_patterns_equal_the_vectorised_twins(n):
    x = np.random.default_rng(n).uniform(0.5, 1.5, 2 * n)
    assert (sparse.jacobian_pattern(rosenbrock_terms_loop, x) != sparse.jacobian_pattern(rosenbrock_terms, x)).nnz == 0
    assert (sparse.jacobian_pattern(problems.broyden_loop, x) != sparse.jacobian_pattern(problems.broyden, x)).nnz == 0
    H1 = sparse.hessian_pattern(lambda z: np.sum(rosenbrock_terms_loop(z)), x)
    H2 = sparse.hessian_pattern(lambda z: np.sum(rosenbrock_terms(z)), x)
    assert (H1 != H2).nnz == 0


def test_loop_pattern_covers_the_dense_derivatives_and_nothing_more():
    x = np.random.default_rng(3).uniform(0.5, 1.5, 9)
    J = dd.jacobian(mixed_loop)(x)
    P = sparse.jacobian_pattern(mixed_loop, x).toarray()
    assert np.all(P[J != 0])
    # out[i] (i >= 1) depends on x[i], x[i+2], x[0] and, through out[i-1], on all earlier ones
    want = np.zeros((9, 9), bool)
    for i in range(9):
        want[i, [i, (i + 2) % 9]] = True
        if i >= 1:
            want[i] |= want[i - 1]
            want[i, 0] = True
    want[0] = False  # out[0] = 3.0 at the end
    assert np.array_equal(P, want)
    Hp = sparse.hessian_pattern(lambda z: np.sum(mixed_loop(z)), x).toarray()
    H = dd.hessian(lambda z: np.sum(mixed_loop(z)))(x)
    assert np.all(Hp[np.abs(H) > 1e-12])


def test_elements_are_scalars_and_stores_wait():
    t = trace(lambda z: z, np.ones(4))
    e = t[1]
    assert isinstance(e, Scalar) and e.g == frozenset({1})
    out = np.zeros(3).view()  # a plain array: the tracer's own arrays are what matter
    del out
    def f(z):
        y = np.zeros_like(z)
        for i in range(4):
            y[i] = z[i] * z[(i + 1) % 4]
        assert y._pending is not None and len(y._pending) == 4  # no rebuild per store
        assert y[2] is y._pending[2]
        return y
    P = sparse.jacobian_pattern(f, np.ones(4)).toarray()
    assert np.array_equal(P, np.eye(4, dtype=bool) | np.roll(np.eye(4, dtype=bool), 1, axis=1))


def test_local_mode_follows_the_branch_at_x():
    def f(z):
        out = np.empty(2, dtype=z.dtype)
        out[0] = z[0] * 2.0 if z[0] > 0 else z[1] * 2.0
        out[1] = np.maximum(z[0], z[1])
        return out
    P = sparse.jacobian_pattern(f, np.array([1.0, 0.0]), local=True).toarray() \
        if "local" in sparse.jacobian_pattern.__code__.co_varnames else None
    if P is None:
        t = trace(f, np.array([1.0, 0.0]), local=True)
        P = np.zeros((2, 2), bool)
        for r in range(2):
            P[r, t.G.indices[t.G.indptr[r]:t.G.indptr[r + 1]]] = True
    assert np.array_equal(P, np.array([[True, False], [True, False]]))
    with pytest.raises(sparse.PatternError):
        sparse.jacobian_pattern(f, np.array([1.0, 0.0]))
    assert isinstance(trace(lambda z: z[0] + 1.0, np.ones(2)), Tracer)
