"""Decode and encode the msgpack run file: a concatenation of ``[name, doc]`` msgpack arrays.

Numpy values use msgpack-numpy's map encoding (``{b'nd': True, b'type', b'kind', b'shape',
b'data'}`` for arrays, ``{b'nd': False, b'type', b'data'}`` for scalars), decoded and
encoded here without that package so that nothing is ever unpickled: its pickled object
arrays are rejected as corrupt data.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Generator, Iterator, Mapping
from typing import Any, BinaryIO

import msgpack
import numpy as np

from ..._documents.routing import DOCUMENT_NAMES, LEGACY_NAMES, pair_problem
from ...errors import CorruptFileError, TruncatedFileWarning
from .source import FileSource, opened, source_name

__all__ = [
    "iter_documents",
    "locate",
    "packb",
    "read_blocks",
    "read_first_document",
    "warn_truncated",
]

StrPath = str | os.PathLike[str]

# Reading starts small (a catalog scan only needs each file's start) and grows to this.
_FIRST_BLOCK = 1 << 16
_MAX_BLOCK = 1 << 24
# No object may be larger than this; the spec requires objects up to 1 GB to decode.
_MAX_OBJECT = (1 << 31) - 1
# What decoding bad bytes or a bad numpy map can raise (msgpack's errors are ValueErrors).
_DECODE_ERRORS = (ValueError, TypeError, msgpack.StackError)


class _BadNumpyValue(ValueError):
    """A numpy map that cannot (or must not) become an array."""


def _dtype(spec: Any) -> np.dtype[Any]:
    """Build a dtype from a type string or a (possibly nested) structured descr list."""
    if isinstance(spec, bytes):
        spec = spec.decode("ascii")
    if isinstance(spec, list):
        spec = [_field_spec(field) for field in spec]
    dtype = np.dtype(spec)
    if dtype.hasobject:
        raise _BadNumpyValue(f"object dtype {spec!r} (its data would have to be unpickled)")
    return dtype


def _field_spec(field: list[Any]) -> tuple[Any, ...]:
    name, spec, *shape = field
    if isinstance(name, bytes):
        name = name.decode("utf-8")
    return (name, _dtype(spec), *(tuple(s) if isinstance(s, list) else s for s in shape))


def _decode_numpy(obj: dict[Any, Any]) -> Any:
    """object_hook: turn msgpack-numpy's maps back into numpy values, leave others alone."""
    if b"nd" not in obj:
        if b"complex" in obj and len(obj) == 2:
            data = obj[b"data"]
            return complex(data.decode("ascii") if isinstance(data, bytes) else data)
        return obj
    try:
        data = obj[b"data"]
        if obj[b"nd"] is not True:
            return np.frombuffer(data, dtype=_dtype(obj[b"type"]))[0]
        kind = obj.get(b"kind", b"")
        if kind in (b"O", "O"):
            raise _BadNumpyValue(
                "a pickled object array (msgpack-numpy kind 'O'), which is never unpickled"
            )
        return np.frombuffer(data, dtype=_dtype(obj[b"type"])).reshape(obj[b"shape"])
    except KeyError as exc:
        raise _BadNumpyValue(f"a numpy map without the {exc.args[0]!r} entry") from None


def _unpacker() -> msgpack.Unpacker:
    # The str/bin/array/map length limits derive from max_buffer_size. They cannot be
    # bounded by the bytes present: a partly written final object may declare more.
    return msgpack.Unpacker(
        raw=False,
        strict_map_key=False,
        max_buffer_size=_MAX_OBJECT,
        object_hook=_decode_numpy,
    )


_RECORD_NAMES = frozenset(DOCUMENT_NAMES) | frozenset(LEGACY_NAMES)


def _decode(
    source: FileSource, offset: int
) -> Generator[tuple[int, str, dict[str, Any]], None, int | None]:
    """Yield ``(end_offset, name, doc)``; return the offset of a truncated tail, or None."""
    path = source_name(source)
    with opened(source) as file:
        unpacker = _unpacker()
        position = read_to = offset
        for block in read_blocks(file, offset):
            read_to += len(block)
            unpacker.feed(block)
            while True:
                try:
                    obj = next(unpacker)
                except StopIteration:
                    break
                except _DECODE_ERRORS as exc:
                    raise _corrupt(path, position, str(exc) or "not msgpack") from None
                _check_pair(obj, path, position)
                position = offset + unpacker.tell()
                yield position, obj[0], obj[1]
    return position if position < read_to else None


def _check_pair(obj: Any, path: str, position: int) -> None:
    """Raise our error unless ``obj`` is a ``[name, doc]`` pair with a known name."""
    if not (
        type(obj) is list and len(obj) == 2 and type(obj[1]) is dict and obj[0] in _RECORD_NAMES
    ):
        raise _corrupt(path, position, pair_problem(obj) or "not a document")


def read_blocks(file: BinaryIO, offset: int) -> Iterator[bytes]:
    """Yield the bytes of ``file`` from ``offset`` to its present end, in growing blocks.

    Only the bytes present now are read (a later call resumes where the caller stopped);
    reading starts small (a catalog scan only needs each file's start) and grows.
    """
    remaining = file.seek(0, os.SEEK_END) - offset
    file.seek(offset)
    step = _FIRST_BLOCK
    while remaining > 0:
        block = file.read(min(step, remaining))
        if not block:  # the file shrank
            return
        remaining -= len(block)
        step = min(step * 2, _MAX_BLOCK)
        yield block


def read_first_document(path: FileSource) -> tuple[str, dict[str, Any]] | None:
    """Decode only the first object of a msgpack run file.

    Parameters
    ----------
    path : str, os.PathLike or binary file
        The file (an open one is read from its start and left open).

    Returns
    -------
    (name, doc) or None
        None for an empty file or a first object not completely written yet.

    Raises
    ------
    CorruptFileError
        The first bytes do not decode to a ``[name, doc]`` pair with a known name.
    """
    if isinstance(path, io.BytesIO):  # a small file read whole by a catalog scan
        unpacker = _unpacker()
        unpacker.feed(path.getbuffer())
        try:
            obj = unpacker.unpack()
        except msgpack.OutOfData:
            return None
        except _DECODE_ERRORS as exc:
            raise _corrupt(source_name(path), 0, str(exc) or "not msgpack") from None
        _check_pair(obj, source_name(path), 0)
        return obj[0], obj[1]
    documents = _decode(path, 0)
    try:
        _, name, doc = next(documents)
    except StopIteration:
        return None
    finally:
        documents.close()
    return name, doc


def iter_documents(path: StrPath, offset: int = 0) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Yield the documents of a msgpack run file from byte ``offset`` on.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    offset : int
        Byte offset of the first object to read (0, or an ``end_offset`` yielded earlier).

    Yields
    ------
    (end_offset, name, doc)
        ``end_offset`` is the byte offset just after the object, where a later call can
        resume. Numpy values come back as (read-only) numpy arrays and scalars.

    Raises
    ------
    CorruptFileError
        Bytes before the end of the file do not decode to a ``[name, doc]`` pair with a
        known name, or hold a pickled object array; ``path`` and ``offset`` say where.

    Warns
    -----
    TruncatedFileWarning
        The file ends in a partial object, taken as not yet written.
    """
    truncated_at = yield from _decode(path, offset)
    if truncated_at is not None:
        warn_truncated(path, truncated_at, stacklevel=3)


def warn_truncated(path: StrPath, offset: int, stacklevel: int = 4) -> None:
    """Warn that the file ends in a partial msgpack object from byte ``offset`` on."""
    warnings.warn(
        f"{os.fspath(path)!s} ends in a partial msgpack object at byte {offset}; "
        "it is taken as not yet written and earlier documents are returned.",
        TruncatedFileWarning,
        stacklevel=stacklevel,
    )


def locate(path: StrPath, start: int, end: int) -> tuple[int | None, str]:
    """Name the record at bytes ``[start, end)`` of a msgpack file: ``(None, "byte offset N")``."""
    del path, end
    return None, f"byte offset {start}"


def _corrupt(path: StrPath, offset: int, reason: str) -> CorruptFileError:
    return CorruptFileError(
        f"{os.fspath(path)!s}, byte offset {offset}: the msgpack data there does not decode "
        f"to a [name, document] pair ({reason}). The file is damaged from that byte on; "
        "truncate it there to keep the documents before it.",
        path=os.fspath(path),
        offset=offset,
    )


def packb(name: str, doc: Mapping[str, Any]) -> bytes:
    """Encode one document as a msgpack object ``[name, doc]``, as suitcase-msgpack does.

    Numpy arrays and scalars use msgpack-numpy's encoding; strings are written as str
    and bytes as bin.
    """
    return msgpack.packb([name, doc], default=_encode_default, use_bin_type=True)


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            # msgpack-numpy would pickle these; plain msgpack values are readable anywhere.
            return obj.tolist()
        structured = obj.dtype.kind == "V"
        return {
            b"nd": True,
            b"type": obj.dtype.descr if structured else obj.dtype.str,
            b"kind": b"V" if structured else b"",
            b"shape": list(obj.shape),
            b"data": np.ascontiguousarray(obj).tobytes(),
        }
    if isinstance(obj, np.generic):
        if obj.dtype.hasobject:
            return obj.item()
        return {b"nd": False, b"type": obj.dtype.str, b"data": obj.tobytes()}
    if isinstance(obj, complex):
        return {b"complex": True, b"data": repr(obj)}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "__array__"):  # e.g. dask arrays
        return np.asarray(obj)
    raise TypeError(
        f"A value of type {type(obj).__name__} cannot be written to msgpack: {obj!r:.80}"
    )
