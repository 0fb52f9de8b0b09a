"""sparse.hessian finds the sum structure of f itself (dualdiff/_termsum.py, sparse/sums.py).

Every f below is one objective written in different ways: a sum over random pairs
(i_k, j_k) of w_k (x_i x_j)², plus Σ c_i exp(x_i), plus a linear part.  Its Hessian is
written out by hand (the oracle), and each spelling must give it exactly, with the
structure of the Hessian pattern (no entries for pairs that meet only linearly).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualdiff import sparse


def analytic_hessian(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, c: np.ndarray) -> np.ndarray:
    n = x.size
    H = np.diag(c * np.exp(x))
    for i, j, wk in zip(rows, cols, w, strict=True):
        if i == j:  # w x_i^4
            H[i, i] += 12.0 * wk * x[i] ** 2
        else:
            H[i, i] += 2.0 * wk * x[j] ** 2
            H[j, j] += 2.0 * wk * x[i] ** 2
            H[i, j] += 4.0 * wk * x[i] * x[j]
            H[j, i] += 4.0 * wk * x[i] * x[j]
    assert H.shape == (n, n)
    return H


def spellings(rows, cols, w, c):  # noqa: ANN001, ANN201 - test helpers
    lin = np.linspace(-1.0, 1.0, c.size)

    def np_sum(x):
        return np.sum(w * (x[rows] * x[cols]) ** 2) + np.sum(c * np.exp(x)) - 0.5 * np.sum(lin * x)

    def method_and_dot(x):
        return (w * (x[rows] * x[cols]) ** 2).sum() + c @ np.exp(x) - np.dot(lin, x) * 0.5

    def dot_first(x):
        return np.dot(w, (x[rows] * x[cols]) ** 2) + np.exp(x) @ c - 0.5 * (x @ lin)

    def mean_and_scale(x):
        return np.mean(w * (x[rows] * x[cols]) ** 2) * rows.size + 2.0 * (np.sum(c * np.exp(x)) / 2.0) - np.inner(lin, x) / 2

    def loop_of_sums(x):
        s = 0.0
        for k in range(rows.size):
            s = s + np.sum(w[k] * (x[rows[k]] * x[cols[k]]) ** 2)  # (scalar + scalar is not split)
        s += np.sum(c * np.exp(x))
        return s - 0.5 * np.sum(lin * x)

    def scalar_first_and_negations(x):
        return -(-1.0 * np.sum(c * np.exp(x))) + 3.0 - (0.5 * np.sum(lin * x) - np.sum(w * (x[rows] * x[cols]) ** 2))

    def builtin_sum(x):
        parts = [np.sum(w * (x[rows] * x[cols]) ** 2), np.sum(c * np.exp(x)), -0.5 * np.sum(lin * x)]
        return sum(parts)

    def ufunc_add(x):
        return np.add(np.sum(w * (x[rows] * x[cols]) ** 2), np.subtract(np.sum(c * np.exp(x)), np.sum(0.5 * lin * x)))

    return [np_sum, method_and_dot, dot_first, mean_and_scale, loop_of_sums, scalar_first_and_negations,
            builtin_sum, ufunc_add]


N_SPELLINGS = 8


@st.composite
def problems(draw):  # noqa: ANN001, ANN201
    n = draw(st.integers(2, 12))
    k = draw(st.integers(1, 10))
    rows = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    cols = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rows, cols, rng.uniform(0.5, 2.0, k), rng.uniform(0.5, 2.0, n), rng.uniform(-1.5, 1.5, n)


@settings(max_examples=15, deadline=None)
@given(problems(), st.integers(0, N_SPELLINGS - 1))
def test_every_spelling_of_a_sum_gives_the_analytic_hessian_by_the_sum_method(problem, which):
    rows, cols, w, c, x = problem
    f = spellings(rows, cols, w, c)[which]
    h = sparse.hessian(f)
    H = h(x)
    assert h.plan(x).kind == "sum_hessian", f.__name__
    expected = analytic_hessian(x, rows, cols, w, c)
    np.testing.assert_allclose(H.toarray(), expected, rtol=1e-12, atol=1e-12)
    # the structure is f's Hessian pattern, whichever method ran
    P = sparse.hessian_pattern(f, x)
    assert (abs(H) > 0).sum() <= P.nnz and set(zip(*H.nonzero(), strict=True)) <= set(zip(*P.nonzero(), strict=True))
    assert H.nnz == P.nnz
    assert (H != H.T).nnz == 0


def test_a_linear_sum_has_an_empty_hessian():
    x = np.ones(5)
    h = sparse.hessian(lambda x: np.sum(2.0 * x) + x @ np.arange(5.0))
    assert h(x).nnz == 0 and h.plan(x).kind == "sum_hessian"


@pytest.mark.parametrize("f", [
    lambda x: np.sqrt(np.sum(x ** 2)),          # a function of the sum
    lambda x: np.sum(x ** 2) ** 2,
    lambda x: np.sum(x[:-1] * x[1:]) * x[0],   # a product with a non-constant
    lambda x: np.prod(x),
])
def test_functions_of_sums_use_the_general_method(f):
    x = np.linspace(0.3, 1.2, 6)
    h = sparse.hessian(f)
    assert h.plan(x).kind == "hessian"
    # oracle: central differences of the analytic-free dense gradient are too weak here;
    # compare against the sum-free general method's definition: H = d/dx of the gradient
    from dualdiff import hessian as dense_hessian
    np.testing.assert_allclose(h(x).toarray(), dense_hessian(f)(x), rtol=1e-12, atol=1e-12)


def test_extended_rosenbrock_by_the_sum_method_against_its_analytic_hessian():
    from dualdiff.problems import rosenbrock, rosenbrock_hessian

    x = np.random.default_rng(3).uniform(-1.5, 1.5, 300)
    h = sparse.hessian(rosenbrock)
    H = h(x)
    plan = h.plan(x)
    assert plan.kind == "sum_hessian" and plan.ncolors == 2
    np.testing.assert_allclose(H.toarray(), rosenbrock_hessian(x), rtol=1e-12, atol=1e-9)
    assert H.nnz == 3 * 300 - 2  # tridiagonal, no explicit zeros


def test_a_structure_that_does_not_hold_in_the_pass_falls_back_with_a_warning():
    def f(x):
        s = np.sum(x ** 2)
        if type(x).__name__ == "Tracer":  # the trace sees a sum, the pass does not
            return s
        return s * x[0] / x[0]

    x = np.linspace(0.5, 1.5, 5)
    h = sparse.hessian(f)
    with pytest.warns(RuntimeWarning, match="general method"):
        H = h(x)
    np.testing.assert_allclose(H.toarray(), 2.0 * np.eye(5), rtol=1e-13, atol=1e-13)
    assert h.plan(x).kind == "hessian"
    np.testing.assert_allclose(h(x).toarray(), 2.0 * np.eye(5), rtol=1e-13, atol=1e-13)  # no warning now


def test_in_place_sum_rebinds_and_does_not_change_an_earlier_name():
    def f(x):
        s = np.sum(x ** 2)
        t = s
        s += np.sum(x ** 3)
        a = x ** 2
        u = np.sum(a)
        a *= 10.0  # the sum was taken before: its terms must not change
        return 2.0 * t + s + u

    x = np.linspace(-1.0, 1.0, 7)
    h = sparse.hessian(f)
    expected = np.diag(2.0 * 2.0 + 2.0 + 6.0 * x + 2.0)
    np.testing.assert_allclose(h(x).toarray(), expected, rtol=1e-13, atol=1e-13)
    assert h.plan(x).kind == "sum_hessian"


def test_executor_and_local_pattern_give_the_same_result():
    from dualdiff.problems import rosenbrock

    x = np.random.default_rng(4).uniform(-1, 1, 40)
    H = sparse.hessian(rosenbrock)(x)
    with ThreadPoolExecutor(2) as ex:
        H2 = sparse.hessian(rosenbrock, executor=ex)(x)
    H3 = sparse.hessian(rosenbrock, pattern="local")(x)
    for other in (H2, H3):
        assert (other != H).nnz == 0


def test_the_hessian_of_the_pass_is_not_affected_by_sums_elsewhere():
    """Reductions of ordinary dual numbers (no sum pass) stay plain numbers."""
    import dualdiff as dd

    f = lambda x: np.sum(x ** 3) + x @ np.ones(3)  # noqa: E731
    g = dd.grad(f)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, 3 * np.array([1.0, 4.0, 9.0]) + 1.0)


# -- programs drawn by hypothesis: sums, functions of sums, in-place updates -------------------
# The oracle is the dense hyper-dual Hessian (dd.hessian), which never splits sums: the sum
# method must agree with it on every program, whichever method sparse.hessian picks.
STEPS = [
    "s = np.sum(x[{i}:] ** 2 * x[:n - {i}])",
    "s = s + np.sum(np.sin(x) * {c})",
    "s = s - np.mean(np.exp(x[{i}:]))",
    "s = {c} * s",
    "s = s / {c}",
    "s = -s",
    "s = np.sqrt(s * s + 1.0)",
    "s = s * x[{i}]",
    "s += x[{i}] ** 3",
    "s = x[{i}] * x[{j}] + s",
    "s = np.dot(w, x ** 2) + s",
    "s = s + (x ** 2) @ w",
    "s = sum([s, np.sum(x[{i}] * x)])",
    "s = np.add(s, np.sum(np.cos(x[{j}:])))",
    "s = {c} - s",
    "s = s ** 2",
    "s = np.sum(np.array([s, x[{i}] ** 2]))",
    "y = x ** 2; s = s + np.sum(y); y *= 3.0; s = s + np.sum(y)",
]


@st.composite
def programs(draw):  # noqa: ANN001, ANN201
    n = draw(st.integers(2, 7))
    lines = ["s = x[0] * 0.0"]
    for _ in range(draw(st.integers(1, 6))):
        step = draw(st.sampled_from(STEPS))
        lines.append(step.format(i=draw(st.integers(0, n - 1)), j=draw(st.integers(0, n - 1)),
                                 c=draw(st.sampled_from([0.5, 1.5, 2.0]))))
    body = "".join(f"    {line}\n" for line in lines)
    return n, f"def f(x):\n    n = x.size\n    w = np.linspace(0.5, 1.5, n)\n{body}    return s\n"


@settings(max_examples=30, deadline=None)
@given(programs(), st.integers(0, 2**16))
def test_drawn_programs_agree_with_the_dense_hessian(program, seed):
    import dualdiff as dd

    n, source = program
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102 - the program is drawn by the test itself
    f = namespace["f"]
    x = np.random.default_rng(seed).uniform(0.3, 1.2, n)
    H = sparse.hessian(f)(x).toarray()
    expected = dd.hessian(f)(x)
    np.testing.assert_allclose(H, expected, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(expected).max()),
                               err_msg=source)
