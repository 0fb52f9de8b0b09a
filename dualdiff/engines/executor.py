"""The passes of one Jacobian or Hessian as tasks on a ``concurrent.futures.Executor``.

``dd.jacobian(f, executor=ex)`` (and ``value_and_jacobian``, ``hessian``,
``value_grad_hessian``) splits the kernel's loop over passes into tasks:

* Jacobian: ranges of columns, each a whole number of chunks of k columns (the passes
  the local kernel runs, starting at the same columns), one task per chunk;
* Hessian, Python engine: the k × k block pairs of the upper triangle, grouped by their
  column block (one task per column block);
* Hessian, numba engine: column chunks [j0, j1) (the compiled driver's own loop: rows
  i < j1 on ε2, the chunk on ε1), one task per chunk.

Each task evaluates exactly the passes the local kernel evaluates for those columns, so
the assembled result equals the local one bit for bit.  Tasks are module-level functions
of picklable arguments (the function, x, the column range, the chunk, args, kwargs), so
any executor runs them: threads, processes, ``dask.distributed.Client.get_executor()``.
The numba drivers behind the tasks release the GIL, so threads run them in parallel; the
Python engine holds the GIL, so it needs processes or a cluster.

A process pool pickles f with the standard ``pickle``: f must be importable by name (a
module-level function; numba ``@njit`` functions pickle themselves).  Closures and
lambdas need a cloudpickle-capable executor such as dask's ``Client.get_executor()``.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import numpy as np

from . import python as _python

Function = Callable[..., Any]

#: tasks per worker for the default chunk of a Jacobian with executor=
TASKS_PER_WORKER = 1


def check(executor: Any) -> Executor | None:
    """The executor, or a clear error for something that is not one."""
    if executor is None:
        return None
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor (ThreadPoolExecutor, ProcessPoolExecutor, "
                        f"dask's Client.get_executor()), got {type(executor).__name__}")
    return executor


def workers(executor: Any) -> int:
    """How many tasks the executor runs at once (its ``_max_workers``; a dask client's
    worker threads; else the machine's cores)."""
    count = getattr(executor, "_max_workers", None)
    if count:
        return int(count)
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        except Exception:  # noqa: BLE001 - any failure: fall back to the local count
            pass
    return os.cpu_count() or 1


def default_chunk(engine_chunk: int, n: int, executor: Any) -> int:
    """Columns per pass with executor= and no chunk given: the engine's default, made
    small enough that every worker gets a pass (Jacobians; Hessian blocks likewise)."""
    return max(1, min(engine_chunk, math.ceil(n / (TASKS_PER_WORKER * workers(executor)))))


def picklable(f: Function, executor: Any) -> None:
    """For a process pool, f must pickle by the standard pickle: say how otherwise."""
    from concurrent.futures import ProcessPoolExecutor

    if not isinstance(executor, ProcessPoolExecutor):
        return
    try:
        pickle.dumps(f)
    except Exception as exc:
        raise TypeError(_pickle_message(f, exc)) from exc


def _pickle_message(f: Function, exc: BaseException) -> str:
    name = getattr(f, "__qualname__", None) or type(f).__name__
    return (f"executor=: {name} cannot be sent to the executor's processes ({type(exc).__name__}: {exc}). "
            "A process pool pickles it with the standard pickle, which sends functions by name: define f "
            "at module level, or use an executor that pickles with cloudpickle (closures and lambdas by "
            "value), such as a dask.distributed Client's get_executor()")


def _is_pickling_error(exc: BaseException) -> bool:
    return isinstance(exc, pickle.PicklingError) or (
        isinstance(exc, (AttributeError, TypeError)) and "pickle" in str(exc).lower())


# -- the tasks (module level: they travel by name) ---------------------------------------------

def _function(engine: str, f: Function) -> Function:
    return _python.python_function(f) if engine == "python" else f


def jacobian_task(engine: str, f: Function, x: Any, c0: int, c1: int, k: int, args: tuple, kwargs: dict,
                  safe: bool = False) -> tuple[Any, Any, bool]:
    """(f(x), columns [c0, c1) of the Jacobian, shape f(x).shape + (c1 - c0,), had_nan).

    numba: ``safe`` runs the NaN-safe jets; had_nan says a partial came out NaN (the
    caller then redoes every task NaN-safely, as the local driver redoes the whole call).
    The Python engine is NaN-safe per operation (had_nan False)."""
    if engine == "numba":
        from . import numba as _numba

        return _numba.jacobian_columns(f, x, c0, c1, k, args, safe)
    value, block = _python.jacobian_columns(_function(engine, f), x, None, c0, c1, k, args, kwargs)
    return value, block, False


def hessian_task(engine: str, f: Function, x: Any, k: int, part: Any, args: tuple, kwargs: dict,
                 safe: bool = False) -> Any:
    """Python engine: ``part`` a list of block pairs, the result :func:`~.python.hessian_pairs`'s;
    numba: ``part`` a column range (c0, c1), the result (f(x), g[c0:c1], h[:c1, c0:c1], had_nan)."""
    if engine == "numba":
        from . import numba as _numba

        return _numba.hessian_columns(f, x, part[0], part[1], k, args, safe)
    return _python.hessian_pairs(_function(engine, f), x, k, part, args, kwargs)


# -- the runner --------------------------------------------------------------------------------

class ExecutorRunner:
    """A kernel ("jacobian" or "hessian") whose passes run as tasks on ``executor``:
    ``runner(x, v, args, kwargs)`` returns what the engine's own kernel returns."""

    def __init__(self, engine: str, f: Function, kernel: str, k: int, executor: Executor) -> None:
        if kernel not in ("jacobian", "hessian"):
            raise TypeError(f"executor= runs the passes of Jacobians and Hessians; the {kernel} kernel has "
                            "one pass (use dd.vmap(..., executor=) for many points)")
        self.engine, self.f, self.kernel, self.k, self.executor = engine, f, kernel, k, executor

    def _gather(self, futures: list[Future]) -> list[Any]:
        try:
            return [fut.result() for fut in futures]
        except BaseException as exc:
            for fut in futures:
                fut.cancel()
            if _is_pickling_error(exc):
                raise TypeError(_pickle_message(self.f, exc)) from exc
            raise

    def _submit(self, fn: Callable[..., Any], *a: Any) -> Future:
        try:
            return self.executor.submit(fn, *a)
        except Exception as exc:
            if _is_pickling_error(exc):
                raise TypeError(_pickle_message(self.f, exc)) from exc
            raise

    def _tasks(self, task: Callable[..., Any], arguments: list[tuple]) -> list[Any]:
        """Run ``task(engine, f, *a)`` for every a, in order; numba: if a partial came out
        NaN anywhere, every task again NaN-safely (as the local driver redoes the call)."""
        parts = self._gather([self._submit(task, self.engine, self.f, *a) for a in arguments])
        if self.engine == "numba" and any(p[-1] for p in parts):
            parts = self._gather([self._submit(task, self.engine, self.f, *a, True) for a in arguments])
        return parts

    def __call__(self, x: Any, v: Any, args: tuple, kwargs: dict) -> tuple:
        if self.engine == "numba" and kwargs:
            raise TypeError(f"the numba engine passes extra arguments to {self.f.__name__} positionally only; "
                            f"got keyword(s) {sorted(kwargs)}")
        n = int(np.prod(np.shape(x), dtype=np.int64))
        k = min(self.k, max(n, 1))
        if self.kernel == "jacobian":
            return self._jacobian(x, n, k, args, kwargs)
        return self._hessian(x, n, k, args, kwargs)

    def _jacobian(self, x: Any, n: int, k: int, args: tuple, kwargs: dict) -> tuple:
        ranges = _python.blocks(n, k)
        if not ranges:  # no columns: the local kernel (one evaluation of f)
            return self._local()(x, None, args, kwargs)
        parts = self._tasks(jacobian_task, [(x, c0, c1, k, args, kwargs) for c0, c1 in ranges])
        value = parts[-1][0]
        blocks = [p[1] for p in parts]
        dtype = object if any(b.dtype == object for b in blocks) else np.float64
        out = np.concatenate([np.asarray(b, dtype=dtype) for b in blocks], axis=-1)
        return value, out

    def _hessian(self, x: Any, n: int, k: int, args: tuple, kwargs: dict) -> tuple:
        ranges = _python.blocks(n, k)
        if not ranges:
            return self._local()(x, None, args, kwargs)
        if self.engine == "numba":
            parts = self._tasks(hessian_task, [(x, k, (c0, c1), args, kwargs) for c0, c1 in ranges])
            g, h = np.empty(n), np.zeros((n, n))
            for (c0, c1), (_, gp, hp, _) in zip(ranges, parts, strict=True):
                g[c0:c1] = gp
                h[:c1, c0:c1] = hp
            from ..jit._drivers import mirror_upper

            mirror_upper(h)
            return np.float64(parts[-1][0]), g, h
        # Python engine: the block pairs of each column block as one task
        pairs = _python.block_pairs(n, k)
        columns = [[p for p in pairs if p[2] == c0] for c0, _ in ranges]
        results = self._tasks(hessian_task, [(x, k, col, args, kwargs) for col in columns])
        value = results[-1][0]
        parts = [part for _, ps in results for part in ps]
        return _python.assemble_hessian(_function(self.engine, self.f), x, n, k, value, parts, args, kwargs)

    def _local(self) -> Callable[..., tuple]:
        from . import NUMBA, PYTHON

        engine = NUMBA if self.engine == "numba" else PYTHON
        return engine.runner(_function(self.engine, self.f), self.kernel, self.k)
