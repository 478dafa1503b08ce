"""Allows `python -m wizard403`."""

from wizard403.cli import run

raise SystemExit(run())
