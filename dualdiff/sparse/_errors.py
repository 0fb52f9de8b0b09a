"""The error type of dualdiff.sparse."""

from __future__ import annotations


class PatternError(ValueError):
    """A sparsity pattern cannot be detected, or a given pattern misses entries."""


WAYS_OUT = (
    "Two ways out: pass the pattern yourself (pattern=<a scipy.sparse matrix or boolean array>), "
    "or detect it at each point with pattern=\"local\" (sparse.jacobian_pattern(F, x, local=True)), "
    "which runs the code on the values of x and so takes its branches, but holds at that x only."
)
