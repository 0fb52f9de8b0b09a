"""Dual numbers a + b·ε with ε² = 0: exact first derivatives.

For any smooth f, f(a + bε) = f(a) + f'(a)·b·ε, so evaluating f on a dual number with
``eps = 1`` yields f(a) in ``.value`` and f'(a) in ``.eps``, exact to rounding.  With two
arguments the chain rule is f(a + bε, c + dε) = f(a, c) + (f_x·b + f_y·d)·ε.

Components may be Python/numpy floats or numpy arrays (a structure of arrays).  The
partials may carry one extra trailing *direction* axis: ``eps.shape == value.shape + (k,)``
carries k seed directions through one evaluation (a chunk of Jacobian columns).
"""

from __future__ import annotations

from typing import Any

from .jet import (
    Jet,
    add_times,
    borrows,
    component,
    fit,
    fmt,
    is_plain_number,
    is_table_constant,
    linear_term,
    shape_of,
    unalias,
    value,
    zeros_like,
)
from .numpy_api import NumpyArray
from .rules import Binary, Unary


def _fit(eps: Any, shape: tuple[int, ...], ndir: int) -> Any:
    return fit(eps, shape, shape_of(eps)[-1:] if ndir else ())


class Dual(NumpyArray, Jet):
    """A dual number ``value + eps·ε`` with ε² = 0.

    Args:
        value: the real part (float or array).
        eps: the derivative part; same shape as ``value`` (broadcast if smaller), or with
            one extra trailing axis holding several seed directions.
        tag: which differentiation this perturbation belongs to; transforms draw fresh
            tags (user-made numbers have tag 0).

    Arithmetic, numpy ufuncs and ``dualdiff`` functions propagate the derivative;
    comparisons (``<``, ``==``, ...) compare ``.value`` only; ``float(d)`` raises.
    """

    __slots__ = ("value", "eps", "tag", "ndir", "_owned")

    def __init__(self, value: Any, eps: Any = 0.0, *, tag: int = 0) -> None:
        value = component(value, "Dual", "value")
        eps = component(eps, "Dual", "eps")
        vshape, eshape = shape_of(value), shape_of(eps)
        if len(eshape) == len(vshape) + 1 and eshape[:-1] == vshape:
            ndir = 1
        elif len(eshape) <= len(vshape):
            ndir = 0
            eps = _fit(eps, vshape, 0) if eshape != vshape else eps
        else:
            raise ValueError(
                f"Dual eps of shape {eshape} does not fit value of shape {vshape}: it must "
                "have the value's shape, or that shape plus one trailing direction axis")
        self.value, self.eps, self.tag, self.ndir, self._owned = value, eps, int(tag), ndir, False

    @classmethod
    def _new(cls, value: Any, eps: Any, tag: int, ndir: int) -> Dual:
        d = object.__new__(cls)
        d.value, d.eps, d.tag, d.ndir, d._owned = value, eps, tag, ndir, False
        return d

    def __repr__(self) -> str:
        tag = f", tag={self.tag}" if self.tag else ""
        return f"Dual({fmt(self.value)}, eps={fmt(self.eps)}{tag})"

    # -- the chain rule ---------------------------------------------------------------
    def _unary(self, rule: Unary) -> Dual:
        a, b = self.value, self.eps
        y = value(rule.f, a)
        if rule.d1 is None:
            eps = zeros_like(b)
        else:
            eps = linear_term(rule.d1, (a, y), b, self.ndir)
        if self.ndir == 0 and is_plain_number(y) and is_plain_number(eps):
            return Dual._new(y, eps, self.tag, 0)
        eps = _fit(unalias([eps], self)[0], shape_of(y), self.ndir)
        result = Dual._new(y, eps, self.tag, self.ndir)
        result._owned = not borrows([eps], self)
        return result

    @classmethod
    def _binary(cls, rule: Binary, x: Any, y: Any, x_live: bool, y_live: bool) -> Dual:
        live = x if x_live else y
        ndir = live.ndir
        if x_live and y_live and x.ndir != y.ndir:
            raise ValueError("cannot combine duals with and without a direction axis")
        xv = x.value if x_live else x
        yv = y.value if y_live else y
        z = value(rule.f, xv, yv)
        args = (xv, yv, z)
        eps = None
        if x_live and rule.fx is not None:
            eps = linear_term(rule.fx, args, x.eps, ndir)
        if y_live and rule.fy is not None:
            fy = rule.fy if is_table_constant(rule.fy) else rule.fy(*args)
            eps = add_times(eps, fy, y.eps, ndir)
        if eps is None:
            eps = zeros_like(live.eps)
        if ndir == 0 and is_plain_number(z) and is_plain_number(eps):
            return Dual._new(z, eps, live.tag, 0)
        eps = _fit(unalias([eps], x, y)[0], shape_of(z), ndir)
        result = Dual._new(z, eps, live.tag, ndir)
        result._owned = not borrows([eps], x, y)
        return result

    # -- structure (used by indexing and the numpy functions) --------------------------
    def _parts(self) -> list[tuple[Any, int]]:
        return [(self.value, 0), (self.eps, self.ndir)]

    def _rebuild(self, parts: list[Any]) -> Dual:
        return Dual._new(parts[0], parts[1], self.tag, self.ndir)

    def _set_parts(self, parts: list[Any]) -> None:
        self.value, self.eps = parts

    def _trailing(self) -> list[tuple[int, ...]]:
        return [shape_of(self.eps)[-1:] if self.ndir else ()]
