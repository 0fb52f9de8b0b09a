# `make demo` and `make test` set everything up on a fresh machine (they create .venv).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: demo test lint bench docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/quickstart.py

# two pytest-xdist workers, one test file each at a time (--dist loadfile: a module's numba
# functions compile in one process only): the suite is compile-bound and single-threaded
test: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 --dist loadfile

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check dualdiff tests examples benchmarks docs/_hooks

bench: $(VENV)/.installed-test
	$(PIP) install -q -e ".[bench]"
	$(PY) benchmarks/run.py

docs: $(VENV)/.installed
	$(PIP) install -q -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis site
