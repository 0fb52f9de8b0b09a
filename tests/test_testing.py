"""dualdiff.testing: assert_*_close raise AssertionError carrying the report table; the
hypothesis strategies give finite float64 arrays in the domain."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualdiff as dd
from dualdiff.testing import (
    arrays_in,
    assert_grad_close,
    assert_hessian_close,
    assert_hvp_close,
    assert_jacobian_close,
    float_vectors,
)

f = lambda x: np.sum(np.exp(x[:-1]) * x[1:] ** 2)


def grad_f(x):
    g = np.zeros_like(x)
    g[:-1] = np.exp(x[:-1]) * x[1:] ** 2
    g[1:] += 2 * np.exp(x[:-1]) * x[1:]
    return g


X = np.array([0.1, -0.4, 0.9, 1.3])


def test_passing_asserts_return_the_report():
    report = assert_grad_close(f, grad_f, X)
    assert report.passed
    assert assert_jacobian_close(grad_f, dd.hessian(f)(X), X)
    assert assert_hessian_close(f, dd.hessian(f), X, samples=3, seed=0)
    assert assert_hvp_close(f, lambda x, v: dd.hessian(f)(x) @ v, X, np.ones(4))


def test_planted_bug_raises_with_worst_entries_in_message():
    def bad(x):
        g = grad_f(x)
        g[3] = -g[3]
        return g

    with pytest.raises(AssertionError) as info:
        assert_grad_close(f, bad, X)
    message = str(info.value)
    assert "check_grad FAILED" in message and "worst entries" in message
    fail_rows = [line.split() for line in message.splitlines() if line.rstrip().endswith("FAIL")]
    assert [row[0] for row in fail_rows] == ["[3]"]
    assert f"{grad_f(X)[3]:.12g}" in message


def test_assert_options_pass_through():
    with pytest.raises(AssertionError, match="first failing point"):
        assert_grad_close(lambda x: np.sum(x * np.abs(x)), lambda x: 2 * x, np.ones(3), samples=10, seed=0,
                          low=-1, high=1)
    assert_grad_close(f, grad_f(X) * (1 + 1e-5), X, rtol=1e-4)
    with pytest.raises(AssertionError, match="central FD"):
        assert_hessian_close(f, dd.hessian(f)(X) + np.eye(4), X, finite_differences=True)
    with pytest.raises(AssertionError, match="transposed"):
        F = lambda x: x[:2] * x[1:3] ** 2
        assert_jacobian_close(F, dd.jacobian(F)(X).T, X)


@settings(max_examples=50, deadline=None)
@given(float_vectors(5, low=-3.0, high=2.0))
def test_float_vectors_are_finite_in_domain(x):
    assert isinstance(x, np.ndarray) and x.shape == (5,) and x.dtype == np.float64
    assert np.all(np.isfinite(x)) and np.all((x >= -3.0) & (x <= 2.0))


@settings(max_examples=30, deadline=None)
@given(arrays_in((2, 3), 0.5, 1.0), float_vectors(st.integers(1, 4)))
def test_arrays_in_and_vectors_of_drawn_length(a, v):
    assert a.shape == (2, 3) and np.all(np.isfinite(a)) and np.all((a >= 0.5) & (a <= 1.0))
    assert 1 <= v.shape[0] <= 4 and np.all(np.abs(v) <= 10.0)


@settings(max_examples=20, deadline=None)
@given(float_vectors(4, low=-2.0, high=2.0))
def test_strategy_drives_a_derivative_check(x):
    assert_grad_close(f, grad_f, x)


def test_bad_domain_raises():
    with pytest.raises(ValueError, match="low <= high"):
        arrays_in(3, 1.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        float_vectors(3, low=-np.inf)


def test_missing_hypothesis_gives_a_clear_import_error(monkeypatch):
    real_import = builtins.__import__

    def no_hypothesis(name, *args, **kwargs):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError("No module named 'hypothesis'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    with pytest.raises(ImportError, match=r"dualdiff\[test\]"):
        float_vectors(3)
