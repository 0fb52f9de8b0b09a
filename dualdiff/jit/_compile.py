"""Compiling the rules table for numba.

The rule lambdas in :mod:`dualdiff.rules` are written with numpy functions and a few
Python helpers.  Numpy's ufuncs compile as they are; the helpers that compute *values*
(``erf``, ``_zero_if``, ``_hypot_grad``) are replaced by numba-compatible equivalents
listed in :data:`VALUE_HELPERS`, and every other Python function a rule calls is
compiled recursively with those replacements, from its own code object (no source is
rewritten).  No derivative formula is restated here.
"""

from __future__ import annotations

import math
import types as pytypes
from typing import Any

import numba
import numpy as np

from .. import rules

# -- numba-compatible replacements for the rules' value helpers ---------------------------


@numba.njit(error_model="numpy")
def _nb_zero_if(coef: float, term: float) -> float:
    # rules._zero_if on plain numbers: coef * term, exactly 0 where coef is 0
    return 0.0 if coef == 0 else coef * term


@numba.njit(error_model="numpy")
def _nb_hypot_grad(u: float, z: float) -> float:
    # rules._hypot_grad on plain numbers: u / z, taken as 0 at the origin
    return 0.0 if z == 0 else u / z


@numba.njit(error_model="numpy")
def _nb_erf(x: float) -> float:
    return math.erf(x)


@numba.njit(error_model="numpy")
def _nb_erfc(x: float) -> float:
    return math.erfc(x)


VALUE_HELPERS: dict[Any, Any] = {
    rules.erf: _nb_erf,
    rules.erfc: _nb_erfc,
    rules._zero_if: _nb_zero_if,
    rules._hypot_grad: _nb_hypot_grad,
}

_compiled: dict[Any, Any] = {}


def jit_function(fn: Any) -> Any:
    """``fn`` callable from numba code: a ufunc or numba function as is, a value helper
    replaced, any other Python function compiled with its helpers replaced."""
    if isinstance(fn, (np.ufunc, numba.core.registry.CPUDispatcher)):
        return fn
    if fn in VALUE_HELPERS:
        return VALUE_HELPERS[fn]
    if fn in _compiled:
        return _compiled[fn]
    if not isinstance(fn, pytypes.FunctionType):
        raise TypeError(f"cannot compile rule helper {fn!r} for numba")
    namespace = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        g = fn.__globals__.get(name)
        if isinstance(g, pytypes.FunctionType):
            namespace[name] = jit_function(g)
    rebuilt = pytypes.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    # numpy's error model: 1/0 is inf (as the Python engine computes), never ZeroDivisionError
    compiled = numba.njit(rebuilt, error_model="numpy")
    _compiled[fn] = compiled
    return compiled


is_constant = rules.is_table_constant  # a partial written as a number in the table


def jit_partial(p: Any) -> Any:
    """A rule partial for numba: None (structural zero), a float constant or a function."""
    if p is None:
        return None
    if is_constant(p):
        return float(p)
    return jit_function(p)
