"""The command line: ``python -m dualdiff check MODULE:FUNC MODULE:DERIV --x "1,2,3"``.

Checks a derivative function (a gradient by default; ``--jacobian``, ``--hessian`` or
``--hvp --v ...``) against dualdiff's exact derivative of FUNC, and prints the report
(``--json`` for JSON).  Exit status: 0 if the check passes, 1 if it fails, 2 for usage
errors (a module that does not import, a missing function, a malformed ``--x``, or f
or the candidate raising an exception).

MODULE is a dotted module name importable from the current directory, or a path to a
``.py`` file.  ``--x`` is comma-separated numbers (a vector: ``"1,2,3"``), a single number
(a scalar), or JSON nested lists (an array of any shape: ``"[[1,2],[3,4]]"``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .verify import DEFAULT_ATOL, DEFAULT_RTOL, check_grad, check_hessian, check_hvp, check_jacobian
from .verify.checks import DEFAULT_TOP

PROG = "python -m dualdiff"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or what it names: exit status 2."""


# -- arguments -------------------------------------------------------------------------------

def parse_array(text: str, name: str = "--x") -> np.ndarray:
    """``"1,2,3"`` -> a vector, ``"2"`` -> a scalar, ``"[[1,2],[3,4]]"`` -> an array (JSON)."""
    s = text.strip()
    try:
        if s.startswith("["):
            value = json.loads(s)
        elif "," in s:
            value = [float(p) for p in s.split(",") if p.strip()]
        else:
            value = float(s)
        a = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{name} {text!r} is not a number, a comma-separated list of numbers, or JSON "
                         f"nested lists of numbers ({exc})") from exc
    return a


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Tools of dualdiff, exact derivatives by dual and hyper-dual numbers.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser(
        "check", help="check a derivative function against dualdiff's exact derivative",
        description="Check a gradient (or Jacobian, Hessian, Hessian-vector product) function against "
                    "dualdiff's exact derivative of FUNC. Exit status 0: passed, 1: failed, 2: usage "
                    "error. An entry passes when |candidate - exact| <= atol + rtol*|exact|.",
        epilog='example: python -m dualdiff check mymodel.py:loss mymodel.py:loss_grad --x "1,2,3" --fd')
    check.add_argument("function", metavar="MODULE:FUNC",
                       help="the function f to differentiate (MODULE: dotted name or path to a .py file)")
    check.add_argument("candidate", metavar="MODULE:DERIV",
                       help="the derivative to check, called as DERIV(x) (DERIV(x, v) with --hvp)")
    kind = check.add_mutually_exclusive_group()
    kind.add_argument("--jacobian", action="store_true", help="DERIV is the Jacobian of f")
    kind.add_argument("--hessian", action="store_true", help="DERIV is the Hessian of f")
    kind.add_argument("--hvp", action="store_true", help="DERIV(x, v) is the Hessian-vector product")
    check.add_argument("--x", required=True, metavar="X",
                       help='the point: "1,2,3" (vector), "2" (scalar) or JSON "[[1,2],[3,4]]"')
    check.add_argument("--v", metavar="V", help="the direction for --hvp (the format of --x)")
    check.add_argument("--rtol", type=float, default=DEFAULT_RTOL, help=f"default {DEFAULT_RTOL:g}")
    check.add_argument("--atol", type=float, default=DEFAULT_ATOL, help=f"default {DEFAULT_ATOL:g}")
    check.add_argument("--samples", type=int, default=0, metavar="N",
                       help="also check at N random points in the box [low, high] (default x - 1 .. x + 1)")
    check.add_argument("--seed", type=int, default=None, metavar="S", help="seed of the random points")
    check.add_argument("--low", metavar="L", help="lower corner of the sampling box (a number or like --x)")
    check.add_argument("--high", metavar="H", help="upper corner of the sampling box")
    check.add_argument("--top", type=int, default=DEFAULT_TOP, metavar="K",
                       help=f"how many worst entries to show (default {DEFAULT_TOP})")
    check.add_argument("--fd", action="store_true",
                       help="also show central finite differences at the worst entries")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--traceback", action="store_true",
                       help="print the full traceback when f or the candidate raises")
    return parser


# -- loading MODULE:FUNC ----------------------------------------------------------------------

def _load_file(path: Path) -> ModuleType:
    path = path.resolve()
    name = "_dualdiff_cli_" + "".join(c if c.isalnum() else "_" for c in str(path))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"cannot import {str(path)!r}: {type(exc).__name__}: {exc}") from exc
    return module


def _import(module_name: str) -> ModuleType:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}") from exc


def load_callable(spec: str) -> Callable[..., Any]:
    """``MODULE:NAME`` (NAME may be dotted: ``Class.method``) -> the callable; UsageError if not."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(f"{spec!r} should be MODULE:FUNC (a module name or a .py path, a colon, a name)")
    path = Path(module_part)
    if module_part.endswith(".py") or os.sep in module_part or (os.altsep and os.altsep in module_part):
        if not path.is_file():
            raise UsageError(f"no such file: {module_part!r} (in {spec!r})")
        module = _load_file(path)
    else:
        module = _import(module_part)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{module_part!r} has no attribute {attr!r} (in {spec!r})")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec!r} is a {type(obj).__name__}, not a function")
    return obj


# -- running ---------------------------------------------------------------------------------

def run_check_command(ns: argparse.Namespace) -> int:
    f = load_callable(ns.function)
    candidate = load_callable(ns.candidate)
    x = parse_array(ns.x, "--x")
    low = None if ns.low is None else parse_array(ns.low, "--low")
    high = None if ns.high is None else parse_array(ns.high, "--high")
    if ns.samples < 0 or ns.top < 0:
        raise UsageError("--samples and --top must be non-negative")
    if (low is not None or high is not None) and not ns.samples:
        raise UsageError("--low/--high give the box for random points; add --samples N")
    if ns.hvp and ns.v is None:
        raise UsageError("--hvp needs the direction --v")
    if ns.v is not None and not ns.hvp:
        raise UsageError("--v is the direction of --hvp")
    options = dict(rtol=ns.rtol, atol=ns.atol, top=ns.top, samples=ns.samples, seed=ns.seed, low=low,
                   high=high, finite_differences=ns.fd)
    try:
        if ns.hvp:
            v = parse_array(ns.v, "--v")
            if v.shape != x.shape:
                raise UsageError(f"--v has shape {v.shape}, --x has shape {x.shape}")
            report = check_hvp(f, candidate, x, v, **options)
        elif ns.hessian:
            report = check_hessian(f, candidate, x, **options)
        elif ns.jacobian:
            report = check_jacobian(f, candidate, x, **options)
        else:
            report = check_grad(f, candidate, x, **options)
    except UsageError:
        raise
    except Exception as exc:
        if ns.traceback:
            traceback.print_exc()
        raise UsageError(f"the check could not run: {type(exc).__name__}: {exc}"
                         + ("" if ns.traceback else " (--traceback shows where)")) from exc
    try:
        print(report.to_json() if ns.json else report, flush=True)
    except BrokenPipeError:  # the reader (| head) went away: not an error of the check
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_PASS if report.passed else EXIT_FAIL


_ARRAY_OPTIONS = ("--x", "--v", "--low", "--high", "--rtol", "--atol")


def _attach_negative_values(argv: Sequence[str]) -> list[str]:
    """``--x -1,2`` -> ``--x=-1,2``: argparse would take ``-1,2`` for an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in _ARRAY_OPTIONS and i + 1 < len(argv) and re.match(r"-(\d|\.\d|inf)", argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    ns = parser.parse_args(_attach_negative_values(sys.argv[1:] if argv is None else argv))  # argparse exits with status 2 on its own usage errors
    if ns.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return run_check_command(ns)
    except UsageError as exc:
        print(f"{PROG} {ns.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
