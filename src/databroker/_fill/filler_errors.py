"""One error path for filling through event-model's ``Filler`` and for ``read()``.

event-model raises ``UndefinedAssetSpecification``, ``DataNotAccessible``,
``UnresolvableForeignKeyError`` and ``MismatchedDataKeys`` without the resolved path or the
root_map hint. The Filler made by :func:`~databroker._fill.make_filler` turns them into the
errors ``read()`` raises (``UnknownHandlerSpec``, ``ExternalFileNotFound``, ``HandlerError``,
``BrokenReference``, ``InvalidEventData``) with the same messages. Each is also an instance of
the event-model class raised before, so existing ``except`` clauses keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import event_model

from ..errors import (
    BrokenReference,
    DatabrokerError,
    ExternalFileNotFound,
    HandlerError,
    InvalidEventData,
    InvalidEventType,
    MissingEventData,
    UnknownHandlerSpec,
)
from .handler_pool import not_found_message, spec_of, unknown_spec_message
from .paths import resource_location

__all__ = ["FillerErrors", "fill_error"]


class FillUnknownHandlerSpec(UnknownHandlerSpec, event_model.UndefinedAssetSpecification):
    """``UnknownHandlerSpec`` raised while filling (also event-model's class)."""


class FillExternalFileNotFound(ExternalFileNotFound, event_model.DataNotAccessible):
    """``ExternalFileNotFound`` raised while filling (also event-model's class)."""


class FillHandlerError(HandlerError, event_model.DataNotAccessible):
    """``HandlerError`` raised while filling (also event-model's class)."""


class FillBrokenReference(BrokenReference, event_model.UnresolvableForeignKeyError):
    """``BrokenReference`` raised while filling (also event-model's class)."""

    def __init__(self, message: str, key: Any = None) -> None:
        Exception.__init__(self, message)
        self.key = key
        self.message = message


class FillMismatchedDataKeys(InvalidEventData, event_model.MismatchedDataKeys):
    """``InvalidEventData`` for an event lacking an external key (also event-model's class)."""


@dataclass
class _Context:
    """What the Filler was doing when it failed (from its ``_current_state``)."""

    event: Mapping[str, Any]
    descriptor: Mapping[str, Any] | None
    key: str | None
    resource: Mapping[str, Any] | None
    registry: Mapping[str, Any]
    root_map: Mapping[str, str]

    @property
    def run_uid(self) -> str:
        for doc in (self.resource, self.descriptor):
            if doc and doc.get("run_start"):
                return str(doc["run_start"])
        return "?"

    def where(self) -> str:
        event = self.event
        descriptor = event.get("descriptor") if isinstance(event, Mapping) else None
        return (
            f"the event with seq_num {event.get('seq_num')!r}, uid {event.get('uid')!r} of "
            f"descriptor {descriptor!r} in run {self.run_uid!r}"
        )


def _file_not_found(err: BaseException) -> FileNotFoundError | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, FileNotFoundError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _handler_error(err: Exception, ctx: _Context, resource: Mapping[str, Any]) -> Exception:
    location = resource_location(resource, ctx.root_map)
    missing = _file_not_found(err)
    if missing is not None:
        return FillExternalFileNotFound(not_found_message(missing, resource, location, ctx.run_uid))
    cause = err.__cause__ if isinstance(err, event_model.EventModelError) and err.__cause__ else err
    return FillHandlerError(
        f"The handler of spec {spec_of(resource)!r} raised {type(cause).__name__}: {cause} "
        f"while filling field {ctx.key!r} of {ctx.where()} (resource {resource['uid']!r}; "
        f"{location.describe()})."
    )


def fill_error(err: Exception, ctx: _Context) -> Exception:
    """Return the databroker error for ``err`` raised by event-model's ``fill_event``."""
    if isinstance(err, event_model.UndefinedAssetSpecification) and ctx.resource is not None:
        message = unknown_spec_message(ctx.resource, ctx.run_uid, ctx.key, ctx.registry)
        return FillUnknownHandlerSpec(message)
    if isinstance(err, event_model.UnresolvableForeignKeyError):
        return FillBrokenReference(
            f"Field {ctx.key!r} of {ctx.where()} refers to {err.key!r}, which is not among "
            f"the run's documents ({err.message}).",
            err.key,
        )
    if isinstance(err, event_model.MismatchedDataKeys):
        return FillMismatchedDataKeys(
            f"{ctx.where()[0].upper()}{ctx.where()[1:]} has no data for external field "
            f"{ctx.key!r} that its descriptor (or its 'filled') lists."
        )
    if ctx.resource is not None:
        return _handler_error(err, ctx, ctx.resource)
    if isinstance(err, KeyError) and ctx.descriptor is None:
        return BrokenReference(
            f"{ctx.where()[0].upper()}{ctx.where()[1:]} refers to a descriptor that was not "
            f"seen before it ({err})."
        )
    kind = (
        MissingEventData
        if isinstance(err, KeyError)
        else InvalidEventType
        if isinstance(err, (TypeError, AttributeError))
        else InvalidEventData
    )
    return kind(f"Cannot fill {ctx.where()}: {type(err).__name__}: {err}")


class FillerErrors:
    """Mixed into the Filler class: ``fill_event`` raises databroker's errors."""

    def fill_event(self, doc: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().fill_event(doc, *args, **kwargs)  # type: ignore[misc]
        except DatabrokerError:
            raise
        except Exception as err:
            state = self._current_state  # type: ignore[attr-defined]
            ctx = _Context(
                event=doc if isinstance(doc, Mapping) else {},
                descriptor=getattr(state, "descriptor", None),
                key=getattr(state, "key", None),
                resource=getattr(state, "resource", None),
                registry=self.handler_registry,  # type: ignore[attr-defined]
                root_map=self.root_map,  # type: ignore[attr-defined]
            )
            for name in ("descriptor", "key", "resource", "datum"):
                setattr(state, name, None)
            raise fill_error(err, ctx) from err
