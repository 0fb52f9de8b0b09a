"""The numba engine: a user's ``@njit`` function runs unchanged on arrays of jets inside a
compiled driver, which seeds the directions, calls f once per chunk of columns and
collects float arrays (``dualdiff.jit``: the jet types, overloads and drivers).

A driver is compiled per (function, kernel, chunk): the chunk is a compile-time
constant, the width of the LLVM vectors that carry the partials.  Compiled drivers are
kept with the function they were made for (a weak reference: they go when it goes), so
a second ``dd.grad(f)`` does not compile again; they hold code, never values of a call.

Per call, a driver also reports whether a partial came out NaN; the call is then redone
with the NaN-safe jet type (``docs/conventions.md``).  f gets the seeded input read-only
(so the seeds can be updated in place between passes); a function that writes into its
input does not compile that way and gets a fresh copy per pass instead.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from numba.core import errors

from .._checks import real_array
from .._messages import NUMBA_DOCS, numba_operation
from ..jit import _overloads  # noqa: F401  (registers the overloads generated from the rules)
from ..jit._drivers import FACTORIES, prepare_fresh, prepare_readonly

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

# the drivers each kernel runs (see dualdiff.jit._drivers) and the jet kind it seeds
_DRIVER = {"gradient": "grad", "jacobian": "jacobian", "jvp": "jvp", "hessian": "hessian",
           "hvp": "hvp", "second": "second_derivative"}
_ORDER = {"gradient": 1, "jacobian": 1, "jvp": 1, "hessian": 2, "hvp": 2, "second": 2}


def default_chunk(n: int, kernel: str) -> int:
    """Directions per pass for n inputs: the power of two covering n, at most SMALL_CHUNK
    (first order: LARGE_CHUNK beyond LARGE_N inputs; Jacobians at most JACOBIAN_CHUNK)."""
    if kernel in ("jvp", "second"):
        return 1
    cap = LARGE_CHUNK if _ORDER[kernel] == 1 and n > LARGE_N else SMALL_CHUNK
    k = 1
    while k < n and k < cap:
        k *= 2
    return min(k, JACOBIAN_CHUNK) if kernel == "jacobian" else k


class Drivers:
    """The compiled drivers of one function: {(kernel, chunk, nan_safe, fresh): driver},
    whether f writes into its input (then every driver hands it a fresh copy), and the
    plans of one-shot calls (``dd.jvp(f, x, v)``) that use them."""

    def __init__(self) -> None:
        self.compiled: dict[tuple[str, int, bool, bool], Any] = {}
        self.fresh = False
        self.plans: dict[tuple[Any, ...], Any] = {}


# compiled code per function, released with the function (see the module docstring)
_DRIVERS: weakref.WeakKeyDictionary[Any, Drivers] = weakref.WeakKeyDictionary()


def clear_cache() -> None:
    """Forget every compiled driver (they are rebuilt on the next call)."""
    _DRIVERS.clear()


def _drivers_of(f: Any) -> Drivers:
    d = _DRIVERS.get(f)
    if d is None:
        d = _DRIVERS[f] = Drivers()
    return d


def plans_of(f: Any) -> dict[tuple[Any, ...], Any]:
    """Plans of one-shot calls kept with f's compiled drivers (see ``Plan.of``)."""
    return _drivers_of(f).plans


def driver(f: Any, kernel: str, k: int, safe: bool) -> Any:
    """The compiled driver of f for this kernel and chunk (compiled on first use)."""
    d = _drivers_of(f)
    key = (kernel, k, safe, d.fresh)
    drv = d.compiled.get(key)
    if drv is None:
        factory, kind = FACTORIES[_DRIVER[kernel]]
        drv = d.compiled[key] = factory(f, kind(k, safe), prepare_fresh if d.fresh else prepare_readonly)
    return drv


def run(f: Any, kernel: str, k: int, args: tuple) -> tuple:
    """Call the driver; redo NaN-safely if a partial came out NaN (its last result)."""
    try:
        res = driver(f, kernel, k, False)(*args)
        if res[-1]:
            res = driver(f, kernel, k, True)(*args)
        return res
    except errors.TypingError as exc:
        d = _drivers_of(f)
        if d.fresh:
            raise translate(exc, f) from None
        # f may write into its input, which the read-only seeded input refuses: hand it
        # a fresh copy per pass instead (if that compiles, that was the reason)
        d.fresh = True
        try:
            return run(f, kernel, k, args)
        except errors.TypingError:
            d.fresh = False
            raise translate(exc, f) from None


def translate(exc: Exception, f: Any) -> Exception:
    """A TypeError whose first line names what in f cannot run on dual numbers."""
    import re

    msg = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # numba's terminal colours
    name = getattr(f, "__name__", "f")
    if "Known signatures:" in msg and "Invalid use of type(CPUDispatcher" in msg:
        return TypeError(
            f"{name} (or a function it calls) was compiled with an explicit signature, so numba "
            "cannot compile it for dual numbers; drop the signature from @njit(...) (lazy "
            f"compilation).\n\nnumba: {_first_lines(msg, 6)}")
    if "Dual[" in msg or "HyperDual[" in msg:
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


# -- inputs and outputs ------------------------------------------------------------------------

_F64 = np.dtype(np.float64)


def flat_input(x: Any, who: str) -> tuple[np.ndarray, Any]:
    """(x as a flat float64 array, the shape to hand f: None for 1-d x, () for a scalar,
    else x.shape)."""
    if type(x) is np.ndarray and x.dtype is _F64 and x.ndim == 1:
        return x, None  # the common case, fast (any strides: numba specialises)
    a = real_array(x, who)
    shape = None if a.ndim == 1 else a.shape
    return np.ascontiguousarray(a).reshape(-1), shape  # (ascontiguousarray makes 0-d 1-d)


def _shaped(a: np.ndarray, shape: Any) -> Any:
    """a (n,) reshaped to the shape of x (as flat_input gives it)."""
    if shape is None:
        return a
    return a.reshape(shape)[()]


class Runner:
    """The numba kernels of one plan: f, kernel and chunk fixed.  ``__call__`` returns what
    the Python engine's kernels return (``dualdiff.engines.python``); :meth:`fast` is the
    hot path for a 1-d float64 x, one frame around the compiled driver."""

    def __init__(self, f: Any, kernel: str, k: int) -> None:
        self.f, self.kernel = f, kernel
        self.k = 1 if kernel in ("jvp", "second") else k
        self._drv: Any = None  # the driver, once a call has settled which one compiles

    def _run(self, args: tuple) -> tuple:
        drv = self._drv
        if drv is not None:
            res = drv(*args)
            if not res[-1]:
                return res
        res = run(self.f, self.kernel, self.k, args)  # compiles; NaN-safe redo
        if self._drv is None:
            self._drv = driver(self.f, self.kernel, self.k, False)
        return res

    def __call__(self, x: Any, v: Any, args: tuple, kwargs: dict) -> tuple:
        if kwargs:
            raise TypeError(f"the numba engine passes extra arguments to {self.f.__name__} positionally "
                            f"only; got keyword(s) {sorted(kwargs)}")
        kernel = self.kernel
        xf, shape = flat_input(x, kernel)
        n = xf.shape[0]
        if kernel == "gradient":
            g = np.empty(n)
            value, _ = self._run((xf, shape, g) + args)
            return np.float64(value), g
        if kernel == "jacobian":
            values, jac, oshape, _ = self._run((xf, shape) + args)
            return values.reshape(oshape)[()], jac.reshape(oshape + (n,))
        if kernel == "hessian":
            g, h = np.empty(n), np.empty((n, n))
            value, _ = self._run((xf, shape, g, h) + args)
            return np.float64(value), g, h
        if kernel == "second":
            values, d2, oshape, _ = self._run((xf, (), *args))
            return values.reshape(oshape)[()], d2.reshape(oshape)[()]
        if type(v) is np.ndarray and v.dtype is _F64 and v.ndim == 1 and v.flags.c_contiguous:
            vf = v
        else:
            vf = np.ascontiguousarray(real_array(v, kernel, "v")).reshape(-1)
        if kernel == "jvp":
            values, jv, oshape, _ = self._run((xf, vf, shape) + args)
            if not oshape:
                return values[0], jv[0]
            return values.reshape(oshape), jv.reshape(oshape)
        hv = np.empty(n)
        value, _ = self._run((xf, vf, shape, hv) + args)
        return np.float64(value), hv

    def fast(self, read: Callable[[tuple, tuple[int, ...]], Any], shape: tuple[int, ...]
             ) -> Callable[[np.ndarray, tuple], Any]:
        """``result = fast(x, args)`` for a 1-d float64 x of a plan that ran once."""
        f, kernel, k = self.f, self.kernel, self.k
        drv = self._drv or driver(f, kernel, k, False)

        if kernel == "gradient":
            def fast(x: np.ndarray, args: tuple) -> Any:
                g = np.empty(x.shape[0])
                res = drv(x, None, g, *args)
                if res[-1]:  # a NaN partial: redo NaN-safely
                    res = run(f, kernel, k, (x, None, g) + args)
                return read((np.float64(res[0]), g), shape)
        elif kernel == "hessian":
            def fast(x: np.ndarray, args: tuple) -> Any:
                n = x.shape[0]
                g, h = np.empty(n), np.empty((n, n))
                res = drv(x, None, g, h, *args)
                if res[-1]:
                    res = run(f, kernel, k, (x, None, g, h) + args)
                return read((np.float64(res[0]), g, h), shape)
        elif kernel == "jacobian":
            def fast(x: np.ndarray, args: tuple) -> Any:
                res = drv(x, None, *args)
                if res[-1]:
                    res = run(f, kernel, k, (x, None) + args)
                values, jac, oshape, _ = res
                return read((values.reshape(oshape)[()], jac.reshape(oshape + (x.shape[0],))), shape)
        else:
            def fast(x: np.ndarray, args: tuple) -> Any:
                return read(self(x, None, args, {}), shape)
        return fast

    def gradient_fast(self) -> Callable[..., Any]:
        """``g = fast(x, args)`` for a 1-d float64 x: the gradient alone, fastest."""
        f, k = self.f, self.k
        drv = self._drv or driver(f, "gradient", k, False)

        def fast(x: np.ndarray, args: tuple) -> np.ndarray:
            g = np.empty(x.shape[0])
            if drv(x, None, g, *args)[-1]:  # a NaN partial: redo NaN-safely
                run(f, "gradient", k, (x, None, g) + args)
            return g

        return fast
