"""Sparsity detection by tracing: patterns against dense derivatives and the code's structure."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

import dualdiff as dd
from dualdiff import sparse

from .sparse_strategies import expected_hessian, expected_pattern, make_F, structures

RNG = np.random.default_rng(7)


def dense(P) -> np.ndarray:
    assert isinstance(P, sp.csr_array) and P.dtype == bool
    return P.toarray()


@settings(max_examples=60, deadline=None)
@given(structures())
def test_jacobian_pattern_is_the_structure_and_covers_dense_nonzeros(case):
    n, rows = case
    F = make_F(n, rows)
    P = dense(sparse.jacobian_pattern(F, np.zeros(n)))
    assert (P == expected_pattern(n, rows)).all()
    for _ in range(2):
        x = RNG.uniform(-2, 2, n)
        J = dd.jacobian(F)(x)
        assert not (J != 0)[~P].any(), "a nonzero of the dense Jacobian is missing from the pattern"
        assert ((J != 0) | ~P).all(), "the pattern has an entry where the Jacobian is (generically) zero"


@settings(max_examples=60, deadline=None)
@given(structures())
def test_hessian_pattern_is_the_structure_and_covers_dense_nonzeros(case):
    n, rows = case
    F = make_F(n, rows)
    f = lambda x: np.sum(F(x))  # noqa: E731
    P = dense(sparse.hessian_pattern(f, np.zeros(n)))
    assert (P == P.T).all()
    assert (P == expected_hessian(n, rows)).all()
    x = RNG.uniform(-2, 2, n)
    H = dd.hessian(f)(x)
    assert not (H != 0)[~P].any()
    assert ((H != 0) | ~P).all()


def broyden(x):
    y = (3.0 - 2.0 * x) * x + 1.0
    y[1:] = y[1:] - x[:-1]
    y[:-1] = y[:-1] - 2.0 * x[1:]
    return y


def broyden_concat(x):
    z = np.zeros(1)
    return (3.0 - 2.0 * x) * x - np.concatenate([z, x[:-1]]) - 2.0 * np.concatenate([x[1:], z]) + 1.0


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def grid_energy(x, shape=(4, 5)):
    u = x.reshape(shape)
    return np.sum((u[:-1, :] - u[1:, :]) ** 4) + np.sum((u[:, :-1] - u[:, 1:]) ** 4) + np.sum(np.exp(u))


@pytest.mark.parametrize("F", [broyden, broyden_concat])
def test_broyden_is_tridiagonal(F):
    n = 9
    P = dense(sparse.jacobian_pattern(F, np.ones(n)))
    assert (P == (np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1)).all()


@pytest.mark.parametrize("f, n", [(rosenbrock, 8), (grid_energy, 20)])
def test_standard_hessian_patterns_match_dense(f, n):
    P = dense(sparse.hessian_pattern(f, np.ones(n)))
    H = dd.hessian(f)(RNG.uniform(-1, 1, n))
    assert ((H != 0) == P).all()


def test_linear_operations_add_no_hessian_entries():
    f = lambda x: np.sum(3.0 * x[:3] - x[1:4] + x[2:5] / 2.0) + np.mean(x)  # noqa: E731
    assert sparse.hessian_pattern(f, np.ones(5)).nnz == 0
    g = lambda x: x[0] * x[1] + x[2]  # noqa: E731
    assert dense(sparse.hessian_pattern(g, np.ones(3))).tolist() == [
        [False, True, False], [True, False, False], [False, False, False]]


def test_prod_has_no_squares_and_power_of_one_is_linear():
    P = dense(sparse.hessian_pattern(lambda x: np.prod(x), np.ones(3)))
    assert (P == ~np.eye(3, dtype=bool)).all()
    assert sparse.hessian_pattern(lambda x: np.sum(x ** 1), np.ones(3)).nnz == 0
    assert sparse.jacobian_pattern(lambda x: x ** 0, np.ones(3)).nnz == 0


def test_zero_derivative_functions_have_empty_rows():
    P = sparse.jacobian_pattern(lambda x: np.floor(x) + np.sign(x) * 2.0, np.ones(4))
    assert P.nnz == 0


def test_element_code_with_python_loops():
    def arrow(x):
        out = [x[0] ** 2]
        for i in range(1, len(x)):
            out.append(x[0] * x[i] + np.sin(x[i]))
        return out

    n = 6
    P = dense(sparse.jacobian_pattern(arrow, np.ones(n)))
    J = dd.jacobian(arrow)(RNG.uniform(1, 2, n))
    assert ((J != 0) == P).all()

    def loop_sum(x):
        s = 0.0
        for i in range(len(x) - 1):
            s = s + (x[i] - x[i + 1]) ** 2
        return s

    Hp = dense(sparse.hessian_pattern(loop_sum, np.ones(n)))
    assert (Hp == (np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1)).all()


def test_object_array_output_and_setitem():
    def F(x):
        y = np.empty(3, dtype=x.dtype)
        y[0] = x[0] * x[1]
        y[1] = 2.0
        y[2] = np.exp(x[2])
        return y

    assert dense(sparse.jacobian_pattern(F, np.ones(3))).tolist() == [
        [True, True, False], [False, False, False], [False, False, True]]

    def G(x):
        y = np.zeros_like(x)
        y[::2] = x[1::2] ** 2
        return y

    P = dense(sparse.jacobian_pattern(G, np.ones(4)))
    assert P.tolist() == [[False, True, False, False], [False] * 4, [False, False, False, True], [False] * 4]


def test_global_pattern_counts_both_branches():
    x = np.array([1.0, -1.0, 2.0])
    F = lambda x: np.maximum(x[:2], x[1:]) + np.where(x[:2] > 0, x[1:], 0.0)  # noqa: E731
    P = dense(sparse.jacobian_pattern(F, x))
    assert P.tolist() == [[True, True, False], [False, True, True]]
    G = lambda x: np.abs(x) + np.clip(x[::-1], -1.0, 1.0)  # noqa: E731
    assert dense(sparse.jacobian_pattern(G, x)).tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    # local: maximum picks a side, the where condition is a real boolean
    L = dense(sparse.jacobian_pattern(F, x, local=True))
    assert L.tolist() == [[True, True, False], [False, False, True]]


def test_value_dependent_control_flow_raises_and_names_the_ways_out():
    def f(x):
        if x[0] > 0:
            return x * 2.0
        return x[::-1] ** 2

    with pytest.raises(sparse.PatternError) as info:
        sparse.jacobian_pattern(f, np.ones(3))
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "pattern=" in msg and 'pattern="local"' in msg
    assert dense(sparse.jacobian_pattern(f, np.ones(3), local=True)).tolist() == np.eye(3, dtype=bool).tolist()
    with pytest.raises(sparse.PatternError):
        sparse.jacobian(f)(np.ones(3))
    J = sparse.jacobian(f, pattern="local")(-np.ones(3))
    assert np.allclose(J.toarray(), dd.jacobian(f)(-np.ones(3)))
    with pytest.raises(sparse.PatternError):
        sparse.jacobian_pattern(lambda x: x[x > 0], np.ones(3))
    with pytest.raises(sparse.PatternError):
        sparse.jacobian_pattern(lambda x: x[np.argmax(x)], np.ones(3))


def test_unsupported_and_conversions_raise_clearly():
    with pytest.raises(TypeError, match="np.cumprod is not supported while tracing"):
        sparse.jacobian_pattern(lambda x: np.cumprod(x), np.ones(3))
    import math

    with pytest.raises(TypeError, match="np.sin"):
        sparse.jacobian_pattern(lambda x: math.sin(x[0]), np.ones(3))


def test_contractions_with_constants_follow_their_zeros():
    A = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    assert (dense(sparse.jacobian_pattern(lambda x: A @ x, np.ones(3))) == (A != 0)).all()
    assert (dense(sparse.jacobian_pattern(lambda x: np.dot(x, A.T), np.ones(3))) == (A != 0)).all()
    X = lambda x: x.reshape(2, 3)  # noqa: E731
    P = dense(sparse.jacobian_pattern(lambda x: np.einsum("ij,kj->ik", X(x), A), np.ones(6)))
    J = dd.jacobian(lambda x: np.einsum("ij,kj->ik", X(x), A))(RNG.uniform(1, 2, 6)).reshape(4, 6)
    assert ((J != 0) == P).all()
    # a quadratic form of two traced operands: x^T B x
    B = np.diag([1.0, 2.0, 3.0]) + np.diag([1.0, 1.0], 1)
    H = dense(sparse.hessian_pattern(lambda x: x @ (B @ x), np.ones(3)))
    assert (H == ((B + B.T) != 0)).all()


def test_two_dimensional_input_and_matrix_functions():
    def F(x):
        return np.concatenate([np.sum(x ** 2, axis=1), x.T.ravel()[:2], np.diff(x[0]), np.cumsum(x[1])])

    x = RNG.uniform(1, 2, (2, 3))
    P = dense(sparse.jacobian_pattern(F, x))
    J = dd.jacobian(F)(x).reshape(-1, 6)
    assert ((J != 0) == P).all()
    P2 = dense(sparse.jacobian_pattern(lambda x: np.linalg.solve(np.eye(2) * 3.0, x[:2]), np.ones(4)))
    assert P2.tolist() == [[True, True, False, False]] * 2


def test_numba_function_is_traced_through_its_python_source():
    numba = pytest.importorskip("numba")

    @numba.njit
    def F(x):
        y = np.empty_like(x)
        for i in range(x.size):
            y[i] = x[i] * x[(i + 1) % x.size]
        return y

    n = 5
    P = dense(sparse.jacobian_pattern(F, np.ones(n)))
    expect = np.eye(n, dtype=bool) | np.roll(np.eye(n, dtype=bool), 1, axis=1)
    assert (P == expect).all()
