"""Publish a RunEngine's documents into a Redis live buffer, and into a durable catalog.

``RE.subscribe(LiveBuffer("redis://host", durable=catalog).publisher())`` sends every
document first to the durable catalog's writer (a msgpack directory, MongoDB) and then to the
run's Redis stream, so the durable copy is always at least as complete as the buffer; runs are
announced on one stream. Keys expire ``ttl_after_stop`` seconds after the stop, once the
durable copy holds the whole run.

Latency and throughput
----------------------
Documents are sent in pipelines: one round trip carries up to ``batch_size`` documents. A
start, descriptor or stop is sent at once (readers need them to make sense of rows); other
documents wait at most ``max_delay`` seconds (a background thread sends a batch older than
that). A larger ``max_delay`` or ``batch_size`` means fewer round trips (more documents per
second for fast detectors) at the price of that much added latency; ``max_delay=0`` sends
every document at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ..._documents.routing import DocumentRouter
from ...errors import DuplicateUniqueID
from ..base import Doc
from .codec import pack
from .connection import DEFAULT_PREFIX, Keys, address_of, connect, entry_id, translated

__all__ = ["LiveBuffer", "Publisher"]

_URGENT = frozenset(("start", "descriptor", "stop"))
#: ``ttl_after_stop`` when none is given: a day with a durable copy, never without one.
_DEFAULT_TTL = 24 * 3600.0


class LiveBuffer:
    """A Redis live buffer of bluesky runs (the writing side).

    Parameters
    ----------
    url : str or redis client
        ``redis://[:password@]host:port/db`` (or ``rediss://``), or a redis-py (or
        fakeredis) client.
    durable : catalog or CatalogStore, optional
        Where every document is also written, before Redis: anything with ``serializer()``
        (a databroker catalog over a msgpack directory or MongoDB, or its store).
    maxlen : int
        Approximate bound on the entries kept per run stream (``XADD MAXLEN ~``); older
        entries are evicted and read from the durable copy.
    ttl_after_stop : float or None
        Seconds the run's keys live after its stop; by default a day when there is a durable
        copy and forever (None) when there is none.
    prefix : str
        The prefix of every key (see :mod:`databroker._stores.live.connection`).
    batch_size, max_delay
        Pipelining: at most this many documents per round trip, none held longer than
        ``max_delay`` seconds (see the module docstring for the trade-off).
    runs_maxlen : int
        Approximate bound on the announcement stream.
    """

    def __init__(
        self,
        url: Any,
        *,
        durable: Any = None,
        maxlen: int = 100_000,
        ttl_after_stop: float | str | None = "default",
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = 500,
        max_delay: float = 0.001,
        runs_maxlen: int = 100_000,
    ) -> None:
        self.address = address_of(url)
        self.client = connect(url)
        self.durable = durable
        self.maxlen = maxlen
        if ttl_after_stop == "default":
            ttl_after_stop = _DEFAULT_TTL if durable is not None else None
        self.ttl_after_stop: float | None = ttl_after_stop  # type: ignore[assignment]
        self.keys = Keys(prefix)
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.runs_maxlen = runs_maxlen

    def publisher(self) -> Publisher:
        """Return a new RunEngine subscriber ``(name, doc)`` publishing into this buffer."""
        return Publisher(self)

    def __repr__(self) -> str:
        return f"LiveBuffer({self.address!r}, prefix={self.keys.prefix!r})"


class _RunState:
    """What the publisher remembers of one open run."""

    __slots__ = ("key", "last_ms", "number")

    def __init__(self, key: str) -> None:
        self.key = key
        self.number = 0
        self.last_ms = 0

    def next_id(self) -> str:
        # Ids must grow: the clock may step back, the number never does.
        self.number += 1
        self.last_ms = max(self.last_ms, int(time.time() * 1000))
        return entry_id(self.last_ms, self.number)


class Publisher:
    """A RunEngine subscriber writing into a :class:`LiveBuffer` (see its docstring).

    Call :meth:`close` when done (pending documents are sent; a stop sends them anyway).
    Errors of a background send are raised by the next call.
    """

    def __init__(self, buffer: LiveBuffer) -> None:
        self.buffer = buffer
        self._durable = buffer.durable.serializer() if buffer.durable is not None else None
        self._router = DocumentRouter()
        self._runs: dict[str, _RunState] = {}
        self._batch: list[tuple[str, Any, Any]] = []  # (command, key, arguments)
        self._deadline = 0.0
        self._cond = threading.Condition(threading.RLock())
        self._error: BaseException | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- the subscriber ---------------------------------------------------------------------

    def __call__(self, name: str, doc: Doc) -> None:
        """Publish one document (durable copy first, then Redis).

        Raises
        ------
        DuplicateUniqueID
            A run with this start uid was published before (to the buffer or the durable
            catalog).
        ServerUnreachable
            Redis cannot be reached (the durable copy holds the document already).
        InvalidDocument
            The document does not belong to an open run, or has an unknown name.
        """
        self._raise_background_error()
        runs = self._router.route(name, doc)
        if name == "start":
            self._claim(runs[0])
        try:
            if self._durable is not None:
                self._durable(name, doc)
        except BaseException:
            if name == "start":
                self._release(runs[0])
            raise
        data = pack(name, doc)
        with self._cond:
            for uid in runs:
                state = self._runs[uid]
                self._queue_entry(state, data)
                if name in ("start", "stop"):
                    self._announce(name, uid, data)
                if name == "stop":
                    self._expire(uid)
                    del self._runs[uid]
            if (
                name in _URGENT
                or len(self._batch) >= self.buffer.batch_size
                or self.buffer.max_delay <= 0
            ):
                self._flush()
            else:
                self._schedule()

    def _claim(self, uid: str) -> None:
        keys = self.buffer.keys
        with translated(self.buffer.address, f"publishing the start of run {uid!r}"):
            claimed = self.buffer.client.set(keys.claim(uid), "1", nx=True)
            if claimed:
                # A stream left by an earlier run of this uid whose claim expired first.
                claimed = not self.buffer.client.exists(keys.run(uid))
        if not claimed:
            self._router.discard(uid)
            raise DuplicateUniqueID(
                f"A run with start uid {uid!r} was already published to the live buffer at "
                f"{self.buffer.address} (key {keys.run(uid)!r}); give the run a new uid."
            )
        self._runs[uid] = _RunState(keys.run(uid))

    def _release(self, uid: str) -> None:
        self._runs.pop(uid, None)
        self._router.discard(uid)
        with translated(self.buffer.address, f"releasing run {uid!r}"):
            self.buffer.client.delete(self.buffer.keys.claim(uid))

    # -- batching ---------------------------------------------------------------------------

    def _queue_entry(self, state: _RunState, data: bytes) -> None:
        self._batch.append(("xadd", state.key, (state.next_id(), data, self.buffer.maxlen)))

    def _announce(self, kind: str, uid: str, data: bytes) -> None:
        fields = {"kind": kind, "uid": uid, "doc": data}
        self._batch.append(("xadd", self.buffer.keys.runs, ("*", fields, self.buffer.runs_maxlen)))

    def _expire(self, uid: str) -> None:
        ttl = self.buffer.ttl_after_stop
        if ttl is None:
            return
        keys = self.buffer.keys
        for key in (keys.run(uid), keys.claim(uid)):
            self._batch.append(("expire", key, max(1, round(ttl))))

    def _schedule(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._background, name="databroker-live-publisher", daemon=True
            )
            self._thread.start()
        if len(self._batch) == 1:  # a new batch: the background thread times it
            self._deadline = time.monotonic() + self.buffer.max_delay
            self._cond.notify()

    def _background(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._batch:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                try:
                    self._flush()
                except BaseException as error:  # raised by the next call
                    self._error = error
                    self._batch.clear()

    def _flush(self) -> None:
        """Send the pending documents in one pipeline (holding the lock)."""
        with self._cond:
            batch, self._batch = self._batch, []
            if not batch:
                return
            pipe = self.buffer.client.pipeline(transaction=False)
            for command, key, arguments in batch:
                if command == "xadd":
                    identifier, fields, maxlen = arguments
                    if isinstance(fields, bytes):
                        fields = {"d": fields}
                    pipe.xadd(key, fields, id=identifier, maxlen=maxlen, approximate=True)
                else:
                    pipe.expire(key, arguments)
            with translated(self.buffer.address, f"publishing {len(batch)} documents"):
                pipe.execute()

    def _raise_background_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    # -- lifetime ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Send every pending document now."""
        self._flush()
        self._raise_background_error()

    def close(self) -> None:
        """Send what is pending and stop the background thread (runs not stopped stay open
        in Redis: readers see them as running)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            self._flush()
        finally:
            close = getattr(self._durable, "close", None)
            if close is not None:
                close()
        self._raise_background_error()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @property
    def open_runs(self) -> tuple[str, ...]:
        """The start uids of the runs published and not yet stopped."""
        return self._router.open_runs

    def __repr__(self) -> str:
        return f"<Publisher into {self.buffer!r}>"
