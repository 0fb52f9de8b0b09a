"""Parameter sensitivities of an ODE solution, by running the integrator on dual numbers.

1. y' = -k y, y(0) = 1, integrated to T by Euler's method with N steps of h = T/N:
       y_N = (1 - k h)^N,   dy_N/dk = -N h (1 - k h)^(N-1),   d²y_N/dk² = N (N-1) h² (1 - k h)^(N-2).
   dd.derivative of the integrator reproduces the derivative of the recurrence to rounding
   (it is the exact derivative of the computation), and that tends to the ODE's own
   sensitivity d/dk e^{-kT} = -T e^{-kT} as h -> 0, with Euler's O(h) error. Central finite
   differences, for comparison, lose digits to the step size.
2. the logistic equation y' = r y (1 - y/K) by a classical Runge-Kutta (RK4) loop: dd.grad
   with respect to (r, K) against the gradient of the closed-form solution.

    python examples/ode_sensitivity.py       # writes examples/output/ode_sensitivity.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

T, K_DECAY = 2.0, 0.8


def euler(k, n_steps, t_end=T, trajectory=False):
    """Euler's method for y' = -k y, y(0) = 1: plain Python, no knowledge of dual numbers."""
    h = t_end / n_steps
    y, ys = 1.0, [1.0]
    for _ in range(n_steps):
        y = y + h * (-k * y)
        ys.append(y)
    return np.array(ys) if trajectory else y


# -- 1. Euler, dy(T)/dk ------------------------------------------------------------------------------
k = K_DECAY
print(f"1. y' = -k y, y(0) = 1, Euler to T = {T} at k = {k}; the ODE's sensitivity -T e^(-kT) = {-T * np.exp(-k * T):.15f}")
print(f"   {'N':>6} {'dualdiff dy_N/dk':>19} {'-T (1-kh)^(N-1)':>19} {'|difference|':>12} "
      f"{'|dd - ODE|':>10} {'|central FD - dd|':>17}")
for n in (10, 100, 1000) if QUICK else (10, 100, 1000, 10000):
    h = T / n
    sensitivity = dd.derivative(euler)(k, n)              # extra arguments pass through to euler
    recurrence = -n * h * (1 - k * h) ** (n - 1)
    ode = -T * np.exp(-k * T)
    fd_step = 1e-6
    central = (euler(k + fd_step, n) - euler(k - fd_step, n)) / (2 * fd_step)
    print(f"   {n:6d} {sensitivity:19.15f} {recurrence:19.15f} {abs(sensitivity - recurrence):12.1e} "
          f"{abs(sensitivity - ode):10.1e} {abs(central - sensitivity):17.1e}")
    assert abs(sensitivity - recurrence) <= 1e-11 * abs(recurrence)
    second = dd.second_derivative(euler)(k, n)
    exact2 = n * (n - 1) * h**2 * (1 - k * h) ** (n - 2)
    assert abs(second - exact2) <= 1e-11 * abs(exact2)
print(f"   second derivative, N = {n}: dualdiff {second:.15f}, N(N-1)h²(1-kh)^(N-2) = {exact2:.15f}, "
      f"ODE T² e^(-kT) = {T**2 * np.exp(-k * T):.15f}")

# the whole trajectory at once: f: R -> R^(N+1), so dd.derivative returns dy(t_n)/dk for every n
n_plot = 20
t_grid = np.linspace(0, T, n_plot + 1)
traj = euler(k, n_plot, trajectory=True)
traj_sensitivity = dd.derivative(lambda k: euler(k, n_plot, trajectory=True))(k)


# -- 2. the logistic equation by RK4, gradient with respect to (r, K) ---------------------------------
def rk4_logistic(params, y0=0.1, t_end=5.0, n_steps=200):
    r, capacity = params[0], params[1]

    def rhs(y):
        return r * y * (1 - y / capacity)

    h, y = t_end / n_steps, y0
    for _ in range(n_steps):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def logistic_exact(params, y0=0.1, t_end=5.0):
    r, capacity = params[0], params[1]
    return capacity / (1 + (capacity / y0 - 1) * np.exp(-r * t_end))


params = np.array([1.2, 2.0])
print("\n2. logistic y' = r y (1 - y/K), y(0) = 0.1, to t = 5 by RK4 (200 steps), at (r, K) = (1.2, 2)")
g_rk4 = dd.grad(rk4_logistic)(params)
g_exact = dd.grad(logistic_exact)(params)
print(f"   d y(5) / d(r, K) through the RK4 loop:        {g_rk4}")
print(f"   d y(5) / d(r, K) of the closed-form solution: {g_exact}")
print(f"   difference {np.max(np.abs(g_rk4 - g_exact)):.1e} (RK4's O(h^4) error)")
assert np.allclose(g_rk4, g_exact, rtol=1e-7)
print("   Hessian with respect to (r, K) through the RK4 loop:\n  ",
      np.array2string(dd.hessian(rk4_logistic)(params), precision=6).replace("\n", "\n   "))

# -- 3. the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    fine = np.linspace(0, T, 200)
    ax1.plot(fine, np.exp(-k * fine), label="exact y = e^(−kt)")
    ax1.plot(t_grid, traj, "o", label=f"Euler, N = {n_plot}")
    ax1.set_xlabel("t")
    ax1.set_title(f"y' = −ky, k = {k}")
    ax1.legend()
    ax2.plot(fine, -fine * np.exp(-k * fine), label="ODE sensitivity −t e^(−kt)")
    ax2.plot(t_grid, traj_sensitivity, "o", label="dy_n/dk by dualdiff (Euler)")
    n_idx = np.arange(n_plot + 1)
    h = T / n_plot
    ax2.plot(t_grid, -n_idx * h * (1 - k * h) ** np.maximum(n_idx - 1, 0), "k+", ms=10,
             label="−n h (1 − kh)^(n−1)")
    ax2.set_xlabel("t")
    ax2.set_title("sensitivity dy(t)/dk")
    ax2.legend()
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "ode_sensitivity.png", dpi=100)
    print(f"\nsaved {OUT / 'ode_sensitivity.png'}")
