"""Built-in handlers (Resource specs) and stream readers (StreamResource mimetypes).

Register them by import path, e.g. ``{'AD_HDF5': 'databroker.handlers.AreaDetectorHDF5Handler'}``;
databroker also publishes them in the ``databroker.handlers`` entry-point group. The optional
libraries (h5py, tifffile) are imported only when data are read.
"""

from .hdf5 import AreaDetectorHDF5Handler, AreaDetectorHDF5SWMRHandler, HDF5StreamReader
from .npy import NumpySeqHandler
from .tiff import AreaDetectorTiffHandler, SingleTiffHandler, TiffSequenceStreamReader

__all__ = [
    "AreaDetectorHDF5Handler",
    "AreaDetectorHDF5SWMRHandler",
    "AreaDetectorTiffHandler",
    "HDF5StreamReader",
    "NumpySeqHandler",
    "SingleTiffHandler",
    "TiffSequenceStreamReader",
]
