"""dualdiff.verify reports and sampling: the terminal table, to_dict / to_json, checks
over several points (naming the first failing one), and finite differences at the worst
entries."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.verify import CRITERION, check_grad, check_hessian, check_hvp, check_jacobian
from dualdiff.verify.finite_differences import FiniteDifferences
from dualdiff.verify.points import make_points

f_abs = lambda x: np.sum(x * np.abs(x))          # gradient 2|x|
grad_abs_bad = lambda x: 2 * x                     # right only where x >= 0
wavy = lambda x: np.sum(np.sin(3 * x) * np.exp(x / 2))


def wavy_grad(x):
    return (3 * np.cos(3 * x) + 0.5 * np.sin(3 * x)) * np.exp(x / 2)


# -- sampling -----------------------------------------------------------------------------------

def test_bug_only_in_a_region_is_caught_by_sampling_and_first_failure_is_named():
    x = np.array([1.0, 2.0, 3.0])
    assert check_grad(f_abs, grad_abs_bad, x)  # no bug visible at x
    report = check_grad(f_abs, grad_abs_bad, x, samples=20, seed=3, low=-3, high=3)
    assert not report
    assert len(report.points) == 21 and report.points[0].passed
    first = report.first_failure
    assert first is not None and first.index == min(p.index for p in report.failed_points)
    bad_entries = {e.index[0] for e in report.worst if e.point == first.index and not e.passed}
    assert all(first.x[i] < 0 for i in bad_entries)
    for e in report.worst:  # every failing entry sits at a negative coordinate
        assert e.passed or report.points[e.point].x[e.index] < 0
    text = str(report)
    assert f"first failing point #{first.index}" in text
    assert report.to_dict()["first_failing_point"] == first.index
    assert report.to_dict()["first_failing_x"] == first.x.tolist()


def test_samples_are_reproducible_and_in_the_box():
    pts = make_points(np.zeros(3), samples=50, seed=7, low=[-1, 0, 5], high=[0, 1, 6])
    again = make_points(np.zeros(3), samples=50, seed=7, low=[-1, 0, 5], high=[0, 1, 6])
    assert len(pts) == 51 and all(np.array_equal(a, b) for a, b in zip(pts, again, strict=True))
    s = np.array(pts[1:])
    assert np.all(s >= [-1, 0, 5]) and np.all(s <= [0, 1, 6])
    around = np.array(make_points(np.array([10.0, -10.0]), samples=30, seed=0)[1:])
    assert np.all(np.abs(around - [10.0, -10.0]) <= 1.0)
    box_only = make_points(samples=4, seed=0, low=np.zeros((2, 2)), high=1.0)
    assert len(box_only) == 4 and box_only[0].shape == (2, 2)


def test_point_arguments_are_validated():
    with pytest.raises(ValueError, match="nothing to check"):
        make_points()
    with pytest.raises(ValueError, match="samples=N"):
        make_points(np.zeros(2), low=0, high=1)
    with pytest.raises(ValueError, match="low <= high"):
        make_points(np.zeros(2), samples=2, low=1, high=0)
    with pytest.raises(ValueError, match="non-negative"):
        make_points(np.zeros(2), samples=-1)
    with pytest.raises(TypeError, match="precomputed"):
        check_grad(wavy, wavy_grad(np.zeros(2)), np.zeros(2), samples=2)


def test_explicit_points():
    pts = [np.array([0.5, 1.0]), np.array([-0.5, 1.0]), np.array([2.0, -2.0])]
    report = check_grad(f_abs, grad_abs_bad, points=pts)
    assert [p.passed for p in report.points] == [True, False, False]
    assert report.first_failure.index == 1
    assert check_grad(f_abs, lambda x: 2 * np.abs(x), points=np.array(pts), samples=5, seed=1)


def test_scalar_points_and_hvp_over_samples():
    report = check_grad(lambda x: x * dd.sin(x), lambda x: np.sin(x) + x * np.cos(x), 0.5, samples=5, seed=0)
    assert report and len(report.points) == 6
    v = np.array([1.0, -1.0])
    hvp_fn = lambda x, v: dd.hessian(wavy)(x) @ v
    assert check_hvp(wavy, hvp_fn, np.zeros(2), v, samples=5, seed=0)


# -- finite differences ------------------------------------------------------------------------

def test_finite_differences_at_worst_entries_show_truncation_error():
    x = np.array([0.3, -1.1, 2.0])
    report = check_grad(wavy, wavy_grad, x, finite_differences=True)
    assert report and report.finite_differences
    for e in report.worst:
        assert e.fd == pytest.approx(e.exact, rel=1e-7, abs=1e-7)
        assert e.fd_error == abs(e.fd - e.exact)
    assert max(e.fd_error for e in report.worst) > 1e-12   # FD are not exact; dualdiff is
    assert "central FD" in str(report)
    assert check_grad(wavy, wavy_grad, x).worst[0].fd is None


@pytest.mark.parametrize("kind", ["Jacobian", "Hessian", "Hessian-vector product"])
def test_finite_difference_estimates_of_each_kind(kind):
    x = np.array([0.3, -1.1, 2.0])
    v = np.array([0.5, 1.0, -2.0])
    if kind == "Jacobian":
        F = lambda x: np.array([np.sin(x[0] * x[1]), np.exp(x[2]) * x[0]])
        report = check_jacobian(F, dd.jacobian(F)(x), x, finite_differences=True, top=6)
    elif kind == "Hessian":
        report = check_hessian(wavy, dd.hessian(wavy)(x), x, finite_differences=True, top=9)
    else:
        report = check_hvp(wavy, dd.hvp(wavy, x, v), x, v, finite_differences=True)
    assert report
    scale = max(abs(e.exact) for e in report.worst)
    for e in report.worst:
        assert e.fd == pytest.approx(e.exact, abs=1e-5 * max(1.0, scale))


def test_finite_differences_on_a_grid_input_and_zero_direction():
    f = lambda x: np.sum(x[0] ** 3 * x[1])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    fd = FiniteDifferences(f, x)
    assert fd.entry("gradient", (1, 0)) == pytest.approx(1.0, rel=1e-8)
    assert fd.entry("Hessian", (0, 0, 1, 0)) == pytest.approx(3.0, rel=1e-5)
    assert fd.entry("Hessian-vector product", (0, 0), np.zeros((2, 2))) == 0.0


# -- output ---------------------------------------------------------------------------------------

def test_table_shows_status_criterion_and_worst_entries():
    def bad(x):
        g = wavy_grad(x)
        g[1] *= -1
        return g

    text = str(check_grad(wavy, bad, np.array([0.3, -1.1, 2.0])))
    lines = text.splitlines()
    assert lines[0].startswith("check_grad FAILED: gradient of <lambda> vs bad")
    assert CRITERION in text and "rtol=1e-07" in text and "atol=1e-09" in text
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["index", "exact"])
    first = lines[header + 1].split()
    assert first[0] == "[1]" and first[-1] == "FAIL"
    assert all(line.split()[-1] == "ok" for line in lines[header + 2:])
    assert "passed" in str(check_grad(wavy, wavy_grad, np.zeros(2))).splitlines()[0]


def test_to_dict_and_strict_json():
    f = lambda x: x[0] ** 2 + x[1]
    report = check_grad(f, lambda x: np.array([2 * x[0], 1.0 + 1e-3]), [0.0, 1.0])  # exact 0 at [0]
    d = report.to_dict()
    assert d["passed"] is False and d["check"] == "check_grad" and d["kind"] == "gradient"
    assert d["n_points"] == 1 and d["n_failed_entries"] == 1 and d["criterion"] == CRITERION
    assert d["worst"][0]["index"] == [1] and d["worst"][0]["passed"] is False
    assert d["points"][0]["x"] == [0.0, 1.0]
    report = check_grad(f, lambda x: np.array([1e-3, 1.0]), [0.0, 1.0])
    assert report.worst[0].rel_error == np.inf and report.max_rel_error == 0.0  # as numpy.testing
    parsed = json.loads(report.to_json())  # strict JSON: inf as a string
    assert parsed["worst"][0]["rel_error"] == "inf"
    assert json.loads(check_grad(f, [0.0, 1.0], [0.0, 1.0]).to_json(indent=None))["passed"] is True


def test_repr_and_bool():
    report = check_grad(wavy, wavy_grad, np.zeros(2))
    assert bool(report) is True and "passed" in repr(report)
