"""The output order of a run's documents (documents.md, "Output order of documents()")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._documents.classes import EventPage
from .._documents.pages import plain_page, slice_page
from .view import RunView

__all__ = ["iter_run_documents", "merge_event_pages", "stored_form"]


def iter_run_documents(
    run: RunView, *, strict_order: bool = True, as_stored: bool = True
) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, doc)`` for every document of a run, unfilled, in the documented order.

    With ``as_stored`` False event pages keep the columns they are kept with (numbers as
    numpy arrays), for readers that build columns from them anyway.
    """
    yield "start", run.start()
    streams = run.stream_names()
    emitted_stream_resources: set[str] = set()
    stream_resources = {doc["uid"]: doc for doc in run.stream_resources()}
    descriptor_order: list[tuple[int, str]] = []
    for index, stream_name in enumerate(streams):
        descriptors = run.stream_descriptors(stream_name)
        for descriptor in descriptors:
            descriptor_order.append((index, descriptor["uid"]))
            yield "descriptor", descriptor
        if index == 0:
            for resource in run.resources():
                yield "resource", resource
                for datum_page in run.datum_pages(resource["uid"]):
                    yield "datum_page", stored_form(datum_page)
        stream_datum = [doc for d in descriptors for doc in run.stream_datum(d["uid"])]
        for doc in stream_datum:
            uid = doc["stream_resource"]
            if uid not in emitted_stream_resources and uid in stream_resources:
                emitted_stream_resources.add(uid)
                yield "stream_resource", stream_resources[uid]
        for doc in stream_datum:
            yield "stream_datum", doc
    pages = [
        (stream_index, page)
        for stream_index, descriptor_uid in descriptor_order
        for page in run.event_pages(descriptor_uid)
    ]
    for page in merge_event_pages(pages, strict_order=strict_order):
        yield "event_page", stored_form(page) if as_stored else page
    stop = run.stop()
    if stop is not None:
        yield "stop", stop


def merge_event_pages(
    pages: Sequence[tuple[int, Any]], *, strict_order: bool = True
) -> Iterator[EventPage]:
    """Merge event pages of several streams by event time.

    ``pages`` are ``(stream_index, page)`` in stream order, then storage order.
    With ``strict_order`` events come out in non-decreasing time (ties: stream order, then
    ``seq_num``); a page is split only where an event of another page falls inside it.
    Otherwise pages come out whole, ordered by the time of their first event.
    """
    pages = [(stream, page) for stream, page in pages if len(page["uid"])]
    if not pages:
        return
    if not strict_order:
        keyed = sorted(
            range(len(pages)),
            key=lambda i: (
                float(pages[i][1]["time"][0]),
                pages[i][0],
                pages[i][1]["seq_num"][0],
                i,
            ),
        )
        for i in keyed:
            yield EventPage(pages[i][1])
        return
    times = np.concatenate([np.asarray(page["time"], dtype=float) for _, page in pages])
    seq_nums = np.concatenate([np.asarray(page["seq_num"], dtype=np.int64) for _, page in pages])
    lengths = [len(page["uid"]) for _, page in pages]
    streams = np.repeat([stream for stream, _ in pages], lengths)
    page_ids = np.repeat(np.arange(len(pages)), lengths)
    rows = np.concatenate([np.arange(n) for n in lengths])
    order = np.lexsort((rows, page_ids, seq_nums, streams, times))
    sorted_pages = page_ids[order]
    sorted_rows = rows[order]
    # A segment ends where the next event is from another page or not the next row.
    breaks = np.flatnonzero(
        (sorted_pages[1:] != sorted_pages[:-1]) | (sorted_rows[1:] != sorted_rows[:-1] + 1)
    )
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks + 1, [len(order)]])
    for begin, end in zip(starts.tolist(), ends.tolist(), strict=True):
        page = pages[int(sorted_pages[begin])][1]
        low = int(sorted_rows[begin])
        high = low + (end - begin)
        if low == 0 and high == len(page["uid"]):
            yield page if isinstance(page, EventPage) else EventPage(page)
        else:
            yield EventPage(slice_page(page, low, high))


def stored_form(page: Any) -> Any:
    """The page as documents() gives it: columns as lists, as stored documents have them."""
    plain = plain_page(page)
    return page if plain is page else type(page)(plain)
