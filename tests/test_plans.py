"""Derivative plans (dualdiff.plans) and the transform declarations: dd.plan, out=,
reuse, engine choice, jvp/hvp with engine=, value_and_jacobian.  Oracles: the closed
forms of dualdiff.problems."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import dualdiff as dd
from dualdiff import problems
from dualdiff.transforms import TRANSFORMS

X = np.array([-1.2, 1.0, 0.7, 1.3])
rosen_nb = numba.njit(problems.rosenbrock_loop)
broyden_nb = numba.njit(problems.broyden_loop)   # module-level: compiled once for "auto" and "numba"


@pytest.mark.parametrize("f", [problems.rosenbrock, problems.rosenbrock_loop, rosen_nb],
                         ids=["numpy", "python-loop", "numba"])
def test_plan_results_and_out(f):
    H = dd.plan("hessian", f, X)(X)
    np.testing.assert_allclose(H, problems.rosenbrock_hessian(X), rtol=1e-13)
    buf = np.full((4, 4), np.nan)
    assert dd.plan("hessian", f, X)(X, out=buf) is buf
    np.testing.assert_array_equal(buf, H)
    g = np.empty(4)
    value, got = dd.plan("value_and_grad", f, X)(X, out=(None, g))
    assert got is g and value == pytest.approx(problems.rosenbrock(X), rel=1e-15)
    np.testing.assert_allclose(g, problems.rosenbrock_grad(X), rtol=1e-13)


def test_plan_records_engine_and_chunk_and_refuses_other_shapes():
    p = dd.plan("grad", rosen_nb, X, chunk=2)
    assert p.engine.name == "numba" and p.chunk == 2 and p.shape == (4,)
    assert dd.plan("grad", rosen_nb, X, engine="python").engine.name == "python"
    assert dd.plan("grad", problems.rosenbrock, X).engine.name == "python"
    with pytest.raises(ValueError, match="made for x of shape"):
        p(np.ones(5))
    with pytest.raises(ValueError, match="unknown transform"):
        dd.plan("gradient", rosen_nb, X)
    with pytest.raises(ValueError, match="out= has shape"):
        dd.plan("grad", rosen_nb, X)(X, out=np.empty(3))


def test_transforms_keep_one_plan_per_shape():
    g = dd.grad(problems.rosenbrock)
    for n in (3, 4, 3, 4):
        np.testing.assert_allclose(g(np.linspace(0.1, 1, n)), problems.rosenbrock_grad(np.linspace(0.1, 1, n)),
                                   rtol=1e-13)
    assert sorted(shape for shape, _ in g.plans) == [(3,), (4,)]


def test_every_transform_is_declared_once():
    assert set(TRANSFORMS) == {"derivative", "second_derivative", "grad", "value_and_grad", "jacobian",
                               "value_and_jacobian", "hessian", "value_grad_hessian", "jvp", "hvp"}
    for name, t in TRANSFORMS.items():
        if not t.direction:
            assert getattr(dd, name).__name__ == name


@pytest.mark.parametrize("engine", ["auto", "python", "numba"])
def test_jvp_hvp_and_value_and_jacobian_take_engine(engine):
    v = np.array([0.3, -1.0, 2.0, 0.5])
    value, jv = dd.jvp(rosen_nb, X, v, engine=engine)
    assert value == pytest.approx(problems.rosenbrock(X), rel=1e-15)
    assert jv == pytest.approx(problems.rosenbrock_grad(X) @ v, rel=1e-13)
    np.testing.assert_allclose(dd.hvp(rosen_nb, X, v, engine=engine), problems.rosenbrock_hessian(X) @ v,
                               rtol=1e-13)
    broyden = broyden_nb if engine != "python" else problems.broyden_loop
    F, J = dd.value_and_jacobian(broyden, engine="auto" if engine == "python" else engine)(X)
    np.testing.assert_allclose(F, problems.broyden(X), rtol=1e-15)
    np.testing.assert_allclose(J, problems.broyden_jacobian(X), rtol=1e-15)


def test_numba_engine_refuses_plain_functions_naming_the_fix():
    with pytest.raises(TypeError, match="njit"):
        dd.jvp(problems.rosenbrock, X, X, engine="numba")
