"""The result of a derivative check: pass/fail, errors, the worst entries, per point.

``bool(report)`` is whether the check passed; ``str(report)`` is a table for a terminal;
``report.to_dict()`` / ``report.to_json()`` are for tooling.  In ``to_json`` non-finite
numbers are the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (strict JSON has no such
numbers); ``to_dict`` keeps them as floats.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compare import CRITERION
from .render import render


@dataclass
class Entry:
    """One entry of the derivative at one point.

    ``ratio`` is ``abs_error / (atol + rtol*|exact|)``: the entry fails when it exceeds 1.
    ``fd`` is the central finite-difference estimate (``finite_differences=True`` only)
    and ``fd_error`` its error ``|fd - exact|``.
    """

    point: int
    index: tuple[int, ...]
    exact: float
    candidate: float
    abs_error: float
    rel_error: float
    ratio: float
    passed: bool
    fd: float | None = None
    fd_error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"point": self.point, "index": list(self.index), "exact": self.exact,
                "candidate": self.candidate, "abs_error": self.abs_error, "rel_error": self.rel_error,
                "error_over_tolerance": self.ratio, "passed": self.passed,
                "finite_difference": self.fd, "finite_difference_error": self.fd_error}


@dataclass
class PointResult:
    """The check at one point x.

    ``message`` says why no entries were compared (a shape or type mismatch) or, for a
    Hessian, that the candidate is asymmetric beyond tolerance; ``hints`` are likely
    explanations (a transposed Jacobian, ...).  ``exact`` and ``candidate`` hold the arrays
    (``candidate`` is None if it was not an array of real numbers).
    """

    index: int
    x: np.ndarray
    passed: bool
    exact: np.ndarray
    candidate: np.ndarray | None
    n_entries: int = 0
    n_failed: int = 0
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    message: str | None = None
    hints: list[str] = field(default_factory=list)
    asymmetry: float | None = None               # Hessians: max |H[i,j] - H[j,i]| of the candidate
    asymmetry_index: tuple[int, ...] | None = None

    def to_dict(self, with_x: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {"index": self.index, "passed": self.passed, "n_entries": self.n_entries,
                             "n_failed": self.n_failed, "max_abs_error": self.max_abs_error,
                             "max_rel_error": self.max_rel_error, "message": self.message,
                             "hints": list(self.hints)}
        if self.asymmetry is not None:
            d["asymmetry"] = self.asymmetry
            d["asymmetry_index"] = None if self.asymmetry_index is None else list(self.asymmetry_index)
        if with_x:
            d["x"] = self.x.tolist()
        return d


@dataclass
class CheckReport:
    """Everything a derivative check found; ``bool(report)`` is ``report.passed``.

    ``kind`` is "gradient", "Jacobian", "Hessian" or "Hessian-vector product";
    ``worst`` holds the ``top`` entries with the largest ``error / tolerance`` over all
    points, worst first (shown whether or not the check passed).
    """

    kind: str
    check: str                 # the function that made it: "check_grad", ...
    function: str
    candidate: str
    rtol: float
    atol: float
    points: list[PointResult]
    worst: list[Entry]
    finite_differences: bool = False

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.points)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failed_points(self) -> list[PointResult]:
        return [p for p in self.points if not p.passed]

    @property
    def first_failure(self) -> PointResult | None:
        """The first failing point (None if the check passed)."""
        return next((p for p in self.points if not p.passed), None)

    @property
    def n_entries(self) -> int:
        return sum(p.n_entries for p in self.points)

    @property
    def n_failed_entries(self) -> int:
        return sum(p.n_failed for p in self.points)

    @property
    def max_abs_error(self) -> float | None:
        """Over all points whose candidate could be compared (None if none could)."""
        values = [p.max_abs_error for p in self.points if p.max_abs_error is not None]
        return max(values) if values else None

    @property
    def max_rel_error(self) -> float | None:
        values = [p.max_rel_error for p in self.points if p.max_rel_error is not None]
        return max(values) if values else None

    @property
    def max_asymmetry(self) -> float | None:
        """Hessians: the largest candidate asymmetry over all points."""
        values = [p.asymmetry for p in self.points if p.asymmetry is not None]
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        first = self.first_failure
        d = {"check": self.check, "kind": self.kind, "function": self.function,
             "candidate": self.candidate, "passed": self.passed, "criterion": CRITERION,
             "rtol": self.rtol, "atol": self.atol, "n_points": len(self.points),
             "n_failed_points": len(self.failed_points),
             "first_failing_point": None if first is None else first.index,
             "first_failing_x": None if first is None else first.x.tolist(),
             "n_entries": self.n_entries, "n_failed_entries": self.n_failed_entries,
             "max_abs_error": self.max_abs_error, "max_rel_error": self.max_rel_error,
             "finite_differences": self.finite_differences,
             "worst": [e.to_dict() for e in self.worst],
             "points": [p.to_dict(with_x=not p.passed) for p in self.points]}
        if self.kind == "Hessian":
            d["max_asymmetry"] = self.max_asymmetry
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(_strict(self.to_dict()), indent=indent, allow_nan=False)

    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        return (f"<CheckReport {self.check} {status}: {self.kind} of {self.function} vs {self.candidate}, "
                f"{len(self.points)} point(s), max abs error {self.max_abs_error}>")


def _strict(obj: Any) -> Any:
    """Non-finite floats as strings, for strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strict(v) for v in obj]
    return obj
