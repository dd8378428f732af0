"""The v1 API: the ``Broker`` accessor that databroker 1.x analysis scripts use.

``Broker`` wraps any v2 catalog (``catalog.v1``); ``Header`` is one run; ``Results`` a search.
Heavy libraries (pandas, pymongo) are imported only by the methods that need them.
"""

from ..errors import ConfigError as InvalidConfig
from .broker import Broker
from .config import from_config, temp, temp_config
from .header import Header
from .registry import Registry
from .results import Results

__all__ = [
    "Broker",
    "Header",
    "InvalidConfig",
    "Registry",
    "Results",
    "from_config",
    "temp",
    "temp_config",
]
