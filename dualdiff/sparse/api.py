"""The public sparse transforms: ``jacobian``, ``hessian``, ``sum_hessian``, ``sum_grad``.

Each takes the function and returns a function of ``(x, *args, **kwargs)`` (like the
dense transforms).  It keeps a small :class:`Plan` per input shape: the pattern, its
colouring and the seed matrix, so a pattern is detected and coloured once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._errors import PatternError
from ._passes import compressed_hessian_pass, compressed_jacobian_pass
from .coloring import color_columns
from .decompression import StarMap, SumHessianMap, SymmetricMap, jacobian_values
from .patterns import as_pattern, hessian_pattern, jacobian_pattern
from .star import star_color
from .sums import SumStructureLost, detect_terms, sum_hessian_of, warn_fallback

__all__ = ["jacobian", "hessian", "sum_hessian", "sum_grad", "Plan"]

Function = Callable[..., Any]
ENGINES = ("auto", "python", "numba")
# floats per element of one pass of the general Hessian (ε1 lanes × ε2 lanes), see hessian()
HESSIAN_LANE_BUDGET = 1 << 18
# show this many missing entries in a PatternError
SHOW_MISSING = 8


@dataclass
class Plan:
    """What a sparse transform keeps for one input shape.

    Attributes:
        kind: ``"jacobian"``, ``"sum_hessian"`` (pattern = Jacobian pattern of the element
            vector F) or ``"hessian"`` (pattern = the symmetric Hessian pattern).
        shape: the shape of x.
        pattern: boolean CSR, the structure the derivative is computed on.
        colors: the colour of every column of ``pattern`` (int64, length n).
        source: ``"auto"`` (traced, valid for every x), ``"local"`` (traced at one x) or
            ``"given"`` (the user's pattern, checked on the first call).
        checked: whether a given pattern has passed its check.
        coloring: ``"distance2"`` (no two columns of one colour share a row) or ``"star"``
            (a star colouring, :func:`~dualdiff.sparse.star_color`, read back by direct
            recovery).  ``"auto"`` (the default) picks for kind ``"hessian"`` the star
            colouring when it has fewer colours than ``colors``, else keeps ``colors``.
    """

    kind: str
    shape: tuple[int, ...]
    pattern: sp.csr_array
    colors: np.ndarray
    source: str
    checked: bool = True
    term_sizes: tuple[int, ...] | None = None  # a sum found in f by sparse.hessian: its parts
    within: Any = None  # ... and f's Hessian pattern, which the result is restricted to
    coloring: str = "auto"
    seed: np.ndarray = field(init=False, repr=False)
    _decompress: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.coloring == "auto":
            self.coloring = "distance2"
            if self.kind == "hessian" and self.colors.size:
                star = star_color(self.pattern)
                if int(star.max()) + 1 < self.ncolors:
                    self.colors, self.coloring = star, "star"
        n = self.colors.size
        self.seed = np.zeros((n, self.ncolors))
        self.seed[np.arange(n), self.colors] = 1.0
        self.pattern.indptr = self.pattern.indptr.astype(np.int64)
        self.pattern.indices = self.pattern.indices.astype(np.int64)

    @property
    def decompress(self) -> Any:
        """The Hessian decompression map of this plan (built on first use)."""
        if self._decompress is None:
            if self.kind == "sum_hessian":
                cls = SumHessianMap
            else:
                cls = StarMap if self.coloring == "star" else SymmetricMap
            self._decompress = cls(self.pattern, self.colors)
        return self._decompress

    @property
    def ncolors(self) -> int:
        """c, the number of colours: the directions of one compressed pass."""
        return int(self.colors.max()) + 1 if self.colors.size else 0


# distance-2 colouring costs Σ_i (entries of row i)²: above this, a Hessian plan takes the
# star colouring alone (an arrowhead's dense row makes distance-2 quadratic in n, and needs
# n colours anyway)
DISTANCE2_WORK = 1 << 26


def _coloring(kind: str, P: sp.csr_array) -> tuple[np.ndarray, str]:
    """(colours, colouring) for a plan: distance-2 for Jacobians; for a Hessian pattern the
    star colouring when it has fewer colours (or distance-2 would cost too much)."""
    if kind != "hessian" or P.shape[1] == 0:
        return color_columns(P), "distance2"
    star = star_color(P)
    if float(np.sum(np.diff(P.indptr).astype(np.float64) ** 2)) > DISTANCE2_WORK:
        return star, "star"
    d2 = color_columns(P)
    return (star, "star") if int(star.max()) + 1 < int(d2.max()) + 1 else (d2, "distance2")


def _plan(kind: str, shape: tuple[int, ...], P: sp.csr_array, source: str, checked: bool = True) -> Plan:
    colors, coloring = _coloring(kind, P)
    return Plan(kind, shape, P, colors, source, checked=checked, coloring=coloring)


class _Plans:
    """The plans of one transformed function, by input shape (pattern="auto"), the last x
    (pattern="local") or once for a given pattern."""

    def __init__(self, f: Function, pattern: Any, kind: str) -> None:
        self.f, self.kind = f, kind
        self.mode = "given"
        self.given: sp.csr_array | None = None
        if isinstance(pattern, str):
            if pattern not in ("auto", "local"):
                raise ValueError(f"pattern must be 'auto', 'local' or a sparsity pattern, got {pattern!r}")
            self.mode = pattern
        else:
            self.given = as_pattern(pattern)
            if kind == "hessian":
                if self.given.shape[0] != self.given.shape[1]:
                    raise ValueError(f"a Hessian pattern must be square, got shape {self.given.shape}")
                self.given = as_pattern(self.given + self.given.T)  # symmetric
        self.by_shape: dict[tuple[int, ...], Plan] = {}
        self.last_x: np.ndarray | None = None
        self.last: Plan | None = None

    def _detect(self, x: np.ndarray, args: tuple, kwargs: dict, local: bool) -> sp.csr_array:
        if self.kind == "hessian":
            return hessian_pattern(self.f, x, *args, local=local, **kwargs)
        return jacobian_pattern(self.f, x, *args, local=local, **kwargs)

    def get(self, x: np.ndarray, args: tuple, kwargs: dict) -> Plan:
        if self.mode == "auto":
            plan = self.by_shape.get(x.shape)
            if plan is None:
                P = self._detect(x, args, kwargs, local=False)
                plan = _plan(self.kind, x.shape, P, "auto")
                self.by_shape[x.shape] = plan
            return plan
        if self.mode == "local":
            if self.last is None or self.last_x is None or self.last_x.shape != x.shape \
                    or not np.array_equal(self.last_x, x):
                P = self._detect(x, args, kwargs, local=True)
                self.last = _plan(self.kind, x.shape, P, "local")
                self.last_x = x.copy()
            return self.last
        plan = self.by_shape.get(x.shape)
        if plan is None:
            P = self.given
            if P.shape[1] != x.size:
                raise ValueError(f"the given pattern has {P.shape[1]} columns but x has {x.size} elements")
            plan = _plan(self.kind, x.shape, P, "given", checked=False)
            self.by_shape[x.shape] = plan
        return plan


def _check_f(f: Any, engine: str) -> bool:
    """Check f and ``engine=``; True when the numba engine's compiled passes run: an @njit f
    with engine "auto" or "numba" (``engine="numba"`` for anything else raises, naming the
    fix), as for the dense transforms (``dualdiff.engines.select``)."""
    if not callable(f):
        raise TypeError(f"expected a function to differentiate, got {type(f).__name__}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    from .._checks import is_numba

    if engine == "numba" and not is_numba(f):
        raise TypeError(f"engine='numba' needs a @numba.njit function, got {type(f).__name__}: decorate "
                        "it with @numba.njit, or use engine='auto' or 'python' for numpy code")
    return engine in ("auto", "numba") and is_numba(f)


def _input(x: Any, who: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{who} needs x to be a real float or an array of real floats "
                        f"(sparse derivatives do not nest inside other transforms), got dtype {a.dtype}")
    return a.astype(np.float64)


def _rng_direction(n: int) -> np.ndarray:
    """A fixed random direction with entries of magnitude in [0.5, 1.5] and random signs."""
    rng = np.random.default_rng(20240612)
    return rng.uniform(0.5, 1.5, n) * rng.choice([-1.0, 1.0], n)


def _mismatch(exact: np.ndarray, compressed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rows where the directional derivative and the compressed result disagree."""
    both_nan = np.isnan(exact) & np.isnan(compressed)
    with np.errstate(invalid="ignore"):
        ok = np.abs(exact - compressed) <= 1e-8 * scale + 1e-300
    return np.flatnonzero(~(ok | both_nan))


def _format_missing(missing: list[tuple[int, int]], total: int, bad_rows: np.ndarray, what: str) -> str:
    if missing:
        shown = ", ".join(f"({i}, {j})" for i, j in missing[:SHOW_MISSING])
        more = f" and {total - SHOW_MISSING} more" if total > SHOW_MISSING else ""
        found = f"it misses the entries {shown}{more}"
    else:
        rows = ", ".join(str(int(r)) for r in bad_rows[:SHOW_MISSING])
        found = f"it misses entries in row(s) {rows}{' ...' if bad_rows.size > SHOW_MISSING else ''}"
    return (f"the given sparsity pattern is wrong for this function: {found} (the {what} at x has "
            "nonzeros there). Pass a pattern that includes them, or let dualdiff find it "
            "(pattern=\"auto\", or pattern=\"local\" for a pattern at each x).")


def _missing_entries(f: Function, x: np.ndarray, args: tuple, kwargs: dict, P: sp.csr_array,
                     bad_rows: np.ndarray, kind: str) -> tuple[list[tuple[int, int]], int]:
    """Entries of the true pattern at x that P lacks, in the rows that failed the check."""
    true = None
    try:
        true = (hessian_pattern if kind == "hessian" else jacobian_pattern)(f, x, *args, local=True, **kwargs)
    except Exception:  # noqa: BLE001 - the tracer may not run this function; fall back below
        true = None
    if true is None and x.size <= 2000:
        n = x.size
        if kind == "hessian":
            dense = np.zeros((n, n))
            for i0 in range(0, n, 64):
                i1 = min(i0 + 64, n)
                S1 = np.eye(n)[:, i0:i1]
                _, _, E12 = compressed_hessian_pass(f, x, S1, np.eye(n), args, kwargs)
                dense[i0:i1] = E12[0]
        else:
            _, dense = compressed_jacobian_pass(f, x, np.eye(n), args, kwargs)
        true = sp.csr_array(dense != 0)
    if true is None:
        return [], 0
    extra = sp.csr_array(true.astype(np.int8) - true.multiply(P).astype(np.int8))
    extra.eliminate_zeros()
    rows = np.repeat(np.arange(extra.shape[0]), np.diff(extra.indptr))
    keep = np.isin(rows, bad_rows)
    pairs_ = list(zip(rows[keep].tolist(), extra.indices[keep].tolist(), strict=True))
    if kind == "hessian":
        pairs_ = [(i, j) for i, j in pairs_ if i <= j] or pairs_
    return pairs_, len(pairs_)


def _check_jacobian(F: Function, x: np.ndarray, args: tuple, kwargs: dict, plan: Plan, J: sp.csr_array,
                    what: str = "Jacobian") -> None:
    v = _rng_direction(x.size)
    _, Jv = compressed_jacobian_pass(F, x, v[:, None], args, kwargs)
    exact = Jv[:, 0]
    bad = _mismatch(exact, J @ v, abs(J) @ np.abs(v) + np.abs(exact))
    if bad.size:
        missing, total = _missing_entries(F, x, args, kwargs, plan.pattern, bad, "jacobian")
        raise PatternError(_format_missing(missing, total, bad, what))
    plan.checked = True


def _passes(executor: Any, f: Function, task: Callable[..., Any], arguments: list[tuple]) -> list[Any]:
    """``task(*a)`` for every a: here, or as tasks on ``executor`` (results in order)."""
    if executor is None:
        return [task(*a) for a in arguments]
    from ..engines.executor import ExecutorRunner

    runner = ExecutorRunner("python", f, "jacobian", 1, executor)  # submission and errors
    return runner._gather([runner._submit(task, *a) for a in arguments])


def _color_chunks(c: int, executor: Any) -> list[tuple[int, int]]:
    """Colours [c0, c1) per task: one chunk per worker of the executor."""
    from ..engines.executor import workers

    k = max(1, -(-c // workers(executor)))
    return [(c0, min(c0 + k, c)) for c0 in range(0, c, k)]


def _compressed_jacobian(F: Function, x: np.ndarray, S: np.ndarray, args: tuple, kwargs: dict, executor: Any
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(F(x) flat, J·S): one pass, or colour chunks as executor tasks."""
    if executor is None or S.shape[1] <= 1:
        return compressed_jacobian_pass(F, x, S, args, kwargs)
    chunks = _color_chunks(S.shape[1], executor)
    parts = _passes(executor, F, compressed_jacobian_pass,
                    [(F, x, np.ascontiguousarray(S[:, c0:c1]), args, kwargs) for c0, c1 in chunks])
    return parts[0][0], np.concatenate([p[1] for p in parts], axis=1)


def _compressed_sum_hessian(F: Function, x: np.ndarray, S: np.ndarray, args: tuple, kwargs: dict, executor: Any
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F(x) flat, J·S, Sᵀ∇²F_k S per term): one pass, or ε2's colours in chunks as tasks."""
    if executor is None or S.shape[1] <= 1:
        return compressed_hessian_pass(F, x, S, S, args, kwargs)
    chunks = _color_chunks(S.shape[1], executor)
    parts = _passes(executor, F, compressed_hessian_pass,
                    [(F, x, S, np.ascontiguousarray(S[:, c0:c1]), args, kwargs) for c0, c1 in chunks])
    return parts[0][0], parts[0][1], np.concatenate([p[2] for p in parts], axis=2)


def _check_executor(f: Function, executor: Any) -> Any:
    from ..engines import executor as _executor

    executor = _executor.check(executor)
    if executor is not None:
        _executor.picklable(f, executor)
    return executor


def _m_check(plan: Plan, m: int) -> None:
    if plan.pattern.shape[0] != m:
        raise ValueError(f"the sparsity pattern has {plan.pattern.shape[0]} rows but F(x) has {m} elements")


def _numba_runs(f: Function, engine: str) -> bool:
    """Whether the general Hessian of f runs on the numba engine (an @njit f with engine
    "auto" or "numba"; ``engine="numba"`` for anything else raises, naming the fix)."""
    from ..engines import select

    return select(f, engine, False)[0].name == "numba"


def _numba_hvp(f: Function, x: np.ndarray, v: np.ndarray, args: tuple, kwargs: dict) -> np.ndarray:
    """H·v by the numba engine's compiled driver (kernel "hvp": n/N passes of N directions)."""
    from ..engines import NUMBA

    runner = NUMBA.runner(f, "hvp", NUMBA.default_chunk(x.size, "hvp"))
    value, hv = runner(x, v.reshape(x.shape), args, kwargs)
    if np.size(value) != 1:
        raise TypeError(f"sparse.hessian needs f to return a scalar, got {np.size(value)} "
                        "elements; use sparse.sum_hessian for a vector of terms")
    return np.asarray(hv, dtype=np.float64).reshape(-1)


def _general_hessian(f: Function, x: np.ndarray, plan: Plan, args: tuple, kwargs: dict, executor: Any,
                     engine: str = "auto") -> sp.csr_array:
    """The general sparse Hessian of a scalar f at x from B = H·S, S the plan's seed (n × c).

    numpy engine: hyper-dual passes with ε1 over the n unit directions in chunks of k
    (k·(c + 1) ≤ HESSIAN_LANE_BUDGET / n) and ε2 = S, i.e. ⌈n/k⌉ passes of k + c + k·c
    lanes, about n·c in all.  numba engine (an @njit f, engine "auto" or "numba"): column b
    of B is H·S[:, b], one compiled HVP each (the "hvp" kernel: n/N passes of N + 1 + N
    lanes), c HVPs in all; with an executor each HVP is a task.

    H is read from B by the plan's map: H[i, j] = B[i, color j] (distance-2 colouring), or
    direct recovery for a star colouring (``StarMap``); exactly symmetric.  A given pattern
    not yet checked adds one ε2 column w (a fixed random direction): H·w from the passes
    against the decompressed H times w, and a mismatch raises :class:`PatternError`.
    """
    n, c = x.size, plan.ncolors
    S2 = plan.seed
    w = None
    if not plan.checked:
        w = _rng_direction(n)
        S2 = np.concatenate([S2, w[:, None]], axis=1)
    k2 = S2.shape[1]
    B = np.zeros((n, k2))
    if k2 and plan.pattern.nnz + (0 if w is None else 1):
        if _numba_runs(f, engine):
            cols = _passes(executor, f, _numba_hvp,
                           [(f, x, np.ascontiguousarray(S2[:, b]), args, kwargs) for b in range(k2)])
            for b, hv in enumerate(cols):
                B[:, b] = hv
        else:
            k1 = max(1, min(n, HESSIAN_LANE_BUDGET // max(1, n * (k2 + 1))))
            eye_cols = np.arange(n)
            ranges = [(i0, min(i0 + k1, n)) for i0 in range(0, n, k1)]
            seeds = []
            for i0, i1 in ranges:
                S1 = np.zeros((n, i1 - i0))
                S1[eye_cols[i0:i1], np.arange(i1 - i0)] = 1.0
                seeds.append((f, x, S1, S2, args, kwargs))
            passes = _passes(executor, f, compressed_hessian_pass, seeds)  # the same passes either way
            for (i0, i1), (value, _, E12) in zip(ranges, passes, strict=True):
                if value.size != 1:
                    raise TypeError(f"sparse.hessian needs f to return a scalar, got {value.size} "
                                    "elements; use sparse.sum_hessian for a vector of terms")
                B[i0:i1] = E12[0]
    H = plan.decompress(B[:, :c])
    if w is not None:
        Hw = B[:, c]
        bad = _mismatch(Hw, H @ w, abs(H) @ np.abs(w) + np.abs(Hw))
        if bad.size:
            missing, total = _missing_entries(f, x, args, kwargs, plan.pattern, bad, "hessian")
            raise PatternError(_format_missing(missing, total, bad, "Hessian"))
        plan.checked = True
    return H


# -- the numba engine's compressed passes (dualdiff.jit._sparse_drivers, _compiled.py) --------

class _CompiledPlans:
    """The compiled passes' arrays of each plan of one transformed function (made once per
    plan; the last few plans of pattern="local" are kept)."""

    KEEP = 8

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_plan: dict[int, tuple[Plan, Any]] = {}

    def get(self, plan: Plan) -> Any:
        entry = self.by_plan.get(id(plan))
        if entry is None or entry[0] is not plan:
            from ._compiled import CompiledPlan

            if len(self.by_plan) >= self.KEEP:
                self.by_plan.clear()
            entry = self.by_plan[id(plan)] = (plan, CompiledPlan(plan, self.kind))
        return entry[1]


_F64 = np.dtype(np.float64)


def _sparse_driver(F: Function, kind: str, lanes: int) -> Any:
    """The compiled driver a fast path calls (not NaN-safe: a NaN partial takes the general
    path, which redoes the call NaN-safely)."""
    from ..engines.numba import sparse_driver

    return sparse_driver(F, kind, lanes, False)


def _numba_input(F: Function, x: Any, who: str, kwargs: dict) -> tuple[np.ndarray, np.ndarray, Any]:
    """(x as float64, x flat, the shape f gets: None for 1-d x) for the compiled passes."""
    if kwargs:
        raise TypeError(f"the numba engine passes extra arguments to {getattr(F, '__name__', 'F')} "
                        f"positionally only; got keyword(s) {sorted(kwargs)}")
    if type(x) is not np.ndarray or x.dtype != np.float64:
        x = _input(x, who)
    from ..engines.numba import flat_input

    xf, shape = flat_input(x, who)
    return x, np.ascontiguousarray(xf), shape  # one compiled layout


def _numba_ranges(c: int, executor: Any) -> list[tuple[int, int]]:
    """Colour ranges (sum-Hessian: ranges of passes b): all at once locally, one per worker
    with an executor."""
    if executor is None or c <= 1:
        return [(0, c)]
    return _color_chunks(c, executor)


def _submitter(F: Function, executor: Any) -> Callable[..., list[Any]] | None:
    """``submit(task, calls)`` -> the results of ``task(*a)`` for a in calls, as tasks."""
    if executor is None:
        return None
    from ..engines.executor import ExecutorRunner

    runner = ExecutorRunner("numba", F, "jacobian", 1, executor)  # submission and errors
    return lambda task, calls: runner._gather([runner._submit(task, *a) for a in calls])


def _check_jacobian_numba(F: Function, x: np.ndarray, xf: np.ndarray, shape: Any, args: tuple, plan: Plan,
                          J: sp.csr_array, what: str = "Jacobian") -> None:
    """:func:`_check_jacobian` with J·v from the numba engine's compiled jvp driver."""
    from ..engines.numba import run

    v = _rng_direction(x.size)
    _, exact, _, _ = run(F, "jvp", 1, (xf, v, shape) + args)
    bad = _mismatch(exact, J @ v, abs(J) @ np.abs(v) + np.abs(exact))
    if bad.size:
        missing, total = _missing_entries(F, x, args, {}, plan.pattern, bad, "jacobian")
        raise PatternError(_format_missing(missing, total, bad, what))
    plan.checked = True


def jacobian(F: Function, *, pattern: Any = "auto", engine: str = "auto", executor: Any = None) -> Function:
    """Sparse Jacobian of F: returns ``jacobian_F(x, *args, **kwargs)`` -> CSR (m, n), float64.

    m = F(x).size, n = x.size (both flattened in C order).  With colours color[j] of the
    Jacobian pattern's columns (no two columns of one colour share a row) and the seed
    matrix S (n × c), S[j, color[j]] = 1, one dual pass with c directions gives
    B = J·S, and J[i, j] = B[i, color[j]] for every structural nonzero (i, j).  The cost
    is one pass of c directions (c = 3 for a tridiagonal J), independent of n.

    Args:
        F: the function: numpy code, or a numba ``@njit`` function (compiled passes, see
            ``engine``).
        pattern: ``"auto"`` (detected once per input shape by tracing, valid for every x),
            ``"local"`` (detected at each new x, following F's branches there), or the
            pattern as a scipy sparse matrix / boolean array of shape (m, n); a given
            pattern is checked on the first call by one extra directional derivative
            (J·v for a random v), and a pattern that misses entries raises
            :class:`PatternError` naming them.
        engine: ``"auto"`` (the numba engine for an ``@njit`` F, else numpy), ``"python"``
            (numpy; an ``@njit`` F through its Python source) or ``"numba"`` (F must be
            ``@njit``; extra arguments positional only).  The numba engine runs compiled
            passes of N lanes (N = c rounded up to 1, 2, 3, 4, 6, 8, 12 or 16; chunks of 16
            beyond) and writes every entry straight into the result; the pattern is still
            detected by tracing ``F.py_func``.
        executor: a ``concurrent.futures.Executor`` (thread or process pool, dask's
            ``Client.get_executor()``): the colours are split into one chunk per worker,
            each chunk's compressed pass a task (F must pickle for processes; see
            ``docs/scaling.md``).
    """
    use_numba = _check_f(F, engine)
    executor = _check_executor(F, executor)
    plans = _Plans(F, pattern, "jacobian")
    compiled = _CompiledPlans("jacobian")
    submit = _submitter(F, executor)
    fast: dict[tuple[int, ...], tuple] = {}  # see sum_grad

    @functools.wraps(F, updated=())
    def jacobian_F(x: Any, *args: Any, **kwargs: Any) -> sp.csr_array:
        if use_numba:
            if type(x) is np.ndarray and x.dtype is _F64 and x.flags.c_contiguous and not kwargs:
                entry = fast.get(x.shape)
                if entry is not None:  # a 1-d x of a plan that ran: one compiled call
                    drv, cp = entry
                    data = np.empty(cp.nnz)
                    pool = cp.pool
                    try:
                        buf = pool.pop()  # a scratch buffer no other call holds (atomic)
                    except IndexError:
                        buf = np.empty(cp.scratch_size)
                    try:
                        m, bad = drv(x, data, buf, *cp.fast, *args)
                    finally:
                        if len(pool) < cp.POOL:
                            pool.append(buf)
                    if not bad and m == cp.m:
                        return cp.jacobian(data)
            from . import _compiled

            x, xf, shape = _numba_input(F, x, "sparse.jacobian", kwargs)
            plan = plans.get(x, args, kwargs)
            cp = compiled.get(plan)
            data, m = _compiled.jacobian(F, xf, shape, cp, args, _numba_ranges(cp.c, executor), executor, submit)
            _m_check(plan, m)
            J = cp.jacobian(data)
            if not plan.checked:
                _check_jacobian_numba(F, x, xf, shape, args, plan, J)
            if shape is None and executor is None and plans.mode != "local":
                fast[x.shape] = (_sparse_driver(F, "jacobian", cp.lanes), cp)
            return J
        x = _input(x, "sparse.jacobian")
        plan = plans.get(x, args, kwargs)
        _, B = _compressed_jacobian(F, x, plan.seed, args, kwargs, executor)
        _m_check(plan, B.shape[0])
        J = jacobian_values(plan.pattern, plan.colors, B)
        if not plan.checked:
            _check_jacobian(F, x, args, kwargs, plan, J)
        return J

    jacobian_F.plan = lambda x, *args, **kwargs: plans.get(_input(x, "plan"), args, kwargs)  # type: ignore[attr-defined]
    return jacobian_F


def sum_hessian(F: Function, *, pattern: Any = "auto", engine: str = "auto", executor: Any = None) -> Function:
    """Value, gradient and sparse Hessian of f(x) = Σ_k F_k(x) from one compressed pass.

    Returns ``sum_hessian_F(x, *args, **kwargs)`` -> ``(value, grad, H)``: value a float,
    grad a dense (n,) array, H a CSR (n, n), exactly symmetric.

    F returns the vector of terms (any shape; its elements are the terms F_k).  With
    colours of the Jacobian pattern of F (the variables of one term have distinct
    colours) and the seed matrix S (n × c), one hyper-dual pass with ε1 = ε2 = S gives for
    every term its compressed gradient ∇F_kᵀS (c) and its compressed Hessian
    C_k = Sᵀ∇²F_k S (c × c).  As a term's variables have distinct colours,
    ∇²F_k[i, j] = C_k[color[i], color[j]] for i, j in its index set, exactly; then
    H = Σ_k ∇²F_k and ∇f = Σ_k ∇F_k.  Cost: one pass with c + c² lanes, linear in n
    (c = 2 for the chained Rosenbrock function).  The result's structure is
    ∪_k (index set of F_k)², which may hold explicit zeros (pairs that meet only linearly).

    Args:
        F: the terms; ``F(x).sum()`` is the function.
        pattern: as for :func:`jacobian`: the Jacobian pattern of F (m × n).
        engine: as for :func:`jacobian`.  The numba engine's hyper-dual carries one ε2
            direction, so it runs c passes: pass b seeds ε2 = S[:, b] and ε1 = S, giving
            C_k[a, b] in F_k's ε1ε2 lane a; the pair (i, j) is read in the pass
            b = max(color i, color j) and added straight into H (the same sums, in the same
            order k = 0, 1, ..., as the numpy engine's decompression).
        executor: as for :func:`jacobian`: ε2's colours (numba: the passes b) in one chunk
            per worker, a task each.
    """
    use_numba = _check_f(F, engine)
    executor = _check_executor(F, executor)
    plans = _Plans(F, pattern, "sum_hessian")
    compiled = _CompiledPlans("sum_hessian")
    submit = _submitter(F, executor)
    fast: dict[tuple[int, ...], tuple] = {}  # see sum_grad

    @functools.wraps(F, updated=())
    def sum_hessian_F(x: Any, *args: Any, **kwargs: Any) -> tuple[float, np.ndarray, sp.csr_array]:
        if use_numba:
            if type(x) is np.ndarray and x.dtype is _F64 and x.flags.c_contiguous and not kwargs:
                entry = fast.get(x.shape)
                if entry is not None:  # a 1-d x of a plan that ran: one compiled call
                    drv, cp = entry
                    g, data = np.empty(cp.n), np.empty(cp.hessian.nnz)
                    pool = cp.pool
                    try:
                        buf = pool.pop()  # a scratch buffer no other call holds (atomic)
                    except IndexError:
                        buf = np.empty(cp.scratch_size)
                    try:
                        value, m, bad = drv(x, g, data, buf, *cp.fast, *args)
                    finally:
                        if len(pool) < cp.POOL:
                            pool.append(buf)
                    if not bad and m == cp.m:
                        return value, g, cp.hessian(data)
            from . import _compiled

            x, xf, shape = _numba_input(F, x, "sparse.sum_hessian", kwargs)
            plan = plans.get(x, args, kwargs)
            cp = compiled.get(plan)
            value, grad, jdata, data, m = _compiled.sum_hessian(
                F, xf, shape, cp, args, _numba_ranges(cp.c, executor), executor, submit, not plan.checked)
            _m_check(plan, m)
            if not plan.checked:
                _check_jacobian_numba(F, x, xf, shape, args, plan, cp.jacobian(jdata), "Jacobian of the terms")
            if shape is None and executor is None and plans.mode != "local":
                fast[x.shape] = (_sparse_driver(F, "sum_hessian", cp.lanes), cp)
            return float(value), grad, cp.hessian(data)
        x = _input(x, "sparse.sum_hessian")
        plan = plans.get(x, args, kwargs)
        S = plan.seed
        value, E1, C = _compressed_sum_hessian(F, x, S, args, kwargs, executor)
        _m_check(plan, value.size)
        if not plan.checked:
            _check_jacobian(F, x, args, kwargs, plan, jacobian_values(plan.pattern, plan.colors, E1),
                            "Jacobian of the terms")
        grad, H = plan.decompress(E1, C)
        return float(value.sum()), grad, H

    sum_hessian_F.plan = lambda x, *args, **kwargs: plans.get(_input(x, "plan"), args, kwargs)  # type: ignore[attr-defined]
    return sum_hessian_F


def sum_grad(F: Function, *, pattern: Any = "auto", engine: str = "auto", executor: Any = None) -> Function:
    """Value and gradient of f(x) = Σ_k F_k(x) from one compressed dual pass.

    Returns ``sum_grad_F(x, *args)`` -> ``(value, grad)``: value a float, grad a dense
    float64 array of x.size entries (x flattened in C order).

    With colours of the Jacobian pattern P of F (m × n; columns sharing a row have distinct
    colours) and the seed matrix S (n × c), one dual pass with c directions gives
    B = J·S (m × c) and, as no two variables of one term share a colour,

        ∇f[j] = Σ_k J[k, j] = Σ_{k : (k, j) ∈ P} B[k, color[j]].

    The numba engine reads B's entries as f's outputs come out of the pass and adds them
    into the gradient in the order k = 0, 1, ... (B is never stored); the value is summed
    in the same order.  Cost: one pass of c lanes (c = 2 for the extended Rosenbrock
    terms), whatever n; against ``dd.grad`` of the sum, n/chunk passes.

    For a 1-d float64 x on the numba engine (no executor), a call after the first is one
    dictionary lookup by x's shape and one call of the compiled driver.

    Args:
        F: the terms; ``F(x).sum()`` is the function.
        pattern: as for :func:`jacobian`: the Jacobian pattern of F (m × n); a given pattern
            is checked on the first call (the pass then also returns J, compared with J·v).
        engine: as for :func:`jacobian`.
        executor: as for :func:`jacobian`: the colours in one chunk per worker, a task each.
    """
    use_numba = _check_f(F, engine)
    executor = _check_executor(F, executor)
    plans = _Plans(F, pattern, "jacobian")
    compiled = _CompiledPlans("sum_grad")
    submit = _submitter(F, executor)
    # numba, 1-d x, no executor: shape -> (driver, compiled plan) of a plan that ran (a given
    # pattern: checked), so a call is one dict lookup and one driver call
    fast: dict[tuple[int, ...], tuple] = {}

    def slow(x: Any, args: tuple, kwargs: dict) -> tuple[float, np.ndarray]:
        if use_numba:
            from . import _compiled

            x, xf, shape = _numba_input(F, x, "sparse.sum_grad", kwargs)
            plan = plans.get(x, args, kwargs)
            cp = compiled.get(plan)
            value, grad, jdata, m = _compiled.sum_grad(F, xf, shape, cp, args, _numba_ranges(cp.c, executor),
                                                       executor, submit, not plan.checked)
            _m_check(plan, m)
            if not plan.checked:
                _check_jacobian_numba(F, x, xf, shape, args, plan, cp.jacobian(jdata), "Jacobian of the terms")
            if shape is None and executor is None and plans.mode != "local":
                fast[x.shape] = (_sparse_driver(F, "sum_grad", cp.lanes), cp)
            return float(value), grad
        x = _input(x, "sparse.sum_grad")
        plan = plans.get(x, args, kwargs)
        value, B = _compressed_jacobian(F, x, plan.seed, args, kwargs, executor)
        _m_check(plan, B.shape[0])
        J = jacobian_values(plan.pattern, plan.colors, B)
        if not plan.checked:
            _check_jacobian(F, x, args, kwargs, plan, J, "Jacobian of the terms")
        return float(value.sum()), _column_sums(J)

    @functools.wraps(F, updated=())
    def sum_grad_F(x: Any, *args: Any, **kwargs: Any) -> tuple[float, np.ndarray]:
        if type(x) is np.ndarray and x.dtype is _F64 and x.flags.c_contiguous and not kwargs:
            entry = fast.get(x.shape)
            if entry is not None:
                drv, cp = entry
                g = np.empty(x.shape[0])
                pool = cp.pool
                try:
                    buf = pool.pop()  # a scratch buffer no other call holds (atomic)
                except IndexError:
                    buf = np.empty(cp.scratch_size)
                try:
                    value, m, bad = drv(x, g, buf, *cp.fast, *args)
                finally:
                    if len(pool) < cp.POOL:
                        pool.append(buf)
                if not bad and m == cp.m:
                    return value, g
        return slow(x, args, kwargs)

    sum_grad_F.plan = lambda x, *args, **kwargs: plans.get(_input(x, "plan"), args, kwargs)  # type: ignore[attr-defined]
    return sum_grad_F


def _column_sums(J: sp.csr_array) -> np.ndarray:
    """Σ_k J[k, j] for every column j (the gradient of the sum of F's elements)."""
    return np.bincount(J.indices, weights=J.data, minlength=J.shape[1]).astype(np.float64)


def hessian(f: Function, *, pattern: Any = "auto", engine: str = "auto", executor: Any = None) -> Function:
    """Sparse Hessian of a scalar f: returns ``hessian_f(x, *args, **kwargs)`` -> CSR (n, n),
    float64, exactly symmetric.

    Two methods, chosen per input shape (``hessian_f.plan(x).kind`` says which):

    * **sum method** (``"sum_hessian"``), when f ends in a sum: f is traced with sums that
      keep their terms (``np.sum``/``.sum()``/``np.mean``, a dot with a constant vector,
      ``+``/``-`` of such sums and scalar terms, constant factors: ``dualdiff._termsum``);
      with the c colours of the terms' Jacobian pattern, one hyper-dual pass with
      ε1 = ε2 = S gives every term's compressed Hessian Sᵀ∇²F_k S, and
      ∇²F_k[i, j] = (Sᵀ∇²F_k S)[color i, color j], as in :func:`sum_hessian`.  Cost: one
      pass of c + c² lanes, linear in n.  The pass checks its terms against the trace's
      and the result against f's own compressed gradient and Hessian; any disagreement
      falls back to the general method with a ``RuntimeWarning``.
    * **general method** (``"hessian"``), for any f: colour the Hessian pattern (star
      colouring when it has fewer colours than distance-2; c colours, S the n × c seed
      matrix), compute B = H·S (numpy engine: hyper-duals with ε1 over all n unit
      directions in chunks of k and ε2 = S; numba engine: c compiled Hessian-vector
      products) and read H back (H[i, j] = B[i, color j], or the star colouring's direct
      recovery), the upper triangle read and mirrored.  Cost: about n·c lanes in all, so
      O(n²·c) work for f of cost O(n), against about n²/2 lanes for ``dd.hessian``.

    Either way the result has the structure of f's Hessian pattern.
    ``hessian_f.value_grad_hessian(x, *args)`` returns ``(f(x), ∇f flat, H)``, all three
    from the sum method's one pass when it applies (what ``optimize.minimize(...,
    sparse=True)`` uses).

    Args:
        f: the scalar function.
        pattern: as for :func:`jacobian`, with the Hessian pattern (n × n; made symmetric).
        engine: as for :func:`jacobian`.
        executor: a ``concurrent.futures.Executor``: each pass (a chunk of ε1's unit
            directions, the same passes as locally) is a task; the result equals the local
            one bit for bit.
    """
    _check_f(f, engine)
    executor = _check_executor(f, executor)
    plans = _Plans(f, pattern, "hessian")
    sums = _SumPlans(f, pattern)

    @functools.wraps(f, updated=())
    def hessian_f(x: Any, *args: Any, **kwargs: Any) -> sp.csr_array:
        x = _input(x, "sparse.hessian")
        splan = sums.get(x, args, kwargs, plans)
        if splan is not None:
            try:
                return sum_hessian_of(f, x, splan, args, kwargs,
                                      lambda task, arguments: _passes(executor, f, task, arguments))[2]
            except SumStructureLost as exc:
                warn_fallback(exc)
                sums.lost(x)
        plan = plans.get(x, args, kwargs)
        return _general_hessian(f, x, plan, args, kwargs, executor, engine=engine)

    def plan_of(x: Any, *args: Any, **kwargs: Any) -> Plan:
        x = _input(x, "plan")
        return sums.get(x, args, kwargs, plans) or plans.get(x, args, kwargs)

    def value_grad_hessian_f(x: Any, *args: Any, **kwargs: Any) -> tuple[float, np.ndarray, sp.csr_array]:
        """(f(x), ∇f flat (n,), H): all three from the one pass of the sum method when f
        is a sum of terms; otherwise H by the general method and f, ∇f by ``dd.value_and_grad``."""
        x = _input(x, "sparse.hessian")
        splan = sums.get(x, args, kwargs, plans)
        if splan is not None:
            try:
                return sum_hessian_of(f, x, splan, args, kwargs,
                                      lambda task, arguments: _passes(executor, f, task, arguments))
            except SumStructureLost as exc:
                warn_fallback(exc)
                sums.lost(x)
        from ..transforms import value_and_grad

        H = hessian_f(x, *args, **kwargs)
        value, grad = value_and_grad(f)(x, *args, **kwargs)
        return float(value), np.asarray(grad, dtype=np.float64).reshape(-1), H

    hessian_f.plan = plan_of  # type: ignore[attr-defined]
    hessian_f.value_grad_hessian = value_grad_hessian_f  # type: ignore[attr-defined]
    return hessian_f


class _SumPlans:
    """sparse.hessian's sum plans: f traced with sums keeping their terms (``sums.py``).

    None for a shape where f is not a sum of terms, where a given pattern is used, where
    the general method is cheaper (c_sum + c_sum² lanes in one pass against about
    n · (1 + c) for the general method), or where the structure did not hold in a pass.
    """

    def __init__(self, f: Function, pattern: Any) -> None:
        self.f = f
        self.mode = pattern if isinstance(pattern, str) else "given"
        self.by_key: dict[Any, Plan | None] = {}

    def _key(self, x: np.ndarray) -> Any:
        return x.shape if self.mode == "auto" else (x.shape, x.tobytes())

    def get(self, x: np.ndarray, args: tuple, kwargs: dict, general: _Plans) -> Plan | None:
        if self.mode == "given":
            return None
        key = self._key(x)
        if key in self.by_key:
            return self.by_key[key]
        if self.mode == "local":
            self.by_key.clear()  # one x at a time, as the general local plans
        plan = None
        found = detect_terms(self.f, x, args, kwargs, local=self.mode == "local")
        if found is not None:
            P, sizes, hess = found
            plan = Plan("sum_hessian", x.shape, P, color_columns(P), self.mode, term_sizes=sizes,
                        within=hess)
            c = plan.ncolors
            if c * (c + 1) > 4 * max(x.size, 1):  # compare with the general method's cost
                g = general.get(x, args, kwargs)
                if c * (c + 1) > x.size * (1 + g.ncolors):
                    plan = None
        self.by_key[key] = plan
        return plan

    def lost(self, x: np.ndarray) -> None:
        self.by_key[self._key(x)] = None
