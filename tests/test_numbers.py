"""The number protocol of Dual and HyperDual (dualdiff.jet, dual, hyperdual): comparisons
on the value, unhashable, repr, mixed operands, clip/where, NaN-safe partials."""

from __future__ import annotations

import numpy as np
import pytest

import dualdiff as dd

# -- the number protocol ------------------------------------------------------------------

def test_comparisons_use_the_value_only():
    a, b = dd.Dual(1.0, 5.0), dd.Dual(2.0, -3.0)
    assert a < b and a <= b and b > a and b >= a and a != b
    assert a == dd.Dual(1.0, 99.0)
    assert a == 1.0 and 1.0 == a and a < 1.5 and 0.5 < a and a >= 1 and np.float64(2.0) > a
    h = dd.HyperDual(3.0, 1.0, 2.0, 4.0)
    assert h == 3.0 and h > a and h == dd.HyperDual(3.0) and not (h < 3.0)
    assert max(a, b) is b and sorted([b, a])[0] is a
    # branches on duals follow the value
    f = lambda x: x * x if x > 0 else -x
    assert dd.derivative(f)(3.0) == 6.0
    assert dd.derivative(f)(-3.0) == -1.0
    # array comparisons: elementwise on values
    d = dd.Dual(np.array([1.0, 2.0, 3.0]), np.ones(3))
    np.testing.assert_array_equal(d > 1.5, [False, True, True])


def test_duals_are_unhashable_but_compare_by_value():
    """Issue 10: a cache keyed on a dual would hand back another number's derivative."""
    for d in (dd.Dual(2.0, 1.0), dd.HyperDual(2.0, 1.0, 2.0, 3.0)):
        with pytest.raises(TypeError, match="unhashable.*lru_cache.*\\.value"):
            hash(d)
        with pytest.raises(TypeError):
            {d: 1}
        assert d == 2.0 and d < 3.0 and not d > 2.0


def test_repr_is_readable():
    assert repr(dd.Dual(2.0, 1.0)) == "Dual(2.0, eps=1.0)"
    assert repr(dd.Dual(-0.5)) == "Dual(-0.5, eps=0.0)"
    r = repr(dd.HyperDual(1.0, 2.0, 3.0, 4.0))
    assert r == "HyperDual(1.0, eps1=2.0, eps2=3.0, eps12=4.0)", r
    ra = repr(dd.Dual(np.array([1.0, 2.0]), np.array([0.0, 1.0])))
    assert ra.startswith("Dual(") and "eps=" in ra and "1." in ra and "np.float64" not in ra
    # a result of arithmetic prints plain numbers (no np.float64(...) noise)
    r = repr(dd.Dual(1.0, 1.0) * 2.0)
    assert r == "Dual(2.0, eps=2.0)", r


def test_mixed_operands():
    d = dd.Dual(2.0, 1.0)
    for other in (3, 3.0, np.float64(3.0), np.int32(3), np.float32(3.0)):
        assert (d * other).eps == 3.0 and (other * d).eps == 3.0
        assert (other - d).eps == -1.0 and (other / d).eps == -0.75
        assert (d**other).eps == 12.0
    for other in (3, 3.0, np.float64(3.0), np.int32(3)):
        assert (other**d).eps == pytest.approx(9.0 * np.log(3.0), rel=1e-15)
    arr = np.array([1.0, 2.0])
    r = d * arr
    np.testing.assert_array_equal(r.eps, arr)
    r = arr * d
    np.testing.assert_array_equal(np.asarray(r.eps if isinstance(r, dd.Dual) else [e.eps for e in r]), arr)


@pytest.mark.parametrize("base", [np.float32(3.0), np.array([3.0], dtype=np.float32)], ids=["scalar", "array"])
def test_float32_constant_base_to_a_dual_power(base):
    """numpy promotes float32 ** float64 to float64 (the value here is float64 9.0), so the
    derivative 9 ln 3 must be float64-accurate too; 3.0 is exact in float32."""
    r = base ** dd.Dual(2.0, 1.0)
    np.testing.assert_allclose(r.value, 9.0, rtol=0)
    np.testing.assert_allclose(r.eps, 9.0 * np.log(3.0), rtol=1e-14)


def test_clip_and_where():
    f = lambda x: dd.clip(x, -1.0, 1.0)
    assert dd.derivative(f)(0.3) == 1.0
    assert dd.derivative(f)(2.0) == 0.0
    assert dd.derivative(f)(-2.0) == 0.0
    assert dd.derivative(f)(1.0) == 0.5  # documented tie convention
    g = lambda x: dd.where(x > 0, x**2, -x)
    assert dd.derivative(g)(3.0) == 6.0
    assert dd.derivative(g)(-3.0) == -1.0
    np.testing.assert_array_equal(dd.grad(lambda x: np.sum(dd.where(x > 0, x**2, 3 * x)))(np.array([2.0, -1.0])),
                                  [4.0, 3.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf/nan partials are the point here
def test_nan_safe_gradient():
    np.testing.assert_array_equal(dd.grad(lambda x: dd.sqrt(x[0]) + x[1])(np.array([0.0, 1.0])), [np.inf, 1.0])
    H = dd.hessian(lambda x: dd.sqrt(x[0]) + x[1] ** 2)(np.array([0.0, 1.0]))
    assert H[1, 1] == 2.0 and H[0, 1] == 0.0 and H[1, 0] == 0.0
