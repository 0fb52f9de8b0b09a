"""The points a check runs at: ``x``, explicit ``points``, and random samples in a box.

A derivative bug that shows only in some region (a wrong branch, a sign error for
negative inputs) is caught by checking at many points.  Samples are drawn uniformly from
the box ``[low, high]`` (scalars or arrays broadcast to the shape of x); without a box,
from ``[x - 1, x + 1]`` around the first given point.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def as_point(x: Any) -> np.ndarray:
    """x as a float64 array (0-d for a scalar); TypeError for non-real input."""
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"a point must be a real number or an array of real numbers, got dtype {a.dtype}")
    return a.astype(np.float64)


def make_points(x: Any = None, points: Iterable[Any] | None = None, samples: int = 0,
                seed: int | None = None, low: Any = None, high: Any = None) -> list[np.ndarray]:
    """[x] + list(points) + ``samples`` uniform random points (see the module docstring)."""
    out = [] if x is None else [as_point(x)]
    if points is not None:
        if isinstance(points, np.ndarray) and points.ndim == 0:
            raise TypeError("points must be a sequence of points (an array's first axis indexes points)")
        out.extend(as_point(p) for p in points)
    if not isinstance(samples, (int, np.integer)) or isinstance(samples, bool) or samples < 0:
        raise ValueError(f"samples must be a non-negative integer, got {samples!r}")
    if (low is not None or high is not None) and not samples:
        raise ValueError("low/high give the box for random samples; pass samples=N as well")
    if samples:
        if not out and (low is None or high is None):
            raise ValueError("random samples need x (their shape and centre) or both low and high")
        shape = out[0].shape if out else np.broadcast_shapes(np.shape(low), np.shape(high))
        centre = out[0] if out else None
        lo = centre - 1.0 if low is None else np.broadcast_to(as_point(low), shape)
        hi = centre + 1.0 if high is None else np.broadcast_to(as_point(high), shape)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo <= hi)):
            raise ValueError("the sampling box needs finite low <= high")
        rng = np.random.default_rng(seed)
        out.extend(np.asarray(p) for p in rng.uniform(lo, hi, size=(int(samples),) + shape))
    if not out:
        raise ValueError("nothing to check: pass x, points=[...] or samples=N with low and high")
    return out
