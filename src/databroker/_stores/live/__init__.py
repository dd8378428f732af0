"""The Redis live buffer: publish runs while they are taken, read them while they are written.

* :mod:`.connection` -- the key layout, the client, Redis errors as databroker's;
* :mod:`.codec` -- documents as stream entries (the msgpack run file's encoding);
* :mod:`.publisher` -- :class:`LiveBuffer` and its RunEngine subscriber;
* :mod:`.run` -- one run read incrementally from its stream (:class:`RedisRunStore`);
* :mod:`.segments` -- a run whose evicted entries have no durable copy;
* :mod:`.catalog` -- :class:`RedisCatalogStore`, the live runs and the durable catalog's.

Importing this package does not import redis; its classes import it on first use.
"""

from __future__ import annotations

from .catalog import RedisCatalogStore
from .publisher import LiveBuffer, Publisher
from .run import RedisRunStore

__all__ = ["LiveBuffer", "Publisher", "RedisCatalogStore", "RedisRunStore"]
