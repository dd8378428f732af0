"""The built-in handlers under their databroker 1.x import path.

Old config files name classes such as ``databroker.assets.handlers.AreaDetectorHDF5Handler``;
these are the same classes as in :mod:`databroker.handlers`.
"""

from ..handlers import (
    AreaDetectorHDF5Handler,
    AreaDetectorHDF5SWMRHandler,
    AreaDetectorTiffHandler,
    NumpySeqHandler,
    SingleTiffHandler,
)
from .path_only_handlers import AreaDetectorTiffPathOnlyHandler, RawHandler

__all__ = [
    "AreaDetectorHDF5Handler",
    "AreaDetectorHDF5SWMRHandler",
    "AreaDetectorTiffHandler",
    "AreaDetectorTiffPathOnlyHandler",
    "NumpySeqHandler",
    "RawHandler",
    "SingleTiffHandler",
]
