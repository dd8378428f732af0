"""Documents → columns → xarray/dask: the Datasets of ``BlueskyEventStream``.

Imported lazily (only by ``read()``/``to_dask()`` and friends), so it may import numpy and
xarray at module level; dask only inside the functions that build dask arrays, because
``dask.array`` imports scipy (and sparse, numba) that a numpy-backed ``read()`` never needs.
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
