"""Sums that keep their terms apart: how ``sparse.hessian`` finds f = Σ_k F_k(x) by itself.

Most scalar objectives end in a sum: ``np.sum(F)``, ``F.sum()``, ``np.mean(F)``, a dot
product with a constant vector ``w @ F``, or ``+`` of such sums and scalar terms.  For
such an f the sparse Hessian is far cheaper by the sum method (one hyper-dual pass with
both levels seeded by the colours of the *terms'* Jacobian, see ``sparse.sum_hessian``)
than by the general method.  To use it, the terms must be kept apart while f runs.

A *term sum* is a scalar of the running number kind (a tracer while detecting, a
hyper-dual in the pass) that is the ordinary result of the sum *and* remembers its terms:
a tree of parts, each an array of terms times a constant scale.  Only these operations
keep the terms:

====================================  ==============================================
``np.sum(a)``, ``a.sum()`` (to 0-d)   one part: ``a`` flattened
``np.mean(a)``                        the same, scaled by 1 / a.size
``np.dot(w, a)``, ``w @ a``, ...      one part: ``w * a`` (w a constant 1-d array)
``s + t``, ``s - t``                  the parts of both (t a term sum, or a scalar of
                                      the same kind: one part of one term)
``s + c``, ``c * s``, ``s / c``, ``-s``  constants: the parts unchanged or scaled
====================================  ==============================================

Any other operation uses the ordinary scalar and forgets the terms (``np.sqrt(s)``,
``s * x[0]``, ``s ** 2``), so a term sum is never wrong, only sometimes not split.
Detection and the pass both use the rules above, in this one module, so they list the
same terms in the same order; the pass also checks the part sizes against detection's.

Which runs keep terms is state of the numbers: a pass's jets carry a :class:`SumTag`
(an ``int``, so tags compare as before) whose ``make`` builds the term sums of that
kind; reductions of jets with a plain ``int`` tag are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["SumTag", "TermSumMixin", "flatten", "constant_vector", "tracked_sum", "tracked_dot"]

# a node of the parts tree: ("leaf", terms array, scale) | ("cat", left, right) | ("scale", node, c)
Node = tuple


class SumTag(int):
    """The tag of a pass whose full reductions keep their terms (compares as its int).

    ``make(number, node)`` makes a term sum of the pass's number kind from the ordinary
    scalar result and the parts tree.
    """

    make: Callable[[Any, Node], Any]


def flatten(node: Node) -> list[tuple[Any, float]]:
    """The parts of a tree as ``[(terms array, scale), ...]``, left to right (no recursion,
    so ``s = s + t`` in a long loop is fine)."""
    out: list[tuple[Any, float]] = []
    stack: list[tuple[Node, float]] = [(node, 1.0)]
    while stack:
        nd, s = stack.pop()
        if nd[0] == "leaf":
            out.append((nd[1], s * nd[2]))
        elif nd[0] == "cat":
            stack.append((nd[2], s))
            stack.append((nd[1], s))
        else:
            stack.append((nd[1], s * nd[2]))
    return out


def _is_constant_scalar(c: Any) -> bool:
    if isinstance(c, bool | np.bool_):
        return False
    if isinstance(c, int | float | np.integer | np.floating):
        return True
    return isinstance(c, np.ndarray) and c.shape == () and c.dtype.kind in "iuf"


def constant_vector(a: Any) -> np.ndarray | None:
    """``a`` as a float 1-d array if it is a constant vector (no traced or dual numbers)."""
    if isinstance(a, np.ndarray):
        return a.astype(np.float64) if a.ndim == 1 and a.dtype.kind in "iuf" else None
    if isinstance(a, list | tuple) and all(_is_constant_scalar(e) for e in a):
        return np.asarray(a, dtype=np.float64)
    return None


def tracked_sum(a: Any, result: Any) -> Any:
    """``result`` (the ordinary full sum of ``a``) as a term sum when ``a`` runs in a pass
    that keeps terms and the result is a scalar; else ``result`` itself."""
    tag = getattr(a, "tag", None)
    if type(tag) is not SumTag or getattr(result, "shape", None) != ():
        return result
    return tag.make(result, ("leaf", a.reshape(-1).copy(), 1.0))


def tracked_dot(a: Any, b: Any, result: Any) -> Any:
    """``result`` = a·b (both 1-d, one a constant vector) as a term sum of the products."""
    if getattr(result, "shape", None) != ():
        return result
    for jet, other in ((a, b), (b, a)):
        tag = getattr(jet, "tag", None)
        if type(tag) is SumTag and getattr(jet, "ndim", None) == 1:
            w = constant_vector(other)
            if w is not None and w.shape == jet.shape:
                return tag.make(result, ("leaf", jet * w, 1.0))
    return result


class TermSumMixin:
    """The operations of a term sum; mixed into a scalar number kind (before it).

    A subclass provides ``node`` (a slot), :meth:`_plain` (the same scalar as the plain
    kind) and :meth:`_same_kind` (is an operand a scalar of this kind and run?); the
    term sum is made by the run's ``SumTag.make``.
    """

    __slots__ = ()
    node: Node

    def _plain(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _same_kind(self, other: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _make(self, number: Any, node: Node) -> Any:
        return self.tag.make(number, node)  # type: ignore[attr-defined]

    def _node_of(self, other: Any) -> Node | None:
        """The parts ``other`` adds to a sum: its tree, one term, nothing (a constant: ()),
        or None when the sum cannot keep its terms."""
        if isinstance(other, TermSumMixin) and other.tag is self.tag:  # type: ignore[attr-defined]
            return other.node
        if self._same_kind(other):
            return ("leaf", other.reshape(1), 1.0)
        if _is_constant_scalar(other):
            return ()
        return None

    # -- what keeps the terms -----------------------------------------------------------
    def _combine(self, other: Any, number: Any, other_first: bool, sign: float) -> Any:
        theirs = self._node_of(other)
        if theirs is None or getattr(number, "shape", None) != ():
            return number
        if theirs == ():
            node = self.node if sign > 0 or not other_first else ("scale", self.node, -1.0)
        else:
            if sign < 0:
                if other_first:
                    left, right = theirs, ("scale", self.node, -1.0)
                else:
                    left, right = self.node, ("scale", theirs, -1.0)
            else:
                left, right = (theirs, self.node) if other_first else (self.node, theirs)
            node = ("cat", left, right)
        return self._make(number, node)

    def __add__(self, other: Any) -> Any:
        return self._combine(other, self._plain() + _plain(other), False, 1.0)

    def __radd__(self, other: Any) -> Any:
        return self._combine(other, _plain(other) + self._plain(), True, 1.0)

    def __sub__(self, other: Any) -> Any:
        return self._combine(other, self._plain() - _plain(other), False, -1.0)

    def __rsub__(self, other: Any) -> Any:
        return self._combine(other, _plain(other) - self._plain(), True, -1.0)

    def _scaled(self, number: Any, c: Any) -> Any:
        if _is_constant_scalar(c) and getattr(number, "shape", None) == ():
            return self._make(number, ("scale", self.node, float(c)))
        return number

    def __mul__(self, other: Any) -> Any:
        return self._scaled(self._plain() * _plain(other), other)

    def __rmul__(self, other: Any) -> Any:
        return self._scaled(_plain(other) * self._plain(), other)

    def __truediv__(self, other: Any) -> Any:
        number = self._plain() / _plain(other)
        if _is_constant_scalar(other) and float(other) != 0.0:
            return self._scaled(number, 1.0 / float(other))
        return number

    def __neg__(self) -> Any:
        return self._make(-self._plain(), ("scale", self.node, -1.0))

    def __pos__(self) -> Any:
        return self

    # a scalar rebinds in place (s += t), as a numpy scalar does
    __iadd__ = __add__
    __isub__ = __sub__
    __imul__ = __mul__
    __itruediv__ = __truediv__

    # -- everything else: the plain scalar (the terms are forgotten) --------------------
    def __pow__(self, other: Any) -> Any:
        return self._plain() ** _plain(other)

    def __rpow__(self, other: Any) -> Any:
        return _plain(other) ** self._plain()

    def __rtruediv__(self, other: Any) -> Any:
        return _plain(other) / self._plain()

    def __floordiv__(self, other: Any) -> Any:
        return self._plain() // _plain(other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _plain(other) // self._plain()

    def __mod__(self, other: Any) -> Any:
        return self._plain() % _plain(other)

    def __rmod__(self, other: Any) -> Any:
        return _plain(other) % self._plain()

    def __matmul__(self, other: Any) -> Any:
        return self._plain() @ _plain(other)

    def __rmatmul__(self, other: Any) -> Any:
        return _plain(other) @ self._plain()

    def __lt__(self, other: Any) -> Any:
        return self._plain() < _plain(other)

    def __le__(self, other: Any) -> Any:
        return self._plain() <= _plain(other)

    def __gt__(self, other: Any) -> Any:
        return self._plain() > _plain(other)

    def __ge__(self, other: Any) -> Any:
        return self._plain() >= _plain(other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._plain() == _plain(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._plain() != _plain(other)

    def __abs__(self) -> Any:
        return abs(self._plain())

    __hash__ = None  # type: ignore[assignment]

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:
            if ufunc is np.add and len(inputs) == 2:
                return inputs[0] + inputs[1] if inputs[0] is self else inputs[1].__radd__(inputs[0])
            if ufunc is np.subtract and len(inputs) == 2:
                return inputs[0] - inputs[1] if inputs[0] is self else inputs[1].__rsub__(inputs[0])
            if ufunc is np.multiply and len(inputs) == 2:
                return inputs[0] * inputs[1] if inputs[0] is self else inputs[1].__rmul__(inputs[0])
            if ufunc is np.negative:
                return -self
        plain_inputs = tuple(_plain(i) for i in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*plain_inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return func(*_plain_all(args), **{k: _plain_all(v) for k, v in kwargs.items()})


def _plain(a: Any) -> Any:
    return a._plain() if isinstance(a, TermSumMixin) else a


def _plain_all(a: Any) -> Any:
    if isinstance(a, TermSumMixin):
        return a._plain()
    if isinstance(a, list):
        return [_plain_all(e) for e in a]
    if isinstance(a, tuple):
        return tuple(_plain_all(e) for e in a)
    return a
