"""Plot the benchmark tables saved in benchmarks/results/*.md (from one run each).

    python benchmarks/plot_results.py      # writes docs/img/bench_<name>.png

Each markdown table printed by timing.print_table becomes one figure: per-call time
(log scale) against the case, one line per tool.
"""

from __future__ import annotations

import pathlib
import re

HERE = pathlib.Path(__file__).parent
OUT = HERE.parent / "docs" / "img"

_UNITS = {"µs": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_time(cell: str) -> float | None:
    m = re.fullmatch(r"\s*([0-9.]+) (µs|ms|s)\s*", cell)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each '#### title' / '## title' table in a results file."""
    out, title, lines = [], "", text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            title = line.lstrip("#").strip()
        if line.startswith("| case") or line.startswith("| n |"):
            header = [c.strip() for c in line.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip("|").split("|")])
                i += 1
            out.append((title, header, rows))
            continue
        i += 1
    return out


def main() -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE / "results").glob("*.md")):
        found = [t for t in tables(path.read_text()) if t[1][0] == "case"]
        if not found:
            continue
        fig, axes = plt.subplots(1, len(found), figsize=(5.5 * len(found), 4.2), squeeze=False)
        for ax, (title, header, rows) in zip(axes[0], found, strict=True):
            tools = [h for h in header[1:] if "/" not in h]
            cases = [r[0] for r in rows]
            families = [c.split(" n=")[0] if " n=" in c else "" for c in cases]
            for k, tool in enumerate(tools):
                col = header.index(tool)
                ys = [parse_time(r[col]) for r in rows]
                for fam_i, family in enumerate(dict.fromkeys(families)):  # one line per function
                    pts = [(i, y) for i, y in enumerate(ys) if y is not None and families[i] == family]
                    if pts:
                        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="os^v"[fam_i % 4],
                                color=f"C{k}", linewidth=2.5 if tool == "dualdiff" else 1.2,
                                label=tool if fam_i == 0 else None)
            ax.set_yscale("log")
            ax.set_xticks(range(len(cases)), cases, rotation=30, ha="right", fontsize=8)
            ax.set_ylabel("seconds per call")
            ax.set_title(title.split(",")[0].replace("numba engine: ", "").replace("numpy engine: ", ""),
                         fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        target = OUT / f"bench_{path.stem}.png"
        fig.savefig(target, dpi=110)
        plt.close(fig)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
