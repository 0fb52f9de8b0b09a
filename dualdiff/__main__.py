"""``python -m dualdiff``: the command line (see :mod:`dualdiff.cli`)."""

from dualdiff.cli import main

raise SystemExit(main())
