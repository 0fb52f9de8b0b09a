"""Random sparse structures and numpy functions built from them (shared by the sparse tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def banded(n: int, lo: int, hi: int) -> list[list[int]]:
    return [list(range(max(0, i - lo), min(n, i + hi + 1))) for i in range(n)]


def block(sizes: list[int]) -> list[list[int]]:
    rows, start = [], 0
    for s in sizes:
        cols = list(range(start, start + s))
        rows += [cols] * s
        start += s
    return rows


def arrowhead(n: int) -> list[list[int]]:
    return [list(range(n))] + [[0, i] for i in range(1, n)]


@st.composite
def structures(draw: st.DrawFn) -> tuple[int, list[list[int]]]:
    """(n, S) with S[i] the sorted column set of row i (every row nonempty)."""
    kind = draw(st.sampled_from(["banded", "block", "arrowhead", "random"]))
    if kind == "banded":
        n = draw(st.integers(2, 25))
        lo, hi = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        return n, banded(n, lo, hi)
    if kind == "block":
        sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=6))
        return sum(sizes), block(sizes)
    if kind == "arrowhead":
        n = draw(st.integers(2, 20))
        return n, arrowhead(n)
    n = draw(st.integers(1, 25))
    m = draw(st.integers(1, 25))
    rows = [sorted(set(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))) for _ in range(m)]
    return n, rows


def expected_pattern(n: int, rows: list[list[int]]) -> np.ndarray:
    P = np.zeros((len(rows), n), dtype=bool)
    for i, cols in enumerate(rows):
        P[i, cols] = True
    return P


def terms_of(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For row i with columns c_0 < c_1 < ...: terms sin(x_{c_p}) * x_{c_{p+1}} (cyclic).

    Returns the row of each term, its sin column and its partner column."""
    r, c, cp = [], [], []
    for i, cols in enumerate(rows):
        for p, j in enumerate(cols):
            r.append(i)
            c.append(j)
            cp.append(cols[(p + 1) % len(cols)])
    return np.array(r), np.array(c), np.array(cp)


def make_F(n: int, rows: list[list[int]]):
    """F_i = Σ_p sin(x_{c_p}) x_{c_{p+1}} + x_{c_0}, as vectorised numpy code."""
    r, c, cp = terms_of(rows)
    A = np.zeros((len(rows), r.size))
    A[r, np.arange(r.size)] = 1.0
    first = np.array([cols[0] for cols in rows])

    def F(x):
        return A @ (np.sin(x[c]) * x[cp]) + x[first]

    return F


def expected_hessian(n: int, rows: list[list[int]]) -> np.ndarray:
    """The Hessian pattern of sum(F) for make_F (the cyclic partner pairs and sin diagonals)."""
    _, c, cp = terms_of(rows)
    H = np.zeros((n, n), dtype=bool)
    for j, k in zip(c, cp, strict=True):
        H[j, k] = H[k, j] = True
        H[j, j] = True  # sin(x_j) * x_k: ∂²/∂x_j² = -sin(x_j) x_k (and j == k gives the square)
    return H


@st.composite
def symmetric_patterns(draw: st.DrawFn) -> tuple[str, np.ndarray]:
    """(kind, A): a symmetric boolean n × n pattern (a Hessian pattern) of one of the kinds
    banded, block, arrowhead, random; the diagonal entries are drawn too."""
    kind = draw(st.sampled_from(["banded", "block", "arrowhead", "random"]))
    if kind == "banded":
        n, b = draw(st.integers(1, 25)), draw(st.integers(0, 3))
        A = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= b
    elif kind == "block":
        rows = block(draw(st.lists(st.integers(1, 5), min_size=1, max_size=5)))
        A = expected_pattern(len(rows), rows)
    elif kind == "arrowhead":
        n = draw(st.integers(2, 20))
        A = expected_pattern(n, arrowhead(n))
    else:
        n = draw(st.integers(1, 20))
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
        A = np.zeros((n, n), dtype=bool)
        for i, j in pairs:
            A[i, j] = A[j, i] = True
    diag = np.array(draw(st.lists(st.booleans(), min_size=A.shape[0], max_size=A.shape[0])), dtype=bool)
    A = A | A.T
    np.fill_diagonal(A, diag)
    return kind, A
