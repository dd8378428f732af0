"""Find a msgpack run file's stop document by reading only the end of the file.

The stop document is the last object of a finished run. Every object is a two-element array
whose first element is the document name, so a stop record begins with the bytes of
``[ "stop", ...`` (fixarray of 2, fixstr of 4). We try each such position in the file's tail,
newest first, and accept one whose decode consumes exactly the rest of the file.
"""

from __future__ import annotations

import os
from typing import Any

import msgpack

from .source import FileSource, opened

__all__ = ["read_msgpack_stop"]

_STOP_MARKER = b"\x92\xa4stop"
_TAIL_BYTES = 1 << 20


def read_msgpack_stop(path: FileSource) -> dict[str, Any] | None:
    """Return the stop document at the end of a msgpack run file, or None if it has none."""
    with opened(path) as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(size - _TAIL_BYTES, 0))
        tail = file.read()
    position = tail.rfind(_STOP_MARKER)
    while position >= 0:
        stop = _decode_stop(tail[position:])
        if stop is not None:
            return stop
        position = tail.rfind(_STOP_MARKER, 0, position)
    return None


def _decode_stop(data: bytes) -> dict[str, Any] | None:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    try:
        record = unpacker.unpack()
    except (msgpack.OutOfData, ValueError, msgpack.ExtraData, TypeError):
        return None
    if unpacker.tell() != len(data):
        return None
    if isinstance(record, list) and len(record) == 2 and isinstance(record[1], dict):
        return record[1]
    return None
