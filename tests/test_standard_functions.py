"""Standard test functions (Rosenbrock, Ackley, DiffTests.jl's num2num / vec2num / vec2vec,
self-weighted logit, softmax) through every transform, against sympy and closed forms.

Each function is written the way users write them -- indexing ``x[i]``, loops, ``len(x)``,
Python ``sum``, ``dd.*`` functions, ``from dualdiff import math``, numpy calls, and vector
outputs built with ``np.array([...])`` -- and once more as a sympy expression.  sympy's
gradient / Hessian / Jacobian (``sympy.Matrix.jacobian``, ``sympy.hessian``) evaluated at 50
digits are the oracle.

For every function: grad, hessian and jacobian agree with the oracle for every chunk from
1 to n (and the default); Hessians are exactly symmetric; jacobian(grad(f)) equals
hessian(f); value_and_grad / value_grad_hessian agree with f, grad and hessian;
jvp / hvp equal J @ v / H @ v.

Tolerances.  The points are fixed and chosen away from cancellation, so the float64
forward-mode results are accurate to a few tens of ulps componentwise: rtol 1e-12.  An
absolute floor of 1e-13 times the largest entry covers entries that are exactly zero in
exact arithmetic but come out as rounding noise (a normwise relative error).  Different
chunk sizes only change how numpy groups the same elementwise operations (vectorised
loops over a direction axis vs scalars), so they agree to a few ulps: CHUNK_RTOL.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

import dualdiff as dd
from dualdiff import math

RTOL = 1e-12
ATOL_REL = 1e-13
CHUNK_RTOL = 1e-13
DPS = 50


def assert_close(got, want, what="", rtol=RTOL):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=ATOL_REL * scale, err_msg=what)


def sym_eval(exprs, syms, point):
    """A sympy expression / nested list / Matrix evaluated at point, as a float array."""
    f = sympy.lambdify(syms, exprs, "mpmath")
    with mpmath.workdps(DPS):
        out = f(*[mpmath.mpf(float(p)) for p in np.ravel(point)])
        return np.array(np.array(out.tolist() if hasattr(out, "tolist") else out, dtype=object)
                        .astype(float))


def sym_grad_hess(expr, syms, point):
    g = [sympy.diff(expr, s) for s in syms]
    H = sympy.hessian(expr, syms)
    return sym_eval(expr, syms, point), sym_eval(g, syms, point), sym_eval(H, syms, point)


# -- scalar -> scalar (DiffTests.jl num2num, and more) ---------------------------------------
t = sympy.Symbol("t", real=True)

NUM2NUM = {
    # name: (dualdiff function, sympy expression in t, points)
    "sin2_plus_cube_over_exp": (lambda x: math.sin(x) ** 2 + x**3 / math.exp(x),
                                sympy.sin(t) ** 2 + t**3 / sympy.exp(t), [-1.3, 0.4, 2.5]),
    "num2num_1": (lambda x: dd.sin(x) ** 2 / dd.cos(x) ** 2, sympy.sin(t) ** 2 / sympy.cos(t) ** 2,
                  [-1.2, 0.3, 1.0]),
    "num2num_2": (lambda x: 2 * x + dd.sqrt(x * x * x), 2 * t + sympy.sqrt(t**3), [0.2, 1.5, 7.0]),
    # 10.31 is not exact in binary: sympy.Float(10.31) is the float64 value the function uses
    "num2num_3": (lambda x: 10.31 ** (x + x) - x, sympy.Float(10.31) ** (2 * t) - t, [-0.5, 0.1, 1.2]),
    "num2num_5": (lambda x: 1.0 / (1.0 + np.exp(-x)), 1 / (1 + sympy.exp(-t)), [-3.0, 0.0, 2.2]),
    "rational": (lambda x: (x**2 - 3 * x + 1) / (x**4 + 1), (t**2 - 3 * t + 1) / (t**4 + 1),
                 [-2.0, 0.5, 3.3]),
    "nested": (lambda x: math.log(1 + math.exp(math.sin(x) * x)) * math.atan(x),
               sympy.log(1 + sympy.exp(sympy.sin(t) * t)) * sympy.atan(t), [-2.1, 0.7, 4.0]),
    "tanh_of_power": (lambda x: np.tanh(x ** 2.5), sympy.tanh(t ** sympy.Rational(5, 2)), [0.3, 1.1, 1.7]),
    "erf_gauss": (lambda x: dd.erf(x) * math.exp(-x * x / 2), sympy.erf(t) * sympy.exp(-t**2 / 2),
                  [-1.0, 0.25, 2.0]),
}


@pytest.mark.parametrize("name", sorted(NUM2NUM))
def test_num2num(name):
    f, expr, pts = NUM2NUM[name]
    d1, d2, d3 = (sympy.diff(expr, t, k) for k in (1, 2, 3))
    for x in pts:
        want1, want2, want3 = (float(sym_eval(e, [t], [x])) for e in (d1, d2, d3))
        assert_close(dd.derivative(f)(x), want1, f"{name}' at {x}")
        assert_close(dd.second_derivative(f)(x), want2, f"{name}'' at {x}")
        assert_close(dd.derivative(dd.derivative(f))(x), want2, f"{name}'' nested at {x}")
        assert_close(dd.derivative(dd.second_derivative(f))(x), want3, f"{name}''' at {x}")
        # the 1-element grad / hessian of the same function
        assert_close(dd.grad(lambda v: f(v[0]))(np.array([x])), [want1])
        assert_close(dd.hessian(lambda v: f(v[0]))(np.array([x])), [[want2]])


def test_constant_function_has_zero_derivatives():
    """DiffTests' num2num_4(x) = 1: a function ignoring x (returns a plain float)."""
    assert dd.derivative(lambda x: 1.0)(0.7) == 0.0
    assert dd.second_derivative(lambda x: 1.0)(0.7) == 0.0
    assert np.array_equal(dd.grad(lambda x: 1.0)(np.ones(3)), np.zeros(3))
    assert np.array_equal(dd.hessian(lambda x: 1.0)(np.ones(3)), np.zeros((3, 3)))
    assert np.array_equal(dd.jacobian(lambda x: np.array([1.0, 2.0]))(np.ones(3)), np.zeros((2, 3)))


def test_num2arr_derivative_has_output_shape():
    f = lambda x: np.array([[dd.sin(x), x**2], [dd.exp(x), 1.0 / x]])
    x = 0.8
    want = np.array([[np.cos(x), 2 * x], [np.exp(x), -1 / x**2]])
    want2 = np.array([[-np.sin(x), 2.0], [np.exp(x), 2 / x**3]])
    assert_close(dd.derivative(f)(x), want)
    assert_close(dd.second_derivative(f)(x), want2)


# -- vector -> scalar ---------------------------------------------------------------------------

def rosenbrock(x):
    return sum(100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2 for i in range(len(x) - 1))


def rosenbrock_sym(s):
    return sum(100 * (s[i + 1] - s[i] ** 2) ** 2 + (1 - s[i]) ** 2 for i in range(len(s) - 1))


def rosenbrock_grad(x):
    """Closed form: the tridiagonal structure of the chained Rosenbrock function."""
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


def ackley(x):
    r = math.sqrt(0.5 * (x[0] ** 2 + x[1] ** 2))
    c = 0.5 * (math.cos(2 * math.pi * x[0]) + math.cos(2 * math.pi * x[1]))
    return -20.0 * math.exp(-0.2 * r) - math.exp(c) + math.e + 20.0


def ackley_sym(s):
    r = sympy.sqrt((s[0] ** 2 + s[1] ** 2) / 2)
    c = (sympy.cos(2 * sympy.pi * s[0]) + sympy.cos(2 * sympy.pi * s[1])) / 2
    return -20 * sympy.exp(-r / 5) - sympy.exp(c) + sympy.E + 20


def self_weighted_logit(x):
    return 1.0 / (1.0 + np.exp(-np.dot(x, x)))


def self_weighted_logit_loop(x):
    return dd.sigmoid(sum(xi * xi for xi in x))


def self_weighted_logit_sym(s):
    return 1 / (1 + sympy.exp(-sum(si**2 for si in s)))


VEC2NUM = {
    # name: (function, sympy builder, point)
    "rosenbrock2": (rosenbrock, rosenbrock_sym, np.array([-1.2, 1.0])),
    "rosenbrock5": (rosenbrock, rosenbrock_sym, np.array([-1.2, 1.0, 0.8, 1.3, 0.4])),
    "ackley": (ackley, ackley_sym, np.array([0.37, -1.21])),
    "self_weighted_logit": (self_weighted_logit, self_weighted_logit_sym, np.array([0.3, -0.5, 0.8, 0.1])),
    "self_weighted_logit_loop": (self_weighted_logit_loop, self_weighted_logit_sym,
                                 np.array([0.3, -0.5, 0.8, 0.1])),
    # DiffTests.jl vec2num_1 .. vec2num_7 (0-based indices)
    "vec2num_1": (lambda x: (dd.exp(x[0]) + dd.log(x[2]) * x[3]) / x[4],
                  lambda s: (sympy.exp(s[0]) + sympy.log(s[2]) * s[3]) / s[4],
                  np.array([0.4, -0.3, 1.7, 2.2, 0.9])),
    "vec2num_2": (lambda x: x[0] * x[1] + np.sin(x[0]),
                  lambda s: s[0] * s[1] + sympy.sin(s[0]), np.array([0.6, -1.4, 0.2])),
    "vec2num_3": (lambda x: np.linalg.norm(x * x), lambda s: sympy.sqrt(sum(si**4 for si in s)),
                  np.array([0.5, -1.3, 0.9, 2.0])),
    "vec2num_4": (lambda x: sum(x) + math.prod(x), lambda s: sum(s) + sympy.prod(s),
                  np.array([0.5, -1.3, 0.9, 2.0])),
    "vec2num_5": (lambda x: np.sum((-x) ** 3), lambda s: sum((-si) ** 3 for si in s),
                  np.array([0.5, -1.3, 0.9])),
    "vec2num_6": (lambda x: sum(xi if xi > 0 else 0.0 for xi in x),
                  lambda s: sum(si for si, p in zip(s, [0.5, -1.3, 0.9, -0.2], strict=True) if p > 0),
                  np.array([0.5, -1.3, 0.9, -0.2])),
    "vec2num_7": (lambda x: sum(x[0] * y for y in x), lambda s: sum(s[0] * si for si in s),
                  np.array([0.7, -0.4, 1.9])),
    "quadratic_form": (lambda x: x @ np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]]) @ x,
                       lambda s: sum(c * s[i] * s[j] for (i, j), c in np.ndenumerate(
                           np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]]))),
                       np.array([0.2, -0.9, 1.4])),
    "matrix_input": (lambda X: math.log(1 + X[0, 0] ** 2 * X[1, 1]) + dd.sin(X[0, 1] * X[1, 0]),
                     lambda s: sympy.log(1 + s[0] ** 2 * s[3]) + sympy.sin(s[1] * s[2]),
                     np.array([[0.3, 1.2], [-0.7, 2.0]])),
}


def check_scalar_function(f, expr_builder, x, name):
    n = x.size
    syms = sympy.symbols(f"s0:{n}", real=True)
    expr = expr_builder(list(syms))
    v_want, g_want, H_want = sym_grad_hess(expr, syms, x)
    g_want, H_want = g_want.reshape(x.shape), H_want.reshape(x.shape + x.shape)
    rng = np.random.default_rng(sum(map(ord, name)))
    v = rng.normal(size=x.shape)

    assert_close(f(x), v_want, f"{name} value")
    g1 = dd.grad(f, chunk=1)(x)
    H1 = dd.hessian(f, chunk=1)(x)
    assert_close(g1, g_want, f"{name} grad")
    assert_close(H1, H_want, f"{name} hessian")
    for chunk in [*range(1, n + 1), None]:
        g = dd.grad(f, chunk=chunk)(x)
        H = dd.hessian(f, chunk=chunk)(x)
        Hm = H.reshape(n, n)
        assert np.array_equal(Hm, Hm.T), f"{name}: hessian not exactly symmetric (chunk={chunk})"
        np.testing.assert_allclose(g, g1, rtol=CHUNK_RTOL, atol=CHUNK_RTOL * np.abs(g1).max(initial=1))
        np.testing.assert_allclose(H, H1, rtol=CHUNK_RTOL, atol=CHUNK_RTOL * np.abs(H1).max(initial=1))
        val, g2 = dd.value_and_grad(f, chunk=chunk)(x)
        assert_close(val, v_want)
        np.testing.assert_array_equal(g2, g)
        val, g3, H3 = dd.value_grad_hessian(f, chunk=chunk)(x)
        assert_close(val, v_want)
        assert_close(g3, g_want, f"{name} value_grad_hessian grad")
        np.testing.assert_array_equal(H3, H)
        assert_close(dd.hvp(f, x, v, chunk=chunk), np.tensordot(H_want, v, axes=v.ndim), f"{name} hvp")
    # jacobian of the gradient is the Hessian
    assert_close(dd.jacobian(dd.grad(f))(x), H1, f"{name} jacobian(grad)")
    # jvp: the directional derivative
    val, d = dd.jvp(f, x, v)
    assert_close(val, v_want)
    assert_close(d, np.sum(g_want * v), f"{name} jvp")
    # grad of x given as a list
    if x.ndim == 1:
        assert_close(dd.grad(f)(list(x)), g_want, f"{name} grad of a list")


@pytest.mark.parametrize("name", sorted(VEC2NUM))
def test_vec2num(name):
    f, builder, x = VEC2NUM[name]
    check_scalar_function(f, builder, x, name)


@pytest.mark.parametrize("x", [np.array([-1.2, 1.0]), np.array([-1.2, 1.0, 0.8, 1.3, 0.4]), np.ones(5)])
def test_rosenbrock_closed_form(x):
    """Against the closed-form tridiagonal gradient and Hessian; at the minimum (all ones)
    the gradient is exactly 0."""
    g, H = dd.grad(rosenbrock)(x), dd.hessian(rosenbrock)(x)
    assert_close(g, rosenbrock_grad(x))
    assert_close(H, rosenbrock_hessian(x))
    if np.all(x == 1.0):
        assert np.array_equal(g, np.zeros_like(x))
        assert np.all(np.linalg.eigvalsh(H) > 0)


def test_ackley_minimum():
    """Near Ackley's global minimum (a cone point of sqrt(x² + y²), where the function is not
    differentiable) against sympy: the Hessian is large (~1/r) there."""
    x = np.array([1e-3, -2e-3])
    syms = sympy.symbols("s0:2", real=True)
    _, g_want, H_want = sym_grad_hess(ackley_sym(list(syms)), syms, x)
    assert_close(dd.grad(ackley)(x), g_want)
    assert_close(dd.hessian(ackley)(x), H_want, rtol=1e-11)


# -- vector -> vector ---------------------------------------------------------------------------

def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def vec2vec(x):
    """DiffTests-style vec2vec built with np.array([...]) of duals, with a loop."""
    out = []
    for i in range(len(x)):
        out.append(x[i] * x[(i + 1) % len(x)] + math.sin(x[i]) ** 2)
    out.append(math.hypot(*x))
    return np.array(out)


def vec2vec_sym(s):
    n = len(s)
    return [s[i] * s[(i + 1) % n] + sympy.sin(s[i]) ** 2 for i in range(n)] + [
        sympy.sqrt(sum(si**2 for si in s))]


@pytest.mark.parametrize("x", [np.array([0.3, -1.1, 2.0, 0.7]), np.array([5.0, 5.0, -3.0])])
def test_softmax_jacobian(x):
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    J_want = np.diag(s) - np.outer(s, s)
    n = len(x)
    J1 = dd.jacobian(softmax, chunk=1)(x)
    assert_close(J1, J_want, "softmax jacobian")
    for chunk in [*range(1, n + 1), None]:
        J = dd.jacobian(softmax, chunk=chunk)(x)
        np.testing.assert_allclose(J, J1, rtol=CHUNK_RTOL, atol=CHUNK_RTOL)
    v = np.linspace(-1.0, 1.0, n)
    val, d = dd.jvp(softmax, x, v)
    assert_close(val, s)
    assert_close(d, J_want @ v, "softmax jvp")
    # the rows of the softmax Jacobian sum to zero (softmax sums to one)
    np.testing.assert_allclose(J1.sum(axis=0), 0.0, atol=1e-15)


def test_vec2vec_jacobian():
    x = np.array([0.4, -1.3, 0.8])
    syms = sympy.symbols("s0:3", real=True)
    J_want = sym_eval(sympy.Matrix(vec2vec_sym(list(syms))).jacobian(syms), syms, x)
    assert J_want.shape == (4, 3)
    for chunk in (1, 2, 3, None):
        assert_close(dd.jacobian(vec2vec, chunk=chunk)(x), J_want, f"chunk={chunk}")
    v = np.array([0.5, 2.0, -1.0])
    val, d = dd.jvp(vec2vec, x, v)
    assert_close(val, sym_eval(vec2vec_sym(list(syms)), syms, x))
    assert_close(d, J_want @ v)


def test_matrix_function_jacobian_shape():
    """f: R^{2x2} -> R^{2x2}, X -> X @ X: J[i, j, k, l] = d(X@X)_ij / dX_kl."""
    X = np.array([[1.0, 2.0], [3.0, -4.0]])
    J = dd.jacobian(lambda X: X @ X)(X)
    eye = np.eye(2)
    want = np.einsum("ik,lj->ijkl", eye, X) + np.einsum("ik,jl->ijkl", X, eye)
    assert J.shape == (2, 2, 2, 2)
    assert_close(J, want)
