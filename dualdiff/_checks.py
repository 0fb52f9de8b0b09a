"""Checks of what users pass in: the one home of input, chunk, engine and direction checks.

Every entry point (the transforms, the numba engine, the optimizers, the sparse and
batching layers) validates through these functions, so a rule about inputs is written
once and says the same thing everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .jet import Jet, as_constant, shape_of

ENGINES = ("auto", "python", "numba")


def is_numba(f: Any) -> bool:
    """True for a numba ``@njit`` dispatcher (without importing numba for other users)."""
    nb = sys.modules.get("numba")
    return nb is not None and isinstance(f, nb.core.registry.CPUDispatcher)


def holds_duals(x: Any) -> bool:
    """True for a dual number or an object array (of duals): x of a nested transform."""
    return isinstance(x, Jet) or (isinstance(x, np.ndarray) and x.dtype == object)


def function(f: Any, who: str = "dualdiff") -> Callable[..., Any]:
    if not callable(f):
        raise TypeError(f"{who} expected a function to differentiate, got {type(f).__name__}")
    return f


def engine(name: Any) -> str:
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    return name


def positive_int(k: Any, what: str) -> int | None:
    """A positive integer option, or None (the default); ValueError naming ``what``."""
    if k is None:
        return None
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{what} must be a positive integer or None, got {k!r}")
    return int(k)


def chunk(k: Any) -> int | None:
    """A chunk size: a positive integer, or None for the engine's measured default."""
    return positive_int(k, "chunk")


def real_array(x: Any, who: str, what: str = "x") -> np.ndarray:
    """x as a float64 array (0-d for a scalar): real numbers only, with a clear error."""
    bad = f"{who} needs {what} to be a real float or an array of real floats, got "
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(bad + type(x).__name__)
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(bad + "a bool")
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(bad + f"{type(x).__name__} ({exc})") from exc
    kind = a.dtype.kind
    if kind in "iuf":
        return a.astype(np.float64)
    if kind == "c":
        raise TypeError(bad + "complex numbers (dualdiff differentiates real functions)")
    if kind == "b":
        raise TypeError(bad + "booleans")
    raise TypeError(bad + f"an array of dtype {a.dtype}")


_F64 = np.dtype(np.float64)


def input_point(x: Any, who: str) -> Any:
    """x as a float64 scalar or array, or as it is if it holds duals (x of a nested
    transform: an outer transform's numbers).  Engines never write into x: each pass of
    the Python engine takes its own copy."""
    if type(x) is np.ndarray and x.dtype is _F64 and x.ndim:
        return x
    if type(x) is float or type(x) is np.float64:
        return np.float64(x)
    if isinstance(x, Jet):
        return x
    if isinstance(x, np.ndarray) and x.dtype == object:
        for e in x.flat:
            if not isinstance(e, Jet) and as_constant(e) is None:
                raise TypeError(f"{who} needs x to be a real float or an array of real floats, "
                                f"got an array holding {type(e).__name__}")
        return x
    a = real_array(x, who)
    return a[()] if a.ndim == 0 else a


def direction(x: Any, v: Any, who: str) -> Any:
    """v of the shape of x (a tangent or cotangent direction)."""
    if not isinstance(v, Jet):
        v = input_point(v, who)
    if shape_of(v) != shape_of(x):
        raise ValueError(f"{who} needs v with the shape of x {shape_of(x)}, got {shape_of(v)}")
    return v


def scalar_input(x: Any, who: str, instead: str) -> None:
    if shape_of(x) != ():
        raise TypeError(f"{who} needs a scalar x, got shape {shape_of(x)}; use {instead}")


def scalar_output(value: Any, who: str) -> None:
    if shape_of(value) != ():
        raise TypeError(
            f"{who} needs f to return a scalar, but f returned an array of shape "
            f"{shape_of(value)}; use dd.jacobian for vector-valued functions")
