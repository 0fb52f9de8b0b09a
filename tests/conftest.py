"""Test-suite settings.  In CI (``CI`` set, as ``.ci/run`` is run), hypothesis draws its
examples deterministically, so a run that passed here passes there; locally it keeps
exploring new examples (and its database replays any failure it found).

``dask_client``: one two-process dask.distributed LocalCluster on loopback for the whole
session (tests/batching/test_vmap_dask.py and tests/test_executor.py), started on first use:
starting one takes seconds of the suite's time."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# in CI, 40 examples for the tests that do not set their own (hypothesis' default is 100):
# the suite must stay under ten minutes on 2 cores; locally the default explores further
settings.register_profile("ci", derandomize=True, print_blob=True, max_examples=40)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def dask_client():
    """A dask.distributed Client of a LocalCluster: two worker processes (nannies restart a
    killed one), one thread each, on loopback; closed at the end of the session.
    Not the default client (``set_as_default=False``): tests pass it explicitly.  Its HTTP server
    takes a free port (``dashboard_address=":0"``; None still means 8787, which the other
    pytest-xdist worker or an example may hold)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)   # fail, not hang, if a worker cannot start
        yield client
