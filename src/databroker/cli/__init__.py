"""The ``databroker`` command line (entry point ``databroker.cli:main``)."""

from __future__ import annotations

from .main import main

__all__ = ["main"]
