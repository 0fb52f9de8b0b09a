"""Building blocks of dualdiff's error messages: qualified names, the docs page that lists
what is supported, and the explanation of a dual number converted to float.

Kept apart from the engines so every message names things the same way.
"""

from __future__ import annotations

import dis
import linecache
import os
import re
import sys
from types import TracebackType
from typing import Any

import numpy as np

from .jet import DualConversionError

SUPPORTED_DOCS = "docs/engines.md, section 'Supported numpy functions'"
NUMBA_DOCS = "docs/engines.md, section 'The numba engine'"


def ufunc_name(ufunc: Any) -> str:
    """The name to show for a ufunc: ``np.sin``, ``scipy.special.gammaln`` or its bare name.

    A ufunc's ``__module__`` does not say where it lives, so it is looked up: in numpy, then
    in ``scipy.special`` if scipy is already imported (it is never imported here).
    """
    name = getattr(ufunc, "__name__", None) or repr(ufunc)
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        return f"scipy.special.{name}"
    return name


def dd_equivalent(name: str) -> str | None:
    """``dd.sigmoid`` for ``expit``: the dualdiff function of that name or alias, if any."""
    from .functions import FUNCTIONS

    function = FUNCTIONS.get(name.rsplit(".", 1)[-1])
    return None if function is None else f"dd.{function.__name__}"


def no_rule(ufunc: Any) -> str:
    """The message for a ufunc on dual numbers that has no derivative rule."""
    name = ufunc_name(ufunc)
    instead = dd_equivalent(name)
    if instead is not None:
        return (f"{name} cannot take dual numbers (it would drop the derivative); use {instead}, "
                "the same function with a derivative rule")
    return (f"{name} has no derivative rule in dualdiff, so it cannot take dual numbers (it "
            f"would drop the derivative); what is supported: {SUPPORTED_DOCS}")


def unsupported_function(name: str) -> str:
    """The message for a numpy function without a dual implementation."""
    return (f"{name} is not supported on dual numbers: it has no dual implementation, and "
            f"running it on floats would drop the derivative; what is supported: {SUPPORTED_DOCS}")


# -- a dual number converted to float --------------------------------------------------------

_PACKAGE_DIRS = ("site-packages", "dist-packages")
_OWN = ("dualdiff", "numpy")
_STORES = ("STORE_SUBSCR", "STORE_SLICE")


def _frames(tb: TracebackType | None) -> list[tuple[str, str, str, int, str]]:
    """(module, function, file, line, instruction) of each frame of a traceback, outermost
    first; the instruction is the bytecode operation that was running (e.g. ``STORE_SUBSCR``
    for ``a[i] = d``)."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        op = next((i.opname for i in dis.get_instructions(code) if i.offset == tb.tb_lasti), "")
        frames.append((str(tb.tb_frame.f_globals.get("__name__", "")), code.co_name,
                       code.co_filename, tb.tb_lineno, op))
        tb = tb.tb_next
    return frames


def _is_library(module: str, filename: str) -> bool:
    """An installed package other than dualdiff and numpy (scipy, ...)."""
    top = module.split(".")[0]
    return top not in _OWN and any(d in filename.split(os.sep) for d in _PACKAGE_DIRS)


def _public(module: str, function: str) -> str:
    """``scipy.integrate.solve_ivp`` for ``solve_ivp`` in ``scipy.integrate._ivp.ivp``."""
    parts = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    return ".".join([*parts, function])


def _where(filename: str, line: int) -> str:
    code = linecache.getline(filename, line).strip()
    place = f"{os.path.basename(filename)}, line {line}"
    return f" ({place}: `{code}`)" if code else f" ({place})"


def conversion_error(exc: BaseException) -> DualConversionError | None:
    """Explain an error f raised because a dual number met float-only code, or None.

    numpy reports every conversion of a dual to float as "setting an array element with a
    sequence" (caused by the dual's ``__float__``), so the traceback tells the cases apart:
    a library (scipy's integrators, ...) converted it; f stored it into a float array
    (``a[i] = d``: the failing bytecode is a subscript store); or f converted it otherwise
    (``np.float64(d)``, ``np.asarray(d, dtype=float)``).
    """
    if getattr(exc, "_dualdiff_explained", False):
        return None
    converted = isinstance(exc, DualConversionError) or isinstance(exc.__cause__, DualConversionError)
    sequence = isinstance(exc, ValueError) and "setting an array element with a sequence" in str(exc)
    if not (converted or sequence):
        return None
    frames = _frames(exc.__traceback__)
    lib = next((i for i, (m, _, fn, _, _) in enumerate(frames) if _is_library(m, fn)), None)
    if lib is not None:
        name = _public(frames[lib][0], frames[lib][1])
        where = _where(*frames[lib - 1][2:4]) if lib > 0 else ""
        if name.startswith("scipy.integrate."):
            msg = (f"{name} converted a dual number to a float{where}: scipy's integrators compute in floats (compiled "
                   "code), so they cannot be differentiated through. Differentiate a "
                   "fixed-step integrator written with numpy operations instead (e.g. RK4 "
                   "steps in a loop), or integrate the sensitivity equations (the ODE for "
                   f"dy/dp alongside y) with {name}.")
        else:
            msg = (f"{name} converted a dual number to a float{where}: it computes in floats, so dualdiff cannot "
                   "differentiate through it (the derivative would be dropped). Write that "
                   "step with dd./np. functions, or differentiate it separately (e.g. by an "
                   "implicit-function or sensitivity formula).")
    elif isinstance(exc, DualConversionError):
        return None  # raised by the dual itself in f, already naming the fix
    else:
        user = [f for f in frames if f[0].split(".")[0] not in _OWN]
        where = _where(*user[-1][2:4]) if user else ""
        if user and user[-1][4] in _STORES:
            msg = (f"f stored a dual number into a float array{where}, which would drop its "
                   "derivative; allocate arrays that hold values depending on x from x: "
                   "np.empty_like(x), np.zeros_like(x) or dtype=x.dtype, not np.zeros(n) / "
                   "np.empty(n)")
        else:
            how = "" if user and user[-1][4] else " or by storing it into a float array"
            msg = (f"f converted a dual number to a float{where}, e.g. with np.float64(d) or "
                   f"np.asarray(d, dtype=float){how}, which would drop its derivative. Use d.value for the value alone; compute with dd./np. "
                   "functions, which keep the derivative; allocate arrays for values depending "
                   "on x with np.empty_like(x) or np.zeros_like(x), not np.zeros(n).")
    error = DualConversionError(msg)
    error._dualdiff_explained = True  # type: ignore[attr-defined]
    return error


# -- the numba engine ------------------------------------------------------------------------

_SIGNATURE = re.compile(r"^\s*>>> (.+?)\s*$", re.M)
_ATTRIBUTE = re.compile(r"Unknown attribute '([^']+)' of type ([^\n]+)")
_INVALID_USE = re.compile(r"Invalid use of (.+?) with (?:parameters|argument\(s\) of type\(s\)): (\([^\n]*\))")
_FILE = re.compile(r'^File "([^"]+)", line (\d+):', re.M)


def numba_operation(msg: str) -> tuple[str, str] | None:
    """From numba's TypingError text: the operation it could not type, with its argument
    types (``eigvalsh(array(Dual[2], 2d, C))``), and where in the user's code it is
    (`` (f.py, line 4)``, or ``""``)."""
    m = _SIGNATURE.search(msg)
    if m:
        what = m.group(1)
    elif (m := _ATTRIBUTE.search(msg)):
        what = f"attribute .{m.group(1)} of {m.group(2).strip()}"
    elif (m := _INVALID_USE.search(msg)):
        what = f"{m.group(1)}{m.group(2)}"
    else:
        return None
    for path, line in _FILE.findall(msg):
        if "dualdiff/jit/" not in path.replace("\\", "/"):  # not the engine's drivers
            return what, f" ({os.path.basename(path)}, line {line})"
    return what, ""
