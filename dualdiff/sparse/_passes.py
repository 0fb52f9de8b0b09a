"""The one place where dualdiff.sparse uses the transform layer's internals.

A compressed pass seeds x with a seed matrix and evaluates f once; these two functions
are all the sparse package needs from the engines, so that they can be rerouted through
the transform plans (and the numba engine) without touching the rest of the package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Function = Callable[..., Any]


def _plain(f: Function) -> Function:
    from ..engines.python import python_function

    return python_function(f)


def _float(a: Any, shape: tuple[int, ...], who: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object:
        raise TypeError(f"{who}: f returned dual numbers of another differentiation; sparse "
                        "derivatives do not nest inside other transforms")
    return np.ascontiguousarray(np.broadcast_to(arr, shape), dtype=np.float64)


def compressed_jacobian_pass(f: Function, x: np.ndarray, S: np.ndarray, args: tuple, kwargs: dict
                             ) -> tuple[np.ndarray, np.ndarray]:
    """One dual pass with x seeded by the columns of S (n × c).

    Returns f(x) flattened to (m,) and the compressed Jacobian J·S of shape (m, c).
    """
    from ..dual import Dual
    from ..engines.python import evaluate

    g = _plain(f)
    c = S.shape[1]
    if c == 0:
        value = np.asarray(g(x, *args, **kwargs), dtype=np.float64).ravel()
        return value, np.zeros((value.size, 0))
    seed = np.ascontiguousarray(S, dtype=np.float64).reshape(x.shape + (c,))
    value, eps = evaluate(g, Dual, x, (seed,), 1, args, kwargs, [(c,)])
    value = _float(value, np.shape(value), "sparse").ravel()
    return value, _float(np.reshape(eps, (value.size, c)), (value.size, c), "sparse")


def compressed_hessian_pass(f: Function, x: np.ndarray, S1: np.ndarray, S2: np.ndarray, args: tuple,
                            kwargs: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One hyper-dual pass with ε1 seeded by S1 (n × k1) and ε2 by S2 (n × k2).

    Returns f(x) flattened to (m,), the ε1 part (m, k1) = J·S1 and the ε1ε2 part
    (m, k1, k2) whose [k, a, b] entry is S1[:, a]ᵀ ∇²f_k S2[:, b].
    """
    from ..engines.python import evaluate
    from ..hyperdual import HyperDual

    g = _plain(f)
    k1, k2 = S1.shape[1], S2.shape[1]
    if k1 == 0 or k2 == 0:
        value = np.asarray(g(x, *args, **kwargs), dtype=np.float64).ravel()
        return value, np.zeros((value.size, k1)), np.zeros((value.size, k1, k2))
    e1 = np.ascontiguousarray(S1, dtype=np.float64).reshape(x.shape + (k1,))
    e2 = np.ascontiguousarray(S2, dtype=np.float64).reshape(x.shape + (k2,))
    e12 = np.zeros(x.shape + (k1, k2))
    value, eps1, _, eps12 = evaluate(g, HyperDual, x, (e1, e2, e12), 1, args, kwargs,
                                     [(k1,), (k2,), (k1, k2)])
    value = _float(value, np.shape(value), "sparse").ravel()
    m = value.size
    return (value, _float(np.reshape(eps1, (m, k1)), (m, k1), "sparse"),
            _float(np.reshape(eps12, (m, k1, k2)), (m, k1, k2), "sparse"))
