"""event-model Filler construction (lazy handlers, our errors) and the ``'delayed'`` coercion."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import event_model

from .._documents.datakeys import declared_dtype
from ..errors import HandlerImportError
from .filler_errors import FillerErrors
from .filler_registry import install_lazy_registry
from .imports import import_object
from .paths import RootMap

__all__ = ["make_filler", "register_delayed_coercion"]


def _delayed_coercion(handler_class: type, filler_state: Any) -> type:
    """Return a subclass of ``handler_class`` whose calls return lazy dask arrays.

    The shape and dtype of each array come from the DataKey being filled (the Filler puts
    the descriptor and key on ``filler_state``); unknown (null or 0) axes become NaN-sized.
    """
    if getattr(handler_class, "return_type", {}).get("delayed"):
        return handler_class  # the handler already returns dask arrays
    # Imported here, not at registration, so that importing databroker.core stays light.
    import dask
    import dask.array

    class DelayedHandler(handler_class):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            data_key = filler_state.descriptor["data_keys"][filler_state.key]
            shape = tuple(size if size else math.nan for size in data_key.get("shape") or ())
            load = dask.delayed(super().__call__, pure=True)
            return dask.array.from_delayed(
                load(*args, **kwargs), shape=shape, dtype=declared_dtype(data_key)
            )

    DelayedHandler.__name__ = f"Delayed{handler_class.__name__}"
    DelayedHandler.__qualname__ = f"Delayed{handler_class.__qualname__}"
    return DelayedHandler


def register_delayed_coercion() -> None:
    """Register the ``'delayed'`` option of ``event_model.Filler(coerce=...)``.

    Safe to call repeatedly: registering the same function again is a no-op.
    """
    event_model.register_coercion("delayed", _delayed_coercion)


_CHECKED: dict[type, type] = {}


def _checked_class(filler_class: type) -> type:
    """Return ``filler_class`` with :class:`FillerErrors` mixed in (one class per class)."""
    if issubclass(filler_class, FillerErrors):
        return filler_class
    checked = _CHECKED.get(filler_class)
    if checked is None:
        checked = type(
            filler_class.__name__,
            (FillerErrors, filler_class),
            {"__module__": filler_class.__module__, "__qualname__": filler_class.__qualname__},
        )
        _CHECKED[filler_class] = checked
    return checked


def make_filler(
    filler_class: type | str,
    handler_registry: Mapping[str, Any],
    root_map: Mapping[str, str],
    coerce: str,
) -> Any:
    """Build ``filler_class(handler_registry, root_map=..., inplace=False, coerce=coerce)``.

    The Filler raises the errors ``read()`` raises (``UnknownHandlerSpec``,
    ``ExternalFileNotFound`` with the path and root_map hint, ``HandlerError``,
    ``BrokenReference``), each also an instance of the event-model class it replaces. An
    ``event_model.Filler`` (or subclass) looks handlers up in ``handler_registry`` when a spec
    is first needed, so building one imports no handler.

    Parameters
    ----------
    filler_class
        ``event_model.Filler`` or a subclass, or the dotted import path of one.
    handler_registry
        ``{spec: handler class}``; read, not copied (the Filler's own registrations stay in
        the Filler).
    root_map
        ``{stored root: local root}``; passed as a :class:`RootMap` so that the Filler
        applies the same longest-prefix rule as ``read()``.
    coerce
        ``'force_numpy'``, ``'delayed'`` or another registered coercion.
    """
    if isinstance(filler_class, str):
        try:
            filler_class = import_object(filler_class)
        except ImportError as err:
            raise HandlerImportError(
                f"filler_class {filler_class!r} cannot be imported ({err}). Give the class "
                f"itself or a dotted path such as 'event_model.Filler'."
            ) from err
    assert isinstance(filler_class, type)
    cls = _checked_class(filler_class) if issubclass(filler_class, event_model.Filler) else None
    if cls is not None:
        filler = cls({}, root_map=RootMap(root_map), inplace=False, coerce=coerce)
        if install_lazy_registry(filler, handler_registry):
            return filler
    return (cls or filler_class)(
        dict(handler_registry), root_map=RootMap(root_map), inplace=False, coerce=coerce
    )
