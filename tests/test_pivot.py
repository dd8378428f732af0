"""Tests of databroker.pivot, the old event-list utilities."""

from __future__ import annotations

import numpy as np
import pytest

from databroker.pivot import pivot_timeseries, reset_time, zip_events


def _event(time, seq_num=1, **data):
    return {
        "uid": f"uid-{time}",
        "descriptor": "d",
        "time": time,
        "seq_num": seq_num,
        "data": data,
        "timestamps": {key: time + 0.5 for key in data},
    }


def test_zip_events_orders_by_time():
    """[compat] zip_events merges several event lists into one ordered by time."""
    first = [_event(1.0, a=1), _event(4.0, a=2)]
    second = [_event(2.0, b=1), _event(3.0, b=2), _event(5.0, b=3)]
    merged = list(zip_events(first, second))
    assert [event["time"] for event in merged] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert merged[0] is first[0] and merged[1] is second[0]


def test_zip_events_ties_keep_list_order():
    """[compat] Events with equal times come in the order of the lists given."""
    first, second = [_event(1.0, a=1)], [_event(1.0, b=1)]
    assert [next(iter(e["data"])) for e in zip_events(second, first)] == ["b", "a"]


def test_reset_time_shifts_to_first_value():
    """[compat] reset_time subtracts the first event's value of the field from every event."""
    events = [_event(1.0, t=10.0, x=1), _event(2.0, t=12.5, x=2), _event(3.0, t=13.0, x=3)]
    shifted = list(reset_time(events, "t"))
    assert [event["data"]["t"] for event in shifted] == [0.0, 2.5, 3.0]
    assert [event["data"]["x"] for event in shifted] == [1, 2, 3]
    assert events[1]["data"]["t"] == 12.5  # inputs untouched


def test_pivot_timeseries_one_event_per_element():
    """[compat] pivot_timeseries yields one event per array element, copying static keys."""
    events = [
        _event(1.0, x=np.array([1, 2, 3]), y=[4, 5, 6], sample="Si", other=9),
        _event(2.0, x=np.array([7]), y=[8], sample="Ge", other=9),
    ]
    pivoted = list(pivot_timeseries(events, ["x", "y"], ["sample"]))
    assert [(e["data"]["x"], e["data"]["y"], e["data"]["sample"]) for e in pivoted] == [
        (1, 4, "Si"),
        (2, 5, "Si"),
        (3, 6, "Si"),
        (7, 8, "Ge"),
    ]
    assert [e["seq_num"] for e in pivoted] == [1, 2, 3, 4]
    assert [e["time"] for e in pivoted] == [1.0, 1.0, 1.0, 2.0]
    assert all("other" not in e["data"] for e in pivoted)
    assert set(pivoted[0]["timestamps"]) == {"x", "y", "sample"}
    assert len({e["uid"] for e in pivoted}) == 4


def test_pivot_timeseries_rejects_unequal_lengths():
    """[compat] Pivot keys of different lengths in one event raise ValueError naming them."""
    with pytest.raises(ValueError, match="different lengths"):
        list(pivot_timeseries([_event(1.0, x=[1, 2], y=[1])], ["x", "y"]))
