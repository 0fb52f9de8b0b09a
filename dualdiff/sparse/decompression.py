"""From compressed products back to sparse matrices: O(nnz), compiled with numba.

* Jacobian: with colours of the columns and B = J·S (m × c),
  J[i, j] = B[i, color[j]] for every structural nonzero (i, j).
* Hessian of a sum f = Σ_k F_k: with colours of the Jacobian pattern of F (so the
  variables of one element have distinct colours) and the compressed element Hessians
  C_k = Sᵀ ∇²F_k S (c × c), ∇²F_k[i, j] = C_k[color[i], color[j]] for i, j in the
  element's index set; H = Σ_k ∇²F_k and ∇f = Σ_k ∇F_k.
* Hessian by H·S: with colours of the Hessian pattern's columns and B = H·S (n × c),
  H[i, j] = B[i, color[j]]; only the upper triangle is read and mirrored.
* Hessian by H·S with a star colouring (:mod:`dualdiff.sparse.star`): H[i, j] = B[i, color[j]]
  when colour(j) occurs once in row i, else B[j, color[i]]; upper triangle read, mirrored.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = ["jacobian_values", "SumHessianMap", "SymmetricMap", "StarMap"]


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
    indptr = np.asarray(P.indptr, dtype=np.int64)
    indices = np.asarray(P.indices, dtype=np.int64)
    data = _jacobian_values(indptr, indices, np.asarray(colors, dtype=np.int64), B)
    out = sp.csr_array((data, indices.copy(), indptr.copy()), shape=P.shape, copy=False)
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


# -- precomputed maps (kept in a plan): per call one O(nnz) kernel, no scipy conversions -------

def _structure_positions(rows: np.ndarray, cols: np.ndarray, n: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The symmetric CSR structure of the pairs (rows <= cols) and their mirrors.

    Returns (indptr, indices, position of each pair in the structure, mirror) where
    mirror[p] is the position of the transposed entry of entry p (p itself on and above
    the diagonal)."""
    r = np.concatenate([rows, cols])
    c = np.concatenate([cols, rows])
    keys = np.unique(r * n + c)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys // max(n, 1), minlength=n), out=indptr[1:])
    srow, scol = keys // max(n, 1), keys % max(n, 1)
    pos = np.searchsorted(keys, rows * n + cols)
    mirror = np.searchsorted(keys, scol * n + srow)
    mirror = np.where(srow <= scol, np.arange(keys.size), mirror)
    return indptr, scol.astype(np.int64), pos.astype(np.int64), mirror.astype(np.int64)


@njit(cache=True, nogil=True)
def _scatter_sum_hessian(pos, kk, ci, cj, C, mirror, nnz, pindptr, pindices, colors, E1, n):  # pragma: no cover
    data = np.zeros(nnz, np.float64)
    for t in range(pos.size):
        data[pos[t]] += C[kk[t], ci[t], cj[t]]
    for p in range(nnz):
        q = mirror[p]
        if q != p:
            data[p] = data[q]
    grad = np.zeros(n, np.float64)
    for k in range(pindptr.size - 1):
        for p in range(pindptr[k], pindptr[k + 1]):
            j = pindices[p]
            grad[j] += E1[k, colors[j]]
    return grad, data


@njit(cache=True, nogil=True)
def _element_pairs(indptr, indices, colors):  # pragma: no cover - compiled
    total = 0
    for k in range(indptr.size - 1):
        d = indptr[k + 1] - indptr[k]
        total += d * (d + 1) // 2
    kk = np.empty(total, np.int64)
    rows = np.empty(total, np.int64)
    cols = np.empty(total, np.int64)
    t = 0
    for k in range(indptr.size - 1):
        for p in range(indptr[k], indptr[k + 1]):
            for q in range(p, indptr[k + 1]):
                kk[t] = k
                rows[t] = indices[p]
                cols[t] = indices[q]
                t += 1
    return kk, rows, cols


def _csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n: int) -> sp.csr_array:
    out = sp.csr_array((data, indices.copy(), indptr.copy()), shape=(n, n), copy=False)
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


class SumHessianMap:
    """Decompression of :func:`sum_hessian_parts` with the structure worked out once.

    The result's structure is ∪_k I_k × I_k (I_k the index set of term k); every term's
    upper-triangle pair (i <= j) has a fixed position in it, and each lower entry copies
    its mirror, so the Hessian is exactly symmetric.
    """

    def __init__(self, P: sp.csr_array, colors: np.ndarray) -> None:
        self.n = P.shape[1]
        self.pindptr = P.indptr.astype(np.int64)
        self.pindices = P.indices.astype(np.int64)
        self.colors = np.ascontiguousarray(colors, dtype=np.int64)
        kk, rows, cols = _element_pairs(self.pindptr, self.pindices, self.colors)
        self.indptr, self.indices, self.pos, self.mirror = _structure_positions(rows, cols, self.n)
        self.kk, self.ci, self.cj = kk, self.colors[rows], self.colors[cols]

    def __call__(self, E1: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, sp.csr_array]:
        grad, data = _scatter_sum_hessian(self.pos, self.kk, self.ci, self.cj,
                                          np.ascontiguousarray(C, dtype=np.float64), self.mirror,
                                          self.indices.size, self.pindptr, self.pindices, self.colors,
                                          np.ascontiguousarray(E1, dtype=np.float64), self.n)
        return grad, _csr(data, self.indices, self.indptr, self.n)


@njit(cache=True, nogil=True)
def _scatter_symmetric(rows, cols, colors, B, mirror):  # pragma: no cover - compiled
    data = np.empty(rows.size, np.float64)
    for p in range(rows.size):
        if rows[p] <= cols[p]:
            data[p] = B[rows[p], colors[cols[p]]]
    for p in range(rows.size):
        q = mirror[p]
        if q != p:
            data[p] = data[q]
    return data


class SymmetricMap:
    """Decompression of :func:`hessian_values` (H from B = H·S) with the structure worked
    out once: upper entries read from B, lower entries copied from their mirrors."""

    def __init__(self, P: sp.csr_array, colors: np.ndarray) -> None:
        n = P.shape[0]
        self.n = n
        coo = sp.coo_array(P)
        upper = coo.row <= coo.col
        self.indptr, self.indices, _, self.mirror = _structure_positions(
            coo.row[upper].astype(np.int64), coo.col[upper].astype(np.int64), n)
        self.rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.indptr))
        self.colors = np.ascontiguousarray(colors, dtype=np.int64)

    def __call__(self, B: np.ndarray) -> sp.csr_array:
        data = _scatter_symmetric(self.rows, self.indices, self.colors,
                                  np.ascontiguousarray(B, dtype=np.float64), self.mirror)
        return _csr(data, self.indices, self.indptr, self.n)


# -- star colourings: direct recovery from H·S ------------------------------------------------

@njit(cache=True, nogil=True)
def _star_sources(indptr, indices, mirror, colors, ncolors):  # pragma: no cover - compiled
    """For every position p = (i, j) of the symmetric structure, the entry of B = H·S that
    holds H[i, j]: (i, color j) if colour(j) occurs once in row i, else (j, color i).
    Returns (rows, cols, ok); ok is False when neither holds (not a star colouring)."""
    nnz = indices.size
    repeated = np.zeros(nnz, np.bool_)  # colour(j) occurs more than once in row i
    count = np.zeros(max(ncolors, 1), np.int64)
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            count[colors[indices[p]]] += 1
        for p in range(indptr[i], indptr[i + 1]):
            repeated[p] = count[colors[indices[p]]] > 1
        for p in range(indptr[i], indptr[i + 1]):
            count[colors[indices[p]]] = 0
    src_r = np.empty(nnz, np.int64)
    src_c = np.empty(nnz, np.int64)
    ok = True
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if not repeated[p]:
                src_r[p], src_c[p] = i, colors[j]
            elif not repeated[mirror[p]]:
                src_r[p], src_c[p] = j, colors[i]
            else:
                ok = False
                src_r[p], src_c[p] = i, colors[j]
    return src_r, src_c, ok


@njit(cache=True, nogil=True)
def _gather_symmetric(indptr, indices, src_r, src_c, mirror, B):  # pragma: no cover - compiled
    data = np.empty(indices.size, np.float64)
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if i <= indices[p]:
                data[p] = B[src_r[p], src_c[p]]
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            if i > indices[p]:
                data[p] = data[mirror[p]]
    return data


class StarMap:
    """Decompression of B = H·S for a *star* colouring of the symmetric pattern P
    (:func:`dualdiff.sparse.star_color`), with the structure worked out once.

    H[i, i] = B[i, color i]; for i ≠ j, H[i, j] = B[i, color j] when colour(j) occurs once
    in row i of P, else B[j, color i] (a star colouring makes one of the two hold).  Each
    pair is read once (i <= j) and mirrored, so the result is exactly symmetric; per call
    one O(nnz) gather.

    Raises:
        ValueError: when ``colors`` is not a star colouring of P.
    """

    def __init__(self, P: sp.csr_array, colors: np.ndarray) -> None:
        n = P.shape[0]
        self.n = n
        S = sp.csr_array(P != 0)
        S = sp.csr_array(S + S.T)
        S.sum_duplicates()
        S.sort_indices()
        self.indptr = S.indptr.astype(np.int64)
        self.indices = S.indices.astype(np.int64)
        T = sp.csr_array((np.arange(1, self.indices.size + 1, dtype=np.int64), self.indices, self.indptr),
                         shape=(n, n))
        T = sp.csr_array(T.T)
        T.sort_indices()
        self.mirror = (T.data - 1).astype(np.int64)
        self.colors = np.ascontiguousarray(colors, dtype=np.int64)
        ncolors = int(self.colors.max()) + 1 if self.colors.size else 0
        self.src_r, self.src_c, ok = _star_sources(self.indptr, self.indices, self.mirror, self.colors, ncolors)
        if not ok:
            raise ValueError("the colouring is not a star colouring of the pattern (a two-coloured path on "
                             "four vertices): use sparse.star_color(pattern)")

    def __call__(self, B: np.ndarray) -> sp.csr_array:
        data = _gather_symmetric(self.indptr, self.indices, self.src_r, self.src_c, self.mirror,
                                 np.asarray(B, dtype=np.float64))
        return _csr(data, self.indices, self.indptr, self.n)
