"""Functions the batching tests map over points: the same maths on the Python engine and
as numba @njit code, plus helpers that raise or sleep.  Imported by both test modules;
tests/batching/test_vmap_dask.py sends this module's functions to workers by value."""

from __future__ import annotations

import time
from typing import NamedTuple

import numba
import numpy as np

import dualdiff as dd
from dualdiff import problems


def smooth(x, scale=1.0):
    """A scalar function of a vector (Python engine)."""
    return scale * np.sum(np.sin(x) * x**2) + x[0] * x[-1]


@numba.njit
def smooth_nb(x, scale):
    """smooth, as a numba loop (numba engine; extra arguments positional)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sin(x[i]) * x[i] ** 2
    return scale * s + x[0] * x[-1]


def vector(x):
    """R^n -> R^3 (Python engine)."""
    return np.array([np.sum(x**2), np.prod(np.cos(x)), x[0] * np.exp(x[-1])])


broyden_nb = numba.njit(problems.broyden_loop)  # R^n -> R^n (numba engine): the shared test problem


def matrix_energy(A):
    """A scalar function of a matrix point (X of three axes)."""
    return np.sum(A @ A.T) + np.sum(np.exp(A[0]))


class Summary(NamedTuple):
    value: float
    gradient: np.ndarray


def summary(x):
    """A named tuple with a nested tuple inside: (value, gradient), (norm, (sign,))."""
    v, g = dd.value_and_grad(smooth)(x)
    return Summary(v, g), (np.linalg.norm(x), (np.sign(x[0]),))


def fails_beyond(limit):
    """smooth, except that points with x[0] > limit raise ValueError."""

    def f(x, *args, **kwargs):
        if x[0] > limit:
            raise ValueError(f"x[0] = {x[0]} is beyond {limit}")
        return smooth(x, *args, **kwargs)

    return f


def raise_if_big(x):
    """smooth, raising ValueError where x[0] > 1 (module level: workers import or receive it)."""
    if x[0] > 1.0:
        raise ValueError("x[0] > 1 is outside the model's domain")
    return smooth(x)


def slow_gradient(x):
    """dd.grad(smooth) after 20 ms of 'simulation': a slow task for the fault test."""
    time.sleep(0.02)
    return dd.grad(smooth)(x)


def points(n, d=4, seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, (n, d))


def per_point(fn, X, *args):
    """The reference: fn at each point, stacked by hand (tuples element-wise)."""
    results = [fn(x, *args) for x in X]
    if isinstance(results[0], tuple):
        return tuple(np.stack([np.asarray(r[k]) for r in results]) for k in range(len(results[0])))
    return np.stack([np.asarray(r) for r in results])


def assert_identical(got, want):
    """Same structure, shapes, dtypes and bits."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), (type(got), got)
        for g, w in zip(got, want, strict=True):
            assert_identical(g, w)
        return
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    assert np.array_equal(got, want, equal_nan=True), np.abs(got - want).max()
