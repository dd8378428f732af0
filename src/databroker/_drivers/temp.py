"""``temp()``: a new, empty catalog in a temporary directory."""

from __future__ import annotations

import os
import tempfile

from .msgpack import BlueskyMsgpackCatalog

__all__ = ["temp"]


def temp() -> BlueskyMsgpackCatalog:
    """Return a new, empty msgpack catalog in a fresh temporary directory, named ``'temp'``."""
    directory = tempfile.mkdtemp(prefix="databroker-temp-")
    data = os.path.join(directory, "data")
    os.makedirs(data)
    return BlueskyMsgpackCatalog(os.path.join(data, "*.msgpack"), name="temp")
