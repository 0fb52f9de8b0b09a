"""Many points, many machines: ``dd.vmap`` over numpy arrays, dask arrays and executors.

``dd.vmap(fn)(X, *args, **kwargs)`` evaluates ``fn(X[i], *args, **kwargs)`` for every
``i`` along the leading axis of ``X`` and stacks the results on a new leading axis.
``fn`` is any function of one point, usually a transform (``dd.vmap(dd.grad(f))``).

Three ways to run it, one result (bit for bit):

* locally, point by point in this process (or through ``fn.batched``, below);
* on a ``concurrent.futures.Executor`` (``executor=``): blocks of ``block`` points are
  tasks (``ThreadPoolExecutor``, ``ProcessPoolExecutor``, ``Client.get_executor()``);
* lazily on dask: ``X`` a ``dask.array.Array`` gives dask arrays, one task per block of
  rows of ``X``, computed by whichever dask scheduler is active (threads, processes,
  a ``dask.distributed.Client``).

The ``batched`` protocol
------------------------
If ``getattr(fn, "batched", None)`` is not None, it is a callable
``fn.batched(X, *args) -> results`` that returns exactly what stacking
``fn(X[i], *args)`` over ``i`` returns (same structure, shapes, dtypes and bits), for a
numpy ``X`` with at least one axis (possibly 0 rows).  ``dd.vmap`` then calls it once per
block of points instead of looping; numba-engine transforms provide it as one compiled,
parallel loop.  It is used only when no keyword arguments are given (they go to ``fn``
point by point).  If it raises an exception with an integer ``point_index`` attribute
(the row of the X it was given, as numba-engine transforms report it), ``dd.vmap`` names
that point; otherwise it reruns the block point by point to find the failing point, so an
implementation need not track indices itself.  ``fn.batched`` is used only when no
argument after X is mapped (``in_axes``).

``functools.partial(g, *bound, **keywords)`` whose ``g`` has a ``batched_partial``
attribute (``dd.jvp``, ``dd.hvp``) is batched by ``g.batched_partial(bound, keywords,
mapped)``: a callable ``batched(X, args)`` or None (``mapped``: one flag per argument
after X, whether it is mapped over points too).

Mapped arguments (``in_axes``)
------------------------------
By default only X is mapped; further positional arguments (and all keyword arguments) go
to every point unchanged.  ``in_axes`` maps the leading axis of more positional
arguments, as ``jax.vmap`` does (see :func:`vmap`).

Functions sent to other processes travel by cloudpickle (closures, lambdas, functions of
``__main__`` by value; functions of importable modules by reference, so the workers must
be able to import those modules; ``cloudpickle.register_pickle_by_value(module)`` sends a
module's functions by value instead).  numba ``@njit`` functions always travel by value
(numba pickles their Python source) and compile in each worker process on first use.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

import numpy as np

from .jet import Jet

__all__ = ["vmap", "VMapped", "PointError", "EmptyBatchError"]

Function = Callable[..., Any]
TASKS_PER_WORKER = 4   # default executor blocks: enough tasks per worker to even out the load


class PointError(Exception):
    """``fn`` raised at one point of a ``dd.vmap``.

    Attributes:
        index: the point's index along the leading axis of ``X`` (of the whole ``X``, also
            when the point was computed in a block on a worker); None for ``probe=``.
        original: the exception ``fn`` raised (also ``__cause__`` where the traceback
            survived the trip from a worker).
    """

    def __init__(self, message: str, index: int | None, original: BaseException | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.original = original
        if original is not None:
            self.__cause__ = original

    def __reduce__(self) -> tuple[Any, ...]:
        original = self.original
        try:
            pickle.dumps(original)
        except Exception:  # an unpicklable exception: keep its message only
            original = None
        return (type(self), (str(self), self.index, original))


class EmptyBatchError(ValueError):
    """``X`` has no points and nothing tells ``dd.vmap`` the shape of ``fn``'s result."""


# -- result structure: a leaf or a (named) tuple of structures ----------------------------------

def _structure(result: Any) -> Any:
    """None for a leaf (anything numpy stacks), else (tuple type, sub-structures)."""
    if isinstance(result, tuple):
        return (type(result), tuple(_structure(r) for r in result))
    return None


def _leaves(result: Any) -> list[Any]:
    if isinstance(result, tuple):
        return [leaf for r in result for leaf in _leaves(r)]
    return [result]


def _rebuild(structure: Any, leaves: Iterator[Any]) -> Any:
    if structure is None:
        return next(leaves)
    kind, subs = structure
    items = [_rebuild(s, leaves) for s in subs]
    return kind._make(items) if hasattr(kind, "_make") else kind(items)


def _describe(structure: Any) -> str:
    if structure is None:
        return "an array"
    return f"a {len(structure[1])}-tuple" if structure[0] is tuple else f"a {structure[0].__name__}"


Spec = tuple[tuple[int, ...], np.dtype]   # a leaf's trailing shape and dtype


def _specs(result: Any) -> tuple[Any, list[Spec]]:
    leaves = [np.asarray(leaf) for leaf in _leaves(result)]
    return _structure(result), [(a.shape, a.dtype) for a in leaves]


def _empty(structure: Any, specs: list[Spec]) -> Any:
    return _rebuild(structure, iter([np.empty((0,) + shape, dtype) for shape, dtype in specs]))


# -- the local loop -------------------------------------------------------------------------------

def _name(fn: Any) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _point_error(fn: Any, index: int, exc: BaseException) -> PointError:
    return PointError(f"dd.vmap: {_name(fn)} raised {type(exc).__name__} at point {index} (X[{index}]): {exc}",
                      index, exc)


def _stack(fn: Any, results: list[Any], start: int) -> Any:
    """Stack per-point results (tuples element-wise); start is the first point's index."""
    if not isinstance(results[0], tuple):   # the common case: numpy checks the shapes
        try:
            if not any(isinstance(r, tuple) for r in results):
                return np.stack(results)
        except ValueError:
            pass  # different shapes: named below
    structure = _structure(results[0])
    for i, r in enumerate(results):
        if _structure(r) != structure:
            raise ValueError(f"dd.vmap: {_name(fn)} returned {_describe(structure)} at point {start} but "
                             f"{_describe(_structure(r))} at point {start + i}; results must have one structure")
    columns = zip(*(_leaves(r) for r in results), strict=True)
    stacked = []
    for column in columns:
        arrays = [np.asarray(a) for a in column]
        shape = arrays[0].shape
        for i, a in enumerate(arrays):
            if a.shape != shape:
                raise ValueError(f"dd.vmap: {_name(fn)} returned shape {shape} at point {start} but {a.shape} "
                                 f"at point {start + i}; results must have one shape to stack")
        stacked.append(np.stack(arrays))
    return _rebuild(structure, iter(stacked))


def _canonical_dtype(X: np.ndarray) -> np.ndarray:
    """X viewed with numpy's own dtype instance.  An array that was pickled (sent to a
    worker) carries a copy of its dtype, and fast paths that test ``x.dtype is float64``
    would miss on every point; the view costs nothing."""
    canonical = _canonical(X.dtype)
    return X if canonical is X.dtype else X.view(canonical)


def _canonical(dtype: np.dtype) -> np.dtype:
    """numpy's own instance of a plain dtype (a copy made by unpickling is equal, not identical)."""
    if dtype.names is None and dtype.subdtype is None and dtype.metadata is None:
        canonical = np.dtype(dtype.str)
        if canonical == dtype:
            return canonical
    return dtype


Mapped = tuple[bool, ...]   # per positional argument after X: mapped over the points?


def _point_args(args: tuple, mapped: Mapped, i: int) -> tuple:
    """The positional arguments after X of point i: row i of the mapped ones."""
    return tuple(a[i] if m else a for a, m in zip(args, mapped, strict=False)) + args[len(mapped):]


def _rows(args: tuple, mapped: Mapped, s: int, e: int) -> tuple:
    """The arguments after X of the points [s, e): the mapped ones sliced."""
    return tuple(a[s:e] if m else a for a, m in zip(args, mapped, strict=False)) + args[len(mapped):]


def _batched_form(fn: Any, args: tuple, mapped: Mapped) -> Callable[[np.ndarray, tuple], Any] | None:
    """``batched(X, args)`` computing every point at once (the batched protocol), or None."""
    if any(m and not (isinstance(a, np.ndarray) and a.dtype != object) for a, m in zip(args, mapped, strict=False)):
        return None   # dual numbers (or other objects) in a mapped argument: point by point
    if any(isinstance(a, Jet) or (isinstance(a, np.ndarray) and a.dtype == object) for a in args):
        return None   # dual numbers of an outer transform in a shared argument: point by point
    if isinstance(fn, functools.partial):
        hook = getattr(fn.func, "batched_partial", None)
        if hook is not None:
            full = tuple(mapped) + (False,) * (len(args) - len(mapped))
            return hook(fn.args, dict(fn.keywords), full)
    batched = getattr(fn, "batched", None)
    if batched is None or any(mapped):
        return None
    return lambda X, args: batched(X, *args)


def _map_jet(fn: Function, X: Jet, args: tuple, kwargs: dict, start: int, mapped: Mapped = ()) -> Any:
    """fn over the rows of a Dual/HyperDual with array parts (X depends on an outer
    transform's input), results stacked by numpy's protocols on jets."""
    n = X.shape[0]
    if n == 0:
        raise EmptyBatchError("dd.vmap over 0 points of dual numbers: skip the call when X is empty")
    results = []
    for i in range(n):
        try:
            results.append(fn(X[i], *_point_args(args, mapped, i), **kwargs))
        except Exception as exc:
            raise _point_error(fn, start + i, exc) from exc
    return _stack(fn, results, start)


def _map_points(fn: Function, X: np.ndarray, args: tuple, kwargs: dict, start: int = 0,
                empty: tuple[Any, list[Spec]] | None = None, mapped: Mapped = ()) -> Any:
    """fn over the rows of a numpy X, stacked; indices in errors count from start.

    ``empty``: (structure, specs) to return for a block with no rows (dask blocks know it
    from the probe point); without it 0 rows need ``fn.batched``.  ``mapped``: which
    arguments after X are mapped too (their rows are X's rows).
    """
    if isinstance(X, np.ndarray):
        X = _canonical_dtype(X)
    else:  # dual numbers with array parts (vmap inside another transform): no fn.batched
        return _map_jet(fn, X, args, kwargs, start, mapped)
    if any(mapped):
        args = tuple(_canonical_dtype(a) if m and isinstance(a, np.ndarray) else a
                     for a, m in zip(args, mapped, strict=False)) + args[len(mapped):]
    else:
        mapped = ()
    batched = None if kwargs else _batched_form(fn, args, mapped)
    n = X.shape[0]
    if n == 0:
        if empty is not None:
            return _empty(*empty)
        if batched is not None:
            return batched(X, args)
        raise EmptyBatchError("dd.vmap cannot tell the shape of fn's result from 0 points: pass a "
                              "representative point as dd.vmap(fn, probe=x0), or skip the call when X is empty")
    if batched is not None:
        try:
            out = batched(X, args)
        except Exception as exc:
            index = getattr(exc, "point_index", None)   # the compiled loops name the point
            if isinstance(index, (int, np.integer)) and not isinstance(index, bool) and 0 <= index < n:
                raise _point_error(fn, start + int(index), exc) from exc
            # else rerun point by point to name the failing point
            for i in range(n):
                try:
                    fn(X[i], *_point_args(args, mapped, i))
                except Exception as point_exc:
                    raise _point_error(fn, start + i, point_exc) from point_exc
            raise
        for leaf in _leaves(out):
            if np.shape(leaf)[:1] != (n,):
                raise RuntimeError(f"{_name(fn)}.batched returned a result of shape {np.shape(leaf)} for {n} "
                                   "points; the batched protocol stacks results on a new leading axis")
        return out
    results: list[Any] = []
    append = results.append
    try:
        if mapped:
            for i, x in enumerate(X):
                append(fn(x, *_point_args(args, mapped, i), **kwargs))
        elif kwargs:
            for x in X:
                append(fn(x, *args, **kwargs))
        else:
            for x in X:
                append(fn(x, *args))
    except Exception as exc:
        raise _point_error(fn, start + len(results), exc) from exc
    return _stack(fn, results, start)


# -- shipping functions to other processes -------------------------------------------------------

class _Shipped:
    """``fn`` wrapped for a trip to another process: pickled by cloudpickle (closures, lambdas
    and ``__main__`` functions by value), once, and only if it is pickled at all (a thread
    pool or dask's threaded scheduler never pickles it).  Unpickles as a _Shipped holding
    the loaded ``fn`` and its bytes, so a worker passing it on does not pickle ``fn`` again."""

    def __init__(self, fn: Function, data: bytes | None = None) -> None:
        self.fn = fn
        self._data = data

    def __reduce__(self) -> tuple[Any, ...]:
        if self._data is None:
            try:
                self._data = _dumps(self.fn)
            except Exception as exc:
                raise TypeError(f"dd.vmap cannot send {_name(self.fn)} to another process ({exc}); define it at "
                                "module level or install cloudpickle") from exc
        return (_load, (self._data,))

    def __dask_tokenize__(self) -> str:  # never pickle fn just to name a dask key
        return f"vmap-fn-{id(self.fn)}-{id(self)}"


def _load(data: bytes) -> _Shipped:
    return _Shipped(pickle.loads(data), data)


def _dumps(fn: Function) -> bytes:
    """fn pickled by cloudpickle (pickle without it), builtin numpy dtypes by name.

    numpy pickles a dtype as a copy, so ``x.dtype is captured_dtype`` (a fast-path test)
    would fail in the worker; by name, np.dtype('<f8') unpickles as numpy's own instance.
    """
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - cloudpickle comes with dask
        return pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)

    class Pickler(cloudpickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, np.dtype) and obj.names is None and obj.subdtype is None and obj.metadata is None:
                return (np.dtype, (obj.str,))
            return super().reducer_override(obj)

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(fn)
    return buffer.getvalue()


def _unwrap(fn: Any) -> Function:
    return fn.fn if isinstance(fn, _Shipped) else fn


def _portable(exc: PointError) -> PointError:
    """exc, or its message and index without the original if that cannot be pickled (an
    error raised in a worker travels back pickled, with its cause where tblib is installed,
    as dask.distributed does)."""
    try:
        pickle.dumps(exc)
    except Exception:
        return PointError(str(exc), exc.index)
    return exc


def _run_block(fn: Any, X: np.ndarray, args: tuple, kwargs: dict, start: int, mapped: Mapped = ()) -> Any:
    """One executor task: fn over the block's rows (args: the mapped ones sliced to them)."""
    try:
        return _map_points(_unwrap(fn), X, args, kwargs, start, mapped=mapped)
    except PointError as exc:
        error = _portable(exc)
    raise error  # outside the except block: no __context__ to pickle


# -- dask ----------------------------------------------------------------------------------------

def _is_dask_array(X: Any) -> bool:
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def _dask_rows(X: Any, block: int | None) -> Any:
    """X chunked along its leading axis only (whole rows per block), or a clear error."""
    if X.ndim == 0:
        raise ValueError("dd.vmap maps over the leading axis of X, but this dask array has shape (); "
                         "call fn(X) directly or map over X[None]")
    if any(math.isnan(c) for cs in X.chunks for c in cs):
        raise ValueError("dd.vmap needs the chunk sizes of X (the indices of the points); they are unknown "
                         "(NaN), e.g. after boolean indexing: call X.compute_chunk_sizes() first")
    if any(len(cs) > 1 for cs in X.chunks[1:]):
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})   # whole points per block
    if block is not None:
        X = X.rechunk({0: block})
    return X


class _Args:
    """The arguments after X as one object of a dask graph (mapped ones whole: each block
    slices its rows), so that a distributed worker receives them once, not per task."""

    def __init__(self, args: tuple) -> None:
        self.args = args


def _dask_block(Xb: np.ndarray, fn: Any, args: Any, kwargs: dict, structure: Any, specs: list[Spec],
                packed: bool, mapped: Mapped = (), block_info: Any = None) -> np.ndarray:
    """One dask task: fn over a block of rows; a tuple result packed into one byte array."""
    start = block_info[0]["array-location"][0][0] if block_info else 0
    fn = _unwrap(fn)
    if isinstance(args, _Args):
        args = _rows(args.args, mapped, start, start + Xb.shape[0])
    try:
        out = _map_points(fn, Xb, args, kwargs, start, empty=(structure, specs), mapped=mapped)
    except PointError as exc:
        error = _portable(exc)
    else:
        error = None
    if error is not None:
        raise error
    n = Xb.shape[0]
    leaves = _leaves(out)
    if _structure(out) != structure or any(np.shape(a) != (n,) + s for a, (s, _) in zip(leaves, specs, strict=True)):
        got = [np.shape(a)[1:] for a in leaves]
        raise ValueError(f"dd.vmap: {_name(fn)} returned {_describe(_structure(out))} of shapes {got} in the "
                         f"block from point {start}, but {_describe(structure)} of shapes "
                         f"{[s for s, _ in specs]} at the probe point X[0]; results must have one structure")
    if not packed:
        return np.asarray(leaves[0], dtype=specs[0][1])
    return np.concatenate([np.ascontiguousarray(a, dtype=d).reshape(n, -1).view(np.uint8)
                           for a, (_, d) in zip(leaves, specs, strict=True)], axis=1)


def _unpack(packed: np.ndarray, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    n, size = packed.shape[0], int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    return np.ascontiguousarray(packed[:, offset:offset + size]).view(dtype).reshape((n,) + shape)


def _reshape_kwargs(in_ndim: int, out_ndim: int) -> dict[str, Any]:
    """map_blocks' axis bookkeeping from (rows, *in trailing) to (rows, *out trailing)."""
    if out_ndim < in_ndim:
        return {"drop_axis": list(range(out_ndim, in_ndim))}
    if out_ndim > in_ndim:
        return {"new_axis": list(range(in_ndim, out_ndim))}
    return {}


def _probe_scheduler(X: Any) -> dict[str, Any]:
    """compute() keywords for the probe point: the client holding X's data if X was
    persisted on a dask.distributed cluster, else the active scheduler, except that a
    process pool (started afresh for one point) is replaced by threads."""
    import dask

    if "distributed" in sys.modules:
        from distributed import futures_of

        futures = futures_of(X)
        if futures:
            return {"scheduler": futures[0].client}
    scheduler = dask.config.get("scheduler", None)
    return {"scheduler": "threads"} if scheduler in ("processes", "multiprocessing") else {}


# -- the user's handle ---------------------------------------------------------------------------

class VMapped:
    """``dd.vmap(fn)``: call it as ``vm(X, *args, **kwargs)``; see :func:`vmap`."""

    def __init__(self, fn: Function, executor: Executor | None, block: int | None, probe: Any,
                 in_axes: Any = (0,)) -> None:
        self.fn = fn
        self.executor = executor
        self.block = block
        self.probe = probe
        self.in_axes = in_axes
        self.__name__ = f"vmap({_name(fn)})"
        self.__doc__ = f"dd.vmap of {_name(fn)}: fn over the leading axis of X, results stacked."

    def __repr__(self) -> str:
        return f"<dd.vmap of {_name(self.fn)}>"

    def __call__(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        mapped = self._mapped(len(args))
        if _is_dask_array(X):
            X = _dask_rows(X, self.block)
            return self._dask(X, self._mapped_args(args, mapped, X.shape[0]), kwargs, mapped)
        X = self._numpy_input(X)
        args = self._mapped_args(args, mapped, X.shape[0])
        if self.executor is None:
            return self._local(X, args, kwargs, mapped)
        return self._executor(X, args, kwargs, mapped)

    # -- mapped arguments --

    def _mapped(self, nargs: int) -> Mapped:
        """Which of nargs positional arguments after X are mapped (``in_axes``)."""
        if self.in_axes == 0:
            return (True,) * nargs
        axes = self.in_axes[1:]
        if len(axes) > nargs:
            raise TypeError(f"dd.vmap: in_axes has {len(self.in_axes)} entries but {_name(self.fn)} got "
                            f"{1 + nargs} positional arguments; give one entry per positional argument")
        return tuple(a == 0 for a in axes)

    def _mapped_args(self, args: tuple, mapped: Mapped, n: int) -> tuple:
        """args with the mapped ones as arrays whose leading axis has X's n points."""
        if not any(mapped):
            return args
        out = list(args)
        for k, m in enumerate(mapped):
            if not m:
                continue
            a = args[k]
            what = f"argument {k + 1} after X (in_axes[{k + 1}] = 0)"
            if _is_dask_array(a):
                raise TypeError(f"dd.vmap maps {what}, a dask array: pass it as a numpy array (a.compute()); "
                                "only X may be a dask array")
            if isinstance(a, (list, tuple)):
                raise TypeError(f"dd.vmap maps {what} over its leading axis; got a {type(a).__name__} "
                                "(pass np.asarray(...), with the points along the first axis)")
            if not isinstance(a, (np.ndarray, Jet)):
                if not hasattr(a, "__array__"):
                    raise TypeError(f"dd.vmap maps {what} over its leading axis; got {type(a).__name__} (pass "
                                    "an array, or in_axes None for an argument shared by every point)")
                a = np.asarray(a)
            if not a.shape:
                raise ValueError(f"dd.vmap maps {what} over its leading axis, but it has shape (); give it "
                                 "in_axes None to pass it to every point unchanged")
            if a.shape[0] != n:
                raise ValueError(f"dd.vmap maps {what} over its leading axis, which has {a.shape[0]} entries, "
                                 f"but X has {n} points; mapped arguments need one row per point")
            out[k] = a
        return tuple(out)

    # -- inputs --

    def _numpy_input(self, X: Any) -> Any:
        if isinstance(X, Jet):   # inside another transform: points with dual parts
            if not X.shape:
                raise ValueError(f"dd.vmap maps over the leading axis of X, but X is a single dual number; "
                                 f"call {_name(self.fn)}(X) directly")
            if self.executor is not None:
                raise TypeError("dd.vmap cannot send dual numbers of a running transform to an executor: "
                                "drop executor= inside dd.grad/dd.jacobian/...")
            return X
        if isinstance(X, (list, tuple)):
            raise TypeError(f"dd.vmap maps over the leading axis of an array; got a {type(X).__name__} "
                            "(pass np.asarray(X), with the points along the first axis)")
        if not isinstance(X, np.ndarray):
            if isinstance(X, (str, bytes, dict, set)) or X is None or not hasattr(X, "__array__"):
                raise TypeError(f"dd.vmap maps over the leading axis of an array; got {type(X).__name__} "
                                "(pass a numpy or dask array with the points along the first axis)")
            X = np.asarray(X)
        if X.ndim == 0:
            raise ValueError(f"dd.vmap maps over the leading axis of X, but X has shape () (a single "
                             f"number); call {_name(self.fn)}(X) directly or map over X[None]")
        return X

    def _empty_result(self, X: Any, args: tuple, kwargs: dict, mapped: Mapped = ()) -> Any:
        """The result for 0 points: from fn.batched, else from the probe point, else an error."""
        if self.probe is not None and (kwargs or _batched_form(self.fn, args, mapped) is None):
            return self._probe_empty(args, kwargs, mapped)
        try:
            return _map_points(self.fn, X, args, kwargs, mapped=mapped)  # fn.batched, or EmptyBatchError
        except EmptyBatchError:
            if self.probe is None:
                raise
        return self._probe_empty(args, kwargs, mapped)   # fn.batched does not know the shapes yet

    def _probe_empty(self, args: tuple, kwargs: dict, mapped: Mapped) -> Any:
        x0, args0 = self._probe_point(args, mapped)
        return _empty(*self._probe_specs(x0, args0, kwargs, index=None))

    def _probe_point(self, args: tuple, mapped: Mapped) -> tuple[Any, tuple]:
        """(x0, args of the probe point): with mapped arguments, probe= holds one value per
        mapped positional argument, X's first."""
        if not any(mapped):
            return self.probe, args
        count = 1 + sum(mapped)
        if not isinstance(self.probe, tuple) or len(self.probe) != count:
            raise TypeError(f"dd.vmap maps {count} positional arguments (in_axes), so probe= must be a tuple of "
                            f"{count} values: a representative point of each mapped argument, X's first")
        values = iter(self.probe[1:])
        return self.probe[0], tuple(next(values) if m else a for a, m in zip(args, mapped, strict=False)) \
            + args[len(mapped):]

    def _probe_specs(self, x0: Any, args: tuple, kwargs: dict, index: int | None) -> tuple[Any, list[Spec]]:
        try:
            result = self.fn(x0, *args, **kwargs)
        except Exception as exc:
            if index is None:
                raise PointError(f"dd.vmap: {_name(self.fn)} raised {type(exc).__name__} at the probe point "
                                 f"(probe=): {exc}", None, exc) from exc
            raise _point_error(self.fn, index, exc) from exc
        return _specs(result)

    # -- the three ways --

    def _local(self, X: np.ndarray, args: tuple, kwargs: dict, mapped: Mapped = ()) -> Any:
        if X.shape[0] == 0:
            return self._empty_result(X, args, kwargs, mapped)
        return _map_points(self.fn, X, args, kwargs, mapped=mapped)

    def _executor(self, X: np.ndarray, args: tuple, kwargs: dict, mapped: Mapped = ()) -> Any:
        n = X.shape[0]
        if n == 0:
            return self._empty_result(X, args, kwargs, mapped)
        block = self.block or _default_block(self.executor, n)
        shipped = _Shipped(self.fn)
        futures = [self.executor.submit(_run_block, shipped, X[s:s + block], _rows(args, mapped, s, s + block),
                                        kwargs, s, mapped)
                   for s in range(0, n, block)]
        try:
            parts = [f.result() for f in futures]   # in order: the first failing block's error
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        structure = _structure(parts[0])
        for s, part in zip(range(0, n, block), parts, strict=True):
            if _structure(part) != structure:
                raise ValueError(f"dd.vmap: {_name(self.fn)} returned {_describe(structure)} at point 0 but "
                                 f"{_describe(_structure(part))} in the block from point {s}; results must "
                                 "have one structure")
        columns = zip(*(_leaves(p) for p in parts), strict=True)
        return _rebuild(structure, iter(np.concatenate(c) for c in columns))

    def _dask(self, X: Any, args: tuple, kwargs: dict, mapped: Mapped = ()) -> Any:
        if self.executor is not None:
            raise TypeError("dd.vmap with a dask array X runs on dask's scheduler, not on executor=: drop "
                            "executor= and pick the scheduler with dask.config.set(scheduler=...) or a "
                            "dask.distributed.Client (or pass X.compute() to use the executor)")
        import dask
        import dask.array as da

        n = X.shape[0]
        if n == 0:
            empty = self._empty_result(np.empty(X.shape, X.dtype), args, kwargs, mapped)
            return _rebuild(_structure(empty), iter([da.from_array(a) for a in _leaves(empty)]))
        # shapes and dtypes from one point, computed eagerly here
        structure, specs = self._probe_specs(X[0].compute(**_probe_scheduler(X)), _point_args(args, mapped, 0),
                                             kwargs, index=0)
        for _, dtype in specs:
            if dtype.kind not in "biufc":
                raise TypeError(f"dd.vmap over a dask array needs numeric results; {_name(self.fn)} returned "
                                f"dtype {dtype} at X[0]")
        token = uuid.uuid4().hex
        # fn as one key of the graph that every block depends on: a worker receives and
        # unpickles it once (not with every task), and keeps it for the blocks it runs
        shipped = dask.delayed(_Shipped(self.fn), name=f"vmap-fn-{_name(self.fn)}-{token}")
        if any(mapped):   # one key holding them; each block slices its rows
            args = dask.delayed(_Args(args), name=f"vmap-args-{_name(self.fn)}-{token}")
        else:
            mapped = ()
        rows = X.chunks[0]
        packed = structure is not None
        if not packed:
            (shape, dtype), = specs
            return X.map_blocks(_dask_block, shipped, args, kwargs, structure, specs, False, mapped,
                                name=f"vmap-{_name(self.fn)}-{token}", dtype=dtype,
                                meta=np.empty((0,) * (1 + len(shape)), dtype),
                                chunks=(rows,) + tuple((s,) for s in shape),
                                **_reshape_kwargs(X.ndim, 1 + len(shape)))
        sizes = [int(np.prod(s, dtype=np.int64)) * d.itemsize for s, d in specs]
        table = X.map_blocks(_dask_block, shipped, args, kwargs, structure, specs, True, mapped,
                             name=f"vmap-{_name(self.fn)}-{token}", dtype=np.uint8,
                             meta=np.empty((0, 0), np.uint8), chunks=(rows, (sum(sizes),)),
                             **_reshape_kwargs(X.ndim, 2))
        outs = []
        for k, ((shape, dtype), offset) in enumerate(zip(specs, np.cumsum([0] + sizes[:-1]), strict=True)):
            outs.append(table.map_blocks(_unpack, int(offset), shape, dtype, dtype=dtype,
                                         name=f"vmap-{_name(self.fn)}-{k}-{token}",
                                         meta=np.empty((0,) * (1 + len(shape)), dtype),
                                         chunks=(rows,) + tuple((s,) for s in shape),
                                         **_reshape_kwargs(2, 1 + len(shape))))
        return _rebuild(structure, iter(outs))


def _default_block(executor: Any, n: int) -> int:
    """Points per task: about TASKS_PER_WORKER tasks per worker of the executor."""
    workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    return max(1, math.ceil(n / (TASKS_PER_WORKER * workers)))


def _check_block(block: Any) -> int | None:
    if block is None:
        return None
    if isinstance(block, (bool, np.bool_)) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block must be a positive integer (points per task) or None, got {block!r}")
    return int(block)


def _check_in_axes(in_axes: Any) -> Any:
    """0 (every positional argument mapped) or a tuple of 0/None entries starting with 0."""
    def entry(a: Any) -> bool:
        return a is None or (isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) and a == 0)

    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if entry(in_axes) and in_axes is not None:
        return 0
    if isinstance(in_axes, tuple) and in_axes and all(entry(a) for a in in_axes):
        if in_axes[0] is None:
            raise ValueError("dd.vmap always maps X, its first argument: in_axes[0] must be 0")
        return tuple(None if a is None else 0 for a in in_axes)
    raise ValueError(f"in_axes must be 0 (map the leading axis of every positional argument) or a tuple of 0 "
                     f"(mapped) and None (shared) per positional argument, X's first; got {in_axes!r}. dd.vmap maps "
                     "leading axes only: move another axis first with np.moveaxis(a, axis, 0)")


def vmap(fn: Function, *, executor: Executor | None = None, block: int | None = None,
         probe: Any = None, in_axes: int | tuple[int | None, ...] = (0,)) -> VMapped:
    """``fn`` mapped over the leading axis of ``X``: ``dd.vmap(fn)(X, *args, **kwargs)``.

    Evaluates ``fn(X[i], *args, **kwargs)`` for each ``i`` and stacks the results on a new
    leading axis: array (or scalar) results give one array of shape
    ``(len(X),) + result.shape``; tuple results (``dd.value_grad_hessian``), also nested
    and named tuples, give a tuple of such arrays.  ``fn`` is any function of one point,
    usually a transform: ``dd.vmap(dd.grad(f))``, ``dd.vmap(dd.hessian(f, chunk=4))``.

    Args:
        fn: the function of one point.
        executor: a ``concurrent.futures.Executor`` (``ThreadPoolExecutor``,
            ``ProcessPoolExecutor``, ``dask.distributed.Client.get_executor()``): blocks of
            points run as its tasks; the result equals the local one bit for bit.  Threads
            help only where ``fn`` releases the GIL; processes need ``fn`` to travel (see
            below).  Not used with a dask ``X``.
        block: points per executor task (default: about 4 tasks per worker); with a dask
            ``X``, rechunks its leading axis to ``block`` rows per task.
        probe: a representative point, evaluated once to learn the result's shapes and
            dtypes when ``X`` has no points (see "Empty X"); with mapped arguments after
            X, a tuple of one representative value per mapped argument, X's first.
        in_axes: which positional arguments are mapped over their leading axis, as in
            ``jax.vmap``: a tuple with one entry per positional argument, ``0`` (mapped:
            argument k of point i is ``a_k[i]``) or ``None`` (the same value at every
            point); ``0`` alone maps every positional argument; a tuple shorter than the
            arguments leaves the rest shared.  X is always mapped (``in_axes[0] == 0``).
            Default ``(0,)``: only X is mapped, every other argument is shared; **unlike**
            ``jax.vmap``, whose default ``in_axes=0`` maps them all (pass ``in_axes=0``
            for that).  Keyword arguments are never mapped.  Mapped arguments need as
            many rows as X (numpy arrays, also with a dask ``X``: each block takes its
            rows).  ``dd.vmap(functools.partial(dd.jvp, f), in_axes=(0, 0))(X, V)`` is
            the JVP at X[i] along V[i]; ``in_axes=(0, None)`` (the default) shares one
            direction.

    Where it runs:
        * a numpy ``X`` (or any object with ``__array__``; lists and tuples are refused as
          ambiguous): in this process, or on ``executor``.
        * a ``dask.array.Array`` ``X``: returns lazy dask arrays (a tuple of them for tuple
          results), one task per block of rows of ``X`` (chunks along the trailing axes are
          merged first: a block holds whole points), computed by the active dask scheduler.
          Their shapes and dtypes come from ONE point, ``X[0]``, computed eagerly and
          evaluated here when ``dd.vmap(fn)(X)`` is called.  Compute a tuple's arrays
          together (``dask.compute(*result)``): each evaluates the same tasks.

    Batched protocol:
        If ``getattr(fn, "batched", None)`` is not None, it must be a callable
        ``fn.batched(X, *args)`` returning exactly what stacking ``fn(X[i], *args)`` over
        ``i`` gives (structure, shapes, dtypes, bits), for a numpy ``X`` of at least one
        axis and any number of rows, 0 included.  ``dd.vmap`` calls it once per block (all
        of ``X`` locally, each task's rows on an executor or dask) instead of looping.
        numba-engine transforms provide it as one compiled loop over the points, parallel
        across cores (every transform: ``derivative``, ``second_derivative``, ``grad``,
        ``value_and_grad``, ``jacobian``, ``value_and_jacobian``, ``hessian``,
        ``value_grad_hessian``; and ``functools.partial(dd.jvp, f)`` /
        ``functools.partial(dd.hvp, f)`` with the direction mapped or shared).  It is not
        used when keyword arguments are given, nor (``fn.batched``) when arguments after
        X are mapped.  If it raises, ``dd.vmap`` reports the point the exception's
        ``point_index`` names, else reruns the block point by point to find it.

    Empty X:
        0 points cannot show the result's shape without calling ``fn`` (numpy's
        ``np.vectorize`` refuses the same way).  ``dd.vmap`` returns ``fn.batched`` of the
        empty ``X`` when ``fn`` has it, else empty arrays shaped from ``fn(probe, *args)``
        when ``probe=`` was given, and otherwise raises :class:`EmptyBatchError` (a
        ``ValueError``) naming ``probe=``.

    Errors:
        An exception raised by ``fn`` at point ``i`` (here or on a worker) re-raises as
        :class:`PointError` with ``.index == i`` and the message ``... at point i (X[i]):
        <original message>``, chained to the original (``.original``).  Results of
        different structures or shapes at different points raise ``ValueError`` naming
        both points.

    Functions on other processes:
        ``fn`` travels by cloudpickle: closures (every ``dd.grad(f)``), lambdas and
        ``__main__`` functions by value; functions of importable modules by reference (the
        workers import the module; ``cloudpickle.register_pickle_by_value(module)`` sends
        its functions by value).  numba ``@njit`` functions always travel by value and
        compile once in each worker process, on their first task.

    >>> import numpy as np, dualdiff as dd
    >>> dd.vmap(dd.grad(lambda x: (x**2).sum()))(np.arange(6.0).reshape(3, 2))
    array([[ 0.,  2.],
           [ 4.,  6.],
           [ 8., 10.]])
    """
    if not callable(fn):
        raise TypeError(f"dd.vmap expects a function of one point, got {type(fn).__name__}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor (ThreadPoolExecutor, "
                        f"ProcessPoolExecutor, Client.get_executor()), got {type(executor).__name__}")
    return VMapped(fn, executor, _check_block(block), probe, _check_in_axes(in_axes))
