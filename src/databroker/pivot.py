"""Small utilities over lists of v1 event dicts (``{'time', 'data', 'timestamps', ...}``).

Kept from older databroker versions for scripts that use them. Each is a generator, so they
chain: ``pivot_timeseries(reset_time(zip_events(a, b), 't'), ['x'], ['sample'])``. Input
events are never changed; the events yielded are new dicts.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["pivot_timeseries", "reset_time", "zip_events"]

Event = Mapping[str, Any]


def zip_events(*event_lists: Iterable[Event]) -> Iterator[Event]:
    """Merge several time-ordered lists of events into one, ordered by ``time``.

    Parameters
    ----------
    *event_lists : iterables of event dicts
        Each already ordered by ``time`` (as a stream's events are).

    Yields
    ------
    event dict
        Every input event once, by ``time``; events with equal times keep the order of
        the lists they came from.
    """
    return heapq.merge(*event_lists, key=lambda event: event["time"])


def reset_time(events: Iterable[Event], field: str) -> Iterator[dict[str, Any]]:
    """Shift ``data[field]`` of every event so that the first event's value is 0.

    Parameters
    ----------
    events : iterable of event dicts
    field : str
        A data key holding times (numbers, or arrays of them).

    Yields
    ------
    dict
        A copy of each event (with a copied ``data``) in which ``data[field]`` has the
        first event's ``data[field]`` subtracted.
    """
    origin: Any = None
    for index, event in enumerate(events):
        if index == 0:
            origin = event["data"][field]
        yield {**event, "data": {**event["data"], field: event["data"][field] - origin}}


def pivot_timeseries(
    events: Iterable[Event], pivot_keys: Sequence[str], static_keys: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """Turn events whose data hold arrays into one event per array element.

    Parameters
    ----------
    events : iterable of event dicts
    pivot_keys : sequence of str
        Data keys holding equal-length sequences; the k-th new event from an event holds
        their k-th elements.
    static_keys : sequence of str, optional
        Data keys copied unchanged into every new event.

    Yields
    ------
    dict
        Events with ``data`` and ``timestamps`` holding only ``pivot_keys`` and
        ``static_keys``; ``time`` and ``descriptor`` of the source event, a new ``uid``, and
        ``seq_num`` counting the new events from 1.

    Raises
    ------
    ValueError
        If an event's ``pivot_keys`` hold sequences of different lengths.
    """
    keys = [*pivot_keys, *static_keys]
    seq_num = 0
    for event in events:
        data = event["data"]
        lengths = {key: len(data[key]) for key in pivot_keys}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"Cannot pivot event {event.get('uid')!r}: the pivot keys have different "
                f"lengths {lengths}. Pivot only keys that hold one value per point."
            )
        timestamps = event.get("timestamps", {})
        for index in range(next(iter(lengths.values()), 0)):
            seq_num += 1
            yield {
                "uid": str(uuid.uuid4()),
                "descriptor": event.get("descriptor"),
                "time": event["time"],
                "seq_num": seq_num,
                "data": {
                    **{key: data[key][index] for key in pivot_keys},
                    **{key: data[key] for key in static_keys},
                },
                "timestamps": {key: timestamps[key] for key in keys if key in timestamps},
            }
