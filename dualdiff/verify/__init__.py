"""Verify derivatives from other tools (JAX, PyTorch, hand-written formulas, finite
differences) against dualdiff's exact ones.

>>> import numpy as np
>>> from dualdiff.verify import check_grad
>>> f = lambda x: np.sum(x ** 3)
>>> report = check_grad(f, lambda x: 3 * x ** 2, np.array([1.0, 2.0]))
>>> bool(report)
True

An entry passes when ``|candidate - exact| <= atol + rtol*|exact|`` (defaults rtol=1e-7,
atol=1e-9); ``print(report)`` shows the worst entries, ``report.to_json()`` is for tools.
Modules: :mod:`.checks` (the check functions), :mod:`.compare` (the criterion),
:mod:`.points` (sampling), :mod:`.finite_differences`, :mod:`.report`, :mod:`.render`,
:mod:`.candidate` (converting JAX / PyTorch / numpy values).
"""

from __future__ import annotations

from .checks import DEFAULT_ATOL, DEFAULT_RTOL, check_grad, check_hessian, check_hvp, check_jacobian
from .report import CRITERION, CheckReport, Entry, PointResult

__all__ = ["check_grad", "check_jacobian", "check_hessian", "check_hvp", "CheckReport", "Entry",
           "PointResult", "CRITERION", "DEFAULT_RTOL", "DEFAULT_ATOL"]
