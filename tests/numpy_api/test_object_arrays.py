"""Object arrays of scalar duals (issue 13, items 4 and 5): np.asarray(dual array) in scipy
code, np.array([x[1], 2.0]) and np.vectorize -- exact, and explaining themselves.

Oracles: scipy's own analytic rosen_der / rosen_hess; closed-form derivatives of the small
functions below.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualdiff as dd
from dualdiff.numpy_api import ObjectArrayWarning


@settings(max_examples=10, deadline=None)
@given(hnp.arrays(np.float64, st.integers(2, 40), elements=st.floats(-2, 2)))
def test_scipy_rosen_through_np_asarray_is_exact(x):
    """n > 12: the Hessian's passes are widened after the first (see the pass counts below)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        np.testing.assert_allclose(dd.grad(so.rosen)(x), so.rosen_der(x), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(dd.hessian(so.rosen)(x), so.rosen_hess(x), rtol=1e-13, atol=1e-12)
        v = np.cos(np.arange(x.size))
        np.testing.assert_allclose(dd.hvp(so.rosen, x, v), so.rosen_hess_prod(x, v), rtol=1e-13, atol=1e-11)


def _counted(f):
    def g(x):
        g.calls += 1
        return f(x)
    g.calls = 0
    return g


def _rosen_vectorised(x):  # scipy's rosen without its np.asarray line
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0, axis=0)


def test_passes_widen_once_f_computes_on_object_arrays(monkeypatch):
    """After the first pass shows f called np.asarray on its input, the default chunk widens
    (engines.python.OBJECT_ARRAY_BUDGET): 2 passes instead of ceil(n / 8) for the gradient,
    2 instead of b(b+1)/2 for the Hessian; a chunk= the caller chose is kept, and code that
    stays on dual arrays keeps the default.  Results: scipy's analytic derivatives."""
    from dualdiff.engines import python as engine

    monkeypatch.setattr(engine, "FIRST_ORDER_BUDGET", 64)  # default gradient chunk 8 at n = 60
    x = np.linspace(-1.5, 1.5, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        cases = [(dd.grad, {}, so.rosen, 2, so.rosen_der), (dd.grad, {"chunk": 6}, so.rosen, 10, so.rosen_der),
                 (dd.grad, {}, _rosen_vectorised, 8, so.rosen_der),
                 (dd.hessian, {}, so.rosen, 2, so.rosen_hess),  # 6 blocks of 10: 21 passes unwidened
                 (dd.hessian, {"chunk": 12}, so.rosen, 15, so.rosen_hess)]
        for transform, kw, f, passes, oracle in cases:
            g = _counted(f)
            np.testing.assert_allclose(transform(g, **kw)(x), oracle(x), rtol=1e-13, atol=1e-11)
            assert g.calls == passes, (transform.__name__, kw, f.__name__, g.calls)


def test_widened_passes_give_the_same_numbers(monkeypatch):
    """Every direction is its own lane: widening changes no bit of the result."""
    from dualdiff.engines import python as engine

    x = np.linspace(-1.2, 1.3, 70) + 0.01 * np.sin(np.arange(70))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        narrow_g, narrow_h = dd.grad(so.rosen, chunk=8)(x), dd.hessian(so.rosen, chunk=10)(x)
        monkeypatch.setattr(engine, "FIRST_ORDER_BUDGET", 64)
        assert np.array_equal(dd.grad(so.rosen)(x), narrow_g)
        assert np.array_equal(dd.hessian(so.rosen)(x), narrow_h)


def test_np_asarray_with_in_place_writes():
    """scipy-style code: convert, copy, then write into the object array (slices, in-place
    operators, single elements).  r_0 = 2 x_0, r_i = 2 (x_i - x_{i-1}^2), f = sum r_i^2:
    df/dx_j = 4 r_j - 8 x_j r_{j+1}."""
    def f(x):
        x = np.asarray(x)
        y = x.copy()
        y[1:] -= x[:-1] ** 2
        y *= 2.0
        return np.sum(y * y)

    def grad(x):
        r = 2.0 * np.concatenate([x[:1], x[1:] - x[:-1] ** 2])
        g = 4.0 * r
        g[:-1] -= 8.0 * x[:-1] * r[1:]
        return g

    def g(x):  # one element rewritten from others, then a dual scalar stored in place
        x = np.array(x)
        x[0] = x[0] * x[-1]
        x[-1] = np.sin(x[1])
        return np.sum(x ** 2)

    x = np.linspace(-0.9, 1.1, 23)
    want_g = 2 * x.copy()
    want_g[0] = 2 * x[0] * x[-1] ** 2
    want_g[1] += 2 * np.sin(x[1]) * np.cos(x[1])
    want_g[-1] = 2 * x[0] ** 2 * x[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        np.testing.assert_allclose(dd.grad(f)(x), grad(x), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(dd.grad(g)(x), want_g, rtol=1e-13, atol=1e-13)


def test_np_asarray_takes_a_consistent_snapshot():
    """The object array is a copy (numpy cannot return the dual array itself): a later write
    into the dual array changes neither the value nor the derivative of its elements."""
    def f(x):
        y = np.asarray(x)
        x[0] = 3.0 * x[1]
        return y[0] * y[0] + x[0]

    x = np.array([0.7, -0.4, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        np.testing.assert_allclose(dd.grad(f)(x), [2 * x[0], 3.0, 0.0], rtol=1e-15)
        np.testing.assert_allclose(dd.hessian(f)(x), np.diag([2.0, 0.0, 0.0]), atol=1e-15)


@settings(max_examples=5, deadline=None)
@given(hnp.arrays(np.float64, st.integers(13, 30), elements=st.floats(-1.5, 1.5)))
def test_nested_transforms_through_object_arrays(x):
    """grad(rosen) inside jacobian and inside grad: the inner passes convert duals of the
    outer differentiation (nested object arrays) and are widened too."""
    v = np.sin(np.arange(x.size) + 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        H = so.rosen_hess(x)
        np.testing.assert_allclose(dd.jacobian(dd.grad(so.rosen))(x), H, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(dd.grad(lambda y: dd.grad(so.rosen)(y) @ v)(x), H @ v, rtol=1e-12, atol=1e-10)


def test_np_asarray_warns_once_per_call_site_naming_cause_and_fix():
    x = np.linspace(-1, 1, 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            dd.grad(so.rosen)(x)
    mine = [w for w in caught if issubclass(w.category, ObjectArrayWarning)]
    assert len(mine) == 1, [str(w.message) for w in mine]
    msg = str(mine[0].message)
    assert "object array of scalar dual numbers" in msg and "np.asarray" in msg and "Fix:" in msg
    assert "scipy" in mine[0].filename  # the call site: inside scipy (its np.asarray), not dualdiff


def test_float_dtype_still_names_the_conversion():
    with pytest.raises(dd.DualConversionError, match="converted a dual number to a float"):
        dd.grad(lambda x: np.asarray(x, dtype=float).sum())(np.ones(2))


def test_np_array_mixing_scalar_duals_and_floats():
    """np.array([x[1], 2.0]) is an object array numpy computes with element by element:
    exact for arithmetic, sums and products; np.stack gives a dual array instead."""
    def f(x):
        v = np.array([x[1], 2.0, x[0] * x[2]])
        return np.sum(v * v) + np.dot(v, np.array([1.0, 2.0, 3.0]))

    def g(x):
        v = np.stack([x[1], 2.0, x[0] * x[2]])
        assert isinstance(v, dd.Dual | dd.HyperDual)
        return np.sum(v * v) + np.dot(v, np.array([1.0, 2.0, 3.0]))

    x = np.array([0.5, -1.5, 2.0])
    want = np.array([2 * x[0] * x[2] ** 2 + 3 * x[2], 2 * x[1] + 1, 2 * x[0] ** 2 * x[2] + 3 * x[0]])
    for fn in (f, g):
        np.testing.assert_allclose(dd.grad(fn)(x), want, rtol=1e-15)
        H = dd.hessian(fn)(x)
        np.testing.assert_allclose(H[1, 1], 2.0)
        np.testing.assert_allclose(H[0, 2], 4 * x[0] * x[2] + 3)


def test_np_vectorize_meets_duals():
    """np.vectorize calls f on scalar duals (an object array out): exact; with a float
    otypes it would drop the derivative and raises naming the fix."""
    x = np.array([0.3, 1.2, -0.7])
    square = np.vectorize(lambda t: t * t + 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        np.testing.assert_allclose(dd.grad(lambda v: np.sum(square(v)))(x), 2 * x, rtol=1e-15)
        floats = np.vectorize(lambda t: t * t, otypes=[float])
        with pytest.raises((dd.DualConversionError, TypeError, ValueError)):
            dd.grad(lambda v: np.sum(floats(v)))(x)
