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
@given(hnp.arrays(np.float64, st.integers(2, 8), elements=st.floats(-2, 2)))
def test_scipy_rosen_through_np_asarray_is_exact(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ObjectArrayWarning)
        np.testing.assert_allclose(dd.grad(so.rosen)(x), so.rosen_der(x), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(dd.hessian(so.rosen)(x), so.rosen_hess(x), rtol=1e-13, atol=1e-12)


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
