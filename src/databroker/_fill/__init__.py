"""External data: handler registries and discovery, root_map, the loader used by assembly, and
event-model Filler construction.

Importing this package must stay light (``databroker.core`` imports it): no dask or xarray here.
"""

from .._documents.datakeys import declared_dtype, declared_shape, is_datum_field, is_stream_field
from .filler import make_filler, register_delayed_coercion
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
