"""The handler registry inside an event-model ``Filler``, kept lazy.

``event_model.Filler(registry)`` registers (and coerces) every handler when it is built,
which would import every entry point for each read. A Filler made by
:func:`~databroker._fill.make_filler` instead gets mappings that look handlers up in the
catalog's registry the first time a spec is needed, and coerce them then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["CoercedRegistry", "OverlayRegistry", "install_lazy_registry"]


class OverlayRegistry(MutableMapping[str, Any]):
    """A writable view of ``source``: writes and deletions stay here, the source is untouched.

    Stands in for the Filler's uncoerced registry, so ``filler.register_handler`` affects
    that Filler only, while keys it never touched follow the catalog's registry.
    """

    def __init__(self, source: Mapping[str, Any]) -> None:
        self.source = source
        self.local: dict[str, Any] = {}
        self.removed: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        if key in self.local:
            return self.local[key]
        if key in self.removed:
            raise KeyError(key)
        return self.source[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.local[key] = value
        self.removed.discard(key)

    def __delitem__(self, key: str) -> None:
        if key in self.local:
            del self.local[key]
            if key in self.source:
                self.removed.add(key)
        elif key in self.source and key not in self.removed:
            self.removed.add(key)
        else:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key in self.local or (key not in self.removed and key in self.source)

    def __iter__(self) -> Iterator[str]:
        yield from self.local
        yield from (k for k in self.source if k not in self.local and k not in self.removed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def picklable(self) -> OverlayRegistry:
        """This registry (it pickles; the coerced classes are not needed by the pool)."""
        return self


class CoercedRegistry(MutableMapping[str, Any]):
    """The Filler's coerced registry: ``coerce(raw[key], state)`` computed on first lookup."""

    def __init__(self, raw: OverlayRegistry, coerce: Callable[[Any, Any], Any], state: Any):
        self.raw = raw
        self._coerce = coerce
        self._state = state
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            self._cache[key] = self._coerce(self.raw[key], self._state)
        return self._cache[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._cache[key] = value

    def __delitem__(self, key: str) -> None:
        # event-model deletes from the raw registry itself (deregister_handler).
        self._cache.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._cache or key in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def picklable(self) -> OverlayRegistry:
        """The uncoerced registry, which pickles (coerced classes are local subclasses)."""
        return self.raw


def install_lazy_registry(filler: Any, handler_registry: Mapping[str, Any]) -> bool:
    """Give an ``event_model.Filler`` built with an empty registry a lazy view of
    ``handler_registry``; return False (changing nothing) if the Filler's internals differ.

    Handlers its ``__init__`` registered itself are kept on top.
    """
    import event_model

    needed = ("_unpatched_handler_registry", "_handler_registry", "_coercion_func")
    if not all(hasattr(filler, name) for name in needed) or not hasattr(filler, "_current_state"):
        return False
    raw = OverlayRegistry(handler_registry)
    coerced = CoercedRegistry(raw, filler._coercion_func, filler._current_state)
    for key, value in filler._unpatched_handler_registry.items():
        raw[key] = value
        coerced[key] = filler._handler_registry[key]
    filler._unpatched_handler_registry = raw
    filler._handler_registry = coerced
    filler.handler_registry = event_model.HandlerRegistryView(coerced)  # type: ignore[arg-type]
    return True
