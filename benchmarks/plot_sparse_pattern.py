"""Draw docs/img/sparse_coloring.png: a Jacobian pattern, its column colouring and J·S.

Run: .venv/bin/python benchmarks/plot_sparse_pattern.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dualdiff import sparse  # noqa: E402

K = 6  # a K x K grid, n = 36


def residual(x):
    """A 5-point stencil: r_ij = 4 u_ij - neighbours + u_ij³ (zero outside the grid)."""
    u = np.pad(x.reshape(K, K), 1)
    inner = u[1:-1, 1:-1]
    lap = 4.0 * inner - u[:-2, 1:-1] - u[2:, 1:-1] - u[1:-1, :-2] - u[1:-1, 2:]
    return (lap + inner ** 3).ravel()


def main() -> None:
    x = np.zeros(K * K)
    P = sparse.jacobian_pattern(residual, x)
    colors = sparse.color_columns(P)
    c = colors.max() + 1
    cmap = plt.get_cmap("tab10")
    rows, cols = P.nonzero()
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 4.6), gridspec_kw={"width_ratios": [K * K, 4 * c]})
    a.scatter(cols, rows, c=[cmap(colors[j]) for j in cols], s=22, marker="s")
    a.set_title(f"Jacobian pattern (n = {K * K}, nnz = {P.nnz}),\ncolumns coloured: {c} colours")
    b.scatter(colors[cols], rows, c=[cmap(colors[j]) for j in cols], s=22, marker="s")
    b.set_title("compressed J·S\n(one pass)")
    for ax, w in ((a, K * K), (b, c)):
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(K * K - 0.5, -0.5)
        ax.set_xlabel("column j" if ax is a else "colour")
        ax.set_aspect("equal")
    a.set_ylabel("row i")
    b.set_xticks(range(c))
    fig.tight_layout()
    out = Path(__file__).resolve().parents[1] / "docs" / "img" / "sparse_coloring.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out} ({c} colours)")


if __name__ == "__main__":
    main()
