"""First-order methods: gradient descent, heavy-ball momentum and Nesterov momentum.

With g_k = ∇f(x_k) (one ``dd.value_and_grad`` pass per iteration) and learning rate α:

* ``"gd"``, gradient descent:  x_{k+1} = x_k - α g_k.  With ``line_search=True`` α is
  chosen each iteration by Armijo backtracking from ``learning_rate`` (default 1), so f
  decreases at every step (and the run stops with status ROUNDING once no decrease is
  measurable); otherwise α is fixed (default 0.01).  On f(x) = x² + 4 the
  fixed-step iterates are exactly x_k = x₀ (1 - 2α)^k: convergence needs |1 - 2α| < 1.
* ``"momentum"`` (Polyak's heavy ball), with momentum β (default 0.9):
      v_{k+1} = β v_k - α g_k,    x_{k+1} = x_k + v_{k+1}
  i.e. x_{k+1} = x_k - α g_k + β (x_k - x_{k-1}).
* ``"nesterov"`` (Nesterov's accelerated gradient): the gradient is taken at the
  look-ahead point, v_{k+1} = β v_k - α ∇f(x_k + β v_k), x_{k+1} = x_k + v_{k+1}.
  The solver iterates the look-ahead points y_k = x_k + β v_k themselves,
      v_{k+1} = β v_k - α ∇f(y_k),    y_{k+1} = y_k + β v_{k+1} - α ∇f(y_k),
  so every recorded point is one where the gradient was evaluated and tested.

All stop when ||g_k|| <= tol (status CONVERGED), when the step is below
``xtol · (1 + ||x_k||)`` (SMALL_STEP), after ``maxiter`` iterations, when f falls below
-10³⁰·max(1, |f(x₀)|) or to -inf (UNBOUNDED: f decreases without bound), or when f or g
stops being finite otherwise (a diverging learning rate).  These methods see no
curvature: their success means a first-order point only (a saddle passes; check with
:func:`~dualdiff.optimize.classify_critical_point`).  With a fixed step, f = -x falls by the
same α per iteration and never reaches the "unbounded" threshold; the MAXITER message then
notes that f went down while the gradient did not shrink, so f may be unbounded below.
"""

from __future__ import annotations

import numpy as np

from .line_search import at_rounding_floor, backtracking
from .problem import (
    Problem,
    finite,
    norm,
    not_finite_message,
    rounding_message,
    small_step,
    stop_message,
    unbounded_message,
)
from .result import OptimizeResult, Status


def learning_rate_option(learning_rate: float | None, alpha: float | None, default: float) -> float:
    """``learning_rate`` and its alias ``alpha`` (give one): a positive float."""
    if learning_rate is not None and alpha is not None and learning_rate != alpha:
        raise ValueError(f"give learning_rate or its alias alpha, not both ({learning_rate} != {alpha})")
    rate = learning_rate if learning_rate is not None else alpha if alpha is not None else default
    if not (isinstance(rate, (int, float, np.floating, np.integer)) and np.isfinite(rate) and rate > 0):
        raise ValueError(f"the learning rate must be a positive finite number, got {rate!r}")
    return float(rate)


def _momentum_option(momentum: float) -> float:
    if not (isinstance(momentum, (int, float, np.floating, np.integer)) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    return float(momentum)


class _Run:
    """The shared loop bookkeeping: evaluate, record, test for a stop."""

    def __init__(self, problem: Problem, tol: float, maxiter: int, hint: str) -> None:
        self.problem, self.tol, self.maxiter, self.hint = problem, tol, maxiter, hint

    def check(self, x: np.ndarray, nit: int) -> tuple[float, np.ndarray, OptimizeResult | None]:
        """f and g at x, and the result if the run stops here."""
        p = self.problem
        f, g = p.value_and_grad(x)
        stop = p.visit(x, f, g, nit)
        if p.unbounded(f):
            return f, g, p.result(x, f, nit, Status.UNBOUNDED, unbounded_message(nit, f, p.unbounded_bound()),
                                  jac=g)
        if not finite(f, g):
            what = "f" if not finite(f) else "the gradient"
            return f, g, p.result(x, f, nit, Status.NOT_FINITE, not_finite_message(nit, what, self.hint), jac=g)
        gn = norm(g)
        for status, hit in ((Status.CONVERGED, gn <= self.tol), (Status.CALLBACK, stop),
                            (Status.MAXITER, nit >= self.maxiter)):
            if hit:
                message = stop_message(status, nit, gn, self.tol)
                if status is Status.MAXITER:
                    message += p.maxiter_hint(f, gn)
                return f, g, p.result(x, f, nit, status, message, jac=g)
        return f, g, None

    def small_step(self, x: np.ndarray, f: float, g: np.ndarray, nit: int, step: np.ndarray,
                   xtol: float) -> OptimizeResult | None:
        if not small_step(step, x, xtol):
            return None
        msg = (f"Converged: step {norm(step):.3g} <= xtol·(1 + |x|) with xtol = {xtol:.3g} (x has "
               f"stopped moving) after {nit} iterations; gradient norm {norm(g):.3g}.")
        return self.problem.result(x, f, nit, Status.SMALL_STEP, msg, jac=g)


def gradient_descent(problem: Problem, *, tol: float, maxiter: int, xtol: float,
                     learning_rate: float | None = None, alpha: float | None = None,
                     line_search: bool = False) -> OptimizeResult:
    """x_{k+1} = x_k - α ∇f(x_k), α fixed or by Armijo backtracking (``line_search=True``)."""
    rate = learning_rate_option(learning_rate, alpha, 1.0 if line_search else 0.01)
    run = _Run(problem, tol, maxiter, "" if line_search else "diverging: try a smaller learning_rate")
    x, nit = problem.x0.copy(), 0
    while True:
        f, g, done = run.check(x, nit)
        if done is not None:
            return done
        if line_search:
            # the xtol test on the full step: a backtracked step is short for other reasons
            done = run.small_step(x, f, g, nit, -rate * g, xtol)
            if done is not None:
                return done
            slope = -float(g @ g)
            if at_rounding_floor(f, -slope * rate):
                msg = rounding_message(nit, -slope * rate, f, norm(g))
                return problem.result(x, f, nit, Status.ROUNDING, msg, jac=g)
            found = backtracking(lambda a: problem.value(x - a * g), f, slope, rate)
            if found is None:
                msg = (f"Line search failed at iteration {nit}: no step along -∇f decreases f "
                       f"(gradient norm {norm(g):.3g}; is f continuous, and ∇f its gradient?).")
                return problem.result(x, f, nit, Status.NO_DECREASE, msg, jac=g)
            step = -found[0] * g
        else:
            step = -rate * g
            done = run.small_step(x, f, g, nit, step, xtol)
            if done is not None:
                return done
        x, nit = x + step, nit + 1


def momentum(problem: Problem, *, tol: float, maxiter: int, xtol: float, learning_rate: float | None = None,
             alpha: float | None = None, momentum: float = 0.9) -> OptimizeResult:
    """Heavy ball: v_{k+1} = β v_k - α ∇f(x_k), x_{k+1} = x_k + v_{k+1}."""
    rate, beta = learning_rate_option(learning_rate, alpha, 0.01), _momentum_option(momentum)
    run = _Run(problem, tol, maxiter, "diverging: try a smaller learning_rate or momentum")
    x, v, nit = problem.x0.copy(), np.zeros(problem.n), 0
    while True:
        f, g, done = run.check(x, nit)
        if done is not None:
            return done
        v = beta * v - rate * g
        done = run.small_step(x, f, g, nit, v, xtol)
        if done is not None:
            return done
        x, nit = x + v, nit + 1


def nesterov(problem: Problem, *, tol: float, maxiter: int, xtol: float, learning_rate: float | None = None,
             alpha: float | None = None, momentum: float = 0.9) -> OptimizeResult:
    """Nesterov, on the look-ahead points: v_{k+1} = β v_k - α ∇f(y_k),
    y_{k+1} = y_k + β v_{k+1} - α ∇f(y_k)."""
    rate, beta = learning_rate_option(learning_rate, alpha, 0.01), _momentum_option(momentum)
    run = _Run(problem, tol, maxiter, "diverging: try a smaller learning_rate or momentum")
    y, v, nit = problem.x0.copy(), np.zeros(problem.n), 0
    while True:
        f, g, done = run.check(y, nit)
        if done is not None:
            return done
        v = beta * v - rate * g
        step = beta * v - rate * g
        done = run.small_step(y, f, g, nit, step, xtol)
        if done is not None:
            return done
        y, nit = y + step, nit + 1

