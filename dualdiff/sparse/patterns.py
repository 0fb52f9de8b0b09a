"""Jacobian and Hessian sparsity patterns from one traced run of the function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._sets import Rows
from .tracer import trace

__all__ = ["jacobian_pattern", "hessian_pattern", "as_pattern"]


def _input(x: Any, who: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{who} needs x to be a real float or an array of real floats, got dtype {a.dtype}")
    return a.astype(np.float64)


def _csr(rows: Rows, ncols: int) -> sp.csr_array:
    data = np.ones(rows.nnz, dtype=bool)
    m = sp.csr_array((data, rows.indices.copy(), rows.indptr.copy()), shape=(rows.nrows, ncols))
    m.has_sorted_indices = True
    return m


def jacobian_pattern(F: Callable[..., Any], x: Any, *args: Any, local: bool = False,
                     **kwargs: Any) -> sp.csr_array:
    """The Jacobian sparsity pattern of F at x: boolean CSR of shape (m, n), m = F(x).size,
    n = x.size (both flattened in C order).

    Entry (i, j) is True when F_i may depend on x_j.  The pattern is found by running F
    once on index sets (see :mod:`dualdiff.sparse.tracer`).  By default it is *global*:
    valid for every x, so F's control flow must not depend on the values of x
    (:class:`~dualdiff.sparse.PatternError` otherwise).  ``local=True`` runs F on the
    values of x as well, takes its branches, and gives the pattern at this x only.
    """
    x = _input(x, "jacobian_pattern")
    out = trace(F, x, args, kwargs, second=False, local=local)
    return _csr(out.G, x.size)


def hessian_pattern(f: Callable[..., Any], x: Any, *args: Any, local: bool = False,
                    **kwargs: Any) -> sp.csr_array:
    """The Hessian sparsity pattern of scalar f at x: symmetric boolean CSR (n, n).

    Entry (i, j) is True when ∂²f/∂x_i∂x_j may be nonzero: a nonlinear operation
    (sin, x², a product of two operands that depend on x, ...) combined x_i and x_j.
    Linear operations (+, −, sum, products with constants) add no entries.  ``local``
    as for :func:`jacobian_pattern`.
    """
    x = _input(x, "hessian_pattern")
    out = trace(f, x, args, kwargs, second=True, local=local)
    if out.size != 1:
        raise TypeError(f"hessian_pattern needs f to return a scalar, got shape {out.shape}; "
                        "use sum_hessian for a vector of terms")
    return pair_pattern(out.H.indices, x.size)


def pair_pattern(codes: np.ndarray, n: int) -> sp.csr_array:
    """The symmetric (n, n) pattern of a traced scalar's pair codes i * n + j (i <= j)."""
    i, j = codes // max(n, 1), codes % max(n, 1)
    rows = np.concatenate([i, j[i != j]])
    cols = np.concatenate([j, i[i != j]])
    m = sp.coo_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, n)).tocsr()
    m.sort_indices()
    return m


def as_pattern(pattern: Any, shape: tuple[int, int] | None = None, who: str = "pattern") -> sp.csr_array:
    """A user-given pattern (scipy sparse matrix or array-like) as a boolean CSR with sorted
    indices and no explicit zeros."""
    if sp.issparse(pattern):
        m = sp.csr_array(pattern)
    else:
        a = np.asarray(pattern)
        if a.ndim != 2:
            raise ValueError(f"{who} must be a 2-d boolean array or scipy sparse matrix, got shape {a.shape}")
        m = sp.csr_array(a != 0)
    m = sp.csr_array(m != 0) if m.dtype != bool else m.copy()
    m.eliminate_zeros()
    m.sort_indices()
    m.sum_duplicates()
    if shape is not None and m.shape != tuple(shape):
        raise ValueError(f"{who} has shape {m.shape}, expected {tuple(shape)}")
    return m
