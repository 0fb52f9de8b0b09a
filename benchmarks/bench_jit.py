"""Numba engine: per-call gradient and Hessian times of an ordinary @njit function.

    python benchmarks/bench_jit.py [--quick]

Extended Rosenbrock written as a plain loop.  Compares dualdiff.jit (chunked dual /
hyper-dual numbers through the user's own njit code) with a hand-written analytic
gradient and Hessian in numba, and with JAX (jax.jit of grad/hessian, float64) where
installed.  Also prints the time of one evaluation of f for scale.  Times are medians
per call from Python, including every per-call overhead (argument checks, dispatch,
allocating the result).
"""

from __future__ import annotations

import sys

import numba
import numpy as np
from timing import guarded, print_table

from dualdiff import jit


@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


@numba.njit
def rosenbrock_grad(x):
    n = x.shape[0]
    g = np.zeros(n)
    for i in range(n - 1):
        t = x[i + 1] - x[i] * x[i]
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * t
    return g


@numba.njit
def rosenbrock_hessian(x):
    n = x.shape[0]
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        h[i, i + 1] = -400.0 * x[i]
        h[i + 1, i] = -400.0 * x[i]
        h[i + 1, i + 1] += 200.0
    return h


def jax_peers() -> dict[str, object] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def f(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    g, h = jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))
    return {"grad": lambda x: g(x).block_until_ready(), "hessian": lambda x: h(x).block_until_ready()}


def main(quick: bool = False) -> None:
    sizes = [2, 10, 100] if quick else [2, 10, 100, 1000]
    jx = jax_peers()
    peers = ["f alone", "analytic numba", "dualdiff.jit"] + (["jax.jit"] if jx else [])
    rows = []
    for what in ("grad", "hessian"):
        for n in sizes:
            if what == "hessian" and n > 100 and quick:
                continue
            x = np.random.default_rng(n).uniform(-1.0, 1.0, n)
            ours = jit.grad(rosenbrock, x) if what == "grad" else jit.hessian(rosenbrock, x)
            want = rosenbrock_grad(x) if what == "grad" else rosenbrock_hessian(x)
            assert np.allclose(ours, want, rtol=1e-13, atol=1e-12)
            budget = 0.2 if quick else 0.5
            row = {"case": f"{what} n={n} (chunk {jit.default_chunk(n, 1 if what == 'grad' else 2)})",
                   "f alone": guarded(lambda: rosenbrock(x), budget),
                   "analytic numba": guarded((lambda: rosenbrock_grad(x)) if what == "grad"
                                             else (lambda: rosenbrock_hessian(x)), budget),
                   "dualdiff.jit": guarded((lambda: jit.grad(rosenbrock, x)) if what == "grad"
                                           else (lambda: jit.hessian(rosenbrock, x)), budget)}
            if jx:
                row["jax.jit"] = guarded(lambda: jx[what](x), budget)
            rows.append(row)
    print_table("Extended Rosenbrock (plain njit loop): median time per call", rows, peers,
                "analytic numba")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
