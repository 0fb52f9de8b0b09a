"""numpy's statistics, scans, numerical analysis and data-moving functions on dual arrays
(issue 13, item 2), first and second order.

Oracles, none of which runs dualdiff's code:
* smooth functions of a few variables (var, std, cumprod, cross, kron, polyval, trapezoid,
  quantile's interpolation): sympy, differentiating the same formula written here with
  sympy symbols, evaluated exactly at the float point;
* linear maps that only move or copy elements (tile, repeat, roll, flip, rot90, pad, tril,
  split, column_stack, append, gradient): numpy's own function applied to each seed --
  d f(x) = f(dx) and d₁₂ f(x) = f(d₁₂x) for linear f;
* value-dependent selections (sort, partition, median, maximum.accumulate, interp): the
  analytic derivative, a 0/1 (or interpolation-weight) matrix built from the value's order.
Tolerances: sympy and numpy evaluate the same formula in float64 (sympy exactly), so the
only difference is dualdiff's rounding: rtol 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualdiff as dd

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # 10: keeps the suite under 10 min
RTOL = 1e-12


def close(got, want, rtol=RTOL, atol=1e-13):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=rtol, atol=atol)


def sympy_grad_hess(build, x):
    """Gradient and Hessian of the scalar sympy expression build(symbols) at x."""
    xs = sympy.symbols(f"x0:{len(x)}", real=True)
    expr = build(list(xs))
    at = {s: sympy.Float(float(v), 60) for s, v in zip(xs, x, strict=True)}
    g = np.array([float(sympy.diff(expr, s).evalf(40, subs=at)) for s in xs])
    H = np.array([[float(sympy.diff(expr, s, t).evalf(40, subs=at)) for t in xs] for s in xs])
    return g, H


vec = hnp.arrays(np.float64, st.integers(2, 6), elements=st.floats(-3, 3), unique=True)


def weights(n):
    return np.linspace(0.7, 1.9, n)


# -- var / std ------------------------------------------------------------------------------------

def var_std_closed_forms(x, ddof):
    """(var, ∇var, ∇²var), (std, ∇std, ∇²std) of x from their closed forms (no dualdiff
    code): with c = x - mean(x) and d = n - ddof, var = c·c/d, ∇var = 2c/d,
    ∇²var = 2/d (I - 11ᵀ/n); std = √var, ∇std = ∇var/(2 std),
    ∇²std = ∇²var/(2 std) - ∇var ∇varᵀ/(4 std³)."""
    n = len(x)
    c, d = x - np.mean(x), n - ddof
    v, gv, Hv = c @ c / d, 2.0 * c / d, 2.0 / d * (np.eye(n) - 1.0 / n)
    s = np.sqrt(v)
    return (v, gv, Hv), (s, gv / (2 * s), Hv / (2 * s) - np.outer(gv, gv) / (4 * s**3))


def var_sym(s, ddof):
    m = sum(s) / len(s)
    return sum((t - m) ** 2 for t in s) / (len(s) - ddof)


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std_against_sympy(ddof):
    """At one point per ddof, sympy (exact) for np.var and np.std; it also vouches for the
    closed forms that test_var_std checks hypothesis' points against."""
    x = np.array([0.3, -1.7, 2.2, 0.9])
    forms = var_std_closed_forms(x, ddof)
    for np_f, build, (_, g_form, H_form) in ((np.var, lambda s: var_sym(s, ddof), forms[0]),
                                            (np.std, lambda s: sympy.sqrt(var_sym(s, ddof)), forms[1])):
        g, H = sympy_grad_hess(build, x)
        close(dd.grad(lambda v: np_f(v, ddof=ddof))(x), g)
        close(dd.hessian(lambda v: np_f(v, ddof=ddof))(x), H, rtol=1e-10, atol=1e-12)
        close(g_form, g)
        close(H_form, H, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(vec, st.integers(0, 1))
def test_var_std(x, ddof):
    """np.var, np.std (ddof 0 and 1) and the methods against the closed forms (sympy was
    ~1.5 s per example here; test_var_std_against_sympy checks the forms)."""
    assume(np.ptp(x) > 1e-3)
    forms = var_std_closed_forms(x, ddof)
    for np_f, (value, g, H) in ((np.var, forms[0]), (np.std, forms[1])):
        close(dd.grad(lambda v: np_f(v, ddof=ddof))(x), g)
        close(dd.hessian(lambda v: np_f(v, ddof=ddof))(x), H, rtol=1e-10, atol=1e-12)
        close(np_f(dd.Dual(x, 0.0), ddof=ddof).value, value)
    std0, var1 = var_std_closed_forms(x, 0)[1], var_std_closed_forms(x, 1)[0]
    close(dd.grad(lambda v: v.std() + v.var(ddof=1))(x), std0[1] + var1[1])


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4),
                  elements=st.floats(-3, 3)), st.booleans())
def test_var_std_axis_keepdims(a, keepdims):
    seed = np.sin(np.arange(a.size)).reshape(a.shape)
    for axis in (0, -1, (0, 1)):
        for f in (np.var, np.std):
            d = f(dd.Dual(a, seed), axis=axis, keepdims=keepdims, ddof=1)
            want = f(a, axis=axis, keepdims=keepdims, ddof=1)
            close(d.value, want, atol=1e-12)
            if f is np.var:  # d var = 2/(n-1) Σ (a - ā)(da - dā), linear in the seed
                axes = axis if isinstance(axis, tuple) else (axis,)
                n = np.prod([a.shape[i] for i in axes])
                c = a - a.mean(axis=axis, keepdims=True)
                dc = seed - seed.mean(axis=axis, keepdims=True)
                close(d.eps, 2.0 / (n - 1) * np.sum(c * dc, axis=axis, keepdims=keepdims), atol=1e-12)


def test_std_of_a_list_of_duals():
    """np.std([x, x + 2]) on a list of scalar duals (numpy's object path): 1, derivative 0."""
    x = dd.Dual(1.5, 1.0)
    s = np.std([x, x + 2])
    assert s.value == 1.0 and s.eps == 0.0
    assert dd.derivative(lambda t: np.std([t, 2 * t]))(1.0) == 0.5
    assert dd.second_derivative(lambda t: np.var([t, 3 * t]))(2.0) == 2.0  # var = t², '' = 2


# -- order statistics -----------------------------------------------------------------------------

@SETTINGS
@given(vec)
def test_sort_partition_follow_the_elements(x):
    n = len(x)
    w = weights(n)
    order = np.argsort(x, kind="stable")
    want = np.zeros(n)
    want[order] = w
    close(dd.grad(lambda v: np.sum(w * np.sort(v)))(x), want)
    assert not np.any(dd.hessian(lambda v: np.sum(w * np.sort(v)))(x))
    k = n // 2
    p = np.partition(dd.Dual(x, np.eye(n)), k)
    assert p.value[k] == np.sort(x)[k]
    close(p.eps[k], np.eye(n)[order[k]])


def _quantile_weights(x, q):
    n = len(x)
    order = np.argsort(x, kind="stable")
    v = q * (n - 1)
    lo = int(np.floor(v))
    hi = min(lo + 1, n - 1)
    g = v - lo
    w = np.zeros(n)
    w[order[lo]] += 1 - g
    w[order[hi]] += g
    return w


@SETTINGS
@given(vec, st.floats(0, 1))
def test_quantile_percentile_median(x, q):
    close(dd.grad(lambda v: np.quantile(v, q))(x), _quantile_weights(x, q))
    close(dd.grad(lambda v: np.percentile(v, 100 * q))(x), _quantile_weights(x, q), atol=1e-12)
    close(dd.grad(lambda v: np.median(v))(x), _quantile_weights(x, 0.5))
    close(np.quantile(dd.Dual(x, 1.0), q).value, np.quantile(x, q), rtol=0, atol=0)
    # differentiable in q too: d/dq = (n - 1)(x_(hi) - x_(lo)) inside an interval
    n, s = len(x), np.sort(x)
    v = q * (n - 1)
    assume(abs(v - round(v)) > 1e-6)
    close(dd.derivative(lambda t: np.quantile(x, t))(q), (n - 1) * (s[int(v) + 1] - s[int(v)]))


def test_quantile_axis_and_q_arrays():
    a = np.arange(24.0).reshape(2, 3, 4) ** 1.3
    q = np.array([0.1, 0.5, 0.93])
    d = np.quantile(dd.Dual(a, a * 0.5), q, axis=(0, 2), keepdims=True)
    close(d.value, np.quantile(a, q, axis=(0, 2), keepdims=True), rtol=1e-14)
    close(d.eps, 0.5 * d.value, rtol=1e-13)  # eps = a/2 commutes with the order statistics
    close(np.median(dd.Dual(a, 1.0), axis=1).eps, np.ones((2, 4)))


# -- scans ------------------------------------------------------------------------------------------

@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-2, 2)))
def test_cumprod(x):
    w = weights(len(x))

    def build(s):
        total, running = 0, 1
        for wi, si in zip(w, s, strict=True):
            running = running * si
            total += sympy.Float(wi) * running
        return total

    g, H = sympy_grad_hess(build, x)
    close(dd.grad(lambda v: np.sum(w * np.cumprod(v)))(x), g)
    close(dd.hessian(lambda v: np.sum(w * v.cumprod()))(x), H)
    close(dd.grad(lambda v: np.sum(w * np.multiply.accumulate(v)))(x), g)


@SETTINGS
@given(vec)
def test_maximum_minimum_accumulate(x):
    n, w = len(x), weights(len(x))
    for ufunc, pick in ((np.maximum, np.argmax), (np.minimum, np.argmin)):
        want = np.zeros(n)
        for k in range(n):
            want[pick(x[:k + 1])] += w[k]
        close(dd.grad(lambda v, u=ufunc: np.sum(w * u.accumulate(v)))(x), want)
        close(ufunc.accumulate(dd.Dual(x, 0.0)).value, ufunc.accumulate(x), rtol=0, atol=0)


# -- numerical analysis ---------------------------------------------------------------------------

@SETTINGS
@given(st.floats(-1.5, 4.5), hnp.arrays(np.float64, 4, elements=st.floats(-3, 3)))
def test_interp(t, fp):
    xp = np.array([0.0, 1.0, 2.5, 3.0])
    assume(all(abs(t - k) > 1e-9 for k in xp))
    i = np.clip(np.searchsorted(xp, t) - 1, 0, 2)
    slope = (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i]) if xp[0] < t < xp[-1] else 0.0
    close(dd.derivative(lambda s: np.interp(s, xp, fp))(t), slope)
    close(np.interp(dd.Dual(t, 1.0), xp, fp).value, np.interp(t, xp, fp), atol=1e-14)
    # in fp: the interpolation weights
    wfp = np.zeros(4)
    if t <= xp[0]:
        wfp[0] = 1
    elif t >= xp[-1]:
        wfp[-1] = 1
    else:
        g = (t - xp[i]) / (xp[i + 1] - xp[i])
        wfp[i], wfp[i + 1] = 1 - g, g
    close(dd.grad(lambda f: np.interp(t, xp, f))(fp), wfp)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(2, 5), elements=st.floats(-2, 2)), st.floats(-2, 2))
def test_polyval_in_coefficients_and_x(p, t):
    z = np.concatenate([p, [t]])

    def build(s):
        c, x = s[:-1], s[-1]
        return sum(ci * x ** (len(c) - 1 - k) for k, ci in enumerate(c))

    g, H = sympy_grad_hess(build, z)
    close(dd.grad(lambda v: np.polyval(v[:-1], v[-1]))(z), g)
    close(dd.hessian(lambda v: np.polyval(v[:-1], v[-1]))(z), H, atol=1e-12)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(2, 5), elements=st.floats(-2, 2)))
def test_trapezoid_in_y_and_x(y):
    n = len(y)
    x = np.cumsum(np.linspace(0.5, 1.5, n))
    z = np.concatenate([y, x])

    def build(s):
        ys, xs = s[:n], s[n:]
        return sum((ys[i] + ys[i + 1]) * (xs[i + 1] - xs[i]) / 2 for i in range(n - 1))

    g, H = sympy_grad_hess(build, z)
    trap = getattr(np, "trapezoid", None) or np.trapz
    close(dd.grad(lambda v: trap(v[:n], v[n:]))(z), g)
    close(dd.hessian(lambda v: trap(v[:n], v[n:]))(z), H)
    close(dd.grad(lambda v: trap(v, dx=0.3))(y), sympy_grad_hess(
        lambda s: sum((s[i] + s[i + 1]) * sympy.Rational(3, 10) / 2 for i in range(n - 1)), y)[0])


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated:DeprecationWarning")
def test_cross_and_kron():
    rng = np.random.default_rng(3)
    z = rng.normal(size=6)

    def cross_sym(s):
        a, b = s[:3], s[3:]
        c = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
        return sum(sympy.Float(w) * ci ** 2 for w, ci in zip((1.0, 2.0, 3.0), c, strict=True))

    f = lambda v: np.sum(np.array([1.0, 2.0, 3.0]) * np.cross(v[:3], v[3:]) ** 2)
    g, H = sympy_grad_hess(cross_sym, z)
    close(dd.grad(f)(z), g)
    close(dd.hessian(f)(z), H)
    close(np.cross(dd.Dual(z[:3], 0.0), z[3:]).value, np.cross(z[:3], z[3:]))
    # stacked 3-vectors and 2-vectors
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    close(np.cross(dd.Dual(A, 1.0), B).eps, np.cross(np.ones_like(A), B))
    close(np.cross(dd.Dual(A[:, :2], 1.0), B[:, :2]).value, np.cross(A[:, :2], B[:, :2]))
    # kron: bilinear
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    da, db = rng.normal(size=a.shape), rng.normal(size=b.shape)
    k = np.kron(dd.Dual(a, da), dd.Dual(b, db))
    close(k.value, np.kron(a, b))
    close(k.eps, np.kron(da, b) + np.kron(a, db))
    h = np.kron(dd.HyperDual(a, da, 0.0), dd.HyperDual(b, 0.0, db))
    close(h.eps12, np.kron(da, db))


# -- linear data movement: numpy's function on each seed -------------------------------------------

LINEAR = {
    "tile": lambda a: np.tile(a, (2, 1, 2)),
    "repeat": lambda a: np.repeat(a, 2, axis=1),
    "repeat_flat": lambda a: np.repeat(a, 2),
    "roll": lambda a: np.roll(a, 2, axis=-1),
    "roll_flat": lambda a: np.roll(a, -1),
    "flip": lambda a: np.flip(a),
    "flipud": lambda a: np.flipud(a),
    "fliplr": lambda a: np.fliplr(a),
    "rot90": lambda a: np.rot90(a, 3),
    "pad_constant": lambda a: np.pad(a, ((1, 0), (0, 2))),
    "pad_edge": lambda a: np.pad(a, 2, mode="edge"),
    "pad_reflect": lambda a: np.pad(a, ((2, 1), (1, 2)), mode="reflect"),
    "pad_symmetric": lambda a: np.pad(a, 1, mode="symmetric"),
    "pad_wrap": lambda a: np.pad(a, 2, mode="wrap"),
    "tril": lambda a: np.tril(a, -1),
    "triu": lambda a: np.triu(a),
    "split": lambda a: np.split(a, 3, axis=0)[1],
    "array_split": lambda a: np.array_split(a, 2, axis=1)[1],
    "hsplit": lambda a: np.hsplit(a, [1])[1],
    "vsplit": lambda a: np.vsplit(a, [2])[0],
    "column_stack": lambda a: np.column_stack([a[:, 0], a[:, 1:]]),
    "append": lambda a: np.append(a, a[:1], axis=0),
    "append_flat": lambda a: np.append(a, a[0]),
    "gradient": lambda a: np.gradient(a, 0.5, axis=1),
    "gradient_both": lambda a: np.gradient(a, 0.5, 2.0)[0],
    "einsum_sublist": lambda a: np.einsum(a, [0, 1], [1, 0]),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_linear_maps_apply_to_every_seed(name):
    f = LINEAR[name]
    rng = np.random.default_rng(7)
    a = rng.normal(size=(3, 4))
    k = 2
    e1, e2 = rng.normal(size=(3, 4, k)), rng.normal(size=(3, 4, k))
    d = f(dd.Dual(a, e1))
    close(d.value, f(a), rtol=0, atol=0)
    for j in range(k):
        want = f(e1[..., j]) - (f(np.zeros_like(a)) if name == "pad_constant" else 0.0)
        close(d.eps[..., j], want, rtol=1e-15, atol=1e-15)
    h = f(dd.HyperDual(a, e1, e2, 0.0))
    close(h.value, f(a), rtol=0, atol=0)
    assert not np.any(h.eps12)


def test_pad_constant_values_and_errors():
    d = np.pad(dd.Dual(np.array([1.0, 2.0]), 1.0), (1, 2), constant_values=(5.0, 7.0))
    close(d.value, [5, 1, 2, 7, 7])
    close(d.eps, [0, 1, 1, 0, 0])
    with pytest.raises(TypeError, match="mode='mean'"):
        np.pad(dd.Dual(np.ones(2), 1.0), 1, mode="mean")


def test_select_nan_to_num_round():
    x = np.array([-2.0, 0.5, 3.0])
    g = dd.grad(lambda v: np.sum(np.select([v < 0, v < 1], [v ** 2, 3 * v], default=v ** 3)))(x)
    close(g, [-4.0, 3.0, 27.0])
    d = np.nan_to_num(dd.Dual(np.array([np.nan, 1.0, np.inf]), np.array([1.0, 2.0, 3.0])), posinf=9.0)
    close(d.value, [0.0, 1.0, 9.0])
    close(d.eps, [0.0, 2.0, 0.0])
    for r in (np.round(dd.Dual(x * 1.37, 1.0), 1), np.around(dd.HyperDual(x, 1.0, 1.0))):
        assert not np.any(r.eps if isinstance(r, dd.Dual) else r.eps12)
    close(np.round(dd.Dual(x * 1.37, 1.0), 1).value, np.round(x * 1.37, 1))


def test_ufunc_spellings():
    x = dd.HyperDual(0.7, 1.0, 1.0)
    for f, d1 in ((np.radians, np.pi / 180), (np.degrees, 180 / np.pi), (np.fabs, 1.0)):
        r = f(x)
        close(r.value, f(0.7))
        close(r.eps1, d1)
    r = np.logaddexp2(dd.Dual(1.0, 1.0), 2.0)
    close(r.eps, 1 / 3)   # 2^1 / (2^1 + 2^2)
    close(np.fmod(dd.Dual(7.5, 1.0), dd.Dual(2.0, 1.0)).eps, 1 - 3)
    close(np.fmax(dd.Dual(np.nan, 1.0), 2.0).value, 2.0)
    close(np.sinc(dd.Dual(0.0, 1.0)).eps, 0.0)
    close(dd.second_derivative(np.sinc)(0.0), -np.pi ** 2 / 3)


def test_einsum_sublist_form_matches_the_string_form():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    dA = rng.normal(size=A.shape)
    s = np.einsum(dd.Dual(A, dA), [0, 1], B, [1, 2], [0, 2])
    close(s.value, A @ B)
    close(s.eps, dA @ B)
    t = np.einsum(dd.Dual(A, dA), [Ellipsis, 1], B, [1, 2])
    close(t.value, A @ B)
