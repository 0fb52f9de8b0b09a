"""Sum detection for ``sparse.hessian``: find f = Σ_k F_k(x) and use the sum method.

``sparse.hessian(f)`` of a scalar f first traces f with sums that keep their terms
(:mod:`dualdiff._termsum`).  When f ends in a sum (``np.sum``, ``.sum()``, ``np.mean``,
a dot with a constant vector, ``+``/``-`` of such sums and scalar terms, constant
factors), the trace gives the Jacobian pattern of the terms F, and the Hessian comes
from one hyper-dual pass with both levels seeded by its colours, the terms again kept
apart, exactly as ``sparse.sum_hessian(F)`` would compute it: cost c + c² lanes, linear
in n.  Otherwise the general method runs.

Safety: the pass lists its terms by the same rules as the trace, and its part sizes are
checked against the trace's; the decompressed gradient and Hessian are checked against
the compressed ones of f itself (Sᵀ∇f and SᵀHS, which the pass computes anyway).  Any
disagreement falls back to the general method with a warning, never a wrong matrix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._termsum import SumTag, TermSumMixin, flatten
from ..hyperdual import HyperDual
from ..jet import new_tag, quiet_partials
from ._sets import Rows
from .patterns import _csr, pair_pattern
from .tracer import TracerTermSum, trace

__all__ = ["HyperDualTermSum", "detect_terms", "sum_pass", "SumStructureLost"]

Function = Callable[..., Any]
# bytes of ε1ε2 partials one pass may hold (the ε2 colours are split into passes above it)
PASS_BYTES = 1 << 28


class SumStructureLost(RuntimeError):
    """The pass did not find the sum the trace found (the general method is used)."""


class HyperDualTermSum(TermSumMixin, HyperDual):
    """A hyper-dual full sum that keeps its terms (a pass whose tag is a SumTag)."""

    __slots__ = ("node",)

    def _plain(self) -> HyperDual:
        return HyperDual._new(self.value, self.eps1, self.eps2, self.eps12, self.tag, self.ndir)

    def _same_kind(self, other: Any) -> bool:
        return type(other) is HyperDual and other.tag is self.tag and other.shape == ()


def _make(number: Any, node: tuple) -> Any:
    if type(number) is not HyperDual:
        return number
    h = object.__new__(HyperDualTermSum)
    h.value, h.eps1, h.eps2, h.eps12 = number.value, number.eps1, number.eps2, number.eps12
    h.tag, h.ndir, h._owned, h.node = number.tag, number.ndir, False, node
    return h


def detect_terms(f: Function, x: np.ndarray, args: tuple, kwargs: dict, local: bool
                 ) -> tuple[sp.csr_array, tuple[int, ...], sp.csr_array] | None:
    """(Jacobian pattern of the terms (m × n), the part sizes, the Hessian pattern of f)
    if f ends in a sum, else None.

    The Hessian pattern is tighter than the structure of the sum method (∪_k I_k × I_k
    holds pairs that meet only linearly in a term); the result is restricted to it, so
    ``sparse.hessian`` gives the same structure whichever method runs.

    Tracing problems (a numpy function the tracer lacks, value-dependent control flow)
    are left to the general detection, which reports them.
    """
    try:
        out = trace(f, x, args, kwargs, second=True, local=local, sums=True)
    except Exception:  # noqa: BLE001 - the general detection runs next and raises it
        return None
    if not isinstance(out, TracerTermSum):
        return None
    parts = flatten(out.node)
    rows = Rows.concat([p.G for p, _ in parts])
    return _csr(rows, x.size), tuple(int(p.size) for p, _ in parts), pair_pattern(out.H.indices, x.size)


class Restriction:
    """Keeps the entries of a fixed CSR structure that lie in a pattern (O(nnz) per call)."""

    def __init__(self, structure: sp.csr_array, pattern: sp.csr_array) -> None:
        pos = sp.csr_array((np.arange(1, structure.nnz + 1, dtype=np.int64), structure.indices,
                            structure.indptr), shape=structure.shape)
        kept = sp.csr_array(pos.multiply(pattern.astype(np.int64)))
        kept.sort_indices()
        self.all = kept.nnz == structure.nnz
        self.keep = kept.data - 1
        self.indices, self.indptr, self.shape = kept.indices, kept.indptr, structure.shape

    def __call__(self, H: sp.csr_array) -> sp.csr_array:
        if self.all:
            return H
        out = sp.csr_array((H.data[self.keep], self.indices.copy(), self.indptr.copy()), shape=self.shape)
        out.has_sorted_indices = True
        return out


def sum_pass(f: Function, x: np.ndarray, S1: np.ndarray, S2: np.ndarray, args: tuple, kwargs: dict
             ) -> tuple[float, np.ndarray, np.ndarray, tuple[int, ...], np.ndarray, np.ndarray]:
    """One hyper-dual pass, ε1 = S1 (n × k1), ε2 = S2 (n × k2), with sums keeping terms.

    Returns (f(x), E1 (m, k1), E12 (m, k1, k2), part sizes, f's own ε1 (k1,), f's own
    ε1ε2 (k1, k2)), the rows being the terms in order.  Raises :class:`SumStructureLost`
    when f's result is not a sum of terms in this pass.
    """
    from ..engines.python import _call, python_function

    g = python_function(f)
    k1, k2 = S1.shape[1], S2.shape[1]
    quiet_partials()
    tag = SumTag(new_tag())
    tag.make = _make
    e1 = np.ascontiguousarray(S1, dtype=np.float64).reshape(x.shape + (k1,))
    e2 = np.ascontiguousarray(S2, dtype=np.float64).reshape(x.shape + (k2,))
    xs = HyperDual._new(x.copy(), e1, e2, np.zeros(x.shape + (k1, k2)), tag, 1)
    xs._owned = x.shape != ()
    out = _call(g, xs, args, kwargs)
    if not isinstance(out, HyperDualTermSum) or out.tag is not tag:
        raise SumStructureLost("f's result is not a sum of terms in the hyper-dual pass")
    E1, E12, sizes = [], [], []
    for part, scale in flatten(out.node):
        if not isinstance(part, HyperDual) or part.tag is not tag:
            raise SumStructureLost("a term is not a number of this pass")
        m = part.value.size if isinstance(part.value, np.ndarray) else 1
        p1 = np.reshape(part.eps1, (m, k1))
        p12 = np.reshape(part.eps12, (m, k1, k2))
        if scale != 1.0:
            p1, p12 = scale * p1, scale * p12
        E1.append(p1)
        E12.append(p12)
        sizes.append(m)
    for a in (out.value, out.eps1, out.eps12):
        if isinstance(a, np.ndarray) and a.dtype == object:
            raise SumStructureLost("nested dual numbers in the result")
    return (float(out.value), np.concatenate(E1).astype(np.float64, copy=False),
            np.concatenate(E12).astype(np.float64, copy=False), tuple(sizes),
            np.asarray(out.eps1, dtype=np.float64), np.asarray(out.eps12, dtype=np.float64))


def _close(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - b) <= 1e-8 * scale + 1e-300
    return bool(np.all(ok | (np.isnan(a) & np.isnan(b))))


def sum_hessian_of(f: Function, x: np.ndarray, plan: Any, args: tuple, kwargs: dict, passes: Any
                   ) -> tuple[float, np.ndarray, sp.csr_array]:
    """(f(x), ∇f, H) by the sum method for a plan of sum-detected f.

    ``passes(task, arguments)`` runs the passes (here or on an executor).  The ε2 colours
    are split into several passes when one would hold more than ``PASS_BYTES``.
    """
    S = plan.seed
    n, c = S.shape
    m = int(sum(plan.term_sizes))
    k2 = max(1, min(c, PASS_BYTES // max(1, 8 * m * max(c, 1))))
    chunks = [(b0, min(b0 + k2, c)) for b0 in range(0, c, k2)] or [(0, 0)]
    results = passes(sum_pass, [(f, x, S, np.ascontiguousarray(S[:, b0:b1]), args, kwargs)
                                for b0, b1 in chunks])
    value, E1, _, sizes, t1, _ = results[0]
    if sizes != plan.term_sizes:
        raise SumStructureLost(f"the pass found terms of sizes {sizes[:5]}... where detection found "
                               f"{plan.term_sizes[:5]}...")
    C = np.concatenate([r[2] for r in results], axis=2) if len(results) > 1 else results[0][2]
    T12 = np.concatenate([r[5] for r in results], axis=1) if len(results) > 1 else results[0][5]
    grad, H = plan.decompress(E1, C)
    # the decompressed derivatives, compressed again, must give f's own compressed ones
    if not _close(S.T @ grad, t1, np.abs(E1).sum(axis=0)) or \
            not _close(S.T @ (H @ S), T12, np.abs(C).sum(axis=0)):
        raise SumStructureLost("the terms' derivatives do not add up to f's")
    if plan.within is not None:
        if not isinstance(plan.within, Restriction):
            plan.within = Restriction(H, plan.within)
        H = plan.within(H)
    return value, grad, H


def warn_fallback(exc: Exception) -> None:
    warnings.warn(f"sparse.hessian: the sum structure found while tracing did not hold in the pass "
                  f"({exc}); using the general method (correct, slower). Pass the terms to "
                  "sparse.sum_hessian to use the sum method.", RuntimeWarning, stacklevel=3)
