"""JAX-style transforms: take a function, return a function computing its derivatives.

Every transform is declared once below (:data:`TRANSFORMS`): the kernel it runs
(:mod:`dualdiff.engines`) and how it reads its result.  The function a transform
returns keeps one :class:`~dualdiff.plans.Plan` per input shape (engine, chunk,
compiled driver) and calls it; extra positional and keyword arguments pass through to
f.  Each pass draws a fresh *tag*, so transforms nest correctly (see
:mod:`dualdiff.jet`).

Shapes (``x`` a float or an array of any shape):

=========================  ===================================  ==========================
transform                  returns                              shape
=========================  ===================================  ==========================
``derivative(f)(x)``       f'(x), x scalar                      ``f(x).shape``
``second_derivative(f)``   f''(x), x scalar                     ``f(x).shape``
``grad(f)(x)``             ∇f(x), f scalar                      ``x.shape``
``jacobian(f)(x)``         ∂f_i/∂x_j                            ``f(x).shape + x.shape``
``hessian(f)(x)``          ∂²f/∂x_i∂x_j, exactly symmetric       ``x.shape + x.shape``
``value_and_grad(f)(x)``   (f(x), ∇f(x))
``value_and_jacobian``     (f(x), J(x)) from the same passes
``value_grad_hessian``     (f(x), ∇f(x), ∇²f(x)) from the Hessian passes alone
``jvp(f, x, v)``           (f(x), J·v) in one pass              ``f(x).shape`` each
``hvp(f, x, v)``           H·v without forming H                ``x.shape``
=========================  ===================================  ==========================

``chunk=k`` carries k seed directions per evaluation (Jacobian: k columns per pass;
Hessian: k × k blocks, upper triangle only, mirrored so the result is exactly symmetric).
``engine=`` is "auto" (numba for ``@njit`` functions, else the numpy engine), "python"
or "numba".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _checks
from .engines import executor as _executor
from .engines.python import default_chunk
from .jet import shape_of
from .plans import Plan, Transform, result

Function = Callable[..., Any]
ENGINES = _checks.ENGINES

__all__ = ["derivative", "second_derivative", "grad", "value_and_grad", "jacobian", "value_and_jacobian",
           "hessian", "value_grad_hessian", "jvp", "hvp", "plan", "TRANSFORMS", "default_chunk"]


def _scalar_f(value: Any, who: str) -> Any:
    _checks.scalar_output(value, who)
    return result(value)


def _grad(raw: tuple, xs: tuple[int, ...]) -> Any:
    g = raw[1]
    return g if g.shape == xs else result(g.reshape(xs))


def _checked_grad(raw: tuple, xs: tuple[int, ...]) -> Any:
    _scalar_f(raw[0], "grad")
    return _grad(raw, xs)


def _jac(raw: tuple, xs: tuple[int, ...]) -> Any:
    return result(raw[1].reshape(shape_of(raw[0]) + xs))


def _hess(raw: tuple, xs: tuple[int, ...]) -> Any:
    h = raw[2]
    return h if len(xs) == 1 and h.shape[0] == xs[0] else result(h.reshape(xs + xs))


def _grads(raw: tuple, xs: tuple[int, ...]) -> Any:
    g = raw[1]
    return g.reshape(g.shape[:1] + xs)


def _jacs(raw: tuple, xs: tuple[int, ...]) -> Any:
    j = raw[1]
    return j.reshape(j.shape[:-1] + xs)


def _hesss(raw: tuple, xs: tuple[int, ...]) -> Any:
    h = raw[2]
    return h.reshape(h.shape[:1] + xs + xs)


# Each transform: name, kernel, how its result is read from the kernel's output (and from
# the stacked output of many points, where the transform has a batched form).
_T = Transform
TRANSFORMS: dict[str, Transform] = {t.name: t for t in (
    _T("derivative", "jvp", lambda r, xs: result(r[1]), unit=True,
       scalar_x="dd.jacobian, or dd.jvp(f, x, np.ones_like(x)) for an elementwise function",
       read_many=lambda r, xs: r[1]),
    _T("second_derivative", "second", lambda r, xs: result(r[1]), scalar_x="dd.hessian",
       read_many=lambda r, xs: r[1]),
    _T("grad", "gradient", _checked_grad, read_many=_grads),
    _T("value_and_grad", "gradient", lambda r, xs: (_scalar_f(r[0], "grad"), _grad(r, xs)),
       read_many=lambda r, xs: (r[0], _grads(r, xs))),
    _T("jacobian", "jacobian", _jac, read_many=_jacs),
    _T("value_and_jacobian", "jacobian", lambda r, xs: (result(r[0]), _jac(r, xs)),
       read_many=lambda r, xs: (r[0], _jacs(r, xs))),
    _T("hessian", "hessian", _hess, read_many=_hesss),
    _T("value_grad_hessian", "hessian", lambda r, xs: (result(r[0]), _grad(r, xs), _hess(r, xs)),
       read_many=lambda r, xs: (r[0], _grads(r, xs), _hesss(r, xs))),
    _T("jvp", "jvp", lambda r, xs: (result(r[0]), result(r[1])), direction=True),
    _T("hvp", "hvp", lambda r, xs: result(r[1].reshape(xs)), direction=True),
)}

_F64 = np.dtype(np.float64)


def _transform(name: str, f: Function, chunk: int | None, engine: str, executor: Any = None) -> Function:
    """The function ``dd.<name>(f, chunk=chunk, engine=engine, executor=executor)`` stands for.

    It keeps a plan per (input shape, nested or not): the first call at a shape builds
    it; later calls with a float64 array of a known shape and no keyword arguments take
    the plan's shortcut (for the numba engine: straight into the compiled driver).
    Transforms with a batched form (see ``Transform.read_many``) of a numba function get a
    ``batched(X, *args)`` attribute: the results at every row of X from one compiled,
    parallel loop (``dd.vmap`` uses it; see ``docs/scaling.md``).
    """
    t = TRANSFORMS[name]
    _checks.function(f, name)
    _checks.engine(engine)
    chunk = _checks.chunk(chunk)
    executor = _executor.check(executor)
    if engine == "numba" and not _checks.is_numba(f):
        raise TypeError(f"engine='numba' needs a @numba.njit function, got {type(f).__name__}")
    plans: dict[tuple[tuple[int, ...], bool], Plan] = {}
    shortcuts: dict[tuple[int, ...], Callable[[np.ndarray, tuple], Any]] = {}

    def general(x: Any, args: tuple, kwargs: dict) -> Any:
        x = _checks.input_point(x, name)
        key = (shape_of(x), _checks.holds_duals(x))
        p = plans.get(key)
        if p is None:
            p = plans[key] = Plan(t, f, x, chunk=chunk, engine=engine, executor=executor)
        value = p.run_checked(x, None, args, kwargs)
        if type(x) is np.ndarray and x.dtype is _F64 and not kwargs and x.shape not in shortcuts:
            fast = p.fast()  # after a first successful call: compiled, checked
            if fast is not None:
                shortcuts[x.shape] = fast
        return value

    def transformed(x: Any, *args: Any, **kwargs: Any) -> Any:
        if type(x) is np.ndarray and x.dtype is _F64 and not kwargs:
            fast = shortcuts.get(x.shape)
            if fast is not None:
                return fast(x, args)
        return general(x, args, kwargs)

    # updated=(): never copy a dispatcher's __dict__ (its py_func would make another
    # transform differentiate f instead of this derivative of f)
    functools.update_wrapper(transformed, f, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                             updated=())
    transformed.plans = plans  # type: ignore[attr-defined]
    if t.read_many is not None and executor is None and engine != "python" and _checks.is_numba(f):
        transformed.batched = _batched(transformed, t, f, plans, chunk, engine)  # type: ignore[attr-defined]
    return transformed


def _batched(transformed: Function, t: Transform, f: Function, plans: dict, chunk: int | None,
             engine: str) -> Callable[..., Any]:
    """``transformed.batched(X, *args)``: the batched protocol of ``dd.vmap``."""

    def batched(X: Any, *args: Any) -> Any:
        """The results at X[0], X[1], ... stacked on a new leading axis (tuples element-wise),
        bit for bit what stacking the per-point calls gives, from one compiled loop over the
        points, parallel across cores (``dd.vmap`` calls it).  X: an array of shape
        (N,) + x.shape; args go to f at every point."""
        if isinstance(X, np.ndarray) and X.dtype == object:  # dual numbers: point by point
            return _stack([transformed(x, *args) for x in X], X.shape[1:])
        X = _checks.real_array(X, f"{t.name}.batched", "X")
        if X.ndim == 0:
            raise ValueError(f"{t.name}.batched maps over the leading axis of X, but X is a single number")
        xs = X.shape[1:]
        p = plans.get((xs, False))
        if p is None:
            p = plans[(xs, False)] = Plan(t, f, np.zeros(xs)[()], chunk=chunk, engine=engine)
        return p.run_batched(X, *args)

    batched.__name__ = batched.__qualname__ = f"{getattr(f, '__name__', 'f')}_{t.name}_batched"
    return batched


def _stack(results: list[Any], xs: tuple[int, ...]) -> Any:
    if results and isinstance(results[0], tuple):
        return tuple(np.stack(c) for c in zip(*results, strict=True))
    return np.stack(results)


def derivative(f: Function, *, engine: str = "auto") -> Function:
    """f'(x) for f: R -> R^m (any output shape), by one dual-number pass.

    f(x + ε) = f(x) + f'(x)·ε exactly (ε² = 0), so the ε part of the output is f'(x).
    """
    return _transform("derivative", f, None, engine)


def second_derivative(f: Function, *, engine: str = "auto") -> Function:
    """f''(x) for f: R -> R^m, exactly, from one hyper-dual pass (ε1 = ε2 = 1)."""
    return _transform("second_derivative", f, None, engine)


def grad(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """∇f(x) for scalar f, shaped like x: ∂f/∂x_i from the ε parts of seeded passes."""
    return _transform("grad", f, chunk, engine)


def value_and_grad(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """(f(x), ∇f(x)) from the same passes."""
    return _transform("value_and_grad", f, chunk, engine)


def jacobian(f: Function, *, chunk: int | None = None, engine: str = "auto",
             executor: Any = None) -> Function:
    """J[i..., j...] = ∂f(x)[i...]/∂x[j...], shape f(x).shape + x.shape.

    ``executor=``: a ``concurrent.futures.Executor`` (thread or process pool, dask's
    ``Client.get_executor()``) that runs the passes (chunks of ``chunk`` columns) as tasks;
    the result equals the local one with the same chunk bit for bit.  Without ``chunk=``,
    chunks are made small enough that every worker gets one.  See ``docs/scaling.md``.
    """
    return _transform("jacobian", f, chunk, engine, executor)


def value_and_jacobian(f: Function, *, chunk: int | None = None, engine: str = "auto",
                       executor: Any = None) -> Function:
    """(f(x), J(x)) from the same passes (``executor=`` as for :func:`jacobian`)."""
    return _transform("value_and_jacobian", f, chunk, engine, executor)


def hessian(f: Function, *, chunk: int | None = None, engine: str = "auto",
            executor: Any = None) -> Function:
    """∇²f(x) for scalar f, shape x.shape + x.shape, exactly symmetric.

    Hyper-dual passes with ε1 = e_i, ε2 = e_j give ∂²f/∂x_i∂x_j in the ε1ε2 part;
    only the upper triangle of blocks is evaluated and then mirrored.

    ``executor=``: the passes as tasks on a ``concurrent.futures.Executor`` (per column
    block), as for :func:`jacobian`.
    """
    return _transform("hessian", f, chunk, engine, executor)


def value_grad_hessian(f: Function, *, chunk: int | None = None, engine: str = "auto",
                       executor: Any = None) -> Function:
    """(f(x), ∇f(x), ∇²f(x)) from the Hessian passes alone (the ε1 parts of the
    diagonal blocks are the gradient); ``executor=`` as for :func:`hessian`."""
    return _transform("value_grad_hessian", f, chunk, engine, executor)


def jvp(f: Function, x: Any, v: Any, *args: Any, engine: str = "auto", **kwargs: Any) -> tuple[Any, Any]:
    """(f(x), J(x)·v): the directional derivative of f along v, in one dual pass."""
    return Plan.of(TRANSFORMS["jvp"], f, x, engine=engine).run(x, v, args, kwargs)


def hvp(f: Function, x: Any, v: Any, *args: Any, chunk: int | None = None, engine: str = "auto",
        **kwargs: Any) -> Any:
    """H(x)·v for scalar f without forming H: hyper-dual passes with ε1 = v, ε2 = e_j
    give (H·v)_j = vᵀ H e_j in the ε1ε2 part."""
    return Plan.of(TRANSFORMS["hvp"], f, x, chunk=chunk, engine=engine).run(x, v, args, kwargs)


def _batched_partial(name: str) -> Callable[..., Any]:
    """``dd.jvp.batched_partial`` / ``dd.hvp.batched_partial``: how ``dd.vmap`` batches
    ``functools.partial(dd.jvp, f)`` (a function of one point ``(x, v, *args)``).

    ``batched_partial(bound, keywords, mapped)``, with ``bound`` the partial's positional
    arguments (``(f,)``), ``keywords`` its keyword arguments and ``mapped`` one flag per
    argument after x (is it mapped over points?), returns ``batched(X, args)`` or None
    where there is no compiled loop (not a numba function, the Python engine, mapped extra
    arguments of f, other bound arguments).  ``batched(X, (V, *f_args))`` returns the
    per-point results stacked, bit for bit: V of X's shape (a direction per point) when
    ``mapped[0]``, else one direction of a point's shape shared by all.
    """
    t = TRANSFORMS[name]
    allowed = {"engine", "chunk"} if name == "hvp" else {"engine"}

    def batched_partial(bound: tuple, keywords: dict, mapped: tuple[bool, ...]) -> Callable[..., Any] | None:
        if len(bound) != 1 or not set(keywords) <= allowed or not mapped or any(mapped[1:]):
            return None
        f, engine, chunk = bound[0], keywords.get("engine", "auto"), keywords.get("chunk")
        if engine == "python" or not _checks.is_numba(f):
            return None
        v_mapped = mapped[0]

        def batched(X: Any, args: tuple) -> Any:
            V, f_args = args[0], args[1:]
            X = _checks.real_array(X, f"vmap of dd.{name}", "X")
            xs = X.shape[1:]
            p = Plan.of(t, f, np.zeros(xs), chunk=chunk, engine=engine)
            if not (p.engine.name == "numba" and not p.nested and p.executor is None):
                raise TypeError(f"no compiled loop for dd.{name} of {getattr(f, '__name__', 'f')}")
            if v_mapped:
                V = _checks.real_array(V, f"vmap of dd.{name}", "v")
                if V.shape != X.shape:
                    raise ValueError(f"dd.{name} needs v with the shape of x {xs}, got {V.shape[1:]} per point")
            else:
                v = _checks.direction(_zeros_point(xs), V, name)
                V = np.broadcast_to(np.asarray(v, dtype=np.float64), X.shape)
            raw = p.runner.batched(X, f_args, V=V)
            return (raw[0], raw[1]) if name == "jvp" else raw[1].reshape(X.shape)

        return batched

    return batched_partial


def _zeros_point(xs: tuple[int, ...]) -> Any:
    """A point of shape xs (zeros), as the direction checks compare shapes with it."""
    return np.zeros(xs)[()]


jvp.batched_partial = _batched_partial("jvp")  # type: ignore[attr-defined]
hvp.batched_partial = _batched_partial("hvp")  # type: ignore[attr-defined]


def plan(transform: str, f: Function, x: Any, *, chunk: int | None = None, engine: str = "auto",
         executor: Any = None) -> Plan:
    """A :class:`~dualdiff.plans.Plan` of ``transform`` (a name in :data:`TRANSFORMS`) for f
    at inputs shaped like x: hold it to reuse its engine choice, chunk and compiled driver,
    and to write results into your own arrays (``plan(x, out=buf)``)."""
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}; one of {sorted(TRANSFORMS)}")
    return Plan(TRANSFORMS[transform], f, x, chunk=chunk, engine=engine, executor=executor)
