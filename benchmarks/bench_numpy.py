"""NumPy engine: per-call gradient and Hessian times of vectorised test functions.

    python benchmarks/bench_numpy.py [--quick]

Compares dualdiff's numpy engine (dual numbers with array components, all columns or
Hessian blocks per pass) with autograd, `ad`, and JAX (jit of grad/hessian, float64)
where installed (`pip install -e ".[bench]"`).  Prints a table of median per-call
times and ratios to dualdiff.
"""

from __future__ import annotations

import sys

import numpy as np
from timing import guarded, print_table

import dualdiff as dd
from dualdiff.problems import ackley, rosenbrock


def peers() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    try:
        import autograd
        import autograd.numpy as anp
        out["autograd"] = {"grad": lambda f: autograd.grad(lambda x: f(x, anp)),
                           "hessian": lambda f: autograd.hessian(lambda x: f(x, anp))}
    except ImportError:
        pass
    try:
        import types

        import ad
        from ad import admath

        # ad's numbers live in object arrays; elementwise functions come from ad.admath
        def elementwise(fn):
            vec = np.frompyfunc(fn, 1, 1)
            return lambda a: vec(a) if isinstance(a, np.ndarray) else fn(a)

        adnp = types.SimpleNamespace(
            sum=np.sum, pi=np.pi, e=np.e,
            **{name: elementwise(getattr(admath, name)) for name in ("exp", "sqrt", "cos", "sin")})

        def ad_f(f):
            return lambda x: f(np.array(x, dtype=object), adnp)

        def ad_grad(f):
            g, _ = ad.gh(ad_f(f))
            return lambda x: np.array(g(x))

        def ad_hess(f):
            _, h = ad.gh(ad_f(f))
            return lambda x: np.array(h(x))

        out["ad"] = {"grad": ad_grad, "hessian": ad_hess}
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        out["jax"] = {"grad": lambda f: (lambda g: lambda x: np.asarray(g(x)))(jax.jit(jax.grad(lambda x: f(x, jnp)))),
                      "hessian": lambda f: (lambda h: lambda x: np.asarray(h(x)))(jax.jit(jax.hessian(lambda x: f(x, jnp))))}
    except ImportError:
        pass
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (10, 100) if quick else (10, 100, 1000)
    others = peers()
    names = ["dualdiff", *others]
    for kind in ("grad", "hessian"):
        rows = []
        for fname, f in (("rosenbrock", rosenbrock), ("ackley", ackley)):
            for n in sizes:
                if kind == "hessian" and n > 100 and quick:
                    continue
                x = np.random.default_rng(0).uniform(-1.0, 1.0, n)
                ours = (dd.grad if kind == "grad" else dd.hessian)(f)
                reference = ours(x)
                row = {"case": f"{fname} n={n}", "dualdiff": guarded(lambda: ours(x))}
                for name, make in others.items():
                    if name == "ad" and n > 100:  # O(n^2) work per operation: minutes per call
                        row[name] = None
                        continue
                    fn = make[kind](f)
                    try:
                        if not np.allclose(fn(x), reference, rtol=1e-8, atol=1e-8):
                            print(f"   ({name} disagrees with dualdiff on {fname} n={n})")
                    except Exception:
                        pass
                    row[name] = guarded(lambda fn=fn: fn(x), limit=2.0 if n >= 100 else 5.0)
                rows.append(row)
                print(f"   done {kind} {fname} n={n}", file=sys.stderr, flush=True)
        print_table(f"numpy engine: {kind} per call (median)", rows, names, "dualdiff")


if __name__ == "__main__":
    main()
