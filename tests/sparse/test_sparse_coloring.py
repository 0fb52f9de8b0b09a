"""Column colouring: validity on random patterns, optimal counts on bands."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dualdiff import sparse
from dualdiff.sparse.coloring import ORDERS

from .sparse_strategies import expected_pattern, structures


def valid(P: np.ndarray, colors: np.ndarray) -> bool:
    """Brute force: no row holds two columns of one colour."""
    for row in P:
        cs = colors[np.flatnonzero(row)]
        if cs.size != np.unique(cs).size:
            return False
    return True


@settings(max_examples=80, deadline=None)
@given(structures(), st.sampled_from(("best",) + ORDERS))
def test_colouring_is_valid(case, order):
    n, rows = case
    P = expected_pattern(n, rows)
    colors = sparse.color_columns(sp.csr_array(P), order=order)
    assert colors.shape == (n,) and colors.dtype == np.int64
    assert valid(P, colors)
    assert sparse.is_valid_coloring(P, colors)
    c = colors.max() + 1
    assert set(colors.tolist()) == set(range(c))  # colours 0..c-1 all used
    assert c >= P.sum(axis=1).max()  # the lower bound: a row's columns differ


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.0, 0.4), st.integers(0, 2**31))
def test_colouring_random_density(m, n, density, seed):
    P = sp.random_array((m, n), density=density, rng=np.random.default_rng(seed)) != 0
    colors = sparse.color_columns(P)
    assert valid(P.toarray(), colors)


def test_invalid_colouring_is_detected():
    P = np.array([[1, 1, 0], [0, 1, 1]])
    assert not sparse.is_valid_coloring(P, np.array([0, 0, 1]))
    assert sparse.is_valid_coloring(P, np.array([0, 1, 0]))


@pytest.mark.parametrize("b", [1, 2, 3, 5])
@pytest.mark.parametrize("order", ("best",) + ORDERS)
def test_band_gets_the_optimum(b, order):
    n = 200
    offsets = list(range(-b, b + 1))
    P = sp.diags_array([np.ones(n - abs(k)) for k in offsets], offsets=offsets)
    colors = sparse.color_columns(P, order=order)
    assert colors.max() + 1 == 2 * b + 1
    assert sparse.is_valid_coloring(P, colors)


def test_report_colour_counts_against_optimum(capsys):
    rows = []
    for name, P, optimum in [
        ("tridiagonal", sp.diags_array([np.ones(999), np.ones(1000), np.ones(999)], offsets=[-1, 0, 1]), 3),
        ("arrowhead", sp.csr_array(np.eye(300) + np.pad(np.ones((1, 299)), ((0, 299), (1, 0)))
                                   + np.pad(np.ones((299, 1)), ((1, 0), (0, 299)))), 300),
        ("block 10x10", sp.block_diag([np.ones((10, 10))] * 30), 10),
    ]:
        c = sparse.color_columns(P).max() + 1
        rows.append(f"{name}: {c} colours (optimum {optimum})")
        assert c == optimum
    print("\n".join(rows))


def test_empty_and_bad_order():
    assert sparse.color_columns(np.zeros((3, 0))).size == 0
    assert (sparse.color_columns(np.zeros((2, 3))) == 0).all()
    with pytest.raises(ValueError):
        sparse.color_columns(np.eye(2), order="random")
