"""check_* against JAX derivatives (skipped without JAX): f is written with numpy for
dualdiff, the candidate with jax.numpy; JAX runs in float64 (jax.enable_x64)."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from dualdiff.verify import check_grad, check_hessian, check_hvp, check_jacobian

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@contextlib.contextmanager
def x64_mode(on: bool):
    """jax_enable_x64 set to ``on`` inside, restored afterwards (the global flag is shared)."""
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", on)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.fixture(autouse=True)
def x64():
    with x64_mode(True):
        yield


def rosenbrock(np_):
    return lambda x: np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def softmax_cross_entropy(np_):
    W = np.arange(12.0).reshape(3, 4) / 10 - 0.5
    label = 2

    def f(x):  # x: 4 features; logits W @ x; -log softmax(logits)[label]
        z = W @ x
        m = np_.max(z)
        return m + np_.log(np_.sum(np_.exp(z - m))) - z[label]

    return f


def ackley(np_):
    def f(x):
        n = x.shape[0]
        return (-20.0 * np_.exp(-0.2 * np_.sqrt(np_.sum(x ** 2) / n))
                - np_.exp(np_.sum(np_.cos(2 * np.pi * x)) / n) + 20.0 + np.e)

    return f


FUNCTIONS = [rosenbrock, softmax_cross_entropy, ackley]
X = np.array([0.3, -1.2, 0.8, 1.5])


@pytest.mark.parametrize("make", FUNCTIONS, ids=lambda m: m.__name__)
def test_jax_grad_passes_over_samples(make):
    report = check_grad(make(np), jax.grad(make(jnp)), X, samples=5, seed=0, low=-2, high=2)
    assert report, str(report)


@pytest.mark.parametrize("make", FUNCTIONS, ids=lambda m: m.__name__)
def test_jax_hessian_and_hvp_pass(make):
    assert check_hessian(make(np), jax.jit(jax.hessian(make(jnp))), X)
    v = np.array([1.0, -0.5, 0.25, 2.0])
    hvp = jax.jit(lambda x, v: jax.jvp(jax.grad(make(jnp)), (x,), (v,))[1])
    assert check_hvp(make(np), hvp, X, v)


def test_precomputed_jax_array_and_jacobian():
    f = rosenbrock(np)
    assert check_grad(f, jax.grad(rosenbrock(jnp))(jnp.asarray(X)), X)
    F = lambda x: np.stack([np.sin(x[0] * x[1]), x[2] ** 3 - x[3]])
    G = lambda x: jnp.stack([jnp.sin(x[0] * x[1]), x[2] ** 3 - x[3]])
    assert check_jacobian(F, jax.jacfwd(G), X)
    report = check_jacobian(F, lambda x: jax.jacfwd(G)(x).T, X)
    assert not report and "transposed Jacobian" in str(report)


def test_jax_gradient_of_a_different_function_is_caught():
    wrong = lambda x: jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 3)  # ** 3: a bug
    report = check_grad(rosenbrock(np), jax.grad(wrong), X)
    assert not report
    assert {e.index for e in report.worst if not e.passed} == {(0,), (1,), (2,)}


def test_float32_jax_is_flagged():
    with x64_mode(False):
        report = check_grad(ackley(np), jax.grad(ackley(jnp)), X, rtol=1e-9)
    assert not report and any("float32" in h for h in report.points[0].hints)
