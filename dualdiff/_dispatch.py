"""A table from numpy functions to their implementations for a number type: what
``__array_function__`` dispatches through (dual numbers in ``numpy_api``, sparsity
tracers in ``sparse.tracer``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def numpy_name(func: Any) -> str:
    """``np.fft.rfft``-style name of a numpy function (public submodules only)."""
    module = getattr(func, "__module__", "") or ""
    subs = [m for m in module.split(".")[1:] if not m.startswith("_")]
    return ".".join(["np", *subs, getattr(func, "__name__", str(func))])


class FunctionTable(dict):
    """{numpy function: implementation}, filled by the :meth:`implements` decorator."""

    def implements(self, *numpy_functions: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function as the implementation of ``numpy_functions``."""
        def register(impl: Callable[..., Any]) -> Callable[..., Any]:
            for f in numpy_functions:
                self[f] = impl
            return impl
        return register

    def names(self) -> list[str]:
        """The numpy names of the functions in the table, sorted."""
        return sorted({numpy_name(f) for f in self})
