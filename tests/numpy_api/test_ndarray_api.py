"""ndarray habits of numerical code on dual arrays: dtype, astype, tolist, item."""

import numpy as np
import pytest

import dualdiff as dd


def test_scratch_from_x_dtype_and_astype_keep_derivatives():
    def f(x):
        x = x.astype(float)
        out = np.empty(len(x), dtype=x.dtype)
        for i in range(len(x)):
            out[i] = x[i] ** 2 * x[0]
        return out

    x = np.array([1.0, 2.0, 3.0])
    expected = np.array([[3.0, 0, 0], [4.0, 4.0, 0], [9.0, 0, 6.0]])  # d(x_i^2 x_0)/dx_j
    np.testing.assert_array_equal(dd.jacobian(f)(x), expected)


def test_astype_to_a_lossy_dtype_raises():
    d = dd.Dual(np.arange(3.0), np.ones(3))
    with pytest.raises(dd.DualConversionError, match="value.astype"):
        d.astype(np.float32)
    with pytest.raises(TypeError):
        d.astype(int)


def test_item_raises_and_tolist_keeps_duals():
    d = dd.Dual(np.arange(2.0), np.array([1.0, -1.0]))
    with pytest.raises(dd.DualConversionError, match="item"):
        d[0].item()
    items = d.tolist()
    assert [e.value for e in items] == [0.0, 1.0] and [e.eps for e in items] == [1.0, -1.0]
