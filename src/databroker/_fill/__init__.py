"""External data: handler registries and discovery, root_map, the loader used by assembly, and
event-model Filler construction.

Importing this package must stay light (``databroker.core`` imports it): no dask or xarray
here, and event-model (with jsonschema) only when a Filler is first built.
"""

from typing import Any

from .._documents.datakeys import declared_dtype, declared_shape, is_datum_field, is_stream_field
from .handler_pool import HandlerPool
from .loader import ExternalLoader
from .paths import RootMap, resolve_root, resolve_root_map
from .registry import discover_handlers, parse_handler_registry

__all__ = [
    "ExternalLoader",
    "HandlerPool",
    "RootMap",
    "declared_dtype",
    "declared_shape",
    "discover_handlers",
    "is_datum_field",
    "is_stream_field",
    "make_filler",
    "parse_handler_registry",
    "register_delayed_coercion",
    "resolve_root",
    "resolve_root_map",
]


def __getattr__(name: str) -> Any:
    """``make_filler`` and ``register_delayed_coercion`` import event-model on first use."""
    if name in ("make_filler", "register_delayed_coercion"):
        from . import filler

        return getattr(filler, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
