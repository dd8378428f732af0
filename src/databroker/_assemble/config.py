"""Configuration datasets: one per object, one row per stream row (rule 15)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from .columns import Part, gather, gather_timestamps
from .dataset import row_coords, variable
from .dims import DimNamer
from .rows import read_stream_table
from .stream_data import StreamData

__all__ = ["build_config", "config_objects"]

Doc = Mapping[str, Any]


def config_objects(descriptors: Sequence[Doc]) -> list[str]:
    """Return the object names of the descriptors' ``object_keys``, in first-appearance order."""
    return list(dict.fromkeys(name for d in descriptors for name in d.get("object_keys") or {}))


def _section(descriptor: Doc, object_name: str, section: str) -> Mapping[str, Any]:
    return ((descriptor.get("configuration") or {}).get(object_name) or {}).get(section) or {}


def _value(descriptor: Doc, object_name: str, section: str, key: str) -> list[Any] | None:
    """Return ``[value]`` of one configuration key of a descriptor, None if it lacks the key."""
    values = _section(descriptor, object_name, section)
    return [values[key]] if key in values else None


def _data_key(descriptors: Sequence[Doc], object_name: str, key: str) -> Doc:
    """Return the first DataKey of a configuration key, ``{}`` if none is declared."""
    for descriptor in descriptors:
        data_keys = _section(descriptor, object_name, "data_keys")
        if key in data_keys:
            return data_keys[key]
    return {}


def build_config(
    stream: StreamData, object_name: str, *, timestamps: bool = False, lazy: bool = False
) -> xr.Dataset:
    """Return the configuration of ``object_name`` as a Dataset with the stream's rows.

    Parameters
    ----------
    stream
        The stream.
    object_name
        An object (device) of :func:`config_objects`.
    timestamps
        Return the configuration's timestamps (float64 on ``('time',)``) instead of values.
    lazy
        Wrap every variable in a dask array.

    Each configuration key is a variable (union over descriptors, first-appearance order);
    each row takes the value of its own descriptor, NaN/None where that descriptor lacks it.
    Dimensions follow rule 5 with a counter of their own.
    """
    section = "timestamps" if timestamps else "data"
    descriptors = stream.descriptors
    keys = list(
        dict.fromkeys(key for d in descriptors for key in _section(d, object_name, section))
    )
    table = read_stream_table(stream)
    owner_uids = [d["uid"] for d in descriptors]
    # Each descriptor contributes one value, so a row's position is its descriptor's index.
    row_index = table.rows.descriptor
    namer = DimNamer()
    variables: dict[str, Any] = {}
    if lazy:  # read() returns numpy and must not import dask.array (scipy, numba)
        import dask.array as da
    for key in keys:
        parts = [
            Part(i, _value(d, object_name, section, key), 1) for i, d in enumerate(descriptors)
        ]
        if timestamps:
            stamps = gather_timestamps(parts, row_index)
            variables[key] = variable(("time",), da.from_array(stamps) if lazy else stamps)
            continue
        data_key = _data_key(descriptors, object_name, key)
        column: Any = gather(key, parts, row_index, owner_uids, data_key, strict=False)
        if lazy:
            column = da.from_array(column, chunks=-1)
        variables[key] = variable(namer.dims(key, data_key, column.ndim - 1), column)
    return xr.Dataset(variables, coords=row_coords(table.rows))
