"""wizard403: find out why a request is refused with 403 Forbidden, and say who can fix it."""

__version__ = "0.1.0"
