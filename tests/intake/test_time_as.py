"""``read(time_as=...)`` / ``to_dask(time_as=...)``: the ``time`` coordinate in human time."""

from __future__ import annotations

import time
from typing import Any

import dask
import numpy as np
import pandas
import pytest
from bluesky.plans import count
from ophyd.sim import det

from databroker.errors import InvalidOption


def _local(seconds: np.ndarray) -> np.ndarray:
    """Local wall-clock time of epoch seconds, computed with the time module, to the µs."""
    return np.array(
        [
            np.datetime64(time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(s)))
            + np.timedelta64(round((s % 1) * 1e6), "us")
            for s in seconds
        ]
    ).astype("datetime64[ns]")


def test_default_time_is_float_seconds(catalog: Any, RE: Any) -> None:
    """[compat] Without time_as the time coordinate stays float64 epoch seconds."""
    (uid,) = RE(count([det], 3))
    assert catalog[uid].primary.read()["time"].dtype == np.float64
    assert catalog[uid].primary.read(time_as="float")["time"].dtype == np.float64


def test_time_as_utc(catalog: Any, RE: Any) -> None:
    """[new] time_as='utc' gives naive datetime64[ns] in UTC, the same instants."""
    (uid,) = RE(count([det], 3))
    stream = catalog[uid].primary
    seconds = stream.read()["time"].values
    utc = stream.read(time_as="utc")
    assert utc["time"].dtype == np.dtype("datetime64[ns]")
    expected = pandas.to_datetime(seconds, unit="s").round("us").to_numpy()
    np.testing.assert_array_equal(utc["time"].values, expected)
    np.testing.assert_array_equal(utc["det"].values, stream.read()["det"].values)


def test_time_as_datetime_is_local(monkeypatch: pytest.MonkeyPatch, catalog: Any, RE: Any) -> None:
    """[new] time_as='datetime' gives naive datetime64[ns] in local wall-clock time."""
    (uid,) = RE(count([det], 3))
    stream = catalog[uid].primary
    seconds = stream.read()["time"].values
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        local = stream.read(time_as="datetime")
        assert local["time"].dtype == np.dtype("datetime64[ns]")
        np.testing.assert_array_equal(local["time"].values, _local(seconds))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_to_dask_time_as(catalog: Any, RE: Any) -> None:
    """[new] to_dask(time_as=...) converts the coordinate and keeps data variables lazy."""
    (uid,) = RE(count([det], 2))
    lazy = catalog[uid].primary.to_dask(time_as="utc")
    assert lazy["time"].dtype == np.dtype("datetime64[ns]")
    assert dask.is_dask_collection(lazy["det"].data)
    assert not dask.is_dask_collection(lazy["time"].variable._data)


def test_time_as_keeps_selection(catalog: Any, RE: Any) -> None:
    """[new] time_as combines with include=/exclude= of a configured stream."""
    (uid,) = RE(count([det], 2))
    stream = catalog[uid].primary.stream(include=["det"])
    dataset = stream.read(time_as="datetime")
    assert list(dataset.data_vars) == ["det"]
    assert dataset["det"].dims == ("time",)


def test_unknown_time_as_names_allowed_values(catalog: Any, RE: Any) -> None:
    """[new] An unknown time_as raises InvalidOption (a ValueError) naming the allowed values."""
    (uid,) = RE(count([det], 1))
    with pytest.raises(InvalidOption) as info:
        catalog[uid].primary.read(time_as="epoch")
    message = str(info.value)
    assert "'float', 'datetime', 'utc'" in message
    assert "'epoch'" in message and uid in message
