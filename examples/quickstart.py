"""Quickstart: exact derivatives, gradients and Hessians with dualdiff."""

import numpy as np

import dualdiff as dd


def f(x):
    return x**3 + 4 * x**2 - 5 * x + 1  # f'(x) = 3x^2 + 8x - 5, f''(x) = 6x + 8


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


print("f'(2)   =", dd.derivative(f)(2.0), "  (exact: 23)")
print("f''(2)  =", dd.second_derivative(f)(2.0), "  (exact: 20)")
x = np.array([1.0, 2.0])
print("grad rosenbrock(1, 2)    =", dd.grad(rosenbrock)(x), "  (exact: [-400, 200])")
print("hessian rosenbrock(1, 2) =\n", dd.hessian(rosenbrock)(x), "\n  (exact: [[402, -400], [-400, 200]])")
print("sigmoid'(0) =", dd.derivative(dd.sigmoid)(0.0), "  (exact: 0.25)")
