"""dualdiff's two patches of numba internals: installed, and loud if numba moves them."""

from __future__ import annotations

import numba
import pytest

from dualdiff.jit import _patches


def test_both_patches_are_installed():
    assert _patches.installed()


def test_patched_names_exist_in_this_numba():
    _patches.check()  # raises ImportError naming the name and the tested numba range


def test_a_moved_name_fails_loudly(monkeypatch):
    module, name = _patches.PATCHED[0]
    monkeypatch.delattr(module, name)
    with pytest.raises(ImportError, match=rf"{name}.*numba {numba.__version__}.*install a numba"):
        _patches.check()


def test_numba_is_within_the_tested_range():
    version = tuple(int(p) for p in numba.__version__.split(".")[:2])
    low, high = _patches.TESTED
    assert low <= version < high, (
        f"numba {numba.__version__} is outside the range dualdiff's patches were tested with; "
        "run the numba engine's tests and move TESTED and the pin in pyproject.toml together")
