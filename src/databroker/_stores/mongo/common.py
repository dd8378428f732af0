"""What both MongoDB layouts share: connecting, checking the layout, and turning queries and
server errors into databroker's terms.

Imported only by the Mongo stores and drivers, so importing pymongo lazily inside functions
keeps ``import databroker`` light.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from ...errors import (
    ConfigError,
    DuplicateUniqueID,
    InvalidQuery,
    ServerUnreachable,
    UnsupportedQuery,
)

__all__ = [
    "BATCH",
    "Connection",
    "MongoRunBase",
    "check_layout",
    "check_same",
    "describe_hosts",
    "distinct_count",
    "has_unique_index",
    "new_client",
    "open_database",
    "plain_query",
    "query_errors",
    "rewrite_for_embedded",
    "sanitized",
    "window_stages",
    "without_id",
]

#: How many uids go into one ``$in`` query (keeps each query document far below 16 MB).
BATCH = 1000
#: Seconds to wait for a server before giving up on a client this module creates.
_SERVER_SELECTION_TIMEOUT_MS = 3000

_clients: dict[str, list[Any]] = {}  # uri -> [client, number of users]
_clients_lock = threading.Lock()


class Connection:
    """One database handle, remembering whether this process-wide cache lent its client.

    Parameters
    ----------
    database
        A pymongo or mongomock ``Database``.
    uri
        The URI the client was made from, or None when the caller passed the database in (its
        client then belongs to the caller and is never closed here).
    """

    def __init__(self, database: Any, uri: str | None) -> None:
        self.database = database
        self._uri = uri

    def close(self) -> None:
        """Return the client to the cache; the last user of a URI closes it. Idempotent."""
        uri, self._uri = self._uri, None
        if uri is None:
            return
        with _clients_lock:
            entry = _clients.get(uri)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _clients[uri]
        entry[0].close()


def without_id(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``doc`` without Mongo's ``_id`` (never shown to users)."""
    return {key: value for key, value in doc.items() if key != "_id"}


def sanitized(value: Any) -> Any:
    """Return a copy of a document made of types BSON stores (numpy → Python, tuples → lists)."""
    if isinstance(value, Mapping):
        return {str(key): sanitized(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitized(item) for item in value]
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if tolist is not None and not isinstance(value, str | bytes):
        return sanitized(tolist())
    return value


def check_same(kind: str, key: str, stored: Mapping[str, Any], new: Mapping[str, Any], where: str):
    """Accept a resent identical document; raise DuplicateUniqueID if its content differs.

    ``stored`` is what the database holds (``_id`` is ignored); an event's ``filled`` entries
    that are False count as absent, as readers return them.
    """
    from ..run_documents import _equal

    def comparable(doc: Mapping[str, Any]) -> dict[str, Any]:
        doc = without_id(doc)
        if kind == "event":
            doc["filled"] = {k: v for k, v in (doc.get("filled") or {}).items() if v is not False}
        return doc

    if not _equal(comparable(stored), comparable(new)):
        raise DuplicateUniqueID(
            f"A different {kind} document with {key} {new[key]!r} is already stored in {where}; "
            f"every document needs a new {key}."
        )


def _parse_uri(uri: str, argument: str) -> dict[str, Any]:
    from pymongo import uri_parser

    try:
        parsed = uri_parser.parse_uri(uri)
    except Exception as error:  # pymongo raises InvalidURI / ConfigurationError / ValueError
        raise ConfigError(
            f"{argument} is not a valid MongoDB URI ({error}). Expected something like "
            "'mongodb://localhost:27017/metadatastore'."
        ) from None
    if not parsed.get("database"):
        hosts = ", ".join(f"{host}:{port}" for host, port in parsed["nodelist"])
        raise ValueError(
            f"The MongoDB URI given as {argument} (hosts {hosts}) names no database, e.g. "
            "'mongodb://localhost:27017/metadatastore'. Did you forget to include a database?"
        )
    return parsed


def open_database(database_or_uri: Any, argument: str) -> Connection:
    """Return a :class:`Connection` for a ``Database`` object or a URI with a database name.

    Clients made from URIs are shared per URI across the process, so building many catalogs
    over one server opens one connection pool.

    Raises
    ------
    ValueError
        The URI names no database ("Did you forget to include a database?").
    ConfigError
        The argument is neither a URI nor a database.
    """
    if not isinstance(database_or_uri, str):
        if not (
            hasattr(database_or_uri, "list_collection_names") and hasattr(database_or_uri, "client")
        ):
            raise ConfigError(
                f"{argument} must be a pymongo/mongomock Database or a MongoDB URI string, "
                f"not {type(database_or_uri).__name__}."
            )
        return Connection(database_or_uri, None)
    parsed = _parse_uri(database_or_uri, argument)
    with _clients_lock:
        entry = _clients.get(database_or_uri)
        if entry is None:
            entry = _clients[database_or_uri] = [new_client(database_or_uri), 0]
        entry[1] += 1
    return Connection(entry[0][parsed["database"]], database_or_uri)


def new_client(uri: str) -> Any:
    """Return a new ``pymongo.MongoClient`` for ``uri`` that gives up on an unreachable server
    after a few seconds (pymongo's default is 30 s), unless the URI sets its own timeout."""
    import pymongo

    options = {key.lower() for key in _uri_options(uri)}
    timeout: dict[str, Any] = (
        {}
        if "serverselectiontimeoutms" in options
        else {"serverSelectionTimeoutMS": _SERVER_SELECTION_TIMEOUT_MS}
    )
    return pymongo.MongoClient(uri, **timeout)


def _uri_options(uri: str) -> Mapping[str, Any]:
    from pymongo import uri_parser

    try:
        return uri_parser.parse_uri(uri)["options"]
    except Exception:  # let pymongo's own client raise its clear error
        return {}


def has_unique_index(collection: Any, field: str) -> bool:
    """Whether ``collection`` has a unique index on ``field`` alone (no copies can exist)."""
    try:
        indexes = collection.index_information()
    except Exception:  # no permission to list indexes: assume copies may exist
        return False
    return any(
        info.get("unique") and [name for name, _ in info.get("key", [])] == [field]
        for info in indexes.values()
    )


def distinct_count(collection: Any, stages: Sequence[Mapping[str, Any]], key: Any) -> int:
    """Count the distinct values of ``key`` (an aggregation expression such as ``'$uid'``)
    among the documents that the aggregation ``stages`` ($match, $sort, ...) pass on.

    A document stored twice counts once, as every listing yields it once.
    """
    pipeline = [*stages, {"$group": {"_id": key}}, {"$count": "n"}]
    for result in collection.aggregate(pipeline, allowDiskUse=True):
        return int(result["n"])
    return 0  # a server gives no result for no documents (mongomock gives n = 0)


def window_stages(find_options: Mapping[str, Any], default_sort: Any) -> list[dict[str, Any]]:
    """The aggregation stages that select what ``find(sort=, skip=, limit=)`` would return."""
    skip, limit = find_options.get("skip") or 0, find_options.get("limit") or 0
    if not (skip or limit):
        return []
    sort = find_options.get("sort") or default_sort
    if isinstance(sort, str):
        sort = [(sort, 1)]
    stages: list[dict[str, Any]] = [{"$sort": dict(sort)}]
    if skip:
        stages.append({"$skip": int(skip)})
    if limit:
        stages.append({"$limit": abs(int(limit))})
    return stages


def describe_hosts(database: Any) -> str:
    """Name the server(s) behind a database for messages (never credentials)."""
    try:
        servers = database.client.topology_description.server_descriptions()
        hosts = [f"{host}:{port}" for host, port in servers]
    except Exception:  # mongomock and unusual clients have no topology description
        return "the MongoDB server"
    return ", ".join(hosts) or "the MongoDB server"


def collection_names(database: Any, argument: str) -> set[str]:
    """List a database's collections, turning an unreachable server into a clear error."""
    from pymongo.errors import ConnectionFailure, OperationFailure

    try:
        return set(database.list_collection_names())
    except ConnectionFailure as error:
        raise ServerUnreachable(
            f"Cannot reach the MongoDB server at {describe_hosts(database)} for {argument} "
            f"(database {database.name!r}): {type(error).__name__}. Check that the server is "
            "running and that the host and port are right."
        ) from None
    except OperationFailure as error:
        raise ConfigError(
            f"The MongoDB server at {describe_hosts(database)} refused to list the "
            f"collections of {database.name!r} ({argument}): {error}. Check the credentials."
        ) from None


def check_layout(database: Any, argument: str, expected: str) -> None:
    """Refuse a database that holds the other Mongo layout.

    ``expected`` is ``'normalized'`` (collection ``run_start``) or ``'embedded'``
    (collection ``header``). A database with neither (new or empty) is fine.
    """
    names = collection_names(database, argument)
    own, other, other_driver = (
        ("run_start", "header", "bluesky-mongo-embedded-catalog")
        if expected == "normalized"
        else ("header", "run_start", "bluesky-mongo-normalized-catalog")
    )
    if other in names and own not in names:
        raise ConfigError(
            f"The database {database.name!r} given as {argument} holds a {other!r} collection "
            f"and no {own!r} collection: it is not in the {expected} layout. Use the "
            f"{other_driver} driver for it."
        )


def plain_query(query: Any) -> dict[str, Any]:
    """Return ``query`` as plain dicts and lists (Query objects are Mappings), checked lightly.

    Raises :class:`InvalidQuery` for a non-mapping query, non-string keys and logical
    operators that do not hold a list of mappings; the server judges everything else.
    """
    if not isinstance(query, Mapping):
        raise InvalidQuery(f"A query must be a mapping, not {type(query).__name__}: {query!r}.")
    plain: dict[str, Any] = {}
    for key, value in query.items():
        if not isinstance(key, str):
            raise InvalidQuery(f"Query keys must be strings; got {key!r} in {query!r}.")
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list | tuple) or not value:
                raise InvalidQuery(f"{key} needs a non-empty list of queries, got {value!r}.")
            plain[key] = [plain_query(item) for item in value]
        else:
            plain[key] = _plain_value(value)
    return plain


def _plain_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain_value(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain_value(item) for item in value]
    return value


def rewrite_for_embedded(query: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite a query on start documents into one on ``header`` documents.

    Field paths become ``start.<path>`` at the top level and inside ``$and``/``$or``/``$nor``;
    the operators under a field (``$not``, ``$elemMatch``, ``$regex``, ...) stay as they are,
    because their contents are relative to that field. ``$text`` and other top-level operators
    are kept unchanged.
    """
    rewritten: dict[str, Any] = {}
    for key, value in plain_query(query).items():
        if key in ("$and", "$or", "$nor"):
            rewritten[key] = [rewrite_for_embedded(item) for item in value]
        elif key.startswith("$"):
            rewritten[key] = value
        else:
            rewritten[f"start.{key}"] = value
    return rewritten


@contextmanager
def query_errors(query: Any, backend: str) -> Iterator[None]:
    """Turn the server's (or mongomock's) complaints about a query into databroker errors."""
    from pymongo.errors import OperationFailure

    try:
        yield
    except OperationFailure as error:
        message = str(error)
        if error.code == 27 or "text index required" in message:
            raise UnsupportedQuery(
                f"The {backend} catalog cannot run the $text query {query!r}: the database "
                "has no text index. Call the catalog's ensure_indexes() once to create it."
            ) from None
        if error.code in (None, 2, 9, 51091) or "unknown" in message.lower():
            raise InvalidQuery(
                f"The MongoDB server rejected the query {query!r} of the {backend} catalog: "
                f"{message}"
            ) from None
        raise
    except NotImplementedError as error:  # mongomock: operators it does not implement
        raise UnsupportedQuery(
            f"The {backend} catalog cannot evaluate the query {query!r} on this database "
            f"(mongomock does not implement it: {error}). Use a MongoDB server."
        ) from None


class _StartsAndStops(Protocol):
    """What a Mongo catalog store offers its runs for their start and stop documents."""

    def start_of(self, uid: str) -> Any: ...

    def stop_of(self, uid: str) -> Any: ...


class MongoRunBase:
    """Start and stop of one run of a Mongo catalog store, each fetched once it is known.

    The start usually comes from the listing cursor; a stop, once found, never changes, but
    a run without one is asked again (it may still be running).
    """

    def __init__(self, catalog: _StartsAndStops, uid: str, start: Any) -> None:
        self.uid = uid
        self._catalog = catalog
        self._start = start
        self._stop: Any = None

    def start(self) -> Any:
        if self._start is None:
            self._start = self._catalog.start_of(self.uid)
        return self._start

    def stop(self) -> Any:
        if self._stop is None:
            self._stop = self._catalog.stop_of(self.uid)
        return self._stop
