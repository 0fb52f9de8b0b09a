"""Derivatives of one variable: the sigmoid and its derivative s(1 - s), and the first,
second and third derivatives of a cubic, against the exact formulas.

    python examples/derivatives.py       # writes examples/output/derivatives.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"


# -- 1. the sigmoid -----------------------------------------------------------------------------
def sigmoid(x):
    """Plain numpy code: it runs on floats, arrays and dual numbers alike."""
    return 1.0 / (1.0 + np.exp(-x))


print("1. The sigmoid s(x) = 1 / (1 + e^-x) and its derivative s'(x) = s(x) (1 - s(x))")
print("       x         s(x)   dualdiff s'(x)         s(1 - s)")
for x in (-4.0, -1.0, 0.0, 1.0, 4.0):
    s = sigmoid(x)
    print(f"   {x:5.1f} {s:12.8f} {dd.derivative(sigmoid)(x):16.12f} {s * (1 - s):16.12f}")

# a whole grid at once: for an elementwise f, J·1 (a jvp with v = ones) is f' at every point
xs = np.linspace(-8, 8, 81 if QUICK else 401)
s, ds = dd.jvp(sigmoid, xs, np.ones_like(xs))
err = np.max(np.abs(ds - s * (1 - s)))
print(f"   max |dualdiff - s(1 - s)| over {xs.size} points: {err:.1e}")
assert err < 1e-15
# dd.sigmoid is the library's own (numerically stable) version, defined in the rules table
assert np.allclose(dd.jvp(dd.sigmoid, xs, np.ones_like(xs))[1], ds, rtol=1e-14, atol=0)


# -- 2. a polynomial and its derivatives ----------------------------------------------------------
def p(x):
    return x**3 + 4 * x**2 - 5 * x + 1


exact = {
    "p'": lambda x: 3 * x**2 + 8 * x - 5,
    "p''": lambda x: 6 * x + 8,
    "p'''": lambda x: 6.0,
}
computed = {
    "p'": dd.derivative(p),
    "p''": dd.second_derivative(p),                   # one hyper-dual pass
    "p'''": dd.derivative(dd.second_derivative(p)),   # transforms nest
}
# nesting dd.derivative twice gives p'' too (a dual number whose parts are dual numbers)
p2_nested = dd.derivative(dd.derivative(p))

print("\n2. p(x) = x^3 + 4x^2 - 5x + 1:  p' = 3x^2 + 8x - 5,  p'' = 6x + 8,  p''' = 6")
print("       x       p'    exact      p''    exact   p'''  exact")
for x in (-3.0, -1.5, 0.0, 0.5, 2.0, 10.0):
    row = []
    for name in ("p'", "p''", "p'''"):
        got, want = computed[name](x), exact[name](x)
        assert got == want, (name, x, got, want)  # exact, not merely close
        row += [got, want]
    assert p2_nested(x) == exact["p''"](x)
    print(f"   {x:5.1f} {row[0]:8.2f} {row[1]:8.2f} {row[2]:8.2f} {row[3]:8.2f} {row[4]:6.1f} {row[5]:6.1f}")
print("   all equal to the exact polynomials (compared with ==)")

# -- 3. the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(xs, s, label="s(x) = 1 / (1 + e^-x)")
    ax1.plot(xs, ds, label="s'(x) by dualdiff")
    ax1.plot(xs[::20], (s * (1 - s))[::20], "o", mfc="none", label="s(x)(1 - s(x))")
    ax1.set_title("sigmoid and its derivative")
    ax1.set_xlabel("x")
    ax1.legend()
    xp = np.linspace(-5, 2.5, 200)
    ax2.plot(xp, p(xp), label="p")
    for name, fn in computed.items():
        ax2.plot(xp, [fn(float(x)) for x in xp], label=f"{name} by dualdiff")
    ax2.axhline(0, color="grey", lw=0.5)
    ax2.set_ylim(-40, 60)
    ax2.set_title("p(x) = x³ + 4x² − 5x + 1")
    ax2.set_xlabel("x")
    ax2.legend()
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "derivatives.png", dpi=100)
    print(f"\nsaved {OUT / 'derivatives.png'}")
