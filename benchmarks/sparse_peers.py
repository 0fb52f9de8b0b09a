"""The problems and the peers of bench_sparse.py (issue 12): each problem written once per peer.

Problems (x of size n; every derivative is checked against the analytic one):

* Broyden tridiagonal, F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1: the sparse Jacobian
  J = diag(3 - 4x) - (sub-diagonal of ones) - 2 (super-diagonal of ones);
* extended Rosenbrock, f = Σ_i 100 (x_{2i+1} - x_{2i}²)² + (1 - x_{2i})² (0-based): the
  Hessian (2×2 blocks H_aa = 1200 a² - 400 b + 2, H_ab = -400 a, H_bb = 200 with
  a = x_{2i}, b = x_{2i+1}) and the gradient;
* a k×k grid energy, E = Σ (u_ij - u_{i+1,j})⁴ + Σ (u_ij - u_{i,j+1})⁴ + Σ exp(u_ij) with
  u = x.reshape(k, k): a 5-point Hessian, each edge term d⁴ (d = u_p - u_q) adds 12 d² to
  H_pp and H_qq and -12 d² to H_pq and H_qp.

Peers: ``analytic`` (hand-written @njit kernels filling the CSR values: the limit),
``dualdiff`` (numpy and numba engines), ``asdex`` and ``sparsejac`` (JAX, sparse),
``casadi`` (SX expression graph) and ``jax`` (dense ``jacfwd`` / ``hessian`` / ``grad``).
Each peer is a ``prepare(problem, x) -> call`` function: ``call()`` computes the
derivative once and returns something :func:`to_csr` turns into a scipy matrix.
A peer that is not installed raises :class:`Skip` with the reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp

from dualdiff import problems, sparse


class Skip(Exception):
    """A peer that cannot run this case (not installed, not built, too large): the reason."""


def _module(name: str) -> Any:
    try:
        mod = importlib.import_module(name)
    except Exception as exc:  # ImportError, or a broken install
        raise Skip(f"not installed ({type(exc).__name__})") from exc
    if name == "jax":
        mod.config.update("jax_enable_x64", True)  # float64 like every other peer
    return mod


def versions() -> str:
    """One line: the version of each peer (or 'not installed')."""
    out = []
    for name in ("numba", "jax", "asdex", "sparsejac", "casadi"):
        try:
            mod = importlib.import_module(name)
            v = getattr(mod, "__version__", None)
            if v is None:
                from importlib.metadata import version
                v = version(name)
            out.append(f"{name} {v}")
        except Exception:
            out.append(f"{name} not installed")
    return ", ".join(out)


# -- the problems: numpy-vectorised (dualdiff numpy engine), element loops (numba engine) -------

def broyden(x: Any, np: Any = np) -> Any:
    return problems.broyden(x, np)


def rosenbrock_terms(x: Any, np: Any = np) -> Any:
    a, b = x[0::2], x[1::2]
    return np.concatenate([100.0 * (b - a * a) ** 2, (1.0 - a) ** 2])


def rosenbrock(x: Any, np: Any = np) -> Any:
    return np.sum(rosenbrock_terms(x, np))


def grid_terms(x: Any, np: Any = np) -> Any:
    k = int(round(x.shape[0] ** 0.5))
    u = x.reshape(k, k)
    return np.concatenate([((u[:-1, :] - u[1:, :]) ** 4).ravel(), ((u[:, :-1] - u[:, 1:]) ** 4).ravel(),
                           np.exp(u).ravel()])


def grid_energy(x: Any, np: Any = np) -> Any:
    return np.sum(grid_terms(x, np))


broyden_loop = numba.njit(problems.broyden_loop)


@numba.njit
def rosenbrock_terms_loop(x):  # pragma: no cover - compiled
    n2 = x.shape[0] // 2
    out = np.empty(2 * n2, dtype=x.dtype)  # dtype=x.dtype: the pattern tracer runs this code too
    for i in range(n2):
        a = x[2 * i]
        b = x[2 * i + 1]
        out[i] = 100.0 * (b - a * a) ** 2
        out[n2 + i] = (1.0 - a) ** 2
    return out


@numba.njit
def grid_terms_loop(x):  # pragma: no cover - compiled
    k = int(round(np.sqrt(x.shape[0])))
    out = np.empty(2 * k * (k - 1) + k * k, dtype=x.dtype)
    t = 0
    for i in range(k - 1):
        for j in range(k):
            out[t] = (x[i * k + j] - x[(i + 1) * k + j]) ** 4
            t += 1
    for i in range(k):
        for j in range(k - 1):
            out[t] = (x[i * k + j] - x[i * k + j + 1]) ** 4
            t += 1
    for p in range(k * k):
        out[t] = np.exp(x[p])
        t += 1
    return out


# -- analytic kernels: the values of the CSR data, patterns built once in numpy -----------------

@numba.njit
def _broyden_data(x):  # pragma: no cover - compiled
    n = x.shape[0]
    data = np.empty(3 * n - 2)
    p = 0
    for i in range(n):
        if i > 0:
            data[p] = -1.0
            p += 1
        data[p] = 3.0 - 4.0 * x[i]
        p += 1
        if i < n - 1:
            data[p] = -2.0
            p += 1
    return data


@numba.njit
def _rosenbrock_all(x):  # pragma: no cover - compiled
    """(f, grad, CSR data of H): rows 2i and 2i+1 hold the columns 2i, 2i+1."""
    n = x.shape[0]
    g = np.empty(n)
    data = np.empty(2 * n)
    f = 0.0
    for i in range(n // 2):
        a = x[2 * i]
        b = x[2 * i + 1]
        r = b - a * a
        f += 100.0 * r * r + (1.0 - a) * (1.0 - a)
        g[2 * i] = -400.0 * a * r - 2.0 * (1.0 - a)
        g[2 * i + 1] = 200.0 * r
        hab = -400.0 * a
        data[4 * i] = 1200.0 * a * a - 400.0 * b + 2.0
        data[4 * i + 1] = hab
        data[4 * i + 2] = hab
        data[4 * i + 3] = 200.0
    return f, g, data


@numba.njit
def _rosenbrock_grad(x):  # pragma: no cover - compiled
    n = x.shape[0]
    g = np.empty(n)
    f = 0.0
    for i in range(n // 2):
        a = x[2 * i]
        b = x[2 * i + 1]
        r = b - a * a
        f += 100.0 * r * r + (1.0 - a) * (1.0 - a)
        g[2 * i] = -400.0 * a * r - 2.0 * (1.0 - a)
        g[2 * i + 1] = 200.0 * r
    return f, g


@numba.njit
def _grid_all(x, k):  # pragma: no cover - compiled
    """(E, grad, CSR data of H) of the grid energy; row p's columns p-k, p-1, p, p+1, p+k."""
    n = k * k
    g = np.empty(n)
    data = np.empty(n + 4 * k * (k - 1))
    f = 0.0
    q = 0
    for i in range(k):
        for j in range(k):
            p = i * k + j
            e = np.exp(x[p])
            f += e
            gp = e
            hpp = e
            if i > 0:
                d = x[p] - x[p - k]
                gp += 4.0 * d * d * d
                hpp += 12.0 * d * d
                data[q] = -12.0 * d * d
                q += 1
            if j > 0:
                d = x[p] - x[p - 1]
                gp += 4.0 * d * d * d
                hpp += 12.0 * d * d
                data[q] = -12.0 * d * d
                q += 1
            diag = q
            q += 1
            if j < k - 1:
                d = x[p] - x[p + 1]
                f += d * d * d * d
                gp += 4.0 * d * d * d
                hpp += 12.0 * d * d
                data[q] = -12.0 * d * d
                q += 1
            if i < k - 1:
                d = x[p] - x[p + k]
                f += d * d * d * d
                gp += 4.0 * d * d * d
                hpp += 12.0 * d * d
                data[q] = -12.0 * d * d
                q += 1
            data[diag] = hpp
            g[p] = gp
    return f, g, data


def _stencil_pattern(n: int, offsets: list[int], ok: Callable[[np.ndarray, int], np.ndarray]) -> sp.csr_array:
    rows, cols = [], []
    r = np.arange(n)
    for off in offsets:
        keep = ok(r, off)
        rows.append(r[keep])
        cols.append(r[keep] + off)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    P = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    P.sort_indices()
    return P


def broyden_pattern(n: int) -> sp.csr_array:
    return _stencil_pattern(n, [-1, 0, 1], lambda r, off: (r + off >= 0) & (r + off < n))


def rosenbrock_pattern(n: int) -> sp.csr_array:
    return _stencil_pattern(n, [-1, 0, 1], lambda r, off: (off == 0) | ((off == 1) & (r % 2 == 0))
                            | ((off == -1) & (r % 2 == 1)))


def grid_pattern(k: int) -> sp.csr_array:
    n = k * k

    def ok(r: np.ndarray, off: int) -> np.ndarray:
        i, j = r // k, r % k
        return {-k: i > 0, -1: j > 0, 0: np.ones(n, bool), 1: j < k - 1, k: i < k - 1}[off]
    return _stencil_pattern(n, [-k, -1, 0, 1, k], ok)


# -- the problems as data ------------------------------------------------------------------------

@dataclass
class Problem:
    """One derivative of one function in every peer's language."""

    name: str
    kind: str                      # "jacobian" (F: R^n -> R^m) or "hessian" (of Σ F_k)
    vector: Callable[..., Any]     # numpy-vectorised F (np= the array module): numpy engine, jax
    loop: Any                      # @njit element loop of F: numba engine
    pattern: Callable[[int], sp.csr_array]
    analytic: Callable[[np.ndarray, sp.csr_array], Callable[[], Any]]  # (x, P) -> call
    casadi: Callable[[Any, Any, int], Any]   # (ca, xs, n) -> the SX expression of F (or of f)

    def point(self, n: int) -> np.ndarray:
        if self.name.startswith("grid"):
            k = int(round(np.sqrt(n)))
            n = k * k
        return np.random.default_rng(n).uniform(-1.0, 1.0, n)


def _casadi_broyden(ca: Any, xs: Any, n: int) -> Any:
    return (3.0 - 2.0 * xs) * xs + 1.0 - ca.vertcat(0.0, xs[:-1]) - 2.0 * ca.vertcat(xs[1:], 0.0)


def _casadi_rosenbrock(ca: Any, xs: Any, n: int) -> Any:
    a, b = xs[0::2], xs[1::2]
    return ca.sum1(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def _casadi_grid(ca: Any, xs: Any, n: int) -> Any:
    k = int(round(np.sqrt(n)))
    idx = np.arange(n).reshape(k, k)
    down = xs[idx[:-1, :].ravel().tolist()] - xs[idx[1:, :].ravel().tolist()]
    right = xs[idx[:, :-1].ravel().tolist()] - xs[idx[:, 1:].ravel().tolist()]
    return ca.sum1(down ** 4) + ca.sum1(right ** 4) + ca.sum1(ca.exp(xs))


def _analytic_broyden(x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    return lambda: _broyden_data(x)


def _analytic_rosenbrock(x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    return lambda: _rosenbrock_all(x)


def _analytic_grid(x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    k = int(round(np.sqrt(x.size)))
    return lambda: _grid_all(x, k)


PROBLEMS = {
    "broyden": Problem("Broyden tridiagonal, Jacobian", "jacobian", broyden, broyden_loop,
                       broyden_pattern, _analytic_broyden, _casadi_broyden),
    "rosenbrock": Problem("extended Rosenbrock, Hessian", "hessian", rosenbrock_terms, rosenbrock_terms_loop,
                          rosenbrock_pattern, _analytic_rosenbrock, _casadi_rosenbrock),
    "grid": Problem("grid energy, Hessian", "hessian", grid_terms, grid_terms_loop,
                    lambda n: grid_pattern(int(round(np.sqrt(n)))), _analytic_grid, _casadi_grid),
}


# -- results as scipy CSR, and the check against the analytic one --------------------------------

def analytic_csr(problem: Problem, x: np.ndarray, P: sp.csr_array, out: Any) -> sp.csr_array:
    data = out if problem.kind == "jacobian" else out[2]
    return sp.csr_array((data, P.indices, P.indptr), shape=P.shape)


def to_csr(out: Any) -> sp.csr_array:
    """A peer's result (scipy, BCOO, dense jax/numpy, dualdiff's tuple) as a scipy CSR."""
    if isinstance(out, tuple):  # dualdiff sum_hessian: (value, grad, H)
        out = out[2]
    if isinstance(out, CasadiResult):
        return out.tocsr()
    if sp.issparse(out):
        return sp.csr_array(out)
    if hasattr(out, "indices") and hasattr(out, "data") and hasattr(out, "nse"):  # jax BCOO
        idx = np.asarray(out.indices)
        return sp.csr_array((np.asarray(out.data), (idx[:, 0], idx[:, 1])), shape=out.shape)
    return sp.csr_array(np.asarray(out))


def rel_diff(ref: sp.csr_array, out: Any) -> float:
    """max |peer - analytic| / max |analytic| over all entries (dense results: on and off the
    pattern, without forming an n×n difference)."""
    scale = max(float(np.abs(ref.data).max()), 1e-300)
    if not sp.issparse(out) and not isinstance(out, tuple) and getattr(out, "ndim", 0) == 2 \
            and not hasattr(out, "nse"):
        D = np.array(out)
        coo = ref.tocoo()
        err = float(np.abs(D[coo.row, coo.col] - coo.data).max())
        D[coo.row, coo.col] = 0.0
        return max(err, float(np.abs(D).max())) / scale
    diff = to_csr(out) - ref
    return float(np.abs(diff.data).max(initial=0.0)) / scale


# -- the peers: prepare(problem, x, P) -> call -----------------------------------------------------

def analytic(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    return problem.analytic(x, P)


def dualdiff_numpy(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    fn = sparse.jacobian(problem.vector) if problem.kind == "jacobian" else sparse.sum_hessian(problem.vector)
    return lambda: fn(x)


TRACE_LOOP_LIMIT = 1000


def dualdiff_numba(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    """The @njit element loop on the numba engine, its pattern detected on the numpy-vectorised
    twin (same terms in the same order): detection is part of the preparation."""
    try:
        make = sparse.jacobian if problem.kind == "jacobian" else sparse.sum_hessian
        make(problem.loop, engine="numba")
    except (NotImplementedError, AttributeError) as exc:
        raise Skip("not built") from exc
    fn = make(problem.loop, engine="numba", pattern=sparse.jacobian_pattern(problem.vector, x))
    return lambda: fn(x)


def dualdiff_numba_traced(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    """As :func:`dualdiff_numba`, the pattern traced through the element loop itself."""
    try:
        make = sparse.jacobian if problem.kind == "jacobian" else sparse.sum_hessian
        fn = make(problem.loop, engine="numba")
    except (NotImplementedError, AttributeError) as exc:
        raise Skip("not built") from exc
    if x.size > TRACE_LOOP_LIMIT + 100:
        raise Skip("loop tracing")
    return lambda: fn(x)


def _jax_ready(out: Any) -> Any:
    (out.data if hasattr(out, "nse") else out).block_until_ready()
    return out


def _jax_f(problem: Problem, jnp: Any) -> Callable[[Any], Any]:
    if problem.kind == "jacobian":
        return lambda x: problem.vector(x, jnp)
    return lambda x: jnp.sum(problem.vector(x, jnp))


def asdex(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    jax, jnp, asdex = _module("jax"), _module("jax.numpy"), _module("asdex")
    make = asdex.jacobian if problem.kind == "jacobian" else asdex.hessian
    fn = jax.jit(make(_jax_f(problem, jnp), jnp.asarray(x)))
    xj = jnp.asarray(x)
    return lambda: _jax_ready(fn(xj))


def sparsejac(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    if problem.kind != "jacobian":
        raise Skip("Jacobians only")
    jax, jnp, sj = _module("jax"), _module("jax.numpy"), _module("sparsejac")
    from jax.experimental import sparse as jsparse
    fn = jax.jit(sj.jacfwd(_jax_f(problem, jnp), sparsity=jsparse.BCOO.from_scipy_sparse(P)))
    xj = jnp.asarray(x)
    return lambda: _jax_ready(fn(xj))


JAX_DENSE_LIMIT = {"jacobian": 10_000, "hessian": 3_000}


def jax_dense(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    if x.size > JAX_DENSE_LIMIT[problem.kind]:
        raise Skip("dense")
    jax, jnp = _module("jax"), _module("jax.numpy")
    make = jax.jacfwd if problem.kind == "jacobian" else jax.hessian
    fn = jax.jit(make(_jax_f(problem, jnp)))
    xj = jnp.asarray(x)
    return lambda: _jax_ready(fn(xj))


@dataclass
class CasadiResult:
    """The nonzeros of CasADi's sparse result (column-major) and their sparsity."""

    data: np.ndarray
    colind: np.ndarray
    row: np.ndarray
    shape: tuple[int, int]

    def tocsr(self) -> sp.csr_array:
        return sp.csr_array(sp.csc_array((self.data, self.row, self.colind), shape=self.shape))


def casadi(problem: Problem, x: np.ndarray, P: sp.csr_array) -> Callable[[], Any]:
    """SX graph; ``jacobian`` / ``hessian`` as an SX Function; the numeric call through the
    buffer interface (numpy memory in and out, no DM conversion)."""
    ca = _module("casadi")
    n = x.size
    xs = ca.SX.sym("x", n)
    expr = problem.casadi(ca, xs, n)
    D = ca.jacobian(expr, xs) if problem.kind == "jacobian" else ca.hessian(expr, xs)[0]
    fn = ca.Function("d", [xs], [D])
    colind, row = (np.asarray(a) for a in D.sparsity().get_ccs())
    shape = D.shape
    buf, trigger = fn.buffer()
    xin = np.ascontiguousarray(x, dtype=np.float64)
    buf.set_arg(0, memoryview(xin))
    nnz = D.nnz()

    def call() -> CasadiResult:
        out = np.empty(nnz)
        buf.set_res(0, memoryview(out))
        trigger()
        return CasadiResult(out, colind, row, shape)
    return call


PEERS: dict[str, Callable[[Problem, np.ndarray, sp.csr_array], Callable[[], Any]]] = {
    "analytic numba": analytic,
    "dualdiff, numpy engine": dualdiff_numpy,
    "dualdiff, numba engine": dualdiff_numba,
    "dualdiff, numba engine, pattern traced through the loop": dualdiff_numba_traced,
    "asdex": asdex,
    "sparsejac": sparsejac,
    "CasADi (SX)": casadi,
    "jax.jit(jacfwd/hessian), dense": jax_dense,
}


# -- the gradient of the Rosenbrock sum -----------------------------------------------------------

def gradient_peers(x: np.ndarray) -> dict[str, Callable[[], Callable[[], Any]]]:
    """name -> prepare() -> call() returning (value, grad) or grad."""

    def analytic_g() -> Callable[[], Any]:
        return lambda: _rosenbrock_grad(x)

    def dd_numba() -> Callable[[], Any]:
        try:
            fn = sparse.sum_grad(rosenbrock_terms_loop, engine="numba")
        except (NotImplementedError, AttributeError) as exc:
            raise Skip("not built") from exc
        return lambda: fn(x)  # n = 1000: the pattern traced through the loop

    def dd_numpy() -> Callable[[], Any]:
        try:
            fn = sparse.sum_grad(rosenbrock_terms)
        except (NotImplementedError, AttributeError) as exc:
            raise Skip("not built") from exc
        return lambda: fn(x)

    def jax_grad() -> Callable[[], Any]:
        jax, jnp = _module("jax"), _module("jax.numpy")
        fn = jax.jit(jax.grad(lambda y: rosenbrock(y, jnp)))
        xj = jnp.asarray(x)
        return lambda: fn(xj).block_until_ready()

    return {"analytic numba": analytic_g, "dualdiff sum_grad, numpy engine": dd_numpy,
            "dualdiff sum_grad, numba engine": dd_numba, "jax.jit(jax.grad)": jax_grad}


def grad_of(out: Any) -> np.ndarray:
    return np.asarray(out[1] if isinstance(out, tuple) else out)
