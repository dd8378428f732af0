"""A stream's documents cut into partitions, for ``BlueskyEventStream.read_partition``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._documents.classes import wrap
from .ordering import stored_form

if TYPE_CHECKING:
    from .reader import RunReader

__all__ = ["stream_partition"]


def stream_partition(
    reader: RunReader,
    stream_name: str,
    *,
    index: int,
    fill: str,
    partition_size: int,
) -> list[tuple[str, Any]]:
    """Return partition ``index`` of a stream's documents.

    Partition 0 holds the start, the stream's descriptors, the run's resources and stream
    resources; then one partition per resource with its datum pages; then the event pages,
    ``partition_size`` per partition. The stop document ends the last partition; an index
    past the end gives ``[]``.
    """
    from .reader import coercion_for_fill

    coerce = coercion_for_fill(fill)
    run = reader.view
    descriptors = run.stream_descriptors(stream_name)
    resources = run.resources()
    header: list[tuple[str, Any]] = [("start", run.start())]
    header += [("descriptor", d) for d in descriptors]
    header += [("resource", r) for r in resources]
    header += [("stream_resource", r) for r in run.stream_resources()]
    datum_partitions = [
        [("datum_page", stored_form(page)) for page in run.datum_pages(r["uid"])] for r in resources
    ]
    pages = [stored_form(page) for d in descriptors for page in run.event_pages(d["uid"])]
    event_partitions = [
        [("event_page", page) for page in pages[i : i + partition_size]]
        for i in range(0, len(pages), partition_size)
    ]
    partitions = [header, *datum_partitions, *event_partitions]
    if index < 0 or index >= len(partitions):
        return []
    chosen = list(partitions[index])
    stop = run.stop()
    if index == len(partitions) - 1 and stop is not None:
        chosen.append(("stop", stop))
    if coerce is None or not any(name == "event_page" for name, _ in chosen):
        return chosen
    return _filled(chosen, header, datum_partitions, reader.filler(coerce))


def _filled(
    chosen: list[tuple[str, Any]],
    header: list[tuple[str, Any]],
    datum_partitions: list[list[tuple[str, Any]]],
    filler: Any,
) -> list[tuple[str, Any]]:
    """Fill the event pages of ``chosen``, priming the filler with the stream's references."""
    with filler:
        for name, doc in header + [pair for part in datum_partitions for pair in part]:
            if name in ("descriptor", "resource", "datum_page"):
                filler(name, doc)
        result = []
        for name, doc in chosen:
            if name == "event_page":
                filled_name, filled = filler(name, doc)
                result.append((filled_name, wrap(filled_name, filled)))
            else:
                result.append((name, doc))
        return result
