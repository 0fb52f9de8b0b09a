"""Before/after figures for a change on a hot path: the same cases in two checkouts,
interleaved A-B-A-B in fresh processes, min of the rounds, one table of ratios.

    git worktree add /tmp/before <rev>
    python benchmarks/compare_revisions.py /tmp/before [--rounds 2]

Cases: the numba engine's per-call latency (dd.grad / value_and_grad / hessian /
jacobian of the njit Rosenbrock and Broyden from dualdiff.problems at n = 2, 10, 100;
dd.jvp and dd.hvp at n = 10) and the numpy engine's (vectorised Rosenbrock and Ackley,
element-loop Rosenbrock, a small MLP, a scalar derivative).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent

CASES = r'''
import json, sys
import numba, numpy as np
sys.path.insert(0, BENCH)
from timing import per_call
import dualdiff as dd

def loop_rosen(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s

def broyden_loop(x):
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

def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

def ackley(x):
    n = x.shape[0]
    return (-20.0 * np.exp(-0.2 * np.sqrt(np.sum(x * x) / n))
            - np.exp(np.sum(np.cos(2.0 * np.pi * x)) / n) + 20.0 + np.e)

X_MLP = np.random.default_rng(0).normal(size=(64, 8))

def mlp(w):
    h = np.tanh(X_MLP @ w[:32].reshape(8, 4))
    return np.mean((h @ w[32:36] - 1.0) ** 2)

rosen_nb, broyden_nb = numba.njit(loop_rosen), numba.njit(broyden_loop)
out = {}
g, vg, h, j = dd.grad(rosen_nb), dd.value_and_grad(rosen_nb), dd.hessian(rosen_nb), dd.jacobian(broyden_nb)
for n in (2, 10, 100):
    x = np.linspace(-1, 2, n)
    for name, fn in (("grad", g), ("value_and_grad", vg), ("hessian", h), ("jacobian", j)):
        out[f"numba {name} n={n}"] = per_call(lambda: fn(x), budget=0.5)
x = np.linspace(-1, 2, 10)
out["numba jvp n=10"] = per_call(lambda: dd.jvp(rosen_nb, x, x), budget=0.5)
out["numba hvp n=10"] = per_call(lambda: dd.hvp(rosen_nb, x, x), budget=0.5)
for name, fn, n in (("grad rosenbrock", dd.grad(rosen), 100), ("grad rosenbrock", dd.grad(rosen), 1000),
                    ("grad ackley", dd.grad(ackley), 100), ("hessian rosenbrock", dd.hessian(rosen), 10),
                    ("hessian rosenbrock", dd.hessian(rosen), 100), ("grad loop rosenbrock", dd.grad(loop_rosen), 10),
                    ("hessian mlp", dd.hessian(mlp), 36)):
    x = np.linspace(-1, 2, n)
    out[f"numpy {name} n={n}"] = per_call(lambda: fn(x), budget=0.5)
d = dd.derivative(lambda t: np.sin(t) * np.exp(t))
out["numpy derivative scalar"] = per_call(lambda: d(1.3), budget=0.5)
print(json.dumps(out))
'''


def run(tree: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=tree)
    code = f"BENCH = {str(HERE)!r}\n" + CASES
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(s: float) -> str:
    return f"{s * 1e6:.2f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def main() -> None:
    before = sys.argv[1]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    after = str(HERE.parent)
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for _ in range(rounds):
        results["before"].append(run(before))
        results["after"].append(run(after))
    b = {k: min(r[k] for r in results["before"]) for k in results["before"][0]}
    a = {k: min(r[k] for r in results["after"]) for k in results["after"][0]}
    print("| case | before | after | after/before |\n|---|---|---|---|")
    for k in b:
        print(f"| {k} | {fmt(b[k])} | {fmt(a[k])} | {a[k] / b[k]:.2f} |")


if __name__ == "__main__":
    main()
