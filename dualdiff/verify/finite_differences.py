"""Central finite differences at chosen entries: what a step-size method gives there.

They are shown next to the exact value so that the truncation and rounding error which
dualdiff avoids is visible.  Steps balance the O(h²) truncation error against the
O(eps/h) (first order) or O(eps/h²) (second order) rounding error:

* first derivatives: ``(f(x + h e_j) - f(x - h e_j)) / (2h)``, ``h = eps^(1/3)·max(1, |x_j|)``
  (the step actually taken, ``(x_j + h) - (x_j - h)``, is the one divided by);
* second derivatives along directions a, b (``aᵀ H b``; unit vectors for Hessian entries,
  ``v`` and a unit vector for Hessian-vector products): the four-point formula
  ``(f(x+ha+kb) - f(x+ha-kb) - f(x-ha+kb) + f(x-ha-kb)) / (4hk)`` with
  ``h = eps^(1/4)·max(1, |x| on the support of a) / max|a|`` (k likewise for b).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)
FIRST_ORDER_STEP = EPS ** (1 / 3)
SECOND_ORDER_STEP = EPS ** (1 / 4)


class FiniteDifferences:
    """Central differences of ``f(x, *args, **kwargs)`` at one point, evaluated lazily."""

    def __init__(self, f: Callable[..., Any], x: np.ndarray, args: tuple = (), kwargs: dict | None = None):
        self.f, self.args, self.kwargs = f, args, kwargs or {}
        self.x = np.asarray(x, dtype=np.float64)
        self._columns: dict[int, np.ndarray] = {}

    def _eval(self, flat: np.ndarray) -> np.ndarray:
        x = flat.reshape(self.x.shape)
        out = self.f(x[()] if x.ndim == 0 else x, *self.args, **self.kwargs)
        return np.asarray(out, dtype=np.float64)

    def column(self, j: int) -> np.ndarray:
        """∂f/∂x_j (flat index j) by a central difference; shape f(x).shape."""
        if j not in self._columns:
            flat = self.x.ravel()
            h = FIRST_ORDER_STEP * max(1.0, abs(flat[j]))
            up, down = flat.copy(), flat.copy()
            up[j] += h
            down[j] -= h
            self._columns[j] = (self._eval(up) - self._eval(down)) / (up[j] - down[j])
        return self._columns[j]

    def _step(self, d: np.ndarray) -> float:
        support = np.abs(self.x.ravel()[d != 0])
        return SECOND_ORDER_STEP * max(1.0, float(support.max(initial=0.0))) / float(np.abs(d).max())

    def second(self, a: np.ndarray, b: np.ndarray) -> float:
        """aᵀ H b (a, b flat directions) by the four-point central formula."""
        if not a.any() or not b.any():
            return 0.0
        x = self.x.ravel()
        h, k = self._step(a), self._step(b)
        total = (self._eval(x + h * a + k * b) - self._eval(x + h * a - k * b)
                 - self._eval(x - h * a + k * b) + self._eval(x - h * a - k * b))
        return float(total / (4 * h * k))

    def _flat(self, index: tuple[int, ...]) -> int:
        return int(np.ravel_multi_index(index, self.x.shape)) if index else 0

    def _unit(self, index: tuple[int, ...]) -> np.ndarray:
        e = np.zeros(self.x.size)
        e[self._flat(index)] = 1.0
        return e

    def entry(self, kind: str, index: tuple[int, ...], v: np.ndarray | None = None) -> float:
        """The finite-difference estimate of entry ``index`` of the ``kind`` derivative."""
        nx = self.x.ndim
        if kind == "gradient":
            return float(self.column(self._flat(index)))
        if kind == "Jacobian":
            f_index, x_index = index[:len(index) - nx], index[len(index) - nx:]
            return float(self.column(self._flat(x_index))[f_index])
        if kind == "Hessian":
            return self.second(self._unit(index[:nx]), self._unit(index[nx:]))
        if kind == "Hessian-vector product":
            assert v is not None
            return self.second(np.asarray(v, dtype=np.float64).ravel(), self._unit(index))
        raise ValueError(f"unknown derivative kind {kind!r}")
