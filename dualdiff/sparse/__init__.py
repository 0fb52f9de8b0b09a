"""Sparse Jacobians and Hessians: detect the pattern, colour it, compress the passes.

>>> import numpy as np
>>> from dualdiff import sparse
>>> F = lambda x: x[1:] * x[:-1]                 # a bidiagonal Jacobian
>>> sparse.jacobian(F)(np.arange(1.0, 5.0)).toarray()
array([[2., 1., 0., 0.],
       [0., 3., 2., 0.],
       [0., 0., 4., 3.]])

* :func:`jacobian_pattern`, :func:`hessian_pattern`: the patterns, by tracing the function
  once on index sets (:mod:`dualdiff.sparse.tracer`);
* :func:`color_columns`: greedy distance-2 column colouring (:mod:`dualdiff.sparse.coloring`);
* :func:`star_color`: greedy star colouring of a symmetric pattern, for Hessians read
  directly from H·S (:mod:`dualdiff.sparse.star`);
* :func:`jacobian`, :func:`hessian`, :func:`sum_hessian`: the derivatives as
  ``scipy.sparse.csr_array``, from compressed dual / hyper-dual passes;
* :func:`sum_grad`: value and gradient of ``F(x).sum()`` from one compressed dual pass;
* :class:`PatternError`: value-dependent control flow during detection, or a given pattern
  that misses entries.

See docs/sparse.md.
"""

from __future__ import annotations

from ._errors import PatternError
from .api import Plan, hessian, jacobian, sum_grad, sum_hessian
from .coloring import color_columns, is_valid_coloring
from .patterns import hessian_pattern, jacobian_pattern
from .star import is_valid_star_coloring, star_color

__all__ = ["PatternError", "jacobian_pattern", "hessian_pattern", "color_columns", "is_valid_coloring",
           "star_color", "is_valid_star_coloring", "jacobian", "hessian", "sum_hessian", "sum_grad", "Plan"]
