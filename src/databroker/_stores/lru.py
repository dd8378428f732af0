"""``LRUCache``: a bounded mapping that forgets the least recently used entries first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["LRUCache"]

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most ``capacity`` entries; reading or writing an entry makes it the most recent.

    Parameters
    ----------
    capacity
        How many entries are kept.
    on_evict
        Called with ``(key, value)`` of each entry dropped to make room (not on ``pop``).

    Not thread-safe by itself: callers that share one across threads hold their own lock.
    """

    def __init__(self, capacity: int, on_evict: Callable[[K, V], object] | None = None) -> None:
        self.capacity = capacity
        self._on_evict = on_evict
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        """Return the value of ``key`` (made the most recent), or ``default``."""
        if key not in self._items:
            return default
        self._items.move_to_end(key)
        return self._items[key]

    def peek(self, key: K, default: V | None = None) -> V | None:
        """Return the value of ``key`` without changing its recency."""
        return self._items.get(key, default)

    def put(self, key: K, value: V) -> list[tuple[K, V]]:
        """Store ``value`` as the most recent; return the entries dropped to make room."""
        self._items[key] = value
        self._items.move_to_end(key)
        evicted = []
        while len(self._items) > self.capacity:
            evicted.append(self._items.popitem(last=False))
        if self._on_evict is not None:
            for old_key, old_value in evicted:
                self._on_evict(old_key, old_value)
        return evicted

    def __setitem__(self, key: K, value: V) -> None:
        self.put(key, value)

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Remove ``key`` and return its value (or ``default``)."""
        return self._items.pop(key, default)

    def clear(self) -> None:
        """Forget every entry (``on_evict`` is not called)."""
        self._items.clear()

    def values(self) -> list[V]:
        """The values, least recent first."""
        return list(self._items.values())

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)
