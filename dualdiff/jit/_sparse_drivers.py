"""Compiled drivers of the sparse transforms' compressed passes (``dualdiff.sparse``).

x is seeded by the colours of the plan's pattern P (m × n, CSR: ``indptr``, ``indices``;
``colors[j]`` the colour of column j, c colours): a chunk of N colours rides on the
partial vector, ``xd[j] = x[j] + unit(colors[j] - c0)·ε`` for the colours [c0, c0 + N).
Each output element k of f is then read straight into the result, so the compressed
product (m × c) is never stored:

* Jacobian: ``data[p] = (J·S)[k, colors[indices[p]]]`` for the entries p of row k;
* gradient of Σ_k F_k: ``g[j] += (J·S)[k, colors[j]]`` for the entries (k, j) of P;
* Hessian of Σ_k F_k: the hyper-dual's ε2 is a scalar, so there is one pass per colour
  b (ε2 = S[:, b], ε1 = the colours' units): F_k's ε1ε2 lane a is C_k[a, b] =
  S_aᵀ ∇²F_k S_b.  A term's variables have distinct colours, so ∇²F_k[i, j] =
  C_k[color i, color j]; the upper-triangle pair (i, j) of term k is read in the pass
  b = max(color i, color j) from lane min(color i, color j) and added at its fixed
  position of the result (``dualdiff.sparse.decompression.SumHessianMap``'s); the pairs
  come grouped by pass, in term order, so every entry of H receives its terms in the
  order k = 0, 1, ... in one pass whatever the split into passes; the lower triangle is
  copied from the upper (exactly symmetric).

f's output is read as a flat float64 view of its records (``output_floats``) at float
offsets precomputed on the plan (``eoff``, ``goff``, ``pairs``), one loop over P's
entries (or the pairs) in order: no per-row jet loads, no lane extraction from a vector
register.  (Fusing the loops into one sweep over f's output by blocks of rows that stay
in the L1 cache was measured slower: 1.5x for sum_grad at n = 1e4, as the short inner
loops lose their vectorisation and pipelining.)

Scratch: the seeded input xd (n jets) and the sum-Hessian's f values (m floats) live in
a float64 buffer the caller hands in (``scratch``; the plan keeps a small pool of them,
``dualdiff.sparse._compiled.CompiledPlan.scratch``), viewed as jets in place
(``scratch_jets``), so a call allocates neither (fresh allocations of megabytes per call
were returned to the OS by malloc's heap trimming and page-faulted in again on every
call).  A buffer smaller than needed (e.g. empty) makes the driver allocate its own.  f
gets xd read-only (or a fresh copy: ``prepare_fresh``) and its output is only read, so
nothing a driver returns refers to the scratch.

Every driver takes a colour range [c_lo, c_hi) (the Hessian: a range of b passes), so
an executor can split the colours into tasks; they release the GIL.  Every driver also
reports whether a partial came out NaN (the caller reruns NaN-safely) and the number of
f's outputs (the caller raises when it is not P's row count; nothing is read then).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload
from numba.np.arrayobj import make_array, populate_array

from . import _types as T
from ._drivers import output_item, output_shape, shape_size
from ._types import DualType, HyperDualType, JetType

# -- f's output as one flat float64 array -------------------------------------------------
#
# Reading a lane of a partial vector held in a register (``vget(r.eps, a)`` with a lane a
# known only at run time) makes LLVM spill the vector to the stack and load the lane back
# (a store-forwarding stall per entry).  The read-outs instead take f's output as a flat
# float64 view of its records (a jet array element is its fields one after the other, as
# ``numpy_dtype``): entry (k, lane a) of a Dual's ε is ``flat[k·S + 1 + a]`` with
# S = 1 + N doubles per record; a HyperDual's ε1 lane a is at ``k·S + 1 + a`` and its ε12
# lane a at ``k·S + 2 + N + a``, S = 2 + 2N.

def jet_floats(t: JetType) -> int:
    """Doubles per array element of jet type t (its fields: value, partials)."""
    return 1 + t.n if isinstance(t, DualType) else 2 + 2 * t.n


@intrinsic
def _floats_as_jets(typingctx: Any, buf: Any, n: Any, tref: Any) -> Any:
    """The first n records of jet type tref laid over the float64 buffer buf (1-d, C, at
    least n·S doubles: not checked here): a C-contiguous array of n jets sharing buf's
    memory (and keeping buf alive)."""
    t = T._jet_of(tref)
    if not (t is not None and isinstance(buf, types.Array) and buf.dtype == types.float64
            and buf.ndim == 1 and buf.layout == "C" and isinstance(n, types.Integer)):
        return None
    rt = types.Array(t, 1, "C")

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> Any:
        src = make_array(sig.args[0])(context, builder, args[0])
        dst = make_array(rt)(context, builder)
        size = context.get_abi_sizeof(context.get_data_type(t))
        assert size == 8 * jet_floats(t), (size, t)
        itemsize = ir.Constant(src.itemsize.type, size)
        count = context.cast(builder, args[1], sig.args[1], types.intp)
        populate_array(dst, data=builder.bitcast(src.data, dst.data.type), shape=[count], strides=[itemsize],
                       itemsize=itemsize, meminfo=src.meminfo, parent=None)
        return impl_ret_borrowed(context, builder, rt, dst._getvalue())
    return rt(buf, n, tref), codegen


@numba.njit(nogil=True, inline="always")
def scratch_jets(scratch, n, tt):
    """n jets of type tt in the scratch buffer's first n·S doubles (allocated afresh when
    the buffer is too small)."""
    if scratch.shape[0] >= n * record_size(tt):
        return _floats_as_jets(scratch, n, tt)
    return np.empty(n, dtype=tt)


@numba.njit(nogil=True, inline="always")
def scratch_floats(scratch, lo, m):
    """scratch[lo:lo + m] (allocated afresh when the buffer is too small)."""
    if scratch.shape[0] >= lo + m:
        return scratch[lo:lo + m]
    return np.empty(m)


def record_size(tref):
    """Doubles per record of the jet type tref (compile-time constant)."""


@overload(record_size)
def _ol_record_size(tref):
    S = jet_floats(T._jet_of(tref))
    return lambda tref: S


def output_floats(out, m, tref):
    """f's output (m elements) as the flat float64 array of m records of tref's type: a view
    of a C-contiguous output of that type, else a copy (other layouts, float outputs,
    scalars)."""


@overload(output_floats)
def _ol_output_floats(out, m, tref):
    t = T._jet_of(tref)
    if isinstance(out, types.Array) and out.layout == "C" and out.dtype == t:
        return lambda out, m, tref: T.record_floats(out)

    def impl(out, m, tref):
        tmp = np.empty(m, dtype=tref)
        for k in range(m):
            tmp[k] = output_item(out, k, tref)
        return T.record_floats(tmp)
    return impl


@numba.njit(nogil=True, inline="always")
def partials_nan(fl, m, S, lo, hi):
    """Whether a field a in [lo, hi) of one of the m records (S doubles each) of fl is NaN:
    one contiguous scan of all of fl first (vectorised), the exact per-field test only
    when that finds a NaN somewhere (a NaN value alone is not a NaN partial)."""
    anynan = False
    for q in range(m * S):
        anynan |= np.isnan(fl[q])
    if not anynan:
        return False
    bad = False
    for k in range(m):
        for a in range(lo, hi):
            bad |= np.isnan(fl[k * S + a])
    return bad


@numba.njit(nogil=True, inline="always")
def values_sum_nan(fl, m, S):
    """(Σ_k fl[k·S] in order k = 0, 1, ..., whether a partial field of a record is NaN):
    one sweep over the records (the NaN tests run in the shadow of the sum's chain of
    dependent additions, which a separate scan would not)."""
    value = 0.0
    anynan = False
    for k in range(m):
        value += fl[k * S]
        for a in range(1, S):
            anynan |= np.isnan(fl[k * S + a])
    return value, anynan


@numba.njit(nogil=True, inline="always")
def values_nan(fl, m, S, values):
    """values[k] = fl[k·S] (the records' values) and whether a partial field of a record is
    NaN: one sweep over the records."""
    anynan = False
    for k in range(m):
        values[k] = fl[k * S]
        for a in range(1, S):
            anynan |= np.isnan(fl[k * S + a])
    return anynan


@numba.njit(nogil=True)
def pairwise_sum(a, lo, n):
    """Σ a[lo:lo + n] by numpy's pairwise summation (``DOUBLE_pairwise_sum``: blocks of up
    to 128 summed by 8 accumulators, halves at multiples of 8 above): the same operations
    in the same order, so ``0.0 + pairwise_sum(a, 0, a.size)`` is ``a.sum()`` bit for bit
    (a contiguous float64 array; numpy's reduction starts from the identity 0.0)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        while i < n - n % 8:
            q = lo + i
            r0 += a[q]
            r1 += a[q + 1]
            r2 += a[q + 2]
            r3 += a[q + 3]
            r4 += a[q + 4]
            r5 += a[q + 5]
            r6 += a[q + 6]
            r7 += a[q + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


def make_sparse_jacobian_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """``(m_out, had_nan) = drv(x, data, scratch, shape, colors, m, ecol, eoff, c, c_lo, c_hi, *args)``:
    writes data[p] for the entries p whose colour ``ecol[p]`` is in [c_lo, c_hi) (the other
    entries are left alone).  m = P's row count; ``eoff[p] = k·(1 + N) + 1 + ecol[p]`` for
    the entry p of row k (its partial in f's output read as floats, less the chunk's first
    colour c0); c = the number of colours (c ≤ N and [c_lo, c_hi) ⊇ [0, c): one chunk
    holding every entry, read without the colour test); scratch: n·(1 + N) doubles for the
    seeded input (the plan's, see the module docstring)."""
    N = tt.n
    S = 1 + N  # doubles per Dual record

    @numba.njit(nogil=True)
    def sparse_jacobian_driver(x, data, scratch, shape, colors, m, ecol, eoff, c, c_lo, c_hi, *args):
        n = x.shape[0]
        xd = scratch_jets(scratch, n, tt)
        bad = False
        c0 = c_lo
        while True:
            c1 = min(c0 + N, c_hi)
            for j in range(n):  # vunit of a lane outside [0, N) is zero: no branch
                a = colors[j] - c0
                xd[j] = T.new_dual(tt, x[j], T.vunit(tt, a if a < c1 - c0 else -1))
            out = f(prepare(xd, shape), *args)
            mo = shape_size(output_shape(out))
            if mo != m:
                return mo, bad
            fl = output_floats(out, m, tt)
            if c0 == 0 and c1 >= c:  # every entry's colour in this chunk
                for p in range(eoff.shape[0]):
                    data[p] = fl[eoff[p]]
            else:
                w = c1 - c0
                for p in range(eoff.shape[0]):
                    if 0 <= ecol[p] - c0 < w:
                        data[p] = fl[np.int64(eoff[p]) - c0]
            bad |= partials_nan(fl, m, S, 1, S)  # a NaN partial in any lane of any row
            c0 += N
            if c0 >= c_hi:
                break
        return m, bad

    return sparse_jacobian_driver


def make_sparse_sum_grad_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """``(value, m_out, had_nan) = drv(x, g, scratch, shape, colors, m, indices, ecol, eoff, c, jdata, c_lo,
    c_hi, *args)``: g (n,) set to zero, then g[j] = Σ_k J[k, j] (in the order
    k = 0, 1, ...) for the columns j whose colour is in [c_lo, c_hi); value = Σ_k F_k(x)
    summed in order k = 0, 1, ...  Unless jdata is empty, J's entries in P's order go into
    it as well (to check a given pattern).  m, ecol, eoff, c and scratch as for the
    Jacobian driver; ``indices`` P's column indices."""
    N = tt.n
    S = 1 + N  # doubles per Dual record

    @numba.njit(nogil=True)
    def sparse_sum_grad_driver(x, g, scratch, shape, colors, m, indices, ecol, eoff, c, jdata, c_lo, c_hi, *args):
        n = x.shape[0]
        keep = jdata.shape[0] > 0
        xd = scratch_jets(scratch, n, tt)
        for j in range(n):
            g[j] = 0.0
        bad = False
        value = 0.0
        c0 = c_lo
        while True:
            c1 = min(c0 + N, c_hi)
            for j in range(n):  # vunit of a lane outside [0, N) is zero: no branch
                a = colors[j] - c0
                xd[j] = T.new_dual(tt, x[j], T.vunit(tt, a if a < c1 - c0 else -1))
            out = f(prepare(xd, shape), *args)
            mo = shape_size(output_shape(out))
            if mo != m:
                return value, mo, bad
            fl = output_floats(out, m, tt)
            if c0 == c_lo:  # f's values (the same in every pass) with the NaN scan of the partials
                value, anynan = values_sum_nan(fl, m, S)
                bad |= anynan
            else:
                bad |= partials_nan(fl, m, S, 1, S)  # a NaN partial in any lane of any row
            if c0 == 0 and c1 >= c and not keep:  # every entry's colour in this chunk
                for p in range(eoff.shape[0]):
                    g[np.uint64(indices[p])] += fl[eoff[p]]
            else:
                w = c1 - c0
                for p in range(eoff.shape[0]):
                    if 0 <= ecol[p] - c0 < w:
                        v = fl[np.int64(eoff[p]) - c0]
                        g[indices[p]] += v
                        if keep:
                            jdata[p] = v
            c0 += N
            if c0 >= c_hi:
                break
        return value, m, bad

    return sparse_sum_grad_driver


def make_sparse_sum_hessian_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """``(value, m_out, had_nan) = drv(x, g, data, scratch, shape, colors, m, indices, ecol, goff, gptr, pairs,
    lower, c, jdata, b_lo, b_hi, *args)``: the passes b in [b_lo, b_hi) of the
    sum-Hessian.  f's output is read as floats, S = 2 + 2N doubles per HyperDual record
    (value, ε1 (N), ε2, ε12 (N)).

    ``pairs`` (2, T) lists the terms' upper-triangle pairs (the float offset of their
    partial, k·S + 2 + N + ε1 lane, and their position in data) grouped by the pass that
    reads them: group b·nq + c0/N (nq = ⌈c/N⌉ chunks of ε1 colours) holds, in term order,
    the pairs read in pass b with ε1 chunk c0, its slice ``gptr[group]:gptr[group + 1]``
    (see ``dualdiff.sparse._compiled.CompiledPlan``).  m = P's row count; for P's entry p
    (row k, column ``indices[p]`` of colour ``ecol[p]``) ``goff[p] = k·S + 1 + ecol[p]``
    (its ε1 partial, less the chunk's first colour c0).

    g (n,) and data (nnz,) are zeroed, then: data gets the Hessian entries (i, j) with
    max(color i, color j) in [b_lo, b_hi) (upper entries summed over the terms, lower ones
    copied from the upper ones: ``data[lower[0, t]] = data[lower[1, t]]``);
    g[j] = Σ_k ∂F_k/∂x_j for the columns j whose chunk of colours, (colors[j] // N)·N, is
    in [b_lo, b_hi) (read in the pass b = that chunk's first colour, the first pass that
    seeds it), and unless jdata is empty, the Jacobian of the terms in P's order into
    jdata for those columns.  c = the number of colours.  value = ``F(x).sum()`` bit for
    bit (numpy's pairwise summation of f's m values, kept in the scratch after the seeded
    input: scratch holds n·S + m doubles).
    """
    N = tt.n
    S = 2 + 2 * N  # doubles per HyperDual record

    @numba.njit(nogil=True)
    def sparse_sum_hessian_driver(x, g, data, scratch, shape, colors, m, indices, ecol, goff, gptr, pairs, lower, c,
                                  jdata, b_lo, b_hi, *args):
        n = x.shape[0]
        nq = (c + N - 1) // N
        keep = jdata.shape[0] > 0
        xd = scratch_jets(scratch, n, tt)
        values = scratch_floats(scratch, n * S, m)
        for j in range(n):
            g[j] = 0.0
        for p in range(data.shape[0]):
            data[p] = 0.0
        bad = False
        if b_hi <= b_lo:  # no passes (no colours): f(x) alone
            for j in range(n):
                xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), 0.0, T.vzero(tt))
            out = f(prepare(xd, shape), *args)
            mo = shape_size(output_shape(out))
            if mo != m:
                return 0.0, mo, bad
            fl = output_floats(out, m, tt)
            for k in range(m):
                values[k] = fl[k * S]
            return 0.0 + pairwise_sum(values, 0, m), m, bad
        value = 0.0
        for b in range(b_lo, b_hi):
            for c0 in range(0, b + 1, N):
                c1 = min(c0 + N, c)
                for j in range(n):  # vunit of a lane outside [0, N) is zero: no branch
                    col = colors[j]
                    e2 = 1.0 if col == b else 0.0
                    a = col - c0
                    xd[j] = T.new_hyperdual(tt, x[j], T.vunit(tt, a if a < c1 - c0 else -1), e2, T.vzero(tt))
                out = f(prepare(xd, shape), *args)
                mo = shape_size(output_shape(out))
                if mo != m:
                    return value, mo, bad
                fl = output_floats(out, m, tt)
                if b == b_lo and c0 == 0:  # f's values (the same in every pass), NaN scan of ε1, ε2, ε12
                    bad |= values_nan(fl, m, S, values)
                    value = 0.0 + pairwise_sum(values, 0, m)
                else:
                    bad |= partials_nan(fl, m, S, 1, S)  # ε1, ε2, ε12: a NaN anywhere
                grp = b * nq + c0 // N
                for s in range(gptr[grp], gptr[grp + 1]):
                    u = np.uint64(s)  # no negative-index wraparound
                    data[pairs[1, u]] += fl[pairs[0, u]]
                if b == c0 and c0 == 0 and c1 >= c and not keep:  # every entry's colour in this chunk
                    for p in range(goff.shape[0]):
                        g[np.uint64(indices[p])] += fl[goff[p]]
                elif b == c0:
                    w = c1 - c0
                    for p in range(goff.shape[0]):
                        if 0 <= ecol[p] - c0 < w:
                            v = fl[np.int64(goff[p]) - c0]
                            g[indices[p]] += v
                            if keep:
                                jdata[p] = v
        for t in range(lower.shape[1]):
            data[lower[0, t]] = data[lower[1, t]]
        return value, m, bad

    return sparse_sum_hessian_driver


# kind -> (factory(f, tt, prepare), jet type)
SPARSE_FACTORIES = {
    "jacobian": (make_sparse_jacobian_driver, DualType),
    "sum_grad": (make_sparse_sum_grad_driver, DualType),
    "sum_hessian": (make_sparse_sum_hessian_driver, HyperDualType),
}
