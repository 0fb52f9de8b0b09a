"""The Python (numpy-vectorised) engine: f runs on dual and hyper-dual numbers whose
components are numpy arrays, once per pass; a pass carries k seed directions.

Seeds are matrices.  A first-order pass seeds x with a block S (n × k) of a seed matrix
and reads J·S from the ε part of f's output; a second-order pass seeds ε1 with S1 and ε2
with S2 and reads S1ᵀ·∇²f·S2 from the ε1ε2 part.  The identity in column chunks gives
Jacobians and gradients, its upper-triangle block pairs Hessians, a direction v gives
J·v (jvp) and vᵀ·∇²f (hvp), and a colouring gives compressed sparse passes.

Every pass gets its own copy of x and a fresh tag (nested transforms stay apart); f runs
under the user's own floating-point settings, and NaN-safety lives in the numbers'
arithmetic (``dualdiff.jet.scale``), so nothing outside a pass changes during it.
"""

from __future__ import annotations

import math as _std_math
import types as _pytypes
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._checks import is_numba, scalar_output
from .._messages import conversion_error
from ..dual import Dual
from ..hyperdual import HyperDual
from ..jet import (
    Jet,
    as_constant,
    new_tag,
    quiet_partials,
    shape_of,
    to_object_array,
    went_through_object_array,
)

Function = Callable[..., Any]

# Default seed directions per pass.  Every numpy intermediate of f carries its value
# size times the number of directions (k for duals, k1·k2 for hyper-duals).
# First order: one pass is fastest while an n-vector intermediate stays under
# FIRST_ORDER_BUDGET floats.  Second order (k x k Hessian blocks, b(b+1)/2 passes for
# b = ceil(n/k) blocks): measured on vectorised Rosenbrock (benchmarks/bench_numpy.py),
# n = 100: k = 10 takes 8 ms, k = 16 18 ms (temporaries above glibc's 128 KiB mmap
# threshold cost page faults); n = 1000: k = 4 9.1 s, 8 4.3 s, 16 3.0 s, 32 7.8 s.
# With k² <= n for large n, a pass holds O(n·k²) <= O(n²) floats.
FIRST_ORDER_BUDGET = 1 << 18   # floats per n-vector intermediate (2 MiB)
# Once f is seen to turn its input into an object array of scalar duals (np.asarray(x), as
# scipy.optimize.rosen does), every operation runs once per element in Python, and its
# cost hardly depends on how many directions the element carries (k = 8 or k = 1000:
# measured, docs/supported-functions.md): the remaining passes carry as many directions as
# OBJECT_ARRAY_BUDGET floats per n-element intermediate allow (32 MiB; rosen keeps about
# five alive: ~160 MB of partials).
OBJECT_ARRAY_BUDGET = 1 << 22


def default_chunk(n: int, order: int) -> int:
    """Seed directions per pass for an input of n elements (order 1: Jacobian columns,
    order 2: the side of a Hessian block)."""
    n = max(n, 1)
    if order == 1:
        return min(n, max(8, FIRST_ORDER_BUDGET // n))
    if n <= 12:
        return n
    return 10 if n <= 200 else 16


def object_array_chunk(n: int, order: int, k: int) -> int:
    """Seed directions per pass (at least k) once f is known to compute on an object array
    of scalar duals: n·k ≤ OBJECT_ARRAY_BUDGET floats for order 1, n·k² for order 2 (the
    ε1ε2 part of a k × k Hessian block)."""
    n = max(n, 1)
    room = OBJECT_ARRAY_BUDGET // n
    return max(k, min(n, room if order == 1 else _std_math.isqrt(room)))


# -- seeds -----------------------------------------------------------------------------------

def blocks(n: int, k: int) -> list[tuple[int, int]]:
    """Column ranges [j0, j1) of width k covering n columns."""
    return [(j, min(j + k, n)) for j in range(0, n, k)]


def seed_block(shape: tuple[int, ...], S: np.ndarray | None, j0: int, j1: int, directional: bool) -> Any:
    """Columns j0..j1-1 of the seed matrix S (None: the identity), shaped for x: with a
    trailing direction axis (``shape + (j1 - j0,)``), or without one (a single column)."""
    n = int(np.prod(shape, dtype=np.int64))
    if S is None:
        e = np.zeros((n, j1 - j0))
        e[np.arange(j0, j1), np.arange(j1 - j0)] = 1.0
    else:
        e = np.array(S[:, j0:j1], dtype=np.float64)
    if directional:
        return e.reshape(shape + (j1 - j0,))
    return e[:, 0].reshape(shape)[()] if shape else np.float64(e[0, 0])


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


# -- one pass ----------------------------------------------------------------------------------

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


def evaluate(f: Function, kind: type, x: Any, parts: tuple, ndir: int, args: tuple, kwargs: dict,
             trailing: list[tuple[int, ...]]) -> list[Any]:
    """One pass: f on x seeded with ``parts`` (a fresh tag), split into [value, partials...].

    f runs under the user's own floating-point error settings (``np.seterr``): only
    dualdiff's internal derivative products are computed quietly (``jet.quiet_partials``).
    """
    return _evaluate(f, kind, x, parts, ndir, args, kwargs, trailing)[0]


def _evaluate(f: Function, kind: type, x: Any, parts: tuple, ndir: int, args: tuple, kwargs: dict,
              trailing: list[tuple[int, ...]]) -> tuple[list[Any], bool]:
    """:func:`evaluate`, and whether f turned its seeded input into an object array."""
    quiet_partials()
    tag = new_tag()
    seeded = _seeded(kind, x, parts, tag, ndir)
    return _split(_call(f, seeded, args, kwargs), tag, kind, trailing), went_through_object_array(seeded)


def _empty_like_parts(value: Any, trailing: list[tuple[int, ...]]) -> list[Any]:
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
        return _empty_like_parts(out, trailing)  # constant for this differentiation
    if isinstance(out, (list, tuple)):
        out = np.array(out, dtype=object)  # numpy unpacks dual arrays into scalar duals
    if isinstance(out, np.ndarray) and out.dtype == object:
        pieces = [_split(e, tag, kind, trailing) for e in out.flat]
        if not pieces:
            return _empty_like_parts(np.zeros(out.shape), trailing)
        return [_stack([p[i] for p in pieces], out.shape) for i in range(1 + len(trailing))]
    c = as_constant(out)
    if c is None:
        raise TypeError(
            f"f must return a number, an array or a list of numbers, got {type(out).__name__}")
    return _empty_like_parts(c, trailing)


def _holds_jets(a: Any) -> bool:
    return isinstance(a, Jet) or (isinstance(a, np.ndarray) and a.dtype == object)


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


def _alloc(shape: tuple[int, ...], like: Any) -> np.ndarray:
    return np.zeros(shape, dtype=object if _holds_jets(like) else np.float64)


def _store(out: np.ndarray | None, shape: tuple[int, ...], part: Any) -> np.ndarray:
    """The result buffer (made on first use, promoted to object for nested numbers)."""
    if out is None:
        return _alloc(shape, part)
    if out.dtype != object and _holds_jets(part):
        return out.astype(object)
    return out


# -- the kernels: every transform reads its result from one of these ------------------------

def jacobian_product(f: Function, x: Any, S: np.ndarray | None, k: int, args: tuple, kwargs: dict
                     ) -> tuple[Any, Any]:
    """(f(x), J·S) with J·S of shape f(x).shape + (c,), S an (n, c) seed matrix (None: the
    identity, c = n), in passes of k columns of S."""
    shape = shape_of(x)
    c = int(np.prod(shape, dtype=np.int64)) if S is None else S.shape[1]
    k = min(k, max(c, 1))
    value, out = jacobian_columns(f, x, S, 0, c, k, args, kwargs)
    if out is None:  # no columns
        value = f(x, *args, **kwargs)
        out = np.zeros(shape_of(value) + (0,))
    return value, out


def jacobian_columns(f: Function, x: Any, S: np.ndarray | None, c0: int, c1: int, k: int, args: tuple,
                     kwargs: dict) -> tuple[Any, Any]:
    """(f(x), columns [c0, c1) of J·S, shape f(x).shape + (c1 - c0,)) in passes of k columns
    starting at c0: the passes of :func:`jacobian_product` with k = its chunk (c0 a multiple
    of k), alone (an executor task runs a range of them).  (None, None) for no columns."""
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    directional = k > 1
    # the default chunk widens once f turns out to compute on object arrays (see
    # OBJECT_ARRAY_BUDGET); a chunk the caller chose is kept
    widen = S is None and directional and k == default_chunk(n, 1)
    value = out = None
    j0 = c0
    while j0 < c1:
        j1 = min(j0 + k, c1)
        seed = seed_block(shape, S, j0, j1, directional)
        (value, eps), objects = _evaluate(f, Dual, x, (seed,), int(directional), args, kwargs,
                                          [(j1 - j0,)] if directional else [()])
        out = _store(out, shape_of(value) + (c1 - c0,), eps)
        if directional:
            out[..., j0 - c0:j1 - c0] = eps
        else:
            out[..., j0 - c0] = eps
        if widen and objects:
            k, widen = object_array_chunk(n, 1, k), False
        j0 = j1
    return value, out


def jvp(f: Function, x: Any, v: Any, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(f(x), J·v) in one pass with ε = v."""
    value, eps = evaluate(f, Dual, x, (_fresh(v),), 0, args, kwargs, [()])
    return value, eps


def hessian_blocks(f: Function, x: Any, k: int, args: tuple, kwargs: dict) -> tuple[Any, Any, Any]:
    """f(x), ∇f(x) (n,) and ∇²f(x) (n, n) from k × k blocks of the upper triangle (ε1 = one
    block of unit columns, ε2 another); mirrored, so exactly symmetric."""
    n = int(np.prod(shape_of(x), dtype=np.int64))
    k = min(k, max(n, 1))
    pairs = block_pairs(n, k)
    if len(pairs) > 1 and k > 1 and k == default_chunk(n, 2):
        # the default chunk widens once f turns out to compute on object arrays (see
        # OBJECT_ARRAY_BUDGET): the blocks are laid out anew, the first pass's block dropped
        value, first, objects = _hessian_pass(f, x, shape_of(x), pairs[0], True, args, kwargs)
        wide = object_array_chunk(n, 2, k) if objects else k
        if wide > k:
            k, pairs = wide, block_pairs(n, wide)
            value, parts = hessian_pairs(f, x, k, pairs, args, kwargs)
        else:
            value, parts = hessian_pairs(f, x, k, pairs[1:], args, kwargs)
            parts.insert(0, first)
        return assemble_hessian(f, x, n, k, value, parts, args, kwargs)
    value, parts = hessian_pairs(f, x, k, pairs, args, kwargs)
    return assemble_hessian(f, x, n, k, value, parts, args, kwargs)


def block_pairs(n: int, k: int) -> list[tuple[int, int, int, int]]:
    """The block pairs (i0, i1, j0, j1) of the Hessian's upper triangle, k × k blocks."""
    bl = blocks(n, k)
    return [(i0, i1, j0, j1) for bi, (i0, i1) in enumerate(bl) for (j0, j1) in bl[bi:]]


def hessian_pairs(f: Function, x: Any, k: int, pairs: list[tuple[int, int, int, int]], args: tuple,
                  kwargs: dict) -> tuple[Any, list[tuple[tuple[int, int, int, int], Any, Any]]]:
    """One hyper-dual pass per block pair (i0, i1, j0, j1): (f(x), [(pair, ε1 part (the
    gradient's entries i0..i1 where i0 == j0, else None), ε1ε2 part (the block))]).  f(x)
    is None for no pairs.  An executor task runs some of the pairs of :func:`hessian_blocks`."""
    shape = shape_of(x)
    value = None
    parts = []
    for pair in pairs:
        value, part, _ = _hessian_pass(f, x, shape, pair, k > 1, args, kwargs)
        parts.append(part)
    return value, parts


def _hessian_pass(f: Function, x: Any, shape: tuple[int, ...], pair: tuple[int, int, int, int],
                  directional: bool, args: tuple, kwargs: dict
                  ) -> tuple[Any, tuple[tuple[int, int, int, int], Any, Any], bool]:
    """The hyper-dual pass of one block pair: (f(x), (pair, ε1 part or None, ε1ε2 part),
    whether f turned its input into an object array)."""
    i0, i1, j0, j1 = pair
    e1, e2 = seed_block(shape, None, i0, i1, directional), seed_block(shape, None, j0, j1, directional)
    e12 = np.zeros(shape + ((i1 - i0, j1 - j0) if directional else ()))[()]
    trailing = [(i1 - i0,), (j1 - j0,), (i1 - i0, j1 - j0)] if directional else [(), (), ()]
    (value, eps1, _, eps12), objects = _evaluate(f, HyperDual, x, (e1, e2, e12), int(directional), args,
                                                 kwargs, trailing)
    scalar_output(value, "hessian")
    return value, (pair, eps1 if i0 == j0 else None, eps12), objects


def assemble_hessian(f: Function, x: Any, n: int, k: int, value: Any,
                     parts: list[tuple[tuple[int, int, int, int], Any, Any]], args: tuple, kwargs: dict
                     ) -> tuple[Any, Any, Any]:
    """(f(x), ∇f, ∇²f) from the passes of :func:`hessian_pairs` (all block pairs, in any
    order), the upper triangle mirrored."""
    directional = k > 1
    g = h = None
    for (i0, i1, j0, j1), eps1, eps12 in parts:
        h, g = _store(h, (n, n), eps12), _store(g, (n,), eps12)
        if directional:
            h[i0:i1, j0:j1] = eps12
        else:
            h[i0, j0] = eps12
        if eps1 is not None:
            g[i0:i1] = eps1
    if h is None:
        value = f(x, *args, **kwargs)
        scalar_output(value, "hessian")
        h, g = np.zeros((0, 0)), np.zeros(0)
    h = np.triu(h) + np.triu(h, 1).T  # mirror: exactly symmetric
    return value, g, h


def hessian_product(f: Function, x: Any, S1: np.ndarray, S2: np.ndarray | None, k: int, args: tuple,
                    kwargs: dict) -> tuple[Any, Any, Any]:
    """(f(x), ∇f·S1 (c1,), S1ᵀ·∇²f·S2 (c1, c2)): ε1 carries all c1 columns of S1, ε2 the
    columns of S2 (None: the identity) in passes of k."""
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    c1 = S1.shape[1]
    c2 = n if S2 is None else S2.shape[1]
    k = min(k, max(c2, 1))
    e1 = np.array(S1, dtype=np.float64).reshape(shape + (c1,))
    value = g = out = None
    for j0, j1 in blocks(c2, k):
        e2 = seed_block(shape, S2, j0, j1, True)
        e12 = np.zeros(shape + (c1, j1 - j0))
        value, eps1, _, eps12 = evaluate(f, HyperDual, x, (e1, e2, e12), 1, args, kwargs,
                                         [(c1,), (j1 - j0,), (c1, j1 - j0)])
        scalar_output(value, "hvp")
        out = _store(out, (c1, c2), eps12)
        out[:, j0:j1] = eps12
        g = eps1
    if out is None:
        value = f(x, *args, **kwargs)
        scalar_output(value, "hvp")
        g, out = np.zeros(c1), np.zeros((c1, 0))
    return value, g, out


def hvp(f: Function, x: Any, v: Any, k: int, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(f(x), ∇²f(x)·v flattened to (n,)): ε1 = v, ε2 = unit columns in chunks of k."""
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    k = min(k, max(n, 1))
    if isinstance(v, Jet) or _holds_jets(v):  # a direction of an outer differentiation
        return _hvp_nested(f, x, v, k, args, kwargs)
    value, _, hv = hessian_product(f, x, np.asarray(v, dtype=np.float64).reshape(n, 1), None, k, args, kwargs)
    return value, hv[0]


def _hvp_nested(f: Function, x: Any, v: Any, k: int, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    shape = shape_of(x)
    n = int(np.prod(shape, dtype=np.int64))
    directional = k > 1
    value = out = None
    for j0, j1 in blocks(n, k):
        e1 = v[..., None] if directional else v
        e2 = seed_block(shape, None, j0, j1, directional)
        e12 = np.zeros(shape + ((1, j1 - j0) if directional else ()))[()]
        trailing = [(1,), (j1 - j0,), (1, j1 - j0)] if directional else [(), (), ()]
        value, _, _, eps12 = evaluate(f, HyperDual, x, (_fresh(e1), e2, e12), int(directional), args,
                                      kwargs, trailing)
        scalar_output(value, "hvp")
        out = _store(out, (n,), eps12)
        if directional:
            out[j0:j1] = eps12[0]
        else:
            out[j0] = eps12
    return value, out


def second(f: Function, x: Any, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(f(x), f''(x)) for scalar x: one hyper-dual pass with ε1 = ε2 = 1."""
    one, zero = np.float64(1.0), np.float64(0.0)
    parts = evaluate(f, HyperDual, x, (one, one, zero), 0, args, kwargs, [(), (), ()])
    return parts[0], parts[3]


# -- numba functions on the Python engine -------------------------------------------------------

def python_function(f: Function, _seen: dict[int, Function] | None = None) -> Function:
    """f as plain Python: a numba dispatcher's ``py_func`` with the names it calls rebound
    (other njit functions to their own Python versions, the standard ``math`` module and
    its functions to :mod:`dualdiff.math`), so it runs on dual numbers.  Used for nested
    transforms over njit code and for ``engine="python"``."""
    if not is_numba(f):
        return f
    seen = {} if _seen is None else _seen
    if id(f) in seen:
        return seen[id(f)]
    from .. import math as dd_math

    py = f.py_func
    names = dict(py.__globals__)
    rebound = _pytypes.FunctionType(py.__code__, names, py.__name__, py.__defaults__, py.__closure__)
    rebound.__kwdefaults__ = py.__kwdefaults__
    rebound.__doc__, rebound.__qualname__, rebound.__module__ = py.__doc__, py.__qualname__, py.__module__
    seen[id(f)] = rebound
    for name in _names(py.__code__):
        g = names.get(name)
        if g is _std_math:
            names[name] = dd_math
        elif is_numba(g):
            names[name] = python_function(g, seen)
        elif getattr(g, "__module__", None) == "math" and hasattr(dd_math, getattr(g, "__name__", "")):
            names[name] = getattr(dd_math, g.__name__)
    return rebound


def _names(code: _pytypes.CodeType) -> Iterator[str]:
    """The global names a code object and the functions defined in it use."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, _pytypes.CodeType):
            yield from _names(const)
