"""dualdiff: exact first and second derivatives by forward-mode AD with dual and
hyper-dual numbers.

>>> import dualdiff as dd
>>> dd.derivative(lambda x: x**3)(2.0)
12.0
"""

from __future__ import annotations

from . import (
    numpy_api,
    numpy_linalg,
    numpy_shape,
    numpy_statistics,
    optimize,
    rules,
    special,
    testing,
    verify,
)
from .batching import vmap
from .dual import Dual
from .functions import *  # noqa: F403 - dd.sin, dd.exp, ... generated from the rules table
from .functions import FUNCTIONS, clip, where
from .hyperdual import HyperDual
from .jet import DualConversionError
from .plans import Plan
from .special import log_softmax, logsumexp, polygamma, softmax
from .transforms import (
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    plan,
    second_derivative,
    value_and_grad,
    value_and_jacobian,
    value_grad_hessian,
)
from .verify import CheckReport, check_grad, check_hessian, check_hvp, check_jacobian

__version__ = "0.1.0"

__all__ = [
    "Dual", "HyperDual", "DualConversionError", "rules", "numpy_api",
    "derivative", "second_derivative", "grad", "jacobian", "hessian", "jvp", "hvp",
    "value_and_grad", "value_and_jacobian", "value_grad_hessian", "plan", "Plan", "vmap", "clip", "where", *FUNCTIONS,
    "optimize", "verify", "testing", "CheckReport", "check_grad", "check_jacobian", "check_hessian", "check_hvp",
    "special", "numpy_linalg", "numpy_shape", "numpy_statistics", "polygamma", "logsumexp", "softmax", "log_softmax",
]
