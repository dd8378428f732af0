"""Where a live buffer lives in Redis: the client, its key names, and Redis errors as ours.

Layout (``<prefix>`` is ``databroker`` unless told otherwise):

``<prefix>:runs``
    One stream announcing runs: an entry ``{kind: 'start'|'stop', uid, doc}`` per start and
    per stop (``doc`` is the msgpack-encoded document), in publication order. Its entry ids
    are the tokens of :meth:`~databroker._stores.base.CatalogStore.arrivals`.
``<prefix>:run:<uid>``
    One stream per run: an entry ``{d: <msgpack [name, doc]>}`` per document, bounded with
    ``MAXLEN ~``. Entry ids are ``<publish time in ms>-<n>`` with ``n`` counting the run's
    documents from 1 (its start), so a reader sees evicted entries as a gap in ``n``.
``<prefix>:claim:<uid>``
    Set once, atomically, by the publisher of the run (two runs with one uid are refused).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ...errors import DuplicateUniqueID, ServerUnreachable

__all__ = [
    "DEFAULT_PREFIX",
    "Keys",
    "address_of",
    "connect",
    "entry_id",
    "parse_id",
    "translated",
]

DEFAULT_PREFIX = "databroker"
#: Seconds to wait for a TCP connection to Redis before giving up.
CONNECT_TIMEOUT = 2.0


class Keys:
    """The Redis key names of one live buffer."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        self.runs = f"{prefix}:runs"

    def run(self, uid: str) -> str:
        """The stream of run ``uid``."""
        return f"{self.prefix}:run:{uid}"

    def claim(self, uid: str) -> str:
        """The key that marks ``uid`` as published."""
        return f"{self.prefix}:claim:{uid}"


def address_of(url_or_client: Any) -> str:
    """Return ``redis://host:port/db`` of a URL or client, never with a password."""
    if isinstance(url_or_client, str):
        parts = urlsplit(url_or_client)
        host = parts.hostname or "localhost"
        port = parts.port or 6379
        path = parts.path if parts.path not in ("", "/") else "/0"
        return f"{parts.scheme or 'redis'}://{host}:{port}{path}"
    kwargs = getattr(getattr(url_or_client, "connection_pool", None), "connection_kwargs", {})
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host = kwargs.get("host", "localhost")
    return f"redis://{host}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def connect(url_or_client: Any, connect_timeout: float = CONNECT_TIMEOUT) -> Any:
    """Return a redis-py client of a ``redis://``/``rediss://`` URL (or the client given).

    Nothing is sent yet; the first command fails within ``connect_timeout`` seconds when the
    server cannot be reached (:class:`~databroker.errors.ServerUnreachable`).
    """
    if not isinstance(url_or_client, str):
        return url_or_client
    import redis

    return redis.Redis.from_url(
        url_or_client,
        socket_connect_timeout=connect_timeout,
        # Blocking reads ask for at most a second at a time (see BLOCK_CHUNK): a socket
        # silent for much longer means the server is gone.
        socket_timeout=connect_timeout + 5.0,
        health_check_interval=30,
    )


@contextlib.contextmanager
def translated(address: str, what: str) -> Iterator[None]:
    """Raise redis-py's connection errors as :class:`ServerUnreachable` naming ``address``."""
    import redis.exceptions as rx

    try:
        yield
    except (rx.ConnectionError, rx.TimeoutError, OSError) as error:
        raise ServerUnreachable(
            f"The Redis live buffer at {address} cannot be reached while {what} ({error}). "
            "Check that redis-server runs there and that the address is right."
        ) from None
    except rx.ResponseError as error:
        if "equal or smaller than the target stream top item" in str(error):
            raise DuplicateUniqueID(
                f"Another publisher writes the same run at {address} while {what}."
            ) from None
        raise


def entry_id(milliseconds: int, number: int) -> str:
    """Return the stream entry id of a run's ``number``-th document."""
    return f"{milliseconds}-{number}"


def parse_id(raw: bytes | str) -> tuple[int, int]:
    """Return ``(milliseconds, number)`` of a stream entry id."""
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    milliseconds, _, number = text.partition("-")
    return int(milliseconds), int(number or 0)
