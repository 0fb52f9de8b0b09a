"""A drop-in for the standard ``math`` module that differentiates.

``from dualdiff import math`` (or ``import dualdiff.math as math``) in code written
against ``math`` makes it work on dual numbers unchanged.  On plain floats every
function behaves exactly as the standard ``math`` one (it *is* that one), including its
``ValueError`` outside the domain.  On dual numbers the functions with a rule in
:mod:`dualdiff.rules` propagate derivatives; ``floor``/``ceil``/``trunc`` return the
plain integer (their derivative is 0 wherever it exists), ``isnan``/``isclose``/... read
the value, and any other ``math`` function raises ``TypeError`` for a dual argument
rather than dropping its derivative.
"""

from __future__ import annotations

import math as _math
from collections.abc import Callable, Iterable
from typing import Any

from . import functions as _f
from . import rules as _rules
from .jet import Jet as _Jet
from .jet import value_of as _value_of

pi = _math.pi
e = _math.e
tau = _math.tau
inf = _math.inf
nan = _math.nan


def _is_dual(*xs: Any) -> bool:
    return any(isinstance(x, _Jet) for x in xs)


def _dispatch(name: str, rule_name: str) -> Callable[..., Any]:
    plain = getattr(_math, name)
    dual = _f.FUNCTIONS[rule_name]

    def function(*args: Any) -> Any:
        return dual(*args) if _is_dual(*args) else plain(*args)

    function.__name__ = name
    function.__doc__ = f"``math.{name}`` on floats; differentiable on dual numbers."
    return function


# every rule whose name or alias is a ``math`` function of the same meaning (the rows'
# aliases are the one list of other spellings); these few are written below instead:
# log takes a base, hypot any number of coordinates, floor/ceil/trunc return ints, and
# math.remainder / math.fmod round differently from numpy's remainder
_WRITTEN_BELOW = {"log", "hypot", "floor", "ceil", "trunc", "remainder", "fmod"}
for _rule in (*_rules.UNARY, *_rules.BINARY):
    for _name in _rules.names(_rule):
        if hasattr(_math, _name) and _name not in _WRITTEN_BELOW:
            globals()[_name] = _dispatch(_name, _rule.name)


def fmod(x: Any, y: Any) -> Any:
    """``math.fmod``: x - trunc(x / y)·y (sign of x); differentiable on duals."""
    if not _is_dual(x, y):
        return _math.fmod(x, y)
    return x - _f.trunc(x / y) * y


def log(x: Any, base: Any = None) -> Any:
    """``math.log(x[, base])``; differentiable on dual numbers (also in the base)."""
    if not _is_dual(x, base):
        return _math.log(x) if base is None else _math.log(x, base)
    return _f.log(x) if base is None else _f.log(x) / _f.log(base)


def hypot(*coordinates: Any) -> Any:
    """``math.hypot(*coordinates)``, the Euclidean norm; differentiable on duals."""
    if not _is_dual(*coordinates):
        return _math.hypot(*coordinates)
    if len(coordinates) == 1:
        return _f.abs(coordinates[0])
    # fold from the first coordinate, not from 0.0: hypot(0, c) would put a zero
    # coordinate at hypot's non-smooth origin although the norm is smooth there
    result = _f.hypot(coordinates[0], coordinates[1])
    for c in coordinates[2:]:
        result = _f.hypot(result, c)
    return result


def dist(p: Iterable[Any], q: Iterable[Any]) -> Any:
    """``math.dist(p, q)``; differentiable on duals."""
    return hypot(*(a - b for a, b in zip(p, q, strict=True)))


def fsum(values: Iterable[Any]) -> Any:
    """``math.fsum``; on duals a plain (derivative-carrying) sum."""
    values = list(values)
    if not _is_dual(*values):
        return _math.fsum(values)
    total: Any = 0.0
    for v in values:
        total = total + v
    return total


def prod(values: Iterable[Any], *, start: Any = 1) -> Any:
    """``math.prod``; differentiable on duals."""
    total = start
    for v in values:
        total = total * v
    return total


def copysign(x: Any, y: Any) -> Any:
    """``math.copysign``: |x| with the sign of y (the derivative in y is 0)."""
    if not _is_dual(x, y):
        return _math.copysign(x, y)
    return _f.abs(x) * _math.copysign(1.0, _value_of(y))


def _integer_valued(name: str) -> Callable[[Any], Any]:
    plain = getattr(_math, name)

    def function(x: Any) -> Any:
        return plain(_value_of(x))

    function.__name__ = name
    function.__doc__ = (f"``math.{name}``: an ``int``, as in ``math``; on a dual number the "
                        "value's (the derivative of a step function is 0 where it exists).")
    return function


floor = _integer_valued("floor")
ceil = _integer_valued("ceil")
trunc = _integer_valued("trunc")


def _value_only(name: str) -> Callable[..., Any]:
    plain = getattr(_math, name)

    def function(*args: Any, **kwargs: Any) -> Any:
        return plain(*(_value_of(a) for a in args), **{k: _value_of(v) for k, v in kwargs.items()})

    function.__name__ = name
    function.__doc__ = f"``math.{name}``, reading the value of dual arguments."
    return function


isnan = _value_only("isnan")
isinf = _value_only("isinf")
isfinite = _value_only("isfinite")
isclose = _value_only("isclose")


def __getattr__(name: str) -> Any:
    plain = getattr(_math, name)  # AttributeError as from math itself
    if not callable(plain):
        return plain

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _is_dual(*args, *kwargs.values()):
            raise TypeError(
                f"math.{name} has no derivative rule in dualdiff, so it cannot take a dual "
                f"number; write it with differentiable operations, or call math.{name} on "
                "the .value if its derivative is not needed")
        return plain(*args, **kwargs)

    guarded.__name__ = name
    return guarded


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(dir(_math)))
