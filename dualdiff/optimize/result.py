"""What a solver returns: :class:`OptimizeResult`, its :class:`Status` codes and the
recorded :class:`Path`.

``OptimizeResult`` mirrors :class:`scipy.optimize.OptimizeResult`: a ``dict`` whose keys
are also attributes (``res.x`` is ``res["x"]``), with a readable multi-line repr.

Evaluation counts follow what each call delivers: a call of ``f`` alone adds 1 to
``nfev``; a gradient pass (``dd.value_and_grad``) adds 1 to ``nfev`` and ``njev``; a
Hessian pass (``dd.value_grad_hessian``, which delivers all three) adds 1 to each of
``nfev``, ``njev`` and ``nhev``.  (A "pass" may run ``f`` several times on dual numbers,
once per chunk of seed directions: see :mod:`dualdiff.transforms`.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np


class Status(enum.IntEnum):
    """Why a solver stopped.  ``success`` is true for the first three."""

    CONVERGED = 0       #: the gradient norm (or ``|F|`` for roots) is at most ``tol``
    SMALL_STEP = 1      #: the full step is below ``xtol · (1 + |x|)``: x has stopped moving
    ROUNDING = 2        #: the decrease a step could still make is below f's rounding error
    MAXITER = 3         #: ``maxiter`` iterations without converging
    NOT_FINITE = 4      #: f, its gradient or its Hessian became inf or NaN
    SINGULAR = 5        #: a singular Hessian (pure Newton) or Jacobian (roots)
    NO_DECREASE = 6     #: the line search or trust region could not decrease f (not rounding)
    CALLBACK = 7        #: the callback returned True or raised StopIteration
    UNBOUNDED = 8       #: f fell below -10³⁰·max(1, |f(x0)|) or to -inf: f is unbounded below
    SADDLE = 9          #: ∇f ≈ 0 but ∇²f has a negative eigenvalue: a saddle or maximum (Newton methods)

    @property
    def success(self) -> bool:
        """The first three: x is a critical point to the accuracy f and ``tol`` allow (for the
        Newton methods also a second-order one: no negative curvature at x)."""
        return self in (Status.CONVERGED, Status.SMALL_STEP, Status.ROUNDING)


@dataclass(frozen=True)
class Path:
    """The iterates of a run (``record_path=True``), for plotting.

    ``x[k]`` is the k-th iterate (shape ``(k_max + 1,) + x0.shape``; a 1-D array for a
    scalar x0) and ``fun[k]`` its value (for roots: ``fun[k]`` is ``F(x_k)``).
    ``x[0]`` is the start and ``x[-1]`` the returned point.
    """

    x: np.ndarray
    fun: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return f"Path({len(self)} points, x.shape={self.x.shape})"


_FIRST = ("message", "success", "status", "fun", "x", "root", "nit", "iterations", "jac", "hess",
          "nfev", "njev", "nhev")


class OptimizeResult(dict):
    """The result of :func:`minimize`, :func:`root` or :func:`root_scalar`.

    Keys (also attributes): ``x`` the solution (a float for a scalar x0), ``fun`` f(x)
    (``F(x)`` for roots), ``jac`` the gradient (Jacobian for roots), ``hess`` the Hessian
    where the method computed it, ``nit`` iterations, ``nfev``/``njev``/``nhev``
    evaluation counts, ``success``, ``status`` (a :class:`Status`), ``message``, and
    ``path`` (a :class:`Path`) when ``record_path=True``.  Method-specific extras:
    ``nmod`` ("newton": iterations whose Hessian was modified), ``nneg`` ("newton": steps
    along a direction of negative curvature), ``trust_radius``
    ("newton-trust": the final radius), and for :func:`root_scalar` scipy's
    ``RootResults`` names ``root, iterations, function_calls, converged, flag``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    __setattr__ = dict.__setitem__  # type: ignore[assignment]
    __delattr__ = dict.__delitem__  # type: ignore[assignment]

    def __dir__(self) -> list[str]:
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        keys = [k for k in _FIRST if k in self] + sorted(k for k in self if k not in _FIRST)
        width = max(len(str(k)) for k in keys)
        lines = []
        for k in keys:
            prefix = f"{str(k):>{width}}: "
            lines.append(prefix + _format(self[k], len(prefix)))
        return "\n".join(lines)


def _format(value: Any, indent: int) -> str:
    if isinstance(value, Status):
        return f"{int(value)} ({value.name})"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, separator=" ", threshold=20, edgeitems=3)
        return text.replace("\n", "\n" + " " * indent)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value) if not isinstance(value, str) else value
