"""The elementary functions: ``dd.sin``, ``dd.exp``, ... generated from the rules table.

Each accepts floats, numpy arrays, :class:`~dualdiff.Dual` and :class:`~dualdiff.HyperDual`
(and object arrays of them) and follows numpy's conventions for plain numbers.  Aliases
in the style of the ``math`` module (``asin``, ``atan2``, ``pow``, ...) name the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import rules
from .jet import apply_binary, apply_unary, expand, tag_of, value_of


def _unary_function(rule: rules.Unary) -> Callable[[Any], Any]:
    def function(x: Any) -> Any:
        return apply_unary(rule, x)
    function.__name__ = function.__qualname__ = rule.name
    function.__doc__ = (f"Elementwise ``{rule.name}``, differentiable (rule "
                        f"``{rule.name}`` in dualdiff.rules).")
    return function


def _binary_function(rule: rules.Binary) -> Callable[[Any, Any], Any]:
    def function(x: Any, y: Any) -> Any:
        return apply_binary(rule, x, y)
    function.__name__ = function.__qualname__ = rule.name
    function.__doc__ = (f"Elementwise ``{rule.name}(x, y)``, differentiable in both "
                        f"arguments (rule ``{rule.name}`` in dualdiff.rules).")
    return function


FUNCTIONS: dict[str, Callable[..., Any]] = {}
for _rule in rules.UNARY:
    FUNCTIONS[_rule.name] = _unary_function(_rule)
for _rule in rules.BINARY:
    FUNCTIONS[_rule.name] = _binary_function(_rule)

ALIASES = rules.ALIASES
for _alias, _target in ALIASES.items():
    FUNCTIONS[_alias] = FUNCTIONS[_target]

globals().update(FUNCTIONS)


def clip(x: Any, lo: Any, hi: Any) -> Any:
    """``minimum(maximum(x, lo), hi)``: the derivative passes where lo < x < hi.

    Built from ``maximum``/``minimum``, so at a bound the derivative splits 1/2 : 1/2
    between ``x`` and the bound (the same as JAX).  ``lo`` or ``hi`` may be None.
    """
    if lo is not None:
        x = FUNCTIONS["maximum"](x, lo)
    if hi is not None:
        x = FUNCTIONS["minimum"](x, hi)
    return x


def where(condition: Any, x: Any, y: Any) -> Any:
    """Elementwise choice of ``x`` where ``condition`` holds, else ``y``; the derivative
    follows the chosen branch.  A dual ``condition`` is read by its value."""
    cond = np.asarray(value_of(condition), dtype=bool)
    tx, ty = tag_of(x), tag_of(y)
    if tx < 0 and ty < 0:
        return np.where(cond, x, y)
    live = x if tx >= ty else y
    zero = live._with_zero_partials(np.zeros(live.shape)[()])  # a constant of live's kind and tag
    xj = x if tx == live.tag else zero + x
    yj = y if ty == live.tag else zero + y
    parts = [np.where(expand(cond, n), cx, cy)[()] for (cx, n), (cy, _) in zip(xj._parts(), yj._parts(), strict=True)]
    return live._rebuild(parts)


__all__ = [*FUNCTIONS, "clip", "where"]
