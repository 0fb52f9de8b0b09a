"""Sensitivity of an ODE model to its parameters over a grid of parameter sets, with
dd.vmap: locally, then on a dask.distributed LocalCluster of two worker processes.

The Lotka–Volterra predator–prey model
    prey' = α·prey − β·prey·pred,    pred' = δ·prey·pred − γ·pred,    (prey, pred)(0) = (10, 5),
integrated to T = 10 by a fixed-step RK4 loop in an @numba.njit function simulate(p),
p = (α, β, γ, δ).  dd.jacobian(simulate)(p) is the 2 x 4 matrix ∂(prey, pred)(T)/∂p, exact
for the discretised model; dd.vmap maps it over a grid of (α, γ) with β, δ fixed
(10⁵ parameter sets; DUALDIFF_EXAMPLES_QUICK=1: 400, and the cluster's workers are
threads of this process instead of two processes).

    python examples/parameter_sweep.py     # writes examples/output/parameter_sweep.png

The cluster part needs dask and distributed (pip install "dask[array]" distributed); the
script's work is under `if __name__ == "__main__":` because the cluster's worker
processes import this file (they must not run it).  simulate travels to the workers by
value (numba pickles its source) and compiles there once per worker process.
"""

import os
import time
from pathlib import Path

import numba
import numpy as np

import dualdiff as dd

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

T_END, STEPS = 10.0, 200
BETA, DELTA = 0.4, 0.1
NAMES = ("α", "β", "γ", "δ")


@numba.njit
def simulate(p):
    """(prey, predator) at T_END by RK4 with STEPS steps; p = (α, β, γ, δ)."""
    alpha, beta, gamma, delta = p[0], p[1], p[2], p[3]
    h = T_END / STEPS
    u = 10.0 + 0.0 * alpha          # the state carries p's number type (dual under dd.jacobian)
    v = 5.0 + 0.0 * alpha
    for _ in range(STEPS):
        k1u = alpha * u - beta * u * v
        k1v = delta * u * v - gamma * v
        u2, v2 = u + 0.5 * h * k1u, v + 0.5 * h * k1v
        k2u = alpha * u2 - beta * u2 * v2
        k2v = delta * u2 * v2 - gamma * v2
        u3, v3 = u + 0.5 * h * k2u, v + 0.5 * h * k2v
        k3u = alpha * u3 - beta * u3 * v3
        k3v = delta * u3 * v3 - gamma * v3
        u4, v4 = u + h * k3u, v + h * k3v
        k4u = alpha * u4 - beta * u4 * v4
        k4v = delta * u4 * v4 - gamma * v4
        u = u + h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u)
        v = v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
    out = np.empty(2, dtype=p.dtype)
    out[0] = u
    out[1] = v
    return out


def parameter_grid(side):
    """side x side parameter sets: α, γ on a grid, β, δ fixed; rows (α, β, γ, δ)."""
    alphas, gammas = np.linspace(0.6, 1.6, side), np.linspace(0.2, 0.8, side)
    A, G = np.meshgrid(alphas, gammas, indexing="ij")
    P = np.column_stack([A.ravel(), np.full(A.size, BETA), G.ravel(), np.full(A.size, DELTA)])
    return alphas, gammas, P


def run_on_cluster(sensitivity, P, local):
    """The same map on a two-process LocalCluster, from a dask array of the parameter sets."""
    try:
        import dask.array as da
        from distributed import Client, LocalCluster
    except ImportError:
        print("\ndask/distributed not installed; skipping the cluster run")
        return
    blocks = 100 if QUICK else 10_000
    # QUICK (the test suite): workers as threads of this process, which skips starting two
    # Python processes and compiling simulate's Jacobian in each (about 7 s)
    kind = "threads in this process" if QUICK else "processes"
    print(f"\non a LocalCluster (2 workers: {kind}, 1 thread each), blocks of {blocks} parameter sets:")
    t0 = time.perf_counter()
    where = {"processes": False} if QUICK else {"processes": True, "host": "127.0.0.1"}   # loopback
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, **where) as cluster, \
            Client(cluster) as client:
        print(f"   cluster started in {time.perf_counter() - t0:.1f} s")
        lazy = dd.vmap(sensitivity)(da.from_array(P, chunks=(blocks, 4)))   # one probe point here
        print(f"   lazy result: {lazy}")
        first = "first run" + ("" if QUICK else " (compiles simulate's Jacobian in each worker process)")
        for attempt in (first, "second run"):
            t0 = time.perf_counter()
            J = lazy.compute()          # the Client is the active scheduler
            print(f"   {attempt}: {time.perf_counter() - t0:.2f} s")
        assert np.array_equal(J, local), "the cluster's result differs from the local one"
        print(f"   equal to the local result bit for bit: {np.array_equal(J, local)} "
              f"({len(client.scheduler_info()['workers'])} workers)")


def main():
    side = 20 if QUICK else 316
    alphas, gammas, P = parameter_grid(side)
    sensitivity = dd.jacobian(simulate)          # p -> ∂(prey, pred)(T)/∂p, shape (2, 4)

    print(f"Lotka–Volterra to T = {T_END} by RK4 ({STEPS} steps), Jacobian of (prey, pred)(T) "
          f"with respect to (α, β, γ, δ) at {len(P)} parameter sets")
    p0 = np.array([1.1, BETA, 0.4, DELTA])
    t0 = time.perf_counter()
    J0 = sensitivity(p0)
    print(f"   at p = {p0}: first call {time.perf_counter() - t0:.2f} s (compiles), (prey, pred)(T) = "
          f"{simulate(p0)}\n   ∂/∂p =\n      " + np.array2string(J0, precision=4).replace("\n", "\n      "))
    # exact for the discretised model: central differences agree to their own error
    for p in (p0, P[len(P) // 3]):
        for j in range(4):
            step = 1e-6 * p[j]
            e = np.zeros(4)
            e[j] = step
            fd = (simulate(p + e) - simulate(p - e)) / (2 * step)
            assert np.allclose(sensitivity(p)[:, j], fd, rtol=1e-5, atol=1e-6), (p, j)
    print("   central finite differences agree to 1e-5 at two parameter sets")

    t0 = time.perf_counter()
    J = dd.vmap(sensitivity)(P)                  # shape (len(P), 2, 4)
    local_time = time.perf_counter() - t0
    print(f"\nlocally, dd.vmap(dd.jacobian(simulate))(P): shape {J.shape}, {local_time:.2f} s "
          f"({local_time / len(P) * 1e6:.1f} µs per parameter set, one point after another)")
    sample = np.linspace(0, len(P) - 1, 25).astype(int)
    assert all(np.array_equal(J[i], sensitivity(P[i])) for i in sample)
    print("   equal to the per-point calls (25 sampled) bit for bit")

    run_on_cluster(sensitivity, P, J)

    # the map: how the prey population at T responds to α (its growth rate) and γ (the
    # predators' death rate), relative: ∂log prey(T)/∂log p = (p / prey) ∂prey/∂p
    prey = dd.vmap(simulate)(P)[:, 0]
    elasticity_alpha = (J[:, 0, 0] * P[:, 0] / prey).reshape(side, side)
    elasticity_gamma = (J[:, 0, 2] * P[:, 2] / prey).reshape(side, side)
    k = int(np.argmax(np.abs(elasticity_alpha)))
    print(f"\nlargest |∂log prey(T)/∂log α| = {np.abs(elasticity_alpha).flat[k]:.1f} at "
          f"α = {alphas[k // side]:.3f}, γ = {gammas[k % side]:.3f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import SymLogNorm
    except ImportError:
        print("matplotlib not installed; skipping plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    extent = (alphas[0], alphas[-1], gammas[0], gammas[-1])
    for ax, field, name in zip(axes, (elasticity_alpha, elasticity_gamma), ("α", "γ"), strict=True):
        limit = np.abs(field).max()
        image = ax.imshow(field.T, origin="lower", extent=extent, aspect="auto", cmap="RdBu_r",
                          norm=SymLogNorm(linthresh=1.0, vmin=-limit, vmax=limit))
        ax.set_xlabel("α (prey growth rate)")
        ax.set_title(f"∂ log prey(T) / ∂ log {name}")
        fig.colorbar(image, ax=ax)
    axes[0].set_ylabel("γ (predator death rate)")
    fig.suptitle(f"Lotka–Volterra sensitivities at T = {T_END} over {len(P)} parameter sets "
                 f"(β = {BETA}, δ = {DELTA}), dd.vmap(dd.jacobian(simulate))")
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "parameter_sweep.png", dpi=100)
    print(f"\nsaved {OUT / 'parameter_sweep.png'}")


if __name__ == "__main__":
    main()
