"""A check report as a terminal table (``str(report)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .compare import ASYMMETRY_MESSAGE, CRITERION

if TYPE_CHECKING:
    from .report import CheckReport, Entry, PointResult

MAX_POINT_LINES = 10


def num(v: float | None, digits: int = 12) -> str:
    if v is None:
        return "-"
    return format(float(v), f".{digits}g")


def index_str(index: tuple[int, ...] | None) -> str:
    return "()" if not index else "[" + ", ".join(str(i) for i in index) + "]"


def x_str(x: np.ndarray) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=12, edgeitems=3, max_line_width=10**6)


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [(indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip() for r in rows]


def _entry_row(e: Entry, with_point: bool, with_fd: bool) -> list[str]:
    row = [f"#{e.point}"] if with_point else []
    row += [index_str(e.index), num(e.exact), num(e.candidate), num(e.abs_error, 3), num(e.rel_error, 3),
            num(e.ratio, 3)]
    if with_fd:
        row += [num(e.fd), num(e.fd_error, 3)]
    return row + ["ok" if e.passed else "FAIL"]


def _point_line(p: PointResult) -> str:
    if p.message and p.n_entries == 0:
        detail = p.message
    else:
        detail = (f"{p.n_failed} of {count(p.n_entries, 'entry', 'entries')} fail, "
                  f"max abs error {num(p.max_abs_error, 3)}")
        if p.message:
            detail += f"; {p.message}"
    return f"  point #{p.index} x = {x_str(p.x)}: {detail}"


def render(r: CheckReport) -> str:
    status = "passed" if r.passed else "FAILED"
    multi = len(r.points) > 1
    lines = [f"{r.check} {status}: {r.kind} of {r.function} vs {r.candidate}",
             f"criterion: {CRITERION} (rtol={r.rtol:g}, atol={r.atol:g})"]
    summary = count(len(r.points), "point") + ("" if multi or not r.points else f" (x = {x_str(r.points[0].x)})")
    summary += ", "
    if r.max_abs_error is None:
        summary += "no entries compared"
    else:
        summary += f"{count(r.n_entries, 'entry', 'entries')}, {r.n_failed_entries} failing"
        summary += f"; max abs error {num(r.max_abs_error, 3)}, max rel error {num(r.max_rel_error, 3)}"
    lines.append(summary)
    failed = r.failed_points
    if multi and failed:
        first = failed[0]
        lines.append(f"{len(failed)} of {len(r.points)} points fail; first failing point #{first.index}: "
                     f"x = {x_str(first.x)}")
    shown_messages: set[str] = set()
    problem_points = failed if multi else [p for p in r.points if p.message or p.hints]
    for p in problem_points[:MAX_POINT_LINES]:
        if multi:
            lines.append(_point_line(p))
        elif p.message and p.message not in shown_messages and p.message != ASYMMETRY_MESSAGE:
            lines.append(p.message)
        shown_messages.add(p.message or "")
        lines.extend(f"    hint: {h}" for h in p.hints)
    if multi and len(problem_points) > MAX_POINT_LINES:
        lines.append(f"  ... and {len(problem_points) - MAX_POINT_LINES} more failing points")
    asym = [p for p in r.points if p.asymmetry]
    if asym:
        p = max(asym, key=lambda q: q.asymmetry or 0.0)
        where = f"point #{p.index}; " if multi else ""
        i = p.asymmetry_index or ()
        half = len(i) // 2
        verdict = "beyond tolerance: fails" if p.message == ASYMMETRY_MESSAGE else "within tolerance"
        lines.append(f"candidate Hessian is not symmetric: max |H[i, j] - H[j, i]| = {num(p.asymmetry, 3)} "
                     f"at i = {index_str(i[:half])}, j = {index_str(i[half:])} ({where}{verdict})")
    if r.worst:
        with_fd = r.finite_differences
        lines.append("")
        lines.append("worst entries (exact: dualdiff, exact to rounding; err/tol > 1 fails):")
        head = (["point"] if multi else []) + ["index", "exact", "candidate", "abs err", "rel err", "err/tol"]
        if with_fd:
            head += ["central FD", "FD err"]
        rows = [head + [""]] + [_entry_row(e, multi, with_fd) for e in r.worst]
        lines.extend(table(rows))
        if with_fd:
            lines.append("  (central FD: finite differences of f, with their truncation and rounding error"
                         " |FD - exact|)")
    return "\n".join(lines)
