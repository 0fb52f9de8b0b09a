"""Critical points of f(x) = x / (x^2 + 1): solve f'(x) = 0 by Newton's method (with the
exact f'' for the Newton step), then classify each point by the second-derivative test.

    f'(x)  = (1 - x^2) / (x^2 + 1)^2            zero at x = -1 and x = 1
    f''(x) = 2x (x^2 - 3) / (x^2 + 1)^3         f''(1) = -1/2 (maximum), f''(-1) = 1/2 (minimum)

    python examples/critical_points.py       # writes examples/output/critical_points.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd
from dualdiff import optimize

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))


def f(x):
    return x / (x**2 + 1)


df = dd.derivative(f)
d2f = dd.second_derivative(f)

# -- 1. Newton's method on f', written out: x <- x - f'(x) / f''(x) -------------------------------
print("1. Newton's method on f'(x) = 0, by hand:  x <- x - f'(x) / f''(x)")
points = []
for x0 in (0.5, -0.5):
    x = x0
    print(f"   from x0 = {x0}:")
    for k in range(1, 20):
        step = df(x) / d2f(x)
        x -= step
        print(f"     k = {k}  x = {x: .16f}  f'(x) = {df(x): .2e}")
        if df(x) == 0 or abs(step) < 1e-15:
            break
    points.append(x)

# -- 2. the same with the library's root finder --------------------------------------------------
print("\n2. dualdiff.optimize.root_scalar(f', x0):")
for x0 in (0.5, -0.5):
    res = optimize.root_scalar(df, x0)
    print(f"   from x0 = {x0:4}: root {res.root: .16f} in {res.iterations} iterations ({res.flag})")

# -- 3. the second-derivative test ---------------------------------------------------------------
print("\n3. the second-derivative test")
for x in sorted(points):
    kind = "maximum" if d2f(x) < 0 else "minimum" if d2f(x) > 0 else "inconclusive"
    exact = 2 * x * (x**2 - 3) / (x**2 + 1) ** 3
    print(f"   x = {x: .1f}: f(x) = {f(x): .2f}, f'(x) = {df(x):.1e}, f''(x) = {d2f(x): .6f} "
          f"(exact {exact: .6f}) -> local {kind}")
    point = optimize.classify_critical_point(f, x)
    print(f"     classify_critical_point: {point}")
    assert point.kind == kind
assert np.allclose(sorted(points), [-1.0, 1.0], rtol=0, atol=1e-15)
assert d2f(1.0) == -0.5 and d2f(-1.0) == 0.5

# -- 4. the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    xs = np.linspace(-5, 5, 400)
    _, dfs = dd.jvp(f, xs, np.ones_like(xs))    # f' on the whole grid in one pass
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, f(xs), label="f(x) = x / (x² + 1)")
    ax.plot(xs, dfs, "--", label="f'(x) by dualdiff")
    ax.axhline(0, color="grey", lw=0.5)
    ax.plot([1], [f(1.0)], "v", ms=10, color="C3", label="maximum, f''(1) = −1/2")
    ax.plot([-1], [f(-1.0)], "^", ms=10, color="C2", label="minimum, f''(−1) = 1/2")
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title("critical points of x / (x² + 1)")
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "critical_points.png", dpi=100)
    print(f"\nsaved {OUT / 'critical_points.png'}")
