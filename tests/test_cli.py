"""``python -m dualdiff check``: exit 0 on a correct derivative, 1 with a readable report
on a wrong one, 2 on usage errors (bad module path, missing function, malformed --x)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dualdiff.cli import main, parse_array

MODEL = textwrap.dedent('''
    import numpy as np

    def rosenbrock(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def rosenbrock_grad(x):
        g = np.zeros_like(x)
        g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
        g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
        return g

    def rosenbrock_grad_bad(x):
        g = rosenbrock_grad(x)
        g[2] = -g[2]  # planted bug: wrong sign in one entry
        return g

    def rosenbrock_hessian(x):
        n = x.size
        H = np.zeros((n, n))
        for i in range(n - 1):
            H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
            H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
            H[i + 1, i + 1] += 200.0
        return H

    def rosenbrock_hessian_asym(x):
        H = rosenbrock_hessian(x)
        H[1, 0] = 0.0
        return H

    def hvp(x, v):
        return rosenbrock_hessian(x) @ v

    def F(x):
        return np.array([x[0] * x[1], np.sin(x[2])])

    def F_jac_transposed(x):
        return np.array([[x[1], x[0], 0.0], [0.0, 0.0, np.cos(x[2])]]).T

    def grad_abs_bad(x):
        return 2 * x

    def f_abs(x):
        return np.sum(x * np.abs(x))

    def raises(x):
        raise RuntimeError("boom")
''')

X = "1.2,-0.5,0.7,2"


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "dualdiff", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


# -- subprocess: the real command line -----------------------------------------------------------

def test_good_gradient_exits_0(model, tmp_path):
    out = run(["check", "model:rosenbrock", "model:rosenbrock_grad", "--x", X], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("check_grad passed")


def test_bad_gradient_exits_1_with_readable_report(model, tmp_path):
    out = run(["check", f"{model}:rosenbrock", f"{model}:rosenbrock_grad_bad", "--x", X, "--fd"], cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "check_grad FAILED: gradient of rosenbrock vs rosenbrock_grad_bad"
    fail_rows = [line.split() for line in lines if line.rstrip().endswith("FAIL")]
    assert [row[0] for row in fail_rows] == ["[2]"]
    assert "central FD" in out.stdout and out.stderr == ""


def test_bad_module_path_exits_2(tmp_path):
    out = run(["check", "no/such/file.py:f", "no/such/file.py:g", "--x", "1"], cwd=tmp_path)
    assert out.returncode == 2
    assert "no such file" in out.stderr and out.stdout == ""
    out = run(["check", "no_such_module_xyz:f", "no_such_module_xyz:g", "--x", "1"], cwd=tmp_path)
    assert out.returncode == 2 and "cannot import module 'no_such_module_xyz'" in out.stderr


def test_json_output_over_samples(model, tmp_path):
    out = run(["check", "model.py:f_abs", "model.py:grad_abs_bad", "--x", "1,2,3", "--samples", "10",
               "--seed", "0", "--low=-2", "--high", "2", "--json"], cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    d = json.loads(out.stdout)
    assert d["passed"] is False and d["n_points"] == 11 and d["first_failing_point"] >= 1
    assert min(d["first_failing_x"]) < 0


# -- in process: options and usage errors -----------------------------------------------------------

@pytest.fixture
def in_model(model, monkeypatch):
    monkeypatch.setattr(sys, "path", sys.path[:])  # loading a file puts its folder on sys.path
    monkeypatch.chdir(model.parent)
    return str(model)


def test_hessian_jacobian_hvp_options(in_model, capsys):
    m = in_model
    assert main(["check", f"{m}:rosenbrock", f"{m}:rosenbrock_hessian", "--x", X, "--hessian"]) == 0
    assert main(["check", f"{m}:rosenbrock", f"{m}:rosenbrock_hessian_asym", "--x", X, "--hessian"]) == 1
    assert "not symmetric" in capsys.readouterr().out
    assert main(["check", f"{m}:F", f"{m}:F_jac_transposed", "--x", "1,2,3", "--jacobian"]) == 1
    assert "transposed Jacobian" in capsys.readouterr().out
    assert main(["check", f"{m}:rosenbrock", f"{m}:hvp", "--x", X, "--hvp", "--v", "1,0,0,1"]) == 0
    capsys.readouterr()
    assert main(["check", f"{m}:rosenbrock", f"{m}:rosenbrock_grad_bad", "--x", X, "--rtol", "3"]) == 0
    # a negative first number is a value, not an option
    assert main(["check", f"{m}:f_abs", f"{m}:grad_abs_bad", "--x", "-1,2", "--samples", "2", "--low", "-3",
                 "--high", "-2"]) == 1
    assert "x = [-1.  2.]" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    (["{m}:nope", "{m}:rosenbrock_grad", "--x", X], "has no attribute 'nope'"),
    (["{m}:rosenbrock", "{m}", "--x", X], "should be MODULE:FUNC"),
    (["{m}:rosenbrock", "{m}:rosenbrock_grad", "--x", "1,a"], "is not a number"),
    (["{m}:rosenbrock", "{m}:hvp", "--x", X, "--hvp"], "needs the direction --v"),
    (["{m}:rosenbrock", "{m}:hvp", "--x", X, "--hvp", "--v", "1,2"], "--v has shape"),
    (["{m}:rosenbrock", "{m}:rosenbrock_grad", "--x", X, "--low", "0"], "add --samples"),
    (["{m}:raises", "{m}:rosenbrock_grad", "--x", X], "RuntimeError: boom"),
])
def test_usage_errors_exit_2(in_model, capsys, args, words):
    assert main(["check", *(a.format(m=in_model) for a in args)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m dualdiff check: error:") and words in err


def test_module_that_fails_to_import_exits_2(tmp_path, monkeypatch, capsys):
    (tmp_path / "broken_mod_for_cli.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.setattr(sys, "path", sys.path[:])
    monkeypatch.chdir(tmp_path)
    assert main(["check", "broken_mod_for_cli:f", "broken_mod_for_cli:g", "--x", "1"]) == 2
    assert "no_such_dependency_xyz" in capsys.readouterr().err


def test_argparse_errors_and_no_command_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "a:f"])
    assert info.value.code == 2
    assert main([]) == 2


def test_parse_array():
    assert parse_array("1,2,3").shape == (3,)
    assert parse_array("2.5").shape == ()
    assert parse_array("[[1, 2], [3, 4]]").shape == (2, 2)
    assert parse_array("[2]").shape == (1,)
