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

import dualdiff as dd
from dualdiff import jit, problems

rosenbrock = numba.njit(problems.rosenbrock_loop)  # the shared test problem, compiled


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


broyden = numba.njit(problems.broyden_loop)


@numba.njit
def broyden_jacobian(x):
    n = x.shape[0]
    j = np.zeros((n, n))
    for i in range(n):
        j[i, i] = 3.0 - 4.0 * x[i]
        if i > 0:
            j[i, i - 1] = -1.0
        if i < n - 1:
            j[i, i + 1] = -2.0
    return j


rosenbrock_np, broyden_np = problems.rosenbrock, problems.broyden


def rosenbrock_list(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def broyden_list(x):
    n = len(x)
    return [(3.0 - 2.0 * x[i]) * x[i] - (x[i - 1] if i > 0 else 0.0) - 2.0 * (x[i + 1] if i < n - 1 else 0.0)
            + 1.0 for i in range(n)]


def peers() -> dict[str, dict[str, object]]:
    """Each peer's grad / hessian / jacobian as functions of x (missing peers skipped)."""
    out: dict[str, dict[str, object]] = {}
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        g = jax.jit(jax.grad(lambda x: rosenbrock_np(x, jnp)))
        h = jax.jit(jax.hessian(lambda x: rosenbrock_np(x, jnp)))
        jf = jax.jit(jax.jacfwd(lambda x: broyden_np(x, jnp)))
        out["jax.jit"] = {"grad": lambda x: g(x).block_until_ready(),
                          "hessian": lambda x: h(x).block_until_ready(),
                          "jacobian": lambda x: jf(x).block_until_ready()}
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp
        out["autograd"] = {"grad": autograd.grad(lambda x: rosenbrock_np(x, anp)),
                           "hessian": autograd.hessian(lambda x: rosenbrock_np(x, anp)),
                           "jacobian": autograd.jacobian(lambda x: broyden_np(x, anp))}
    except ImportError:
        pass
    try:
        import ad
        ad_g, ad_h = ad.gh(lambda x: rosenbrock_list(list(x)))
        out["ad"] = {"grad": lambda x: np.array(ad_g(x)), "hessian": lambda x: np.array(ad_h(x)),
                     "jacobian": lambda x: np.array(ad.jacobian(broyden_list(ad.adnumber(list(x))),
                                                                ad.adnumber(list(x))))}
        out["ad"]["jacobian"] = _ad_jacobian(ad)
    except ImportError:
        pass
    try:
        import num_dual
        out["num-dual"] = {"grad": lambda x: np.array(num_dual.gradient(rosenbrock_list, list(x))[1]),
                           "hessian": lambda x: np.array(num_dual.hessian(rosenbrock_list, list(x))[2]),
                           "jacobian": lambda x: np.array(num_dual.jacobian(broyden_list, list(x))[1])}
    except ImportError:
        pass
    try:
        import numdifftools as nd
        out["numdifftools"] = {"grad": nd.Gradient(rosenbrock), "hessian": nd.Hessian(rosenbrock),
                               "jacobian": nd.Jacobian(broyden)}
    except ImportError:
        pass
    return out


def _ad_jacobian(ad):
    def jacobian(x):
        xs = ad.adnumber(list(x))
        return np.array(ad.jacobian(broyden_list(xs), xs))
    return jacobian


CASES = {
    "grad": (rosenbrock, rosenbrock_grad, lambda f: dd.grad(f)),
    "hessian": (rosenbrock, rosenbrock_hessian, lambda f: dd.hessian(f)),
    "jacobian": (broyden, broyden_jacobian, lambda f: dd.jacobian(f)),
}
# peers too slow to time above these sizes (one call takes seconds to minutes)
LIMITS = {"ad": 10, "numdifftools": 100, "num-dual": 1000}


def main(quick: bool = False) -> None:
    sizes = [2, 10, 100] if quick else [2, 10, 100, 1000]
    others = peers()
    names = ["f alone", "analytic numba", "dualdiff"] + list(others)
    budget = 0.2 if quick else 0.4
    for what, (f, analytic, transform) in CASES.items():
        rows = []
        ours = transform(f)
        for n in sizes:
            x = np.random.default_rng(n).uniform(-1.0, 1.0, n)
            want = analytic(x)
            assert np.allclose(ours(x), want, rtol=1e-13, atol=1e-12)
            order = 2 if what == "hessian" else 1
            k = min(jit.default_chunk(n, order), jit.JACOBIAN_CHUNK) if what == "jacobian" else jit.default_chunk(n, order)
            row = {"case": f"n={n} (chunk {k})",
                   "f alone": guarded(lambda: f(x), budget),
                   "analytic numba": guarded(lambda: analytic(x), budget),
                   "dualdiff": guarded(lambda: ours(x), budget)}
            for name, fns in others.items():
                if n > LIMITS.get(name, 10**9) or (name == "num-dual" and what == "hessian" and n > 100):
                    continue
                fn = fns[what]
                try:
                    if not np.allclose(np.asarray(fn(x), dtype=float), want, rtol=1e-6, atol=1e-6):
                        print(f"   ({name} disagrees on {what} n={n})")
                except Exception as exc:
                    print(f"   ({name} failed on {what} n={n}: {type(exc).__name__})")
                    continue
                row[name] = guarded(lambda fn=fn: fn(x), budget, limit=3.0)
            rows.append(row)
            print(f"   done {what} n={n}", file=sys.stderr, flush=True)
        title = {"grad": "gradient of extended Rosenbrock (njit loop)",
                 "hessian": "Hessian of extended Rosenbrock (njit loop)",
                 "jacobian": "Jacobian of the Broyden tridiagonal function (njit loop)"}[what]
        print_table(f"numba engine: {title}, median per call", rows, names, "dualdiff")
    startup()


def startup() -> None:
    """First dd.hessian of a new cache=True njit function: in a new process, then in a
    second process with numba's cache warm (what a user's second run pays).  Measured
    twice: as the first numba work of the process (so including numba's own start-up,
    ~0.2 s of importing its numpy/BLAS support), and after f itself has run once."""
    import os
    import subprocess
    import tempfile
    import textwrap

    script = textwrap.dedent("""
        import sys, time
        import numba, numpy as np
        import dualdiff as dd
        @numba.njit(cache=True)
        def f(x):
            s = 0.0
            for i in range(x.shape[0] - 1):
                s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
            return s
        x = np.linspace(-1.0, 1.0, 10)
        if sys.argv[1] == "after-f":
            f(x)
        t0 = time.perf_counter()
        dd.hessian(f)(x)
        print(time.perf_counter() - t0)
    """)
    rows = []
    for mode in ("first", "after-f"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "startup_case.py")
            with open(path, "w") as fh:
                fh.write(script)
            env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(tmp, "cache")}
            rows.append([float(subprocess.run([sys.executable, path, mode], capture_output=True, text=True,
                                              env=env, check=True).stdout) for _ in range(2)])
    print("\n## numba engine: first call of dd.hessian(f)(x) for a new cache=True njit function (n = 10)\n")
    print("| process | first numba work of the process | after f(x) ran once |\n|---|---|---|")
    print(f"| new (cold numba cache) | {rows[0][0]:.2f} s | {rows[1][0]:.2f} s |")
    print(f"| second (warm cache) | {rows[0][1]:.2f} s | {rows[1][1]:.2f} s |")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
