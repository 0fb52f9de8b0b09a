"""JAX-style transforms: take a function, return a function computing its derivatives.

Every transform seeds dual (first order) or hyper-dual (second order) numbers on ``x``,
evaluates ``f`` once per chunk of seed directions, and reads the derivative parts of the
result.  Extra positional and keyword arguments of the returned function pass through
to ``f``.  Each call draws a fresh *tag*, so transforms nest correctly (see
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
``value_grad_hessian``     (f(x), ∇f(x), ∇²f(x)) from the Hessian passes alone
``jvp(f, x, v)``           (f(x), J·v) in one pass              ``f(x).shape`` each
``hvp(f, x, v)``           H·v without forming H                ``x.shape``
=========================  ===================================  ==========================

``chunk=k`` carries k seed directions per evaluation (Jacobian: k columns per pass;
Hessian: k × k blocks, upper triangle only, mirrored so the result is exactly symmetric).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ._messages import conversion_error
from .dual import Dual
from .hyperdual import HyperDual
from .jet import Jet, as_constant, new_tag, quiet_partials, shape_of, to_object_array

Function = Callable[..., Any]
ENGINES = ("auto", "python", "numba")

# Default seed directions per pass.  Every numpy intermediate of f carries its value
# size times the number of directions (k for duals, k1·k2 for hyper-duals).
# First order: one pass is fastest while an n-vector intermediate stays under
# FIRST_ORDER_BUDGET floats.  Second order (k x k Hessian blocks, b(b+1)/2 passes for
# b = ceil(n/k) blocks): measured on vectorised Rosenbrock (benchmarks/bench_numpy.py),
# n = 100: k = 10 takes 8 ms, k = 16 18 ms (temporaries above glibc's 128 KiB mmap
# threshold cost page faults); n = 1000: k = 4 9.1 s, 8 4.3 s, 16 3.0 s, 32 7.8 s.
# With k² <= n for large n, a pass holds O(n·k²) <= O(n²) floats.
FIRST_ORDER_BUDGET = 1 << 18   # floats per n-vector intermediate (2 MiB)


def default_chunk(n: int, order: int) -> int:
    """Seed directions per pass for an input of n elements (order 1: Jacobian columns,
    order 2: the side of a Hessian block)."""
    n = max(n, 1)
    if order == 1:
        return min(n, max(8, FIRST_ORDER_BUDGET // n))
    if n <= 12:
        return n
    return 10 if n <= 200 else 16


# -- inputs --------------------------------------------------------------------------------

def _as_input(x: Any, who: str) -> Any:
    """x as a float64 scalar/array, or unchanged if it holds duals (nested transforms)."""
    if isinstance(x, Jet):
        return x
    bad = f"{who} needs x to be a real float or an array of real floats, got "
    if isinstance(x, (str, bytes)) or x is None or isinstance(x, (dict, set)):
        raise TypeError(bad + type(x).__name__)
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(bad + "a bool")
    try:
        a = np.asarray(x)
    except Exception as exc:  # pragma: no cover - ragged lists etc.
        raise TypeError(bad + type(x).__name__) from exc
    kind = a.dtype.kind
    if kind in "iuf":
        a = a.astype(np.float64)
        return a[()] if a.ndim == 0 else a
    if kind == "O":
        for e in a.flat:
            if not isinstance(e, Jet) and as_constant(e) is None:
                raise TypeError(bad + f"an array holding {type(e).__name__}")
        return a
    if kind == "c":
        raise TypeError(bad + "complex numbers (dualdiff differentiates real functions)")
    if kind == "b":
        raise TypeError(bad + "booleans")
    raise TypeError(bad + f"an array of dtype {a.dtype}")


def _check_chunk(chunk: Any) -> int | None:
    if chunk is None:
        return None
    if isinstance(chunk, (bool, np.bool_)) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer or None, got {chunk!r}")
    return int(chunk)


def _check_engine(f: Any, engine: str) -> Function:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if not callable(f):
        raise TypeError(f"expected a function to differentiate, got {type(f).__name__}")
    # on the Python engine a numba dispatcher runs through its Python source
    return f.py_func if _is_numba(f) else f


def _is_numba(f: Any) -> bool:
    """True for a numba ``@njit`` dispatcher (without importing numba for other users)."""
    nb = sys.modules.get("numba")
    return nb is not None and isinstance(f, nb.core.registry.CPUDispatcher)


def _numba_route(name: str, f: Any, engine: str, chunk: int | None,
                 python: Callable[[Function], Function]) -> Function | None:
    """The numba engine's version of transform ``name`` when it applies, else None.

    engine="auto" picks it for numba dispatchers; their nested use (x holding duals of
    an outer transform) runs ``f.py_func`` on the Python engine instead, since compiled
    code cannot carry the outer tags.  engine="numba" insists (and raises if it cannot).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if not (engine == "numba" or (engine == "auto" and _is_numba(f))):
        return None
    from . import jit

    fast = jit.transform(name, f, chunk=chunk)  # validates f and chunk now
    if engine == "numba":
        return fast
    slow = python(f.py_func)
    target = getattr(jit, name)

    def general(x: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(x, Jet) or (isinstance(x, np.ndarray) and x.dtype == object):
            return slow(x, *args, **kwargs)
        return fast(x, *args, **kwargs)  # keyword arguments raise: numba passes them positionally

    f64 = np.dtype(np.float64)
    if name == "grad":
        fast_grad = jit.grad_function(f, chunk)

        def routed(x: Any, *args: Any, **kwargs: Any) -> Any:
            if type(x) is np.ndarray and x.dtype is f64 and not kwargs:  # the hot path
                return fast_grad(x, *args)
            return general(x, *args, **kwargs)
    elif name in jit.CHUNKED:
        def routed(x: Any, *args: Any, **kwargs: Any) -> Any:
            if type(x) is np.ndarray and x.dtype is f64 and not kwargs:  # the hot path: no layers
                return target(f, x, *args, chunk=chunk)
            return general(x, *args, **kwargs)
    else:
        def routed(x: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(x, (float, np.ndarray)) and not kwargs and not isinstance(x, Jet):
                return target(f, x, *args)
            return general(x, *args, **kwargs)

    functools.update_wrapper(routed, f, updated=())
    return routed


def _blocks(n: int, chunk: int) -> list[tuple[int, int]]:
    return [(j, min(j + chunk, n)) for j in range(0, n, chunk)]


def _seed(shape: tuple[int, ...], j0: int, j1: int, directional: bool) -> Any:
    """Unit seeds for columns j0..j1-1 of x (flattened), with or without a direction axis."""
    n = int(np.prod(shape, dtype=np.int64))
    if directional:
        e = np.zeros((n, j1 - j0))
        e[np.arange(j0, j1), np.arange(j1 - j0)] = 1.0
        return e.reshape(shape + (j1 - j0,))
    e = np.zeros(n)
    e[j0] = 1.0
    return e.reshape(shape)[()] if shape else np.float64(1.0)


def _call(f: Function, x: Jet, args: tuple, kwargs: dict) -> Any:
    try:
        return f(x, *args, **kwargs)
    except Exception as exc:
        if type(exc).__name__ == "TypingError" and "Cannot determine Numba type of <class 'dualdiff." in str(exc):
            raise TypeError(
                "f calls a numba @njit function with dual numbers of the Python engine, which "
                "compiled code cannot carry; differentiate the njit function itself (dd.grad(g) "
                "with g the @njit function runs the numba engine), or call g.py_func inside f") from exc
        explained = conversion_error(exc)  # a dual met float-only code: say what and the fix
        if explained is not None:
            raise explained from exc
        raise


def _fresh(a: Any) -> Any:
    """A private copy of an input array for one pass (scalars as they are)."""
    return a.copy() if isinstance(a, (np.ndarray, Jet)) else a


def _seeded(kind: type, x: Any, parts: tuple, tag: int, ndir: int) -> Jet:
    """x seeded with the partials ``parts`` as a number of ``kind`` that owns its arrays.

    The value is copied for every pass: f may write into its input in place, as it may on
    floats (``y = x[:]; y[0] = ...``), and must see the same x in every pass.  Owning its
    arrays, the seeded number writes through views exactly as a float array would.
    """
    jet = kind._new(_fresh(x), *parts, tag, ndir)
    jet._owned = shape_of(x) != ()
    return jet


def _evaluate(f: Function, seeded: Callable[[int], Jet], args: tuple, kwargs: dict, kind: type,
              trailing: list[tuple[int, ...]]) -> list[Any]:
    """Run one pass of f on freshly seeded numbers and split the output into its parts.

    f runs under the user's own floating-point error settings (``np.seterr``): only
    dualdiff's internal derivative products are computed quietly (see ``jet.scale``).
    """
    quiet_partials()
    tag = new_tag()
    return _split(_call(f, seeded(tag), args, kwargs), tag, kind, trailing)


# -- outputs -------------------------------------------------------------------------------

def _empty_like_parts(kind: type, value: Any, trailing: list[tuple[int, ...]]) -> list[Any]:
    shape = shape_of(value)
    return [value] + [np.zeros(shape + t)[()] for t in trailing]


def _split(out: Any, tag: int, kind: type, trailing: list[tuple[int, ...]]) -> list[Any]:
    """The components [value, partials...] of f's output for the differentiation ``tag``."""
    if isinstance(out, Jet):
        if out.tag == tag:
            if type(out) is not kind:
                raise TypeError(f"f returned a {type(out).__name__} where a {kind.__name__} was seeded")
            return [p for p, _ in out._parts()]
        if out.tag > tag:
            raise ValueError(
                "f returned a dual number of another, inner differentiation: a perturbation "
                "leaked out of the function that created it (stored in a global, a closure "
                "or a cache?)")
        return _empty_like_parts(kind, out, trailing)  # constant for this differentiation
    if isinstance(out, (list, tuple)):
        out = np.array(out, dtype=object)  # numpy unpacks dual arrays into scalar duals
    if isinstance(out, np.ndarray) and out.dtype == object:
        pieces = [_split(e, tag, kind, trailing) for e in out.flat]
        if not pieces:
            return _empty_like_parts(kind, np.zeros(out.shape), trailing)
        return [_stack([p[i] for p in pieces], out.shape) for i in range(1 + len(trailing))]
    c = as_constant(out)
    if c is None:
        raise TypeError(
            f"f must return a number, an array or a list of numbers, got {type(out).__name__}")
    return _empty_like_parts(kind, c, trailing)


def _stack(items: list[Any], shape: tuple[int, ...]) -> Any:
    """Stack per-element components into an array of ``shape`` + their own shape."""
    if not any(_holds_jets(i) for i in items):
        return np.array(items, dtype=np.float64).reshape(shape + shape_of(items[0]))
    objs = [to_object_array(i) for i in items]
    inner = shape_of(objs[0])
    out = np.empty((len(objs),) + inner, dtype=object)
    for i, o in enumerate(objs):
        if inner:
            out[i] = o
        else:
            out[i] = o if not isinstance(o, np.ndarray) else o[()]
    return out.reshape(shape + inner)


def _scalar_output(value: Any, who: str) -> None:
    if shape_of(value) != ():
        raise TypeError(
            f"{who} needs f to return a scalar, but f returned an array of shape "
            f"{shape_of(value)}; use dd.jacobian for vector-valued functions")


def _result(a: Any) -> Any:
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a


def _holds_jets(a: Any) -> bool:
    return isinstance(a, Jet) or (isinstance(a, np.ndarray) and a.dtype == object)


def _alloc(shape: tuple[int, ...], like: Any) -> np.ndarray:
    return np.zeros(shape, dtype=object if _holds_jets(like) else np.float64)


# -- first order -----------------------------------------------------------------------------

def _jacobian_passes(f: Function, x: Any, args: tuple, kwargs: dict, chunk: int | None) -> tuple[Any, Any]:
    """f(x) and its Jacobian with columns flattened: shape f(x).shape + (x.size,)."""
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    k = min(chunk or default_chunk(n, 1), max(n, 1))
    directional = k > 1
    value = jac = None
    for j0, j1 in _blocks(n, k):
        seed = _seed(shape, j0, j1, directional)
        trailing = [(j1 - j0,)] if directional else [()]
        value, eps = _evaluate(f, lambda tag: _seeded(Dual, x, (seed,), tag, int(directional)), args, kwargs,
                               Dual, trailing)
        if jac is None:
            jac = _alloc(shape_of(value) + (n,), eps)
        elif jac.dtype != object and _holds_jets(eps):
            jac = jac.astype(object)
        if directional:
            jac[..., j0:j1] = eps
        else:
            jac[..., j0] = eps
    if jac is None:  # x has no elements
        value = f(x, *args, **kwargs)
        jac = np.zeros(shape_of(value) + (0,))
    return value, jac


def derivative(f: Function, *, engine: str = "auto") -> Function:
    """f'(x) for f: R -> R^m (any output shape), by one dual-number pass.

    f(x + ε) = f(x) + f'(x)·ε exactly (ε² = 0), so the ε part of the output is f'(x).
    """
    routed = _numba_route("derivative", f, engine, None, lambda h: derivative(h, engine="python"))
    if routed is not None:
        return routed
    g = _check_engine(f, engine)

    @functools.wraps(f, updated=())
    def derivative_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        x = _as_input(x, "derivative")
        if shape_of(x) != ():
            raise TypeError(
                f"derivative needs a scalar x, got shape {shape_of(x)}; use dd.jacobian, "
                "or dd.jvp(f, x, np.ones_like(x)) for an elementwise function")
        one = np.float64(1.0)
        _, eps = _evaluate(g, lambda tag: _seeded(Dual, x, (one,), tag, 0), args, kwargs, Dual, [()])
        return _result(eps)

    return derivative_f


def grad(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """∇f(x) for scalar f, shaped like x: ∂f/∂x_i from the ε parts of seeded passes."""
    routed = _numba_route("grad", f, engine, chunk, lambda h: grad(h, chunk=chunk, engine="python"))
    if routed is not None:
        return routed
    vg = value_and_grad(f, chunk=chunk, engine=engine)

    @functools.wraps(f, updated=())
    def grad_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        return vg(x, *args, **kwargs)[1]

    return grad_f


def value_and_grad(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """(f(x), ∇f(x)) from the same passes."""
    routed = _numba_route("value_and_grad", f, engine, chunk,
                          lambda h: value_and_grad(h, chunk=chunk, engine="python"))
    if routed is not None:
        return routed
    g, chunk = _check_engine(f, engine), _check_chunk(chunk)

    @functools.wraps(f, updated=())
    def value_and_grad_f(x: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        x = _as_input(x, "grad")
        value, jac = _jacobian_passes(g, x, args, kwargs, chunk)
        _scalar_output(value, "grad")
        return _result(value), _result(jac.reshape(shape_of(x)))

    return value_and_grad_f


def jacobian(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """J[i..., j...] = ∂f(x)[i...]/∂x[j...], shape f(x).shape + x.shape."""
    routed = _numba_route("jacobian", f, engine, chunk, lambda h: jacobian(h, chunk=chunk, engine="python"))
    if routed is not None:
        return routed
    g, chunk = _check_engine(f, engine), _check_chunk(chunk)

    @functools.wraps(f, updated=())
    def jacobian_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        x = _as_input(x, "jacobian")
        value, jac = _jacobian_passes(g, x, args, kwargs, chunk)
        return _result(jac.reshape(shape_of(value) + shape_of(x)))

    return jacobian_f


def _check_direction(x: Any, v: Any, who: str) -> Any:
    if not isinstance(v, Jet):
        v = _as_input(v, who)
    if shape_of(v) != shape_of(x):
        raise ValueError(f"{who} needs v with the shape of x {shape_of(x)}, got {shape_of(v)}")
    return v


def jvp(f: Function, x: Any, v: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """(f(x), J(x)·v): the directional derivative of f along v, in one dual pass."""
    if _is_numba(f) and not isinstance(x, Jet) and not kwargs:
        from . import jit

        return jit.jvp(f, x, v, *args)
    g = _check_engine(f, "auto")
    x = _as_input(x, "jvp")
    v = _check_direction(x, v, "jvp")
    value, eps = _evaluate(g, lambda tag: _seeded(Dual, x, (_fresh(v),), tag, 0), args, kwargs, Dual, [()])
    return _result(value), _result(eps)


# -- second order --------------------------------------------------------------------------

def second_derivative(f: Function, *, engine: str = "auto") -> Function:
    """f''(x) for f: R -> R^m, exactly, from one hyper-dual pass (ε1 = ε2 = 1)."""
    routed = _numba_route("second_derivative", f, engine, None,
                          lambda h: second_derivative(h, engine="python"))
    if routed is not None:
        return routed
    g = _check_engine(f, engine)

    @functools.wraps(f, updated=())
    def second_derivative_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        x = _as_input(x, "second_derivative")
        if shape_of(x) != ():
            raise TypeError(f"second_derivative needs a scalar x, got shape {shape_of(x)}; use dd.hessian")
        one, zero = np.float64(1.0), np.float64(0.0)
        parts = _evaluate(g, lambda tag: _seeded(HyperDual, x, (one, one, zero), tag, 0), args, kwargs,
                          HyperDual, [(), (), ()])
        return _result(parts[3])

    return second_derivative_f


def _hessian_passes(f: Function, x: Any, args: tuple, kwargs: dict, chunk: int | None
                    ) -> tuple[Any, Any, Any]:
    """f(x), ∇f(x) and ∇²f(x) (flattened to (n,), (n, n)) from upper-triangle blocks."""
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    k = min(chunk or default_chunk(n, 2), max(n, 1))
    directional = k > 1
    blocks = _blocks(n, k)
    value = g = h = None
    for bi, (i0, i1) in enumerate(blocks):
        for (j0, j1) in blocks[bi:]:
            e1, e2 = _seed(shape, i0, i1, directional), _seed(shape, j0, j1, directional)
            e12 = np.zeros(shape + ((i1 - i0, j1 - j0) if directional else ()))[()]
            trailing = [(i1 - i0,), (j1 - j0,), (i1 - i0, j1 - j0)] if directional else [(), (), ()]
            value, eps1, _, eps12 = _evaluate(
                f, lambda tag: _seeded(HyperDual, x, (e1, e2, e12), tag, int(directional)), args, kwargs,
                HyperDual, trailing)
            _scalar_output(value, "hessian")
            if h is None:
                h, g = _alloc((n, n), eps12), _alloc((n,), eps1)
            elif h.dtype != object and _holds_jets(eps12):
                h, g = h.astype(object), g.astype(object)
            if directional:
                h[i0:i1, j0:j1] = eps12
            else:
                h[i0, j0] = eps12
            if i0 == j0:
                g[i0:i1] = eps1
    if h is None:
        value = f(x, *args, **kwargs)
        _scalar_output(value, "hessian")
        h, g = np.zeros((0, 0)), np.zeros(0)
    upper = np.triu(h)
    h = upper + np.triu(h, 1).T  # mirror: exactly symmetric
    return value, g, h


def hessian(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """∇²f(x) for scalar f, shape x.shape + x.shape, exactly symmetric.

    Hyper-dual passes with ε1 = e_i, ε2 = e_j give ∂²f/∂x_i∂x_j in the ε1ε2 part;
    only the upper triangle of blocks is evaluated and then mirrored.
    """
    routed = _numba_route("hessian", f, engine, chunk, lambda h: hessian(h, chunk=chunk, engine="python"))
    if routed is not None:
        return routed
    vgh = value_grad_hessian(f, chunk=chunk, engine=engine)

    @functools.wraps(f, updated=())
    def hessian_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        return vgh(x, *args, **kwargs)[2]

    return hessian_f


def value_grad_hessian(f: Function, *, chunk: int | None = None, engine: str = "auto") -> Function:
    """(f(x), ∇f(x), ∇²f(x)) from the Hessian passes alone (the ε1 parts of the
    diagonal blocks are the gradient)."""
    routed = _numba_route("value_grad_hessian", f, engine, chunk,
                          lambda h: value_grad_hessian(h, chunk=chunk, engine="python"))
    if routed is not None:
        return routed
    g, chunk = _check_engine(f, engine), _check_chunk(chunk)

    @functools.wraps(f, updated=())
    def value_grad_hessian_f(x: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        x = _as_input(x, "hessian")
        shape = shape_of(x)
        value, gr, h = _hessian_passes(g, x, args, kwargs, chunk)
        return _result(value), _result(gr.reshape(shape)), _result(h.reshape(shape + shape))

    return value_grad_hessian_f


def hvp(f: Function, x: Any, v: Any, *args: Any, chunk: int | None = None, **kwargs: Any) -> Any:
    """H(x)·v for scalar f without forming H: hyper-dual passes with ε1 = v, ε2 = e_j
    give (H·v)_j = vᵀ H e_j in the ε1ε2 part."""
    if _is_numba(f) and not isinstance(x, Jet) and not kwargs:
        from . import jit

        return jit.hvp(f, x, v, *args, chunk=chunk)
    g, chunk = _check_engine(f, "auto"), _check_chunk(chunk)
    x = _as_input(x, "hvp")
    v = _check_direction(x, v, "hvp")
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    k = min(chunk or default_chunk(n, 1), max(n, 1))
    directional = k > 1
    out = None
    for j0, j1 in _blocks(n, k):
        e1 = (v[..., None] if isinstance(v, Jet) else np.asarray(v)[..., None]) if directional else v
        e2 = _seed(shape, j0, j1, directional)
        e12 = np.zeros(shape + ((1, j1 - j0) if directional else ()))[()]
        trailing = [(1,), (j1 - j0,), (1, j1 - j0)] if directional else [(), (), ()]
        value, _, _, eps12 = _evaluate(
            g, lambda tag: _seeded(HyperDual, x, (_fresh(e1), e2, e12), tag, int(directional)), args, kwargs,
            HyperDual, trailing)
        _scalar_output(value, "hvp")
        if out is None:
            out = _alloc((n,), eps12)
        if directional:
            out[j0:j1] = eps12[0]
        else:
            out[j0] = eps12
    if out is None:
        out = np.zeros(0)
    return _result(out.reshape(shape))
