"""scipy.special on dual numbers (issue 13, item 1): dispatch, polygamma, logsumexp/softmax,
math.gamma/lgamma/erf, nesting and the numba engine.

Every row's own derivatives are checked against sympy in tests/test_rules_oracle.py; here:

* scipy's spelling of each row (``scipy.special.gammaln(dual)``) reaches the row: bit-equal
  to ``dd.gammaln``;
* ``dd.polygamma(n, x)``, first and second order, against ``mpmath.polygamma`` at 50 digits
  (the oracle's own error is ~1e-50; dualdiff's is scipy's polygamma, a few ulp, amplified by
  nothing: rtol 1e-12 leaves a wide margin and catches any wrong order or sign);
* third derivatives by nesting (which evaluate the rows' partials on duals) against mpmath;
* ``dd.logsumexp`` / ``dd.softmax`` / ``dd.log_softmax`` against the analytic gradient s and
  Hessian diag(s) - s sᵀ, computed in mpmath at 50 digits from the input alone;
* ``dualdiff.math.gamma/lgamma/erf`` and the same code under ``@njit`` against sympy.
"""

from __future__ import annotations

import math

import mpmath
import numba
import numpy as np
import pytest
import scipy.special as sc
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualdiff as dd
from dualdiff import math as dmath
from dualdiff import rules
from dualdiff.numpy_api import ObjectArrayWarning

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12


def close(got, want, rtol=RTOL, atol=0.0, what=""):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol, err_msg=what)


SCIPY_ROWS = [r for r in (*rules.UNARY, *rules.BINARY)
              if r.ufunc is not None and type(r.ufunc).__module__ == "numpy"
              and getattr(sc, getattr(r.ufunc, "__name__", ""), None) is r.ufunc]


def test_the_issue_list_is_dispatched():
    names = {r.ufunc.__name__ for r in SCIPY_ROWS}
    want = {"gamma", "gammaln", "loggamma", "psi", "beta", "betaln", "erfinv", "erfcinv", "erfcx", "erfi",
            "dawsn", "expit", "log_expit", "logit", "xlogy", "xlog1py", "ndtr", "log_ndtr", "ndtri",
            "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e", "expi", "exp1",
            "sindg", "cosdg", "erf", "erfc"}
    assert want <= names, want - names
    assert rules.RULE_BY_UFUNC[rules.riemann_zeta].name == "zeta"


@pytest.mark.parametrize("row", SCIPY_ROWS, ids=[r.name for r in SCIPY_ROWS])
def test_scipy_spelling_reaches_the_row(row):
    """scipy.special.<f>(dual) is dd.<row>(dual), bit for bit, on scalars and arrays."""
    if isinstance(row, rules.Unary):
        lo, hi = row.domain
        p = lo + np.array([0.31, 0.62]) * (hi - lo)
        h = dd.HyperDual(p, 1.0, 1.0, 0.5)
        a, b = row.ufunc(h), getattr(dd, row.name)(h)
        d = row.ufunc(dd.Dual(p[0], 1.0))
        assert d.value == row.ufunc(p[0])
    else:
        (xl, xh), (yl, yh) = row.domain
        x, y = xl + 0.37 * (xh - xl), yl + 0.59 * (yh - yl)
        hx, hy = dd.HyperDual(x, 1.0, 0.0), dd.HyperDual(y, 0.0, 1.0)
        a, b = row.ufunc(hx, hy), getattr(dd, row.name)(hx, hy)
    for part in ("value", "eps1", "eps2", "eps12"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part


def test_scipy_zeta_function_dispatches():
    """scipy.special.zeta(x) (a Python function over a private ufunc) on a dual: ζ'(2), ζ''(2)."""
    h = sc.zeta(dd.HyperDual(2.0, 1.0, 1.0))
    with mpmath.workdps(50):
        close(h.eps1, mpmath.zeta(2, 1, 1))
        close(h.eps12, mpmath.zeta(2, 1, 2))


# -- polygamma(n, x) ---------------------------------------------------------------------------

def _mp_polygamma(n, x):
    with mpmath.workdps(50):
        return float(mpmath.polygamma(n, mpmath.mpf(x)))


@SETTINGS
@given(st.integers(0, 4), st.one_of(st.floats(0.05, 30.0), st.floats(-4.9, -0.1)))
def test_polygamma_first_and_second_order(n, x):
    if x < 0 and abs(x - round(x)) < 0.05:
        return  # poles at the non-positive integers
    h = dd.polygamma(n, dd.HyperDual(x, 1.0, 1.0))
    close(h.value, _mp_polygamma(n, x), rtol=1e-11, what="value")
    close(h.eps1, _mp_polygamma(n + 1, x), rtol=1e-11, what="first")
    close(h.eps12, _mp_polygamma(n + 2, x), rtol=1e-11, what="second")
    d = dd.polygamma(n, dd.Dual(np.array([x, x + 1.0]), np.ones(2)))
    close(d.eps, [_mp_polygamma(n + 1, x), _mp_polygamma(n + 1, x + 1.0)], rtol=1e-11)
    close(dd.polygamma(n, x), sc.polygamma(n, x), rtol=0)


def test_polygamma_order_is_not_differentiated():
    with pytest.raises(TypeError, match="differentiable in x only"):
        dd.polygamma(dd.Dual(1.0, 1.0), 2.0)
    with pytest.raises(TypeError, match="non-negative integer"):
        dd.polygamma(1.5, dd.Dual(2.0, 1.0))


@pytest.mark.parametrize(("f", "oracle"), [
    (lambda x: sc.gammaln(x), lambda x: mpmath.polygamma(2, x)),
    (lambda x: sc.digamma(x), lambda x: mpmath.polygamma(3, x)),
    (lambda x: sc.gamma(x), lambda x: mpmath.diff(mpmath.gamma, x, 3)),
    (lambda x: sc.zeta(x), lambda x: mpmath.zeta(x, 1, 3)),
    (lambda x: sc.j0(x), lambda x: mpmath.diff(lambda t: mpmath.besselj(0, t), x, 3)),
    (lambda x: sc.erfinv(x / 4.0), lambda x: mpmath.diff(lambda t: mpmath.erfinv(t / 4), x, 3)),
], ids=["gammaln", "digamma", "gamma", "zeta", "j0", "erfinv"])
def test_third_derivative_by_nesting(f, oracle):
    """Nested transforms evaluate a row's partials on duals: the partials are rows too."""
    x = 1.7
    got = dd.derivative(dd.second_derivative(f))(x)
    with mpmath.workdps(50):
        want = float(oracle(mpmath.mpf(x)))
    close(got, want, rtol=1e-10)


# -- logsumexp / softmax -------------------------------------------------------------------------

def _mp_softmax(v):
    with mpmath.workdps(50):
        e = [mpmath.exp(mpmath.mpf(float(t))) for t in v]
        s = sum(e)
        return np.array([float(t / s) for t in e]), float(mpmath.log(s))


vectors = hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-30, 30))


@SETTINGS
@given(vectors)
def test_logsumexp_gradient_and_hessian(v):
    s, lse = _mp_softmax(v)
    value, g, H = dd.value_grad_hessian(dd.logsumexp)(v)
    close(value, lse, rtol=1e-13, atol=1e-13)
    close(g, s, rtol=1e-12, atol=1e-15)
    close(H, np.diag(s) - np.outer(s, s), rtol=1e-11, atol=1e-15)
    close(dd.jacobian(dd.softmax)(v), np.diag(s) - np.outer(s, s), rtol=1e-11, atol=1e-15)
    close(dd.jacobian(dd.log_softmax)(v), np.eye(len(v)) - s[None, :], rtol=1e-11, atol=1e-14)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=4), elements=st.floats(-5, 5)),
       st.booleans())
def test_logsumexp_axis_keepdims_and_weights(a, keepdims):
    axis = a.ndim - 1
    b = np.linspace(0.5, 2.0, a.shape[-1])
    got = dd.logsumexp(dd.Dual(a, np.ones_like(a)), axis=axis, b=b, keepdims=keepdims)
    close(got.value, sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims), rtol=1e-13, atol=1e-13)
    # d/dt log Σ b exp(a + t) = 1 along each row
    close(got.eps, np.ones_like(got.value), rtol=1e-13)
    # the derivative in b: ∂/∂b_j = exp(a_j) / Σ b exp(a)
    gb = dd.grad(lambda w: dd.logsumexp(a[(0,) * (a.ndim - 1)], b=w))(b)
    row = a[(0,) * (a.ndim - 1)]
    close(gb, np.exp(row) / np.sum(b * np.exp(row)), rtol=1e-12)


def test_scipy_softmax_works_and_scipy_logsumexp_points_to_dd():
    x = np.array([0.3, -1.2, 2.0])
    s, _ = _mp_softmax(x)
    with pytest.warns(ObjectArrayWarning):  # scipy's softmax calls np.asarray on its input
        J = dd.jacobian(lambda v: sc.softmax(v))(x)
    close(J, np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


# -- math.gamma / lgamma / erf, Python and numba --------------------------------------------------

T = sympy.symbols("t", positive=True)


def _math_f(m):
    def f(x):
        return m.gamma(x[0]) * m.erf(x[1]) + m.lgamma(x[0] + x[1])
    return f


def test_math_gamma_lgamma_erf_python_and_numba():
    a, b = sympy.symbols("a b", positive=True)
    expr = sympy.gamma(a) * sympy.erf(b) + sympy.loggamma(a + b)
    x = np.array([1.3, 0.7])
    at = {a: sympy.Float(x[0], 50), b: sympy.Float(x[1], 50)}
    g_want = np.array([float(sympy.diff(expr, v).evalf(30, subs=at)) for v in (a, b)])
    H_want = np.array([[float(sympy.diff(expr, u, v).evalf(30, subs=at)) for v in (a, b)] for u in (a, b)])
    py = _math_f(dmath)
    nb = numba.njit(_math_f(math))
    for f in (py, nb):
        close(dd.grad(f)(x), g_want, rtol=1e-13)
        close(dd.hessian(f)(x), H_want, rtol=1e-12)
    assert dmath.gamma(5.0) == 24.0 and dmath.lgamma(3.0) == math.lgamma(3.0)


def test_special_rows_inside_njit():
    @numba.njit
    def f(x):
        return (sc.gammaln(x[0]) + sc.j0(x[1]) * sc.erfinv(0.1 * x[2]) + sc.xlogy(x[0], x[1])
                + dd.zeta(x[0] + 1.0) + sc.k1e(x[2]) + sc.log_ndtr(-x[1]))

    def g(x):
        return (sc.gammaln(x[0]) + sc.j0(x[1]) * sc.erfinv(0.1 * x[2]) + sc.xlogy(x[0], x[1])
                + dd.zeta(x[0] + 1.0) + sc.k1e(x[2]) + sc.log_ndtr(-x[1]))

    x = np.array([1.4, 0.8, 2.2])
    close(dd.grad(f)(x), dd.grad(g)(x), rtol=1e-13)
    close(dd.hessian(f)(x), dd.hessian(g)(x), rtol=1e-12, atol=1e-15)
