"""The two places where dualdiff changes numba's own behaviour, in one module.

numba has no public hook for either, so each wraps one numba function in place; both
act on dualdiff's jet types only and pass everything else to numba's original.  numba
is pinned below its next minor version in pyproject.toml; :func:`check` runs at import
and fails loudly (ImportError naming the numba version) if a patched name has moved, and
the test suite checks that both patches are installed.

* ``numba.np.numpy_support.as_dtype``: numba needs a numpy dtype for every array type
  it builds a Python wrapper for, including a user's njit function returning an array
  of jets (called from a driver, never from Python); jets map to a structured dtype with
  their memory layout.
* ``numba.core.inline_closurecall._inline_const_arraycall``: numba rewrites
  ``np.array([a, b])`` into ``np.empty(2, dtype=np.<name>)`` after type inference, which
  cannot name a jet type; for arrays of jets the call (dualdiff's np.array overload)
  is kept.
"""

from __future__ import annotations

from typing import Any

import numba
from numba.core import inline_closurecall, types
from numba.core import ir as nbir
from numba.np import numpy_support

from ._types import JetType, numpy_dtype

#: numba versions the patches were written and tested against (pyproject.toml pins it)
TESTED = ((0, 59), (0, 69))
PATCHED = (
    (numpy_support, "as_dtype"),
    (inline_closurecall, "_inline_const_arraycall"),
)


def check() -> None:
    """Raise ImportError if a name this module patches is gone from numba."""
    missing = [f"{m.__name__}.{name}" for m, name in PATCHED if not callable(getattr(m, name, None))]
    if missing:
        raise ImportError(
            f"dualdiff's numba engine patches {', '.join(missing)}, which numba {numba.__version__} "
            f"no longer has; dualdiff is tested with numba >= {TESTED[0][0]}.{TESTED[0][1]}, "
            f"< {TESTED[1][0]}.{TESTED[1][1]}: install a numba in that range")


def installed() -> bool:
    """True when both patches are in place."""
    return all(getattr(getattr(m, name), "_dualdiff", False) for m, name in PATCHED)


def _as_dtype_patch(original: Any) -> Any:
    def as_dtype(nbtype: Any) -> Any:
        if isinstance(nbtype, JetType):
            return numpy_dtype(nbtype)
        return original(nbtype)

    as_dtype.__doc__ = original.__doc__
    return as_dtype


def _inline_const_arraycall_patch(original: Any) -> Any:
    def inline_const_arraycall(block: Any, func_ir: Any, context: Any, typemap: Any, calltypes: Any) -> Any:
        for inst in block.body:
            if isinstance(inst, nbir.Assign) and isinstance(inst.value, nbir.Expr) and inst.value.op == "call":
                sig = calltypes.get(inst.value)
                ret = getattr(sig, "return_type", None)
                if isinstance(ret, types.Array) and isinstance(ret.dtype, JetType):
                    return None
        return original(block, func_ir, context, typemap, calltypes)

    return inline_const_arraycall


def install() -> None:
    """Install both patches (once)."""
    check()
    for (module, name), make in zip(PATCHED, (_as_dtype_patch, _inline_const_arraycall_patch), strict=True):
        original = getattr(module, name)
        if getattr(original, "_dualdiff", False):
            continue
        patched = make(original)
        patched._dualdiff = True  # type: ignore[attr-defined]
        setattr(module, name, patched)


install()
