"""np.linalg on dual arrays beyond solve/inv/det: cholesky, slogdet, eigh, eigvalsh, svd, qr,
lstsq, pinv, matrix_power, multi_dot, the matrix norms 2, -2, 'nuc', 1, inf, and stacked
(batched) solve, inv and det.

Every matrix function here is computed as its value (numpy's LAPACK result) plus an exact
expansion in the nilpotent part N = A - A₀ of the jet (N² = 0 for duals, N³ = 0 for
hyper-duals), so one implementation serves Dual and HyperDual and the second order is as
exact as the first.  Where the function is defined implicitly (cholesky: L Lᵀ = A; eigh:
A V = V Λ, VᵀV = I) the expansion is a Newton iteration *in jet arithmetic*: each step
gains one order in N, so two steps are exact through ε₁ε₂.  For eigh, with
M = V₀ᵀ N V₀ and V = V₀(I + X), Λ = diag(w₀) + L (Rayleigh–Schrödinger, DLMF-free):

    L_i  = M_ii + (M X)_ii − X_ii L_i
    X_ji = (M_ji + (M X)_ji − X_ji L_i) / (w_i − w_j)   (j ≠ i),   X_ii = −½ (XᵀX)_ii

which is, after the first step, the textbook first-order perturbation
(dλ_i = v_iᵀ dA v_i, dv_i = Σ_j v_j v_jᵀ dA v_i / (λ_i − λ_j)) and after the second its
second-order term.  cholesky: with X = L₀Y, Y = Φ(L₀⁻¹(N − XXᵀ)L₀⁻ᵀ), Φ = lower triangle
with the diagonal halved.  svd (m ≥ n) is eigh of AᵀA: s = √λ, V, U = A V S⁻¹; qr (m ≥ n)
is R = D·chol(AᵀA)ᵀ (D = numpy's signs of diag R) and Q = A R⁻¹.

Not differentiable, and refused with a ValueError rather than answered with a wrong
number: repeated eigenvalues (eigh, eigvalsh), repeated or zero singular values (svd,
norm 2/'nuc'), rank-deficient lstsq/pinv.  Nested transforms (a jet whose value is a
jet) are supported by solve/inv/det only.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from . import functions
from .jet import Jet, shape_of
from .numpy_api import (
    _nilpotent,
    as_array,
    diagonal,
    implements,
    matmul,
    sum_,
    trace,
)
from .numpy_api import det as _det2
from .numpy_api import inv as _inv2
from .numpy_api import norm as _norm_vector_and_fro
from .numpy_api import solve as _solve2
from .numpy_shape import tril

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])


def _T(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


def _square(a: Any, who: str) -> None:
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise np.linalg.LinAlgError(f"{who}: last 2 dimensions of the array must be square")


def _flat(a: Jet, who: str) -> Any:
    """The value of a jet whose value is plain (no nested transforms for this function)."""
    if isinstance(a.value, Jet):
        raise TypeError(f"{who} on dual numbers does not support nested transforms (a dual of a "
                        "dual); use it in one transform, or write it with solve/inv/det")
    return a.value


def _with_value(j: Jet, value: Any) -> Jet:
    """j with its value part replaced (the nilpotent parts are exact; the value is numpy's)."""
    return j._rebuild([np.asarray(value, dtype=np.float64)[()]] + [c for c, _ in j._parts()[1:]])


def _eye(n: int) -> np.ndarray:
    return np.eye(n)


def _diag_matrix(v: Any, n: int) -> Any:
    return v[..., None] * _eye(n) if isinstance(v, Jet) else np.asarray(v)[..., None] * _eye(n)


# -- stacked solve / inv / det ----------------------------------------------------------------

def _inv_any(a: Jet) -> Jet:
    x0 = np.linalg.inv(a.value)
    p = matmul(x0, _nilpotent(a))
    return matmul((p * -1.0) + matmul(p, p), x0) + x0


@implements(np.linalg.inv)
def inv(a: Any) -> Any:
    """A⁻¹ = (I − P + P²)·A₀⁻¹, P = A₀⁻¹N; stacks of matrices too."""
    a = as_array(a)
    _square(a, "np.linalg.inv")
    if a.ndim == 2 or isinstance(a.value, Jet):
        return _inv2(a)
    return _inv_any(a)


@implements(np.linalg.solve)
def solve(a: Any, b: Any) -> Any:
    """A⁻¹b; stacks of matrices (numpy's broadcasting rules: b is a vector iff b.ndim == 1)."""
    a, b = as_array(a), as_array(b)
    _square(a, "np.linalg.solve")
    if len(shape_of(a)) == 2:
        return _solve2(a, b)
    if not isinstance(a, Jet):
        return matmul(np.linalg.inv(a), b)
    return matmul(inv(a), b)


def _det_ratio(a: Jet) -> tuple[Any, Any]:
    """(value-side x0 = A₀⁻¹, det(I + P)) with P = A₀⁻¹N: 1 + tr P − tr(P²)/2 + (tr P)²/2."""
    x0 = np.linalg.inv(a.value)
    p = matmul(x0, _nilpotent(a))
    t1 = trace(p, axis1=-2, axis2=-1)
    return x0, 1.0 + t1 - 0.5 * trace(matmul(p, p), axis1=-2, axis2=-1) + 0.5 * t1 * t1


@implements(np.linalg.det)
def det(a: Any) -> Any:
    """det A₀ · det(I + P); stacks of matrices too."""
    a = as_array(a)
    _square(a, "np.linalg.det")
    if a.ndim == 2 or isinstance(a.value, Jet):
        return _det2(a)
    return np.linalg.det(a.value) * _det_ratio(a)[1]


@implements(np.linalg.slogdet)
def slogdet(a: Any) -> Any:
    """(sign, log|det A|): sign is numpy's (a plain number), log|det| = log|det A₀| + log det(I + P)."""
    a = as_array(a)
    _square(a, "np.linalg.slogdet")
    sign, logabs = np.linalg.slogdet(_flat(a, "np.linalg.slogdet"))
    return SlogdetResult(sign, functions.log(_det_ratio(a)[1]) + logabs)


# -- cholesky -------------------------------------------------------------------------------------

def _symmetric_part(n_jet: Jet, lower: bool = True) -> Any:
    """The symmetric matrix numpy's LAPACK reads: the lower (or upper) triangle, mirrored."""
    t = n_jet if lower else _T(n_jet)
    low = tril(t, -1)
    return low + _T(low) + _diag_matrix(diagonal(t, 0, -2, -1), shape_of(t)[-1])


def _cholesky_from(a_nil: Any, l0: np.ndarray) -> Any:
    """The nilpotent part X of L = L₀ + X with L Lᵀ = L₀L₀ᵀ + N (N symmetric, nilpotent)."""
    n = l0.shape[-1]
    linv = np.linalg.inv(l0)
    weight = np.tril(np.ones((n, n)), -1) + 0.5 * _eye(n)  # Φ: lower triangle, half diagonal
    x = None
    for _ in range(2):  # each step gains one order in N: exact for N³ = 0
        rhs = a_nil if x is None else a_nil - matmul(x, _T(x))
        x = matmul(l0, matmul(matmul(linv, rhs), _T(linv)) * weight)
    return x


@implements(np.linalg.cholesky)
def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """L with L Lᵀ = A (numpy reads A's lower triangle); ``upper=True`` returns Lᵀ."""
    a = as_array(a)
    _square(a, "np.linalg.cholesky")
    l0 = np.linalg.cholesky(_flat(a, "np.linalg.cholesky"))
    low = l0 + _cholesky_from(_symmetric_part(_nilpotent(a)), l0)
    return _T(low) if upper else low


# -- eigh / eigvalsh --------------------------------------------------------------------------------

def _gaps(w0: np.ndarray, who: str) -> np.ndarray:
    """D[..., j, i] = 1/(w_i − w_j) off the diagonal, 0 on it; repeated eigenvalues refused."""
    diff = w0[..., None, :] - w0[..., :, None]  # [j, i] = w_i − w_j
    n = w0.shape[-1]
    off = ~np.eye(n, dtype=bool)
    if np.any((diff == 0) & off):
        raise ValueError(f"{who}: the matrix has a repeated eigenvalue (or singular value), where "
                         "the eigenvectors, and the eigenvalues beyond first order, are not "
                         "differentiable; perturb the input or use a formula without them")
    with np.errstate(divide="ignore"):
        return np.where(off, 1.0 / np.where(off, diff, 1.0), 0.0)


def _eigh_expansion(m: Any, w0: np.ndarray, who: str) -> tuple[Any, Any]:
    """(L, X) with Λ = diag(w₀) + L, U = I + X the eigen-decomposition of diag(w₀) + M."""
    n = w0.shape[-1]
    d = _gaps(w0, who)
    x = m * 0.0
    shift = diagonal(m, 0, -2, -1) * 0.0
    eye = _eye(n)
    for _ in range(2):  # exact through second order (see the module docstring)
        mx = matmul(m, x)
        new_shift = diagonal(m + mx, 0, -2, -1) - diagonal(x, 0, -2, -1) * shift
        off = (m + mx - x * shift[..., None, :]) * d
        xtx = matmul(_T(x), x)
        x = off + _diag_matrix(diagonal(xtx, 0, -2, -1) * -0.5, n) * 1.0
        shift = new_shift
    return shift, x + eye


@implements(np.linalg.eigh)
def eigh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - numpy's name
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, distinct eigenvalues."""
    a = as_array(a)
    _square(a, "np.linalg.eigh")
    w0, v0 = np.linalg.eigh(_flat(a, "np.linalg.eigh"), UPLO=UPLO)
    m = matmul(matmul(_T(v0), _symmetric_part(_nilpotent(a), lower=UPLO.upper() == "L")), v0)
    shift, x = _eigh_expansion(m, w0, "np.linalg.eigh")
    return EighResult(_with_value(shift, w0), _with_value(matmul(v0, x), v0))


@implements(np.linalg.eigvalsh)
def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    return eigh(a, UPLO).eigenvalues


# -- svd, norms ---------------------------------------------------------------------------------------

def _svd_tall(a: Jet, compute_uv: bool, u0: np.ndarray, s0: np.ndarray, vt0: np.ndarray) -> Any:
    """The SVD of a tall (m ≥ n) jet expanded about numpy's (u0, s0, vt0) of its value."""
    if np.any(s0 == 0):
        raise ValueError("np.linalg.svd: a zero singular value is not differentiable")
    gram = matmul(_T(a), a)
    v0 = _T(vt0)
    m = matmul(matmul(vt0, _nilpotent(gram)), v0)
    shift, x = _eigh_expansion(m, s0 * s0, "np.linalg.svd")
    s = _with_value(functions.sqrt(_with_value(shift, s0 * s0)), s0)
    if not compute_uv:
        return s
    v = _with_value(matmul(v0, x), v0)
    u = _with_value(matmul(a, v) / s[..., None, :], u0)
    return SVDResult(u, s, _T(v))


@implements(np.linalg.svd)
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """Singular values (descending) and vectors of a matrix with distinct nonzero singular
    values (U of a non-square matrix only with full_matrices=False)."""
    a = as_array(a)
    _flat(a, "np.linalg.svd")
    m, n = a.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise TypeError("np.linalg.svd of a non-square dual matrix needs full_matrices=False: the "
                        "extra singular vectors are not unique, so they have no derivative")
    u0, s0, vt0 = np.linalg.svd(a.value, full_matrices=False)
    if m >= n:
        return _svd_tall(a, compute_uv, u0, s0, vt0)
    # wide: Aᵀ = V S Uᵀ is tall; expanded about numpy's factors of A itself (not of Aᵀ, whose
    # singular vectors LAPACK may return with other signs), so the values are numpy's
    out = _svd_tall(_T(a), compute_uv, _T(vt0), s0, _T(u0))
    if not compute_uv:
        return out
    return SVDResult(_T(out.Vh), out.S, _T(out.U))


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Adds the matrix norms 2, -2 ('largest/smallest singular value'), 'nuc' (their sum),
    1 and inf (largest column / row sum of |x|) to the vector norms and 'fro'."""
    x = as_array(x)
    nd = len(shape_of(x))
    matrix = (axis is None and nd == 2) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
    if not matrix or ord in (None, "fro"):
        return _norm_vector_and_fro(x, ord, axis, keepdims)
    if axis is not None:
        r, c = (int(ax) % nd for ax in axis)
        x = np.moveaxis(x, (r, c), (-2, -1))
    if ord in (2, -2, "nuc"):
        s = svd(x, compute_uv=False)
        out = s[..., 0] if ord == 2 else s[..., -1] if ord == -2 else sum_(s, axis=-1)
    elif ord in (1, -1):
        cols = sum_(functions.abs(x), axis=-2)
        out = np.max(cols, axis=-1) if ord == 1 else np.min(cols, axis=-1)
    elif ord in (np.inf, -np.inf):
        rows = sum_(functions.abs(x), axis=-1)
        out = np.max(rows, axis=-1) if ord == np.inf else np.min(rows, axis=-1)
    else:
        raise TypeError(f"np.linalg.norm(ord={ord!r}) of a dual matrix is not supported")
    if keepdims:
        out = out[..., None, None]
    return out


if hasattr(np.linalg, "matrix_norm"):
    implements(np.linalg.matrix_norm)(matrix_norm)


# -- qr, lstsq, pinv, matrix_power, multi_dot -----------------------------------------------------------

@implements(np.linalg.qr)
def qr(a: Any, mode: str = "reduced") -> Any:
    """A = QR for m ≥ n (mode 'reduced' or 'r'); R = D·chol(AᵀA)ᵀ with numpy's signs D."""
    a = as_array(a)
    value = _flat(a, "np.linalg.qr")
    m, n = value.shape[-2:]
    if m < n or mode not in ("reduced", "r"):
        raise TypeError("np.linalg.qr on dual numbers supports m >= n with mode='reduced' or 'r'")
    q0, r0 = np.linalg.qr(value)
    signs = np.sign(np.diagonal(r0, axis1=-2, axis2=-1))
    if np.any(signs == 0):
        raise ValueError("np.linalg.qr: a rank-deficient matrix has no differentiable QR")
    l0 = _T(r0 * signs[..., :, None])  # chol(A₀ᵀA₀) with a positive diagonal
    gram_nil = _nilpotent(matmul(_T(a), a))
    r = _T(l0 + _cholesky_from(gram_nil, l0)) * signs[..., :, None]
    r = _with_value(r, r0)
    if mode == "r":
        return r
    q = _with_value(matmul(a, inv(r)), q0)
    return QRResult(q, r)


_RANK_DEFICIENT = ("a rank-deficient matrix is not differentiable here (its pseudo-inverse "
                   "jumps); regularise it or remove the dependent columns")


def _full_rank(a: np.ndarray, who: str) -> None:
    """Every matrix of the stack ``a`` has full rank (numpy's matrix_rank tolerance)."""
    if np.any(np.linalg.matrix_rank(a) < min(a.shape[-2:])):
        raise ValueError(f"{who}: {_RANK_DEFICIENT}")


_NOT_GIVEN: Any = object()


@implements(np.linalg.pinv)
def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NOT_GIVEN) -> Any:
    """A⁻¹ (square), (AᵀA)⁻¹Aᵀ (m > n) or Aᵀ(AAᵀ)⁻¹ (m < n) for matrices of full rank, stacks
    too; the value is numpy's pinv.  Full rank means: numpy's own cutoff (``rcond`` /
    ``rtol`` times the largest singular value) discards no singular value -- where it
    would, numpy's pseudo-inverse is that of a lower-rank matrix, and jumps."""
    a = as_array(a)
    value = _flat(a, "np.linalg.pinv")
    given = {"rcond": rcond} if rcond is not None else {}
    if rtol is not _NOT_GIVEN:
        given["rtol"] = rtol
    p0 = np.linalg.pinv(value, hermitian=hermitian, **given)  # numpy checks the arguments
    if rcond is None:
        rcond = 1e-15 if rtol is _NOT_GIVEN else max(value.shape[-2:]) * np.finfo(np.float64).eps \
            if rtol is None else rtol
    s0 = np.linalg.svd(value, compute_uv=False, hermitian=hermitian)
    if value.size and np.any(s0 <= np.asarray(rcond)[..., None] * np.max(s0, axis=-1, keepdims=True)):
        raise ValueError(f"np.linalg.pinv: {_RANK_DEFICIENT}")
    m, n = a.shape[-2:]
    if m == n:
        result = inv(a)  # better conditioned than the normal equations (κ, not κ²)
    elif m > n:
        result = solve(matmul(_T(a), a), _T(a))
    else:
        result = _T(solve(matmul(a, _T(a)), a))
    return _with_value(result, p0)


@implements(np.linalg.lstsq)
def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """(x, residuals, rank, s) of min ||Ax − b|| for A of full column rank: x = (AᵀA)⁻¹Aᵀb."""
    a, b = as_array(a), as_array(b)
    av = a.value if isinstance(a, Jet) else np.asarray(a, dtype=float)
    if isinstance(av, Jet):
        raise TypeError("np.linalg.lstsq on dual numbers does not support nested transforms")
    m, n = av.shape
    if np.linalg.matrix_rank(av) < n:
        raise ValueError("np.linalg.lstsq: A must have full column rank for a differentiable "
                         "solution (the minimum-norm solution jumps where the rank drops)")
    x = solve(matmul(_T(a), a), matmul(_T(a), b))
    if m > n:
        r = b - matmul(a, x)
        residuals = sum_(r * r, axis=0)
        residuals = residuals[None] if len(shape_of(residuals)) == 0 else residuals
    else:
        residuals = np.empty((0,))
    s = svd(a, compute_uv=False) if isinstance(a, Jet) else np.linalg.svd(av, compute_uv=False)
    return x, residuals, n, s


@implements(np.linalg.matrix_power)
def matrix_power(a: Any, n: int) -> Any:
    """Aⁿ by repeated squaring (n < 0: of A⁻¹)."""
    a = as_array(a)
    _square(a, "np.linalg.matrix_power")
    n = int(n)
    if n < 0:
        a, n = inv(a), -n
    result: Any = np.broadcast_to(_eye(a.shape[-1]), a.shape).copy() + a * 0.0
    base = a
    while n:
        if n & 1:
            result = matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


@implements(np.linalg.multi_dot)
def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    if out is not None:
        raise TypeError("np.linalg.multi_dot(out=...) is not supported on dual numbers")
    arrays = [as_array(x) for x in arrays]
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    return result


__all__ = ["cholesky", "slogdet", "eigh", "eigvalsh", "svd", "qr", "lstsq", "pinv", "matrix_power",
           "multi_dot", "norm", "inv", "solve", "det"]
