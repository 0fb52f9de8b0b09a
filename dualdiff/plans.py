"""Derivative plans: one per (function, transform, input shape, engine, seeds).

A plan is built on first use and reused: it resolves the engine and the chunk (how many
seed directions one pass carries), holds the engine's runner for the transform's kernel
(for the numba engine, the compiled driver) and reads the transform's result from the
kernel's output.  The transforms keep one plan per input shape inside the function
they return; users who want control build one and hold it (ForwardDiff.jl's
``GradientConfig`` is the model)::

    plan = dd.plan("hessian", f, x, chunk=8)
    H = plan(x)                  # the same as dd.hessian(f, chunk=8)(x)
    plan(x2, out=H)              # into your own buffer

Seeds are matrices: identity chunks for gradients, Jacobians and Hessian blocks, a
direction for jvp and hvp, a colouring for the sparse passes (``dualdiff.sparse``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _checks, engines
from .engines import executor as _executor
from .jet import shape_of

Function = Callable[..., Any]


@dataclass(frozen=True)
class Transform:
    """A transform, declared once: which kernel it runs and how it reads its result.

    ``read(raw, x_shape)`` turns the kernel's output (``dualdiff.engines``) into the
    transform's result.  ``scalar_x`` names what to use instead when x must be a scalar;
    ``direction`` transforms take a direction v after x (jvp, hvp); ``unit`` ones run
    the jvp kernel with v = 1 (derivative).
    """

    name: str
    kernel: str
    read: Callable[[tuple, tuple[int, ...]], Any] = field(repr=False)
    scalar_x: str | None = None
    direction: bool = False
    unit: bool = False
    #: how the result at many points is read from the kernel's stacked output (leading axis:
    #: the points), or None where the transform has no batched form (``Plan.batched``)
    read_many: Callable[[tuple, tuple[int, ...]], Any] | None = field(default=None, repr=False)


def result(a: Any) -> Any:
    """0-d arrays as numpy scalars, anything else as it is."""
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a


_F64 = np.dtype(np.float64)


class Plan:
    """The plan of ``transform`` for f at inputs shaped like x (see the module docstring).

    ``plan(x, *args, **kwargs)`` (``plan(x, v, *args, **kwargs)`` for jvp and hvp) returns
    what the transform returns; ``out=`` writes an array result (or each array of a tuple
    result) into arrays you own and returns them.
    """

    def __init__(self, transform: Transform, f: Function, x: Any, *, chunk: int | None = None,
                 engine: str = "auto", executor: Any = None) -> None:
        _checks.function(f, transform.name)
        x = _checks.input_point(x, transform.name)
        if transform.scalar_x is not None:
            _checks.scalar_input(x, transform.name, transform.scalar_x)
        self.transform, self.f = transform, f
        self.shape: tuple[int, ...] = shape_of(x)
        self.n = math.prod(self.shape)
        self.nested = _checks.holds_duals(x)
        self.engine, self.function = engines.select(f, engine, self.nested)
        k = _checks.chunk(chunk)
        self.chunk = min(k, max(self.n, 1)) if k is not None else self.engine.default_chunk(self.n, transform.kernel)
        #: the executor running the passes as tasks (None: this process), part of the plan's identity
        self.executor = _executor.check(executor)
        if self.executor is None:
            self.runner = self.engine.runner(self.function, transform.kernel, self.chunk)
            return
        if transform.kernel not in ("jacobian", "hessian"):
            raise TypeError(f"executor= runs the passes of Jacobians and Hessians (dd.jacobian, dd.hessian, "
                            f"value_and_jacobian, value_grad_hessian); {transform.name} has none to spread: use "
                            "dd.vmap(..., executor=) for many points")
        if self.nested:
            raise TypeError(f"{transform.name} with executor= cannot send the dual numbers of a running "
                            "transform to other workers: drop executor= inside another transform")
        if k is None:
            self.chunk = _executor.default_chunk(self.chunk, self.n, self.executor)
        _executor.picklable(f, self.executor)
        self.runner = _executor.ExecutorRunner(self.engine.name, f, transform.kernel, self.chunk, self.executor)

    def __repr__(self) -> str:
        where = "" if self.executor is None else f", executor={type(self.executor).__name__}"
        return (f"Plan({self.transform.name}, {getattr(self.f, '__name__', 'f')}, shape={self.shape}, "
                f"engine={self.engine.name!r}, chunk={self.chunk}{where})")

    def __call__(self, x: Any, *args: Any, out: Any = None, **kwargs: Any) -> Any:
        t = self.transform
        v = None
        if t.direction:
            if not args:
                raise TypeError(f"{t.name} plan: call it as plan(x, v, *args)")
            v, args = args[0], args[1:]
        value = self.run(x, v, args, kwargs)
        return value if out is None else _into(out, value, t.name)

    @classmethod
    def of(cls, transform: Transform, f: Function, x: Any, *, chunk: int | None = None,
           engine: str = "auto") -> Plan:
        """A plan, reused across calls where building one costs more than running it: for a
        numba function at a float array, plans are kept with its compiled drivers
        (``dualdiff.engines.numba``), so ``dd.jvp(f, x, v)`` in a loop builds one."""
        if engine != "python" and type(x) is np.ndarray and x.dtype is _F64 and _checks.is_numba(f):
            plans = engines.numba_plans(f)
            key = (transform.name, x.shape, chunk, engine)
            p = plans.get(key)
            if p is None:
                p = plans[key] = cls(transform, f, x, chunk=chunk, engine=engine)
            return p
        return cls(transform, f, x, chunk=chunk, engine=engine)

    def run(self, x: Any, v: Any, args: tuple, kwargs: dict) -> Any:
        """The transform's result at x (v: the direction of jvp/hvp)."""
        t = self.transform
        if type(x) is np.ndarray and x.dtype is _F64 and x.ndim and not self.nested:
            if x.shape != self.shape:
                raise ValueError(f"this {t.name} plan was made for x of shape {self.shape}; got shape "
                                 f"{x.shape}: make a plan for it")
            if t.direction and not (type(v) is np.ndarray and v.dtype is _F64 and v.shape == self.shape):
                v = _checks.direction(x, v, t.name)
            return t.read(self.runner(x, v, args, kwargs), self.shape)
        return self.run_checked(_checks.input_point(x, t.name), v, args, kwargs)

    def run_checked(self, x: Any, v: Any, args: tuple, kwargs: dict) -> Any:
        """:meth:`run` for an x that ``_checks.input_point`` has already seen."""
        t = self.transform
        if shape_of(x) != self.shape or _checks.holds_duals(x) != self.nested:
            raise ValueError(
                f"this {t.name} plan was made for x of shape {self.shape}"
                f"{' holding dual numbers' if self.nested else ''}; got shape {shape_of(x)}"
                f"{' holding dual numbers' if _checks.holds_duals(x) else ''}: make a plan for it")
        if t.unit:
            v = np.float64(1.0)
        elif t.direction:
            v = _checks.direction(x, v, t.name)
        return t.read(self.runner(x, v, args, kwargs), self.shape)

    @property
    def batches(self) -> bool:
        """Whether :meth:`batched` runs one compiled loop over the points (numba engine)."""
        return (self.transform.read_many is not None and self.engine.name == "numba" and not self.nested
                and self.executor is None)

    @property
    def batched(self) -> Callable[..., Any] | None:
        """``batched(X, *args)``, ``dd.vmap``'s protocol: the transform's results at the
        points X[0], X[1], ... (shape (N,) + the plan's shape) stacked on a new leading axis
        (tuples element-wise), what stacking ``plan(X[i], *args)`` gives, bit for bit, from
        one compiled loop over the points, parallel across cores.  None where the plan has
        no such loop (see :attr:`batches`): ``dd.vmap(plan)`` then calls it point by point."""
        return self.run_batched if self.batches else None

    def run_batched(self, X: np.ndarray, *args: Any) -> Any:
        """The compiled loop behind :attr:`batched` (X a float64 array)."""
        if not self.batches:
            raise TypeError(f"{self!r} has no batched loop (numba-engine grad, value_and_grad, jacobian, "
                            "value_and_jacobian, hessian and value_grad_hessian have one); loop over the points")
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.shape[1:] != self.shape:
            raise ValueError(f"this {self.transform.name} plan was made for points of shape {self.shape}; got "
                             f"points of shape {X.shape[1:]}")
        return self.transform.read_many(self.runner.batched(X, args), self.shape)

    def fast(self) -> Callable[[np.ndarray, tuple], Any] | None:
        """A shortcut for float64 x of the plan's shape without keyword arguments (what the
        transforms call after the first call), or None where there is no shorter way."""
        t, shape = self.transform, self.shape
        if self.nested or t.direction or t.unit:
            return None
        if self.engine.name == "numba" and len(shape) == 1 and self.executor is None:
            return self.runner.gradient_fast() if t.name == "grad" else self.runner.fast(t.read, shape)
        runner, read = self.runner, t.read
        return lambda x, args: read(runner(x, None, args, {}), shape)


def _into(out: Any, value: Any, who: str) -> Any:
    """Copy the result into the caller's arrays (numpy's ``out=``)."""
    if isinstance(value, tuple):
        if not isinstance(out, tuple) or len(out) != len(value):
            raise TypeError(f"{who} returns {len(value)} results: give out= a tuple of {len(value)} "
                            "arrays (None for a result you do not want written)")
        return tuple(v if o is None else _into(o, v, who) for o, v in zip(out, value, strict=True))
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{who}: out= must be a numpy array, got {type(out).__name__}")
    if out.shape != np.shape(value):
        raise ValueError(f"{who}: out= has shape {out.shape}, the result has shape {np.shape(value)}")
    out[...] = value
    return out
