"""Rows of index sets (CSR without values) and the compiled kernels that combine them.

A :class:`Rows` holds one sorted set of integers per row: ``indices[indptr[r]:indptr[r+1]]``.
The tracer keeps two of them per traced array: the first-order dependencies of every
element (sets of input indices j) and, for Hessian patterns, the second-order ones (sets
of pair codes ``i * n + j`` with i <= j).

Every operation on a traced array is one call of one of two kernels over all its elements:

* :func:`gather` — output row r is the union of a list of source rows (a row selection
  when each list has one entry: indexing, reshape, broadcasting; a union for elementwise
  binary operations; a reduction for sums and products with constants);
* :func:`pairs` — output row r is ``H_r ∪ {(i, j): i ∈ A_r, j ∈ B_r}`` (the second-order
  interactions a nonlinear operation adds).

Both run in O(output entries) plus a sort of each output row that has more than one source.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INT = np.int64

# the most entries one traced intermediate may hold (8 bytes each) before detection gives up:
# a pattern that large is dense, and a dense derivative is the better tool
MAX_ENTRIES = 300_000_000


class DenseError(MemoryError):
    """An intermediate's index sets would exceed MAX_ENTRIES (the pattern is dense)."""


def _check_size(total: int) -> None:
    if total > MAX_ENTRIES:
        raise DenseError(
            f"an intermediate of the traced function depends on {total:,} (element, input) pairs, "
            f"more than {MAX_ENTRIES:,}: this derivative is dense, not sparse; use dd.jacobian or "
            "dd.hessian instead")


@njit(cache=True, nogil=True)
def _gather_kernel(sel_indptr, sel_src, indptr, indices):  # pragma: no cover - compiled
    nout = sel_indptr.size - 1
    total = 0
    for p in range(sel_src.size):
        q = sel_src[p]
        total += indptr[q + 1] - indptr[q]
    out = np.empty(total, np.int64)
    optr = np.empty(nout + 1, np.int64)
    optr[0] = 0
    pos = 0
    for r in range(nout):
        start = pos
        for p in range(sel_indptr[r], sel_indptr[r + 1]):
            q = sel_src[p]
            for t in range(indptr[q], indptr[q + 1]):
                out[pos] = indices[t]
                pos += 1
        if sel_indptr[r + 1] - sel_indptr[r] > 1 and pos - start > 1:
            seg = np.sort(out[start:pos])
            w = start
            out[w] = seg[0]
            w += 1
            for t in range(1, seg.size):
                if seg[t] != seg[t - 1]:
                    out[w] = seg[t]
                    w += 1
            pos = w
        optr[r + 1] = pos
    return optr, out[:pos].copy()


@njit(cache=True, nogil=True)
def _pairs_kernel(h_indptr, h_indices, a_indptr, a_indices, b_indptr, b_indices, n):  # pragma: no cover
    nout = h_indptr.size - 1
    total = 0
    for r in range(nout):
        total += (h_indptr[r + 1] - h_indptr[r]) + \
            (a_indptr[r + 1] - a_indptr[r]) * (b_indptr[r + 1] - b_indptr[r])
    out = np.empty(total, np.int64)
    optr = np.empty(nout + 1, np.int64)
    optr[0] = 0
    pos = 0
    for r in range(nout):
        start = pos
        for t in range(h_indptr[r], h_indptr[r + 1]):
            out[pos] = h_indices[t]
            pos += 1
        added = 0
        for s in range(a_indptr[r], a_indptr[r + 1]):
            i = a_indices[s]
            for t in range(b_indptr[r], b_indptr[r + 1]):
                j = b_indices[t]
                if i <= j:
                    out[pos] = i * n + j
                else:
                    out[pos] = j * n + i
                pos += 1
                added += 1
        if added > 0 and pos - start > 1:
            seg = np.sort(out[start:pos])
            w = start
            out[w] = seg[0]
            w += 1
            for t in range(1, seg.size):
                if seg[t] != seg[t - 1]:
                    out[w] = seg[t]
                    w += 1
            pos = w
        optr[r + 1] = pos
    return optr, out[:pos].copy()


class Rows:
    """One sorted set of int64 per row (CSR structure without values); immutable."""

    __slots__ = ("indptr", "indices")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.indptr = indptr
        self.indices = indices

    @property
    def nrows(self) -> int:
        return self.indptr.size - 1

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    @staticmethod
    def empty(nrows: int) -> Rows:
        return Rows(np.zeros(nrows + 1, INT), np.zeros(0, INT))

    @staticmethod
    def identity(n: int) -> Rows:
        """Row i = {i}: the inputs themselves."""
        return Rows(np.arange(n + 1, dtype=INT), np.arange(n, dtype=INT))

    @staticmethod
    def single(indices: np.ndarray) -> Rows:
        """One row holding ``indices`` (sorted, unique)."""
        return Rows(np.array([0, indices.size], dtype=INT), np.ascontiguousarray(indices, dtype=INT))

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def take(self, src: np.ndarray) -> Rows:
        """Rows ``src[r]`` (``-1``: an empty row)."""
        src = np.asarray(src, dtype=INT).ravel()
        if self.nnz == 0:
            return Rows.empty(src.size)
        if src.size == self.nrows and (src.size == 0 or (src[0] == 0 and np.array_equal(src, np.arange(src.size)))):
            return self
        keep = src >= 0
        if keep.all():
            return gather(self, np.arange(src.size + 1, dtype=INT), src)
        sel_indptr = np.zeros(src.size + 1, INT)
        np.cumsum(keep, out=sel_indptr[1:])
        return gather(self, sel_indptr, src[keep])

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        """The rows of all parts, one after the other."""
        if len(parts) == 1:
            return parts[0]
        ptrs, offset = [np.zeros(1, INT)], 0
        for p in parts:
            ptrs.append(p.indptr[1:] + offset)
            offset += p.nnz
        return Rows(np.concatenate(ptrs), np.concatenate([p.indices for p in parts]))


def gather(rows: Rows, sel_indptr: np.ndarray, sel_src: np.ndarray) -> Rows:
    """Output row r = ∪ rows[sel_src[p]] for p in sel_indptr[r]:sel_indptr[r+1]."""
    sel_indptr = np.ascontiguousarray(sel_indptr, dtype=INT)
    sel_src = np.ascontiguousarray(sel_src, dtype=INT)
    if rows.nnz == 0:
        return Rows.empty(sel_indptr.size - 1)
    if sel_src.size > 1000:
        _check_size(int(rows.lengths()[sel_src].sum()))
    indptr, indices = _gather_kernel(sel_indptr, sel_src, rows.indptr, rows.indices)
    return Rows(indptr, indices)


def union(parts: list[Rows]) -> Rows:
    """Row-wise union of aligned Rows (all with the same number of rows)."""
    parts = [p for p in parts if p.nnz]
    uniq: list[Rows] = []
    for p in parts:
        if not any(p is u for u in uniq):
            uniq.append(p)
    if not uniq:
        return None  # type: ignore[return-value]  # the caller supplies the row count
    if len(uniq) == 1:
        return uniq[0]
    nrows = uniq[0].nrows
    k = len(uniq)
    src = (np.arange(k, dtype=INT)[None, :] * nrows + np.arange(nrows, dtype=INT)[:, None]).ravel()
    return gather(Rows.concat(uniq), np.arange(0, nrows * k + 1, k, dtype=INT), src)


def union_rows(parts: list[Rows], nrows: int) -> Rows:
    out = union(parts)
    return Rows.empty(nrows) if out is None else out


def pairs(h: Rows, a: Rows, b: Rows, n: int) -> Rows:
    """Row-wise ``h ∪ {min(i,j)·n + max(i,j) : i ∈ a, j ∈ b}`` (symmetric pair codes)."""
    if a.nnz == 0 or b.nnz == 0:
        return h
    _check_size(h.nnz + int(np.dot(a.lengths(), b.lengths())))
    indptr, indices = _pairs_kernel(h.indptr, h.indices, a.indptr, a.indices, b.indptr, b.indices, n)
    return Rows(indptr, indices)
