"""Differentiating a @numba.njit function: the extended Rosenbrock function written as a
plain loop, its gradient and Hessian by dd.grad / dd.hessian, checked against the same
code run as pure Python and against the analytic derivatives, and a timing comparison.

dd.grad(f) with f a numba dispatcher picks dualdiff's numba engine (engine="auto"): the
njit function itself is compiled for dual numbers. Where that engine is not available
it runs f's Python source (f.py_func) on the Python engine; the results are the same.
Rules for njit code that is differentiated: allocate scratch arrays that hold values
depending on x from x (np.empty_like(x), np.zeros_like(x), dtype=x.dtype).

    python examples/numba_example.py
"""

import os
import time

import numba
import numpy as np

import dualdiff as dd

QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"


@numba.njit
def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


@numba.njit
def rosenbrock_grad(x):
    """The analytic gradient, by hand, for reference."""
    g = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        t = x[i + 1] - x[i] ** 2
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * t
    return g


def rosenbrock_hessian(x):
    """The analytic (tridiagonal) Hessian, for reference."""
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] = h[i + 1, i] = -400.0 * x[i]
    return h


pure_python = rosenbrock.py_func   # the same source, not compiled

try:
    dd.grad(rosenbrock, engine="numba")(np.ones(3))
    engine = "numba engine (the njit function compiled for dual numbers)"
except NotImplementedError:
    engine = "Python engine on rosenbrock.py_func (dualdiff's numba engine is not available in this version)"
print(f"dd.grad(rosenbrock) runs on the {engine}\n")

sizes = (10,) if QUICK else (10, 100)
rows = []
for n in sizes:
    x = np.linspace(-1.2, 1.2, n)
    # -- correctness --------------------------------------------------------------------------
    start = time.perf_counter()
    rosenbrock(x), rosenbrock_grad(x)   # numba compiles f itself on its first call
    compile_f = time.perf_counter() - start
    start = time.perf_counter()
    g_numba = dd.grad(rosenbrock)(x)
    h_numba = dd.hessian(rosenbrock)(x)
    first_call = time.perf_counter() - start
    g_python, h_python = dd.grad(pure_python)(x), dd.hessian(pure_python)(x)
    g_exact, h_exact = rosenbrock_grad(x), rosenbrock_hessian(x)
    print(f"n = {n}: first call of f {compile_f:.2f} s, of dd.grad + dd.hessian {first_call:.2f} s "
          "(both include any compilation)")
    print(f"  gradient: max |njit - pure Python| = {np.max(np.abs(g_numba - g_python)):.1e}, "
          f"max |njit - analytic| = {np.max(np.abs(g_numba - g_exact)):.1e}")
    print(f"  Hessian:  max |njit - pure Python| = {np.max(np.abs(h_numba - h_python)):.1e}, "
          f"max |njit - analytic| = {np.max(np.abs(h_numba - h_exact)):.1e}, "
          f"symmetric: {np.array_equal(h_numba, h_numba.T)}")
    assert np.allclose(g_numba, g_python, rtol=1e-13, atol=1e-12)
    assert np.allclose(g_numba, g_exact, rtol=1e-13, atol=1e-12)
    assert np.allclose(h_numba, h_python, rtol=1e-13, atol=1e-12)
    assert np.allclose(h_numba, h_exact, rtol=1e-13, atol=1e-12)
    assert np.array_equal(h_numba, h_numba.T)

    # -- timing (per call, after a warm-up call) --------------------------------------------------
    def per_call_us(fn, budget=0.02 if QUICK else 0.25):
        fn()
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                return elapsed / calls * 1e6

    grad_numba, grad_python = dd.grad(rosenbrock), dd.grad(pure_python)
    hess_numba, hess_python = dd.hessian(rosenbrock), dd.hessian(pure_python)
    rows += [
        (n, "f(x)", per_call_us(lambda: rosenbrock(x)), per_call_us(lambda: pure_python(x))),
        (n, "analytic gradient", per_call_us(lambda: rosenbrock_grad(x)),
         per_call_us(lambda: rosenbrock_grad.py_func(x))),
        (n, "dd.grad", per_call_us(lambda: grad_numba(x)), per_call_us(lambda: grad_python(x))),
        (n, "dd.hessian", per_call_us(lambda: hess_numba(x)), per_call_us(lambda: hess_python(x))),
    ]

print("\nper call, in microseconds" + (" (QUICK mode: rough)" if QUICK else ""))
print(f"  {'n':>4}  {'':<18} {'@njit function':>15} {'pure Python':>12}")
for n, what, t_numba, t_python in rows:
    print(f"  {n:4d}  {what:<18} {t_numba:15.1f} {t_python:12.1f}")
