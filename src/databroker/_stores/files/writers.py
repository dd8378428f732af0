"""Crash-safe writers of JSONL and msgpack run files, one file per run.

Each document is encoded in full first and then appended with one ``write()`` and a flush,
so a crash leaves at most one partial final record, which the readers take as not yet
written.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, ClassVar, Self

from ..._documents.classes import pack_datum_page, pack_event_page
from ..._documents.routing import DocumentRouter
from ...errors import DuplicateUniqueID, InvalidDocument, UnencodableValue
from . import jsonl_format, msgpack_format

__all__ = ["JSONLWriter", "MsgpackWriter"]


#: What a start uid may not hold to be a file name in the catalog's directory (any OS).
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f]")


class _RunFileWriter(ABC):
    """Append documents to ``<directory>/<start uid><suffix>``, several runs at a time."""

    suffix: ClassVar[str]

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._router = DocumentRouter()
        self._files: dict[str, BinaryIO] = {}

    @abstractmethod
    def _encode(self, name: str, doc: Mapping[str, Any]) -> bytes:
        """Return the bytes of one record of this format."""

    def __call__(self, name: str, doc: Mapping[str, Any]) -> None:
        """Append one document to the file of the run(s) it belongs to.

        Parameters
        ----------
        name : str
            The document name.
        doc : Mapping
            The document; numpy values are converted to the format's types.

        Raises
        ------
        InvalidDocument
            Unknown name, missing or unknown link, a document after its run's stop, or a
            value the format cannot hold (an integer beyond 64 bits for msgpack, an object
            of no JSON or msgpack type).
        DuplicateUniqueID
            The start's file already exists, or the start was already written.
        """
        # Encoding first means a value that cannot be encoded changes nothing.
        try:
            record = self._encode(name, doc)
        except (OverflowError, TypeError, ValueError) as error:
            if isinstance(error, InvalidDocument):
                raise
            raise _unencodable(name, doc, self.suffix, error) from None
        runs = self._router.route(name, doc)
        if name == "start":
            self._create(runs[0])
        for run in runs:
            file = self._files[run]
            file.write(record)
            file.flush()
        if name == "stop":
            self._files.pop(runs[0]).close()

    def _create(self, uid: str) -> None:
        if _UNSAFE_NAME.search(uid) or uid in ("", ".", ".."):
            self._router.discard(uid)
            raise InvalidDocument(
                f"The start uid {uid!r} cannot name a run file in {self.directory}: a uid with "
                "a path separator, a NUL or control character, or only dots would write "
                "elsewhere or not at all. Give the run a plain uid (e.g. a uuid4)."
            )
        path = self.directory / f"{uid}{self.suffix}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._files[uid] = open(path, "xb")  # noqa: SIM115 (closed at the run's stop)
        except FileExistsError:
            self._router.discard(uid)
            raise DuplicateUniqueID(
                f"Cannot write the run {uid!r}: {path} already exists. A start uid can be "
                "written only once; give the run a new uid or move the old file away."
            ) from None
        except BaseException:
            self._router.discard(uid)
            raise

    def close(self) -> None:
        """Close the files of runs not stopped yet; their later documents are refused."""
        for uid, file in list(self._files.items()):
            file.close()
            del self._files[uid]
            self._router.discard(uid)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.directory)!r})"


class JSONLWriter(_RunFileWriter):
    """Write each run to ``<directory>/<start uid>.jsonl``, one line per document as received.

    Parameters
    ----------
    directory : str or os.PathLike
        Where the files go (created if missing).
    """

    suffix = ".jsonl"

    def _encode(self, name: str, doc: Mapping[str, Any]) -> bytes:
        return jsonl_format.dumps_line(name, doc)


class MsgpackWriter(_RunFileWriter):
    """Write each run to ``<directory>/<start uid>.msgpack``, as suitcase-msgpack does.

    ``event`` and ``datum`` are written as pages of one (``event_page``, ``datum_page``);
    every other document as received.

    Parameters
    ----------
    directory : str or os.PathLike
        Where the files go (created if missing).
    """

    suffix = ".msgpack"

    def _encode(self, name: str, doc: Mapping[str, Any]) -> bytes:
        try:
            if name == "event":
                return msgpack_format.packb("event_page", pack_event_page([doc]))
            if name == "datum":
                return msgpack_format.packb("datum_page", pack_datum_page([doc]))
        except KeyError as exc:
            raise InvalidDocument(
                f"The {name} document has no {exc.args[0]!r} field; add it."
            ) from None
        return msgpack_format.packb(name, doc)


#: Integers msgpack can hold.
_MSGPACK_INTEGERS = range(-(2**63), 2**64)


def _unencodable(
    name: str, doc: Mapping[str, Any], suffix: str, error: Exception
) -> UnencodableValue:
    """Our error for a document whose values the format cannot encode, naming the key."""
    where = _bad_key(doc, suffix)
    uid = doc.get("uid", doc.get("datum_id")) if isinstance(doc, Mapping) else None
    what = f"The {name} document {uid!r}" if isinstance(uid, str) else f"A {name} document"
    at = f" at {where}" if where else ""
    return UnencodableValue(
        f"{what} cannot be written to {suffix.lstrip('.')}: its value{at} cannot be encoded "
        f"({error}). Convert it (e.g. an integer beyond 64 bits to a float or a string)."
    )


def _bad_key(value: Any, suffix: str, path: str = "") -> str | None:
    """The key path (``data['x'][2]``) of the first value the format cannot encode."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _bad_key(item, suffix, f"{path}[{key!r}]" if path else str(key))
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _bad_key(item, suffix, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, bool) or value is None or isinstance(value, str | float | bytes):
        return None
    if isinstance(value, int):
        return path if suffix == ".msgpack" and value not in _MSGPACK_INTEGERS else None
    if hasattr(value, "__array__") or hasattr(value, "dtype"):
        return None
    return path or "the top level"
