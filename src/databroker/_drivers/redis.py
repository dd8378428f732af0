"""The ``bluesky-redis-catalog`` driver: runs in a Redis live buffer, over a durable catalog."""

from __future__ import annotations

from typing import Any

from .._intake.broker import Broker, catalog_signature
from .._stores.base import CatalogStore
from .._stores.live import RedisCatalogStore
from .._stores.live.connection import DEFAULT_PREFIX
from .._stores.registry import backends_for
from ..errors import CatalogNotFound, InvalidArgument

__all__ = ["BlueskyRedisCatalog"]


class BlueskyRedisCatalog(Broker):
    """A catalog of the runs of a Redis live buffer and of its durable catalog.

    Runs being taken (published by :class:`databroker._stores.live.LiveBuffer`) are read
    from Redis as they are written; runs evicted from Redis, and older runs, from the durable
    catalog. If Redis cannot be reached, the durable catalog is served alone (with a
    :class:`~databroker.errors.LiveBufferWarning`).

    Parameters
    ----------
    url
        ``'redis://[:password@]host:6379/0'`` (or ``rediss://``), or a redis-py client.
    durable
        The durable catalog: a databroker catalog, a catalog store, or a location opened as
        one (a directory or glob of ``.msgpack``/``.jsonl`` files, a ``mongodb://`` URI).
        None: Redis holds the only copy.
    prefix
        The prefix of the buffer's Redis keys.
    **kwargs
        The reading options every catalog takes (``handler_registry``, ``root_map``,
        ``filler_class``, ``query``, ``transforms``: see :class:`databroker.v2.Broker`) and
        intake's options (``name``, ``metadata``, ``ttl``).
    """

    name = "bluesky-redis-catalog"

    @catalog_signature
    def __init__(
        self,
        url: Any,
        *,
        durable: Any = None,
        prefix: str = DEFAULT_PREFIX,
        **kwargs: Any,
    ) -> None:
        #: The durable catalog (None without one).
        self.durable = _durable_catalog(durable)
        store = RedisCatalogStore(url, durable=_store_of(self.durable), prefix=prefix)
        super().__init__(store, **kwargs)

    @property
    def live_store(self) -> RedisCatalogStore:
        """The store over the buffer (``offline`` says whether Redis was reachable)."""
        store: RedisCatalogStore = self._store  # type: ignore[assignment]
        return store


def _store_of(catalog: Any) -> CatalogStore | None:
    if catalog is None or isinstance(catalog, CatalogStore):
        return catalog
    store: CatalogStore = catalog._store  # a Broker's storage (Broker is our base class)
    return store


def _durable_catalog(durable: Any) -> Any:
    """Return ``durable`` as a catalog or store, opening a location string."""
    if durable is None or isinstance(durable, Broker | CatalogStore):
        return durable
    if not isinstance(durable, str):
        raise InvalidArgument(
            "durable= takes a databroker catalog, a catalog store, or a location string "
            f"(directory, glob, mongodb:// URI), not {type(durable).__name__}: {durable!r}."
        )
    specs = [spec for spec in backends_for(durable) if spec.name != "redis"]
    if len(specs) > 1:  # both MongoDB layouts open a URI: tell them apart by collection
        specs = [spec for spec in specs if spec.name == _mongo_layout(durable)]
    if not specs:
        raise CatalogNotFound(
            f"The durable catalog {durable!r} is neither a directory or glob of run files "
            "(.msgpack, .jsonl) nor a mongodb:// URI."
        )
    return specs[0].load_driver()(durable)


def _mongo_layout(uri: str) -> str:
    import pymongo

    client: Any = pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000)
    try:
        database = client.get_default_database()
        names = set(database.list_collection_names())
    finally:
        client.close()
    return "mongo-embedded" if "header" in names else "mongo-normalized"
