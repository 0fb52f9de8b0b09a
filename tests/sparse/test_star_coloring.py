"""Star colouring (sparse.star_color), its direct recovery (StarMap) and its use in the
general sparse.hessian: validity checked by brute force over all paths on four vertices,
colour counts against the known optima, Hessians against analytic formulas."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dualdiff import sparse
from dualdiff.sparse.coloring import ORDERS
from dualdiff.sparse.decompression import StarMap

from .sparse_strategies import symmetric_patterns


def is_star_colouring(A: np.ndarray, colors: np.ndarray) -> bool:
    """Brute force from the definition: adjacent vertices differ, and no path a-b-c-d on
    four distinct vertices has colour(a) = colour(c) and colour(b) = colour(d)."""
    n = A.shape[0]
    nbrs = [[j for j in range(n) if A[i, j] and j != i] for i in range(n)]
    for a in range(n):
        for b in nbrs[a]:
            if colors[a] == colors[b]:
                return False
            for c in nbrs[b]:
                if c == a:
                    continue
                for d in nbrs[c]:
                    if d in (a, b):
                        continue
                    if colors[a] == colors[c] and colors[b] == colors[d]:
                        return False
    return True


def ncolours(colors: np.ndarray) -> int:
    return int(colors.max()) + 1 if colors.size else 0


@settings(max_examples=60, deadline=None)
@given(symmetric_patterns(), st.sampled_from(("best",) + ORDERS))
def test_star_colouring_is_valid(case, order):
    _, A = case
    colors = sparse.star_color(sp.csr_array(A), order=order)
    assert colors.shape == (A.shape[0],) and colors.dtype == np.int64
    assert is_star_colouring(A, colors)
    assert sparse.is_valid_star_coloring(A, colors)
    c = ncolours(colors)
    assert set(colors.tolist()) == set(range(c))
    # never more colours than a distance-2 colouring needs, at least the largest clique
    # the pattern obviously holds (an edge: 2)
    if order == "best":
        assert c <= ncolours(sparse.color_columns(A | np.eye(A.shape[0], dtype=bool)))
    if (A & ~np.eye(A.shape[0], dtype=bool)).any():
        assert c >= 2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.data())
def test_validity_checker_agrees_with_brute_force(n, data):
    """is_valid_star_coloring on arbitrary (mostly invalid) colourings."""
    R = np.array(data.draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))).reshape(n, n)
    A = R | R.T
    colors = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64)
    assert sparse.is_valid_star_coloring(A, colors) == is_star_colouring(A, colors)


def test_path_two_colouring_is_not_a_star_colouring():
    A = np.eye(4, dtype=bool) | np.eye(4, k=1, dtype=bool) | np.eye(4, k=-1, dtype=bool)
    assert not sparse.is_valid_star_coloring(A, np.array([0, 1, 0, 1]))
    assert sparse.is_valid_star_coloring(A, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="not a star colouring"):
        StarMap(sp.csr_array(A), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="square"):
        sparse.star_color(np.ones((2, 3)))
    with pytest.raises(ValueError, match="order"):
        sparse.star_color(A, order="random")


def band(n: int, b: int) -> sp.csr_array:
    return sp.csr_array(np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= b)


def arrow(n: int) -> np.ndarray:
    A = np.eye(n, dtype=bool)
    A[0, :] = A[:, 0] = True
    return A


def test_colour_counts_against_the_optimum(capsys):
    """Arrowhead 2 (distance-2: n), tridiagonal 3, diagonal 1: the optima.  A band of
    half-bandwidth b holds a clique of b + 1, so b + 1 <= count; the greedy gets 2b + 1,
    which is the optimum for b = 2 and 3 (an exhaustive search finds no star colouring
    of the band with 2b colours already on 14 and 18 vertices; b + 1 colours suffice for
    the acyclic colourings of substitution methods, not for direct recovery)."""
    lines = []
    for name, P, lo, hi in [
        ("diagonal n=50", sp.eye_array(50), 1, 1),
        ("arrowhead n=300", arrow(300), 2, 2),
        ("tridiagonal n=1000", band(1000, 1), 3, 3),
        *[(f"band b={b} n=200", band(200, b), 2 * b + 1, 2 * b + 1) for b in (2, 3)],
        ("band b=5 n=200", band(200, 5), 6, 11),
    ]:
        c = ncolours(sparse.star_color(P))
        d2 = ncolours(sparse.color_columns(P))
        lines.append(f"{name}: star {c} colours, distance-2 {d2} (bounds {lo}..{hi})")
        assert lo <= c <= hi
        assert sparse.is_valid_star_coloring(P, sparse.star_color(P))
    with capsys.disabled():
        print("\n" + "\n".join(lines))


@settings(max_examples=40, deadline=None)
@given(symmetric_patterns(), st.integers(0, 2**32 - 1))
def test_star_map_recovers_the_matrix(case, seed):
    """H with the pattern's structure and random values, B = H·S: StarMap gives H back,
    bit for bit, exactly symmetric, with the pattern's structure."""
    _, A = case
    n = A.shape[0]
    rng = np.random.default_rng(seed)
    H = np.where(A, rng.uniform(-2, 2, (n, n)), 0.0)
    H = np.triu(H) + np.triu(H, 1).T
    colors = sparse.star_color(A)
    S = np.zeros((n, ncolours(colors)))
    S[np.arange(n), colors] = 1.0
    out = StarMap(sp.csr_array(A), colors)(H @ S)
    assert isinstance(out, sp.csr_array)
    np.testing.assert_array_equal(out.toarray(), H)
    assert (out != out.T).nnz == 0
    np.testing.assert_array_equal(out.toarray() != 0, H != 0)
    assert out.nnz == A.sum()


# -- the general sparse.hessian on functions with a drawn Hessian structure -------------------

def terms(A: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """f = Σ_{i<j edges} a x_i x_j + Σ_{i<j edges, both diagonals in A} b sin(x_i) cos(x_j)
    + Σ_{A[i, i]} d_i x_i³: its Hessian pattern is A exactly."""
    n = A.shape[0]
    ii, jj = np.nonzero(np.triu(A, 1))
    on = np.diag(A)
    both = on[ii] & on[jj]
    sign = lambda k: rng.choice([-1.0, 1.0], k)  # noqa: E731
    a = rng.uniform(0.5, 1.5, ii.size) * sign(ii.size)
    b = rng.uniform(0.5, 1.5, int(both.sum())) * sign(int(both.sum()))
    d = np.where(on, rng.uniform(0.5, 1.5, n) * sign(n), 0.0)
    return (ii.astype(np.int64), jj.astype(np.int64), a, ii[both].astype(np.int64), jj[both].astype(np.int64), b, d)


def f_numpy(x, ii, jj, a, ii2, jj2, b, d):
    return np.sum(a * x[ii] * x[jj]) + np.sum(b * np.sin(x[ii2]) * np.cos(x[jj2])) + np.sum(d * x ** 3)


@numba.njit
def f_numba(x, ii, jj, a, ii2, jj2, b, d):  # pragma: no cover - compiled
    s = 0.0
    for k in range(ii.size):
        s += a[k] * x[ii[k]] * x[jj[k]]
    for k in range(ii2.size):
        s += b[k] * np.sin(x[ii2[k]]) * np.cos(x[jj2[k]])
    for i in range(x.size):
        s += d[i] * x[i] ** 3
    return s


def analytic_hessian(x, ii, jj, a, ii2, jj2, b, d) -> np.ndarray:
    n = x.size
    H = np.zeros((n, n))
    np.add.at(H, (ii, jj), a)
    off = -b * np.cos(x[ii2]) * np.sin(x[jj2])
    np.add.at(H, (ii2, jj2), off)
    H = H + H.T
    same = -b * np.sin(x[ii2]) * np.cos(x[jj2])
    np.add.at(H, (ii2, ii2), same)
    np.add.at(H, (jj2, jj2), same)
    H[np.diag_indices(n)] += 6.0 * d * x
    return H


def pad(A: np.ndarray, n: int = 9) -> np.ndarray:
    """At least n vertices (isolated ones added): one chunk size, so one numba compilation."""
    return np.pad(A, (0, max(0, n - A.shape[0])))


@pytest.mark.parametrize("f", [f_numpy, f_numba], ids=["numpy", "numba"])
@settings(max_examples=12, deadline=None)
@given(case=symmetric_patterns(), seed=st.integers(0, 2**32 - 1))
def test_general_hessian_matches_the_analytic_hessian(f, case, seed):
    _, A = case
    A = pad(A)
    n = A.shape[0]
    rng = np.random.default_rng(seed)
    args = terms(A, rng)
    x = rng.uniform(-1.5, 1.5, n)
    h = sparse.hessian(f, pattern=sp.csr_array(A))
    H = h(x, *args)
    plan = h.plan(x, *args)
    expected = analytic_hessian(x, *args)
    np.testing.assert_allclose(H.toarray(), expected, rtol=1e-12, atol=1e-12)
    assert (H != H.T).nnz == 0
    d2 = ncolours(sparse.color_columns(A))
    assert plan.coloring == ("star" if plan.ncolors < d2 else "distance2")
    assert plan.ncolors <= d2
    np.testing.assert_allclose(h(x + 0.25, *args).toarray(), analytic_hessian(x + 0.25, *args),
                               rtol=1e-12, atol=1e-12)  # the checked plan, reused


@pytest.mark.parametrize("f", [f_numpy, f_numba], ids=["numpy", "numba"])
def test_arrowhead_uses_two_colours_and_a_wrong_pattern_raises(f):
    n = 12
    A = arrow(n)
    rng = np.random.default_rng(3)
    args = terms(A, rng)
    x = rng.uniform(-1, 1, n)
    h = sparse.hessian(f, pattern=A)
    H = h(x, *args)
    plan = h.plan(x, *args)
    assert (plan.coloring, plan.ncolors) == ("star", 2)
    np.testing.assert_allclose(H.toarray(), analytic_hessian(x, *args), rtol=1e-12, atol=1e-12)
    wrong = A.copy()
    wrong[0, 5] = wrong[5, 0] = False
    with pytest.raises(sparse.PatternError, match=r"\(0, 5\)"):
        sparse.hessian(f, pattern=wrong)(x, *args)


def test_detected_arrowhead_pattern_gets_the_star_colouring():
    """pattern="auto": f = x0·Σ sin(x_i) + Σ x_i⁴ has an arrowhead Hessian,
    H[0, 0] = 12 x0², H[0, i] = cos(x_i), H[i, i] = -x0 sin(x_i) + 12 x_i²."""
    def f(x):
        return x[0] * np.sum(np.sin(x[1:])) + np.sum(x ** 4)

    x = np.random.default_rng(5).uniform(-1, 1, 30)
    h = sparse.hessian(f)
    H = h(x)
    plan = h.plan(x)
    assert (plan.kind, plan.coloring, plan.ncolors) == ("hessian", "star", 2)
    expected = np.diag(12 * x ** 2)
    expected[0, 1:] = expected[1:, 0] = np.cos(x[1:])
    expected[np.arange(1, 30), np.arange(1, 30)] -= x[0] * np.sin(x[1:])
    np.testing.assert_allclose(H.toarray(), expected, rtol=1e-13, atol=1e-13)


def test_executor_gives_the_local_result_bit_for_bit():
    from concurrent.futures import ThreadPoolExecutor

    A = arrow(12)
    rng = np.random.default_rng(4)
    args = terms(A, rng)
    x = rng.uniform(-1, 1, 12)
    with ThreadPoolExecutor(2) as ex:
        for f in (f_numpy, f_numba):
            local = sparse.hessian(f, pattern=A)(x, *args)
            tasks = sparse.hessian(f, pattern=A, executor=ex)(x, *args)
            assert (local != tasks).nnz == 0


def test_plan_keeps_the_distance2_colouring_when_star_needs_more():
    """The 9-point stencil on a 12 × 12 grid: greedy star colouring 10 colours, distance-2
    9 (a distance-2 colouring is a star colouring too); the plan keeps the 9."""
    T = sp.diags_array([np.ones(11), np.ones(12), np.ones(11)], offsets=[-1, 0, 1])
    P = sp.csr_array(sp.kron(T, T) != 0)
    star, d2 = sparse.star_color(P), sparse.color_columns(P)
    assert (ncolours(star), ncolours(d2)) == (10, 9)
    assert sparse.is_valid_star_coloring(P, d2)
    plan = sparse.Plan("hessian", (144,), P, d2, "given")
    assert (plan.coloring, plan.ncolors) == ("distance2", 9)
    plan = sparse.Plan("hessian", (4,), sp.csr_array(arrow(4)), np.arange(4), "given")
    assert (plan.coloring, plan.ncolors) == ("star", 2)
