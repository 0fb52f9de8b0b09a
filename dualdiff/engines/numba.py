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

import math
import weakref
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba.core import errors

from .._checks import real_array
from .._messages import NUMBA_DOCS, numba_operation
from ..jit import _overloads  # noqa: F401  (registers the overloads generated from the rules)
from ..jit._drivers import BATCHED_FACTORIES, FACTORIES, prepare_fresh, prepare_readonly

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
           "hvp": "hvp", "second": "second_derivative",
           "jacobian_columns": "jacobian_columns", "hessian_columns": "hessian_columns"}
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


def batched_driver(f: Any, kernel: str, k: int, safe: bool, parallel: bool) -> Any:
    """The compiled loop over many points of f for this kernel and chunk (see
    ``dualdiff.jit._drivers``, "batched drivers"), parallel across cores or sequential."""
    d = _drivers_of(f)
    key = (f"{kernel}@batched" if parallel else f"{kernel}@batched-sequential", k, safe, d.fresh)
    drv = d.compiled.get(key)
    if drv is None:
        factory, kind = BATCHED_FACTORIES[kernel]
        drv = d.compiled[key] = factory(f, kind(k, safe), prepare_fresh if d.fresh else prepare_readonly,
                                        parallel)
    return drv


# lane counts of the sparse transforms' compressed passes: c colours ride on the smallest
# of these that holds them (chunks of the largest beyond), so few jet types get compiled
SPARSE_LANES = (1, 2, 3, 4, 6, 8, 12, 16)


def sparse_lanes(c: int) -> int:
    """Lanes per compressed pass for c colours (``SPARSE_LANES``)."""
    for k in SPARSE_LANES:
        if c <= k:
            return k
    return SPARSE_LANES[-1]


def sparse_driver(f: Any, kind: str, k: int, safe: bool) -> Any:
    """The compiled compressed-pass driver of f (``dualdiff.jit._sparse_drivers``; kind
    "jacobian", "sum_grad" or "sum_hessian") with k lanes, compiled on first use."""
    from ..jit._sparse_drivers import SPARSE_FACTORIES

    d = _drivers_of(f)
    key = (f"sparse-{kind}", k, safe, d.fresh)
    drv = d.compiled.get(key)
    if drv is None:
        factory, jet = SPARSE_FACTORIES[kind]
        drv = d.compiled[key] = factory(f, jet(k, safe), prepare_fresh if d.fresh else prepare_readonly)
    return drv


def sparse_call(f: Any, kind: str, k: int, safe: bool, args: tuple) -> tuple:
    """Call a compressed-pass driver as :func:`call` calls the dense ones (a fresh seeded
    input per pass for an f that writes into its input; numba's errors translated)."""
    return _call_compiling(f, lambda: sparse_driver(f, kind, k, safe), args)


def sparse_run(f: Any, kind: str, k: int, args: tuple, safe: bool = False) -> tuple:
    """:func:`sparse_call`, redone NaN-safely when a partial came out NaN (its last
    result).  ``safe=True`` runs the NaN-safe driver at once.  Module level: an executor
    task."""
    res = sparse_call(f, kind, k, safe, args)
    if res[-1] and not safe:
        res = sparse_call(f, kind, k, True, args)
    return res


def parallel_allowed() -> bool:
    """Whether compiled loops may run in parallel here: not in a process started by
    ``fork`` from a Python process (numba's GNU OpenMP threading layer terminates a forked
    child that starts parallel work after its parent did; a forked pool's workers already
    use the cores, so they loop sequentially)."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return True
    return multiprocessing.get_start_method(allow_none=True) not in (None, "fork")


# kernels whose batched outputs end with f's output shape (an int64 array), and their names
_SHAPED = ("jacobian", "jvp", "second")
_KERNEL_NAMES = {"jacobian": "Jacobian", "jvp": "derivative (jvp)", "second": "second derivative"}

# blocks of points per thread in a batched call: per-thread scratch is allocated per block,
# and more blocks than threads even out points of unequal cost
BLOCKS_PER_THREAD = 4


def call(f: Any, kernel: str, k: int, safe: bool, args: tuple) -> tuple:
    """Call the driver (compiling it on first use); if f does not compile on the read-only
    seeded input, hand it a fresh copy per pass instead (it may write into its input)."""
    return _call_compiling(f, lambda: driver(f, kernel, k, safe), args)


def _call_compiling(f: Any, get_driver: Any, args: tuple) -> Any:
    """``get_driver()(*args)``, compiling on first use; if f does not compile on the
    read-only seeded input, retry once with a fresh copy per pass (f may write into its
    input, which the read-only input refuses); numba's errors translated."""
    try:
        return get_driver()(*args)
    except errors.TypingError as exc:
        d = _drivers_of(f)
        if d.fresh:
            raise translate(exc, f) from None
        d.fresh = True  # the driver cache keys on d.fresh: get_driver() compiles the fresh variant
        try:
            return get_driver()(*args)
        except errors.TypingError as again:  # it was not that: the fresh attempt's error
            raise translate(again, f) from None


def run(f: Any, kernel: str, k: int, args: tuple) -> tuple:
    """Call the driver; redo NaN-safely if a partial came out NaN (its last result)."""
    res = call(f, kernel, k, False, args)
    if res[-1]:
        res = call(f, kernel, k, True, args)
    return res


def jacobian_columns(f: Any, x: Any, c0: int, c1: int, k: int, args: tuple, safe: bool = False
                     ) -> tuple[Any, np.ndarray, bool]:
    """(f(x), columns [c0, c1) of the Jacobian (f(x).shape + (c1 - c0,)), had_nan) by passes
    of k columns from c0: an executor task (``dualdiff.engines.executor``)."""
    xf, shape = flat_input(x, "jacobian")
    values, jac, oshape, bad = call(f, "jacobian_columns", k, safe, (xf, shape, c0, c1) + tuple(args))
    return values.reshape(oshape)[()], jac.reshape(oshape + (c1 - c0,)), bool(bad)


def hessian_columns(f: Any, x: Any, c0: int, c1: int, k: int, args: tuple, safe: bool = False
                    ) -> tuple[np.float64, np.ndarray, np.ndarray, bool]:
    """(f(x), g[c0:c1], h[:c1, c0:c1] (upper triangle; not mirrored), had_nan): the column
    chunks [c0, c1) of the Hessian driver, alone (an executor task)."""
    xf, shape = flat_input(x, "hessian")
    value, g, h, bad = call(f, "hessian_columns", k, safe, (xf, shape, c0, c1) + tuple(args))
    return np.float64(value), g, h, bool(bad)


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
            self._oshape = oshape  # for a batch of 0 points
            return values.reshape(oshape)[()], jac.reshape(oshape + (n,))
        if kernel == "hessian":
            g, h = np.empty(n), np.empty((n, n))
            value, _ = self._run((xf, shape, g, h) + args)
            return np.float64(value), g, h
        if kernel == "second":
            values, d2, oshape, _ = self._run((xf, (), *args))
            self._oshape = oshape  # for a batch of 0 points
            return values.reshape(oshape)[()], d2.reshape(oshape)[()]
        if type(v) is np.ndarray and v.dtype is _F64 and v.ndim == 1 and v.flags.c_contiguous:
            vf = v
        else:
            vf = np.ascontiguousarray(real_array(v, kernel, "v")).reshape(-1)
        if kernel == "jvp":
            values, jv, oshape, _ = self._run((xf, vf, shape) + args)
            self._oshape = oshape  # for a batch of 0 points
            if not oshape:
                return values[0], jv[0]
            return values.reshape(oshape), jv.reshape(oshape)
        hv = np.empty(n)
        value, _ = self._run((xf, vf, shape, hv) + args)
        return np.float64(value), hv

    def batched(self, X: np.ndarray, args: tuple, V: np.ndarray | None = None) -> tuple:
        """The kernel's output at every point X[p] (X float64 of shape (N,) + x.shape),
        stacked on a leading axis of N: what stacking ``self(X[p], V[p], args, {})`` gives,
        bit for bit, from one compiled loop over the points (parallel across cores).

        ``V``: the directions of the jvp and hvp kernels, float64 of X's shape (one per
        point; a direction shared by every point may be a broadcast view); None for the
        jvp kernel means v = 1 at every point (``dd.derivative``).  Other kernels take none.

        NaN-safe redo per point; a point at which f raises is rerun alone to raise its
        exception, with a note naming the point and its index as ``exc.point_index``.
        """
        kernel, f = self.kernel, self.f
        if kernel not in BATCHED_FACTORIES:
            raise NotImplementedError(f"no batched loop for the {kernel} kernel")
        N, xs = X.shape[0], X.shape[1:]
        n = math.prod(xs)
        if kernel == "second":
            shape: Any = ()  # the second-derivative driver hands f the scalar element
        else:
            shape = None if len(xs) == 1 else xs  # what f gets: as the single-point driver gives it
        X2 = np.ascontiguousarray(X).reshape(N, n)
        V2 = X2  # kernels without a direction ignore it
        if kernel == "jvp" and V is None:
            V = np.broadcast_to(np.float64(1.0), X.shape)  # the derivative: v = 1
        if kernel in ("jvp", "hvp"):
            if V is None or V.shape != X.shape:
                raise ValueError(f"the batched {kernel} kernel needs one direction per point, shape {X.shape}; "
                                 f"got {None if V is None else V.shape}")
            V2 = V.reshape(N, n)  # a view (broadcast views reshape as views)
        elif V is not None:
            raise TypeError(f"the {kernel} kernel takes no direction")
        oshape: tuple[int, ...] = ()
        if N:
            # the first point through the single-point path: settles compilation (and
            # whether f writes into its input), raises f's errors and gives f(x)'s shape
            first = self._point(X, V, 0, args)
            oshape = np.shape(first[0])
        elif kernel in _SHAPED:
            if self._oshape is None:
                from ..batching import EmptyBatchError

                raise EmptyBatchError(
                    f"the {_KERNEL_NAMES[kernel]} of {getattr(f, '__name__', 'f')} at 0 points: the shape of f's "
                    "output is unknown until f has run once; pass a representative point (dd.vmap(fn, "
                    "probe=x0)), or skip the call when X is empty")
            oshape = self._oshape
        outs = self._outputs(N, n, oshape)
        if N:
            self._run_batched(X, V, X2, V2, shape, outs, args)
        return self._stacked(outs, N, n, oshape)

    _oshape: tuple[int, ...] | None = None

    def _point(self, X: np.ndarray, V: np.ndarray | None, p: int, args: tuple) -> tuple:
        v = None if V is None else V[p]
        if self.kernel == "jvp" and v.ndim == 0:
            v = np.float64(v)  # as dd.derivative passes it
        try:
            res = self(X[p], v, args, {})
        except Exception as exc:
            exc.point_index = p  # type: ignore[attr-defined]
            exc.add_note(f"(dualdiff: at point {p} of the batch, X[{p}])")
            raise
        self._oshape = np.shape(res[0])
        return res

    def _outputs(self, N: int, n: int, oshape: tuple[int, ...]) -> tuple:
        bad = np.zeros(N, dtype=np.bool_)
        kernel = self.kernel
        if kernel == "gradient":
            return np.empty(N), np.empty((N, n)), bad
        if kernel == "hessian":
            return np.empty(N), np.empty((N, n)), np.empty((N, n, n)), bad
        if kernel == "hvp":
            return np.empty(N), np.empty((N, n)), bad
        m = math.prod(oshape)
        second = (N, m, n) if kernel == "jacobian" else (N, m)   # J, or J·v / f''
        return np.empty((N, m)), np.empty(second), bad, np.array(oshape, dtype=np.int64)

    def _stacked(self, outs: tuple, N: int, n: int, oshape: tuple[int, ...]) -> tuple:
        kernel = self.kernel
        if kernel in ("gradient", "hvp"):
            return outs[0], outs[1]
        if kernel == "hessian":
            return outs[0], outs[1], outs[2]
        if kernel == "jacobian":
            return outs[0].reshape((N,) + oshape), outs[1].reshape((N,) + oshape + (n,))
        return outs[0].reshape((N,) + oshape), outs[1].reshape((N,) + oshape)

    def _run_batched(self, X: np.ndarray, V: np.ndarray | None, X2: np.ndarray, V2: np.ndarray, shape: Any,
                     outs: tuple, args: tuple, safe: bool = False, index: np.ndarray | None = None) -> None:
        """Fill ``outs`` at the rows of X2 (V2: their directions; ``index``: their indices
        in the caller's X)."""
        f, kernel, k = self.f, self.kernel, self.k
        N = X2.shape[0]
        # lanes beyond x's n would only carry zeros: a batch compiles the jet of n lanes
        # (chunk k > n happens for every n that is not a power of two: 10 inputs ride on
        # 16 lanes).  Lanes do not interact, so the numbers are the same bit for bit.
        k = min(k, max(X2.shape[1], 1))
        parallel = parallel_allowed()
        threads = numba.get_num_threads() if parallel else 1
        failed = np.full(min(N, BLOCKS_PER_THREAD * threads), -1, dtype=np.int64)
        try:
            batched_driver(f, kernel, k, safe, parallel)(X2, V2, shape, outs, failed, *args)
        except errors.TypingError as exc:
            raise translate(exc, f) from None
        if (failed >= 0).any():
            p = int(failed[failed >= 0].min())
            self._failed(X, V, p if index is None else int(index[p]), args)
        per_point = 3 if kernel in _SHAPED else len(outs)  # their last: the output shape
        bad = outs[per_point - 1]
        if not safe and bad.any():  # NaN partials at some points: redo those NaN-safely
            idx = np.flatnonzero(bad)
            sub = tuple(o[idx] for o in outs[:per_point]) + outs[per_point:]
            X2i = X2[idx]
            self._run_batched(X, V, X2i, X2i if V2 is X2 else V2[idx], shape, sub, args, safe=True, index=idx)
            for o, so in zip(outs[:per_point], sub[:per_point], strict=True):
                o[idx] = so

    def _failed(self, X: np.ndarray, V: np.ndarray | None, p: int, args: tuple) -> None:
        """Point p failed in the compiled loop: rerun it alone to raise f's own exception."""
        res = self._point(X, V, p, args)  # raises what f raises, naming the point
        first = self._point(X, V, 0, args)
        exc = ValueError(
            f"{getattr(self.f, '__name__', 'f')} returned an output of shape {np.shape(first[0])} at point 0 "
            f"(X[0]) but {np.shape(res[0])} at point {p} (X[{p}]); a batch needs one output shape")
        exc.point_index = p  # type: ignore[attr-defined]
        raise exc

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
