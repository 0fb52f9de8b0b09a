"""Every script in examples/ runs to completion (each checks its own results with asserts)
and writes the pictures it promises.

The scripts run in subprocesses with DUALDIFF_EXAMPLES_QUICK=1 (smaller sizes and
iteration counts), MPLBACKEND=Agg and DUALDIFF_EXAMPLES_OUTPUT pointing at a temporary
directory, so the repository's examples/output/ is left alone.  A second run of each
with matplotlib made unimportable checks that the scripts still work without it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
TIMEOUT = 120  # seconds per script; together they take about 10 s

# the pictures each script writes (scripts not listed write none)
PICTURES = {
    "derivatives.py": ["derivatives.png"],
    "critical_points.py": ["critical_points.png"],
    "gradient_descent_1d.py": ["gradient_descent_1d.png"],
    "linear_regression.py": ["linear_regression.png"],
    "newton_method.py": ["newton_method.png"],
    "multivariate.py": ["multivariate_saddle.png", "multivariate_conditioning.png"],
    "neural_network.py": ["neural_network.png"],
    "ode_sensitivity.py": ["ode_sensitivity.png"],
    "parameter_sweep.py": ["parameter_sweep.png"],
}

# runs a script with `import matplotlib` failing, as on a machine without it
WITHOUT_MATPLOTLIB = (
    "import runpy, sys; sys.modules['matplotlib'] = None; "
    "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DUALDIFF_EXAMPLES_QUICK="1", MPLBACKEND="Agg",
               DUALDIFF_EXAMPLES_OUTPUT=str(tmp_path / "output"))
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def _explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-5000:]}"


def test_every_example_is_listed() -> None:
    names = {p.name for p in SCRIPTS}
    assert "quickstart.py" in names
    assert set(PICTURES) <= names, f"PICTURES names missing scripts: {set(PICTURES) - names}"


def test_docs_examples_page_shows_every_picture() -> None:
    """docs/examples.md shows each picture (committed under docs/img/), not only its name."""
    docs = EXAMPLES.parent / "docs"
    page = (docs / "examples.md").read_text(encoding="utf-8")
    for png in (p for pngs in PICTURES.values() for p in pngs):
        assert re.search(rf"!\[[^\]]*\]\(img/{re.escape(png)}\)", page), f"docs/examples.md does not show {png}"
        assert (docs / "img" / png).is_file(), f"docs/img/{png} is missing"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    proc = _run([str(script)], tmp_path)
    assert proc.returncode == 0, _explain(proc)
    assert proc.stdout.strip(), "the example printed nothing"
    expected = PICTURES.get(script.name, [])
    if not HAVE_MATPLOTLIB:
        if expected:
            assert "matplotlib not installed; skipping plot" in proc.stdout
        pytest.skip("matplotlib is not installed: pictures not checked")
    for name in expected:
        picture = tmp_path / "output" / name
        assert picture.is_file(), f"{script.name} did not write {name}\n{_explain(proc)}"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"


# parameter_sweep.py compiles numba drivers for ~15 s and guards its plot with the same
# `try: import matplotlib` as the others: its run without matplotlib adds time, not checks
WITHOUT_MATPLOTLIB_SCRIPTS = [p for p in SCRIPTS if p.name in PICTURES and p.name != "parameter_sweep.py"]


@pytest.mark.parametrize("script", WITHOUT_MATPLOTLIB_SCRIPTS, ids=lambda p: p.stem)
def test_example_runs_without_matplotlib(script: Path, tmp_path: Path) -> None:
    proc = _run(["-c", WITHOUT_MATPLOTLIB, str(script)], tmp_path)
    assert proc.returncode == 0, _explain(proc)
    assert "matplotlib not installed; skipping plot" in proc.stdout
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())
