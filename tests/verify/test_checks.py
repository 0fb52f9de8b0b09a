"""dualdiff.verify: correct derivatives pass; planted bugs fail and the report points at
the wrong entries (wrong sign, missing chain-rule factor, transposed Jacobian, asymmetric
Hessian); shape and type mismatches fail with a message instead of raising."""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import problems
from dualdiff.verify import CheckReport, check_grad, check_hessian, check_hvp, check_jacobian

X = np.array([1.2, -0.5, 0.7, 2.0])


rosenbrock, rosenbrock_grad, rosenbrock_hessian = (
    problems.rosenbrock, problems.rosenbrock_grad, problems.rosenbrock_hessian)


def mixed(x):
    """x0·x1 + exp(3·x2) + sin(x3): one chain-rule factor per entry."""
    return x[0] * x[1] + np.exp(3.0 * x[2]) + np.sin(x[3])


def failing(report: CheckReport) -> set[tuple[int, ...]]:
    return {e.index for e in report.worst if not e.passed}


# -- correct candidates pass -------------------------------------------------------------------

def test_correct_gradient_passes():
    report = check_grad(rosenbrock, rosenbrock_grad, X)
    assert report and report.passed
    assert report.n_entries == 4 and report.n_failed_entries == 0
    assert report.max_abs_error < 1e-12
    assert len(report.worst) == 4 and all(e.passed for e in report.worst)


def test_correct_hessian_jacobian_hvp_pass():
    assert check_hessian(rosenbrock, rosenbrock_hessian, X)
    assert check_jacobian(rosenbrock_grad, rosenbrock_hessian, X)  # the Jacobian of the gradient
    v = np.array([1.0, -2.0, 0.5, 3.0])
    assert check_hvp(rosenbrock, lambda x, v: rosenbrock_hessian(x) @ v, X, v)


def test_precomputed_array_and_list_candidates():
    assert check_grad(rosenbrock, rosenbrock_grad(X), X)
    assert check_grad(rosenbrock, rosenbrock_grad(X).tolist(), X.tolist())


def test_extra_args_reach_f_and_candidate():
    f = lambda x, a, scale=1.0: scale * np.sum(a * x ** 2)
    g = lambda x, a, scale=1.0: scale * 2 * a * x
    a = np.array([1.0, 2.0, 3.0])
    assert check_grad(f, g, [1.0, 2.0, 3.0], args=(a,), kwargs={"scale": 0.5})
    assert not check_grad(f, lambda x, a, scale=1.0: 2 * a * x, [1.0, 2.0, 3.0], args=(a,),
                          kwargs={"scale": 0.5})


def test_scalar_x():
    report = check_grad(lambda x: dd.sin(x) * x, lambda x: np.cos(x) * x + np.sin(x), 0.3)
    assert report and report.worst[0].index == ()
    assert not check_grad(lambda x: dd.sin(x) * x, lambda x: np.cos(x) * x, 0.3)


# -- planted bugs -------------------------------------------------------------------------------

def test_wrong_sign_in_one_entry():
    def bad(x):
        g = rosenbrock_grad(x)
        g[2] = -g[2]
        return g

    report = check_grad(rosenbrock, bad, X)
    assert not report
    assert report.worst[0].index == (2,)
    assert failing(report) == {(2,)}
    assert report.n_failed_entries == 1
    w = report.worst[0]
    assert w.exact == pytest.approx(rosenbrock_grad(X)[2]) and w.candidate == pytest.approx(-w.exact)
    assert w.rel_error == pytest.approx(2.0) and w.ratio > 1


def test_missing_chain_rule_factor():
    def bad(x):  # d/dx2 exp(3 x2) written without the factor 3
        return np.array([x[1], x[0], np.exp(3.0 * x[2]), np.cos(x[3])])

    report = check_grad(mixed, bad, X)
    assert not report and failing(report) == {(2,)}
    assert report.worst[0].exact == pytest.approx(3.0 * np.exp(2.1))
    assert report.worst[0].rel_error == pytest.approx(2.0 / 3.0)


def test_transposed_square_jacobian_points_at_off_diagonal_entries():
    F = lambda x: np.array([x[0] * x[1], np.sin(x[2]), x[0] ** 2])
    J = lambda x: np.array([[x[1], x[0], 0.0], [0.0, 0.0, np.cos(x[2])], [2 * x[0], 0.0, 0.0]])
    x = np.array([1.2, -0.5, 0.7])
    assert check_jacobian(F, J, x)
    report = check_jacobian(F, lambda x: J(x).T, x, top=10)
    assert not report
    wrong = {(i, j) for i in range(3) for j in range(3) if J(x)[i, j] != J(x)[j, i]}
    assert failing(report) == wrong and all(i != j for i, j in wrong)
    assert any("transposed Jacobian" in h for h in report.points[0].hints)


def test_transposed_rectangular_jacobian_is_a_shape_mismatch_not_a_crash():
    F = lambda x: np.array([x[0] * x[1], np.sin(x[2])])
    J = lambda x: np.array([[x[1], x[0], 0.0], [0.0, 0.0, np.cos(x[2])]])
    report = check_jacobian(F, lambda x: J(x).T, [1.0, 2.0, 3.0])
    assert not report
    p = report.points[0]
    assert "shape mismatch" in p.message and "(3, 2)" in p.message and "(2, 3)" in p.message
    assert any("transposed Jacobian" in h for h in p.hints)
    assert report.worst == [] and report.max_abs_error is None
    text = str(report)
    assert "shape mismatch" in text and "transposed Jacobian" in text


def test_asymmetric_hessian_reported_with_its_asymmetry():
    def bad(x):
        H = rosenbrock_hessian(x)
        H[2, 1] += 5.0  # only the lower entry is wrong
        return H

    report = check_hessian(rosenbrock, bad, X)
    assert not report
    assert report.worst[0].index == (2, 1) and failing(report) == {(2, 1)}
    p = report.points[0]
    assert p.asymmetry == pytest.approx(5.0) and p.asymmetry_index == (1, 2)
    assert report.max_asymmetry == pytest.approx(5.0)
    assert "not symmetric" in str(report)
    assert report.to_dict()["max_asymmetry"] == pytest.approx(5.0)


def test_asymmetry_within_tolerance_passes_and_beyond_fails():
    H = rosenbrock_hessian(X)
    tiny = H.copy()
    tiny[0, 1] *= 1 + 1e-12
    report = check_hessian(rosenbrock, tiny, X)
    assert report and report.points[0].asymmetry > 0
    # each entry within tolerance, the pair not: |H01 - H10| = 1.8 tol
    tol = 1e-9 + 1e-7 * abs(H[0, 1])
    skew = H.copy()
    skew[0, 1] += 0.9 * tol
    skew[1, 0] -= 0.9 * tol
    report = check_hessian(rosenbrock, skew, X)
    assert report.n_failed_entries == 0 and not report
    assert "beyond tolerance" in report.points[0].message


def test_wrong_hvp_points_at_entry():
    v = np.array([0.0, 1.0, 0.0, 0.0])
    bad = lambda x, v: rosenbrock_hessian(x) @ v + np.array([0, 0, 0, 1.0])
    report = check_hvp(rosenbrock, bad, X, v)
    assert not report and failing(report) == {(3,)}
    with pytest.raises(TypeError, match="direction v"):
        check_hvp(rosenbrock, bad, X)


def test_grid_shaped_input_indices():
    f = lambda x: np.sum(x[0] ** 2 * x[1])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])

    def bad(x):
        g = np.stack([2 * x[0] * x[1], x[0] ** 2])
        g[1, 0] += 1.0
        return g

    report = check_grad(f, bad, x)
    assert failing(report) == {(1, 0)}
    report = check_hessian(f, lambda x: dd.hessian(f)(x) * 1.0, x)
    assert report and len(report.worst[0].index) == 4


# -- candidates of the wrong kind -----------------------------------------------------------------

def test_wrong_shape_gradient_fails_with_message_and_reshape_hint():
    report = check_grad(rosenbrock, lambda x: rosenbrock_grad(x)[:, None], X)
    assert not report
    assert "shape mismatch" in report.points[0].message
    assert any("reshaping" in h for h in report.points[0].hints)


@pytest.mark.parametrize("value, words", [
    (None, "returned None"),
    (np.ones(4, dtype=complex), "complex"),
    ((1.0, np.ones(4)), "value_and_grad"),
    ([[1.0], [1.0, 2.0]], "cannot be converted"),
    (np.array(["a", "b", "c", "d"]), "does not convert"),
])
def test_non_array_candidates_fail_with_a_message(value, words):
    report = check_grad(rosenbrock, lambda x: value, X)
    assert not report
    assert words in report.points[0].message
    assert words in str(report)


class FakeTensor:
    """Duck-typed PyTorch tensor: .detach().cpu().numpy()."""

    def __init__(self, a, requires_grad=True):
        self.a, self.requires_grad = np.asarray(a), requires_grad

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")
        return self.a

    def detach(self):
        return FakeTensor(self.a, requires_grad=False)

    def cpu(self):
        return self

    def numpy(self):
        return self.a


def test_torch_like_tensor_is_detached():
    assert check_grad(rosenbrock, lambda x: FakeTensor(rosenbrock_grad(x)), X)


def test_float32_candidate_fails_with_precision_hint():
    report = check_grad(mixed, lambda x: dd.grad(mixed)(x).astype(np.float32), X, rtol=1e-9)
    assert not report
    assert any("float32" in h for h in report.points[0].hints)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_non_finite_values_match_only_themselves():
    f = lambda x: dd.sqrt(x[0]) + x[1]
    x = [0.0, 1.0]
    assert list(dd.grad(f)(x)) == [np.inf, 1.0]
    assert check_grad(f, np.array([np.inf, 1.0]), x)
    for wrong in ([np.nan, 1.0], [-np.inf, 1.0], [1e300, 1.0]):
        report = check_grad(f, np.array(wrong), x)
        assert not report and failing(report) == {(0,)}
        assert report.worst[0].abs_error == np.inf


def test_bad_options_raise():
    with pytest.raises(ValueError, match="rtol"):
        check_grad(rosenbrock, rosenbrock_grad, X, rtol=-1)
    with pytest.raises(ValueError, match="top"):
        check_grad(rosenbrock, rosenbrock_grad, X, top=-1)
    with pytest.raises(TypeError, match="function to differentiate"):
        check_grad(np.ones(3), rosenbrock_grad, X)


def test_top_and_tolerances():
    def bad(x):
        return rosenbrock_grad(x) * (1 + np.array([1e-9, 1e-6, 1e-3, 0.0]))

    report = check_grad(rosenbrock, bad, X, top=2)
    assert [e.index for e in report.worst] == [(2,), (1,)]
    assert failing(report) == {(2,), (1,)}
    assert check_grad(rosenbrock, bad, X, rtol=1e-2)
    assert not check_grad(rosenbrock, bad, X, rtol=1e-4)
    assert check_grad(rosenbrock, bad, X, top=0).worst == []
