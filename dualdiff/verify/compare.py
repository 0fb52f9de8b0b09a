"""Elementwise comparison of a candidate derivative against dualdiff's exact one.

The criterion (the same as ``numpy.isclose`` with the exact value as reference)::

    |candidate - exact| <= atol + rtol * |exact|          elementwise

Non-finite values match only themselves: NaN matches NaN and ±inf matches the same
infinity (dualdiff returns +inf for sqrt'(0), for instance); any other disagreement
involving a non-finite value is an infinite error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Shape conventions, as named in messages.
SHAPES = {
    "gradient": "x.shape",
    "Jacobian": "f(x).shape + x.shape",
    "Hessian": "x.shape + x.shape",
    "Hessian-vector product": "x.shape",
}


@dataclass
class Errors:
    """Per-entry errors of a candidate with the exact shape."""

    abs_error: np.ndarray   # |candidate - exact| (inf where non-finite values disagree)
    rel_error: np.ndarray   # abs_error / |exact| (inf where exact is 0 and the error is not)
    ratio: np.ndarray       # abs_error / (atol + rtol*|exact|): > 1 fails
    failed: np.ndarray      # bool mask
    max_rel_error: float    # largest rel_error where exact is finite and non-zero (as numpy.testing),
                            # or inf where non-finite values disagree

    @property
    def n_failed(self) -> int:
        return int(self.failed.sum())

    @property
    def max_abs_error(self) -> float:
        return float(self.abs_error.max()) if self.abs_error.size else 0.0


def compare(exact: np.ndarray, candidate: np.ndarray, rtol: float, atol: float) -> Errors:
    """Errors of ``candidate`` against ``exact`` (the same shape) at ``rtol``/``atol``."""
    e, c = np.asarray(exact, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    finite = np.isfinite(e) & np.isfinite(c)
    same_nonfinite = ~finite & ((np.isnan(e) & np.isnan(c)) | (e == c))
    with np.errstate(invalid="ignore", over="ignore"):
        abs_error = np.where(finite, np.abs(c - e), np.where(same_nonfinite, 0.0, np.inf))
        tol = atol + rtol * np.where(np.isfinite(e), np.abs(e), 0.0)
        ratio = _divide(abs_error, tol)
        rel_error = np.where(np.isinf(abs_error), np.inf,
                             _divide(abs_error, np.where(np.isfinite(e), np.abs(e), np.inf)))
    keep = (np.isfinite(e) & (e != 0)) | np.isinf(abs_error)
    max_rel = float(rel_error[keep].max()) if keep.any() else 0.0
    return Errors(abs_error, rel_error, ratio, ratio > 1.0, max_rel)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0/0 = 0 and x/0 = inf for x > 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / np.where(den == 0, 1.0, den)
    return np.where(den == 0, np.where(num == 0, 0.0, np.inf), out)


def shape_message(kind: str, exact_shape: tuple[int, ...], candidate_shape: tuple[int, ...]) -> str:
    return (f"shape mismatch: the candidate has shape {candidate_shape}, the exact {kind} has shape "
            f"{exact_shape} ({SHAPES[kind]})")


def hints(kind: str, exact: np.ndarray, candidate: np.ndarray, x_shape: tuple[int, ...],
          rtol: float, atol: float) -> list[str]:
    """Likely explanations of a failing candidate: transposed Jacobian, reshaped array."""
    out = []
    if kind == "Jacobian":
        f_ndim = exact.ndim - len(x_shape)
        f_shape = exact.shape[:f_ndim]
        if candidate.shape == x_shape + f_shape and f_ndim and x_shape:
            xn = len(x_shape)
            swapped = candidate.transpose(list(range(xn, xn + f_ndim)) + list(range(xn)))
            if not compare(exact, swapped, rtol, atol).failed.any():
                out.append(
                    "the candidate is the transposed Jacobian: its entries match with the axes swapped "
                    "to dualdiff's convention J[i, j] = d f_i / d x_j, shape f(x).shape + x.shape")
                return out
    if candidate.shape != exact.shape and candidate.size == exact.size and candidate.size:
        if not compare(exact, candidate.reshape(exact.shape), rtol, atol).failed.any():
            out.append(f"the candidate's entries match after reshaping it to {exact.shape}")
    return out


CRITERION = "|candidate - exact| <= atol + rtol*|exact| elementwise"
ASYMMETRY_MESSAGE = "the candidate Hessian is not symmetric beyond tolerance"


@dataclass
class Asymmetry:
    """max |H[i, j] - H[j, i]| of a candidate Hessian and where it is."""

    max_abs: float
    index: tuple[int, ...] | None   # the entry (i..., j...) with i before j
    beyond_tolerance: bool          # some |H[i,j] - H[j,i]| > atol + rtol*|exact[i,j]|


def asymmetry(exact: np.ndarray, candidate: np.ndarray, x_shape: tuple[int, ...],
              rtol: float, atol: float) -> Asymmetry:
    n = int(np.prod(x_shape, dtype=np.int64))
    c = candidate.reshape(n, n)
    e = exact.reshape(n, n)
    with np.errstate(invalid="ignore"):
        d = np.abs(c - c.T)
    d = np.where(np.isnan(d), np.where(np.isnan(c) == np.isnan(c.T), 0.0, np.inf), d)
    if n == 0 or not d.any():
        return Asymmetry(0.0, None, False)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    i, j = min(i, j), max(i, j)
    index = tuple(int(k) for k in np.unravel_index(i, x_shape) + np.unravel_index(j, x_shape))
    beyond = bool((d > atol + rtol * np.abs(e)).any())
    return Asymmetry(float(d[i, j]), index, beyond)
