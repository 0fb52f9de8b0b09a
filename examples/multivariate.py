"""Functions of several variables: partial derivatives, the gradient, directional
derivatives; gradient descent near a saddle; the Hessian's eigenvalues classifying
critical points; and how the Hessian's condition number slows gradient descent (and not
Newton's method).

    python examples/multivariate.py     # writes examples/output/multivariate_saddle.png
                                        #    and examples/output/multivariate_conditioning.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd
from dualdiff import optimize

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib not installed; skipping plots")


def save(fig, name):
    OUT.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(OUT / name, dpi=100)
    print(f"   saved {OUT / name}")


# -- 1. partial derivatives, the gradient, a directional derivative ---------------------------------
def f(p):
    x, y = p
    return x**2 + y**3


p = np.array([1.0, 2.0])
print("1. f(x, y) = x^2 + y^3 at (1, 2): df/dx = 2x = 2, df/dy = 3y^2 = 12")
# a partial derivative is the ordinary derivative with the other variables held fixed
print(f"   df/dx by dd.derivative(lambda x: f((x, 2))): {dd.derivative(lambda x: f((x, 2.0)))(1.0)}")
print(f"   df/dy by dd.derivative(lambda y: f((1, y))): {dd.derivative(lambda y: f((1.0, y)))(2.0)}")
print(f"   grad f by dd.grad(f):                        {dd.grad(f)(p)}")
u = np.array([3.0, 4.0]) / 5
value, slope = dd.jvp(f, p, u)  # one dual pass seeded with the direction u
print(f"   directional derivative along u = (3, 4)/5 by dd.jvp: {slope:.12g}  (grad f . u = 2*0.6 + 12*0.8 = 10.8)")
print(f"   Hessian by dd.hessian(f): {dd.hessian(f)(p).tolist()}  (exact [[2, 0], [0, 6y = 12]])")
assert np.array_equal(dd.grad(f)(p), [2.0, 12.0]) and abs(slope - 10.8) < 1e-14

# -- 2. gradient descent at the saddle of x^2 - y^2 ------------------------------------------------
print("\n2. gradient descent on the saddle x^2 - y^2 (alpha = 0.1, 30 steps)")


def saddle(p):
    return p[0] ** 2 - p[1] ** 2


# the updates are x <- 0.8 x and y <- 1.2 y: y = 0 exactly stays 0, any y != 0 grows
saddle_runs = {}
for start in ((-0.7, 0.0), (-0.7, -0.01)):
    res = optimize.minimize(saddle, np.array(start), method="gd", learning_rate=0.1, maxiter=30,
                            record_path=True)
    saddle_runs[start] = res
    print(f"   from {start}: ends at ({res.x[0]: .2e}, {res.x[1]: .3f}), f = {res.fun: .3f}  ({res.status.name})")
print("   the first start heads straight for the saddle point (0, 0); the second, 0.01 away, escapes along -y")
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 5))
    X, Y = np.meshgrid(np.linspace(-1, 1, 201), np.linspace(-2.5, 0.5, 201))
    cs = ax.contour(X, Y, saddle(np.array([X, Y])), levels=21, cmap="RdBu_r")
    ax.clabel(cs, fontsize=7)
    for (start, res), color in zip(saddle_runs.items(), ("C0", "C3"), strict=True):
        ax.plot(res.path.x[:, 0], res.path.x[:, 1], "o-", ms=3, color=color, label=f"from {start}")
    ax.plot(0, 0, "kx", ms=10, label="saddle point")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("gradient descent on x² − y²")
    ax.legend()
    save(fig, "multivariate_saddle.png")

# -- 3. critical points classified by the Hessian's eigenvalues -------------------------------------
print("\n3. critical points of g(x, y) = x^3 - 3x + y^3 - 3y, found by Newton's method on grad g = 0")


def g(p):
    x, y = p
    return x**3 - 3 * x + y**3 - 3 * y


grad_g = dd.grad(g)
found = []
for start in ((2.0, 2.0), (2.0, -2.0), (-2.0, 2.0), (-2.0, -2.0)):
    root = optimize.root(grad_g, np.array(start)).x  # Jacobian of grad g = Hessian of g
    point = optimize.classify_critical_point(g, root)
    found.append((root, point))
    print(f"   ({root[0]: .0f}, {root[1]: .0f}): Hessian eigenvalues {point.eigenvalues} -> {point.kind}")
assert sorted(p.kind for _, p in found) == ["maximum", "minimum", "saddle", "saddle"]
for name, h in (("x^4 + y^4", lambda p: p[0] ** 4 + p[1] ** 4), ("x^2 - y^2", saddle)):
    point = optimize.classify_critical_point(h, np.zeros(2))
    print(f"   {name} at (0, 0): eigenvalues {point.eigenvalues} -> {point.kind}")

# -- 4. the condition number: zig-zagging gradient descent against Newton ---------------------------
print("\n4. q(x, y) = x^2 + 10 y^2 (an elongated bowl) from (-9, 1.5), to |grad q| < 1e-8")


def q(p):
    return p[0] ** 2 + 10 * p[1] ** 2


x0 = np.array([-9.0, 1.5])
kappa = optimize.condition_number(q, x0)
print(f"   Hessian {dd.hessian(q)(x0).tolist()}, condition number {kappa:g}")
# a fixed step must stay below 2 / lambda_max = 0.1; at 0.09 the steep y direction
# overshoots (factor 1 - 20 * 0.09 = -0.8 per step) while x shrinks by only 1 - 2 * 0.09 = 0.82
conditioning = {
    "gradient descent, alpha = 0.09": optimize.minimize(q, x0, method="gd", learning_rate=0.09, record_path=True),
    "gradient descent, line search": optimize.minimize(q, x0, method="gd", line_search=True, record_path=True),
    "Newton": optimize.minimize(q, x0, method="newton", record_path=True),
}
for name, res in conditioning.items():
    print(f"   {name:<31} {res.nit:4d} iterations, x = {np.array2string(res.x, precision=3)}")
assert conditioning["Newton"].nit == 1  # a quadratic: one exact Newton step
print("   iterations against the condition number of x^2 + kappa y^2 (gradient descent with the best")
print("   fixed step 2 / (lambda_min + lambda_max) = 1 / (1 + kappa), which contracts by (kappa-1)/(kappa+1)):")
print(f"   {'kappa':>7} {'gradient descent':>17} {'Newton':>7}")
for k in (1, 10, 100) if QUICK else (1, 10, 100, 1000):
    def qk(p, k=k):
        return p[0] ** 2 + k * p[1] ** 2

    gd = optimize.minimize(qk, x0, method="gd", learning_rate=1 / (1 + k), maxiter=100_000)
    newton = optimize.minimize(qk, x0, method="newton")
    print(f"   {optimize.condition_number(qk, x0):7g} {gd.nit:17d} {newton.nit:7d}")
if plt is not None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    X, Y = np.meshgrid(np.linspace(-10, 2, 300), np.linspace(-2, 2, 200))
    ax1.contour(X, Y, q(np.array([X, Y])), levels=np.geomspace(0.05, 120, 14), colors="0.7", linewidths=0.8)
    for (name, res), style in zip(conditioning.items(), ("o-", ".-", "s-"), strict=True):
        ax1.plot(res.path.x[:, 0], res.path.x[:, 1], style, ms=3, lw=0.8, label=f"{name} ({res.nit} steps)")
    ax1.set_aspect("equal")
    ax1.set_title(f"x² + 10y²: condition number {kappa:g}")
    ax1.legend(fontsize=8, loc="lower right")
    for name, res in conditioning.items():
        ax2.semilogy(np.maximum(res.path.fun, 1e-20), label=name)
    ax2.set_xlabel("iteration")
    ax2.set_title("q(x_k)")
    ax2.legend(fontsize=8)
    save(fig, "multivariate_conditioning.png")
