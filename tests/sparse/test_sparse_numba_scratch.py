"""The numba engine's compressed passes keep their scratch (the seeded input, the
sum-Hessian's f values) on the plan, in a pool of buffers (``CompiledPlan.scratch``):
results never refer to it, concurrent calls never share a buffer, and F may return a view
of its input or write into it.  Oracles: analytic derivatives; numpy's own sum for the
in-driver pairwise summation."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest
from numba import njit

from dualdiff import sparse
from dualdiff.jit._sparse_drivers import pairwise_sum
from dualdiff.sparse import _compiled

N = 16


@njit
def rosenbrock_terms(x):
    """Extended Rosenbrock: 100 (x_{2i+1} - x_{2i}²)² and (1 - x_{2i})²."""
    h = x.shape[0] // 2
    out = np.empty(2 * h, dtype=x.dtype)
    for i in range(h):
        a = x[2 * i]
        b = x[2 * i + 1]
        out[i] = 100.0 * (b - a * a) ** 2
        out[h + i] = (1.0 - a) ** 2
    return out


def rosenbrock(x):
    """(f, ∇f, ∇²f) of Σ rosenbrock_terms, dense."""
    n = x.size
    f, g, H = 0.0, np.zeros(n), np.zeros((n, n))
    for i in range(n // 2):
        ia, ib = 2 * i, 2 * i + 1
        a, b = x[ia], x[ib]
        f += 100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2
        g[ia] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
        g[ib] = 200.0 * (b - a * a)
        H[ia, ia] = 1200.0 * a * a - 400.0 * b + 2.0
        H[ia, ib] = H[ib, ia] = -400.0 * a
        H[ib, ib] = 200.0
    return f, g, H


@njit
def every_other(x):
    """F(x) = x[::2]: a view of the (seeded) input."""
    return x[::2]


@njit
def same(x):
    """F(x) = x: the seeded input itself."""
    return x


@njit
def cube_in_place(x):
    """F_i = x_i³, written into x (the driver hands F a fresh copy)."""
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i] * x[i]
    return x


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(np.abs(b).max(initial=0.0), 1.0)
    assert np.abs(a - b).max(initial=0.0) <= rtol * scale, np.abs(a - b).max()


def snapshot(result):
    """Copies of every array in a result (value, grad, CSR parts)."""
    parts = result if isinstance(result, tuple) else (result,)
    out = []
    for p in parts:
        if hasattr(p, "indptr"):
            out += [p.data.copy(), p.indices.copy(), p.indptr.copy()]
        else:
            out.append(np.array(p, copy=True))
    return out


def unchanged(result, snap):
    assert all(a.tobytes() == b.tobytes() for a, b in zip(snapshot(result), snap, strict=True))


X1 = np.linspace(-1.0, 1.0, N)
X2 = np.random.default_rng(1).uniform(-2.0, 2.0, N)


@pytest.mark.parametrize("transform", [sparse.sum_hessian, sparse.sum_grad, sparse.jacobian])
def test_a_result_is_unchanged_by_the_next_call(transform):
    fn = transform(rosenbrock_terms, engine="numba")
    fn(X2)  # the general path; the calls below take the fast path (scratch from the pool)
    first = fn(X1)
    snap = snapshot(first)
    second = fn(X2)
    fn(X2 * 0.5)
    unchanged(first, snap)
    if transform is sparse.sum_hessian:
        f, g, H = rosenbrock(X1)
        close(first[0], f)
        close(first[1], g)
        close(first[2].toarray(), H)
        close(second[2].toarray(), rosenbrock(X2)[2])
    elif transform is sparse.sum_grad:
        close(first[0], rosenbrock(X1)[0])
        close(first[1], rosenbrock(X1)[1])
        close(second[1], rosenbrock(X2)[1])


def test_the_value_is_numpys_sum_bit_for_bit():
    """The sum-Hessian's value is F(x).sum() (numpy's pairwise summation), computed in the
    driver: checked against numpy on sizes around its blocks (8, 128, halving) and beyond."""
    rng = np.random.default_rng(5)
    for n in [*range(0, 140), 255, 256, 257, 1000, 1031, 8192, 8193, 20000]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)  # orders matter at this spread
        assert np.float64(0.0 + pairwise_sum(a, 0, n)).tobytes() == a.sum().tobytes(), n
    a = np.arange(40.0) - 0.5
    assert pairwise_sum(a, 3, 30) == pairwise_sum(a[3:33].copy(), 0, 30)
    x = np.random.default_rng(2).uniform(-1, 1, 2 * 700)  # 1400 terms: the pairwise tree
    v, _, _ = sparse.sum_hessian(rosenbrock_terms, engine="numba")(x)
    assert v == float(rosenbrock_terms(x).sum())


def test_concurrent_calls_of_one_function_from_two_threads():
    """The drivers release the GIL: two threads calling one transformed function at once
    must each get their own scratch (a shared one would mix their seeds)."""
    n = 20000
    xs = [np.random.default_rng(s).uniform(-1.0, 1.0, n) for s in range(4)]
    for transform in (sparse.sum_hessian, sparse.sum_grad, sparse.jacobian):
        fn = transform(rosenbrock_terms, engine="numba")
        expected = [snapshot(fn(x)) for x in xs]  # one at a time (the first: general path)
        errors: list[str] = []
        barrier = threading.Barrier(2)

        def work(t: int) -> None:
            barrier.wait()
            for i in range(12):
                k = (t + i) % len(xs)
                got = snapshot(fn(xs[k]))
                if not all(a.tobytes() == b.tobytes() for a, b in zip(got, expected[k], strict=True)):
                    errors.append(f"{transform.__name__}: thread {t}, call {i}, x {k}")

        threads = [threading.Thread(target=work, args=(t,)) for t in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors


@pytest.mark.parametrize("F", [every_other, same])
def test_f_returning_a_view_of_its_input(F):
    """F's output is then the plan's scratch: the results must be copies of what was read."""
    idx = np.arange(N)[::2] if F is every_other else np.arange(N)
    for transform in (sparse.jacobian, sparse.sum_grad, sparse.sum_hessian):
        fn = transform(F, engine="numba")
        first = fn(X1)
        snap = snapshot(first)
        again = fn(X1)  # fast path
        fn(X2)
        unchanged(first, snap)
        unchanged(again, snap)
        if transform is sparse.jacobian:
            J = np.zeros((idx.size, N))
            J[np.arange(idx.size), idx] = 1.0
            assert np.array_equal(first.toarray(), J)
        else:
            g = np.zeros(N)
            g[idx] = 1.0
            close(first[0], X1[idx].sum())
            assert np.array_equal(first[1], g)
            if transform is sparse.sum_hessian:
                assert not first[2].toarray().any()


def test_f_writing_into_its_input():
    """F gets a fresh copy of the seeded input per pass (not the scratch): cubes, twice."""
    for x in (X1, X2):
        jac = sparse.jacobian(cube_in_place, engine="numba")
        sg = sparse.sum_grad(cube_in_place, engine="numba")
        sh = sparse.sum_hessian(cube_in_place, engine="numba")
        for _ in range(3):  # the general path, then the fast path twice
            xc = x.copy()
            close(jac(xc).toarray(), np.diag(3.0 * x * x))
            v, g = sg(xc)
            close(v, (x ** 3).sum())
            close(g, 3.0 * x * x)
            v, g, H = sh(xc)
            close(v, (x ** 3).sum())
            close(g, 3.0 * x * x)
            close(H.toarray(), np.diag(6.0 * x))
            assert xc.tobytes() == x.tobytes()  # the caller's x is not written


def test_the_pool_hands_out_distinct_buffers_and_stays_home():
    plan = sparse.sum_hessian(rosenbrock_terms, engine="numba").plan(X1)
    cp = _compiled.CompiledPlan(plan, "sum_hessian")
    a, b = cp.scratch(), cp.scratch()
    assert a is not b and a.size == b.size == cp.scratch_size == N * (2 + 2 * cp.lanes) + cp.m
    cp.release(a)
    cp.release(b)
    assert {id(cp.scratch()), id(cp.scratch())} == {id(a), id(b)}  # reused, still distinct
    for _ in range(cp.POOL + 3):
        cp.release(np.empty(cp.scratch_size))
    assert len(cp.pool) == cp.POOL  # a small pool
    assert pickle.loads(pickle.dumps(cp)).pool == []  # scratch is not shipped to processes


def test_a_buffer_too_small_makes_the_driver_allocate_its_own():
    """A scratch buffer smaller than n·S (+ m) is not used: the driver allocates; same bits."""
    plan = sparse.sum_hessian(rosenbrock_terms, engine="numba").plan(X1)
    for kind, task, extra in (("sum_hessian", _compiled.sum_hessian_task, (np.empty(0),)),
                              ("sum_grad", _compiled.sum_grad_task, (np.empty(0),)),
                              ("jacobian", _compiled.jacobian_task, ())):
        cp = _compiled.CompiledPlan(plan, kind)
        normal = task(rosenbrock_terms, X1, None, cp, 0, cp.c, *extra, (), False)
        cp.pool[:] = [np.empty(cp.scratch_size - 1)]  # one double short
        small = task(rosenbrock_terms, X1, None, cp, 0, cp.c, *extra, (), False)
        for a, b in zip(normal, small, strict=True):
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
