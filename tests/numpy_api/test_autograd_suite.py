"""autograd's own numpy tests, run through dualdiff (code we did not write).

The function bodies come from autograd's test suite (github.com/HIPS/autograd, ``tests/``;
each case names its file and test).  They are written once, as ``body(np, *args)``: called
with plain ``numpy`` and dual numbers they run through dualdiff, called with
``autograd.numpy`` and autograd's boxes they run through autograd -- the same code.

Oracles:

* **autograd** (reverse mode, an independent implementation): its ``jacobian`` of the same
  body at the same random point, compared with ``dd.jacobian`` (each argument alone, with its
  original Python type, and all arguments packed into one vector so that cross terms such as
  ∂²(x·y)/∂x∂y are seen), with ``dd.jvp`` and with the ε part of the body run on
  ``dd.Dual(x, v)`` inputs; second order: ``dd.hessian`` (small inputs) or ``dd.hvp`` of
  s(z) = Σ w·f(z) (w random) against autograd's ``hessian`` / its Hessian-vector product.
* **numpy**: the value part of f on dual inputs against plain numpy on the floats (same
  shapes, same dtype, same numbers).
* **closed forms** (run without autograd): a few cases whose derivatives autograd states
  analytically in its tests (``test_direct.py``, ``test_jacobian.py``, the list-of-boxes
  tests, power at 0).

Tolerances: both sides are exact derivatives rounded in float64; they differ only in the
order of the floating-point operations.  rtol 1e-10, and an absolute floor of 1e-11 times the
largest entry of the reference (an entry that cancels to ~0 carries a rounding error of
about n·eps times the scale of its terms, n ≤ 1000 here).  Values: numpy's own
algorithm on the value part, so rtol 1e-13 (exact for all but the products and the
matrix functions, which dualdiff evaluates through its own einsum/solves).

Complex inputs of autograd's tests are left out: dual numbers here are real.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as onp
import pytest

import dualdiff as dd

try:
    import autograd
    import autograd.numpy as anp
    from autograd.builtins import SequenceBox
except ImportError:  # pragma: no cover - autograd is in the bench extras only
    autograd = anp = None
    SequenceBox = tuple

pytestmark = [
    # np.r_ and np.array([...]) of duals make object arrays of scalar duals (exact, slow: said once)
    pytest.mark.filterwarnings("ignore::dualdiff.numpy_api.ObjectArrayWarning"),
    pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:autograd"),  # its "r_ is slow", "independent of input"
]

needs_autograd = pytest.mark.skipif(autograd is None, reason="autograd is not installed (bench extras)")

RTOL = 1e-10
FLOOR = 1e-11
VALUE_RTOL = 1e-13
FULL_HESSIAN_MAX = 12  # inputs up to this size: full Hessian; larger: one Hessian-vector product


@dataclass
class Case:
    """One autograd test body: ``body(np, *args, **kwargs)``, differentiated in args[argnums]."""

    id: str
    src: str                     # autograd's file::test it comes from
    body: Callable[..., Any]
    args: tuple
    argnums: tuple[int, ...] = (0,)
    kwargs: dict = field(default_factory=dict)
    second: bool = True          # second order makes sense (f is C² at the point)
    refused: str = ""            # dualdiff refuses it: a part of the message (test_refused)


CASES: list[Case] = []
REFUSED: list[Case] = []  # refused by dualdiff with an error that says why (checked in test_refused)


def _rng(seed: int) -> Callable[..., Any]:
    g = onp.random.default_rng(seed)

    def R(*shape: int) -> Any:
        return g.standard_normal(shape) if shape else float(g.standard_normal())
    return R


def add(id: str, src: str, body: Callable[..., Any], *args: Any, argnums: tuple[int, ...] | None = None,
        second: bool = True, refused: str = "", **kwargs: Any) -> None:
    if argnums is None:
        argnums = tuple(i for i, a in enumerate(args) if _is_float(a))
    (REFUSED if refused else CASES).append(Case(id, src, body, args, argnums, kwargs, second, refused))


def _is_float(a: Any) -> bool:
    return isinstance(a, float) or (isinstance(a, onp.ndarray) and a.dtype == onp.float64)


def combo(id: str, src: str, body: Callable[..., Any], arg_lists: list[list[Any]], argnums: tuple[int, ...],
          second: bool = True, **kw_lists: list[Any]) -> None:
    """autograd's combo_check: every combination of the arguments and keyword values."""
    import itertools
    keys = list(kw_lists)
    n = 0
    for args in itertools.product(*arg_lists):
        for vals in itertools.product(*(kw_lists[k] for k in keys)):
            add(f"{id}-{n}", src, body, *args, argnums=argnums, second=second, **dict(zip(keys, vals, strict=True)))
            n += 1


def npf(name: str) -> Callable[..., Any]:
    """The numpy function ``name`` of whichever numpy the body is given (np.sum, np.linalg.inv, ...)."""
    def body(np: Any, *a: Any, **k: Any) -> Any:
        f = np
        for part in name.split("."):
            f = getattr(f, part)
        return f(*a, **k)
    body.__name__ = name
    return body


# -- tests/test_numpy.py ------------------------------------------------------------------------

def _test_numpy() -> None:
    R = _rng(1)
    S = "test_numpy.py::"
    mat1, mat2, vect1, vect2, vect3 = R(10, 11), R(10, 11), R(10), R(11), R(11)
    dot = npf("dot")
    add("dot-mv", S + "test_dot", dot, mat1, vect2)
    add("dot-mm", S + "test_dot", dot, mat1, mat2.T)        # a transposed view
    add("dot-vm", S + "test_dot", dot, vect1, mat1)
    add("dot-vv", S + "test_dot", dot, vect2, vect3)
    float1 = R()
    add("dot-mf", S + "test_dot_with_floats", dot, mat1, float1)
    add("dot-fm", S + "test_dot_with_floats", dot, float1, mat1)
    add("dot-vf", S + "test_dot_with_floats", dot, vect1, float1)
    add("dot-fv", S + "test_dot_with_floats", dot, float1, vect1)
    add("outer", S + "test_outer", npf("outer"), vect2, vect3)
    mat, mat3 = R(10, 11), R(3, 4, 5)
    for red in ("max", "min"):
        add(red, S + f"test_{red}", npf(red), mat)
        add(f"{red}-axis", S + f"test_{red}_axis", lambda np, x, r=red: getattr(np, r)(x, axis=1), mat3)
        add(f"{red}-keepdims", S + f"test_{red}_axis_keepdims",
            lambda np, x, r=red: getattr(np, r)(x, axis=1, keepdims=True), mat3)
    add("sum-1", S + "test_sum_1", lambda np, x: np.sum(x), mat)
    add("sum-2", S + "test_sum_2", lambda np, x: np.sum(x, axis=0), mat)
    add("sum-3", S + "test_sum_3", lambda np, x: np.sum(x, axis=0, keepdims=True), mat)
    add("sum-axis-tuple", S + "test_sum_with_axis_tuple", lambda np, x: np.sum(x, axis=(1, 2)), R(10, 11, 7))
    base = onp.abs(R(5)) + 0.5
    for red in ("sum", "prod", "max", "min"):
        # plain numpy's reduction on the box (autograd: numpy.sum(...) of an ArrayBox)
        add(f"plain-{red}", S + "test_plain_numpy_reductions_on_box",
            lambda np, a, r=red: getattr(onp, r)(np.exp(a) * base), 0.7)
    for name in ("flipud", "fliplr", "rot90"):
        add(name, S + f"test_{name}", npf(name), mat)
    add("cumsum-axis0", S + "test_cumsum_axis0", lambda np, x: np.cumsum(x, axis=0), mat)
    add("cumsum-axis1", S + "test_cumsum_axis1", lambda np, x: np.cumsum(x, axis=1), mat)
    add("cumsum-1d", S + "test_cumsum_1d", lambda np, x: np.cumsum(x), R(10))
    add("cumsum-no-axis", S + "test_cumsum_no_axis", lambda np, x: np.cumsum(x), mat)
    add("builtin-sum", S + "test_non_numpy_sum", lambda np, x, y: sum([x, y]), mat1, mat2)
    add("mean-1", S + "test_mean_1", lambda np, x: np.mean(x), mat)
    add("mean-2", S + "test_mean_2", lambda np, x: np.mean(x, axis=0), mat)
    add("mean-3", S + "test_mean_3", lambda np, x: np.mean(x, axis=0, keepdims=True), mat)
    for red in ("mean", "std", "var"):
        add(f"{red}-list", S + f"test_{red}_list_of_boxes", lambda np, x, r=red: getattr(np, r)([x, x + 2]), 0.3)
        add(f"{red}-tuple", S + f"test_{red}_list_of_boxes", lambda np, x, r=red: getattr(np, r)((x, x + 2)), 0.3)
    A = R(5, 6, 4)
    add("index-ints", S + "test_index_ints", lambda np, x: x[3, 0, 1], A)
    add("index-slice", S + "test_index_slice", lambda np, x: x[::-1, 2:4, :], A)
    add("index-lists", S + "test_index_lists", lambda np, x: x[[0, 1, 2], :, :], A)
    add("index-mixed", S + "test_index_mixed", lambda np, x: x[3, 2:, [1, 3]], A)
    add("vector-slice", S + "test_vector_slice", lambda np, x: x[2:4], R(5))
    add("index-fanout", S + "test_index_slice_fanout", lambda np, x: x[::-1, 2:4, :] + x[::-1, 3:5, :], A)
    add("index-multiple-slices", S + "test_index_multiple_slices", lambda np, x: x[2:6][1:3], R(7))
    add("reshape-method", S + "test_reshape_method", lambda np, x: x.reshape((5 * 4, 6)), A)
    add("reshape-call", S + "test_reshape_call", lambda np, x: np.reshape(x, (5 * 4, 6)), A)
    add("reshape-nolist", S + "test_reshape_method_nolist", lambda np, x: x.reshape(5 * 4, 6), A)
    add("ravel-method", S + "test_ravel_method", lambda np, x: x.ravel(), A)
    add("ravel-call", S + "test_ravel_call", lambda np, x: np.ravel(x), A)
    add("flatten", S + "test_flatten_method", lambda np, x: x.flatten(), A)
    add("append-list", S + "test_simple_append_list", lambda np, a, b: np.append([a, 2.0, a], b), 1.0, 4.0)
    add("append-arr", S + "test_simple_append_arr", npf("append"), onp.array([1.0, 2.0, 3.0]), 4.0)
    add("append-2d", S + "test_simple_append_list_2D", npf("append"),
        onp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), onp.array([[7.0, 8.0, 9.0]]), axis=0)
    B4 = R(4, 6, 4)
    add("concatenate-simple", S + "test_simple_concatenate", lambda np, x: np.concatenate((A, x)), B4)
    add("concatenate-axis0", S + "test_concatenate_axis_0", lambda np, x: np.concatenate((A, x, A)), R(5, 6, 4))
    add("concatenate-axis1", S + "test_concatenate_axis_1", lambda np, x: np.concatenate((A, x, A), axis=1),
        R(5, 6, 4))
    add("concatenate-axis1-unnamed", S + "test_concatenate_axis_1_unnamed",
        lambda np, x: np.concatenate((A, x, A), 1), R(5, 6, 4))
    for off in (-9, -1, 0, 3, 10):
        add(f"trace-{off}", S + "test_trace", lambda np, x, o=off: np.trace(x, offset=o), R(10, 11))
        add(f"trace2-{off}", S + "test_trace2", lambda np, x, o=off: np.trace(x, offset=o), R(11, 10))
    for off in (-5, 0, 2):
        add(f"trace-extradims-{off}", S + "test_trace_extradims", lambda np, x, o=off: np.trace(x, offset=o),
            R(5, 6, 4, 3))
    add("diag", S + "test_diag", npf("diag"), R(10, 10))
    add("transpose-T", S + "test_transpose", lambda np, x: x.T, R(8, 8))
    add("roll", S + "test_roll", lambda np, x: np.roll(x, 2, axis=1), R(4, 5))
    add("roll-no-axis", S + "test_roll_no_axis", lambda np, x: np.roll(x, 2), R(4, 5))
    add("triu", S + "test_triu", lambda np, x: np.triu(x, k=2), R(5, 5))
    add("tril", S + "test_tril", lambda np, x: np.tril(x, k=2), R(5, 5))
    add("clip", S + "test_clip", lambda np, x: np.clip(x, a_min=0.1, a_max=1.1), R(5, 5))
    add("prod-1", S + "test_prod_1", lambda np, x: np.prod(x), R(2, 3) ** 2 / 10.0 + 0.1)
    add("prod-2", S + "test_prod_2", lambda np, x: np.prod(x, axis=0), R(2, 3) ** 2 + 0.1)
    add("prod-3", S + "test_prod_3", lambda np, x: np.prod(x, axis=0, keepdims=True), R(2, 3) ** 2 + 0.1)
    add("prod-4", S + "test_prod_4", lambda np, x: np.prod(x), R(7) ** 2 + 0.1)
    add("array-1d", S + "test_1d_array", lambda np, x: np.array([x, x * 1.0, x + 2.5]), 3.0)
    add("array-2d", S + "test_2d_array", lambda np, x: np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]), 3.0)
    add("array-1d-fanout", S + "test_1d_array_fanout",
        lambda np, x: np.array([x, x * 1.0, x + 2.5]) + np.array([x, x * 1.0, x + 2.5]), 3.0)
    add("array-from-scalar", S + "test_array_from_scalar", lambda np, x: np.array(x), 3.0)
    add("array-from-arrays", S + "test_array_from_arrays", lambda np, x: np.array([x, x]), R(3, 2))
    add("array-from-arrays-2", S + "test_array_from_arrays_2", lambda np, x: np.array([[2 * x, x + 1], [x, x]]),
        R(3, 2))
    c32 = R(3, 2)
    add("r-basic", S + "test_r_basic", lambda np, x: np.r_[x], R(3, 2))
    add("r-double", S + "test_r_double", lambda np, x: np.r_[x, x], R(3, 2))
    add("r-node-and-const", S + "test_r_node_and_const", lambda np, x: np.r_[x, c32], R(3, 2))
    add("r-mixed", S + "test_r_mixed", lambda np, x: np.r_[x, c32, x], R(3, 2))
    c10 = R(10)
    add("r-slicing", S + "test_r_slicing", lambda np, x: np.r_[x, c10, 1:10], R(10))
    add("c-mixed", S + "test_c_mixed", lambda np, x: np.c_[x, c32, x], R(3, 2))
    B3, C34, D13 = R(3), R(3, 4), R(1, 3)
    for red in ("var", "std"):
        combo(f"{red}-ddof", S + f"test_{red}_ddof", npf(red), [[B3, C34, D13]], (0,), axis=[None],
              keepdims=[True, False], ddof=[0, 1])
        combo(f"{red}-ddof2", S + f"test_{red}_ddof", npf(red), [[C34, D13]], (0,), axis=[None, 1],
              keepdims=[True, False], ddof=[2])
    C45 = R(4, 5) > 0
    add("where", S + "test_where", lambda np, x, y: np.where(C45, x, y), R(4, 5), R(4, 5))
    add("squeeze-func", S + "test_squeeze_func", lambda np, x: np.squeeze(x), R(5, 1, 4))
    add("squeeze-method", S + "test_squeeze_method", lambda np, x: x.squeeze(), R(5, 1, 4))
    add("repeat", S + "test_repeat", lambda np, x: np.repeat(x, 2, axis=1), R(5, 3, 4))
    add("repeat-axis1-rep1", S + "test_repeat_axis1_rep1", lambda np, x: np.repeat(x, 1, axis=1), R(5, 3, 4))
    add("repeat-axis0", S + "test_repeat_axis0", lambda np, x: np.repeat(x, 2, axis=0), R(5, 3))
    add("repeat-1d-axis0", S + "test_repeat_1d_axis0", lambda np, x: np.repeat(x, 2, axis=0), R(5))
    add("repeat-axis0-rep1", S + "test_repeat_axis0_rep1", lambda np, x: np.repeat(x, 1, axis=0), R(5, 1))
    add("expand-dims", S + "test_expand_dims", lambda np, x: np.expand_dims(x, 2), R(5, 1, 4))
    add("tensordot-by-position", S + "test_tensordot_kwargs_by_position",
        lambda np, x: np.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2), 1.0)
    add("multi-index", S + "test_multi_index", lambda np, x: np.sum(x[[0, 0]]), R(3))
    add("multi-index2", S + "test_multi_index2", lambda np, x: np.sum(x[[0, 1, 0]]), R(3))
    add("index-dot-slices", S + "test_index_dot_slices", lambda np, x: np.dot(x[:2], x[2:]), R(4))
    add("diagonal", S + "test_diagonal", lambda np, x: np.diagonal(x, axis1=-1, axis2=-2), R(4, 4))
    add("diagonal-3d", S + "test_diagonal", lambda np, x: np.diagonal(x, axis1=-1, axis2=-2), R(3, 4, 4))
    y4 = onp.array([0.0, onp.nan, onp.inf, -onp.inf])
    add("nan-to-num", S + "test_nan_to_num", lambda np, x: np.sum(np.sin(np.nan_to_num(x + y4))), R(4))
    add("max-equal", S + "test_max_equal_values", lambda np, x: np.max(np.array([x, x])), 1.0)
    for x0 in (1.0, -1.0):
        add(f"max-equal-2d-{x0}", S + "test_max_equal_values_2d",
            lambda np, x: np.max(np.array([[x, x], [x, 0.5]]), axis=1), x0)
        add(f"min-3-way-{x0}", S + "test_min_3_way_equality",
            lambda np, x: np.min(np.array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]]), axis=0), x0)
    add("maximum-equal", S + "test_maximum_equal_values", lambda np, x: np.maximum(x, x), 1.0)
    for x0 in (1.0, -1.0, 2.0):
        add(f"maximum-equal-2d-{x0}", S + "test_maximum_equal_values_2d",
            lambda np, x: np.maximum(np.array([x, x, 0.5]), np.array([[x, 0.5, x], [x, x, 0.5]])), x0)
    for num in (0, 1, 5):
        for a, b in ((1.2, 3.4), (1.2, -3.4), (1.2, 1.2)):
            add(f"linspace-{num}-{b}", S + "test_linspace", lambda np, x, y, n=num: np.linspace(x, y, n), a, b)
    add("gradient-1d", S + "test_gradient", npf("gradient"), R(10))
    # square, as in autograd's test: autograd's own VJP of np.gradient's tuple output is wrong
    # for non-square arrays (it adds the (3, 4) and (4, 4) cotangent of the two axes: a
    # broadcasting error), so it is no oracle there; dualdiff's is tested there in
    # test_statistics_and_shape.py against numpy's gradient of the seeds
    add("gradient-2d", S + "test_gradient", npf("gradient"), R(10, 10))
    for a in (None, 0, 1, -1, (0, 1), (0, -1)):
        add(f"gradient-3d-{a}", S + "test_gradient", npf("gradient"), R(4, 4, 4), axis=a)


_test_numpy()


# -- tests/test_systematic.py (with tests/numpy_utils.py's stat_check and ufunc checks) ----------

# autograd's binary checks take every pair of (scalar, vector (k,), matrix (m, k), row (1, k));
# these 7 of the 16 keep the run short and still cover scalar-array, array-scalar, equal
# shapes and broadcasting both ways
PAIRS = ((0, 0), (0, 2), (2, 0), (1, 2), (3, 2), (2, 3), (2, 2))


def _transform(lims: list[float], x: Any) -> Any:
    return x * (lims[1] - lims[0]) + lims[0]


def _test_systematic() -> None:
    g = onp.random.default_rng(0)
    S = "test_systematic.py::"
    R = _rng(0)

    def rand(*shape: int) -> Any:
        return g.random(shape) if shape else float(g.random())

    # stat_check (numpy_utils.py), real inputs
    x, A, B, C, D = 3.5, R(), R(3), R(2, 3), R(1, 3)
    for name in ("max", "mean", "min", "sum", "prod", "var", "std"):
        f = npf(name)
        combo(f"stat-{name}-scalar", S + f"test_{name}", f, [[x, A]], (0,))
        combo(f"stat-{name}-a0", S + f"test_{name}", f, [[B, C, D]], (0,), axis=[None, 0], keepdims=[True, False])
        combo(f"stat-{name}-a1", S + f"test_{name}", f, [[C, D]], (0,), axis=[None, 0, 1], keepdims=[True, False])

    # unary_ufunc_check (numpy_utils.py), real inputs
    def unary(name: str, lims: list[float] | None = None, body: Callable[..., Any] | None = None) -> None:
        lims = lims or [-2, 2]
        # autograd's scalar, (2,), (3, 2) and (1, 2) inputs, less the (2,) one (a short run)
        args = [_transform(lims, 0.4), _transform(lims, rand(3, 2)), _transform(lims, rand(1, 2))]
        smooth = name not in ("ceil", "floor", "sign", "abs", "absolute", "fabs")
        combo(f"ufunc-{name}", S + f"test_{name}", body or npf(name), [args], (0,), second=smooth)

    unary("sin"), unary("abs", [0.1, 4.0]), unary("absolute", [0.1, 4.0]), unary("arccosh", [1.1, 4.0])
    unary("arcsinh", [-0.9, 0.9]), unary("arctanh", [-0.9, 0.9]), unary("ceil", [-1.5, 1.5]), unary("cos")
    unary("cosh"), unary("deg2rad"), unary("degrees", body=lambda np, x: np.degrees(x) / 50.0), unary("exp")
    unary("exp2"), unary("expm1"), unary("fabs"), unary("floor", [-1.5, 1.5]), unary("log", [0.2, 2.0])
    unary("log10", [0.2, 2.0]), unary("log1p", [0.2, 2.0]), unary("log2", [0.2, 2.0])
    unary("rad2deg", body=lambda np, x: np.rad2deg(x) / 50.0), unary("radians"), unary("sign"), unary("sinh")
    unary("sqrt", [1.0, 3.0]), unary("square"), unary("tan", [-1.1, 1.1]), unary("tanh"), unary("real")
    unary("real_if_close"), unary("imag"), unary("conj"), unary("conjugate"), unary("angle")

    # binary_ufunc_check (numpy_utils.py), real inputs
    def binary(name: str, body: Callable[..., Any], lims_a: list[float] | None = None,
               lims_b: list[float] | None = None, same: bool = True, second: bool = True) -> None:
        la, lb = lims_a or [-2, 2], lims_b or [-2, 2]
        if same:
            shapes = [0.6, rand(2), rand(3, 2), rand(1, 2)]
            a = [_transform(la, s) for s in shapes]
            b = [_transform(lb, s) for s in shapes]
        else:
            a = [_transform(la, s) for s in (0.6, rand(2), rand(3, 2), rand(1, 2))]
            b = [_transform(lb, s) for s in (0.7, rand(2), rand(3, 2), rand(1, 2))]
        for n, (i, j) in enumerate(PAIRS):
            add(f"binary-{name}-{n}", S + f"test_{name}", body, a[i], b[j], argnums=(0, 1), second=second)

    binary("add", npf("add")), binary("logaddexp", npf("logaddexp")), binary("logaddexp2", npf("logaddexp2"))
    binary("remainder", npf("remainder"), [-0.9, 0.9], [0.7, 1.9], same=False)
    binary("true_divide", npf("true_divide"), lims_b=[0.8, 1.2])
    binary("mod", npf("mod"), lims_b=[0.8, 2.1], same=False)
    binary("true_divide_neg", npf("true_divide"), lims_b=[-0.3, -2.0])
    binary("mod_neg", npf("mod"), lims_b=[-0.3, -2.0], same=False)
    binary("op_mul", lambda np, a, b: op.mul(a, b)), binary("op_add", lambda np, a, b: op.add(a, b))
    binary("op_sub", lambda np, a, b: op.sub(a, b))
    binary("op_mod", lambda np, a, b: op.mod(a, b), lims_b=[0.3, 2.0], same=False)
    binary("op_mod_neg", lambda np, a, b: op.mod(a, b), lims_b=[-0.3, -2.0], same=False)

    combo("transpose", S + "test_transpose", npf("transpose"), [[R(2, 3, 4)]], (0,),
          axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]])
    combo("moveaxis", S + "test_moveaxis", npf("moveaxis"), [[R(2, 3, 4)]], (0,), source=[0, 1, 2],
          destination=[0, 1, 2])
    combo("repeat", S + "test_repeat", npf("repeat"), [[R(2, 3, 4), R(3, 1)]], (0,), repeats=[0, 1, 2],
          axis=[None, 0, 1])
    combo("diff", S + "test_diff", npf("diff"), [[R(5, 5), R(5, 5, 5)]], (0,), n=[1, 2], axis=[0, 1])
    combo("diff-1", S + "test_diff", npf("diff"), [[R(1), R(1, 1)]], (0,), axis=[0])
    combo("diff-2", S + "test_diff", npf("diff"), [[R(1, 1), R(3, 1)]], (0,), axis=[1])
    combo("gradient", S + "test_gradient", npf("gradient"), [[R(5, 5), R(5, 5, 5)]], (0,), axis=[None, 0, 1, -1])
    combo("gradient-2", S + "test_gradient", npf("gradient"), [[R(5, 5, 5)]], (0,), axis=[(0, 1), (0, -1)])
    combo("tile", S + "test_tile", npf("tile"), [[R(2, 1, 3, 1)]], (0,), reps=[(1, 4, 1, 2)])
    combo("tile-2", S + "test_tile", npf("tile"), [[R(1, 2)]], (0,), reps=[(1, 2), (2, 3), (3, 2, 1)])
    combo("tile-3", S + "test_tile", npf("tile"), [[R(1)]], (0,), reps=[(2,), 2])
    combo("kron", S + "test_kron", npf("kron"), [[R(5, 5), R(4, 4), R(5), R(5, 1), R(1, 5), R()],
                                                  [R(3, 3), R(2, 2), R(3), R(1, 3), R(3, 1), R()]], (0, 1))
    combo("inner", S + "test_inner", npf("inner"), [[1.5, R(3), R(2, 3)], [0.3, R(3), R(4, 3)]], (0, 1))
    combo("dot", S + "test_dot", npf("dot"), [[1.5, R(3), R(2, 3), R(2, 2, 3)], [0.3, R(3), R(3, 4), R(2, 3, 4)]],
          (0, 1))
    combo("outer", S + "test_outer", npf("outer"), [[R(3)], [R(3)]], (0, 1))
    combo("matmul", S + "test_matmul", npf("matmul"), [[R(3), R(2, 3), R(2, 2, 3)], [R(3), R(3, 4), R(2, 3, 4)]],
          (0, 1))
    combo("matmul-broadcast", S + "test_matmul_broadcast", npf("matmul"), [[R(1, 2, 2)], [R(3, 2, 1)]], (0, 1))
    td = npf("tensordot")
    combo("tensordot-1", S + "test_tensordot_1", td, [[R(1, 3), R(2, 3, 2)], [R(3), R(3, 1), R(3, 4, 2)]], (0, 1),
          axes=[[(1,), (0,)]])
    combo("tensordot-2", S + "test_tensordot_2", td, [[R(3), R(3, 1), R(3, 4, 2)], [R(1, 3), R(2, 3, 2)]], (0, 1),
          axes=[[(0,), (1,)]])
    combo("tensordot-3", S + "test_tensordot_3", td, [[R(2, 3), R(2, 3, 4)], [R(1, 2, 3), R(2, 2, 3, 4)]], (0, 1),
          axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]])
    combo("tensordot-4", S + "test_tensordot_4", td, [[R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)]], (0, 1),
          axes=[1, 2])
    combo("tensordot-5", S + "test_tensordot_5", td, [[R(4)], [R()]], (0, 1), axes=[0])
    combo("tensordot-6", S + "test_tensordot_6", td, [[R(2, 6)], [R(6, 3)]], (0, 1), axes=[[[-1], [0]]])
    combo("tensordot-7", S + "test_tensordot_7", td, [[R(2, 6)], [R(6, 3)]], (0, 1), axes=[[-1, 0]])
    combo("tensordot-8", S + "test_tensordot_8", td, [[R(2)], [R(2, 2)]], (0, 1), axes=[[0, 1]])
    for name in ("maximum", "fmax", "minimum", "fmin"):
        combo(name, S + f"test_{name}", npf(name), [[R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)]], (0, 1),
              second=False)
    combo("sort", S + "test_sort", npf("sort"), [[R(1), R(7)]], (0,))
    combo("partition", S + "test_partition", npf("partition"), [[R(7), R(14)]], (0,), kth=[0, 3, 6])
    for name, extra in (("atleast_1d", []), ("atleast_2d", []), ("atleast_3d", [R(2, 4, 3, 5)])):
        combo(name, S + f"test_{name}", npf(name), [[1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5), *extra]], (0,))
    es = npf("einsum")
    combo("einsum-transpose", S + "test_einsum_transpose", es, [["ij->ji"], [R(1, 1), R(4, 4), R(3, 4)]], (1,))
    combo("einsum-matmult", S + "test_einsum_matmult", es, [["ij,jk->ik"], [R(2, 3)], [R(3, 4)]], (1, 2))
    combo("einsum-matmult-broadcast", S + "test_einsum_matmult_broadcast", es,
          [["...ij,...jk->...ik"], [R(2, 3), R(2, 2, 3)], [R(3, 4), R(2, 3, 4)]], (1, 2))
    combo("einsum-leadzero", S + "test_einsum_matmult_broadcast_leadzero", es,
          [["...ij,...jk->...ik"], [R(0, 2, 3)], [R(0, 3, 4)]], (1, 2))
    combo("einsum-covsum", S + "test_einsum_covsum", es, [["ijk,lji->lki"], [R(3, 4, 4)], [R(4, 4, 3)]], (1, 2))
    combo("einsum-ellipses", S + "test_einsum_ellipses", es,
          [["...jk,...lj->...lk", "...,...->..."], [R(4, 4), R(3, 4, 4)], [R(4, 4), R(3, 4, 4)]], (1, 2))
    combo("einsum-ellipses-tail", S + "test_einsum_ellipses_tail", es,
          [["jk...,lj...->lk..."], [R(3, 2), R(3, 2, 4)], [R(2, 3), R(2, 3, 4)]], (1, 2))
    combo("einsum-ellipses-center", S + "test_einsum_ellipses_center", es,
          [["j...k,lj...->lk..."], [R(2, 2), R(2, 2, 2)], [R(2, 2), R(2, 2, 2)]], (1, 2))
    combo("einsum-three-args", S + "test_einsum_three_args", es,
          [["ijk,lji,lli->lki"], [R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]], (1, 2))
    combo("einsum2-transpose", S + "test_einsum2_transpose", es, [[R(1, 1), R(4, 4), R(3, 4)], [(0, 1)], [(1, 0)]],
          (0,))
    combo("einsum2-matmult", S + "test_einsum2_matmult", es, [[R(2, 3)], [(0, 1)], [R(3, 4)], [(1, 2)], [(0, 2)]],
          (0, 2))
    combo("einsum2-matmult-broadcast", S + "test_einsum2_matmult_broadcast", es,
          [[R(2, 3), R(2, 2, 3)], [(Ellipsis, 0, 1)], [R(3, 4), R(2, 3, 4)], [(Ellipsis, 1, 2)],
           [(Ellipsis, 0, 2)]], (0, 2))
    combo("einsum2-covsum", S + "test_einsum2_covsum", es,
          [[R(3, 4, 4)], [(0, 1, 2)], [R(4, 4, 3)], [(3, 1, 0)], [(3, 2, 0)]], (0, 2))
    combo("einsum2-three-args", S + "test_einsum2_three_args", es,
          [[R(3, 4, 4)], [(0, 1, 2)], [R(4, 4, 3)], [(3, 1, 0)], [R(4, 4, 3)], [(3, 3, 0)], [(3, 2, 0)]],
          (0, 2))  # as autograd's test: its VJP for the operand with a repeated index (3, 3, 0) fails
    combo("einsum-naked-sum", S + "test_einsum_naked_sum", es, [["k,nk->"], [R(5)], [R(10, 5)]], (1, 2))
    combo("einsum-naked-sum2", S + "test_einsum_naked_sum2", es, [["abcd->bd"], [R(3, 2, 3, 2)]], (1,))
    combo("einsum-naked-sum-ellipsis", S + "test_einsum_naked_sum_ellipsis", es,
          [["...k,...nk->..."], [R(3, 5)], [R(3, 10, 5)]], (1, 2))
    combo("einsum-no-output-indices", S + "test_einsum_no_output_indices", es, [["ij,k"], [R(3, 4)], [R(3)]],
          (1, 2))
    combo("trace", S + "test_trace", npf("trace"), [[R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)]], (0,),
          offset=[-1, 0, 1])
    combo("diag", S + "test_diag", npf("diag"), [[R(5, 5)]], (0,), k=[-1, 0, 1])
    combo("diag-flat", S + "test_diag_flat", npf("diag"), [[R(5)]], (0,), k=[-1, 0, 1])
    for name in ("tril", "triu"):
        combo(name, S + f"test_{name}", npf(name), [[R(5, 5)]], (0,), k=[-1, 0, 1])
        combo(f"{name}-3d", S + f"test_{name}_3d", npf(name), [[R(5, 5, 4)]], (0,), k=[-1, 0, 1])
    combo("swapaxes", S + "test_swapaxes", npf("swapaxes"), [[R(3, 4, 5)]], (0,), axis1=[0, 1, 2],
          axis2=[0, 1, 2])
    combo("rollaxis", S + "test_rollaxis", npf("rollaxis"), [[R(2, 3, 4)]], (0,), axis=[0, 1, 2], start=[0, 1, 2])
    # autograd: all 108 combinations of axisa, axisb, axisc in (-1, 0, 1) and axis in (None, -1, 0, 1)
    # (axis overrides the other three); here 12 of them
    a33, b33 = R(3, 3), R(3, 3)
    combo("cross-axis", S + "test_cross", npf("cross"), [[a33], [b33]], (0, 1), axis=[None, -1, 0, 1])
    combo("cross-axes", S + "test_cross", npf("cross"), [[a33], [b33]], (0, 1), axisa=[-1, 0], axisb=[-1, 1],
          axisc=[-1, 0])
    for name, shapes, ns in (("vsplit", [R(4, 8), R(4, 4, 4)], [2, [1, 2]]), ("hsplit", [R(4, 8), R(4, 4, 4)],
                                                                              [2, [1, 2]]),
                             ("dsplit", [R(4, 4, 4)], [2, [1, 2]])):
        combo(name, S + f"test_{name}_2d", npf(name), [shapes, ns], (0,))
    combo("split-1d", S + "test_split_1d", npf("split"), [[R(1), R(7)], [1]], (0,), axis=[0])
    combo("split-2d", S + "test_split_2d", npf("split"), [[R(4, 8)], [4, [1, 2]]], (0,), axis=[0, 1])
    combo("split-3d", S + "test_split_3d", npf("split"), [[R(4, 4, 4)], [2, [1, 2]]], (0,), axis=[0, 1, 2])
    combo("array_split-1d", S + "test_array_split_1d", npf("array_split"), [[R(1), R(7)], [1, 3]], (0,), axis=[0])
    combo("array_split-2d", S + "test_array_split_2d", npf("array_split"), [[R(7, 7)], [4, [3, 5]]], (0,),
          axis=[0, 1])
    combo("array_split-3d", S + "test_array_split_3d", npf("array_split"), [[R(4, 4, 4)], [3, [1, 3]]], (0,),
          axis=[0, 1, 2])
    # concatenate / stack: the differentiated argument is a sequence; its items are arguments here
    seq = lambda name, **k: (lambda np, *xs: getattr(np, name)(xs, **k))  # noqa: E731
    add("concatenate-list", S + "test_concatenate_1ist", seq("concatenate", axis=0), R(1), R(3))
    for ax in (0, 1):
        add(f"concatenate-2d-{ax}", S + "test_concatenate_2d", seq("concatenate", axis=ax), R(2, 2), R(2, 2))
    for ax in (0, 1, 2):
        add(f"concatenate-3d-{ax}", S + "test_concatenate_3d", seq("concatenate", axis=ax), R(2, 2, 2), R(2, 2, 2))
    for name in ("vstack", "hstack", "row_stack", "column_stack"):
        add(f"{name}-1", S + f"test_{name}_1d", npf(name), R(2))
        add(f"{name}-1d", S + f"test_{name}_1d", seq(name), R(2), R(2))
    add("vstack-2d", S + "test_vstack_2d", seq("vstack"), R(2, 4), R(1, 4))
    add("vstack-3d", S + "test_vstack_3d", seq("vstack"), R(2, 3, 4), R(5, 3, 4))
    add("hstack-2d", S + "test_hstack_2d", seq("hstack"), R(3, 4), R(3, 5))
    add("hstack-3d", S + "test_hstack_3d", seq("hstack"), R(2, 1, 4), R(2, 5, 4))
    add("column_stack-2d", S + "test_column_stack_2d", seq("column_stack"), R(2, 2), R(2, 2))
    for ax in (0, 1):
        add(f"stack-1d-{ax}", S + "test_stack_1d", seq("stack", axis=ax), R(2), R(2))
    conds = [R(3, 4, 5) > 0, R(3, 4, 5) > 0, R(3, 4, 5) > 0]
    for default in (0.0, 1.1):
        add(f"select-{default}", S + "test_select", lambda np, a, b, c, d=default: np.select(conds, [a, b, c], default=d),
            R(3, 4, 5), R(3, 4, 5), R(3, 4, 5))
    combo("pad", S + "test_pad", npf("pad"), [[R(2, 2)], [0, 3, (3,), (3, 2), ((3, 2),), ((1, 2), (3, 4)), ((0, 0), (0, 0))],
                                              ["constant"]], (0,))


_test_systematic()


# -- tests/test_scalar_ops.py, tests/test_binary_ops.py, tests/test_truediv.py -----------------------

def _test_scalar_ops() -> None:
    g = onp.random.default_rng(1)
    S = "test_scalar_ops.py::"
    randn, rand = (lambda: float(g.standard_normal())), (lambda: float(g.random()))
    three = lambda name: (lambda np, x: 3.0 * getattr(np, name)(x))  # noqa: E731
    for x0 in (1.1, -1.1):
        add(f"abs-{x0}", S + "test_abs", three("abs"), x0)
        add(f"absolute-{x0}", S + "test_absolute", three("absolute"), x0)
        add(f"sign-{x0}", S + "test_sign", three("sign"), x0)
    for name in ("sin", "exp", "cos", "tan", "cosh", "sinh", "tanh", "arcsinh"):
        add(name, S + f"test_{name}", three(name), randn())
    for name in ("log", "log2", "log10", "log1p", "expm1", "exp2"):
        add(name, S + f"test_{name}", three(name), abs(randn()))
    add("neg", S + "test_neg", lambda np, x: 3.0 * -x, randn())
    add("arccos", S + "test_arccos", three("arccos"), 0.1)
    add("arcsin", S + "test_arcsin", three("arcsin"), 0.1)
    add("arctan", S + "test_arctan", three("arctan"), 0.2)
    add("arccosh", S + "test_arccosh", three("arccosh"), randn() ** 2 + 1.2)
    add("arctanh", S + "test_arctanh", three("arctanh"), 0.2)
    add("sqrt", S + "test_sqrt", three("sqrt"), 10.0 * rand())
    y = randn() ** 2 + 1.0
    add("power-arg0", S + "test_power_arg0", lambda np, x: np.power(x, y), rand() ** 2 + 1.0)
    x = randn() ** 2
    add("power-arg1", S + "test_power_arg1", lambda np, y: np.power(x, y), rand() ** 2)
    add("power-arg1-zero", S + "test_power_arg1_zero", lambda np, y: np.power(0.0, y), rand() ** 2)
    for name in ("mod", "divide", "multiply", "true_divide"):
        add(f"{name}-args", S + f"test_{name}_arg0", npf(name), rand(), rand())
    add("reciprocal", S + "test_reciprocal", npf("reciprocal"), rand())
    add("negative", S + "test_negative", npf("negative"), rand())
    for name in ("rad2deg", "deg2rad", "radians", "degrees", "sinc"):
        add(name, S + f"test_{name}", three(name), 10.0 * rand())

    B = "test_binary_ops.py::"
    rs = onp.random.RandomState(0)
    scalar, vector, mat, mat2 = 2.0, rs.randn(4), rs.randn(3, 4), rs.randn(1, 4)
    pairs = [(a, b) for a in (scalar, vector, mat, mat2) for b in (scalar, vector, mat, mat2)]
    gap = lambda x: onp.sqrt(x**2 + 0.5)  # noqa: E731
    for n, (a, b) in enumerate((pairs[4 * i + j] for i, j in PAIRS)):
        add(f"bin-mul-{n}", B + "test_mul", lambda np, x, y: x * y, a, b)
        add(f"bin-add-{n}", B + "test_add", lambda np, x, y: x + y, a, b)
        add(f"bin-sub-{n}", B + "test_sub", lambda np, x, y: x - y, a, b)
        add(f"bin-div-{n}", B + "test_div", lambda np, x, y: x / y, gap(a), gap(b))
        if a is not b:
            add(f"bin-mod-{n}", B + "test_mod", lambda np, x, y: x % y, gap(a), gap(b))
        add(f"bin-pow-{n}", B + "test_pow", lambda np, x, y: x**y, onp.abs(a) + 1.1, b)
        add(f"bin-arctan2-{n}", B + "test_arctan2", npf("arctan2"), a, b)
        add(f"bin-hypot-{n}", B + "test_hypot", npf("hypot"), a, b)


_test_scalar_ops()


# -- tests/test_linalg.py (real matrices) ------------------------------------------------------------

def _test_linalg() -> None:
    S = "test_linalg.py::"
    g = onp.random.RandomState(1)
    R = g.randn
    T = lambda np, A: np.swapaxes(A, -1, -2)  # noqa: E731

    def rand_psd(D: int) -> Any:
        m = R(D, D)
        return m @ m.T

    def sym(body: Callable[..., Any]) -> Callable[..., Any]:
        """check_symmetric_matrix_grads: f of the symmetrised lower triangle."""
        def wrapped(np: Any, A: Any, *rest: Any) -> Any:
            L = np.tril(A)
            return body(np, (L + T(np, L)) / 2.0, *rest)
        return wrapped

    D = 8
    mat = R(D, D)
    add("inv", S + "test_inv", npf("linalg.inv"), mat @ mat + onp.eye(D))
    for M in (2, 4, 5, 7):
        add(f"pinv-{M}", S + "test_pinv", npf("linalg.pinv"), R(5, M))
        add(f"pinv-stacked-{M}", S + "test_pinv", npf("linalg.pinv"), R(2, 5, M))
        # xᵀx of a 5 x 7 x has rank 5 < 7: differentiable along this rank-preserving path, but
        # dualdiff cannot know the path and refuses rank-deficient matrices
        # second order: autograd's is 4e-9 off here (κ(xᵀx) ≈ 840); see test_pinv_hessian_mpmath
        add(f"pinv-low-rank-{M}", S + "test_pinv", lambda np, x: np.linalg.pinv(T(np, x) @ x), R(5, M),
            refused="rank-deficient" if M > 5 else "", second=False)
    add("inv-3d", S + "test_inv_3d", npf("linalg.inv"), R(4, 4, 4) + 5 * onp.eye(4))
    add("inv-4d", S + "test_inv_3d", npf("linalg.inv"), R(2, 3, 4, 4) + 5 * onp.eye(4))
    A8, B87, B8 = R(D, D) + 10.0 * onp.eye(D), R(D, D - 1), R(D)
    add("solve-arg1", S + "test_solve_arg1", lambda np, a: np.linalg.solve(a, B87), A8)
    add("solve-arg1-1d", S + "test_solve_arg1_1d", lambda np, a: np.linalg.solve(a, B8), A8)
    A6 = R(6, 6) + onp.eye(6)
    add("solve-arg2", S + "test_solve_arg2", lambda np, b: np.linalg.solve(A6, b), R(6, 5))
    add("solve-both", S + "test_solve_arg1/arg2", npf("linalg.solve"), A6, R(6, 5))
    B54 = R(5, 4)
    add("solve-3d", S + "test_solve_arg1_3d", lambda np, a: np.linalg.solve(a, B54[..., None])[..., 0],
        R(5, 4, 4) + 5 * onp.eye(4))
    B546 = R(5, 4, 6)
    add("solve-3d-3d", S + "test_solve_arg1_3d_3d", lambda np, a: np.linalg.solve(a, B546),
        R(5, 4, 4) + 5 * onp.eye(4))
    add("det", S + "test_det", npf("linalg.det"), R(6, 6))
    add("det-3d", S + "test_det_3d", npf("linalg.det"), R(3, 3, 3))
    m6 = R(6, 6)
    add("slogdet", S + "test_slogdet", lambda np, x: np.linalg.slogdet(x)[1], m6)
    add("slogdet-neg", S + "test_slogdet", lambda np, x: np.linalg.slogdet(x)[1], -m6)
    add("slogdet-3d", S + "test_slogdet_3d", lambda np, x: np.sum(np.linalg.slogdet(x)[1]),
        onp.stack([rand_psd(5) + 5 * onp.eye(5) for _ in range(3)]))
    add("norm-vector", S + "test_vector_2norm", npf("linalg.norm"), R(6))
    add("norm-list", S + "test_norm_list_of_boxes", lambda np, x: np.linalg.norm([x, x + 2]), 0.3)
    add("norm-tuple", S + "test_norm_list_of_boxes", lambda np, x: np.linalg.norm((x, x + 2)), 0.3)
    add("norm-frobenius", S + "test_frobenius_norm", npf("linalg.norm"), R(6, 5))
    add("norm-frobenius-axis", S + "test_frobenius_norm_axis", lambda np, x: np.linalg.norm(x, axis=(0, 1)),
        R(6, 5, 4))
    for o in (2, 3, 4):
        add(f"norm-ord-{o}", S + "test_vector_norm_ord", lambda np, x, o=o: np.linalg.norm(x, ord=o), R(6))
    for ax in (0, 1, 2):
        add(f"norm-axis-{ax}", S + "test_norm_axis", lambda np, x, a=ax: np.linalg.norm(x, axis=a), R(6, 5, 4))
    add("norm-nuclear", S + "test_norm_nuclear", lambda np, x: np.linalg.norm(x, ord="nuc"), R(6, 5))
    add("norm-nuclear-axis", S + "test_norm_nuclear_axis", lambda np, x: np.linalg.norm(x, ord="nuc", axis=(0, 1)),
        R(6, 5, 4))
    add("eigh-lower", S + "test_eigvalh_lower", lambda np, x: tuple(np.linalg.eigh(x)), R(6, 6))
    add("eigh-upper", S + "test_eigvalh_upper", lambda np, x: tuple(np.linalg.eigh(x, "U")), R(6, 6))
    m = R(2, 3, 6, 6) + 10 * onp.eye(6)
    hm = onp.einsum("...ij,...kj->...ik", m, m)
    add("eigh-broadcasting", S + "test_eigvalh_lower_broadcasting", lambda np, x: tuple(np.linalg.eigh(x)), hm)
    add("eigh-upper-broadcasting", S + "test_eigvalh_upper_broadcasting",
        lambda np, x: tuple(np.linalg.eigh(x, "U")), hm)
    add("eig-real", S + "test_eig_real", lambda np, x: tuple(np.abs(w) for w in np.linalg.eig(x)), R(8, 8),
        refused="np.linalg.eig is not supported")  # complex eigenvalues: dual numbers are real
    add("cholesky", S + "test_cholesky", sym(npf("linalg.cholesky")), rand_psd(6))
    add("cholesky-broadcast", S + "test_cholesky_broadcast", sym(npf("linalg.cholesky")),
        onp.stack([rand_psd(6) for _ in range(3)]))
    z6 = onp.random.RandomState(0).randn(6)
    add("cholesky-reparameterization", S + "test_cholesky_reparameterization_trick",
        sym(lambda np, A: np.linalg.norm(np.dot(np.linalg.cholesky(A), z6))), rand_psd(6))
    for shape in ((3, 5), (4, 3, 5), (4, 4), (3, 4, 4), (5, 3), (4, 5, 3)):
        add(f"svd-{shape}", S + "test_svd_*", lambda np, x: tuple(np.linalg.svd(x, full_matrices=False)), R(*shape))
    for shape in ((5, 3), (4, 5, 3)):
        add(f"svd-only-s-{shape}", S + "test_svd_only_s_*",
            lambda np, x: np.linalg.svd(x, full_matrices=False, compute_uv=False), R(*shape))


_test_linalg()


# -- tests/test_jacobian.py, tests/test_logic.py, tests/test_numpy.py's sum over np.sum(...) ------------

def _test_misc() -> None:
    add("jacobian-against-grad", "test_jacobian.py::test_jacobian_against_grad",
        lambda np, x: np.sum(np.sin(x), axis=1, keepdims=True), _rng(2)(1, 3))
    add("jacobian-higher-order", "test_jacobian.py::test_jacobian_higher_order",
        lambda np, x: np.sin(np.outer(x, x)) + np.cos(np.dot(x, x)), _rng(3)(2))
    add("jacobian-stacked", "test_jacobian.py::test_jacobian_against_stacked_grads",
        lambda np, x: np.array([np.sum(x**3), np.prod(np.sin(x) + np.sin(x))]), _rng(4)(5))

    def logic(np: Any, x: Any) -> Any:
        assert np.allclose(x, (x * 3.0) / 3.0)
        return np.sum(x)
    add("assert-allclose", "test_logic.py::test_assert", logic, onp.array([1.0, 2.0, 3.0]))


_test_misc()


# -- the checks ---------------------------------------------------------------------------------

def _flat(np: Any, out: Any) -> Any:
    """A tuple or list of outputs (split, eigh, svd ...) as one vector, the same way on both sides."""
    if isinstance(out, (tuple, list, SequenceBox)):  # autograd's boxed list: a SequenceBox
        return np.concatenate([np.ravel(o) for o in out])
    return out


def _close(got: Any, want: Any, what: str) -> None:
    got, want = onp.asarray(got, dtype=float), onp.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    finite = onp.abs(want[onp.isfinite(want)])
    floor = FLOOR * max(finite.max() if finite.size else 0.0, 1.0)
    onp.testing.assert_allclose(got, want, rtol=RTOL, atol=floor, equal_nan=True, err_msg=what)


def _from_object(a: Any) -> Any:
    """An object array of scalar duals (what np.array([x, 2 * x]) makes of duals, as numpy
    cannot be told otherwise) as the dual array it stands for; of plain numbers, as floats."""
    if not (isinstance(a, onp.ndarray) and a.dtype == object):
        return a
    if any(isinstance(e, dd.Dual) for e in a.flat):
        return dd.numpy_api.as_array(a)
    return a.astype(float)


def _with(args: tuple, i: int, a: Any) -> tuple:
    return args[:i] + (a,) + args[i + 1:]


def _pack(c: Case) -> tuple[Any, Callable[[Any, Any], tuple], list[slice]]:
    """The differentiated arguments as one vector z, unpack(np, z) -> the full argument
    tuple, and each argument's slice of z."""
    parts = [onp.ravel(onp.asarray(c.args[i], dtype=float)) for i in c.argnums]
    z = onp.concatenate(parts) if parts else onp.zeros(0)
    offsets = onp.cumsum([0] + [p.size for p in parts])
    slices = [slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    def unpack(np: Any, z: Any) -> tuple:
        args = c.args
        for i, sl in zip(c.argnums, slices, strict=True):
            shape = onp.shape(c.args[i])
            args = _with(args, i, z[sl.start] if shape == () else z[sl].reshape(shape))
        return args
    return z, unpack, slices


def _ag_jacobian(fa: Callable[[Any], Any], z: Any) -> Any:
    """autograd's Jacobian (out.size, z.size); for an empty output or input (which autograd's
    jacobian cannot stack) the empty array."""
    out_size = int(onp.prod(onp.shape(fa(z))))
    if out_size == 0 or z.size == 0:
        return onp.zeros((out_size, z.size))
    return onp.asarray(autograd.jacobian(fa)(z)).reshape(out_size, z.size)


def check_case(c: Case) -> None:
    """One autograd test body through dualdiff, against numpy (values) and autograd."""
    z, unpack, slices = _pack(c)
    fd = lambda z: _flat(onp, c.body(onp, *unpack(onp, z), **c.kwargs))  # noqa: E731
    fa = lambda z: _flat(anp, c.body(anp, *unpack(anp, z), **c.kwargs))  # noqa: E731
    J = _ag_jacobian(fa, z)  # columns: the arguments' blocks, in order

    # f on dd.Dual(x_i, v_i) inputs: the value part is numpy's on the floats (shape, dtype,
    # numbers); the ε part is Σᵢ Jᵢ vᵢ = J v
    g = onp.random.default_rng(7)
    v = g.standard_normal(z.shape)
    duals = c.args
    for i, sl in zip(c.argnums, slices, strict=True):
        vi = v[sl.start] if isinstance(c.args[i], float) else v[sl].reshape(onp.shape(c.args[i]))
        duals = _with(duals, i, dd.Dual(c.args[i], vi))
    want = c.body(onp, *c.args, **c.kwargs)
    got = c.body(onp, *duals, **c.kwargs)
    many = isinstance(want, (tuple, list))
    outs_w, outs_g = (list(want), list(got)) if many else ([want], [got])
    assert len(outs_g) == len(outs_w)
    outs_g = [_from_object(o) for o in outs_g]
    for gk, wk in zip(outs_g, outs_w, strict=True):
        val = gk.value if isinstance(gk, dd.Dual) else gk
        assert onp.shape(val) == onp.shape(wk), f"value shape {onp.shape(val)} != numpy's {onp.shape(wk)}"
        assert onp.asarray(val).dtype == onp.asarray(wk).dtype, f"dtype {onp.asarray(val).dtype} != numpy's"
        onp.testing.assert_allclose(val, wk, rtol=VALUE_RTOL, atol=0, equal_nan=True, err_msg="value")
    eps = [o.eps if isinstance(o, dd.Dual) else onp.zeros(onp.shape(o)) for o in outs_g]
    eps = onp.concatenate([onp.ravel(e) for e in eps])
    _close(eps, J @ v, "ε part of f(Dual(x, v))")

    # dd.jacobian in each argument alone, with its own Python type
    for i, sl in zip(c.argnums, slices, strict=True):
        got = dd.jacobian(lambda a, i=i: _flat(onp, c.body(onp, *_with(c.args, i, a), **c.kwargs)))(c.args[i])
        out_shape = onp.shape(fd(z))
        _close(got, J[:, sl].reshape(out_shape + onp.shape(c.args[i])), f"jacobian in argument {i}")

    # all arguments packed into z: jacobian, jvp, second order of s(z) = Σ w·f(z)
    out_shape = onp.shape(fd(z))
    _close(dd.jacobian(fd)(z), J.reshape(out_shape + z.shape), "packed jacobian")
    u = g.standard_normal(z.shape)
    val, tan = dd.jvp(fd, z, u)
    _close(val, fd(z), "jvp value")
    _close(tan, (J @ u).reshape(out_shape), "jvp tangent")
    if not c.second or z.size == 0 or 0 in out_shape:
        return
    w = g.standard_normal(out_shape)
    sd = lambda z: onp.sum(w * fd(z))  # noqa: E731
    sa = lambda z: anp.sum(w * fa(z))  # noqa: E731
    if z.size <= FULL_HESSIAN_MAX:
        _close(dd.hessian(sd)(z), autograd.hessian(sa)(z), "hessian of Σ w·f")
    else:
        ref = autograd.grad(lambda z: anp.dot(autograd.grad(sa)(z), u))(z)
        _close(dd.hvp(sd, z, u), ref, "hvp of Σ w·f")


@needs_autograd
@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_against_autograd(c: Case) -> None:
    check_case(c)


@pytest.mark.parametrize("c", REFUSED, ids=[c.id for c in REFUSED])
def test_refused(c: Case) -> None:
    """What dualdiff refuses, it refuses with an error naming the reason (never a number)."""
    for i in c.argnums:
        with pytest.raises((TypeError, ValueError), match=c.refused):
            dd.jacobian(lambda a, i=i: _flat(onp, c.body(onp, *_with(c.args, i, a), **c.kwargs)))(c.args[i])


# -- closed forms (no autograd needed) ---------------------------------------------------------------

def test_direct_grad() -> None:
    """test_direct.py::test_grad / test_deriv: d/dx (x + sin x²)·x = x + sin x² + x(1 + 2x cos x²)."""
    f = lambda x: (x + onp.sin(x**2)) * x  # noqa: E731
    x = 1.3
    want = x + onp.sin(x**2) + x * (1 + 2 * x * onp.cos(x**2))
    assert abs(want - 3.190948746871) < 1e-6  # autograd's stated number
    assert dd.grad(f)(x) == pytest.approx(want, rel=1e-15)
    assert dd.derivative(f)(x) == pytest.approx(want, rel=1e-15)


def test_jacobian_scalar_to_vector() -> None:
    """test_jacobian.py::test_jacobian_scalar_to_vector: d/dx (x, x², x³) = (1, 2x, 3x²)."""
    x = 0.7
    onp.testing.assert_allclose(dd.jacobian(lambda x: onp.array([x, x**2, x**3]))(x), [1.0, 2 * x, 3 * x**2],
                                rtol=1e-15)


def test_jacobian_of_jacobian() -> None:
    """test_jacobian.py::test_jacobian_higher_order, nested: f = sin(x xᵀ) + cos(x·x), with
    J_ijk = cos(x_i x_j)(δ_ik x_j + x_i δ_jk) − 2 sin(x·x) x_k and its derivative in x_l."""
    f = lambda x: onp.sin(onp.outer(x, x)) + onp.cos(onp.dot(x, x))  # noqa: E731
    x = onp.array([0.3, -1.1])
    n, eye = 2, onp.eye(2)
    P, r = onp.outer(x, x), x @ x
    dP = onp.einsum("ik,j->ijk", eye, x) + onp.einsum("i,jk->ijk", x, eye)  # ∂(x_i x_j)/∂x_k
    J = onp.cos(P)[:, :, None] * dP - 2 * onp.sin(r) * onp.broadcast_to(x, (n, n, n))
    d2P = onp.einsum("ik,jl->ijkl", eye, eye) + onp.einsum("il,jk->ijkl", eye, eye)
    H = (-onp.sin(P)[:, :, None, None] * dP[:, :, :, None] * dP[:, :, None, :]
         + onp.cos(P)[:, :, None, None] * d2P
         - 4 * onp.cos(r) * onp.einsum("k,l->kl", x, x)[None, None] - 2 * onp.sin(r) * eye[None, None])
    onp.testing.assert_allclose(dd.jacobian(f)(x), J, rtol=1e-14, atol=1e-15)
    onp.testing.assert_allclose(dd.jacobian(dd.jacobian(f))(x), H, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("seq", [list, tuple])
def test_reductions_of_lists_of_duals(seq: Any) -> None:
    """test_numpy.py::test_{mean,std,var}_list_of_boxes, test_linalg.py::test_norm_list_of_boxes:
    at x = 0, d mean(x, x + 2) = 1, d std = d var = 0 (symmetric), d ‖(x, x + 2)‖ = 2/√4 = 1."""
    assert dd.grad(lambda x: onp.mean(seq([x, x + 2])))(0.0) == 1.0
    assert dd.grad(lambda x: onp.std(seq([x, x + 2])))(0.0) == 0.0
    assert dd.grad(lambda x: onp.var(seq([x, x + 2])))(0.0) == 0.0
    assert dd.grad(lambda x: onp.linalg.norm(seq([x, x + 2])))(0.0) == 1.0


def test_power_zero_exponent_at_zero() -> None:
    """test_scalar_ops.py::test_power_arg0 (autograd issue #116): d/dx x⁰ = 0 at x = 0, twice."""
    f = lambda x: onp.power(x, 0.0)  # noqa: E731
    assert dd.grad(f)(0.0) == 0.0
    assert dd.second_derivative(f)(0.0) == 0.0
    assert dd.grad(dd.grad(f))(0.0) == 0.0


@pytest.mark.parametrize("cmp", [op.lt, op.le, op.gt, op.ge, op.eq, op.ne])
def test_comparisons_have_zero_derivative(cmp: Callable[..., Any]) -> None:
    """test_binary_ops.py::test_comparison_grads/values: Σ(x < y) + 0.0 is piecewise constant."""
    x, y = onp.array([0.5, 2.0, -1.0]), onp.array([1.0, 1.0, -1.0])
    f = lambda x, y: onp.sum(cmp(x, y)) + 0.0  # noqa: E731
    value, g = dd.value_and_grad(f)(x, y)
    assert value == f(x, y)
    assert onp.array_equal(g, onp.zeros(3))
    assert onp.array_equal(dd.grad(lambda y: f(x, y))(y), onp.zeros(3))


def test_pinv_hessian_mpmath() -> None:
    """pinv(xᵀx) (test_linalg.py::test_pinv's low-rank form, full rank here) to second order,
    against mpmath at 60 digits (central differences with h = 1e-20 of the exact inverse):
    dualdiff agrees to ~1e-14, autograd's second order is 4e-9 off at this point."""
    mpmath = pytest.importorskip("mpmath")
    x = onp.random.RandomState(5).randn(4, 4)
    w = onp.random.RandomState(6).randn(4, 4)
    f = lambda z: onp.sum(w * onp.linalg.pinv(z.reshape(4, 4).T @ z.reshape(4, 4)))  # noqa: E731
    H = dd.hessian(f)(x.ravel())
    with mpmath.workdps(60):
        W = mpmath.matrix(w.tolist())

        def fm(shift: dict[int, Any]) -> Any:
            z = [mpmath.mpf(float(a)) for a in x.ravel()]
            for k, d in shift.items():
                z[k] += d
            X = mpmath.matrix(4, 4)
            for k in range(16):
                X[k // 4, k % 4] = z[k]
            P = (X.T * X) ** -1
            return mpmath.fsum(W[i, j] * P[i, j] for i in range(4) for j in range(4))
        h = mpmath.mpf("1e-20")
        for i, j in ((0, 0), (0, 1), (3, 9), (15, 15)):
            if i == j:
                want = (fm({i: h}) - 2 * fm({}) + fm({i: -h})) / h**2
            else:
                want = (fm({i: h, j: h}) - fm({i: h, j: -h}) - fm({i: -h, j: h}) + fm({i: -h, j: -h})) / (4 * h * h)
            assert H[i, j] == pytest.approx(float(want), rel=1e-11)


# -- regressions found by the cases above -------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 5), (5, 3), (4, 4)])
def test_svd_values_are_numpys(shape: tuple[int, ...]) -> None:
    """A wide matrix's SVD was computed from Aᵀ's, whose singular vectors LAPACK returns with
    other signs: U and Vh differed from numpy's (and so did their derivatives).  Now the
    values are numpy's bit for bit, and the derivative is that of numpy's branch:
    dU = A dV S⁻¹ ... checked here by the defining identities A V = U S, UᵀU = I to first order."""
    x = onp.random.default_rng(1).standard_normal(shape)
    dx = onp.random.default_rng(2).standard_normal(shape)
    u, s, vh = onp.linalg.svd(dd.Dual(x, dx), full_matrices=False)
    U, S, VH = onp.linalg.svd(x, full_matrices=False)
    assert onp.array_equal(u.value, U) and onp.array_equal(s.value, S) and onp.array_equal(vh.value, VH)
    # d(A Vhᵀ − U S) = 0 and d(UᵀU) = 0
    A = dd.Dual(x, dx)
    r = A @ onp.swapaxes(vh, -1, -2) - u * s[..., None, :]
    onp.testing.assert_allclose(r.eps, 0.0, atol=1e-12)
    onp.testing.assert_allclose((onp.swapaxes(u, -1, -2) @ u).eps, 0.0, atol=1e-12)


def test_pinv_follows_numpys_cutoff() -> None:
    """np.linalg.pinv(A, rcond=1e-3) of diag(1, 1e-4, 2): numpy discards the 1e-4 (pseudo-inverse
    diag(1, 0, 0.5)); dualdiff returned diag(1, 1e4, 0.5), a different number.  Now refused,
    since the truncated pseudo-inverse jumps there; without the cutoff, the values are numpy's."""
    A = onp.diag([1.0, 1e-4, 2.0])
    with pytest.raises(ValueError, match="rank-deficient"):
        onp.linalg.pinv(dd.Dual(A, onp.eye(3)), rcond=1e-3)
    p = onp.linalg.pinv(dd.Dual(A, onp.eye(3)))
    assert onp.array_equal(p.value, onp.linalg.pinv(A))
    onp.testing.assert_allclose(p.eps, -onp.diag(1 / onp.diag(A) ** 2), rtol=1e-14)  # d A⁻¹ = −A⁻¹ dA A⁻¹


def test_pinv_of_a_stack() -> None:
    """Stacked pinv raised numpy's "truth value of an array is ambiguous" (its rank check
    compared an array of ranks); now each matrix's, as numpy."""
    x = onp.random.default_rng(3).standard_normal((2, 5, 3))
    dx = onp.random.default_rng(4).standard_normal((2, 5, 3))
    p = onp.linalg.pinv(dd.Dual(x, dx))
    for k in range(2):
        q = onp.linalg.pinv(dd.Dual(x[k], dx[k]))
        assert onp.array_equal(p.value[k], onp.linalg.pinv(x[k]))
        onp.testing.assert_allclose(p.eps[k], q.eps, rtol=1e-12)
    with pytest.raises(ValueError, match="rank-deficient"):
        onp.linalg.pinv(dd.Dual(onp.stack([x[0], onp.zeros((5, 3))]), dx))


def test_object_arrays_from_np_array_and_r_() -> None:
    """np.array(d) of a scalar dual (a 0-d object array) and np.r_[x, c] of a dual x and floats c
    (object rows of duals and of floats) act as the dual arrays they stand for: np.hstack and
    np.concatenate raised "iteration over a 0-d array" / "cannot combine a dual number with ndarray"."""
    x = dd.Dual(onp.array([1.0, 2.0]), onp.array([1.0, 0.0]))
    c = onp.array([5.0, 6.0])
    h = onp.hstack([onp.array(dd.Dual(3.0, 1.0)), x])
    assert onp.array_equal(h.value, [3.0, 1.0, 2.0]) and onp.array_equal(h.eps, [1.0, 1.0, 0.0])
    r = onp.concatenate([onp.r_[x, c], x])
    assert onp.array_equal(r.value, [1.0, 2.0, 5.0, 6.0, 1.0, 2.0])
    assert onp.array_equal(r.eps, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize("num, endpoint", [(0, True), (1, True), (1, False), (2, True), (5, True), (5, False)])
def test_linspace(num: int, endpoint: bool) -> None:
    """np.linspace(a, b, num): values numpy's bit for bit; ∂y_k/∂a = 1 − k/div, ∂y_k/∂b = k/div
    (div = num − 1 with the endpoint, else num), y_last = b exactly with the endpoint."""
    a, b = 1.2, -3.4
    div = (num - 1) if endpoint else num
    k = onp.arange(num)
    y = onp.linspace(dd.Dual(a, 1.0), b, num, endpoint=endpoint)
    assert onp.array_equal(y.value, onp.linspace(a, b, num, endpoint=endpoint))
    ta = 1 - k / div if div > 0 else onp.ones(num)
    tb = k / div if div > 0 else onp.zeros(num)
    if endpoint and num > 1:
        ta[-1], tb[-1] = 0.0, 1.0
    onp.testing.assert_allclose(y.eps, ta, rtol=1e-15, atol=1e-16)
    onp.testing.assert_allclose(onp.linspace(a, dd.Dual(b, 1.0), num, endpoint=endpoint).eps, tb, rtol=1e-15,
                                atol=1e-16)
    ys, step = onp.linspace(onp.array([0.0, 1.0]), dd.Dual(onp.array([2.0, 3.0]), onp.ones(2)), 4, retstep=True,
                            axis=1)
    assert onp.array_equal(ys.value, onp.linspace([0.0, 1.0], [2.0, 3.0], 4, axis=1))
    assert onp.array_equal(ys.eps, onp.broadcast_to(onp.arange(4) / 3, (2, 4))) and onp.array_equal(step.eps, [1 / 3] * 2)


def test_small_additions() -> None:
    """rollaxis, atleast_3d, real/imag/real_if_close/conj/angle and float_power on duals: linear
    maps move the partials like the values; real parts are the number, imaginary parts 0,
    angle 0 or π with derivative 0; float_power is power."""
    x = onp.arange(24.0).reshape(2, 3, 4)
    d = dd.Dual(x, -x)
    for axis in range(3):
        for start in range(4):
            r = onp.rollaxis(d, axis, start)
            assert onp.array_equal(r.value, onp.rollaxis(x, axis, start))
            assert onp.array_equal(r.eps, onp.rollaxis(-x, axis, start))
    for v in (dd.Dual(1.5, 2.0), dd.Dual(onp.ones(3), onp.ones(3)), dd.Dual(onp.ones((2, 3)), onp.ones((2, 3))), d):
        assert onp.atleast_3d(v).value.shape == onp.atleast_3d(v.value).shape
    v = dd.Dual(onp.array([0.5, -2.0, 0.0]), onp.array([1.0, 2.0, 3.0]))
    for f in (onp.real, onp.real_if_close, onp.conj, onp.conjugate):
        assert onp.array_equal(f(v).value, v.value) and onp.array_equal(f(v).eps, v.eps)
    assert onp.array_equal(onp.imag(v), onp.zeros(3))
    assert onp.array_equal(onp.angle(v), onp.angle(v.value))  # a constant: derivative 0
    assert onp.array_equal(onp.angle(v, deg=True), onp.angle(v.value, deg=True))
    onp.testing.assert_array_equal(dd.jacobian(onp.angle)(v.value), onp.zeros((3, 3)))
    p = onp.float_power(v, 3.0)
    assert onp.array_equal(p.value, onp.float_power(v.value, 3.0))
    onp.testing.assert_allclose(p.eps, 3 * v.value**2 * v.eps, rtol=1e-15)
