"""The numba engine (dualdiff.jit): ordinary @njit functions differentiated unchanged.

Each function is checked against analytic derivatives (or sympy) and against the
pure-Python engine running the same source (``f.py_func``), to 1e-13.  Functions are
module-level so each compiles once per session; n stays small (compilation dominates).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

numba = pytest.importorskip("numba")

import dualdiff as dd  # noqa: E402
from dualdiff import jit, problems, rules  # noqa: E402

TOL = dict(rtol=1e-13, atol=1e-13)
njit = numba.njit


# -- functions under test ---------------------------------------------------------------------

# the shared test problems (dualdiff.problems), compiled for the numba engine
rosenbrock = njit(problems.rosenbrock_loop)
rosenbrock_grad, rosenbrock_hessian = problems.rosenbrock_grad, problems.rosenbrock_hessian
ackley = njit(problems.ackley_loop)
broyden = njit(problems.broyden_loop)
broyden_jacobian = problems.broyden_jacobian


@njit
def branchy(x):
    """Branches, a while loop, abs, min/max, comparisons of duals with duals and floats."""
    s = 0.0
    i = 0
    n = x.shape[0]
    while i < n:
        xi = x[i]
        if xi > 0.0:
            s += xi * np.exp(-x[(i + 1) % n])
        elif xi < x[(i + 1) % n]:
            s -= abs(xi) ** 1.5
        else:
            s += np.sin(xi) * x[(i + 1) % n]
        i += 1
    t = max(s, x[0]) + min(x[1], 0.25)
    while t > 10.0:
        t = t / 2.0
    return t


@njit
def inner(a, b):
    return a * np.exp(-b) + np.log1p(a * a)


@njit
def outer(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += inner(x[i], x[i + 1])
    return s


def outer_python(x):
    """outer with inner written in plain Python: the Python engine cannot step into an
    njit function (a jet of a running transform never enters numba code)."""
    s = 0.0
    for i in range(x.shape[0] - 1):
        a, b = x[i], x[i + 1]
        s += a * np.exp(-b) + np.log1p(a * a)
    return s


X5 = np.array([0.3, -0.7, 1.2, 0.5, 0.9])


# -- the classic test functions ------------------------------------------------------------

def test_rosenbrock_gradient_and_hessian():
    x = X5
    assert_allclose(jit.grad(rosenbrock, x), rosenbrock_grad(x), **TOL)
    assert_allclose(jit.grad(rosenbrock, x), dd.grad(rosenbrock.py_func)(x), **TOL)
    H = jit.hessian(rosenbrock, x)
    assert_allclose(H, rosenbrock_hessian(x), **TOL)
    assert_allclose(H, dd.hessian(rosenbrock.py_func)(x), **TOL)
    assert_array_equal(H, H.T)


def test_rosenbrock_chunks_and_value_variants():
    x = np.linspace(-1.0, 1.5, 7)
    for c in (3, None):  # 3 leaves a partial last chunk
        assert_allclose(jit.grad(rosenbrock, x, chunk=c), rosenbrock_grad(x), **TOL)
        H = jit.hessian(rosenbrock, x, chunk=c)
        assert_allclose(H, rosenbrock_hessian(x), **TOL)
        assert_array_equal(H, H.T)
    v, g = jit.value_and_grad(rosenbrock, x)
    assert v == rosenbrock(x)
    v2, g2, H2 = jit.value_grad_hessian(rosenbrock, x)
    assert v2 == v
    assert_allclose(g2, g, **TOL)
    d = np.linspace(0.5, -0.5, 7)
    assert_allclose(jit.hvp(rosenbrock, x, d), rosenbrock_hessian(x) @ d, **TOL)


def test_ackley_against_sympy_and_python_engine():
    sympy = pytest.importorskip("sympy")
    n = 3
    xs = sympy.symbols(f"x0:{n}")
    f = (-20 * sympy.exp(-sympy.Rational(1, 5) * sympy.sqrt(sum(v**2 for v in xs) / n))
         - sympy.exp(sum(sympy.cos(2 * sympy.pi * v) for v in xs) / n) + 20 + sympy.E)
    x = np.array([0.3, -0.45, 0.8])
    at = dict(zip(xs, x, strict=True))
    g_want = np.array([float(sympy.diff(f, v).evalf(30, subs=at)) for v in xs])
    H_want = np.array([[float(sympy.diff(f, a, b).evalf(30, subs=at)) for b in xs] for a in xs])
    v, g, H = jit.value_grad_hessian(ackley, x)
    assert_allclose(v, float(f.evalf(30, subs=at)), **TOL)
    assert_allclose(g, g_want, **TOL)
    assert_allclose(H, H_want, **TOL)
    assert_allclose(g, dd.grad(ackley.py_func)(x), **TOL)
    assert_allclose(H, dd.hessian(ackley.py_func)(x), **TOL)


def test_broyden_jacobian_jvp():
    x = np.array([0.3, -0.7, 1.2, 0.5, 0.9, -0.1])
    J = jit.jacobian(broyden, x)
    assert_allclose(J, broyden_jacobian(x), **TOL)
    assert_allclose(J, dd.jacobian(broyden.py_func)(x), **TOL)
    value, J2 = jit.value_and_jacobian(broyden, x, chunk=4)  # 6 columns: chunks of 4 and 2
    assert_allclose(value, broyden(x), **TOL)
    assert_allclose(J2, J, **TOL)
    v = np.linspace(1.0, 2.0, 6)
    fx, jv = jit.jvp(broyden, x, v)
    assert_allclose(fx, broyden(x), **TOL)
    assert_allclose(jv, J @ v, **TOL)


def test_branches_and_while_loop():
    for x in (X5, np.array([-0.3, 0.7, -1.2, -1.5, 0.9]), np.array([-0.3, -0.7, 0.2, -0.1, -0.9])):
        assert_allclose(jit.grad(branchy, x), dd.grad(branchy.py_func)(x), **TOL)
        assert_allclose(jit.hessian(branchy, x), dd.hessian(branchy.py_func)(x), **TOL)


def test_calling_another_njit_function():
    x = X5
    a, b = x[:-1], x[1:]
    g_want = np.zeros(5)
    g_want[:-1] += np.exp(-b) + 2 * a / (1 + a * a)
    g_want[1:] += -a * np.exp(-b)
    assert_allclose(jit.grad(outer, x), g_want, **TOL)
    assert_allclose(jit.grad(outer, x), dd.grad(outer_python)(x), **TOL)
    assert_allclose(jit.hessian(outer, x), dd.hessian(outer_python)(x), **TOL)


# -- every row of the rules table, through every spelling -------------------------------------

def _all_rules_function():
    """One njit function applying every unary rule to its own x[k] and every binary rule
    with both, only the first and only the second argument live (one compilation)."""
    lines, points, m = [], [], 0
    for r in rules.UNARY:
        lo, hi = r.domain
        points.append(lo + 0.37 * (hi - lo))
        lines.append(f"    y[{m}] = dd.{r.name}(x[{len(points) - 1}])")
        m += 1
    for r in rules.BINARY:
        (lx, hx), (ly, hy) = r.domain
        a, b = lx + 0.41 * (hx - lx), ly + 0.63 * (hy - ly)
        points += [a, b]
        k = len(points) - 2
        lines += [f"    y[{m}] = dd.{r.name}(x[{k}], x[{k + 1}])",
                  f"    y[{m + 1}] = dd.{r.name}(x[{k}], {b!r})",
                  f"    y[{m + 2}] = dd.{r.name}({a!r}, x[{k + 1}])"]
        m += 3
    points += [0.5] * (m - len(points))
    src = "def all_rules(x):\n    y = np.zeros_like(x)\n" + "\n".join(lines) + "\n    return y\n"
    src += ("def weighted(x):\n    y = all_rules(x)\n    s = 0.0\n"
            "    for i in range(y.shape[0]):\n        s += (1.0 + 0.1 * i) * y[i]\n    return s\n")
    py: dict = {"np": np, "dd": dd}
    exec(src, py)  # noqa: S102
    nb: dict = {"np": np, "dd": dd}
    exec(src, nb)  # noqa: S102
    nb["all_rules"] = njit(nb["all_rules"])
    nb["weighted"] = njit(nb["weighted"])
    return nb, py, np.array(points)


def test_every_rule_matches_the_python_engine():
    nb, py, x = _all_rules_function()
    with np.errstate(all="ignore"):
        assert_allclose(jit.jacobian(nb["all_rules"], x), dd.jacobian(py["all_rules"])(x), **TOL)
        assert_allclose(jit.hessian(nb["weighted"], x), dd.hessian(py["weighted"])(x), **TOL)


@njit
def spellings(x):
    """The same rules through operators, math.* and np.*."""
    a, b = x[0], x[1]
    return (math.sin(a) + np.sin(b) + a ** 2 + 2.0 ** b + a ** b + a / b + 1 / a - b
            + math.atan2(a, b) + np.hypot(a, b) + math.sqrt(a) + (-a) + (+b) + abs(a - b)
            + math.exp(a) * math.log(b) + np.tanh(a) * math.erf(b) + a % 0.3 + a // 0.2)


def test_operator_math_and_numpy_spellings():
    x = np.array([0.7, 1.3])
    a, b = x
    want = np.array([
        math.cos(a) + 2 * a + b * a ** (b - 1) + 1 / b - 1 / a**2 + b / (a * a + b * b)
        + a / math.hypot(a, b) + 0.5 / math.sqrt(a) - 1 + np.sign(a - b)
        + math.exp(a) * math.log(b) + (1 - math.tanh(a) ** 2) * math.erf(b) + 1,
        math.cos(b) + 2.0**b * math.log(2) + a**b * math.log(a) - a / b**2 - 1
        - a / (a * a + b * b) + b / math.hypot(a, b) + 1 - np.sign(a - b)
        + math.exp(a) / b + math.tanh(a) * 2 / math.sqrt(math.pi) * math.exp(-b * b),
    ])
    assert_allclose(jit.grad(spellings, x), want, **TOL)


# -- shapes, extra arguments, NaN-safety, input mutation -------------------------------------

@njit
def scaled_sine(x, a):
    return np.sin(a * x) * x


@njit
def determinant(X):
    return X[0, 0] * X[1, 1] - X[0, 1] * X[1, 0]


@njit
def sqrt_plus(x):
    return np.sqrt(x[0]) + x[1]


@njit
def writes_its_input(x):
    x[0] = x[0] * x[1]
    return x[0] + x[2] ** 2


def test_scalar_input_and_extra_arguments():
    x, a = 0.7, 2.0
    want_g = a * math.cos(a * x) * x + math.sin(a * x)
    want_h = -a * a * math.sin(a * x) * x + 2 * a * math.cos(a * x)
    assert_allclose(jit.grad(scaled_sine, x, a), want_g, **TOL)
    assert_allclose(jit.hessian(scaled_sine, x, a), want_h, **TOL)
    assert np.ndim(jit.grad(scaled_sine, x, a)) == 0
    assert_allclose(jit.jvp(scaled_sine, x, 2.0, a)[1], 2 * want_g, **TOL)


def test_matrix_input():
    X = np.array([[1.0, 2.0], [3.0, 4.5]])
    assert_array_equal(jit.grad(determinant, X), [[4.5, -3.0], [-2.0, 1.0]])
    H = jit.hessian(determinant, X)
    assert H.shape == (2, 2, 2, 2)
    assert_array_equal(H, dd.hessian(determinant.py_func)(X))


def test_nan_safe_partials():
    # d/dx1 sqrt(x0) at x0 = 0 is inf * 0: a variable the value does not depend on gives 0
    x = np.array([0.0, 1.0])
    assert_array_equal(jit.grad(sqrt_plus, x), [np.inf, 1.0])
    with np.errstate(all="ignore"):
        assert_array_equal(jit.grad(sqrt_plus, x), dd.grad(sqrt_plus.py_func)(x))
        assert_array_equal(jit.hessian(sqrt_plus, x), dd.hessian(sqrt_plus.py_func)(x))


def test_function_writing_into_its_input():
    x = np.array([1.0, 2.0, 3.0])
    assert_array_equal(jit.grad(writes_its_input, x), [2.0, 1.0, 6.0])
    assert_array_equal(jit.grad(writes_its_input, x), [2.0, 1.0, 6.0])  # cached driver
    assert_array_equal(jit.hessian(writes_its_input, x), [[0, 1, 0], [1, 0, 0], [0, 0, 2]])
    assert_array_equal(x, [1.0, 2.0, 3.0])


# -- clear errors, never a dropped derivative -------------------------------------------------

@njit
def float_scratch(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = x[i] * 2.0
    s = 0.0
    for i in range(x.shape[0]):
        s += y[i]
    return s


@njit
def to_float(x):
    return float(x[0]) * x[1]


def test_float_scratch_array_is_a_clear_error():
    with pytest.raises(TypeError, match=r"np\.empty_like\(x\).*dtype=x\.dtype") as info:
        jit.grad(float_scratch, np.ones(3))
    assert isinstance(info.value, dd.DualConversionError)
    with pytest.raises(dd.DualConversionError, match="float array"):
        jit.hessian(float_scratch, np.ones(3))


def test_conversion_to_float_is_a_clear_error():
    with pytest.raises(dd.DualConversionError, match=r"float\(\)"):
        jit.grad(to_float, np.ones(2))


def test_vector_output_to_grad_says_jacobian():
    with pytest.raises(TypeError, match="jacobian"):
        jit.grad(broyden, X5)


def test_bad_inputs():
    with pytest.raises(TypeError, match="njit"):
        jit.grad(lambda x: x, X5)
    with pytest.raises(TypeError, match="real float"):
        jit.grad(rosenbrock, np.array([1 + 1j, 2]))
    with pytest.raises(ValueError, match="chunk"):
        jit.grad(rosenbrock, X5, chunk=0)
    with pytest.raises(ValueError, match="shape of x"):
        jit.hvp(rosenbrock, X5, np.ones(4))
    assert jit.is_numba_function(rosenbrock) and not jit.is_numba_function(rosenbrock.py_func)


# -- scalar jets across the Python/numba boundary --------------------------------------------

@njit
def poly(t):
    return t * t * t - 2.0 * t


def test_boxing_user_made_duals():
    d = poly(dd.Dual(1.5, 1.0))
    assert isinstance(d, dd.Dual)
    assert d.value == poly(1.5) and d.eps == 3 * 1.5**2 - 2
    h = poly(dd.HyperDual(1.5, 1.0, 1.0, 0.0))
    assert h.eps12 == 6 * 1.5
    # a jet of a running Python-engine transform never enters numba code untagged
    with pytest.raises(TypeError, match="py_func"):
        dd.derivative(lambda t: poly(t))(1.5)


# -- whole-array code ------------------------------------------------------------------------

A23 = np.array([[1.0, 2.0, 0.5, -1.0], [0.3, -1.0, 2.0, 0.7]])


@njit
def vectorized(x):
    y = x * 2.0
    y[1:] -= x[:-1]
    y += 1.0
    r = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return r + np.sum(np.sin(A23 @ x)) + np.mean(y * y) + x @ x + np.exp(x).sum() / x.shape[0]


def vectorized_python(x):
    y = x * 2.0
    y[1:] -= x[:-1]
    y += 1.0
    r = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return r + np.sum(np.sin(A23 @ x)) + np.mean(y * y) + x @ x + np.sum(np.exp(x)) / x.shape[0]


@njit
def curve(t):
    return np.array([np.sin(t), t * t, 2.0])


@njit(parallel=True)
def parallel_sum(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


@njit
def inplace_into_float(x):
    y = np.zeros(x.shape[0])
    y += x
    return y[0]


def test_whole_array_operations():
    x = np.array([0.3, -0.7, 1.2, 0.5])
    assert_allclose(jit.grad(vectorized, x), dd.grad(vectorized_python)(x), **TOL)
    assert_allclose(jit.hessian(vectorized, x), dd.hessian(vectorized_python)(x), **TOL)


def test_array_of_jets_from_a_list_and_scalar_derivatives():
    t = 0.7
    assert_allclose(jit.derivative(curve, t), [math.cos(t), 2 * t, 0.0], **TOL)
    assert_allclose(jit.second_derivative(curve, t), [-math.sin(t), 2.0, 0.0], **TOL)
    assert_allclose(jit.derivative(scaled_sine, t, 2.0), dd.derivative(scaled_sine.py_func)(t, 2.0), **TOL)
    with pytest.raises(TypeError, match="scalar x"):
        jit.derivative(curve, np.ones(2))


def test_prange_reduction():
    x = np.linspace(0.1, 1.0, 9)
    assert_allclose(jit.grad(parallel_sum, x), np.cos(x) * x + np.sin(x), **TOL)


def test_in_place_operator_into_float_array_is_a_clear_error():
    with pytest.raises(dd.DualConversionError, match=r"np\.empty_like\(x\)"):
        jit.grad(inplace_into_float, np.ones(3))


def test_inside_a_python_engine_transform_is_a_clear_error():
    with pytest.raises(TypeError, match="nested"):
        dd.grad(lambda x: jit.grad(rosenbrock, x)[0])(X5)


def test_numba_engine_transforms():
    g = dd.grad(rosenbrock, engine="numba")
    assert g.__name__ == rosenbrock.__name__ == "rosenbrock_loop"
    assert_allclose(g(X5), rosenbrock_grad(X5), **TOL)
    assert_allclose(dd.hessian(rosenbrock, chunk=3, engine="numba")(X5), rosenbrock_hessian(X5), **TOL)
    assert_allclose(dd.derivative(scaled_sine, engine="numba")(0.7, 2.0),
                    jit.grad(scaled_sine, 0.7, 2.0), **TOL)
    with pytest.raises(TypeError, match="positionally"):
        dd.grad(scaled_sine, engine="numba")(0.7, a=2.0)
    with pytest.raises(ValueError, match="chunk"):
        dd.grad(rosenbrock, chunk=-1, engine="numba")


@njit
def edge_points(x):
    """Non-differentiable and infinite-derivative points of several rules, on disjoint
    variables: the conventions and NaN-safe partials must match the Python engine."""
    return (np.sqrt(x[0]) * x[1] + np.hypot(x[2], x[3]) + x[4] + x[5] ** x[6] + x[7]
            + np.abs(x[8]) * x[9] + np.cbrt(x[10]) + x[11] ** 2 + x[12] ** 2 + x[12] ** 1 * x[13]
            + np.log(x[14]) + x[15] + np.sqrt(x[16] * x[16] + x[17] * x[17]) + x[18])


EDGE_X = np.array([0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 3.0, 0.0, 3.0, 0.0, 3.0, 0.0, 3.0,
                   0.0, 0.0, 1.0])


def test_edge_points_match_the_python_engine_exactly():
    with np.errstate(all="ignore"):
        for ours, theirs in ((jit.grad, dd.grad), (jit.hessian, dd.hessian)):
            got, want = ours(edge_points, EDGE_X), theirs(edge_points.py_func)(EDGE_X)
            assert_array_equal(got, want)


@njit
def two_rows(x):
    y = np.empty((2, x.shape[0]), dtype=x.dtype)  # the dtype=x.dtype idiom, a 2-d output
    for i in range(x.shape[0]):
        y[0, i] = x[i] ** 2
        y[1, i] = 1.0
    return y


def test_dtype_of_x_allocation_and_matrix_output():
    x = np.array([1.0, 2.0, 3.0])
    J = jit.jacobian(two_rows, x)
    assert J.shape == (2, 3, 3)
    assert_array_equal(J[0], np.diag(2 * x))
    assert_array_equal(J[1], 0.0)
    value, jv = jit.jvp(two_rows, x, np.ones(3))
    assert_array_equal(value, [x**2, np.ones(3)])
    assert_array_equal(jv, [2 * x, np.zeros(3)])
