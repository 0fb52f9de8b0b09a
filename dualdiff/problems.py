"""Test problems with known derivatives: one catalogue for tests, examples and benchmarks.

The role DiffTests.jl plays for ForwardDiff.jl: scalar, vector and optimisation test
functions, each written once, with closed-form derivatives to check against and, where
they are optimisation problems, a standard start and the known minimum.

Each function is written the way users write code and runs on floats, on dual numbers
(the numpy engine) and, compiled with ``numba.njit``, on the numba engine:

* ``rosenbrock`` (numpy-vectorised) and ``rosenbrock_loop`` (a loop over ``x[i]``, for
  plain Python and ``@njit``): f(x) = Σ_i 100 (x_{i+1} - x_i²)² + (1 - x_i)², with
  :func:`rosenbrock_grad` and :func:`rosenbrock_hessian`;
* ``broyden`` / ``broyden_loop``: the Broyden tridiagonal system
  F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1 (x_0 = x_{n+1} = 0), with
  :func:`broyden_jacobian`;
* ``ackley`` / ``ackley_loop`` with :func:`ackley_grad`;
* the optimisation problems of :data:`MINIMA` (Rosenbrock, Beale, Booth, Himmelblau's four
  minima, Powell's singular function, Wood, a convex quadratic): ``(f, x0, x*)``.

>>> import numpy as np
>>> from dualdiff import problems
>>> x = np.array([-1.2, 1.0])
>>> float(problems.rosenbrock(x)), problems.rosenbrock_grad(x).tolist()
(24.199999999999996, [-215.6, -87.99999999999999])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "rosenbrock", "rosenbrock_loop", "rosenbrock_grad", "rosenbrock_hessian",
    "broyden", "broyden_loop", "broyden_jacobian", "ackley", "ackley_loop", "ackley_grad",
    "beale", "booth", "himmelblau", "powell_singular", "wood", "quadratic",
    "HIMMELBLAU_MINIMA", "QUADRATIC_A", "QUADRATIC_B", "MINIMA",
]


# -- Rosenbrock ---------------------------------------------------------------------------------

def rosenbrock(x: Any, np: Any = np) -> Any:
    """Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²; minimum 0 at (1, ..., 1).  ``np``: the array
    module (``jax.numpy``, ``autograd.numpy``: benchmarks run the same code on peers)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_loop(x: Any) -> Any:
    """Rosenbrock as element code (``s += ...`` over ``x[i]``): plain Python and @njit."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    """∂f/∂x_i = -400 x_i (x_{i+1} - x_i²) - 2 (1 - x_i) + 200 (x_i - x_{i-1}²)."""
    g = np.zeros_like(x, dtype=np.float64)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """Tridiagonal: H_ii = 1200 x_i² - 400 x_{i+1} + 2 (+ 200 from the previous term),
    H_{i,i+1} = -400 x_i."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] -= 400.0 * x[i]
        h[i + 1, i] -= 400.0 * x[i]
    return h


# -- Broyden tridiagonal ------------------------------------------------------------------------

def broyden(x: Any, np: Any = np) -> Any:
    """F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1 with x_0 = x_{n+1} = 0 (vectorised)."""
    left = np.concatenate([np.zeros(1), x[:-1]])
    right = np.concatenate([x[1:], np.zeros(1)])
    return (3.0 - 2.0 * x) * x - left - 2.0 * right + 1.0


def broyden_loop(x: Any) -> Any:
    """Broyden tridiagonal as element code into ``np.empty_like(x)``: plain Python and @njit."""
    n = x.shape[0]
    out = np.empty_like(x)
    for i in range(n):
        v = (3.0 - 2.0 * x[i]) * x[i] + 1.0
        if i > 0:
            v -= x[i - 1]
        if i < n - 1:
            v -= 2.0 * x[i + 1]
        out[i] = v
    return out


def broyden_jacobian(x: np.ndarray) -> np.ndarray:
    """diag(3 - 4 x) - (sub-diagonal of ones) - 2 (super-diagonal of ones)."""
    n = len(x)
    return np.diag(3.0 - 4.0 * x) - np.eye(n, k=-1) - 2.0 * np.eye(n, k=1)


# -- Ackley -------------------------------------------------------------------------------------

def ackley(x: Any, np: Any = np) -> Any:
    """-20 exp(-0.2 sqrt(Σx²/n)) - exp(Σcos(2πx)/n) + 20 + e (vectorised)."""
    n = x.shape[0]
    return (-20.0 * np.exp(-0.2 * np.sqrt(np.sum(x * x) / n))
            - np.exp(np.sum(np.cos(2.0 * np.pi * x)) / n) + 20.0 + np.e)


def ackley_loop(x: Any) -> Any:
    """Ackley as element code: plain Python and @njit."""
    n = x.shape[0]
    sq = 0.0
    cs = 0.0
    for i in range(n):
        sq += x[i] * x[i]
        cs += np.cos(2.0 * np.pi * x[i])
    return -20.0 * np.exp(-0.2 * np.sqrt(sq / n)) - np.exp(cs / n) + 20.0 + np.e


def ackley_grad(x: np.ndarray) -> np.ndarray:
    """With r = sqrt(Σx²/n), c = Σcos(2πx)/n: ∂f/∂x_i = 4 exp(-0.2 r) x_i / (n r)
    + (2π/n) exp(c) sin(2π x_i)."""
    n = x.shape[0]
    r = np.sqrt(np.sum(x * x) / n)
    c = np.sum(np.cos(2.0 * np.pi * x)) / n
    return 4.0 * np.exp(-0.2 * r) * x / (n * r) + (2.0 * np.pi / n) * np.exp(c) * np.sin(2.0 * np.pi * x)


# -- optimisation problems with known minima ----------------------------------------------------

def beale(x: Any) -> Any:
    """Minimum 0 at (3, 1/2)."""
    return ((1.5 - x[0] + x[0] * x[1]) ** 2 + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
            + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2)


def himmelblau(x: Any) -> Any:
    """Four minima (:data:`HIMMELBLAU_MINIMA`), value 0."""
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


HIMMELBLAU_MINIMA = [
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
]


def booth(x: Any) -> Any:
    """Minimum 0 at (1, 3)."""
    return (x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2


def powell_singular(x: Any) -> Any:
    """Minimum 0 at the origin, where the Hessian is singular (rank 2)."""
    return ((x[0] + 10 * x[1]) ** 2 + 5 * (x[2] - x[3]) ** 2 + (x[1] - 2 * x[2]) ** 4
            + 10 * (x[0] - x[3]) ** 4)


def wood(x: Any) -> Any:
    """Minimum 0 at (1, 1, 1, 1)."""
    return (100 * (x[0] ** 2 - x[1]) ** 2 + (x[0] - 1) ** 2 + (x[2] - 1) ** 2 + 90 * (x[2] ** 2 - x[3]) ** 2
            + 10.1 * ((x[1] - 1) ** 2 + (x[3] - 1) ** 2) + 19.8 * (x[1] - 1) * (x[3] - 1))


QUADRATIC_A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
QUADRATIC_B = np.array([1.0, -2.0, 0.5])


def quadratic(x: Any) -> Any:
    """½ xᵀ A x - bᵀ x, A symmetric positive definite: minimum at A⁻¹ b."""
    return 0.5 * x @ QUADRATIC_A @ x - QUADRATIC_B @ x


#: name: (f, x0, x*), the standard starts and the known minima
MINIMA: dict[str, tuple[Any, np.ndarray, np.ndarray]] = {
    "rosenbrock2": (rosenbrock, np.array([-1.2, 1.0]), np.ones(2)),
    "rosenbrock10": (rosenbrock, np.zeros(10), np.ones(10)),
    "beale": (beale, np.array([1.0, 1.0]), np.array([3.0, 0.5])),
    "booth": (booth, np.array([0.0, 0.0]), np.array([1.0, 3.0])),
    "powell": (powell_singular, np.array([3.0, -1.0, 0.0, 1.0]), np.zeros(4)),
    "wood": (wood, np.array([-3.0, -1.0, -3.0, -1.0]), np.ones(4)),
    "quadratic": (quadratic, np.zeros(3), np.linalg.solve(QUADRATIC_A, QUADRATIC_B)),
}
for _i, _m in enumerate(HIMMELBLAU_MINIMA):
    _m = np.array(_m)
    MINIMA[f"himmelblau{_i}"] = (himmelblau, _m + 0.5 * np.sign(_m), _m)
