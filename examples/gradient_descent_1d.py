"""Gradient descent in one variable, x <- x - alpha f'(x), with f' from dualdiff.

1. f(x) = (x^2 - 3)^2 from x0 = 2 for several learning rates alpha: minima at x = ±sqrt(3),
   where f'' = 24, so the iteration is stable only for alpha < 2/24.
2. f(x) = x^2 + 4: x_{m+1} = x_m - 2 alpha x_m, so x_m = x0 (1 - 2 alpha)^m exactly. The
   iterates converge iff |1 - 2 alpha| < 1, i.e. 0 < alpha < 1 (monotonically for
   alpha < 1/2, in one step at alpha = 1/2, oscillating for 1/2 < alpha < 1); at alpha = 1
   they bounce between ±x0 and for alpha > 1 they diverge.

    python examples/gradient_descent_1d.py    # writes examples/output/gradient_descent_1d.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd
from dualdiff import optimize

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"


def f(x):
    return (x**2 - 3) ** 2


# -- 1. (x^2 - 3)^2 for several learning rates ---------------------------------------------------
rates = (0.01, 0.04, 0.07, 0.1)
maxiter = 100 if QUICK else 300
print(f"1. gradient descent on (x^2 - 3)^2 from x0 = 2; f''(sqrt 3) = {dd.second_derivative(f)(np.sqrt(3)):g}, "
      f"so alpha must be below 2/24 = {2 / 24:.4f}")
print(f"   {'alpha':>6} {'iterations':>10} {'x':>20} {'|x - sqrt 3|':>13}  outcome")
runs = {}
for alpha in rates:
    res = optimize.minimize(f, 2.0, method="gd", learning_rate=alpha, tol=1e-10, maxiter=maxiter,
                            record_path=True)
    runs[alpha] = res
    print(f"   {alpha:6.2f} {res.nit:10d} {res.x:20.16f} {abs(res.x - np.sqrt(3)):13.1e}  {res.status.name}")
assert all(runs[a].success for a in rates[:3]) and not runs[0.1].success

# -- 2. x^2 + 4: the convergence proof, checked numerically ----------------------------------------
print("\n2. gradient descent on x^2 + 4 from x0 = 1: x_m = x0 (1 - 2 alpha)^m")


def g(x):
    return x**2 + 4


dg = dd.derivative(g)
x0, m_max = 1.0, 20
paths = {}
print(f"   {'alpha':>6} {'1 - 2 alpha':>11} {'x_20 (descent)':>15} {'x0 (1-2a)^20':>15}  behaviour")
for alpha in (0.1, 0.25, 0.5, 0.75, 1.0, 1.1):
    xs = [x0]
    for _ in range(m_max):
        xs.append(xs[-1] - alpha * dg(xs[-1]))
    xs = np.array(xs)
    closed = x0 * (1 - 2 * alpha) ** np.arange(m_max + 1)
    assert np.allclose(xs, closed, rtol=1e-12, atol=1e-300)
    r = 1 - 2 * alpha
    behaviour = ("converges monotonically" if 0 < r < 1 else "converges in one step" if r == 0 else
                 "converges, oscillating" if -1 < r < 0 else "bounces between ±x0" if r == -1 else
                 "diverges")
    paths[alpha] = xs
    print(f"   {alpha:6.2f} {r:11.2f} {xs[-1]:15.6e} {closed[-1]:15.6e}  {behaviour}")
print("   every iterate matches the closed form x0 (1 - 2 alpha)^m")

# -- 3. the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    grid = np.linspace(1.0, 2.1, 200)
    for ax, alpha in zip(axes.flat[:4], rates, strict=True):
        path = runs[alpha].path
        n = min(len(path), 25)
        ax.plot(grid, f(grid), color="grey")
        ax.plot(path.x[:n], path.fun[:n], "o-", ms=4, lw=0.8, color="C1")
        ax.plot(path.x[0], path.fun[0], "s", color="C3")
        ax.set_title(f"α = {alpha}: {runs[alpha].nit} iterations ({runs[alpha].status.name})")
        ax.set_xlabel("x")
    ax = axes.flat[4]
    for alpha in rates:
        err = np.abs(runs[alpha].path.x - np.sqrt(3))
        ax.semilogy(np.maximum(err, 1e-17), label=f"α = {alpha}")
    ax.set_title("|x_k − √3|")
    ax.set_xlabel("iteration k")
    ax.set_xlim(0, 100)
    ax.legend()
    ax = axes.flat[5]
    for alpha, xs in paths.items():
        ax.plot(xs, ".-", label=f"α = {alpha}")
    ax.set_ylim(-3, 3)
    ax.set_title("x² + 4: x_m = x₀ (1 − 2α)^m")
    ax.set_xlabel("iteration m")
    ax.legend(fontsize=8)
    fig.suptitle("gradient descent on (x² − 3)² from x₀ = 2")
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "gradient_descent_1d.png", dpi=100)
    print(f"\nsaved {OUT / 'gradient_descent_1d.png'}")
