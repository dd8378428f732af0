"""What a DataKey declares about its values: kind of field, shape and numpy dtype."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["datum_keys", "declared_dtype", "declared_shape", "is_datum_field", "is_stream_field"]

#: numpy dtype for each JSON type name, used when a DataKey has no ``dtype_numpy``.
_JSON_DTYPES = {
    "number": np.dtype("float64"),
    "integer": np.dtype("int64"),
    "boolean": np.dtype("bool"),
    "string": np.dtype("O"),
    "array": np.dtype("float64"),
}


def declared_dtype(data_key: Mapping[str, Any]) -> np.dtype:
    """Return the numpy dtype a DataKey declares: ``dtype_numpy``, else from ``dtype``.

    Structured ``dtype_numpy`` lists of ``[name, type]`` pairs are supported; an unknown
    JSON type gives float64.
    """
    dtype_numpy = data_key.get("dtype_numpy")
    if dtype_numpy:
        if isinstance(dtype_numpy, list):
            return np.dtype([tuple(item) for item in dtype_numpy])
        return np.dtype(dtype_numpy)
    return _JSON_DTYPES.get(data_key.get("dtype", "number"), np.dtype("float64"))


def declared_shape(data_key: Mapping[str, Any]) -> tuple[int | None, ...]:
    """Return a DataKey's ``shape`` as a tuple; null or 0 entries mean unknown (None)."""
    return tuple(size if size else None for size in data_key.get("shape") or ())


def is_stream_field(data_key: Mapping[str, Any]) -> bool:
    """Return True when values come from StreamResource/StreamDatum (``external: 'STREAM:'``)."""
    return (data_key.get("external") or "") == "STREAM:"


def is_datum_field(data_key: Mapping[str, Any]) -> bool:
    """Return True when event values are datum ids (any other ``external``)."""
    external = data_key.get("external")
    return bool(external) and external != "STREAM:"


def datum_keys(descriptor: Mapping[str, Any]) -> list[str]:
    """The data keys of a descriptor whose event values are datum ids."""
    return [
        key
        for key, data_key in (descriptor.get("data_keys") or {}).items()
        if isinstance(data_key, Mapping) and is_datum_field(data_key)
    ]
