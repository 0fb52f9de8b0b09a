"""Per-call timing and the table every benchmark prints (median of repeats, one process)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any


def per_call(fn: Callable[[], Any], budget: float = 0.3, repeats: int = 5, max_calls: int = 100_000) -> float:
    """Median seconds per call of ``fn()``: calibrate a loop of about budget/repeats s, repeat."""
    fn()  # warm up (JIT compilation, caches)
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    if once > budget:  # slow peer: a few single calls
        samples = [once]
        for _ in range(2):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples)
    number = max(1, min(max_calls, int(budget / repeats / once)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def fmt_time(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def print_table(title: str, rows: list[dict[str, Any]], peers: list[str], reference: str) -> None:
    """rows: {"case": str, peer: seconds or None, ...}; ratios are peer time / reference time."""
    print(f"\n## {title}\n")
    head = ["case"] + peers + [f"{p} / {reference}" for p in peers if p != reference]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        ref = row.get(reference)
        cells = [row["case"]] + [fmt_time(row.get(p)) for p in peers]
        for p in peers:
            if p == reference:
                continue
            t = row.get(p)
            cells.append("—" if t is None or ref is None else f"{t / ref:.2f}x")
        print("| " + " | ".join(cells) + " |")


def guarded(fn: Callable[[], Any], budget: float = 0.3, limit: float = 5.0) -> float | None:
    """per_call, or None if the peer is missing, fails, or a single call exceeds ``limit`` s."""
    try:
        t0 = time.perf_counter()
        fn()
        if time.perf_counter() - t0 > limit:
            return None
        return per_call(fn, budget)
    except Exception as exc:  # a peer that cannot run this case
        print(f"   (peer failed: {type(exc).__name__}: {str(exc)[:100]})")
        return None
