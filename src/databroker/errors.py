"""The exception and warning tree of databroker.

Every exception derives from :class:`DatabrokerError` and also from the builtin
exception that databroker 1.x raised in the same situation (in parentheses below), so
existing ``except KeyError:`` (and similar) clauses keep working, and
``except DatabrokerError:`` catches everything databroker raises on purpose. Messages
name the bad value, where it came from (file and line, run uid, resource uid, field) and
the fix. The groups say which part of the library raises them:

```text
DatabrokerError (Exception)
│
├── lookup: finding a run in a catalog
│   ├── RunNotFound (KeyError)
│   ├── AmbiguousUidPrefix (ValueError)
│   └── RunIndexError (IndexError)
│
├── reading: the streams, fields and options a read names
│   ├── StreamNotFound (KeyError, AttributeError)
│   ├── FieldNotFound (KeyError, AttributeError)
│   └── InvalidOption (ValueError)
│
├── storage: where runs are kept (files, databases)
│   ├── CatalogPathNotFound (FileNotFoundError)
│   ├── CorruptFileError (ValueError)
│   │   └── MalformedRecord (and InvalidDocument)
│   ├── RunFileUnavailable (OSError)
│   │   ├── RunFileNotFound (FileNotFoundError)
│   │   └── RunFilePermissionError (PermissionError)
│   └── ServerUnreachable (ConnectionError)
│
├── documents: what was stored, or is being written
│   ├── NotMutable (TypeError)
│   ├── InvalidDocument (ValueError)
│   │   └── UnencodableValue (TypeError)
│   ├── DuplicateUniqueID (ValueError)
│   ├── BrokenReference (KeyError)
│   ├── InvalidEventData (ValueError)
│   │   ├── MissingEventData (KeyError)
│   │   └── InvalidEventType (TypeError)
│   └── ShapeMismatchError (ValueError)
│
├── query: searching, and the times searches name
│   ├── InvalidQuery (ValueError)
│   ├── UnsupportedQuery (NotImplementedError)
│   └── InvalidTimeError (ValueError)
│       ├── NonExistentTimeError (and pytz's, when pytz is installed)
│       └── AmbiguousTimeError (and pytz's, when pytz is installed)
│
├── external data: handlers and the files documents point to
│   ├── UnknownHandlerSpec (KeyError)
│   ├── HandlerImportError (ImportError)
│   ├── ExternalFileNotFound (FileNotFoundError)
│   └── HandlerError (RuntimeError)
│
├── config: configuration files and the catalogs they name
│   ├── ConfigError (ValueError)
│   ├── ConfigNotFound (FileNotFoundError)
│   └── CatalogNotFound (LookupError)
│
├── live data: runs read while they are written, and waiting for runs
│   ├── NoRunAvailable (TimeoutError, LookupError)
│   ├── RunWaitTimeout (TimeoutError)
│   ├── IndexNotYetThere (IndexError)
│   ├── IndexWontBeThere (IndexError)
│   ├── IndexNoMoreThere (IndexError)
│   └── EndOfStream (EOFError)
│
├── transfer: bundles, merges and pruning (runs that travel)
│   ├── TransferError (RuntimeError)
│   │   ├── ChecksumMismatch (ValueError)
│   │   ├── BundleFileMissing (FileNotFoundError)
│   │   └── TargetNotWritable (PermissionError)
│   ├── BundleFormatError (ValueError)
│   ├── RunConflict (ValueError)
│   └── PruneRefused (ValueError)
│
└── capabilities: what a backend or a function does not do
    ├── NotSupported (NotImplementedError)
    │   └── WriteNotSupported
    └── InvalidArgument (TypeError)

DatabrokerWarning (UserWarning)
├── HandlerPluginWarning
├── ShapeMismatchWarning
├── PathMatchWarning
├── UnknownFieldWarning
├── SkippedFileWarning
├── TruncatedFileWarning
├── DuplicateRunWarning
└── LiveBufferWarning
```

A backend that lacks a capability (see ``CatalogStore.supports_*``) raises
:class:`NotSupported`; an argument a function does not take raises
:class:`InvalidArgument`, whose message lists the valid ones.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousTimeError",
    "AmbiguousUidPrefix",
    "BrokenReference",
    "BundleFileMissing",
    "BundleFormatError",
    "CatalogNotFound",
    "CatalogPathNotFound",
    "ChecksumMismatch",
    "ConfigError",
    "ConfigNotFound",
    "CorruptFileError",
    "DatabrokerError",
    "DatabrokerWarning",
    "DuplicateRunWarning",
    "DuplicateUniqueID",
    "EndOfStream",
    "ExternalFileNotFound",
    "FieldNotFound",
    "HandlerError",
    "HandlerImportError",
    "HandlerPluginWarning",
    "IndexNoMoreThere",
    "IndexNotYetThere",
    "IndexWontBeThere",
    "InvalidArgument",
    "InvalidDocument",
    "InvalidEventData",
    "InvalidEventType",
    "InvalidOption",
    "InvalidQuery",
    "InvalidTimeError",
    "LiveBufferWarning",
    "MalformedRecord",
    "MissingEventData",
    "NoRunAvailable",
    "NonExistentTimeError",
    "NotMutable",
    "NotSupported",
    "PathMatchWarning",
    "PruneRefused",
    "RunConflict",
    "RunFileNotFound",
    "RunFilePermissionError",
    "RunFileUnavailable",
    "RunIndexError",
    "RunNotFound",
    "RunWaitTimeout",
    "ServerUnreachable",
    "ShapeMismatchError",
    "ShapeMismatchWarning",
    "SkippedFileWarning",
    "StreamNotFound",
    "TargetNotWritable",
    "TransferError",
    "TruncatedFileWarning",
    "UnencodableValue",
    "UnknownFieldWarning",
    "UnknownHandlerSpec",
    "UnsupportedQuery",
    "WriteNotSupported",
]


def _pytz_exception(name: str) -> type:
    """Return ``pytz.exceptions.<name>`` when pytz is installed, else ``Exception``."""
    try:
        import pytz.exceptions
    except ImportError:  # pytz is optional
        return Exception
    return getattr(pytz.exceptions, name)


class DatabrokerError(Exception):
    """Base class of every exception raised by databroker."""


class _KeyErrorMessage(DatabrokerError, KeyError):
    """A KeyError whose ``str()`` is the message, not its ``repr()``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RunNotFound(_KeyErrorMessage):
    """No run matches a uid, uid prefix or scan_id."""


class StreamNotFound(_KeyErrorMessage, AttributeError):
    """A run has no stream of that name (``run['x']`` and ``run.x``); the message lists them."""


class FieldNotFound(_KeyErrorMessage, AttributeError):
    """A stream's configuration has no object (device) of that name; the message lists them."""


class InvalidOption(DatabrokerError, ValueError):
    """An argument's value is not one the function accepts; the message lists those it does."""


class AmbiguousUidPrefix(DatabrokerError, ValueError):
    """A uid prefix matches more than one run."""


class RunIndexError(DatabrokerError, IndexError):
    """A negative (recency) index reaches past the number of runs."""


class NotMutable(DatabrokerError, TypeError):
    """A :class:`databroker.core.Document` was mutated."""


class InvalidQuery(DatabrokerError, ValueError):
    """A query is malformed or of the wrong type."""


class UnsupportedQuery(DatabrokerError, NotImplementedError):
    """A query uses an operator this backend cannot evaluate."""


class InvalidArgument(DatabrokerError, TypeError):
    """A function or driver got an argument it does not take (the message names the valid ones)."""


class InvalidDocument(DatabrokerError, ValueError):
    """A document handed to a writer lacks a field it needs or has an unknown name."""


class UnencodableValue(InvalidDocument, TypeError):
    """A document handed to a file writer holds a value its format cannot encode (an object
    of no JSON/msgpack type, an integer beyond 64 bits for msgpack); the message names the key."""


class DuplicateUniqueID(DatabrokerError, ValueError):
    """A uid is reused with different content."""


class NotSupported(DatabrokerError, NotImplementedError):
    """The backend does not offer this capability (see ``CatalogStore.supports_*``)."""


class WriteNotSupported(NotSupported):
    """The catalog has no writer (still a ``RuntimeError``, as ``NotImplementedError`` is)."""


class CatalogPathNotFound(DatabrokerError, FileNotFoundError):
    """The directory of a file catalog's glob pattern does not exist."""


class CorruptFileError(DatabrokerError, ValueError):
    """Undecodable data inside a JSONL or msgpack file.

    Attributes ``path``, ``line`` (JSONL line number, or None) and ``offset`` (byte offset)
    say where.
    """

    def __init__(
        self, message: str, *, path: str = "", line: int | None = None, offset: int = 0
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.offset = offset


class MalformedRecord(CorruptFileError, InvalidDocument):
    """A record of a run file decodes, but is not a valid document (a field missing or of the
    wrong type); ``path``, ``line`` (JSONL) and ``offset`` say where."""


class RunFileUnavailable(DatabrokerError, OSError):
    """A listed run's file cannot be read any more: replaced by a directory, a FIFO or a
    symlink loop, or another OS error (the message names the file; ``errno`` and
    ``filename`` are set as for the OSError met)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RunFileNotFound(RunFileUnavailable, FileNotFoundError):
    """A listed run's file was removed before the run was read."""


class RunFilePermissionError(RunFileUnavailable, PermissionError):
    """A run's file may not be read by this user."""


class BrokenReference(_KeyErrorMessage):
    """A document points to a uid that cannot be found."""


class UnknownHandlerSpec(_KeyErrorMessage):
    """No handler is registered for a Resource spec or StreamResource mimetype."""


class ExternalFileNotFound(DatabrokerError, FileNotFoundError):
    """The resolved path of external data does not exist."""


class HandlerError(DatabrokerError, RuntimeError):
    """A handler raised while loading external data."""


class InvalidEventData(DatabrokerError, ValueError):
    """A stored event, page or descriptor holds a value its DataKey or the schema forbids.

    The message names the field, the seq_num and event uid, the descriptor, and the run (and
    file, when the storage has one).
    """


class MissingEventData(InvalidEventData, KeyError):
    """A stored event page or descriptor lacks a key the schema requires (``time``, ...)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidEventType(InvalidEventData, TypeError):
    """A stored event value is of a type that cannot hold what the schema says (None, ...)."""


class ShapeMismatchError(DatabrokerError, ValueError):
    """A value's shape contradicts the shape chosen for its field."""


class ConfigError(DatabrokerError, ValueError):
    """A configuration is malformed or needs an unsupported backend."""


class ServerUnreachable(DatabrokerError, ConnectionError):
    """A database server cannot be reached (the message names the host, never a password)."""


class NoRunAvailable(DatabrokerError, TimeoutError, LookupError):
    """No run arrived before the timeout (or, not blocking, there is none).

    ``token``, when set by ``get_next_run``, is where a later ``get_next_run(token)``
    continues, so waiting again after a timeout misses nothing.
    """

    token: str | None = None


class RunWaitTimeout(DatabrokerError, TimeoutError):
    """A run did not end before the timeout of a wait for it."""


class IndexNotYetThere(DatabrokerError, IndexError):
    """A row of a running run that is not written yet (it may come)."""


class IndexWontBeThere(DatabrokerError, IndexError):
    """A row past the end of a run that has ended (it will never come)."""


class IndexNoMoreThere(DatabrokerError, IndexError):
    """A row evicted from the live buffer, of which there is no durable copy."""


class EndOfStream(DatabrokerError, EOFError):
    """A cursor of a run that has ended has read every row."""


class ConfigNotFound(DatabrokerError, FileNotFoundError):
    """A named configuration was not found on the search path."""


class CatalogNotFound(DatabrokerError, LookupError):
    """Nothing opens as a catalog at a location; the message lists what was tried and why."""


class HandlerImportError(DatabrokerError, ImportError):
    """A handler given as a dotted path cannot be imported."""


class InvalidTimeError(DatabrokerError, ValueError):
    """A time value cannot be understood."""


class NonExistentTimeError(InvalidTimeError, _pytz_exception("NonExistentTimeError")):  # type: ignore[misc]
    """A wall-clock time that the daylight-saving change skips."""


class AmbiguousTimeError(InvalidTimeError, _pytz_exception("AmbiguousTimeError")):  # type: ignore[misc]
    """A wall-clock time that the daylight-saving change repeats."""


class TransferError(DatabrokerError, RuntimeError):
    """Copying runs or their files into a bundle or a catalog failed; the target is unchanged."""


class ChecksumMismatch(TransferError, ValueError):
    """A file's size or sha256 differs from what the bundle's manifest records."""


class BundleFileMissing(TransferError, FileNotFoundError):
    """A file the bundle's manifest lists is not in the bundle."""


class TargetNotWritable(TransferError, PermissionError):
    """The catalog or directory runs would be written into is read-only."""


class BundleFormatError(DatabrokerError, ValueError):
    """A bundle is not readable: no manifest, an unknown format version, a cut-short zip,
    or a path that would leave the target (absolute or with ``..``)."""


class RunConflict(DatabrokerError, ValueError):
    """A run with the same uid but different content already exists in the target."""


class PruneRefused(DatabrokerError, ValueError):
    """Other runs derive from a run asked to be pruned (pass ``force=True`` to prune anyway)."""


class DatabrokerWarning(UserWarning):
    """Base class of every warning emitted by databroker."""


class HandlerPluginWarning(DatabrokerWarning):
    """A handler entry point failed to load or two plugins claim one key."""


class ShapeMismatchWarning(DatabrokerWarning):
    """The observed shape of external data differs from the declared shape."""


class PathMatchWarning(DatabrokerWarning):
    """A file catalog's paths match no run file while their directory holds other files."""


class UnknownFieldWarning(DatabrokerWarning):
    """Names given to select fields (``include=``, ``exclude=``) match no field of the stream."""


class SkippedFileWarning(DatabrokerWarning):
    """A file matched by a catalog's globs is not a run and was skipped."""


class TruncatedFileWarning(DatabrokerWarning):
    """A file ends in a partial record, taken as not yet written."""


class DuplicateRunWarning(DatabrokerWarning):
    """Two stored runs share one start uid."""


class LiveBufferWarning(DatabrokerWarning):
    """The live buffer (Redis) cannot be reached: only its durable copy is read."""
