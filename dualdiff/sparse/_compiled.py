"""The numba engine's compressed passes for ``dualdiff.sparse``: the arrays a plan hands
the compiled drivers (``dualdiff.jit._sparse_drivers``), the executor tasks, and cheap
construction of the CSR results.

A result's ``data`` and index arrays are its own (fresh per call): a user may modify a
result (``H.eliminate_zeros()`` rewrites the index arrays in place) without touching the
plan or the next result.  Index arrays are int32 when they fit (as scipy makes them),
which halves the per-call copy; the matrix is built by cloning a template made once by
scipy's own constructor, as ``scipy.sparse.csr_array((data, indices, indptr))`` re-checks
the structure on every call (tens of µs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

Function = Callable[..., Any]


def _numba() -> Any:
    from ..engines import numba as _numba_engine

    return _numba_engine


def _index_dtype(*sizes: int) -> Any:
    return np.int32 if max(sizes, default=0) < np.iinfo(np.int32).max else np.int64


def _offset_dtype(*sizes: int) -> Any:
    """Unsigned (no negative-index wraparound in the compiled read-outs), 32 bits when it fits."""
    return np.uint32 if max(sizes, default=0) < np.iinfo(np.uint32).max else np.uint64


class Result:
    """A CSR structure (shape, indptr, indices) and fast construction of matrices on it.

    A matrix's index arrays are the two parts of one fresh copy of ``indices`` followed by
    ``indptr`` (one allocation and one copy per call instead of two): views, but of an
    array no one else holds, so they are the caller's as separate copies would be."""

    def __init__(self, shape: tuple[int, int], indptr: np.ndarray, indices: np.ndarray) -> None:
        dt = _index_dtype(*shape, indices.size)
        self.shape = shape
        self.nnz = indices.size
        self._index = np.concatenate([np.asarray(indices, dtype=dt).ravel(), np.asarray(indptr, dtype=dt).ravel()])
        self.indices = self._index[:self.nnz]
        self.indptr = self._index[self.nnz:]
        template = sp.csr_array((np.zeros(self.nnz), self.indices.copy(), self.indptr.copy()),
                                shape=shape, copy=False)
        template.has_sorted_indices = True
        template.has_canonical_format = True
        self._attrs = dict(template.__dict__)

    def __call__(self, data: np.ndarray) -> sp.csr_array:
        """The CSR matrix with this structure and ``data`` (taken, not copied)."""
        out = sp.csr_array.__new__(sp.csr_array)
        attrs = self._attrs.copy()
        index = self._index.copy()
        attrs["data"] = data
        attrs["indices"] = index[:self.nnz]
        attrs["indptr"] = index[self.nnz:]
        out.__dict__ = attrs
        return out


class CompiledPlan:
    """What the compiled passes need of one :class:`~dualdiff.sparse.api.Plan` of kind
    "jacobian", "sum_grad" or "sum_hessian": int64 colours and pattern arrays, the lane
    count, the result's structure, (sum-Hessian) the positions of every term's pairs in it
    (``SumHessianMap``), and a pool of scratch buffers for the drivers (:meth:`scratch`).

    Scratch outlives a call so that a call allocates no megabytes (a fresh allocation per
    call is returned to the OS by malloc's heap trimming and page-faulted in again, call
    after call: 2312 page faults per call of the extended Rosenbrock sum-Hessian at
    n = 1e5, 13.9 ms a call against 3.3 ms with the pool).  Concurrent calls of one plan
    (``executor=ThreadPoolExecutor``, or threads of the user) each take their own buffer:
    :meth:`scratch` pops one from the pool or makes a new one, :meth:`release` puts it
    back (at most ``POOL`` are kept).  A buffer is n·S doubles
    (S doubles per jet: the seeded input), plus m for the sum-Hessian's f values; it is
    the plan's memory as long as the plan lives, and is not pickled with the plan (a
    process executor's task makes its own)."""

    POOL = 4

    def __init__(self, plan: Any, kind: str) -> None:
        P = plan.pattern
        self.kind = kind
        self.m, self.n = P.shape
        self.c = plan.ncolors
        self.lanes = _numba().sparse_lanes(self.c)
        self.colors = np.ascontiguousarray(plan.colors, dtype=np.int64)
        self.indptr = np.ascontiguousarray(P.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(P.indices, dtype=np.int64)
        self.ecol = self.colors[self.indices]
        self.nnz = self.indices.size
        # each entry's partial in f's output read as floats (Dual records of 1 + N doubles:
        # value, ε): k·(1 + N) + 1 + colour, less the chunk's first colour
        self.eoff = self._offsets(self.indptr, 1 + self.lanes, 1 + self.ecol)
        self.jacobian = Result((self.m, self.n), self.indptr, self.indices)
        S = 1 + self.lanes  # doubles per jet the drivers seed
        self.scratch_size = self.n * S
        if kind == "sum_hessian":
            M = plan.decompress
            # H's lower entries and the upper entries they copy: (2, L), unsigned
            low = np.flatnonzero(M.mirror != np.arange(M.mirror.size))
            self.lower = np.ascontiguousarray(np.stack([low, M.mirror[low]]),
                                              dtype=_offset_dtype(M.mirror.size)).reshape(2, -1)
            # every term's upper pair t (term kk[t], colours ci[t] <= cj[t] by position) is
            # read in pass b = max of its colours, from ε1 lane min - c0 of the chunk c0:
            # grouped by (b, chunk), in term order within a group (a stable sort)
            N = self.lanes
            nq = -(-self.c // N) if self.c else 0
            b = np.maximum(M.ci, M.cj)
            lane = np.minimum(M.ci, M.cj)
            group = b * nq + lane // N
            order = np.argsort(group, kind="stable")
            # (the float offset of the pair's ε12 partial in f's output, HyperDual records of
            # S = 2 + 2N doubles: value, ε1, ε2, ε12; its position in H's data)
            S = 2 + 2 * N
            poff = M.kk.astype(np.int64) * S + 2 + N + lane % N
            dt = _offset_dtype(self.m * S, M.indices.size)
            self.pairs = np.ascontiguousarray(np.stack([poff[order], M.pos[order]]), dtype=dt).reshape(2, -1)
            # P's entries' ε1 partials (less the chunk's first colour)
            self.goff = self._offsets(self.indptr, S, 1 + self.ecol)
            self.gptr = np.zeros(self.c * nq + 1, np.int64)
            np.cumsum(np.bincount(group, minlength=self.c * nq), out=self.gptr[1:])
            self.hessian = Result((self.n, self.n), M.indptr, M.indices)
            rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(M.indptr))
            # the pass b that computes each entry of H: max of its colours (see the driver)
            self.hpass = np.maximum(self.colors[rows], self.colors[M.indices]) if self.n else rows
            # the pass that reads each column's gradient: the first of its chunk of colours
            self.gpass = (self.colors // self.lanes) * self.lanes
            self.scratch_size = self.n * S + self.m  # the seeded input, then f's values
        # the driver's arguments after (x, outputs, scratch, shape) and before (jdata,) lo, hi
        if kind == "sum_hessian":
            self.arrays: tuple = (self.colors, self.m, self.indices, self.ecol, self.goff, self.gptr, self.pairs,
                                  self.lower, self.c)
        elif kind == "sum_grad":
            self.arrays = (self.colors, self.m, self.indices, self.ecol, self.eoff, self.c)
        else:
            self.arrays = (self.colors, self.m, self.ecol, self.eoff, self.c)
        # ... and all of them for a 1-d x, all colours, no Jacobian kept (the fast paths)
        self.fast = (None,) + self.arrays + (() if kind == "jacobian" else (np.empty(0),)) + (0, self.c)
        self.pool: list[np.ndarray] = []

    def scratch(self) -> np.ndarray:
        """A scratch buffer (float64, ``scratch_size``) that no other call holds: taken
        from the pool (list.pop is atomic), else new.  Hand it back with :meth:`release`."""
        try:
            return self.pool.pop()
        except IndexError:
            return np.empty(self.scratch_size)

    def release(self, buf: np.ndarray) -> None:
        """Put a buffer from :meth:`scratch` back into the pool (kept if the pool is not full)."""
        if len(self.pool) < self.POOL:
            self.pool.append(buf)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["pool"] = []  # scratch stays in its process
        return state

    def _offsets(self, indptr: np.ndarray, stride: int, within: np.ndarray) -> np.ndarray:
        """``k·stride + within[p]`` for the entries p of each row k (``_offset_dtype``)."""
        rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))
        off = rows * stride + within
        dt = _offset_dtype(int(off.max(initial=0)) + stride, (indptr.size - 1) * stride)
        return np.ascontiguousarray(off, dtype=dt)


def _in(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (a >= lo) & (a < hi)


# -- executor tasks (module level: they travel by name) ---------------------------------------

def jacobian_task(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, c_lo: int, c_hi: int,
                  args: tuple, safe: bool) -> tuple[np.ndarray, int, bool]:
    """(data with the entries of colours [c_lo, c_hi), m_out, had_nan)."""
    data = np.empty(cp.nnz) if c_hi - c_lo >= cp.c else np.zeros(cp.nnz)
    buf = cp.scratch()
    try:
        m, bad = _numba().sparse_call(f, "jacobian", cp.lanes, safe,
                                      (x, data, buf, shape, *cp.arrays, c_lo, c_hi) + args)
    finally:
        cp.release(buf)
    return data, m, bad


def sum_grad_task(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, c_lo: int, c_hi: int,
                  jdata: np.ndarray, args: tuple, safe: bool) -> tuple[float, np.ndarray, np.ndarray, int, bool]:
    """(value, g for the columns of colours [c_lo, c_hi), jdata, m_out, had_nan)."""
    g = np.empty(cp.n)
    buf = cp.scratch()
    try:
        value, m, bad = _numba().sparse_call(f, "sum_grad", cp.lanes, safe,
                                             (x, g, buf, shape, *cp.arrays, jdata, c_lo, c_hi) + args)
    finally:
        cp.release(buf)
    return value, g, jdata, m, bad


def sum_hessian_task(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, b_lo: int, b_hi: int,
                     jdata: np.ndarray, args: tuple, safe: bool
                     ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """(Σ f(x) (``F(x).sum()``), g, jdata, H's data for the passes b in [b_lo, b_hi), m_out,
    had_nan)."""
    g, data = np.empty(cp.n), np.empty(cp.hessian.nnz)
    buf = cp.scratch()
    try:
        value, m, bad = _numba().sparse_call(f, "sum_hessian", cp.lanes, safe,
                                             (x, g, data, buf, shape, *cp.arrays, jdata, b_lo, b_hi) + args)
    finally:
        cp.release(buf)
    return value, g, jdata, data, m, bad


def _run(task: Function, f: Function, fixed: tuple, ranges: list[tuple[int, int]], extra: tuple,
         args: tuple, executor: Any, submit: Callable[..., list[Any]] | None) -> list[Any]:
    """``task(f, *fixed, lo, hi, *extra, args, safe)`` for every range, here (no executor) or
    as tasks; if a partial came out NaN anywhere, all again NaN-safely (as one local call
    redoes the whole call), so the results do not depend on the split."""
    def go(safe: bool) -> list[Any]:
        calls = [(f, *fixed, lo, hi, *extra, args, safe) for lo, hi in ranges]
        if executor is None:
            return [task(*a) for a in calls]
        assert submit is not None
        return submit(task, calls)

    parts = go(False)
    if any(p[-1] for p in parts):
        parts = go(True)
    return parts


def jacobian(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, args: tuple, ranges: list[tuple[int, int]],
             executor: Any, submit: Any) -> tuple[np.ndarray, int]:
    """(J's data in P's order, m_out) from the colour ranges (one range: local)."""
    parts = _run(jacobian_task, f, (x, shape, cp), ranges, (), args, executor, submit)
    if len(parts) == 1:
        return parts[0][0], parts[0][1]
    data = np.empty(cp.nnz)
    for (lo, hi), p in zip(ranges, parts, strict=True):
        sel = _in(cp.ecol, lo, hi)
        data[sel] = p[0][sel]
    return data, parts[0][1]


def sum_grad(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, args: tuple, ranges: list[tuple[int, int]],
             executor: Any, submit: Any, with_jacobian: bool) -> tuple[float, np.ndarray, np.ndarray, int]:
    """(Σ F_k(x), gradient, J's data (empty unless with_jacobian), m_out)."""
    jdata = np.zeros(cp.nnz if with_jacobian else 0)
    parts = _run(sum_grad_task, f, (x, shape, cp), ranges, (jdata,), args, executor, submit)
    if len(parts) == 1:
        return parts[0][0], parts[0][1], parts[0][2], parts[0][3]
    g = np.empty(cp.n)
    for (lo, hi), p in zip(ranges, parts, strict=True):
        sel = _in(cp.colors, lo, hi)
        g[sel] = p[1][sel]
        if with_jacobian:
            jsel = _in(cp.ecol, lo, hi)
            jdata[jsel] = p[2][jsel]
    return parts[0][0], g, jdata, parts[0][3]


def sum_hessian(f: Function, x: np.ndarray, shape: Any, cp: CompiledPlan, args: tuple,
                ranges: list[tuple[int, int]], executor: Any, submit: Any, with_jacobian: bool
                ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, int]:
    """(``F(x).sum()``, gradient, J's data (empty unless with_jacobian), H's data, m_out)
    from the ranges of passes b (one range: local)."""
    jdata = np.zeros(cp.nnz if with_jacobian else 0)
    parts = _run(sum_hessian_task, f, (x, shape, cp), ranges, (jdata,), args, executor, submit)
    if len(parts) == 1:
        return parts[0][0], parts[0][1], parts[0][2], parts[0][3], parts[0][4]
    g, data = np.empty(cp.n), np.empty(cp.hessian.nnz)
    for (lo, hi), p in zip(ranges, parts, strict=True):
        sel = _in(cp.gpass, lo, hi)
        g[sel] = p[1][sel]
        if with_jacobian:
            jsel = _in(cp.gpass[cp.indices], lo, hi)
            jdata[jsel] = p[2][jsel]
        hsel = _in(cp.hpass, lo, hi)
        data[hsel] = p[3][hsel]
    return parts[0][0], g, jdata, data, parts[0][4]
