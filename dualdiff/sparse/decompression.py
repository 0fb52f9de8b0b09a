"""From compressed products back to sparse matrices: O(nnz), compiled with numba.

* Jacobian: with colours of the columns and B = J·S (m × c),
  J[i, j] = B[i, color[j]] for every structural nonzero (i, j).
* Hessian of a sum f = Σ_k F_k: with colours of the Jacobian pattern of F (so the
  variables of one element have distinct colours) and the compressed element Hessians
  C_k = Sᵀ ∇²F_k S (c × c), ∇²F_k[i, j] = C_k[color[i], color[j]] for i, j in the
  element's index set; H = Σ_k ∇²F_k and ∇f = Σ_k ∇F_k.
* Hessian by H·S: with colours of the Hessian pattern's columns and B = H·S (n × c),
  H[i, j] = B[i, color[j]]; only the upper triangle is read and mirrored.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = ["jacobian_values", "sum_hessian_parts", "symmetric_from_upper"]


@njit(cache=True, nogil=True)
def _jacobian_values(indptr, indices, colors, B):  # pragma: no cover - compiled
    data = np.empty(indices.size, np.float64)
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            data[p] = B[i, colors[indices[p]]]
    return data


def jacobian_values(P: sp.csr_array, colors: np.ndarray, B: np.ndarray) -> sp.csr_array:
    """The CSR matrix with P's structure and values J[i, j] = B[i, colors[j]]."""
    B = np.ascontiguousarray(B, dtype=np.float64)
    data = _jacobian_values(P.indptr.astype(np.int64), P.indices.astype(np.int64), colors, B)
    out = sp.csr_array((data, P.indices.copy(), P.indptr.copy()), shape=P.shape)
    out.has_sorted_indices = True
    return out


@njit(cache=True, nogil=True)
def _sum_hessian(indptr, indices, colors, E1, C, n):  # pragma: no cover - compiled
    grad = np.zeros(n, np.float64)
    total = 0
    for k in range(indptr.size - 1):
        d = indptr[k + 1] - indptr[k]
        total += d * (d + 1) // 2
    rows = np.empty(total, np.int64)
    cols = np.empty(total, np.int64)
    vals = np.empty(total, np.float64)
    t = 0
    for k in range(indptr.size - 1):
        for p in range(indptr[k], indptr[k + 1]):
            i = indices[p]
            ci = colors[i]
            grad[i] += E1[k, ci]
            for q in range(p, indptr[k + 1]):  # indices sorted: i <= j
                j = indices[q]
                rows[t] = i
                cols[t] = j
                vals[t] = C[k, ci, colors[j]]
                t += 1
    return grad, rows, cols, vals


def symmetric_from_upper(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> sp.csr_array:
    """The exactly symmetric CSR with upper triangle Σ of the (rows <= cols) triplets."""
    U = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
    U.sum_duplicates()
    strict = sp.triu(U, k=1, format="csr")
    H = sp.csr_array(U + strict.T)
    H.sort_indices()
    return H


def sum_hessian_parts(P: sp.csr_array, colors: np.ndarray, E1: np.ndarray, C: np.ndarray
                      ) -> tuple[np.ndarray, sp.csr_array]:
    """(∇f, ∇²f) of f = Σ_k F_k from the compressed element gradients E1 (m × c) and
    Hessians C (m × c × c), P the Jacobian pattern of F (m × n) coloured by ``colors``."""
    n = P.shape[1]
    grad, rows, cols, vals = _sum_hessian(P.indptr.astype(np.int64), P.indices.astype(np.int64), colors,
                                          np.ascontiguousarray(E1, dtype=np.float64),
                                          np.ascontiguousarray(C, dtype=np.float64), n)
    return grad, symmetric_from_upper(rows, cols, vals, n)


@njit(cache=True, nogil=True)
def _upper_values(indptr, indices, colors, B):  # pragma: no cover - compiled
    total = 0
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if indices[p] >= i:
                total += 1
    rows = np.empty(total, np.int64)
    cols = np.empty(total, np.int64)
    vals = np.empty(total, np.float64)
    t = 0
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j >= i:
                rows[t] = i
                cols[t] = j
                vals[t] = B[i, colors[j]]
                t += 1
    return rows, cols, vals


def hessian_values(P: sp.csr_array, colors: np.ndarray, B: np.ndarray) -> sp.csr_array:
    """The symmetric H with pattern P from B = H·S (n × c): upper triangle read, mirrored."""
    rows, cols, vals = _upper_values(P.indptr.astype(np.int64), P.indices.astype(np.int64), colors,
                                     np.ascontiguousarray(B, dtype=np.float64))
    return symmetric_from_upper(rows, cols, vals, P.shape[0])
