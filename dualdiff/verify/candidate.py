"""Candidate derivatives: what another tool produced, as a float64 numpy array.

A candidate is either a callable (evaluated at each point) or a precomputed array.  Any
value ``np.asarray`` converts is accepted (numpy arrays, lists, JAX arrays); objects with
``.detach()`` (PyTorch tensors) are detached and moved to the CPU first.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class CandidateTypeError(TypeError):
    """The candidate value is not an array of real numbers (the check fails, naming why)."""


def describe(obj: Any) -> str:
    """A short human name for a function or a candidate: its ``__name__`` or its type."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(name, str) and callable(obj):
        return name.rpartition("<locals>.")[2]
    if callable(obj):
        return type(obj).__name__
    shape = getattr(obj, "shape", None)
    kind = type(obj).__module__.split(".")[0] + "." + type(obj).__name__
    if kind.startswith("builtins."):
        kind = type(obj).__name__
    return f"{kind} of shape {tuple(shape)}" if shape is not None else kind


def _to_host(value: Any) -> Any:
    """PyTorch-like tensors to numpy: ``.detach().cpu().numpy()`` where available."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value
    if callable(getattr(value, "detach", None)):
        value = value.detach()
        if callable(getattr(value, "cpu", None)):
            value = value.cpu()
        if callable(getattr(value, "numpy", None)):
            value = value.numpy()
    return value


def to_array(value: Any) -> np.ndarray:
    """The candidate value as a float64 array, or :class:`CandidateTypeError` saying why not."""
    if value is None:
        raise CandidateTypeError("the candidate returned None (a function without a return statement?)")
    if isinstance(value, tuple) and len(value) == 2 and np.ndim(_safe(value[0])) == 0 \
            and np.ndim(_safe(value[1])) > 0:
        raise CandidateTypeError(
            "the candidate returned a pair (value, derivative)? pass a function that returns the "
            "derivative alone (e.g. jax.grad, not jax.value_and_grad)")
    value = _to_host(value)
    try:
        a = np.asarray(value)
    except Exception as exc:
        raise CandidateTypeError(
            f"the candidate ({type(value).__name__}) cannot be converted to an array: {exc}") from exc
    if a.dtype.kind == "c":
        raise CandidateTypeError("the candidate is complex; derivatives of real functions are real")
    if a.dtype.kind in "fiub":
        return a.astype(np.float64)
    try:
        return a.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise CandidateTypeError(
            f"the candidate is an array of dtype {a.dtype} that does not convert to float: {exc}") from exc


def _safe(v: Any) -> Any:
    try:
        return np.asarray(_to_host(v), dtype=object)
    except Exception:  # pragma: no cover - whatever it is, it is not a plain scalar
        return np.empty(1, dtype=object)
