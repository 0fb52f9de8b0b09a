"""The numba engine of dualdiff: derivatives of ``@numba.njit`` functions.

A user's ordinary njit function runs unchanged on arrays of dual numbers: the jet
types, their arithmetic (generated from :mod:`dualdiff.rules`) and numpy/math
overloads are registered with numba when this package is imported, and jitted drivers
seed the jets, call the function once per chunk of directions and collect float arrays.

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

Entry points (``f`` a numba dispatcher; extra positional arguments pass through to f):
``derivative``, ``second_derivative``, ``grad``, ``value_and_grad``, ``jacobian``,
``value_and_jacobian``, ``hessian``, ``value_grad_hessian``, ``jvp``, ``hvp``;
``transform(name, f, chunk=...)`` returns the function ``dd.<name>(f)`` stands for;
``is_numba_function``.  ``chunk`` is the number of directions carried per pass (a
compile-time constant: each distinct chunk compiles once; by default a power of two).

Rules for the function: allocate arrays that hold values depending on ``x`` from ``x``
(``np.empty_like(x)``, ``np.zeros_like(x)``, ``np.empty(n, dtype=x.dtype)``); use
``np.*``/``math.*``/``dd.*`` functions that have a rule (scalars, and elementwise on
arrays of equal shapes), ``np.sum``/``mean``/``dot``/``@``, ``np.array([...])``;
comparisons and branches see the value.  Writing a dual into a float array, or
converting one to float, raises :class:`dualdiff.DualConversionError` naming the fix.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numba
import numpy as np
from numba.core import errors

from .._messages import NUMBA_DOCS, numba_operation
from ..jet import DualConversionError, Jet
from . import _overloads  # noqa: F401  (registers the overloads generated from the rules)
from ._drivers import (
    FACTORIES,
    OUTPUT_TYPE_ERROR,
    SCALAR_OUTPUT_ERROR,
    prepare_fresh,
    prepare_readonly,
)
from ._overloads import value_of
from ._types import DualType, HyperDualType

__all__ = [
    "transform", "derivative", "second_derivative", "grad", "value_and_grad", "jacobian",
    "value_and_jacobian", "hessian", "value_grad_hessian", "jvp", "hvp", "is_numba_function",
    "default_chunk", "clear_cache", "DualType", "HyperDualType", "value_of",
]

# Default directions per pass, measured on extended Rosenbrock (benchmarks/bench_jit.py,
# AVX-512 machine): gradient n=100: chunk 8 3.0 µs, 16 2.8 µs, 32 2.9 µs; n=1000: 8 179 µs,
# 16 126 µs, 32 102 µs, 64 106 µs.  Hessian n=100: 8 247 µs, 16 216 µs, 32 253 µs.
# Chunks are powers of two so that few distinct jet types (compilations) arise.
SMALL_CHUNK = 16          # up to LARGE_N elements, and always for second order
LARGE_CHUNK = 32          # first order beyond LARGE_N elements
LARGE_N = 512
# Jacobians of vector functions: every pass also writes an (outputs x chunk) block, and
# chunk 8 is fastest at every size measured (Broyden tridiagonal: n=10 2.4 µs at 4..32;
# n=100: 8 8.5 µs, 16 10.2 µs, 32 15.3 µs; n=1000: 4 846 µs, 8 494 µs, 16 725 µs).
JACOBIAN_CHUNK = 8


def is_numba_function(f: Any) -> bool:
    """True for a numba CPU dispatcher (``@numba.njit`` / ``@numba.jit`` function)."""
    return isinstance(f, numba.core.registry.CPUDispatcher)


def default_chunk(n: int, order: int = 1) -> int:
    """Directions per pass for n inputs: the power of two covering n, at most SMALL_CHUNK
    (first order: LARGE_CHUNK beyond LARGE_N inputs)."""
    cap = LARGE_CHUNK if order == 1 and n > LARGE_N else SMALL_CHUNK
    k = 1
    while k < n and k < cap:
        k *= 2
    return k


_DEFAULT_CHUNKS = [default_chunk(n) for n in range(SMALL_CHUNK + 1)]


# -- compiled drivers, cached per function ---------------------------------------------------

_drivers: dict[tuple[Any, ...], Any] = {}
_fresh: set[tuple[Any, str]] = set()   # (f, transform) that write into their input


def clear_cache() -> None:
    """Forget every compiled driver (they are rebuilt on the next call)."""
    _drivers.clear()
    _fresh.clear()


def _driver(f: Any, transform: str, n: int, safe: bool) -> Any:
    key = (f, transform, n, safe)
    drv = _drivers.get(key)
    if drv is None:
        _check_function(f)
        factory, kind = FACTORIES[transform]
        prepare = prepare_fresh if (f, transform) in _fresh else prepare_readonly
        drv = _drivers[key] = factory(f, kind(n, safe), prepare)
    return drv


def _run(f: Any, transform: str, n: int, args: tuple) -> tuple:
    """Call the driver; redo NaN-safely if a partial came out NaN (the last result)."""
    try:
        drv = _drivers.get((f, transform, n, False)) or _driver(f, transform, n, False)
        res = drv(*args)
        if res[-1]:
            res = _driver(f, transform, n, True)(*args)
    except errors.TypingError as exc:
        if "Cannot modify readonly array" in str(exc) and (f, transform) not in _fresh:
            # f writes into its input: hand it a fresh copy per pass instead
            _fresh.add((f, transform))
            for key in [k for k in _drivers if k[0] is f and k[1] == transform]:
                del _drivers[key]
            return _run(f, transform, n, args)
        raise _translate(exc, f) from None
    return res


def _translate(exc: Exception, f: Any) -> Exception:
    """A TypeError saying what in f cannot run on dual numbers, and the fix."""
    msg = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # numba's terminal colours
    name = getattr(f, "__name__", "f")
    jet = "Dual[" in msg or "HyperDual[" in msg
    lines = msg.splitlines()
    for marker in (SCALAR_OUTPUT_ERROR, OUTPUT_TYPE_ERROR):
        for line in lines:
            if marker in line:
                return TypeError(line[line.index(marker) + len("dualdiff: "):].replace("f ", f"{name} ", 1))
    if jet and any("setitem(" in ln and "Dual[" in ln and "array(" in ln
                   and "array(Dual" not in ln and "array(HyperDual" not in ln for ln in lines):
        return DualConversionError(
            f"{name} stores a dual number into a float array, which would drop its derivative; "
            "allocate scratch arrays that hold values depending on x from x: np.empty_like(x), "
            "np.zeros_like(x) or np.empty(n, dtype=x.dtype), not np.zeros(n) / np.empty(n).\n\n"
            f"numba: {_first_lines(msg)}")
    if jet and "Known signatures:" in msg and "Invalid use of type(CPUDispatcher" in msg:
        return TypeError(
            f"{name} (or a function it calls) was compiled with an explicit signature, so numba "
            "cannot compile it for dual numbers; drop the signature from @njit(...) (lazy "
            f"compilation).\n\nnumba: {_first_lines(msg, 6)}")
    for conv in ("float", "int", "complex"):
        if jet and f"Function(<class '{conv}'>)" in msg:
            return DualConversionError(
                f"{name} converts a dual number with {conv}(), which would drop its derivative; "
                "use .value (dd.jit.value_of(x)) for the value alone.\n\n"
                f"numba: {_first_lines(msg)}")
    if jet:
        op = numba_operation(msg)
        what = f"{op[0]} has no dual implementation{op[1]}" if op else "an operation has no dual implementation"
        return TypeError(
            f"numba cannot compile {name} on dual numbers: {what}.\n"
            "It is a function without a rule in dualdiff.rules, a float-only numpy function, "
            f"or it mixes dual and float arrays; what is supported: {NUMBA_DOCS}.\n\n"
            f"numba: {msg}")
    return TypeError(f"numba cannot compile {name}: {msg}")


def _first_lines(msg: str, k: int = 4) -> str:
    return "\n".join(ln for ln in msg.splitlines()[:k] if ln.strip())


# -- inputs --------------------------------------------------------------------------------

_F64 = np.dtype(np.float64)


def _input_chunk(x: Any, chunk: Any, who: str, order: int = 1) -> tuple[np.ndarray, Any, int, int]:
    """_input and the chunk in one call (the per-call overhead matters at small n)."""
    if type(x) is np.ndarray and x.dtype is _F64 and x.ndim == 1:
        xf, shape, n = x, None, x.shape[0]
    else:
        xf, shape, n = _input(x, who)
    if chunk is None:
        return xf, shape, n, (_DEFAULT_CHUNKS[n] if n <= SMALL_CHUNK else default_chunk(n, order))
    return xf, shape, n, _chunk(chunk, n, order)


def _input(x: Any, who: str) -> tuple[np.ndarray, Any, int]:
    """(x as a flat float64 array, the shape to hand f: None for 1-d x, () for scalar x,
    else x.shape; the number of elements)."""
    if type(x) is np.ndarray and x.dtype is _F64 and x.ndim == 1:
        return x, None, x.shape[0]  # the common case, fast (any strides: numba specialises)
    if isinstance(x, Jet) or (isinstance(x, np.ndarray) and x.dtype == object):
        raise TypeError(
            f"{who}: the numba engine cannot run inside another differentiation (x holds "
            "dual numbers of an outer transform); use engine='python' for nested transforms")
    if isinstance(x, (bool, np.bool_, str, bytes)) or x is None:
        raise TypeError(f"{who} needs x to be a real float or an array of real floats, got {type(x).__name__}")
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{who} needs x to be a real float or an array of real floats, got an "
                        f"array of dtype {a.dtype}")
    a = np.asarray(a, dtype=np.float64, order="C")  # (ascontiguousarray makes 0-d 1-d)
    shape = None if a.ndim == 1 else a.shape
    return a.reshape(-1), shape, a.size


def _chunk(chunk: Any, n: int, order: int = 1) -> int:
    if chunk is None:
        return default_chunk(n, order)
    if isinstance(chunk, (bool, np.bool_)) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer or None, got {chunk!r}")
    return min(int(chunk), max(n, 1))


def _check_function(f: Any) -> None:
    if not is_numba_function(f):
        raise TypeError(f"the numba engine needs a @numba.njit function, got {type(f).__name__}")


def _shaped(a: np.ndarray, shape: Any, lead: tuple[int, ...] = ()) -> Any:
    """a reshaped to lead + shape of x (shape as _input gives it); 0-d results as scalars."""
    if shape is None:
        return a
    if shape == () and not lead:
        return a[0]
    return a.reshape(lead + shape)


def _direction(v: Any, n: int, shape: Any, who: str) -> np.ndarray:
    vf, vshape, m = _input(v, who)
    if vshape != shape or m != n:
        want = (n,) if shape is None else shape
        got = (m,) if vshape is None else vshape
        raise ValueError(f"{who} needs v with the shape of x {want}, got {got}")
    return vf


# -- transforms ----------------------------------------------------------------------------

def value_and_grad(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any]:
    """(f(x), ∇f(x)) for a scalar-valued njit function f."""
    xf, shape, n, k = _input_chunk(x, chunk, "grad")
    g = np.empty(n)
    value, _ = _run(f, "grad", k, (xf, shape, g) + args)
    return np.float64(value), _shaped(g, shape)


def grad(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∇f(x), shaped like x, for a scalar-valued njit function f."""
    xf, shape, n, k = _input_chunk(x, chunk, "grad")
    g = np.empty(n)
    _run(f, "grad", k, (xf, shape, g) + args)
    return g if shape is None else _shaped(g, shape)


def grad_function(f: Any, chunk: int | None = None) -> Any:
    """``lambda x, *args: grad(f, x, *args, chunk=chunk)`` with the hot path in one frame.

    For 1-d float64 x (the latency-critical case) the compiled driver is looked up per
    size and called directly; anything else goes through :func:`grad`.
    """
    _check_function(f)
    if chunk is not None:
        _chunk(chunk, 1)
    by_size: dict[int, Any] = {}

    def gradient(x: Any, *args: Any) -> Any:
        if type(x) is np.ndarray and x.dtype is _F64 and x.ndim == 1:
            n = x.shape[0]
            drv = by_size.get(n)
            if drv is not None:
                g = np.empty(n)
                if not drv(x, None, g, *args)[-1]:
                    return g
            else:
                k = _input_chunk(x, chunk, "grad")[3]  # the chunk grad() compiles for
                g = grad(f, x, *args, chunk=chunk)
                if (f, "grad") not in _fresh:
                    by_size[n] = _drivers.get((f, "grad", k, False))
                return g
        return grad(f, x, *args, chunk=chunk)

    return gradient


def value_and_jacobian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any]:
    """(f(x), Jacobian of shape f(x).shape + x.shape) from the same passes."""
    xf, shape, n, k = _input_chunk(x, chunk, "jacobian")
    if chunk is None:
        k = min(k, JACOBIAN_CHUNK)
    values, jac, oshape, _ = _run(f, "jacobian", k, (xf, shape) + args)
    xshape = (n,) if shape is None else shape
    value = values.reshape(oshape)
    return (value[()] if not oshape else value), jac.reshape(oshape + xshape)[()]


def jacobian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∂f(x)[i...]/∂x[j...], shape f(x).shape + x.shape."""
    return value_and_jacobian(f, x, *args, chunk=chunk)[1]


def value_grad_hessian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> tuple[Any, Any, Any]:
    """(f(x), ∇f(x), ∇²f(x)) from the hyper-dual passes alone; the Hessian is exactly
    symmetric."""
    xf, shape, n, k = _input_chunk(x, chunk, "hessian", 2)
    g, h = np.empty(n), np.empty((n, n))
    value, _ = _run(f, "hessian", k, (xf, shape, g, h) + args)
    if shape is None:
        return np.float64(value), g, h
    return np.float64(value), _shaped(g, shape), h.reshape(shape + shape)[()]


def hessian(f: Any, x: Any, *args: Any, chunk: int | None = None) -> Any:
    """∇²f(x), shape x.shape + x.shape, exactly symmetric."""
    xf, shape, n, k = _input_chunk(x, chunk, "hessian", 2)
    g, h = np.empty(n), np.empty((n, n))
    _run(f, "hessian", k, (xf, shape, g, h) + args)
    return h if shape is None else h.reshape(shape + shape)[()]


def _scalar_x(x: Any, who: str, instead: str) -> np.ndarray:
    xf, shape, _ = _input(x, who)
    if shape != ():
        got = xf.shape if shape is None else shape
        raise TypeError(f"{who} needs a scalar x, got shape {got}; use {instead}")
    return xf


def derivative(f: Any, x: Any, *args: Any) -> Any:
    """f'(x) for scalar x (any output shape), in one dual pass."""
    xf = _scalar_x(x, "derivative", "jacobian, or jvp(f, x, np.ones_like(x)) for an elementwise function")
    values, jv, oshape, _ = _run(f, "jvp", 1, (xf, np.ones(1), (), *args))
    return jv[0] if not oshape else jv.reshape(oshape)


def second_derivative(f: Any, x: Any, *args: Any) -> Any:
    """f''(x) for scalar x (any output shape), exactly, in one hyper-dual pass."""
    xf = _scalar_x(x, "second_derivative", "hessian")
    values, d2, oshape, _ = _run(f, "second_derivative", 1, (xf, (), *args))
    return d2[0] if not oshape else d2.reshape(oshape)


def jvp(f: Any, x: Any, v: Any, *args: Any) -> tuple[Any, Any]:
    """(f(x), J(x)·v) in one dual pass."""
    xf, shape, n = _input(x, "jvp")
    vf = _direction(v, n, shape, "jvp")
    values, jv, oshape, _ = _run(f, "jvp", 1, (xf, vf, shape) + args)
    if not oshape:
        return values[0], jv[0]
    return values.reshape(oshape), jv.reshape(oshape)


def hvp(f: Any, x: Any, v: Any, *args: Any, chunk: int | None = None) -> Any:
    """H(x)·v for a scalar-valued njit function, without forming H."""
    xf, shape, n, k = _input_chunk(x, chunk, "hvp", 2)
    vf = _direction(v, n, shape, "hvp")
    hv = np.empty(n)
    _run(f, "hvp", k, (xf, vf, shape, hv) + args)
    return _shaped(hv, shape)


# -- transforms as functions (what dd.grad(f) etc. return for a numba f) -----------------------

_TRANSFORMS = {
    "derivative": derivative, "second_derivative": second_derivative, "grad": grad,
    "value_and_grad": value_and_grad, "jacobian": jacobian, "value_and_jacobian": value_and_jacobian,
    "hessian": hessian, "value_grad_hessian": value_grad_hessian,
}
CHUNKED = {"grad", "value_and_grad", "jacobian", "value_and_jacobian", "hessian", "value_grad_hessian"}


def transform(name: str, f: Any, *, chunk: int | None = None) -> Any:
    """``dd.<name>(f, chunk=chunk)`` for an njit function f: a function of (x, *args).

    Extra positional arguments pass through to f; keyword arguments cannot (numba
    drivers forward positional arguments only) and raise TypeError.
    """
    if name not in _TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; one of {sorted(_TRANSFORMS)}")
    _check_function(f)
    if chunk is not None:
        _chunk(chunk, 1)  # validate now
    function = _TRANSFORMS[name]
    kw = {"chunk": chunk} if name in CHUNKED else {}

    def call(x: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"the numba engine passes extra arguments to {f.__name__} positionally "
                            f"only; got keyword(s) {sorted(kwargs)}")
        return function(f, x, *args, **kw)

    # updated=(): never copy the dispatcher's __dict__ (its py_func would make another
    # transform differentiate f instead of this derivative of f)
    functools.update_wrapper(call, f, assigned=("__name__", "__qualname__", "__doc__", "__module__"),
                             updated=())
    return call
