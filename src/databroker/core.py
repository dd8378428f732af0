"""The v2 core: documents, runs, streams, and the helpers third-party drivers rely on.

Importing this module registers the ``'delayed'`` coercion with event-model, so
``event_model.Filler(registry, coerce='delayed')`` yields dask arrays.
"""

from __future__ import annotations

from ._documents.classes import (
    Datum,
    DatumPage,
    Descriptor,
    Document,
    Event,
    EventPage,
    Resource,
    Start,
    Stop,
    StreamDatum,
    StreamResource,
    to_datum_pages,
    to_event_pages,
)
from ._fill import discover_handlers, parse_handler_registry, register_delayed_coercion
from ._intake.entry import Entry
from ._intake.run import BlueskyRun
from ._intake.single_run import BlueskyRunFromGenerator, SingleRunCache
from ._intake.stream import BlueskyEventStream
from ._runs.transforms import parse_transforms
from .errors import NotMutable

__all__ = [
    "BlueskyEventStream",
    "BlueskyRun",
    "BlueskyRunFromGenerator",
    "Datum",
    "DatumPage",
    "Descriptor",
    "Document",
    "Entry",
    "Event",
    "EventPage",
    "NotMutable",
    "Resource",
    "SingleRunCache",
    "Start",
    "Stop",
    "StreamDatum",
    "StreamResource",
    "discover_handlers",
    "parse_handler_registry",
    "parse_transforms",
    "to_datum_pages",
    "to_event_pages",
]

register_delayed_coercion()
