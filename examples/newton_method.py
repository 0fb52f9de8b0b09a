"""Newton's method with exact derivatives: for a root, for an extremum, and against
gradient descent (iterations to a tolerance).

1. the root of x^3 - 2 (the cube root of 2): x <- x - f(x) / f'(x), the number of correct
   digits doubles every step (quadratic convergence);
2. the minimum of f(x) = e^x - 2x at x = ln 2: Newton on f' (x <- x - f'(x) / f''(x), with
   f'' from a hyper-dual pass) against gradient descent x <- x - alpha f'(x);
3. the Rosenbrock function from (-1.2, 1): dualdiff.optimize.minimize with every method.

    python examples/newton_method.py         # writes examples/output/newton_method.png
"""

import math
import os
from pathlib import Path

import numpy as np

import dualdiff as dd
from dualdiff import optimize

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

# -- 1. a root -----------------------------------------------------------------------------------
print("1. Newton's method for x^3 - 2 = 0 from x0 = 1")


def cubic(x):
    return x**3 - 2


root = 2 ** (1 / 3)
x = 1.0
print(f"   {'k':>2} {'x_k':>20} {'|x_k - 2^(1/3)|':>16}")
for k in range(8):
    print(f"   {k:2d} {x:20.16f} {abs(x - root):16.1e}")
    if cubic(x) == 0 or abs(x - root) == 0:
        break
    x = x - cubic(x) / dd.derivative(cubic)(x)
res = optimize.root_scalar(cubic, 1.0)
print(f"   optimize.root_scalar: {res.root:.16f} in {res.iterations} iterations; 2**(1/3) = {root:.16f}")
assert abs(res.root - root) <= 4e-16

# -- 2. an extremum: Newton against gradient descent ---------------------------------------------
print("\n2. the minimum of e^x - 2x (at x = ln 2) from x0 = 2, to |f'(x)| < 1e-10")


def f(x):
    return np.exp(x) - 2 * x


df, d2f = dd.derivative(f), dd.second_derivative(f)


def iterate(update, x0=2.0, tol=1e-10, maxiter=10_000):
    x, errors = x0, [abs(x0 - math.log(2))]
    for k in range(1, maxiter + 1):
        x = update(x)
        errors.append(abs(x - math.log(2)))
        if abs(df(x)) < tol:
            return x, k, errors
    return x, None, errors


methods = {
    "Newton  x - f'/f''": lambda x: x - df(x) / d2f(x),
    "descent alpha = 0.1": lambda x: x - 0.1 * df(x),
    "descent alpha = 0.3": lambda x: x - 0.3 * df(x),
    "descent alpha = 0.5": lambda x: x - 0.5 * df(x),
}
print(f"   {'method':<22} {'iterations':>10} {'x':>20} {'|x - ln 2|':>11}")
errors_1d = {}
for name, update in methods.items():
    x, k, errors_1d[name] = iterate(update)
    print(f"   {name:<22} {k:>10} {x:20.16f} {abs(x - math.log(2)):11.1e}")
print("   (f''(ln 2) = 2, so alpha = 1/2 is the best fixed step; Newton needs no step size)")

# -- 3. Rosenbrock: every method of dualdiff.optimize.minimize ---------------------------------------
print("\n3. Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1), to |grad f| < 1e-6")


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


x0, maxiter = np.array([-1.2, 1.0]), 1_000 if QUICK else 50_000
runs = {
    "gd, alpha = 1e-3": dict(method="gd", learning_rate=1e-3),
    "gd, line search": dict(method="gd", line_search=True),
    "momentum 0.9": dict(method="momentum", learning_rate=1e-3, momentum=0.9),
    "nesterov 0.9": dict(method="nesterov", learning_rate=1e-3, momentum=0.9),
    "newton": dict(method="newton"),
    "newton-trust": dict(method="newton-trust"),
}
print(f"   {'method':<18} {'iterations':>10} {'f evals':>8} {'Hessians':>8} {'|x - (1, 1)|':>12}  status")
results = {}
for name, options in runs.items():
    res = optimize.minimize(rosenbrock, x0, tol=1e-6, maxiter=maxiter, record_path=True, **options)
    results[name] = res
    print(f"   {name:<18} {res.nit:10d} {res.nfev:8d} {res.nhev:8d} {np.linalg.norm(res.x - 1):12.1e}"
          f"  {res.status.name}")
assert results["newton"].success and results["newton"].nit < 50

# -- the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.5))
    for name, errors in errors_1d.items():
        ax1.semilogy(np.maximum(errors, 1e-17), ".-", label=name)
    ax1.set_xlim(0, 60)
    ax1.set_title("e^x − 2x: |x_k − ln 2|")
    ax1.set_xlabel("iteration k")
    ax1.legend()
    for name, res in results.items():
        err = np.linalg.norm(res.path.x - 1.0, axis=1)
        ax2.loglog(np.arange(1, len(err) + 1), np.maximum(err, 1e-17), label=name)
    ax2.set_title("Rosenbrock: |x_k − (1, 1)|")
    ax2.set_xlabel("iteration k + 1")
    ax2.legend(fontsize=8)
    X, Y = np.meshgrid(np.linspace(-1.6, 1.6, 300), np.linspace(-0.5, 1.8, 300))
    ax3.contour(X, Y, rosenbrock(np.array([X, Y])), levels=np.logspace(-1, 3, 15), cmap="Greys")
    for name in ("gd, line search", "momentum 0.9", "newton"):
        p = results[name].path.x
        ax3.plot(p[:, 0], p[:, 1], ".-", ms=3, lw=0.8, label=f"{name} ({len(p) - 1} steps)")
    ax3.plot(1, 1, "k*", ms=12)
    ax3.set_title("Rosenbrock: paths")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "newton_method.png", dpi=100)
    print(f"\nsaved {OUT / 'newton_method.png'}")
