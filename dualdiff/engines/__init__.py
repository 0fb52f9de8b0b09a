"""Engines run f on seeded numbers; every transform is read from one of six kernels.

========== ===================================================== ========================
kernel     what one call returns                                 transforms read from it
========== ===================================================== ========================
gradient   (f(x), ∇f(x) flat (n,)), f scalar                      grad, value_and_grad
jacobian   (f(x), J flat: f(x).shape + (n,))                      jacobian, value_and_jacobian
jvp        (f(x), J·v)                                            jvp, derivative
hessian    (f(x), ∇f (n,), ∇²f (n, n) exactly symmetric)          hessian, value_grad_hessian
hvp        (f(x), ∇²f·v flat (n,))                                hvp
second     (f(x), f''(x)) for scalar x                            second_derivative
========== ===================================================== ========================

An engine supplies ``default_chunk(n, kernel)`` and ``runner(f, kernel, k)``: a function
``(x, v, args, kwargs) -> tuple`` as above (v is the direction of jvp/hvp, else None).
:func:`select` is the one place that decides which engine runs: adding an engine is a
module with those two functions and one line there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .. import _checks
from . import python as _python

KERNELS = ("gradient", "jacobian", "jvp", "hessian", "hvp", "second")
_ORDER = {"gradient": 1, "jacobian": 1, "jvp": 1, "hessian": 2, "hvp": 2, "second": 2}


class PythonEngine:
    """f on dual numbers with numpy-array components, one pass at a time."""

    name = "python"

    @staticmethod
    def default_chunk(n: int, kernel: str) -> int:
        return _python.default_chunk(n, _ORDER[kernel])

    @staticmethod
    def runner(f: Callable[..., Any], kernel: str, k: int) -> Callable[..., tuple]:
        p = _python
        kernels: dict[str, Callable[..., tuple]] = {
            "gradient": lambda x, v, a, kw: p.jacobian_product(f, x, None, k, a, kw),
            "jacobian": lambda x, v, a, kw: p.jacobian_product(f, x, None, k, a, kw),
            "jvp": lambda x, v, a, kw: p.jvp(f, x, v, a, kw),
            "hessian": lambda x, v, a, kw: p.hessian_blocks(f, x, k, a, kw),
            "hvp": lambda x, v, a, kw: p.hvp(f, x, v, k, a, kw),
            "second": lambda x, v, a, kw: p.second(f, x, a, kw),
        }
        return kernels[kernel]


class NumbaEngine:
    """f an ``@njit`` function, compiled into drivers that loop over the passes."""

    name = "numba"

    @staticmethod
    def default_chunk(n: int, kernel: str) -> int:
        from . import numba as _numba

        return _numba.default_chunk(n, kernel)

    @staticmethod
    def runner(f: Callable[..., Any], kernel: str, k: int) -> Callable[..., tuple]:
        from . import numba as _numba

        return _numba.Runner(f, kernel, k)


PYTHON, NUMBA = PythonEngine(), NumbaEngine()


def numba_plans(f: Any) -> dict[tuple[Any, ...], Any]:
    """The plans of one-shot calls kept with a numba function's compiled drivers."""
    _numba = sys.modules.get(f"{__name__}.numba")
    if _numba is None:
        from . import numba as _numba
    return _numba.plans_of(f)


def select(f: Any, engine: str, nested: bool) -> tuple[PythonEngine | NumbaEngine, Callable[..., Any]]:
    """(the engine that runs, the function it runs) for ``engine=`` and an input that holds
    an outer transform's numbers (``nested``).

    "auto" runs a numba dispatcher on the numba engine and anything else on the Python
    engine; nested inputs always run on the Python engine (compiled code cannot carry an
    outer transform's numbers), a numba function there as its Python source with its njit
    callees and ``math`` rebound (``python.python_function``).  "numba" insists.
    """
    _checks.engine(engine)
    numba_f = _checks.is_numba(f)
    if engine == "numba":
        if not numba_f:
            raise TypeError(f"engine='numba' needs a @numba.njit function, got {type(f).__name__}")
        if nested:
            raise TypeError(
                "engine='numba' cannot run inside another differentiation (x holds dual numbers "
                "of an outer transform); use engine='auto' or 'python' for nested transforms")
        return NUMBA, f
    if engine == "auto" and numba_f and not nested:
        return NUMBA, f
    return PYTHON, _python.python_function(f)
