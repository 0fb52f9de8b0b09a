"""Transforms refuse bad input and float conversions with errors that name the fix:
float()/int()/stdlib math on duals, duals stored into float arrays, vector output to grad,
bad x types and direction shapes."""

from __future__ import annotations

import math as stdmath

import numpy as np
import pytest

import dualdiff as dd

# -- conversion errors --------------------------------------------------------------------

NUMBERS = [dd.Dual(1.5, 1.0), dd.HyperDual(1.5, 1.0, 1.0, 0.0)]


@pytest.mark.parametrize("d", NUMBERS, ids=["Dual", "HyperDual"])
def test_float_int_and_stdlib_math_raise_with_fix(d):
    for convert in (float, int, stdmath.sin, stdmath.exp, complex):
        with pytest.raises(TypeError) as info:
            convert(d)
        assert isinstance(info.value, dd.DualConversionError)
        msg = str(info.value)
        assert ".value" in msg, msg
        assert "dd.sin" in msg or "np.sin" in msg, msg
    assert issubclass(dd.DualConversionError, TypeError)


def test_stdlib_math_inside_a_transform_raises():
    with pytest.raises(TypeError, match=r"\.value"):
        dd.grad(lambda x: stdmath.sin(x[0]) + x[1])(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"\.value"):
        dd.derivative(lambda x: stdmath.exp(x))(1.0)
    with pytest.raises(TypeError):
        dd.hessian(lambda x: float(x[0]) * x[1])(np.array([1.0, 2.0]))


def _store_in_float_array(x):
    a = np.zeros(2)
    a[0] = x[0] * 2.0
    return a.sum()


@pytest.mark.parametrize("transform", [dd.grad, dd.hessian, dd.jacobian])
def test_storing_a_dual_into_a_float_array_inside_a_transform(transform):
    with pytest.raises(TypeError, match="zeros_like"):
        transform(_store_in_float_array)(np.array([1.0, 2.0]))


@pytest.mark.parametrize("transform", [dd.derivative, dd.second_derivative])
def test_storing_a_dual_into_a_float_array_inside_a_scalar_transform(transform):
    def f(x):
        a = np.zeros(1)
        a[0] = x
        return a[0]

    with pytest.raises(TypeError, match="zeros_like"):
        transform(f)(1.0)


@pytest.mark.parametrize("d", NUMBERS, ids=["Dual", "HyperDual"])
def test_storing_a_dual_into_a_float_array_directly(d):
    """Outside a transform numpy raises its own ValueError (a dual supports indexing, so
    numpy takes it for a sequence); dualdiff's message naming the fix is its cause
    (docs/conventions.md).  Inside a transform it is a DualConversionError (above)."""
    a = np.zeros(3)
    with pytest.raises((TypeError, ValueError)) as info:
        a[0] = d
    causes = [info.value, info.value.__cause__, info.value.__context__]
    assert any(isinstance(c, dd.DualConversionError) and "zeros_like" in str(c) for c in causes)
    assert np.all(a == 0.0)


def test_storing_into_a_dual_array_works():
    """The fix the error names: allocate from x."""
    def f(x):
        a = np.zeros_like(x)
        for i in range(len(x)):
            a[i] = x[i] ** 2
        return a.sum()

    np.testing.assert_array_equal(dd.grad(f)(np.array([1.0, -2.0, 3.0])), [2.0, -4.0, 6.0])


# -- transform input and output errors ---------------------------------------------------------

def test_grad_of_vector_output_says_jacobian():
    for transform in (dd.grad, dd.hessian, dd.value_and_grad, dd.value_grad_hessian):
        with pytest.raises(TypeError, match="jacobian"):
            transform(lambda x: x * 2.0)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="jacobian"):
        dd.hvp(lambda x: x * 2.0, np.array([1.0, 2.0]), np.array([1.0, 0.0]))


BAD_X = ["abc", b"abc", None, 1 + 2j, np.complex128(1.0), True, np.bool_(False),
         np.array([1.0 + 1.0j, 2.0]), np.array([True, False]), ["a", "b"], {1: 2}]


@pytest.mark.parametrize("bad", BAD_X, ids=repr)
def test_bad_x_types_raise_type_error(bad):
    scalar = lambda x: x * 1.0
    total = lambda x: np.sum(x)
    for call in (
        lambda: dd.derivative(scalar)(bad),
        lambda: dd.second_derivative(scalar)(bad),
        lambda: dd.grad(total)(bad),
        lambda: dd.jacobian(scalar)(bad),
        lambda: dd.hessian(total)(bad),
        lambda: dd.value_and_grad(total)(bad),
        lambda: dd.value_grad_hessian(total)(bad),
        lambda: dd.jvp(scalar, bad, 1.0),
        lambda: dd.hvp(total, bad, 1.0),
    ):
        with pytest.raises(TypeError):
            call()


def test_wrong_direction_shape_raises_value_error():
    x = np.array([1.0, 2.0, 3.0])
    f = lambda x: np.sum(x**2)
    for v in (np.ones(2), np.ones(4), np.ones((3, 1)), 1.0):
        with pytest.raises(ValueError):
            dd.jvp(f, x, v)
        with pytest.raises(ValueError):
            dd.hvp(f, x, v)
    with pytest.raises(ValueError):
        dd.jvp(lambda t: t * t, 2.0, np.ones(2))


def test_derivative_needs_scalar_x():
    for transform in (dd.derivative, dd.second_derivative):
        with pytest.raises(TypeError):
            transform(lambda x: x * 2.0)(np.array([1.0, 2.0]))
        with pytest.raises(TypeError):
            transform(lambda x: x * 2.0)([1.0, 2.0])


def test_scalar_inputs_accepted_in_every_form():
    f = lambda x: x**3
    for x in (2.0, 2, np.float64(2.0), np.float32(2.0), np.int64(2), np.array(2.0)):
        assert dd.derivative(f)(x) == 12.0
        assert dd.second_derivative(f)(x) == 12.0
        assert dd.grad(f)(x) == 12.0
        assert dd.hessian(f)(x) == 12.0
