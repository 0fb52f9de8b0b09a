"""numpy's protocols for dual numbers: ``__array_function__`` and ufunc methods.

Each supported numpy function is registered with :func:`implements`; anything else
raises a ``TypeError`` naming the function, so numpy never silently converts a dual
array to an object array and drops its derivative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

HANDLED: dict[Any, Callable[..., Any]] = {}


def implements(*numpy_functions: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an implementation of numpy functions for dual numbers."""
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        for f in numpy_functions:
            HANDLED[f] = impl
        return impl
    return register


def _name(func: Any) -> str:
    module = getattr(func, "__module__", "numpy") or "numpy"
    prefix = "np." + module.split("numpy.", 1)[1].split(".")[0] + "." if module.startswith(
        "numpy.linalg") else "np."
    return prefix + getattr(func, "__name__", str(func))


def supported_names() -> list[str]:
    return sorted(_name(f) for f in HANDLED)


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    impl = HANDLED.get(func)
    if impl is None:
        raise TypeError(
            f"{_name(func)} is not supported on dual numbers (it would drop the derivative). "
            "Rewrite it with supported operations (element access, arithmetic, dualdiff or "
            f"numpy ufuncs); supported numpy functions: {', '.join(supported_names()) or 'none'}")
    return impl(*args, **kwargs)


@implements(np.shape)
def _shape(a: Any) -> tuple[int, ...]:
    return a.shape


@implements(np.ndim)
def _ndim(a: Any) -> int:
    return a.ndim


@implements(np.size)
def _size(a: Any, axis: int | None = None) -> int:
    return a.size if axis is None else a.shape[axis]


def ufunc_method(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    raise TypeError(
        f"np.{ufunc.__name__}.{method} is not supported on dual numbers; use np.sum / "
        "np.prod / np.cumsum or an explicit loop")


def ufunc_call(ufunc: np.ufunc, inputs: tuple) -> Any:
    raise TypeError(
        f"np.{ufunc.__name__} is not differentiable in dualdiff (no rule in dualdiff.rules); "
        "supported ufuncs: " + ", ".join(sorted(
            u.__name__ for u in __import__("dualdiff.rules").rules.RULE_BY_UFUNC)))
