"""The numba engine of dualdiff: derivatives of ``@numba.njit`` functions.

A user's ordinary njit function runs unchanged on arrays of dual numbers: the jet
types, their arithmetic (generated from :mod:`dualdiff.rules`) and numpy/math
overloads are registered with numba when this package is imported, and jitted drivers
(:mod:`dualdiff.jit._drivers`) seed the jets, call the function once per chunk of
directions and collect float arrays.  :mod:`dualdiff.engines.numba` runs them behind
the engine interface; ``dd.grad(f)`` etc. choose it for numba functions.

>>> import numba, numpy as np
>>> from dualdiff import jit
>>> @numba.njit
... def f(x):
...     s = 0.0
...     for i in range(x.shape[0]):
...         s += x[i] * x[i]
...     return s
>>> jit.grad(f, np.array([1.0, 2.0]))
array([2., 4.])

Functional entry points (``f`` a numba dispatcher; extra positional arguments pass
through to f): ``derivative``, ``second_derivative``, ``grad``, ``value_and_grad``,
``jacobian``, ``value_and_jacobian``, ``hessian``, ``value_grad_hessian``, ``jvp``,
``hvp``; each is ``dd.<name>(f, engine="numba")(x, *args)``.  ``chunk`` is the number of
directions carried per pass (a compile-time constant: each distinct chunk compiles
once; by default a power of two).

Rules for the function: allocate arrays that hold values depending on ``x`` from ``x``
(``np.empty_like(x)``, ``np.zeros_like(x)``, ``np.empty(n, dtype=x.dtype)``); use
``np.*``/``math.*``/``dd.*`` functions that have a rule (scalars, and elementwise on
arrays of equal shapes), ``np.sum``/``mean``/``dot``/``@``, ``np.array([...])``;
comparisons and branches see the value.  Writing a dual into a float array, or
converting one to float, raises :class:`dualdiff.DualConversionError` naming the fix.
"""

from __future__ import annotations

from typing import Any

import numba

from . import _overloads, _patches  # noqa: F401  (register the overloads; numba's two patches)
from ._overloads import value_of
from ._types import DualType, HyperDualType

__all__ = [
    "derivative", "second_derivative", "grad", "value_and_grad", "jacobian",
    "value_and_jacobian", "hessian", "value_grad_hessian", "jvp", "hvp", "is_numba_function",
    "default_chunk", "clear_cache", "DualType", "HyperDualType", "value_of", "JACOBIAN_CHUNK",
]

JACOBIAN_CHUNK = 8  # the numba engine's Jacobian chunk (see dualdiff.engines.numba)


def is_numba_function(f: Any) -> bool:
    """True for a numba CPU dispatcher (``@numba.njit`` / ``@numba.jit`` function)."""
    return isinstance(f, numba.core.registry.CPUDispatcher)


def default_chunk(n: int, order: int = 1) -> int:
    """Directions per pass the numba engine uses for n inputs (order 1 or 2)."""
    from ..engines.numba import default_chunk as chunk_of

    return chunk_of(n, "gradient" if order == 1 else "hessian")


def clear_cache() -> None:
    """Forget every compiled driver (they are rebuilt on the next call)."""
    from ..engines.numba import clear_cache as clear

    clear()


def _call(name: str, f: Any, x: Any, args: tuple, chunk: int | None = None, v: Any = None) -> Any:
    from .. import transforms

    if not is_numba_function(f):
        raise TypeError(f"the numba engine needs a @numba.njit function, got {type(f).__name__}")
    if name in ("jvp", "hvp"):
        kw = {"chunk": chunk} if name == "hvp" else {}
        return getattr(transforms, name)(f, x, v, *args, engine="numba", **kw)
    kw = {} if name in ("derivative", "second_derivative") else {"chunk": chunk}
    return getattr(transforms, name)(f, engine="numba", **kw)(x, *args)


def derivative(f: Any, x: Any, *args: Any) -> Any:
    """f'(x) for scalar x (any output shape), in one dual pass."""
    return _call("derivative", f, x, args)


def second_derivative(f: Any, x: Any, *args: Any) -> Any:
    """f''(x) for scalar x (any output shape), exactly, in one hyper-dual pass."""
    return _call("second_derivative", f, x, args)


def grad(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∇f(x), shaped like x, for a scalar-valued njit function f."""
    return _call("grad", f, x, args, chunk)


def value_and_grad(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any]:
    """(f(x), ∇f(x)) for a scalar-valued njit function f."""
    return _call("value_and_grad", f, x, args, chunk)


def jacobian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∂f(x)[i...]/∂x[j...], shape f(x).shape + x.shape."""
    return _call("jacobian", f, x, args, chunk)


def value_and_jacobian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any]:
    """(f(x), Jacobian of shape f(x).shape + x.shape) from the same passes."""
    return _call("value_and_jacobian", f, x, args, chunk)


def hessian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∇²f(x), shape x.shape + x.shape, exactly symmetric."""
    return _call("hessian", f, x, args, chunk)


def value_grad_hessian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any, Any]:
    """(f(x), ∇f(x), ∇²f(x)) from the hyper-dual passes alone."""
    return _call("value_grad_hessian", f, x, args, chunk)


def jvp(f: Any, x: Any, v: Any, *args: Any) -> tuple[Any, Any]:
    """(f(x), J(x)·v) in one dual pass."""
    return _call("jvp", f, x, args, v=v)


def hvp(f: Any, x: Any, v: Any, *args: Any, chunk: int | None = None) -> Any:
    """H(x)·v for a scalar-valued njit function, without forming H."""
    return _call("hvp", f, x, args, chunk, v=v)
