"""Hyper-dual numbers a + b·ε1 + c·ε2 + d·ε1ε2 (ε1² = ε2² = 0, ε1ε2 ≠ 0): exact second derivatives.

For smooth f (Fike & Alonso's hyper-dual chain rule)::

    f(a + bε1 + cε2 + dε1ε2) = f(a) + f'(a)·b ε1 + f'(a)·c ε2 + (f'(a)·d + f''(a)·b·c) ε1ε2

so seeding ``eps1 = e_i``, ``eps2 = e_j`` gives ∂²f/∂x_i∂x_j in ``.eps12`` with no step
size and no subtractive cancellation.  For two arguments, with u = (b, c, d) the parts
of x and v those of y::

    ε1ε2 part = f_x·d_x + f_y·d_y + f_xx·b_x·c_x + f_xy·(b_x·c_y + b_y·c_x) + f_yy·b_y·c_y

Direction axes: ``eps1.shape == value.shape + (k1,)``, ``eps2.shape == value.shape + (k2,)``
and ``eps12.shape == value.shape + (k1, k2)`` carry a k1 × k2 block of a Hessian
through one evaluation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .jet import (
    FEW_LANES,
    Jet,
    accumulate,
    add_times,
    borrows,
    component,
    expand,
    fit,
    fmt,
    is_plain_number,
    is_table_constant,
    scale,
    shape_of,
    times,
    unalias,
    value,
    zeros_like,
)
from .numpy_api import NumpyArray
from .rules import Binary, Unary

#: The outer product below takes its fast path from this many value elements (it wins
#: from about 50: k1 = k2 = 2 at m = 200, 7 µs against 15 µs) ...
OUTER_MANY_ROWS = 64
#: ... for at most this many lanes k1·k2 (k1 = k2 = 4 at m = 50000: 3.0 ms against
#: 5.2 ms; at k1 = k2 = 6 the k1·k2 strided passes lose to broadcasting).
OUTER_MAX_LANES = 16


def _outer(b: Any, c: Any, ndir: int) -> Any:
    """b·c on the value axes; with directions, the outer product over the direction axes:
    ``(b ⊗ c)[i, p, q] = b[i, p]·c[i, q]`` for b of shape ``L + (k1,)`` and c of ``L + (k2,)``.

    Broadcasting (``b[..., :, None] * c[..., None, :]``) runs an inner loop of length k2
    per (value element, p): for few directions that loop costs more than the products
    (m = 50000, k1 = k2 = 2: 2.5 ms).  For float64 arrays of one leading shape with at
    least :data:`OUTER_MANY_ROWS` value elements, 2 <= k1·k2 <= :data:`OUTER_MAX_LANES`
    and an inner loop of at most :data:`~dualdiff.jet.FEW_LANES`, the product iterates
    with the value axis innermost instead (``order="F"`` into a fresh C-contiguous
    result: k1·k2 strided loops of length m, 0.25 ms there).  Same IEEE products, so
    bit for bit the broadcasting result (as for ``jet.lane_product``); it never aliases
    b or c.
    """
    if ndir == 0:
        return b * c
    if (type(b) is np.ndarray and type(c) is np.ndarray and b.size >= OUTER_MANY_ROWS
            and b.dtype == np.float64 and c.dtype == np.float64):
        shape, k1, k2 = b.shape[:-1], b.shape[-1], c.shape[-1]
        lanes, inner = k1 * k2, (k2 if k2 > 1 else k1)  # the broadcast loop's length
        if c.shape[:-1] == shape and 2 <= lanes <= OUTER_MAX_LANES and inner <= FEW_LANES:
            m = b.size // k1
            if m >= OUTER_MANY_ROWS:
                if len(shape) != 1:  # one value axis, so that the inner loop runs over all of it
                    if not (b.flags.c_contiguous and c.flags.c_contiguous):
                        return expand(b, 1) * c[..., None, :]
                    b, c = b.reshape(m, k1), c.reshape(m, k2)
                out = np.empty((m, k1, k2))
                np.multiply(b[:, :, None], c[:, None, :], out=out, order="F")
                return out.reshape(shape + (k1, k2))
    return expand(b, 1) * c[..., None, :]


def _second(coef: Any, b: Any, c: Any, ndir: int) -> Any:
    """coef·(b ⊗ c), formed as (coef·b) ⊗ c: one pass over the large ε1ε2 block, not two.

    Where coef is not finite, coef·(b ⊗ c) is formed NaN-safely (see ``scale``), so that
    an infinite second derivative times a zero product of seeds stays 0.
    """
    if not is_table_constant(coef) and isinstance(coef, (np.ndarray, float, np.floating)) \
            and not np.isfinite(coef).all():
        return scale(coef, _outer(b, c, ndir), 2 * ndir)
    return _outer(times(coef, b, ndir), c, ndir)


class HyperDual(NumpyArray, Jet):
    """A hyper-dual number ``value + eps1·ε1 + eps2·ε2 + eps12·ε1ε2``.

    Args:
        value: the real part (float or array).
        eps1: first-order part along the first seed direction (ε1).
        eps2: first-order part along the second seed direction (ε2).
        eps12: the second-order part; after evaluating f it holds the second derivative
            along eps1 and eps2.
        tag: as for :class:`~dualdiff.Dual`.

    With ``eps1 = eps2 = 1`` and ``eps12 = 0`` on a scalar, ``f(HyperDual(x, 1, 1))`` has
    ``.eps1 == f'(x)`` and ``.eps12 == f''(x)``.
    """

    __slots__ = ("value", "eps1", "eps2", "eps12", "tag", "ndir", "_owned")

    def __init__(self, value: Any, eps1: Any = 0.0, eps2: Any = 0.0, eps12: Any = 0.0,
                 *, tag: int = 0) -> None:
        value = component(value, "HyperDual", "value")
        eps1, eps2, eps12 = (component(e, "HyperDual", n) for e, n in
                             ((eps1, "eps1"), (eps2, "eps2"), (eps12, "eps12")))
        vshape = shape_of(value)
        s1, s2 = shape_of(eps1), shape_of(eps2)
        directional = len(s1) == len(vshape) + 1 and s1[:-1] == vshape
        if directional != (len(s2) == len(vshape) + 1 and s2[:-1] == vshape):
            raise ValueError(
                "HyperDual eps1 and eps2 must both have the value's shape, or both that shape "
                f"plus one trailing direction axis; got {s1} and {s2} for value {vshape}")
        for s, name in ((s1, "eps1"), (s2, "eps2")):
            if not directional and len(s) > len(vshape):
                raise ValueError(f"HyperDual {name} of shape {s} does not fit value of shape {vshape}")
        if directional:
            dirs1, dirs2, dirs12 = s1[-1:], s2[-1:], s1[-1:] + s2[-1:]
        else:
            dirs1 = dirs2 = dirs12 = ()
        self.value = value
        self.eps1 = fit(eps1, vshape, dirs1)
        self.eps2 = fit(eps2, vshape, dirs2)
        try:
            self.eps12 = fit(eps12, vshape, dirs12)
        except ValueError:
            raise ValueError(
                f"HyperDual eps12 of shape {shape_of(eps12)} does not fit {vshape + dirs12}") from None
        self.tag, self.ndir, self._owned = int(tag), int(directional), False

    @classmethod
    def _new(cls, value: Any, eps1: Any, eps2: Any, eps12: Any, tag: int, ndir: int) -> HyperDual:
        h = object.__new__(cls)
        h.value, h.eps1, h.eps2, h.eps12, h.tag, h.ndir, h._owned = value, eps1, eps2, eps12, tag, ndir, False
        return h

    def __repr__(self) -> str:
        tag = f", tag={self.tag}" if self.tag else ""
        return (f"HyperDual({fmt(self.value)}, eps1={fmt(self.eps1)}, eps2={fmt(self.eps2)}, "
                f"eps12={fmt(self.eps12)}{tag})")

    def _finish(self, y: Any, e1: Any, e2: Any, e12: Any, *inputs: Any) -> HyperDual:
        if self.ndir == 0 and is_plain_number(y) and is_plain_number(e12) and is_plain_number(e1):
            return HyperDual._new(y, e1, e2, e12, self.tag, 0)
        e1, e2, e12 = unalias([e1, e2, e12], *inputs)
        shape = shape_of(y)
        if self.ndir:
            k1, k2 = shape_of(self.eps1)[-1], shape_of(self.eps2)[-1]
            d1, d2, d12 = (k1,), (k2,), (k1, k2)
        else:
            d1 = d2 = d12 = ()
        e1, e2, e12 = fit(e1, shape, d1), fit(e2, shape, d2), fit(e12, shape, d12)
        result = HyperDual._new(y, e1, e2, e12, self.tag, self.ndir)
        result._owned = not borrows([e1, e2, e12], *inputs)
        return result

    # -- the chain rule ---------------------------------------------------------------
    def _unary(self, rule: Unary) -> HyperDual:
        a, n = self.value, self.ndir
        y = value(rule.f, a)
        if rule.d1 is None:
            e1, e2, e12 = zeros_like(self.eps1), zeros_like(self.eps2), zeros_like(self.eps12)
            return self._finish(y, e1, e2, e12, self)
        d = rule.d1 if is_table_constant(rule.d1) else rule.d1(a, y)
        e1, e2, e12 = times(d, self.eps1, n), times(d, self.eps2, n), times(d, self.eps12, 2 * n)
        if rule.d2 is not None:
            dd = rule.d2 if is_table_constant(rule.d2) else rule.d2(a, y, d)
            e12 = e12 + _second(dd, self.eps1, self.eps2, n)
        return self._finish(y, e1, e2, e12, self)

    @classmethod
    def _binary(cls, rule: Binary, x: Any, y: Any, x_live: bool, y_live: bool) -> HyperDual:
        live = x if x_live else y
        n = live.ndir
        if x_live and y_live and x.ndir != y.ndir:
            raise ValueError("cannot combine hyper-duals with and without direction axes")
        xv = x.value if x_live else x
        yv = y.value if y_live else y
        z = value(rule.f, xv, yv)
        args = (xv, yv, z)

        def coef(p: Any) -> Any:
            return p if is_table_constant(p) else p(*args)

        e1 = e2 = e12 = None
        for live_here, p, u in ((x_live, rule.fx, x), (y_live, rule.fy, y)):
            if live_here and p is not None:
                c = coef(p)
                e1 = add_times(e1, c, u.eps1, n)
                e2 = add_times(e2, c, u.eps2, n)
                e12 = add_times(e12, c, u.eps12, 2 * n)
        if x_live and rule.fxx is not None:
            e12 = accumulate(e12, _second(coef(rule.fxx), x.eps1, x.eps2, n))
        if x_live and y_live and rule.fxy is not None:
            c = coef(rule.fxy)
            e12 = accumulate(e12, _second(c, x.eps1, y.eps2, n) + _second(c, y.eps1, x.eps2, n))
        if y_live and rule.fyy is not None:
            e12 = accumulate(e12, _second(coef(rule.fyy), y.eps1, y.eps2, n))
        if e1 is None:
            e1, e2 = zeros_like(live.eps1), zeros_like(live.eps2)
        if e12 is None:
            e12 = zeros_like(live.eps12)
        return live._finish(z, e1, e2, e12, x, y)

    # -- structure --------------------------------------------------------------------
    def _parts(self) -> list[tuple[Any, int]]:
        n = self.ndir
        return [(self.value, 0), (self.eps1, n), (self.eps2, n), (self.eps12, 2 * n)]

    def _rebuild(self, parts: list[Any]) -> HyperDual:
        return HyperDual._new(*parts, self.tag, self.ndir)

    def _set_parts(self, parts: list[Any]) -> None:
        self.value, self.eps1, self.eps2, self.eps12 = parts

    def _trailing(self) -> list[tuple[int, ...]]:
        if not self.ndir:
            return [(), (), ()]
        k1, k2 = shape_of(self.eps1)[-1], shape_of(self.eps2)[-1]
        return [(k1,), (k2,), (k1, k2)]
