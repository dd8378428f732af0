"""Documents → columns → xarray/dask: the Datasets of ``BlueskyEventStream``.

Imported lazily (only by ``read()``/``to_dask()`` and friends), so it may import numpy,
xarray and dask at module level.
"""

from .config import build_config, config_objects
from .dataset import build_dataset, build_timestamps, dataset_metadata
from .fields import select_fields
from .stream_data import StreamData

__all__ = [
    "StreamData",
    "build_config",
    "build_dataset",
    "build_timestamps",
    "config_objects",
    "dataset_metadata",
    "select_fields",
]
