"""Sparse derivatives (dualdiff.sparse) against their peers: issue 12's benchmark, one process.

Run: .venv/bin/python benchmarks/bench_sparse.py [--quick] [n ...]
     (default n = 1000 10000 100000; --quick: 1000 10000)

For each problem (Broyden tridiagonal Jacobian, extended Rosenbrock Hessian, k×k grid
energy Hessian; see sparse_peers.py) and n, one row per method: analytic @njit kernels
filling the CSR values (the limit, 1.0x), dualdiff's numpy engine (numpy-vectorised F) and
numba engine (an @njit element loop of F; its pattern detected on the vectorised twin, and
at n ≤ 1000 also traced through the loop itself), asdex, sparsejac, CasADi and dense jax.  Preparation is the first call of a fresh derivative
object (detection + colouring + compilation); per call is the median after it.  Every
result is checked against the analytic one (max |difference| / max |analytic|): a result
off by more than 1e-10 is printed as "wrong" and never timed.  Then the Rosenbrock
gradient (sum_grad vs jax.jit(jax.grad)), detection and colouring times, and the general
sparse Hessian.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sparse_peers as peers  # noqa: E402
from timing import fmt_time, per_call  # noqa: E402

import dualdiff as dd  # noqa: E402
from dualdiff import sparse  # noqa: E402

TOLERANCE = 1e-10

FOOTNOTES = {
    "dense": f"dense jax only for n ≤ {peers.JAX_DENSE_LIMIT['jacobian']} (Jacobian) and "
             f"n ≤ {peers.JAX_DENSE_LIMIT['hessian']} (Hessian): above that the n×n result alone "
             "takes gigabytes and the time grows as n².",
    "not built": "dualdiff's numba engine for sparse passes (`engine=\"numba\"`) is not built in this "
                 "revision: the constructor raises NotImplementedError.",
    "Jacobians only": "sparsejac computes Jacobians only.",
    "loop tracing": "the numba engine's rows take the pattern detected on the numpy-vectorised twin of "
                    "the element loop (same terms, same order; the detection is part of the preparation). "
                    "Tracing the element loop itself (pattern='auto') runs it in Python on index sets: "
                    f"about a second at n = 1000 and growing faster than n (one run at n = 10⁵ took "
                    f"10 minutes), so it is timed for n ≤ {peers.TRACE_LOOP_LIMIT} only.",
}


def footnote(used: dict[str, int], reason: str) -> str:
    """' [k]' for a reason with a footnote (numbered in order of first use), else ''."""
    if reason not in FOOTNOTES:
        return ""
    used.setdefault(reason, len(used) + 1)
    return f" [{used[reason]}]"


def once(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def ratio(t: float | None, ref: float | None) -> str:
    return "—" if t is None or ref is None else f"{t / ref:.1f}x"


def check(problem: peers.Problem, ref: Any, ref_out: Any, out: Any) -> float:
    """Relative difference of a result to the analytic one; for dualdiff's (value, grad, H)
    the value and the gradient are checked too."""
    err = peers.rel_diff(ref, out)
    if isinstance(out, tuple) and problem.kind == "hessian":
        f, g, _ = ref_out
        err = max(err, abs(float(out[0]) - f) / max(abs(f), 1e-300),
                  float(np.abs(np.asarray(out[1]) - g).max()) / max(float(np.abs(g).max()), 1e-300))
    return err


def peer_table(key: str, sizes: list[int], budget: float, used: dict[str, int]) -> dict[tuple[int, str], float]:
    """Print one problem's table; return {(n, method): seconds per call} of the checked results."""
    problem = peers.PROBLEMS[key]
    times: dict[tuple[int, str], float] = {}
    print(f"\n#### {problem.name}\n")
    print("| n | method | preparation | per call | vs analytic | max rel. diff |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        x = problem.point(n)
        P = problem.pattern(x.size)
        ref_out = peers.analytic(problem, x, P)()
        ref = peers.analytic_csr(problem, x, P, ref_out)
        t_ref = None
        for name, prepare in peers.PEERS.items():
            gc.collect()
            try:
                t_first, call = once(lambda prepare=prepare: prepare(problem, x, P))
                t_call, out = once(call)
                t_first += t_call
            except peers.Skip as exc:
                reason = str(exc)
                mark = footnote(used, reason)
                print(f"| {x.size} | {name} | — | {'—' if reason == 'dense' else reason}{mark} | — | — |", flush=True)
                continue
            except Exception as exc:  # a peer that fails on this case: say so, go on
                print(f"| {x.size} | {name} | — | failed: {type(exc).__name__}: {str(exc)[:80]} | — | — |",
                      flush=True)
                continue
            if name == "analytic numba":
                err_cell = "(reference)"
            else:
                err = check(problem, ref, ref_out, out)
                err_cell = f"{err:.0e}"
                if not err <= TOLERANCE:
                    print(f"| {x.size} | {name} | {fmt_time(t_first)} | wrong (rel. diff {err:.1e}) | — | "
                          f"{err_cell} |", flush=True)
                    continue
            del out
            t = per_call(call, budget=budget, repeats=5)
            times[n, name] = t
            if name == "analytic numba":
                t_ref = t
            print(f"| {x.size} | {name} | {fmt_time(t_first)} | {fmt_time(t)} | {ratio(t, t_ref)} | {err_cell} |",
                  flush=True)
            del call
    return times


def gradient_table(n: int, budget: float, used: dict[str, int]) -> dict[str, float]:
    print(f"\n#### Gradient of the extended Rosenbrock sum, n = {n}\n")
    print("| method | preparation | per call | vs analytic | max rel. diff |")
    print("|---|---|---|---|---|")
    x = peers.PROBLEMS["rosenbrock"].point(n)
    f_ref, g_ref = peers.analytic(peers.PROBLEMS["rosenbrock"], x, None)()[:2]
    t_ref = None
    times: dict[str, float] = {}
    for name, prepare in peers.gradient_peers(x).items():
        try:
            t_first, call = once(prepare)
            t_call, out = once(call)
            t_first += t_call
        except peers.Skip as exc:
            reason = str(exc)
            mark = footnote(used, reason)
            print(f"| {name} | — | {'—' if reason == 'dense' else reason}{mark} | — | — |", flush=True)
            continue
        except Exception as exc:
            print(f"| {name} | — | failed: {type(exc).__name__}: {str(exc)[:80]} | — | — |", flush=True)
            continue
        err = float(np.abs(peers.grad_of(out) - g_ref).max()) / float(np.abs(g_ref).max())
        if isinstance(out, tuple):
            err = max(err, abs(float(out[0]) - f_ref) / abs(f_ref))
        if not err <= TOLERANCE:
            print(f"| {name} | {fmt_time(t_first)} | wrong (rel. diff {err:.1e}) | — | {err:.0e} |")
            continue
        t = per_call(call, budget=budget, repeats=5)
        times[name] = t
        if name == "analytic numba":
            t_ref = t
        cell = "(reference)" if name == "analytic numba" else f"{err:.0e}"
        print(f"| {name} | {fmt_time(t_first)} | {fmt_time(t)} | {ratio(t, t_ref)} | {cell} |", flush=True)
    return times


def targets(times: dict[str, dict[tuple[int, str], float]], grad: dict[str, float]) -> None:
    """Issue 12's per-call targets, met or not, from this run's medians."""
    nb, npy = "dualdiff, numba engine", "dualdiff, numpy engine"
    rows = []

    def row(target: str, t: float | None, ref: float | None, limit: float, faster: bool) -> None:
        if t is None or ref is None:
            rows.append((target, "—", "not measured"))
            return
        r = ref / t if faster else t / ref
        ok = r >= limit if faster else r <= limit
        what = "speed-up" if faster else "ratio"
        rows.append((target, f"{fmt_time(t)} vs {fmt_time(ref)}: {what} {r:.1f}x", "met" if ok else "not met"))

    for key, tt in times.items():
        for n in sorted({n for n, _ in tt}):
            if n >= 1000:
                row(f"{key} n={n}: numba engine within 3x of analytic", tt.get((n, nb)),
                    tt.get((n, "analytic numba")), 3.0, False)
            if n in (10_000, 100_000):
                for peer in ("asdex", "CasADi (SX)"):
                    row(f"{key} n={n}: numba engine ≥ 5x faster than {peer}", tt.get((n, nb)), tt.get((n, peer)),
                        5.0, True)
            if n == 100_000 and key in ("broyden", "rosenbrock"):
                row(f"{key} n={n}: numpy engine within 10x of asdex", tt.get((n, npy)), tt.get((n, "asdex")),
                    10.0, False)
    row("Rosenbrock gradient n=1000: numba sum_grad faster than jax.jit(jax.grad)",
        grad.get("dualdiff sum_grad, numba engine"), grad.get("jax.jit(jax.grad)"), 1.0, True)
    print("\n### Issue 12's per-call targets in this run\n")
    print("One run's medians on the machine it ran on: on a shared machine ratios move by up to 2x "
          "between runs.\n")
    print("| target | measured | |")
    print("|---|---|---|")
    for target, measured, verdict in rows:
        print(f"| {target} | {measured} | {verdict} |")


def detection(n: int, budget: float) -> None:
    x = np.full(n, 0.5)
    cases = [
        ("Broyden Jacobian pattern", lambda: sparse.jacobian_pattern(peers.broyden, x)),
        ("ext. Rosenbrock Hessian pattern", lambda: sparse.hessian_pattern(peers.rosenbrock, x)),
        ("ext. Rosenbrock terms' Jacobian pattern", lambda: sparse.jacobian_pattern(peers.rosenbrock_terms, x)),
    ]
    for name, detect in cases:
        t_detect = per_call(detect, budget=budget, repeats=3)
        P = detect()
        t_color = per_call(lambda P=P: sparse.color_columns(P), budget=budget, repeats=3)
        c = sparse.color_columns(P).max() + 1
        print(f"| {name} | {n} | {P.nnz} | {c} | {fmt_time(t_detect)} | {fmt_time(t_color)} | "
              f"{fmt_time(t_detect + t_color)} |", flush=True)


def general_hessian(n: int, budget: float) -> None:
    x = np.random.default_rng(2).uniform(-1, 1, n)
    h = sparse.hessian(peers.rosenbrock)
    first, H = once(lambda: h(x))
    t_sparse = per_call(lambda: h(x), budget=budget, repeats=3)
    dense = dd.hessian(peers.rosenbrock)
    # dense dd.hessian at n = 1000 takes seconds a call (n² lanes): not timed
    t_dense = per_call(lambda: dense(x), budget=budget, repeats=3) if n <= 100 else None
    speedup = f"{t_dense / t_sparse:.0f}x" if t_dense else "—"
    err = peers.rel_diff(peers.analytic_csr(peers.PROBLEMS["rosenbrock"], x, peers.rosenbrock_pattern(n),
                                            peers.analytic(peers.PROBLEMS["rosenbrock"], x, None)()), H)
    print(f"| ext. Rosenbrock | {n} | {h.plan(x).ncolors} | {fmt_time(first)} | {fmt_time(t_sparse)} | "
          f"{fmt_time(t_dense)} | {speedup} | {err:.0e} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help="n (default 1000 10000 100000)")
    parser.add_argument("--quick", action="store_true", help="n = 1000 10000 only, shorter timing loops")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    budget = 0.15 if args.quick else 0.25
    used: dict[str, int] = {}
    t0 = time.perf_counter()
    print(f"Peers: {peers.versions()}.")
    print("\n### Against the peers (median per call; preparation = first call of a fresh object)")
    times = {key: peer_table(key, sizes, budget, used) for key in peers.PROBLEMS}
    grad = gradient_table(1000, budget, used)
    notes = [f"[{k}] {FOOTNOTES[reason]}" for reason, k in used.items()]
    print("\nThe analytic kernels return fresh arrays of the values (and f, grad) on the pattern "
          "built once (their compilation happens before, for the reference result); dualdiff returns a scipy `csr_array` (Hessians: with f and the gradient, "
          "from the same pass). asdex, CasADi and dense jax compute the Hessian only; CasADi's "
          "numeric call goes through its buffer interface (numpy memory in and out). JAX peers "
          "run under `jax.jit` on a device array, to `block_until_ready()`.")
    for note in notes:
        print(f"\n{note}")
    targets(times, grad)
    print("\n### Detection and colouring (global pattern, numpy-vectorised code; median)\n")
    print("| pattern | n | nnz | colours | detection | colouring (3 orders) | total |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        detection(n, budget)
    print("\n### sparse.hessian of the scalar f (no sum structure given) against dense dd.hessian\n")
    print("| f | n | colours | first call | sparse.hessian | dd.hessian | speed-up | max rel. diff |")
    print("|---|---|---|---|---|---|---|---|")
    for n in [100, 1000]:
        general_hessian(n, budget)
    print("\n(dense dd.hessian is timed at n = 100 only: at n = 1000 it takes seconds a call.)")
    print(f"\n(whole run: {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
