"""Decode and encode the JSONL run file: one ``[name, doc]`` JSON array per line.

A line counts as written only once its newline is there: writers append each line, newline
included, with one ``write()``, so a final line without newline is a record being written
(or cut short by a crash) and is never returned.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..._documents.routing import pair_problem
from ...errors import CorruptFileError, TruncatedFileWarning
from .source import FileSource, open_run_file, opened, source_name

__all__ = [
    "count_lines",
    "dumps_line",
    "iter_documents",
    "locate",
    "read_first_document",
    "read_last_document",
    "scan_outline",
]

# Large blocks keep the per-line Python work down to one json.loads call.
_READ_BLOCK = 1 << 23
#: The outline's read buffer (lines are found by the buffered reader, in C).
_LINE_BUFFER = 1 << 20
# The last line is usually a small stop document; grow the backwards step if it is not.
_TAIL_BLOCK = 1 << 16

StrPath = str | os.PathLike[str]


def read_first_document(path: FileSource) -> tuple[str, dict[str, Any]] | None:
    """Decode the first line of a JSONL file, reading nothing else.

    Parameters
    ----------
    path : str, os.PathLike or binary file
        The file (an open one is read from its start and left open).

    Returns
    -------
    (name, doc) or None
        None for an empty file, an empty first line or a first line without its newline
        yet (a file being created).

    Raises
    ------
    CorruptFileError
        The first line is complete but not a ``[name, doc]`` pair with a known name.
    """
    with opened(path) as file:
        file.seek(0)
        line = file.readline()
    if not line.endswith(b"\n") or line.isspace():
        return None
    return _decode_line(line, source_name(path), 1, 0)


def read_last_document(path: FileSource) -> tuple[str, dict[str, Any]] | None:
    """Decode the last complete line of a JSONL file, reading backwards from its end.

    A trailing line without newline (being written) and trailing blank lines are passed
    over.

    Parameters
    ----------
    path : str, os.PathLike or binary file
        The file (an open one is left open).

    Returns
    -------
    (name, doc) or None
        None when there is no complete line or the last one does not decode.
    """
    with opened(path) as file:
        position = file.seek(0, os.SEEK_END)
        tail = b""
        step = _TAIL_BLOCK
        while position > 0:
            step = min(step, position)
            position -= step
            file.seek(position)
            tail = file.read(step) + tail
            step *= 2
            line = _last_complete_line(tail, at_file_start=position == 0)
            if line is not None:
                break
        else:
            return None
    if not line:
        return None
    try:
        return _decode_line(line, source_name(path), 0, 0)
    except CorruptFileError:
        return None


def _last_complete_line(tail: bytes, at_file_start: bool) -> bytes | None:
    """Return the last non-blank newline-terminated line of ``tail`` (the end of a file).

    Returns None when ``tail`` does not reach back far enough to hold all of it, and
    ``b""`` when the file has no such line at all.
    """
    content = tail[: tail.rfind(b"\n") + 1].rstrip()
    begin = content.rfind(b"\n") + 1
    if begin == 0 and not at_file_start:
        return None
    return content[begin:]


def iter_documents(
    path: StrPath, offset: int = 0, first_line: int | None = None
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Yield the documents of the complete lines of a JSONL file from byte ``offset`` on.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    offset : int
        Byte offset of the first line to read (0, or an ``end_offset`` yielded earlier).
    first_line : int, optional
        The 1-based number of the line at ``offset``, used in messages; by default counted
        (only when a message needs it), so that a read resumed at an offset names the same
        line as a read from the start.

    Yields
    ------
    (end_offset, name, doc)
        ``end_offset`` is the byte offset just after the line's newline, where a later call
        can resume. Blank lines are skipped.

    Raises
    ------
    CorruptFileError
        A complete line is not JSON, not a ``[name, doc]`` pair, or has an unknown name;
        its ``path`` and ``line`` attributes say where.

    Warns
    -----
    TruncatedFileWarning
        The file ends in a non-empty line without newline, taken as not yet written.
    """
    # Lines since ``offset``; the number of the line at ``offset`` is counted when needed.
    line_number = 1 if first_line is None else first_line
    lines_before = _LinesBefore(path, offset if first_line is None else 0)
    position = offset
    pending: list[bytes] = []
    with open_run_file(path) as file:
        file.seek(offset)
        while block := file.read(_READ_BLOCK):
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                pending.append(block)
                continue
            pending.append(block[:cut])
            chunk = b"".join(pending)
            pending = [block[cut:]]
            # ASCII (what json.dumps writes by default) is decoded once for the whole chunk:
            # a str line is parsed without json's per-call encoding detection, and its
            # length in characters is its length in bytes.
            lines: list[Any] = (
                chunk.decode("ascii").split("\n") if chunk.isascii() else chunk.split(b"\n")
            )
            lines.pop()  # the empty string after the chunk's final newline
            for line in lines:
                start = position
                position += len(line) + 1
                if line and not line.isspace():
                    name, doc = _decode_line(line, path, line_number, start, lines_before)
                    yield position, name, doc
                line_number += 1
    if any(not part.isspace() for part in pending if part):
        warnings.warn(
            f"{os.fspath(path)!s} ends in a partial line {line_number + lines_before()} "
            f"(byte {position} on, "
            "no newline yet); it is taken as not yet written and earlier documents are "
            "returned.",
            TruncatedFileWarning,
            stacklevel=2,
        )


#: How lines that the outline skips begin (as every JSON writer of bluesky writes them).
_SKIPPED_PREFIXES = (b'["event', b'["datum', b'["bulk_')


def scan_outline(
    path: StrPath, offset: int, add: Callable[[str, dict[str, Any], int, int], None]
) -> int:
    """Decode every document of a JSONL run file but events and datum, which are skipped.

    A line beginning ``["event``, ``["datum`` or ``["bulk_`` is skipped undecoded; any other
    complete line is decoded as :func:`iter_documents` does (an event written with other
    spacing is decoded and dropped).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    offset : int
        Byte offset of the first line to read (0, or a value returned earlier).
    add : callable
        Called with ``(name, doc, start, end)`` for each document kept, in file order
        (``start`` and ``end``: the byte range of its line).

    Returns
    -------
    int
        The offset just after the last complete line, where a later call can resume.

    Raises
    ------
    CorruptFileError
        A complete line that is decoded is not a ``[name, doc]`` pair with a known name.
    """
    position = offset
    line_number = 1
    lines_before = _LinesBefore(path, offset)
    # Lines come from the buffered reader (C), one large buffer at a time; an event or datum
    # line costs a prefix test and an addition.
    with open_run_file(path, buffering=_LINE_BUFFER) as file:
        file.seek(offset)
        for line in file:
            if not line.endswith(b"\n"):
                break  # a line not completely written yet: left for a later call
            start = position
            position += len(line)
            number = line_number
            line_number += 1
            if line.startswith(_SKIPPED_PREFIXES) or line.isspace():
                continue
            name, doc = _decode_line(line[:-1], path, number, start, lines_before)
            if not name.startswith(("event", "datum", "bulk_")):
                add(name, doc, start, position)
    return position


class _LinesBefore:
    """The number of lines of a file before byte ``offset``, counted once, when asked."""

    __slots__ = ("_count", "_offset", "_path")

    def __init__(self, path: StrPath, offset: int) -> None:
        self._path = path
        self._offset = offset
        self._count: int | None = 0 if offset == 0 else None

    def __call__(self) -> int:
        if self._count is None:
            self._count = count_lines(self._path, self._offset)
        return self._count


def count_lines(path: StrPath, end: int) -> int:
    """Return the number of newlines in the first ``end`` bytes of the file ``path``."""
    count = 0
    with open_run_file(path) as file:
        remaining = end
        while remaining > 0 and (block := file.read(min(_READ_BLOCK, remaining))):
            count += block.count(b"\n")
            remaining -= len(block)
    return count


def locate(path: StrPath, start: int, end: int) -> tuple[int | None, str]:
    """Name the record on the line that ends at byte ``end``: ``(line, "line N")``."""
    del start  # blank lines may precede the record; its newline is at ``end - 1``
    line = count_lines(path, end)
    return line, f"line {line}"


def _loads(line: bytes | str) -> Any:
    """``json.loads(line)``, without its whitespace matching for a line that starts with a
    value and ends with it (as JSONL writers write them)."""
    if isinstance(line, str) and line[:1] == "[":
        obj, end = _DECODER.raw_decode(line)
        if end == len(line):
            return obj
    return json.loads(line)  # anything else, and every error, as json.loads has it


_DECODER = json.JSONDecoder()


def _decode_line(
    line: bytes | str,
    path: StrPath,
    line_number: int,
    offset: int,
    lines_before: Callable[[], int] = int,
) -> tuple[str, Any]:
    try:
        obj = _loads(line)
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        reason = f"not valid JSON ({exc})"
        raise _corrupt(path, line_number + lines_before(), offset, reason) from None
    problem = pair_problem(obj)
    if problem is not None:
        raise _corrupt(path, line_number + lines_before(), offset, problem)
    return obj[0], obj[1]


def _corrupt(path: StrPath, line_number: int, offset: int, reason: str) -> CorruptFileError:
    where = f"line {line_number}" if line_number else f"the line at byte {offset}"
    return CorruptFileError(
        f"{os.fspath(path)!s}, {where}: {reason}. Each line must be a JSON array "
        '["<document name>", {...}]; repair or remove that line.',
        path=os.fspath(path),
        line=line_number or None,
        offset=offset,
    )


def dumps_line(name: str, doc: Mapping[str, Any]) -> bytes:
    """Encode one document as a JSONL line (newline included), as suitcase-jsonl does.

    Numpy arrays and scalars become JSON lists and numbers; NaN and infinities are written
    as Python's json writes them.
    """
    return (json.dumps([name, doc], default=_json_default) + "\n").encode("utf-8")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    tolist = getattr(obj, "tolist", None)
    if tolist is not None:
        return tolist()
    if hasattr(obj, "__array__"):  # e.g. dask arrays
        import numpy

        return numpy.asarray(obj).tolist()
    raise TypeError(f"A value of type {type(obj).__name__} cannot be written to JSONL: {obj!r:.80}")
