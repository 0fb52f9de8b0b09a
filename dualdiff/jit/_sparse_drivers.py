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

Every driver takes a colour range [c_lo, c_hi) (the Hessian: a range of b passes), so
an executor can split the colours into tasks; they release the GIL.  Every driver also
reports whether a partial came out NaN (the caller reruns NaN-safely) and the number of
f's outputs (the caller raises when it is not P's row count; nothing is read then).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from . import _types as T
from ._drivers import output_item, output_shape, shape_size
from ._types import DualType, HyperDualType


def make_sparse_jacobian_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """``(m_out, had_nan) = drv(x, shape, colors, indptr, ecol, values, data, c_lo, c_hi, *args)``:
    writes data[p] for the entries p whose colour ``ecol[p]`` is in [c_lo, c_hi) (the
    other entries are left alone) and f(x) flat into values (unless values is empty)."""
    N = tt.n

    @numba.njit(nogil=True)
    def sparse_jacobian_driver(x, shape, colors, indptr, ecol, values, data, c_lo, c_hi, *args):
        n = x.shape[0]
        m = indptr.shape[0] - 1
        keep = values.shape[0] > 0
        xd = np.empty(n, dtype=tt)
        bad = False
        c0 = c_lo
        while True:
            c1 = min(c0 + N, c_hi)
            for j in range(n):
                col = colors[j]
                if c0 <= col < c1:
                    xd[j] = T.new_dual(tt, x[j], T.vunit(tt, col - c0))
                else:
                    xd[j] = T.new_dual(tt, x[j], T.vzero(tt))
            out = f(prepare(xd, shape), *args)
            mo = shape_size(output_shape(out))
            if mo != m:
                return mo, bad
            for k in range(m):
                r = output_item(out, k, tt)
                if keep:
                    values[k] = r.value
                for p in range(indptr[k], indptr[k + 1]):
                    a = ecol[p] - c0
                    if 0 <= a < c1 - c0:
                        data[p] = T.vget(r.eps, a)
                bad = bad or T.vhasnan(r.eps)
            c0 += N
            if c0 >= c_hi:
                break
        return m, bad

    return sparse_jacobian_driver


def make_sparse_sum_grad_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """``(value, m_out, had_nan) = drv(x, shape, colors, indptr, indices, g, jdata, c_lo, c_hi,
    *args)``: g (n,) set to zero, then g[j] = Σ_k J[k, j] for the columns j whose colour is
    in [c_lo, c_hi); value = Σ_k F_k(x) summed in order k = 0, 1, ...  Unless jdata is
    empty, J's entries in P's order go into it as well (to check a given pattern)."""
    N = tt.n

    @numba.njit(nogil=True)
    def sparse_sum_grad_driver(x, shape, colors, indptr, indices, g, jdata, c_lo, c_hi, *args):
        n = x.shape[0]
        keep = jdata.shape[0] > 0
        m = indptr.shape[0] - 1
        xd = np.empty(n, dtype=tt)
        for j in range(n):
            g[j] = 0.0
        bad = False
        value = 0.0
        c0 = c_lo
        while True:
            c1 = min(c0 + N, c_hi)
            for j in range(n):
                col = colors[j]
                if c0 <= col < c1:
                    xd[j] = T.new_dual(tt, x[j], T.vunit(tt, col - c0))
                else:
                    xd[j] = T.new_dual(tt, x[j], T.vzero(tt))
            out = f(prepare(xd, shape), *args)
            mo = shape_size(output_shape(out))
            if mo != m:
                return value, mo, bad
            value = 0.0
            for k in range(m):
                r = output_item(out, k, tt)
                value += r.value
                for p in range(indptr[k], indptr[k + 1]):
                    j = indices[p]
                    a = colors[j] - c0
                    if 0 <= a < c1 - c0:
                        v = T.vget(r.eps, a)
                        g[j] += v
                        if keep:
                            jdata[p] = v
                bad = bad or T.vhasnan(r.eps)
            c0 += N
            if c0 >= c_hi:
                break
        return value, m, bad

    return sparse_sum_grad_driver


def make_sparse_sum_hessian_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """``(values (m,), m_out, had_nan) = drv(x, shape, colors, indptr, indices, gptr, pairs, mirror,
    c, g, jdata, data, b_lo, b_hi, *args)``: the passes b in [b_lo, b_hi) of the sum-Hessian.

    ``pairs`` (3, T) lists the terms' upper-triangle pairs (term k, ε1 lane, position in
    data) grouped by the pass that reads them: group b·nq + c0/N (nq = ⌈c/N⌉ chunks of ε1
    colours) holds, in term order, the pairs read in pass b with ε1 chunk c0, its slice
    ``gptr[group]:gptr[group + 1]`` (see ``dualdiff.sparse._compiled.CompiledPlan``).

    g (n,) and data (nnz,) are zeroed, then: data gets the Hessian entries (i, j) with
    max(color i, color j) in [b_lo, b_hi) (upper entries summed over the terms, lower ones
    copied through ``mirror``); g[j] = Σ_k ∂F_k/∂x_j for the columns j whose chunk of
    colours, (colors[j] // N)·N, is in [b_lo, b_hi) (read in the pass b = that chunk's
    first colour, the first pass that seeds it), and unless jdata is empty, the Jacobian
    of the terms in P's order into jdata for those columns.  c = the number of colours.
    """
    N = tt.n

    @numba.njit(nogil=True)
    def sparse_sum_hessian_driver(x, shape, colors, indptr, indices, gptr, pairs, mirror, c, g, jdata, data,
                                  b_lo, b_hi, *args):
        n = x.shape[0]
        m = indptr.shape[0] - 1
        nq = (c + N - 1) // N
        keep = jdata.shape[0] > 0
        xd = np.empty(n, dtype=tt)
        values = np.empty(m)
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
                return values, mo, bad
            for k in range(m):
                values[k] = output_item(out, k, tt).value
            return values, m, bad
        for b in range(b_lo, b_hi):
            for c0 in range(0, b + 1, N):
                c1 = min(c0 + N, c)
                for j in range(n):
                    col = colors[j]
                    e2 = 1.0 if col == b else 0.0
                    if c0 <= col < c1:
                        xd[j] = T.new_hyperdual(tt, x[j], T.vunit(tt, col - c0), e2, T.vzero(tt))
                    else:
                        xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), e2, T.vzero(tt))
                out = f(prepare(xd, shape), *args)
                mo = shape_size(output_shape(out))
                if mo != m:
                    return values, mo, bad
                for k in range(m):
                    r = output_item(out, k, tt)
                    values[k] = r.value
                    bad = bad or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
                grp = b * nq + c0 // N
                for s in range(gptr[grp], gptr[grp + 1]):
                    r = output_item(out, pairs[0, s], tt)
                    data[pairs[2, s]] += T.vget(r.eps12, pairs[1, s])
                if b == c0:
                    for k in range(m):
                        r = output_item(out, k, tt)
                        for p in range(indptr[k], indptr[k + 1]):
                            j = indices[p]
                            a = colors[j] - c0
                            if 0 <= a < c1 - c0:
                                v = T.vget(r.eps1, a)
                                g[j] += v
                                if keep:
                                    jdata[p] = v
        for p in range(data.shape[0]):
            q = mirror[p]
            if q != p:
                data[p] = data[q]
        return values, m, bad

    return sparse_sum_hessian_driver


# kind -> (factory(f, tt, prepare), jet type)
SPARSE_FACTORIES = {
    "jacobian": (make_sparse_jacobian_driver, DualType),
    "sum_grad": (make_sparse_sum_grad_driver, DualType),
    "sum_hessian": (make_sparse_sum_hessian_driver, HyperDualType),
}
