"""Run every benchmark in one go: ``python benchmarks/run.py [--quick]`` (or ``make bench``)."""

from __future__ import annotations

import pathlib
import runpy
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

for name in ("bench_numpy.py", "bench_jit.py", "bench_optimize.py", "bench_scale.py", "bench_sparse.py"):
    path = HERE / name
    if path.exists():
        print(f"\n# {name}\n", flush=True)
        runpy.run_path(str(path), run_name="__main__")
