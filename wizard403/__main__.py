"""Allows `python -m wizard403`."""

from wizard403.cli import main

raise SystemExit(main())
