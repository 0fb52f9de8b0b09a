"""Jitted drivers: seed jets on x, call the user's njit function per chunk, collect floats.

A driver is compiled per (user function, transform, jet type) and cached in a dict keyed
on the dispatcher, so a call from Python costs one dict lookup and one dispatcher call.
The user's function is a compile-time constant of the driver (a closure variable), so
the chain rule of every operation inlines into the passes.

Every driver also reports whether a partial came out NaN; the caller then repeats the
computation with the NaN-safe jet type (``docs/conventions.md``: inf * 0 partials of a
variable the value does not depend on are 0), as the Python engine does per pass.

The seeded input is handed to ``f`` as a *read-only* array, so the seeds can be updated
in place between passes; a function that writes into its input fails to compile that
way and gets a fresh copy of the seeded input per pass instead.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba.core import types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload

from . import _types as T
from ._types import DualType, HyperDualType, JetType, _is_real_number

SCALAR_OUTPUT_ERROR = "f must return a scalar"
OUTPUT_TYPE_ERROR = "f must return a number or an array of numbers"


# -- input ----------------------------------------------------------------------------------

@intrinsic
def readonly(typingctx: Any, a: Any) -> Any:
    """The same array typed read-only (numba then rejects writes at compile time)."""
    if not isinstance(a, types.Array):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return impl_ret_borrowed(context, builder, sig.return_type, args[0])
    return a.copy(readonly=True)(a), codegen


def prepare_readonly(xd, shape):
    """The seeded input as f receives it: xd read-only, reshaped to ``shape`` (None: as
    is, (): the scalar element)."""


def prepare_fresh(xd, shape):
    """As prepare_readonly, but a fresh writable copy (for functions writing into x)."""


def _prepare_overload(copy: bool) -> Any:
    def ol(xd, shape):
        if isinstance(shape, types.NoneType):
            if copy:
                return lambda xd, shape: xd.copy()
            return lambda xd, shape: readonly(xd)
        if isinstance(shape, types.BaseTuple) and len(shape) == 0:
            return lambda xd, shape: xd[0]
        if isinstance(shape, types.BaseTuple):
            if copy:
                return lambda xd, shape: xd.copy().reshape(shape)
            return lambda xd, shape: readonly(xd.reshape(shape))
        return None
    return ol


overload(prepare_readonly)(_prepare_overload(False))
overload(prepare_fresh)(_prepare_overload(True))


# -- output helpers (overloaded on what f returns) ------------------------------------------

def scalar_parts(out, tref):
    """(value, jet of tref's type) of a scalar output (numbers get zero partials)."""


@overload(scalar_parts)
def _ol_scalar_parts(out, tref):
    if isinstance(out, JetType) or _is_real_number(out):
        def impl(out, tref):
            j = T.as_jet(tref, out)
            return j.value, j
        return impl
    # dualdiff's own TypeError (numba passes it straight to the caller)
    if isinstance(out, types.Array):
        raise TypeError(
            f"{SCALAR_OUTPUT_ERROR}, but it returned an array ({out}); use dd.jacobian for "
            "vector-valued functions")
    raise TypeError(f"{SCALAR_OUTPUT_ERROR}, but it returned {out}")


def output_shape(out):
    """The shape of f's output (a tuple; () for a scalar)."""


@overload(output_shape)
def _ol_output_shape(out):
    if isinstance(out, types.Array) and (isinstance(out.dtype, JetType) or _is_real_number(out.dtype)):
        return lambda out: out.shape
    if isinstance(out, JetType) or _is_real_number(out):
        return lambda out: ()
    raise TypeError(f"{OUTPUT_TYPE_ERROR}, but it returned {out}")


def shape_size(shape):
    """The number of elements of an array of this shape (1 for ())."""


@overload(shape_size)
def _ol_shape_size(shape):
    if isinstance(shape, types.BaseTuple) and len(shape) == 0:
        return lambda shape: 1

    def impl(shape):
        m = 1
        for s in shape:
            m *= s
        return m
    return impl


def shape_matches(shape, expected):
    """Whether a shape tuple equals the int64 array ``expected`` (same ndim by typing)."""


@overload(shape_matches)
def _ol_shape_matches(shape, expected):
    if isinstance(shape, types.BaseTuple) and len(shape) == 0:
        return lambda shape, expected: expected.shape[0] == 0

    def impl(shape, expected):
        if len(shape) != expected.shape[0]:
            return False
        for i in range(len(shape)):
            if shape[i] != expected[i]:
                return False
        return True
    return impl


def output_item(out, i, tref):
    """Element i (in C order) of f's output as a jet of tref's type."""


@overload(output_item)
def _ol_output_item(out, i, tref):
    if isinstance(out, types.Array):
        if out.ndim == 1:
            return lambda out, i, tref: T.as_jet(tref, out[i])
        return lambda out, i, tref: T.as_jet(tref, out.flat[i])
    return lambda out, i, tref: T.as_jet(tref, out)


# -- driver factories -----------------------------------------------------------------------
#
# The per-point work of the gradient, Jacobian and Hessian drivers lives in "body"
# functions (njit closures over f) that the single-point drivers, the column-range
# drivers (executor tasks) and the batched drivers (one loop over many points) all call,
# so every way of running a kernel performs the same operations in the same order.

def make_gradient_body(f: Any, tt: DualType, prepare: Any) -> Any:
    """``(value, had_nan) = body(xd, x, shape, g, args)``: scalar f's gradient into g by
    chunks of tt.n columns, xd (n,) of jets as scratch."""
    N = tt.n

    @numba.njit
    def gradient_body(xd, x, shape, g, args):
        n = x.shape[0]
        for j in range(n):
            xd[j] = T.new_dual(tt, x[j], T.vunit(tt, j))
        bad = False
        j0 = 0
        while True:
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
            for k in range(min(N, n - j0)):
                g[j0 + k] = T.vget(r.eps, k)
            bad = bad or T.vhasnan(r.eps)
            for j in range(j0, min(j0 + N, n)):
                xd[j] = T.new_dual(tt, x[j], T.vzero(tt))
            j0 += N
            if j0 >= n:
                break
            for j in range(j0, min(j0 + N, n)):
                xd[j] = T.new_dual(tt, x[j], T.vunit(tt, j - j0))
        return value, bad

    return gradient_body


def make_gradient_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """(value, gradient, had_nan) of scalar f by chunks of tt.n columns."""
    body = make_gradient_body(f, tt, prepare)

    @numba.njit
    def gradient_driver(x, shape, g, *args):
        xd = np.empty(x.shape[0], dtype=tt)
        return body(xd, x, shape, g, args)

    return gradient_driver


def make_jacobian_body(f: Any, tt: DualType, prepare: Any) -> tuple[Any, Any]:
    """``(first, rest)``: the Jacobian's columns [c0, c1) by chunks of tt.n.

    ``out = first(xd, x, shape, c0, args)`` seeds columns c0.. of the first chunk (every
    other partial zero) and evaluates f once; ``had_nan = rest(xd, x, shape, out, oshape,
    values, jac, c0, c1, args)`` reads that output and runs the remaining passes, writing
    f(x) into values (m,) and column j of the Jacobian into jac[:, j - c0].
    """
    N = tt.n

    @numba.njit
    def jacobian_first(xd, x, shape, c0, args):
        n = x.shape[0]
        for j in range(n):
            xd[j] = T.new_dual(tt, x[j], T.vunit(tt, j - c0))
        return f(prepare(xd, shape), *args)

    @numba.njit
    def jacobian_rest(xd, x, shape, out, oshape, values, jac, c0, c1, args):
        m = values.shape[0]
        bad = False
        j0 = c0
        while True:
            if output_shape(out) != oshape:
                raise ValueError("f returned outputs of different shapes in different passes")
            kmax = min(N, c1 - j0)
            for i in range(m):
                r = output_item(out, i, tt)
                values[i] = r.value
                for k in range(kmax):
                    jac[i, j0 - c0 + k] = T.vget(r.eps, k)
                bad = bad or T.vhasnan(r.eps)
            for j in range(j0, min(j0 + N, c1)):
                xd[j] = T.new_dual(tt, x[j], T.vzero(tt))
            j0 += N
            if j0 >= c1:
                break
            for j in range(j0, min(j0 + N, c1)):
                xd[j] = T.new_dual(tt, x[j], T.vunit(tt, j - j0))
            out = f(prepare(xd, shape), *args)
        return bad

    return jacobian_first, jacobian_rest


def make_jacobian_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """(values, jacobian (m, n), output shape, had_nan) by chunks of tt.n columns."""
    first, rest = make_jacobian_body(f, tt, prepare)

    @numba.njit
    def jacobian_driver(x, shape, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        out = first(xd, x, shape, 0, args)
        oshape = output_shape(out)
        m = shape_size(oshape)
        values = np.empty(m)
        jac = np.empty((m, n))
        bad = rest(xd, x, shape, out, oshape, values, jac, 0, n, args)
        return values, jac, oshape, bad

    return jacobian_driver


def make_jacobian_columns_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """(values, jac[:, c0:c1] (m, c1 - c0), output shape, had_nan): columns [c0, c1) of
    the Jacobian only, by chunks of tt.n starting at c0 (an executor task).  Releases the
    GIL, so threads run tasks in parallel."""
    first, rest = make_jacobian_body(f, tt, prepare)

    @numba.njit(nogil=True)
    def jacobian_columns_driver(x, shape, c0, c1, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        out = first(xd, x, shape, c0, args)
        oshape = output_shape(out)
        m = shape_size(oshape)
        values = np.empty(m)
        jac = np.empty((m, c1 - c0))
        bad = rest(xd, x, shape, out, oshape, values, jac, c0, c1, args)
        return values, jac, oshape, bad

    return jacobian_columns_driver


def make_jvp_driver(f: Any, tt: DualType, prepare: Any) -> Any:
    """(values, J·v, output shape, had_nan) in one pass with eps = v."""

    @numba.njit
    def jvp_driver(x, v, shape, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        for j in range(n):
            xd[j] = T.new_dual(tt, x[j], T.vsplat(tt, v[j]))
        out = f(prepare(xd, shape), *args)
        oshape = output_shape(out)
        m = shape_size(oshape)
        values = np.empty(m)
        jv = np.empty(m)
        bad = False
        for i in range(m):
            r = output_item(out, i, tt)
            values[i] = r.value
            jv[i] = T.vget(r.eps, 0)
            bad = bad or T.vhasnan(r.eps)
        return values, jv, oshape, bad

    return jvp_driver


def make_hessian_body(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """``(value, had_nan) = body(xd, x, shape, g, h, c0, c1, args)``: the Hessian's
    columns [c0, c1) (upper triangle and diagonal blocks) into h[:, j - c0] and the
    gradient's entries [c0, c1) into g[j - c0].

    Column chunks [j0, j1) of tt.n columns ride on eps1; for each chunk, rows i < j1 ride
    one at a time on the scalar eps2, so a pass yields H[i, j0:j1] in eps12.  The first
    pass of each chunk (i = 0) gives g[j0:j1].  h needs c1 rows; the entries below the
    diagonal blocks are not written (the callers mirror the upper triangle).
    """
    N = tt.n

    @numba.njit
    def hessian_body(xd, x, shape, g, h, c0, c1, args):
        n = x.shape[0]
        for j in range(n):
            xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), 0.0, T.vzero(tt))
        bad = False
        value = 0.0
        if n == 0 or c1 <= c0:
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
        for j0 in range(c0, c1, N):
            j1 = min(j0 + N, c1)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vunit(tt, j - j0), 0.0, T.vzero(tt))
            for i in range(j1):
                e = xd[i]
                xd[i] = T.new_hyperdual(tt, x[i], e.eps1, 1.0, T.vzero(tt))
                value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
                xd[i] = T.new_hyperdual(tt, x[i], e.eps1, 0.0, T.vzero(tt))
                if i == 0:
                    for k in range(j1 - j0):
                        g[j0 - c0 + k] = T.vget(r.eps1, k)
                for k in range(j1 - j0):
                    h[i, j0 - c0 + k] = T.vget(r.eps12, k)
                bad = bad or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), 0.0, T.vzero(tt))
        return value, bad

    return hessian_body


@numba.njit
def mirror_upper(h):
    """h[j, i] = h[i, j] for j > i: the upper triangle mirrored (exactly symmetric)."""
    n = h.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            h[j, i] = h[i, j]


def make_hessian_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """(value, gradient, Hessian, had_nan) of scalar f (see :func:`make_hessian_body`);
    the upper triangle is mirrored at the end so the result is exactly symmetric."""
    body = make_hessian_body(f, tt, prepare)

    @numba.njit
    def hessian_driver(x, shape, g, h, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        value, bad = body(xd, x, shape, g, h, 0, n, args)
        mirror_upper(h)
        return value, bad

    return hessian_driver


def make_hessian_columns_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """(value, g[c0:c1], h[:c1, c0:c1] (unmirrored), had_nan): columns [c0, c1) of the
    Hessian's upper triangle (an executor task); releases the GIL."""
    body = make_hessian_body(f, tt, prepare)

    @numba.njit(nogil=True)
    def hessian_columns_driver(x, shape, c0, c1, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        g = np.zeros(c1 - c0)
        h = np.zeros((c1, c1 - c0))
        value, bad = body(xd, x, shape, g, h, c0, c1, args)
        return value, g, h, bad

    return hessian_columns_driver


def make_hvp_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """(value, H·v, had_nan): eps2 = v, eps1 = column chunks; eps12 = (H v)[j0:j1]."""
    N = tt.n

    @numba.njit
    def hvp_driver(x, v, shape, hv, *args):
        n = x.shape[0]
        xd = np.empty(n, dtype=tt)
        for j in range(n):
            xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), v[j], T.vzero(tt))
        bad = False
        value = 0.0
        if n == 0:
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
        for j0 in range(0, n, N):
            j1 = min(j0 + N, n)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vunit(tt, j - j0), v[j], T.vzero(tt))
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
            for k in range(j1 - j0):
                hv[j0 + k] = T.vget(r.eps12, k)
            bad = bad or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), v[j], T.vzero(tt))
        return value, bad

    return hvp_driver


def make_second_derivative_driver(f: Any, tt: HyperDualType, prepare: Any) -> Any:
    """(values, f''(x) per output element, output shape, had_nan) for scalar x in one
    hyper-dual pass with eps1 = eps2 = 1 (tt.n == 1)."""

    @numba.njit
    def second_derivative_driver(x, shape, *args):
        xd = np.empty(1, dtype=tt)
        xd[0] = T.new_hyperdual(tt, x[0], T.vsplat(tt, 1.0), 1.0, T.vzero(tt))
        out = f(prepare(xd, shape), *args)
        oshape = output_shape(out)
        m = shape_size(oshape)
        values = np.empty(m)
        d2 = np.empty(m)
        bad = False
        for i in range(m):
            r = output_item(out, i, tt)
            values[i] = r.value
            d2[i] = T.vget(r.eps12, 0)
            bad = bad or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
        return values, d2, oshape, bad

    return second_derivative_driver


# -- batched drivers: one compiled loop over many points ------------------------------------
#
# ``driver(X, V, shape, outs, failed, *args)``: X (N, n) holds the points (rows), V (N, n)
# the directions of jvp/hvp kernels (one row per point; a shared direction is a broadcast
# view; other kernels get X again and ignore it), ``outs`` a tuple of stacked output arrays
# (leading axis N) and ``failed`` (B,) one slot per block of consecutive points.  Blocks
# run in parallel (numba.prange) when the driver was made with parallel=True; each block
# allocates its own jets (per-thread scratch) and runs the points' bodies in order.  An
# exception raised at a point stops its block: failed[b] is that point's index (-1 where
# the block finished), and the caller reruns the point to raise the exception itself
# (numba cannot carry exceptions out of a parallel region).
#
# The point functions of the gradient, Jacobian and Hessian call the same bodies as the
# single-point drivers; those of jvp, hvp and the second derivative repeat the
# single-point drivers' operations in the same order (tests/batching compare the bits).

@numba.njit
def _no_init(xd):
    pass


def _batched(point: Any, tt: Any, parallel: bool, init: Any = _no_init) -> Any:
    """The batched driver of ``point``; ``init(xd)`` prepares a block's scratch jets once
    (before its first point)."""
    @numba.njit
    def block(X, V, shape, outs, p0, p1, args):
        xd = np.empty(X.shape[1], dtype=tt)
        init(xd)
        p = p0
        try:
            while p < p1:
                point(xd, X[p], V[p], shape, outs, p, args)
                p += 1
        except Exception:  # noqa: BLE001 - reported by index, rerun by the caller
            return p
        return -1

    @numba.njit(parallel=parallel)
    def batched_driver(X, V, shape, outs, failed, *args):
        nb = failed.shape[0]
        npts = X.shape[0]
        for b in numba.prange(nb):
            failed[b] = block(X, V, shape, outs, b * npts // nb, (b + 1) * npts // nb, args)

    return batched_driver


def make_batched_gradient_driver(f: Any, tt: DualType, prepare: Any, parallel: bool = True) -> Any:
    """The gradient at every row of X: outs = (values (N,), G (N, n), had_nan (N,))."""
    body = make_gradient_body(f, tt, prepare)
    N = tt.n
    S = 1 + N  # doubles per Dual record

    # n <= N (one pass per point, the common case of many small problems): the seeds
    # are the unit partials e_j at every point, set once per block; a point writes only the
    # values (through the records' float view), the same numbers the body seeds
    @numba.njit
    def seed_units(xd):
        if xd.shape[0] <= N:
            for j in range(xd.shape[0]):
                xd[j] = T.new_dual(tt, 0.0, T.vunit(tt, j))

    @numba.njit
    def gradient_point(xd, x, v, shape, outs, p, args):
        values, G, bad = outs
        n = x.shape[0]
        if n <= N:
            fl = T.record_floats(xd)
            for j in range(n):
                fl[j * S] = x[j]
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
            g = G[p]
            for k in range(n):
                g[k] = T.vget(r.eps, k)
            values[p] = value
            bad[p] = T.vhasnan(r.eps)
        else:
            values[p], bad[p] = body(xd, x, shape, G[p], args)

    return _batched(gradient_point, tt, parallel, seed_units)


def make_batched_jacobian_driver(f: Any, tt: DualType, prepare: Any, parallel: bool = True) -> Any:
    """The Jacobian at every row of X: outs = (values (N, m), J (N, m, n), had_nan (N,),
    oshape (the output shape as an int64 array)); a point whose output has another shape
    fails (ValueError)."""
    first, rest = make_jacobian_body(f, tt, prepare)

    @numba.njit
    def jacobian_point(xd, x, v, shape, outs, p, args):
        values, J, bad, oshape = outs
        out = first(xd, x, shape, 0, args)
        if not shape_matches(output_shape(out), oshape):
            raise ValueError("f returned an output of another shape at this point")
        bad[p] = rest(xd, x, shape, out, output_shape(out), values[p], J[p], 0, x.shape[0], args)

    return _batched(jacobian_point, tt, parallel)


def make_batched_hessian_driver(f: Any, tt: HyperDualType, prepare: Any, parallel: bool = True) -> Any:
    """Value, gradient and Hessian at every row of X: outs = (values (N,), G (N, n),
    H (N, n, n), had_nan (N,)); each H[p] mirrored (exactly symmetric)."""
    body = make_hessian_body(f, tt, prepare)

    @numba.njit
    def hessian_point(xd, x, v, shape, outs, p, args):
        values, G, H, bad = outs
        n = x.shape[0]
        values[p], bad[p] = body(xd, x, shape, G[p], H[p], 0, n, args)
        mirror_upper(H[p])

    return _batched(hessian_point, tt, parallel)


def make_batched_jvp_driver(f: Any, tt: DualType, prepare: Any, parallel: bool = True) -> Any:
    """f(x) and J·v at every row x of X, v the same row of V (the operations of
    :func:`make_jvp_driver`, tt.n == 1): outs = (values (N, m), JV (N, m), had_nan (N,),
    oshape (int64 array)); a point whose output has another shape fails (ValueError)."""

    @numba.njit
    def jvp_point(xd, x, v, shape, outs, p, args):
        values, JV, bad, oshape = outs
        n = x.shape[0]
        for j in range(n):
            xd[j] = T.new_dual(tt, x[j], T.vsplat(tt, v[j]))
        out = f(prepare(xd, shape), *args)
        if not shape_matches(output_shape(out), oshape):
            raise ValueError("f returned an output of another shape at this point")
        b = False
        for i in range(values.shape[1]):
            r = output_item(out, i, tt)
            values[p, i] = r.value
            JV[p, i] = T.vget(r.eps, 0)
            b = b or T.vhasnan(r.eps)
        bad[p] = b

    return _batched(jvp_point, tt, parallel)


def make_batched_second_derivative_driver(f: Any, tt: HyperDualType, prepare: Any, parallel: bool = True) -> Any:
    """f(x) and f''(x) at every row x (one number) of X (the operations of
    :func:`make_second_derivative_driver`): outs = (values (N, m), D2 (N, m), had_nan (N,),
    oshape (int64 array))."""

    @numba.njit
    def second_point(xd, x, v, shape, outs, p, args):
        values, D2, bad, oshape = outs
        xd[0] = T.new_hyperdual(tt, x[0], T.vsplat(tt, 1.0), 1.0, T.vzero(tt))
        out = f(prepare(xd, shape), *args)
        if not shape_matches(output_shape(out), oshape):
            raise ValueError("f returned an output of another shape at this point")
        b = False
        for i in range(values.shape[1]):
            r = output_item(out, i, tt)
            values[p, i] = r.value
            D2[p, i] = T.vget(r.eps12, 0)
            b = b or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
        bad[p] = b

    return _batched(second_point, tt, parallel)


def make_batched_hvp_driver(f: Any, tt: HyperDualType, prepare: Any, parallel: bool = True) -> Any:
    """f(x) and H·v at every row x of X, v the same row of V (the operations of
    :func:`make_hvp_driver`): outs = (values (N,), HV (N, n), had_nan (N,))."""
    N = tt.n

    @numba.njit
    def hvp_point(xd, x, v, shape, outs, p, args):
        values, HV, bad = outs
        n = x.shape[0]
        for j in range(n):
            xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), v[j], T.vzero(tt))
        b = False
        value = 0.0
        if n == 0:
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
        for j0 in range(0, n, N):
            j1 = min(j0 + N, n)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vunit(tt, j - j0), v[j], T.vzero(tt))
            value, r = scalar_parts(f(prepare(xd, shape), *args), tt)
            for k in range(j1 - j0):
                HV[p, j0 + k] = T.vget(r.eps12, k)
            b = b or T.vhasnan(r.eps1) or T.vhasnan(r.eps12) or np.isnan(r.eps2)
            for j in range(j0, j1):
                xd[j] = T.new_hyperdual(tt, x[j], T.vzero(tt), v[j], T.vzero(tt))
        values[p] = value
        bad[p] = b

    return _batched(hvp_point, tt, parallel)


FACTORIES = {
    "grad": (make_gradient_driver, DualType),
    "jacobian": (make_jacobian_driver, DualType),
    "jvp": (make_jvp_driver, DualType),
    "hessian": (make_hessian_driver, HyperDualType),
    "hvp": (make_hvp_driver, HyperDualType),
    "second_derivative": (make_second_derivative_driver, HyperDualType),
    # executor tasks: a range of columns
    "jacobian_columns": (make_jacobian_columns_driver, DualType),
    "hessian_columns": (make_hessian_columns_driver, HyperDualType),
}

# batched drivers per kernel: factory(f, tt, prepare, parallel)
BATCHED_FACTORIES = {
    "gradient": (make_batched_gradient_driver, DualType),
    "jacobian": (make_batched_jacobian_driver, DualType),
    "hessian": (make_batched_hessian_driver, HyperDualType),
    "jvp": (make_batched_jvp_driver, DualType),
    "hvp": (make_batched_hvp_driver, HyperDualType),
    "second": (make_batched_second_derivative_driver, HyperDualType),
}
