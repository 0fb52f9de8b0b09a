"""Test-suite settings.  In CI (``CI`` set, as ``.ci/run`` is run), hypothesis draws its
examples deterministically, so a run that passed here passes there; locally it keeps
exploring new examples (and its database replays any failure it found)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
