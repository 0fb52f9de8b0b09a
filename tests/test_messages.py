"""Error messages: they name the real culprit (with its module) and the fix, and stay short."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dualdiff as dd
from dualdiff import _messages

# -- ufuncs without a rule: scipy.special by its own name, and the dd. function if one exists --


def test_scipy_special_ufunc_without_rule_names_its_module():
    special = pytest.importorskip("scipy.special")
    with pytest.raises(TypeError) as info:
        special.spence(dd.Dual(1.0, 1.0))
    msg = str(info.value)
    assert msg.startswith("scipy.special.spence "), msg
    assert "np.spence" not in msg
    assert "drop the derivative" in msg and "docs/engines.md" in msg
    assert len(msg) < 300, len(msg)


# scipy.special.expit/erf/erfc/gammaln ... dispatch to their rows (issue 13); scipy's own
# copies of numpy's ufuncs do not, and point to the dd. function
@pytest.mark.parametrize(("name", "instead"), [("expm1", "dd.expm1"), ("log1p", "dd.log1p"), ("cbrt", "dd.cbrt")])
def test_scipy_special_ufunc_with_a_rule_points_to_the_dd_function(name, instead):
    special = pytest.importorskip("scipy.special")
    ufunc = getattr(special, name)
    with pytest.raises(TypeError) as info:
        dd.grad(lambda x: ufunc(x).sum())(np.ones(2))
    msg = str(info.value)
    assert msg.startswith(f"scipy.special.{name} "), msg
    assert f"use {instead}" in msg, msg
    assert f"np.{name}" not in msg


def test_numpy_ufunc_without_rule_is_short_and_points_to_the_docs():
    with pytest.raises(TypeError) as info:
        np.gcd(dd.Dual(np.ones(2), np.ones(2)), 2)
    msg = str(info.value)
    assert msg.startswith("np.gcd "), msg
    assert "docs/engines.md" in msg and "Supported numpy functions" in msg
    assert len(msg) < 300, len(msg)
    assert np.fabs(dd.Dual(-1.0, 1.0)).eps == -1.0  # numpy's other spellings of a row dispatch


def test_ufunc_name_without_scipy_imported(monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "scipy.special", raising=False)
    assert _messages.ufunc_name(np.sin) == "np.sin"
    assert _messages.ufunc_name(np.frompyfunc(abs, 1, 1)) == "abs (vectorized)"


# -- unsupported numpy functions: short, naming the function, why and where the list is ---------


@pytest.mark.parametrize("call", [
    lambda a: np.linalg.eig(a),
    lambda a: np.histogram(a),
    lambda a: np.fft.fft(a),
    lambda a: np.lib.stride_tricks.sliding_window_view(a, 1),
], ids=["eig", "histogram", "fft", "sliding_window_view"])
def test_unsupported_numpy_function_message_is_short(call):
    a = dd.Dual(np.eye(2), np.ones((2, 2)))
    with pytest.raises(TypeError) as info:
        call(a)
    msg = str(info.value)
    assert msg.startswith("np."), msg
    assert "not supported on dual numbers" in msg
    assert "drop the derivative" in msg and "no dual implementation" in msg
    assert "docs/engines.md" in msg and "Supported numpy functions" in msg
    assert len(msg) < 300, (len(msg), msg)


def test_unsupported_numpy_function_names_its_submodule():
    with pytest.raises(TypeError, match=r"^np\.linalg\.eig is not supported"):
        dd.grad(lambda x: np.linalg.eig(np.outer(x, x))[0].sum())(np.ones(2))


# -- a dual number converted to float inside a transform --------------------------------------


def test_np_float64_of_a_dual_says_it_was_converted():
    with pytest.raises(dd.DualConversionError) as info:
        dd.grad(lambda x: np.float64(x[0]))(np.ones(2))
    msg = str(info.value)
    assert "converted a dual number to a float" in msg, msg
    assert "np.float64(x[0])" in msg  # the offending line
    assert "stored" not in msg and "storing" not in msg
    assert ".value" in msg and "dd./np. functions" in msg and "np.empty_like(x)" in msg


def test_np_asarray_float_of_a_dual_array_says_it_was_converted():
    with pytest.raises(dd.DualConversionError) as info:
        dd.grad(lambda x: np.asarray(x, dtype=float).sum())(np.ones(2))
    msg = str(info.value)
    assert "converted a dual number to a float" in msg, msg
    assert "np.asarray(x, dtype=float)" in msg
    assert ".value" in msg


def _store(x):
    a = np.zeros(3)
    a[0] = x[0]
    return a.sum()


@pytest.mark.parametrize("transform", [dd.grad, dd.hessian])
def test_storing_into_a_float_array_keeps_its_own_advice(transform):
    with pytest.raises(dd.DualConversionError) as info:
        transform(_store)(np.ones(2))
    msg = str(info.value)
    assert msg.startswith("f stored a dual number into a float array"), msg
    assert "a[0] = x[0]" in msg
    assert "np.empty_like(x)" in msg and "zeros_like" in msg and "dtype=x.dtype" in msg


def test_nested_transforms_explain_once():
    with pytest.raises(dd.DualConversionError) as info:
        dd.jacobian(dd.grad(lambda x: np.float64(x[0]) + x[1]))(np.ones(2))
    msg = str(info.value)
    assert msg.startswith("f converted a dual number to a float"), msg
    assert msg.count("converted") == 1


def test_solve_ivp_says_scipy_integrators_cannot_be_differentiated_through():
    integrate = pytest.importorskip("scipy.integrate")

    def final_state(p):
        sol = integrate.solve_ivp(lambda t, y: -p[0] * y, (0.0, 1.0), [1.0])
        return sol.y[0, -1]

    with pytest.raises(dd.DualConversionError) as info:
        dd.grad(final_state)(np.ones(1))
    msg = str(info.value)
    assert msg.startswith("scipy.integrate.solve_ivp converted a dual number to a float"), msg
    assert "cannot be differentiated through" in msg
    assert "fixed-step integrator" in msg and "sensitivity equations" in msg
    assert "stored a dual number" not in msg


def test_quad_names_scipy_integrate():
    integrate = pytest.importorskip("scipy.integrate")
    with pytest.raises(dd.DualConversionError, match=r"^scipy\.integrate\.quad converted a dual"):
        dd.derivative(lambda a: integrate.quad(lambda t: a * t, 0.0, 1.0)[0])(1.0)


# -- the numba engine: the operation and its argument types in the first line --------------


def test_numba_unsupported_operation_is_named_in_the_first_line():
    numba = pytest.importorskip("numba")

    @numba.njit
    def f(x):
        return math.ldexp(x[0], 2) + x[1]  # (math.gamma has a rule since issue 13)

    with pytest.raises(TypeError) as info:
        dd.grad(f)(np.ones(2))
    first = str(info.value).splitlines()[0]
    assert "ldexp(Dual[" in first, first
    assert "has no dual implementation" in first
    assert "test_messages.py, line" in first


def test_numba_operation_parses_numba_messages():
    sig = ("No implementation of function Function(<function eigvalsh at 0x1>) found for signature:\n"
           " \n >>> eigvalsh(array(Dual[2], 2d, C))\n \n"
           'File "../model.py", line 4:\ndef f(x):\n'
           'File "dualdiff/jit/_drivers.py", line 154:\n')
    assert _messages.numba_operation(sig) == ("eigvalsh(array(Dual[2], 2d, C))", " (model.py, line 4)")
    attr = "Unknown attribute 'conjugate' of type Dual[2]\n\nFile \"dualdiff/jit/_drivers.py\", line 154:\n"
    assert _messages.numba_operation(attr) == ("attribute .conjugate of Dual[2]", "")
    assert _messages.numba_operation("something else entirely") is None
