"""Fit y = m x to noisy data by gradient descent on the mean squared error, with the
derivative from dualdiff, and compare with the closed form m = Σ x y / Σ x².

    L(m)  = (1/N) Σ (m x_i - y_i)^2
    L'(m) = (2/N) Σ x_i (m x_i - y_i)       zero at m = Σ x y / Σ x²
    L''   = (2/N) Σ x_i^2                   (a constant: gradient descent converges for alpha < 2/L'')

    python examples/linear_regression.py     # writes examples/output/linear_regression.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

rng = np.random.default_rng(42)
m_true, n_points = 2.5, 50 if QUICK else 200
x = rng.uniform(0.0, 4.0, n_points)
y = m_true * x + rng.normal(0.0, 1.0, n_points)


def loss(m, x, y):
    """Mean squared error of the line y = m x (extra arguments pass through dd.derivative)."""
    return np.mean((m * x - y) ** 2)


dloss = dd.derivative(loss)
curvature = dd.second_derivative(loss)(0.0, x, y)
print(f"data: {n_points} points, y = {m_true} x + N(0, 1) noise (seed 42)")
print(f"L''(m) = {curvature:.6f} = (2/N) Σ x² = {2 * np.mean(x**2):.6f}; "
      f"gradient descent is stable for alpha < 2/L'' = {2 / curvature:.4f}")

# -- gradient descent ---------------------------------------------------------------------------
alpha, m = 0.05, 0.0
history = [(m, loss(m, x, y))]
for _ in range(500):
    slope = dloss(m, x, y)
    m -= alpha * slope
    history.append((m, loss(m, x, y)))
    if abs(slope) < 1e-12:
        break
m_closed = np.sum(x * y) / np.sum(x * x)
print(f"gradient descent (alpha = {alpha}): m = {m:.15f} after {len(history) - 1} steps")
print(f"closed form Σxy/Σx²:               m = {m_closed:.15f}")
print(f"difference: {abs(m - m_closed):.1e};  L'(m) at the closed form: {dloss(m_closed, x, y):.1e}")
assert abs(m - m_closed) < 1e-12

# -- the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    ms, losses = np.array(history).T
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(x, y, ".", alpha=0.6, label="data")
    line = np.array([0.0, 4.0])
    ax1.plot(line, m_closed * line, lw=3, alpha=0.5, label=f"closed form m = {m_closed:.4f}")
    ax1.plot(line, m * line, "k--", label=f"gradient descent m = {m:.4f}")
    ax1.plot(line, m_true * line, ":", label=f"true m = {m_true}")
    ax1.set_xlabel("x")
    ax1.set_ylabel("y")
    ax1.legend()
    ax2.semilogy(np.maximum(losses - loss(m_closed, x, y), 1e-17))
    ax2.set_xlabel("gradient-descent step")
    ax2.set_title("L(m_k) − L(m*)")
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "linear_regression.png", dpi=100)
    print(f"saved {OUT / 'linear_regression.png'}")
