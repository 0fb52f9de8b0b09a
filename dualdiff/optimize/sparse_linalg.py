"""Sparse linear algebra for the sparse Newton and least-squares solvers.

* :func:`factor_pd` — a solver for A p = b if the symmetric A is numerically positive
  definite, else None.  With scikit-sparse installed it is CHOLMOD's Cholesky
  factorisation A = L Lᵀ; otherwise scipy's SuperLU (``scipy.sparse.linalg.splu``) with a
  symmetric fill-reducing ordering (minimum degree on A + Aᵀ) and *diagonal pivots only*
  (``diag_pivot_thresh=0``, ``SymmetricMode``).  With diagonal pivoting and Pᵣ = P_c,
  P A Pᵀ = L U = L D Lᵀ with D = diag(U), and by Sylvester's law of inertia A is positive
  definite iff every pivot D_ii > 0.  A is accepted when min D_ii > ``SINGULAR_RTOL`` ·
  max D_ii (the dense method's test on its Cholesky factor, whose squared diagonal is D).
* :func:`extreme_curvature` — the smallest and largest eigenvalue of a symmetric sparse
  H and a unit eigenvector of the smallest: dense ``numpy.linalg.eigh`` for n <=
  ``DENSE_EIGEN_MAX`` (so small problems take exactly the dense method's decisions),
  Lanczos (``scipy.sparse.linalg.eigsh``) above.  The sparse solvers call it only where
  H is not positive definite (a factorisation failed), never on the path of a
  successful Newton step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse import linalg as spla

from .problem import CURVATURE_RTOL, Curvature

#: the dense method's threshold: a pivot below this times the largest is "zero"
SINGULAR_RTOL = 1e3 * np.finfo(float).eps
#: up to this n the eigenvalues come from a dense eigendecomposition
DENSE_EIGEN_MAX = 500

Solver = Callable[[np.ndarray], np.ndarray]

try:  # pragma: no cover - scikit-sparse is optional and usually absent
    from sksparse.cholmod import CholmodNotPositiveDefiniteError as _NotPD
    from sksparse.cholmod import cholesky as _cholmod_cholesky
    HAVE_CHOLMOD = True
except ImportError:  # pragma: no cover
    HAVE_CHOLMOD = False


def backend() -> str:
    """``"cholmod"`` (scikit-sparse) or ``"superlu"`` (scipy): what :func:`factor_pd` uses."""
    return "cholmod" if HAVE_CHOLMOD else "superlu"


def _pivots_ok(d: np.ndarray) -> bool:
    return bool(d.size == 0 or (np.all(np.isfinite(d)) and d.min() > SINGULAR_RTOL * max(d.max(), np.finfo(float).tiny)))


def factor_pd(a: sp.sparray | sp.spmatrix) -> Solver | None:
    """``solve(b)`` = A⁻¹ b for a numerically positive definite symmetric A, else None."""
    a = sp.csc_matrix(a, dtype=np.float64)
    if not np.all(np.isfinite(a.data)):
        return None
    if HAVE_CHOLMOD:  # pragma: no cover
        try:
            factor = _cholmod_cholesky(a)
        except _NotPD:
            return None
        return factor if _pivots_ok(factor.D()) else None
    try:
        lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options={"SymmetricMode": True})
    except RuntimeError:  # an exactly zero pivot
        return None
    if not np.array_equal(lu.perm_r, lu.perm_c):  # an off-diagonal pivot: not an LDLᵀ
        return None
    return lu.solve if _pivots_ok(lu.U.diagonal()) else None


def factor_general(a: sp.sparray | sp.spmatrix) -> Solver | None:
    """``solve(b)`` = A⁻¹ b by LU with partial pivoting, or None if A is (numerically) singular:
    an exactly zero pivot, or min |U_ii| <= ``SINGULAR_RTOL`` · max |U_ii|."""
    a = sp.csc_matrix(a, dtype=np.float64)
    if not np.all(np.isfinite(a.data)):
        return None
    try:
        lu = spla.splu(a)
    except RuntimeError:
        return None
    return lu.solve if _pivots_ok(np.abs(lu.U.diagonal())) else None


def identity(n: int) -> sp.csc_matrix:
    return sp.identity(n, format="csc", dtype=np.float64)


def max_abs(h: sp.sparray | sp.spmatrix) -> float:
    """max |H_ij| (0 for an empty H)."""
    data = sp.csr_matrix(h).data
    return float(np.abs(data).max()) if data.size else 0.0


def extreme_curvature(h: sp.sparray | sp.spmatrix) -> Curvature | None:
    """``Curvature`` with eigenvalues [λ_min, ..., λ_max] and the eigenvector of λ_min; None if
    Lanczos does not converge (large n only)."""
    n = h.shape[0]
    if n <= DENSE_EIGEN_MAX:
        lam, q = np.linalg.eigh(sp.csr_matrix(h).toarray())
        zero = CURVATURE_RTOL * max(1.0, float(np.abs(lam).max()))
        return Curvature(eigenvalues=lam, direction=q[:, 0].copy(), negative=bool(lam[0] < -zero))
    a = sp.csr_matrix(h, dtype=np.float64)
    v0 = np.ones(n) / np.sqrt(n)
    try:
        lo, vec = spla.eigsh(a, k=1, which="SA", v0=v0, tol=1e-10, maxiter=max(1000, 20 * n))
        hi = spla.eigsh(a, k=1, which="LA", v0=v0, tol=1e-6, return_eigenvectors=False,
                        maxiter=max(1000, 20 * n))
    except spla.ArpackNoConvergence:
        return None
    lam = np.array([float(lo[0]), float(hi[0])])
    zero = CURVATURE_RTOL * max(1.0, float(np.abs(lam).max()))
    d = vec[:, 0] / np.linalg.norm(vec[:, 0])
    return Curvature(eigenvalues=lam, direction=d, negative=bool(lam[0] < -zero))
