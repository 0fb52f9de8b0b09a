"""dd.vmap on numpy arrays, locally and on concurrent.futures executors: results equal the
per-point calls bit for bit; tuples stack element-wise; errors name the failing point;
empty X; the fn.batched protocol; bad input."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import dualdiff as dd
from dualdiff.batching import EmptyBatchError, PointError

from .batching_functions import (
    Summary,
    assert_identical,
    broyden_nb,
    fails_beyond,
    matrix_energy,
    per_point,
    points,
    smooth,
    smooth_nb,
    summary,
    vector,
)

TRANSFORMS = ["grad", "value_and_grad", "hessian", "value_grad_hessian"]


def transformed(name, engine):
    """dd.<name> of smooth on the Python engine, or of smooth_nb on the numba engine (scale=2)."""
    f = smooth_nb if engine == "numba" else smooth
    return getattr(dd, name)(f)


# -- results equal the per-point calls ----------------------------------------------------------

@pytest.mark.parametrize("name, engine", [(name, engine) for name in TRANSFORMS for engine in ("python", "numba")
                                          if (name, engine) != ("hessian", "numba")])  # its compile: 5 s
def test_transforms_stack_exactly(name, engine):
    fn = transformed(name, engine)
    X = points(13)
    assert_identical(dd.vmap(fn)(X, 2.0), per_point(fn, X, 2.0))


@pytest.mark.parametrize("f", [vector, broyden_nb], ids=["python", "numba"])
def test_jacobians(f):
    fn = dd.jacobian(f)
    X = points(7, d=5)
    out = dd.vmap(fn)(X)
    assert out.shape == (7, f(X[0]).shape[0], 5)
    assert_identical(out, per_point(fn, X))


def test_scalar_results_give_a_vector_and_plain_functions_map_too():
    X = points(6)
    out = dd.vmap(smooth)(X)
    assert out.shape == (6,) and out.dtype == np.float64
    assert_identical(out, np.array([smooth(x) for x in X]))
    assert_identical(dd.vmap(smooth_nb)(X, 1.5), np.array([smooth_nb(x, 1.5) for x in X]))


def test_points_of_any_shape():
    xs = np.linspace(-1.0, 2.0, 9)             # scalar points: derivative of a scalar function
    d = dd.vmap(dd.derivative(np.sin))(xs)
    assert_identical(d, np.array([dd.derivative(np.sin)(x) for x in xs]))
    np.testing.assert_allclose(d, np.cos(xs), rtol=1e-15)
    A = points(8, d=6).reshape(4, 2, 6)         # matrix points: gradient of shape (2, 6)
    g = dd.vmap(dd.grad(matrix_energy))(A)
    assert g.shape == (4, 2, 6)
    assert_identical(g, per_point(dd.grad(matrix_energy), A))


def test_extra_arguments_and_keywords_pass_through():
    X = points(5)
    out = dd.vmap(dd.grad(smooth))(X, scale=3.0)
    assert_identical(out, per_point(lambda x: dd.grad(smooth)(x, scale=3.0), X))
    assert_identical(dd.vmap(dd.grad(smooth))(X, 3.0), out)


def test_named_and_nested_tuples_keep_their_structure():
    X = points(4)
    (s, (norm, (sign,))) = out = dd.vmap(summary)(X)
    assert isinstance(s, Summary) and isinstance(out, tuple)
    assert s.value.shape == (4,) and s.gradient.shape == (4, 4) and norm.shape == (4,) and sign.shape == (4,)
    for i, x in enumerate(X):
        (s_i, (n_i, (sg_i,))) = summary(x)
        assert s.value[i] == s_i.value and np.array_equal(s.gradient[i], s_i.gradient)
        assert norm[i] == n_i and sign[i] == sg_i


# -- errors name the failing point ---------------------------------------------------------------

def test_an_exception_at_a_point_names_its_index_and_chains_the_original():
    X = points(10)
    X[:, 0] = np.linspace(-1, 1, 10)            # x[0] > 0.5 from point 7 on (0.556)
    with pytest.raises(PointError, match=r"at point 7 \(X\[7\]\): x\[0\] = .* is beyond 0.5") as info:
        dd.vmap(fails_beyond(0.5))(X)
    assert info.value.index == 7
    assert isinstance(info.value.__cause__, ValueError) and info.value.original is info.value.__cause__
    assert "raised ValueError" in str(info.value)


def test_transform_errors_at_a_point_are_reported_with_its_index():
    with pytest.raises(PointError, match=r"at point 0 .*jacobian") as info:
        dd.vmap(dd.grad(vector))(points(3))       # grad of a vector function
    assert isinstance(info.value.original, TypeError)


def test_point_error_pickles_with_its_index_and_original():
    err = PointError("dd.vmap: f raised ValueError at point 3 (X[3]): bad", 3, ValueError("bad"))
    back = pickle.loads(pickle.dumps(err))
    assert back.index == 3 and str(back) == str(err)
    assert isinstance(back.original, ValueError) and back.__cause__ is back.original


def test_results_that_change_shape_or_structure_between_points():
    def ragged(x):
        return np.zeros(3 if x[0] < 0 else 4)

    X = np.array([[-1.0], [-2.0], [1.0]])
    with pytest.raises(ValueError, match=r"shape \(3,\) at point 0 but \(4,\) at point 2"):
        dd.vmap(ragged)(X)
    with pytest.raises(ValueError, match="a 2-tuple at point 0 but an array at point 2"):
        dd.vmap(lambda x: (x, x) if x[0] < 0 else x)(X)


# -- empty X -------------------------------------------------------------------------------------

def test_empty_x_needs_a_probe_point():
    X = np.empty((0, 4))
    with pytest.raises(EmptyBatchError, match=r"probe=x0"):
        dd.vmap(dd.grad(smooth))(X)
    assert issubclass(EmptyBatchError, ValueError)
    g = dd.vmap(dd.grad(smooth), probe=np.zeros(4))(X)
    assert g.shape == (0, 4) and g.dtype == np.float64
    v, g, h = dd.vmap(dd.value_grad_hessian(smooth_nb), probe=np.zeros(4))(X, 2.0)
    assert (v.shape, g.shape, h.shape) == ((0,), (0, 4), (0, 4, 4))
    with ThreadPoolExecutor(2) as ex:
        assert dd.vmap(dd.jacobian(vector), probe=np.ones(4), executor=ex)(X).shape == (0, 3, 4)


def test_a_probe_point_that_raises():
    with pytest.raises(PointError, match="probe point") as info:
        dd.vmap(fails_beyond(0.0), probe=np.ones(3))(np.empty((0, 3)))
    assert info.value.index is None


# -- the batched protocol ------------------------------------------------------------------------

class Batched:
    """A fn with the batched protocol: per point smooth's gradient; batched calls counted."""

    def __init__(self, broken=False):
        self.calls = []
        self.broken = broken
        self.__name__ = "batched_grad"

    def __call__(self, x, *args, **kwargs):
        return dd.grad(fails_beyond(0.5))(x, *args, **kwargs)

    def batched(self, X, *args):
        self.calls.append(X.shape)
        if self.broken:
            return np.zeros((X.shape[0] + 1, X.shape[1]))
        return np.stack([self(x, *args) for x in X]) if len(X) else np.empty((0,) + X.shape[1:])


def test_batched_is_used_once_per_call_and_per_block():
    fn, X = Batched(), points(10)
    X[:, 0] = -1.0
    assert_identical(dd.vmap(fn)(X), per_point(fn, X))
    assert fn.calls == [(10, 4)]
    with ThreadPoolExecutor(2) as ex:
        assert_identical(dd.vmap(fn, executor=ex, block=4)(X), per_point(fn, X))
    assert sorted(fn.calls) == [(2, 4), (4, 4), (4, 4), (10, 4)]


def test_batched_is_skipped_with_keywords_and_gives_empty_results():
    fn, X = Batched(), points(3)
    X[:, 0] = -1.0
    dd.vmap(fn)(X, scale=2.0)
    assert fn.calls == []
    assert dd.vmap(fn)(np.empty((0, 4))).shape == (0, 4)   # no probe needed: batched knows
    assert fn.calls == [(0, 4)]


def test_batched_errors_are_located_point_by_point():
    fn, X = Batched(), points(6)
    X[:, 0] = [-1, -1, -1, 0.7, -1, 0.9]
    with pytest.raises(PointError, match=r"at point 3 ") as info:
        dd.vmap(fn)(X)
    assert info.value.index == 3


def test_batched_results_of_the_wrong_length_are_refused():
    with pytest.raises(RuntimeError, match="batched protocol"):
        dd.vmap(Batched(broken=True))(-np.ones((3, 4)))


# -- executors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [None, 1, 4, 7, 100])
def test_thread_pool_blocks_equal_the_local_result(block):
    fn, X = dd.value_grad_hessian(smooth), points(23)
    with ThreadPoolExecutor(2) as ex:
        assert_identical(dd.vmap(fn, executor=ex, block=block)(X), dd.vmap(fn)(X))


def test_thread_pool_error_names_the_global_index():
    X = points(12)
    X[:, 0] = -1.0
    X[9, 0] = 2.0
    with ThreadPoolExecutor(2) as ex, pytest.raises(PointError, match=r"at point 9 ") as info:
        dd.vmap(fails_beyond(0.5), executor=ex, block=4)(X)
    assert info.value.index == 9


def test_process_pool_runs_closures_and_numba_functions():
    """Transforms are closures and numba dispatchers travel by value: both run in spawned
    processes that never imported this module; results are the local ones, bit for bit."""
    X = points(17)
    fns = [dd.grad(smooth_nb), dd.value_grad_hessian(smooth), lambda x, s: np.cos(x) * s]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        for fn in fns:
            assert_identical(dd.vmap(fn, executor=ex, block=5)(X, 2.0), dd.vmap(fn)(X, 2.0))
        X[:, 0] = -1.0
        X[11, 0] = 3.0
        with pytest.raises(PointError, match=r"at point 11 \(X\[11\]\)") as info:
            dd.vmap(fails_beyond(0.5), executor=ex, block=3)(X)
        assert info.value.index == 11 and isinstance(info.value.original, ValueError)

        class Unpicklable(Exception):   # pickle cannot find it: the message and index travel, not it
            pass

        def raises_unpicklable(x):
            raise Unpicklable("a local exception class")

        with pytest.raises(PointError, match=r"raised Unpicklable at point 0 .*a local exception") as info:
            dd.vmap(raises_unpicklable, executor=ex)(X)
        assert info.value.index == 0 and info.value.original is None


# -- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("X, error, words", [
    ([[1.0, 2.0]], TypeError, "np.asarray"),
    ((1.0, 2.0), TypeError, "np.asarray"),
    (None, TypeError, "numpy or dask array"),
    ("abc", TypeError, "numpy or dask array"),
    (3.0, TypeError, "numpy or dask array"),
    (np.float64(3.0), ValueError, r"shape \(\)"),
    (np.array(3.0), ValueError, r"X\[None\]"),
])
def test_bad_x(X, error, words):
    with pytest.raises(error, match=words):
        dd.vmap(dd.grad(smooth))(X)


def test_bad_arguments_to_vmap():
    with pytest.raises(TypeError, match="function of one point"):
        dd.vmap(np.ones(3))
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        dd.vmap(smooth, executor=4)
    for block in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            dd.vmap(smooth, block=block)


def test_objects_with_array_interface_are_converted():
    class Table:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None, copy=None):
            return self.a

    X = points(3)
    assert_identical(dd.vmap(dd.grad(smooth))(Table(X)), per_point(dd.grad(smooth), X))


# -- inside other transforms ---------------------------------------------------------------------

def test_vmap_inside_a_transform_differentiates_through_the_map():
    """Points that are constants and fn capturing the parameters, or points that carry
    dual parts (X scaled by the parameter): the same derivatives as a list comprehension."""
    X = points(6, d=2)

    def loss(p):
        return np.sum(dd.vmap(lambda x: x[0] * p[0] + np.sin(x[1] * p[1]))(X) ** 2)

    def loss_by_hand(p):
        return np.sum(np.array([x[0] * p[0] + np.sin(x[1] * p[1]) for x in X]) ** 2)

    p = np.array([0.5, 1.5])
    assert np.array_equal(dd.grad(loss)(p), dd.grad(loss_by_hand)(p))
    assert np.array_equal(dd.hessian(loss)(p), dd.hessian(loss_by_hand)(p))

    def scaled(s):
        return np.sum(dd.vmap(smooth)(X * s))

    assert dd.derivative(scaled)(1.25) == dd.derivative(lambda s: sum(smooth(x) for x in X * s))(1.25)

    def on_threads(s):
        with ThreadPoolExecutor(1) as ex:
            return np.sum(dd.vmap(smooth, executor=ex)(X * s))

    with pytest.raises(TypeError, match="drop executor="):
        dd.derivative(on_threads)(1.25)
    with pytest.raises(ValueError, match="single dual number"):
        dd.derivative(lambda s: dd.vmap(np.sin)(s))(1.0)
