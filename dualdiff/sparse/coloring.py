"""Column colouring of a sparsity pattern (Curtis–Powell–Reid, greedy distance-2).

Columns j and k of an m × n pattern are *structurally orthogonal* when no row has an
entry in both.  A colouring gives every column a colour 0..c-1 so that columns of one
colour are structurally orthogonal; then with the seed matrix S (n × c), S[j, color[j]] = 1,
every entry of J is read off the compressed product J·S:
J[i, j] = (J·S)[i, color[j]] for each structural nonzero (i, j).

The colouring is greedy: visit the columns in some order and give each the smallest
colour not used by a column sharing a row with it (its distance-2 neighbours in the
bipartite row/column graph).  The order matters; three classic ones are computed and
the one with the fewest colours is kept:

* *largest first*: decreasing number of neighbours;
* *smallest last*: repeatedly remove a column of fewest remaining neighbours, colour in
  the reverse order of removal (degeneracy order);
* *incidence degree*: next, the column with the most neighbours already ordered.

Every routine is compiled with numba and costs O(nnz · max row count).  A lower bound on
the number of colours is the largest row count (the columns of one row need distinct
colours); a tridiagonal pattern gets the optimum 3, a band of half-bandwidth b gets 2b + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit

ORDERS = ("largest_first", "smallest_last", "incidence_degree", "natural")

__all__ = ["color_columns", "is_valid_coloring", "ORDERS"]


@njit(cache=True, nogil=True)
def _degrees(col_ptr, col_rows, row_ptr, row_cols, n):  # pragma: no cover - compiled
    mark = np.full(n, -1, np.int64)
    deg = np.zeros(n, np.int64)
    for j in range(n):
        mark[j] = j
        for p in range(col_ptr[j], col_ptr[j + 1]):
            i = col_rows[p]
            for q in range(row_ptr[i], row_ptr[i + 1]):
                k = row_cols[q]
                if mark[k] != j:
                    mark[k] = j
                    deg[j] += 1
    return deg


@njit(cache=True, nogil=True)
def _greedy(order, col_ptr, col_rows, row_ptr, row_cols, n):  # pragma: no cover - compiled
    color = np.full(n, -1, np.int64)
    forbidden = np.full(n + 1, -1, np.int64)
    ncolors = 0
    for t in range(order.size):
        j = order[t]
        for p in range(col_ptr[j], col_ptr[j + 1]):
            i = col_rows[p]
            for q in range(row_ptr[i], row_ptr[i + 1]):
                ck = color[row_cols[q]]
                if ck >= 0:
                    forbidden[ck] = j
        c = 0
        while forbidden[c] == j:
            c += 1
        color[j] = c
        if c + 1 > ncolors:
            ncolors = c + 1
    return color, ncolors


@njit(cache=True, nogil=True)
def _bucket_remove(v, b, head, nxt, prv):  # pragma: no cover - compiled
    if prv[v] >= 0:
        nxt[prv[v]] = nxt[v]
    else:
        head[b] = nxt[v]
    if nxt[v] >= 0:
        prv[nxt[v]] = prv[v]


@njit(cache=True, nogil=True)
def _bucket_push(v, b, head, nxt, prv):  # pragma: no cover - compiled
    nxt[v] = head[b]
    prv[v] = -1
    if head[b] >= 0:
        prv[head[b]] = v
    head[b] = v


@njit(cache=True, nogil=True)
def _smallest_last(deg0, col_ptr, col_rows, row_ptr, row_cols, n):  # pragma: no cover - compiled
    deg = deg0.copy()
    maxdeg = 0
    for j in range(n):
        if deg[j] > maxdeg:
            maxdeg = deg[j]
    head = np.full(maxdeg + 1, -1, np.int64)
    nxt = np.full(n, -1, np.int64)
    prv = np.full(n, -1, np.int64)
    for j in range(n):
        _bucket_push(j, deg[j], head, nxt, prv)
    removed = np.zeros(n, np.bool_)
    mark = np.full(n, -1, np.int64)
    order = np.empty(n, np.int64)
    mindeg = 0
    for step in range(n - 1, -1, -1):
        while head[mindeg] < 0:
            mindeg += 1
        v = head[mindeg]
        _bucket_remove(v, mindeg, head, nxt, prv)
        removed[v] = True
        order[step] = v
        mark[v] = v
        for p in range(col_ptr[v], col_ptr[v + 1]):
            i = col_rows[p]
            for q in range(row_ptr[i], row_ptr[i + 1]):
                k = row_cols[q]
                if not removed[k] and mark[k] != v:
                    mark[k] = v
                    _bucket_remove(k, deg[k], head, nxt, prv)
                    deg[k] -= 1
                    _bucket_push(k, deg[k], head, nxt, prv)
                    if deg[k] < mindeg:
                        mindeg = deg[k]
    return order


@njit(cache=True, nogil=True)
def _incidence_degree(deg, col_ptr, col_rows, row_ptr, row_cols, n):  # pragma: no cover - compiled
    maxdeg = 0
    for j in range(n):
        if deg[j] > maxdeg:
            maxdeg = deg[j]
    head = np.full(maxdeg + 2, -1, np.int64)
    nxt = np.full(n, -1, np.int64)
    prv = np.full(n, -1, np.int64)
    by_degree = np.argsort(deg, kind="mergesort")  # pushed in increasing degree: the largest on top
    for t in range(n):
        _bucket_push(by_degree[t], 0, head, nxt, prv)
    inc = np.zeros(n, np.int64)
    ordered = np.zeros(n, np.bool_)
    mark = np.full(n, -1, np.int64)
    order = np.empty(n, np.int64)
    maxinc = 0
    for step in range(n):
        while maxinc > 0 and head[maxinc] < 0:
            maxinc -= 1
        v = head[maxinc]
        _bucket_remove(v, maxinc, head, nxt, prv)
        ordered[v] = True
        order[step] = v
        mark[v] = v
        for p in range(col_ptr[v], col_ptr[v + 1]):
            i = col_rows[p]
            for q in range(row_ptr[i], row_ptr[i + 1]):
                k = row_cols[q]
                if not ordered[k] and mark[k] != v:
                    mark[k] = v
                    _bucket_remove(k, inc[k], head, nxt, prv)
                    if inc[k] < maxdeg:
                        inc[k] += 1
                    _bucket_push(k, inc[k], head, nxt, prv)
                    if inc[k] > maxinc:
                        maxinc = inc[k]
    return order


@njit(cache=True, nogil=True)
def _valid(colors, row_ptr, row_cols, ncolors):  # pragma: no cover - compiled
    seen = np.full(max(ncolors, 1), -1, np.int64)
    for i in range(row_ptr.size - 1):
        for q in range(row_ptr[i], row_ptr[i + 1]):
            c = colors[row_cols[q]]
            if seen[c] == i:
                return False
            seen[c] = i
    return True


def _structure(pattern: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    if sp.issparse(pattern):
        P = sp.csr_array(pattern)
    else:
        P = sp.csr_array(np.asarray(pattern) != 0)
    P = sp.csr_array(P != 0) if P.dtype != bool else P.copy()
    P.eliminate_zeros()
    P.sum_duplicates()
    C = P.tocsc()
    C.sum_duplicates()
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    return i64(P.indptr), i64(P.indices), i64(C.indptr), i64(C.indices), P.shape[1]


def color_columns(pattern: Any, order: str = "best") -> np.ndarray:
    """Colours 0..c-1 for the columns of ``pattern`` (m × n, scipy sparse or array-like),
    no two columns of one colour sharing a row.

    Args:
        pattern: the sparsity pattern (nonzero entries are the structure).
        order: ``"best"`` (default) tries largest-first, smallest-last and
            incidence-degree orders and keeps the fewest colours; or one of
            ``"largest_first"``, ``"smallest_last"``, ``"incidence_degree"``, ``"natural"``.

    Returns:
        int64 array of length n; the number of colours is ``colors.max() + 1``.
    """
    if order != "best" and order not in ORDERS:
        raise ValueError(f"order must be 'best' or one of {ORDERS}, got {order!r}")
    row_ptr, row_cols, col_ptr, col_rows, n = _structure(pattern)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    orders = ("largest_first", "smallest_last", "incidence_degree") if order == "best" else (order,)
    deg = _degrees(col_ptr, col_rows, row_ptr, row_cols, n) if order != "natural" else None
    best, best_c = None, None
    for name in orders:
        if name == "natural":
            o = np.arange(n, dtype=np.int64)
        elif name == "largest_first":
            o = np.argsort(-deg, kind="stable").astype(np.int64)
        elif name == "smallest_last":
            o = _smallest_last(deg, col_ptr, col_rows, row_ptr, row_cols, n)
        else:
            o = _incidence_degree(deg, col_ptr, col_rows, row_ptr, row_cols, n)
        colors, c = _greedy(o, col_ptr, col_rows, row_ptr, row_cols, n)
        if best_c is None or c < best_c:
            best, best_c = colors, c
    return best


def is_valid_coloring(pattern: Any, colors: np.ndarray) -> bool:
    """True when no two columns of one colour share a row of ``pattern``."""
    row_ptr, row_cols, _, _, n = _structure(pattern)
    colors = np.ascontiguousarray(colors, dtype=np.int64)
    if colors.shape != (n,):
        return False
    if n == 0:
        return True
    if colors.min() < 0:
        return False
    return bool(_valid(colors, row_ptr, row_cols, int(colors.max()) + 1))
