"""The catalog over a Redis live buffer: live and recent runs, and the durable catalog's.

Runs are listed from the announcement stream (read incrementally, each start kept in process)
together with the runs of the durable catalog (the union, each run once); a run still in the
buffer is read from Redis (:class:`~databroker._stores.live.run.RedisRunStore`), any other
from the durable catalog. Waiting for runs is a blocking ``XREAD`` on the announcements, whose
entry ids are the tokens of :meth:`arrivals`.

When Redis cannot be reached at construction, the store warns
(:class:`~databroker.errors.LiveBufferWarning`) and serves the durable catalog alone; without
a durable catalog it raises :class:`~databroker.errors.ServerUnreachable`.
"""

from __future__ import annotations

import heapq
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from ...errors import InvalidOption, LiveBufferWarning, RunNotFound, ServerUnreachable
from ..base import CatalogStore, Doc, Query, RunStore, Serializer
from ..indexed import InProcessCatalogStore
from .codec import unpack
from .connection import CONNECT_TIMEOUT, DEFAULT_PREFIX, Keys, address_of, connect, translated
from .run import BLOCK_CHUNK, RedisRunStore

__all__ = ["RedisCatalogStore"]

_TOKEN = re.compile(r"^\d+-\d+$")
_CHUNK = 10_000
_MAX_OPEN_RUNS = 256


def _newest_first(start: Doc) -> tuple[float, str]:
    return (-float(start.get("time", 0.0)), str(start.get("uid", "")))


class _Announced(InProcessCatalogStore):
    """The starts announced on the buffer, searchable in process."""

    def open_run(self, uid: str) -> RunStore:  # pragma: no cover - the outer store opens runs
        raise RunNotFound(uid)


class RedisCatalogStore(CatalogStore):
    """A :class:`CatalogStore` over a Redis live buffer (see the module docstring).

    Parameters
    ----------
    url : str or redis client
        ``redis://[:password@]host:port/db`` (or ``rediss://``), or a redis-py client.
    durable : CatalogStore, optional
        The store of the durable catalog the publisher writes to.
    prefix : str
        The key prefix the publisher uses.
    connect_timeout : float
        Seconds to wait for the server before :class:`~databroker.errors.ServerUnreachable`.
    ttl : float
        Seconds during which listings reuse the announcements read last.
    """

    backend_name = "redis"
    supports_waiting = True
    supports_writes = True

    def __init__(
        self,
        url: Any,
        *,
        durable: CatalogStore | None = None,
        prefix: str = DEFAULT_PREFIX,
        connect_timeout: float = CONNECT_TIMEOUT,
        ttl: float = 0.1,
    ) -> None:
        self.address = address_of(url)
        self._owns_client = isinstance(url, str)
        self.client = connect(url, connect_timeout)
        self.durable = durable
        self.keys = Keys(prefix)
        self.ttl = ttl
        self._announced = _Announced()
        self._stops: dict[str, Doc] = {}
        self._read_up_to = "0-0"
        self._last_read = float("-inf")
        self._runs: OrderedDict[str, RedisRunStore] = OrderedDict()
        self._lock = threading.RLock()
        #: True when Redis could not be reached: only the durable catalog is served.
        self.offline = False
        try:
            with translated(self.address, "connecting"):
                self.client.ping()
        except ServerUnreachable as error:
            if durable is None:
                raise
            warnings.warn(
                f"{error} Reading only its durable copy ({durable.backend_name}).",
                LiveBufferWarning,
                stacklevel=2,
            )
            self.offline = True
        self.refresh(force=True)

    # -- the announcements ------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        if self.durable is not None:
            self.durable.refresh(force)
        if self.offline or (not force and time.monotonic() - self._last_read < self.ttl):
            return
        with self._lock:
            while True:
                with translated(self.address, "listing runs"):
                    entries = self.client.xrange(
                        self.keys.runs, min=f"({self._read_up_to}", max="+", count=_CHUNK
                    )
                self._index(entries)
                if entries:
                    self._read_up_to = _text(entries[-1][0])
                if len(entries) < _CHUNK:
                    break
            self._last_read = time.monotonic()

    def _index(self, entries: Sequence[tuple[Any, dict[Any, Any]]]) -> list[str]:
        """Add announced starts and stops to the index; return the uids of new starts."""
        started = []
        for raw_id, fields in entries:
            kind = _text(fields.get(b"kind", b""))
            uid = _text(fields.get(b"uid", b""))
            if kind == "start":
                started.append(uid)
                if self._announced.get_start(uid, {}) is None:
                    where = f"Redis {self.address}, key {self.keys.runs!r}, entry {raw_id!r}"
                    self._announced._set_start(uid, unpack(fields[b"doc"], where)[1])
            elif kind == "stop" and uid not in self._stops:
                where = f"Redis {self.address}, key {self.keys.runs!r}, entry {raw_id!r}"
                self._stops[uid] = unpack(fields[b"doc"], where)[1]
        return started

    # -- listing: the union of the announced runs and the durable ones ----------------------

    def iter_starts(self, query: Query) -> Iterator[Doc]:
        live = list(self._announced.iter_starts(query))
        if self.durable is None:
            return iter(live)
        uids = {start["uid"] for start in live}
        older = (s for s in self.durable.iter_starts(query) if s["uid"] not in uids)
        return heapq.merge(live, older, key=_newest_first)

    def count(self, query: Query) -> int:
        live = list(self._announced.iter_starts(query))
        if self.durable is None:
            return len(live)
        only_live = [s for s in live if self.durable.get_start(s["uid"], query) is None]
        return self.durable.count(query) + len(only_live)

    def get_start(self, uid: str, query: Query) -> Doc | None:
        start = self._announced.get_start(uid, query)
        if start is None and self.durable is not None:
            start = self.durable.get_start(uid, query)
        return start

    def find_uid_prefix(self, prefix: str, query: Query, limit: int = 11) -> list[str]:
        found = self._announced.find_uid_prefix(prefix, query, limit)
        if self.durable is not None and len(found) < limit:
            for uid in self.durable.find_uid_prefix(prefix, query, limit):
                if uid not in found and len(found) < limit:
                    found.append(uid)
        return found

    def find_scan_id(self, scan_id: int, query: Query) -> Doc | None:
        candidates = [self._announced.find_scan_id(scan_id, query)]
        if self.durable is not None:
            candidates.append(self.durable.find_scan_id(scan_id, query))
        found = [start for start in candidates if start is not None]
        return min(found, key=_newest_first) if found else None

    def nth_newest(self, n: int, query: Query) -> Doc | None:
        if n < 0:
            return None
        if self.durable is None:
            return self._announced.nth_newest(n, query)
        for index, start in enumerate(self.iter_starts(query)):
            if index == n:
                return start
        return None

    # -- runs -------------------------------------------------------------------------------

    def open_run(self, uid: str) -> RunStore:
        with self._lock:
            run = self._runs.get(uid)
            if run is not None:
                self._runs.move_to_end(uid)
                return run
            start = self._announced.get_start(uid, {})
            if start is None and not self.offline:
                self.refresh(force=True)  # announced since the last look?
                start = self._announced.get_start(uid, {})
            if start is None:
                if self.durable is not None:
                    return self.durable.open_run(uid)
                raise RunNotFound(f"No run with uid {uid!r} in the live buffer {self.address}.")
            run = RedisRunStore(self.client, self.keys.run(uid), self.address, start, self.durable)
            self._runs[uid] = run
            while len(self._runs) > _MAX_OPEN_RUNS:
                self._runs.popitem(last=False)
            return run

    def stops(self, uids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = {}
        rest = []
        for uid in uids:
            if uid in self._stops:
                result[uid] = self._stops[uid]
            elif self._announced.get_start(uid, {}) is not None:
                result[uid] = None
            else:
                rest.append(uid)
        if rest:
            durable = self.durable.stops(rest) if self.durable is not None else {}
            result.update({uid: durable.get(uid) for uid in rest})
        return result

    def serializer(self) -> Serializer:
        """Return a publisher into this buffer (and its durable catalog)."""
        from .publisher import LiveBuffer

        return LiveBuffer(self.client, durable=self.durable, prefix=self.keys.prefix).publisher()

    # -- waiting for runs -------------------------------------------------------------------

    def _check_token(self, since: str) -> None:
        if not isinstance(since, str) or not _TOKEN.match(since):
            raise InvalidOption(
                f"{since!r} is not a token of the live buffer {self.address}: pass None or a "
                "token returned by arrivals() / get_next_run()."
            )

    def _durable_waiting(self) -> CatalogStore:
        if self.durable is not None and self.durable.supports_waiting:
            return self.durable
        raise ServerUnreachable(
            f"Waiting for runs needs the Redis live buffer at {self.address}, which could not "
            "be reached when the catalog was opened."
        )

    def arrivals(self, since: str | None) -> tuple[str, list[str]]:
        if self.offline:
            return self._durable_waiting().arrivals(since)
        if since is None:
            with translated(self.address, "reading the newest announcement"):
                newest = self.client.xrevrange(self.keys.runs, max="+", min="-", count=1)
            return (_text(newest[0][0]) if newest else "0-0"), []
        self._check_token(since)
        token, uids = since, []
        while True:
            with translated(self.address, "reading announcements"):
                entries = self.client.xrange(self.keys.runs, min=f"({token}", max="+", count=_CHUNK)
            if entries:
                token = _text(entries[-1][0])
                uids.extend(self._index(entries))
            if len(entries) < _CHUNK:
                return token, uids

    def wait_for_arrivals(self, since: str | None, timeout: float | None) -> tuple[str, list[str]]:
        if self.offline:
            return self._durable_waiting().wait_for_arrivals(since, timeout)
        token, uids = self.arrivals(since if since is not None else None)
        if uids:
            return token, uids
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = BLOCK_CHUNK if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return token, []
            block = max(1, int(min(remaining, BLOCK_CHUNK) * 1000))
            with translated(self.address, "waiting for runs"):
                found = self.client.xread({self.keys.runs: token}, count=_CHUNK, block=block)
            if found:
                entries = found[0][1]
                token = _text(entries[-1][0])
                uids = self._index(entries)
                if uids:
                    return token, uids

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
        if self.durable is not None:
            self.durable.close()

    def __repr__(self) -> str:
        return f"<RedisCatalogStore {self.address} prefix={self.keys.prefix!r}>"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
