"""spaser: open platform for responsible public procurement."""

__version__ = "0.1.0"
