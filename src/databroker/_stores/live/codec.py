"""Documents as the bytes of a stream entry: msgpack ``[name, doc]``, numpy values kept.

The encoding is the msgpack run file's (:func:`databroker._stores.files.msgpack_format.
packb`), so a buffer entry and a record of a ``.msgpack`` file are the same bytes; decoding
never unpickles anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgpack

from ...errors import CorruptFileError
from ..files.msgpack_format import _decode_numpy, packb

__all__ = ["pack", "unpack"]


def pack(name: str, doc: Mapping[str, Any]) -> bytes:
    """Encode one document."""
    return packb(name, doc)


def unpack(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    """Decode one entry's bytes into ``(name, doc)``; ``where`` names the entry for errors."""
    try:
        name, doc = msgpack.unpackb(
            data, raw=False, strict_map_key=False, object_hook=_decode_numpy
        )
    except (ValueError, TypeError, msgpack.StackError) as error:
        raise CorruptFileError(
            f"{where}: the entry does not decode to a [name, document] pair ({error})."
        ) from None
    if not isinstance(name, str) or not isinstance(doc, dict):
        raise CorruptFileError(f"{where}: the entry is not a [name, document] pair.")
    return name, doc
