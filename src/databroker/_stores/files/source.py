"""Readers of run files take a path or an already open binary file (one open per scan)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

__all__ = ["FileSource", "opened", "source_name"]

FileSource = str | os.PathLike[str] | BinaryIO


@contextmanager
def opened(source: FileSource) -> Iterator[BinaryIO]:
    """Yield ``source`` as an open binary file: opened (and closed) here when it is a path."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            yield file
    else:
        yield source


def source_name(source: FileSource) -> str:
    """The file name to put in messages."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<file>"))
