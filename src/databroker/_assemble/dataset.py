"""The stream's ``xarray.Dataset``: data (``read()``/``to_dask()``) and timestamps (rules 1-14)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from .._fill import is_datum_field, is_stream_field
from .checks import check_values
from .columns import event_parts, gather, gather_timestamps
from .dims import DimNamer
from .fields import check_declared_shapes, data_key_of, object_of, select_fields
from .rows import Rows, StreamTable, read_stream_table
from .stream_data import StreamData

if TYPE_CHECKING:
    from .external_columns import ExternalPlan

__all__ = ["build_dataset", "build_timestamps", "dataset_metadata", "row_coords", "variable"]


def row_coords(rows: Rows) -> dict[str, xr.Variable]:
    """Return the coordinates of the rows: ``time``, plus ``seq_num`` for StreamDatum rows."""
    # Given the index, xarray skips converting the values through its duck-array checks, which
    # import cupy, pint and sparse (with numba and scipy) when they are installed.
    coords: dict[str, xr.Variable] = {"time": xr.IndexVariable(("time",), pd.Index(rows.time))}
    if rows.by_seq_num:
        coords["seq_num"] = variable(("time",), rows.seq_num)
    return coords


def variable(
    dims: tuple[str, ...], values: Any, attrs: dict[str, str] | None = None
) -> xr.Variable:
    """Return an ``xarray.Variable``, keeping object arrays as they are.

    xarray passes object arrays through pandas, which (pandas 3) turns the None of missing
    strings into NaN; the rules say None, so object data skip that conversion. Plain numpy
    arrays (not datetimes, which pandas normalises) skip it too, as xarray would return them
    unchanged: its check for a masked dask array imports ``dask.array`` (and scipy and numba
    with it, when installed), which ``read()`` never needs.
    """
    plain = type(values) is np.ndarray and values.dtype.kind not in "Mm"
    return xr.Variable(dims, values, attrs, fastpath=plain or values.dtype == object)


def _attrs(stream: StreamData, field: str) -> dict[str, str]:
    name = object_of(stream.descriptors, field)
    return {} if name is None else {"object": name}


def _plan(
    stream: StreamData, table: StreamTable, field: str, owner_uids: list[str]
) -> ExternalPlan | np.ndarray:
    """Return the values of an internal field, or the plan (or references) of an external one."""
    data_key = data_key_of(stream.descriptors, field)
    check_declared_shapes(stream.descriptors, field)
    if is_datum_field(data_key) or is_stream_field(data_key):
        from .external_columns import plan_external  # only streams with external data

        return plan_external(field, data_key, table, owner_uids, stream.loader)
    validate = partial(check_values, field, data_key, owner_uids=owner_uids, place=table.place)
    parts = event_parts(table, field)
    return gather(field, parts, table.rows.event, owner_uids, data_key, validate=validate)


def build_dataset(
    stream: StreamData,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    lazy: bool,
) -> xr.Dataset:
    """Return the stream's data as an ``xarray.Dataset``.

    Parameters
    ----------
    stream
        The stream to read.
    include, exclude
        Keep only / drop these fields (not both); unknown names are ignored.
    lazy
        False (``read()``): numpy-backed. True (``to_dask()``): every data variable
        dask-backed, external data loaded at compute time in chunks that never span two
        resources.

    Raises
    ------
    UnknownHandlerSpec
        When a selected external field has no handler, before anything is loaded.
    ShapeMismatchError
        When a field's shapes contradict each other.
    """
    table = read_stream_table(stream)  # checks the descriptors first
    fields = select_fields(stream.descriptors, include, exclude)
    owner_uids = [descriptor["uid"] for descriptor in stream.descriptors]
    # Plan every field first so that a missing handler fails before any external data loads.
    plans = {field: _plan(stream, table, field, owner_uids) for field in fields}
    namer = DimNamer()
    variables: dict[str, Any] = {}
    if lazy:  # read() returns numpy and must not import dask.array (scipy, numba)
        import dask.array as da
    for field, plan in plans.items():
        values: Any = plan if isinstance(plan, np.ndarray) else plan.load(lazy=lazy)
        if lazy and not isinstance(values, da.Array):
            values = da.from_array(values, chunks=-1)
        data_key = data_key_of(stream.descriptors, field)
        dims = namer.dims(field, data_key, values.ndim - 1)
        variables[field] = variable(dims, values, _attrs(stream, field))
    return xr.Dataset(variables, coords=row_coords(table.rows))


def build_timestamps(
    stream: StreamData,
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> xr.Dataset:
    """Return the events' timestamps of each field: float64 on ``('time',)`` (rule 14).

    Rows and fields are those of :func:`build_dataset`; NaN where a row has no timestamp
    (no event, or a ``STREAM:`` field).
    """
    table = read_stream_table(stream)
    fields = select_fields(stream.descriptors, include, exclude)
    variables = {
        field: (
            ("time",),
            gather_timestamps(event_parts(table, field, "timestamps"), table.rows.event),
            _attrs(stream, field),
        )
        for field in fields
    }
    return xr.Dataset(variables, coords=row_coords(table.rows))


def dataset_metadata(ds: xr.Dataset) -> dict[str, Any]:
    """Return the ``dims``, ``data_vars``, ``coords`` and ``attrs`` entries of ``.metadata``."""
    return {
        "dims": {str(name): int(size) for name, size in ds.sizes.items()},
        "data_vars": {str(name): list(var.dims) for name, var in ds.data_vars.items()},
        "coords": [str(name) for name in ds.coords],
        "attrs": dict(ds.attrs),
    }
