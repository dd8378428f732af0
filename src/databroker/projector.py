"""Projections (experimental): a run's own recipe for presenting its data under other names.

A start document may hold ``projections``, a list of ``{'name', 'version', 'configuration',
'projection'}``. ``projection`` maps each *projection field* to an item saying where its
value comes from:

========================  ==================================================================
item                      value
========================  ==================================================================
``type: linked``,         ``start[field]``
``location: start``
``type: linked``,         the stream's data variable ``run[stream].to_dask()[field]``
``location: event``
``type: linked``,         ``configuration[config_device]['data'][field]`` of the stream's
``location:               descriptor number ``config_index`` (descriptors in time order)
configuration``
``type: calculated``      ``func(run, *args, **kwargs)`` from ``calculation: {callable:
                          'module:function', args, kwargs}``; ``location`` start or event
``type: static``          its ``value``; ``location`` start (the default) or event
========================  ==================================================================

Importing this module is light; xarray is imported only by :func:`project_xarray`.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._fill.imports import import_object
from .errors import DatabrokerError, UnknownFieldWarning

__all__ = [
    "ProjectionError",
    "Projector",
    "get_calculated_value",
    "get_run_projection",
    "get_xarray_config_field",
    "project_summary_dict",
    "project_xarray",
]

_TYPES = ("linked", "calculated", "static")


class ProjectionError(DatabrokerError):
    """A projection cannot be found, or one of its callables cannot be imported."""


def _run_uid(run: Any) -> str:
    return str(run.metadata["start"].get("uid", "?"))


def get_run_projection(run: Any, projection_name: str | None = None) -> dict[str, Any] | None:
    """Return a projection from the run's start document.

    Parameters
    ----------
    run : BlueskyRun
        The run whose ``start['projections']`` is searched.
    projection_name : str, optional
        The ``name`` of the projection wanted. Without it, the run's only projection is
        returned.

    Returns
    -------
    dict or None
        The projection, or None if no projection has that name (or, with no name given, if
        the run has none or several).

    Raises
    ------
    KeyError
        If several projections have ``projection_name``.
    """
    projections = run.metadata["start"].get("projections") or []
    if projection_name is None:
        return projections[0] if len(projections) == 1 else None
    matches = [p for p in projections if p.get("name") == projection_name]
    if len(matches) > 1:
        raise KeyError(
            f"Run {_run_uid(run)!r} has {len(matches)} projections named {projection_name!r}; "
            "projection names must be unique. Pass the one wanted as projection=."
        )
    return matches[0] if matches else None


def _find_projection(
    run: Any, projection: Mapping[str, Any] | None, projection_name: str | None
) -> Mapping[str, Any]:
    """Return ``projection`` or the run's matching projection, else raise ProjectionError."""
    if projection is not None:
        return projection
    found = get_run_projection(run, projection_name)
    if found is not None:
        return found
    names = [p.get("name") for p in run.metadata["start"].get("projections") or []]
    if projection_name is not None:
        problem = f"has no projection named {projection_name!r}"
    elif names:
        problem = f"has {len(names)} projections; pass projection_name= to choose one"
    else:
        problem = "has no projections in its start document"
    raise ProjectionError(
        f"Run {_run_uid(run)!r} {problem} (projection names: {names}). Pass projection= "
        "to project it with a projection of your own."
    )


def get_calculated_value(run: Any, key: str, mapping: Mapping[str, Any]) -> Any:
    """Compute a calculated projection item.

    Parameters
    ----------
    run : BlueskyRun
        Passed to the callable as its first argument.
    key : str
        The projection field (used in error messages).
    mapping : Mapping
        The item, with ``calculation: {callable: 'module:function', args: [...],
        kwargs: {...}}``.

    Returns
    -------
    object
        ``function(run, *args, **kwargs)``.

    Raises
    ------
    ProjectionError
        If the item has no ``calculation.callable`` or it cannot be imported.
    """
    calculation = mapping.get("calculation") or {}
    path = calculation.get("callable")
    if not isinstance(path, str):
        raise ProjectionError(
            f"Projection field {key!r} of run {_run_uid(run)!r} is calculated but has no "
            f"'calculation': {{'callable': 'module:function'}} (got {dict(calculation)!r})."
        )
    try:
        function = import_object(path)
    except Exception as error:  # any failure while importing user code
        raise ProjectionError(
            f"Cannot import the callable {path!r} of projection field {key!r} in run "
            f"{_run_uid(run)!r}: {error!r}. Install its module or fix the projection's "
            "'calculation.callable' ('module:function')."
        ) from error
    return function(run, *calculation.get("args", ()), **calculation.get("kwargs", {}))


class Projector:
    """Walk a projection and hand each item's value to a callback.

    Parameters
    ----------
    metadata_cb : callable, optional
        ``metadata_cb(projection_field, value)`` for start-level items (location ``start``;
        static items without a location).
    event_configuration_cb : callable, optional
        ``event_configuration_cb(projection_field, stream, config_index, config_device,
        field, value)`` for configuration items.
    event_field_cb : callable, optional
        ``event_field_cb(projection_field, stream, field, value)`` for event items
        (``field`` is None if the item names none); for linked ones ``value`` is the
        stream's lazy ``xarray.DataArray``.

    Attributes
    ----------
    issues : list of str
        What the last :meth:`project` could not resolve (unknown types or locations,
        missing streams, fields, devices or configuration indexes).

    Notes
    -----
    Items whose callback is None are skipped without computing their values. A stream is
    read only for event items, and only its projected fields.
    """

    def __init__(
        self,
        metadata_cb: Callable[[str, Any], Any] | None = None,
        event_configuration_cb: Callable[..., Any] | None = None,
        event_field_cb: Callable[[str, str, str | None, Any], Any] | None = None,
    ) -> None:
        self.metadata_cb = metadata_cb
        self.event_configuration_cb = event_configuration_cb
        self.event_field_cb = event_field_cb
        self.issues: list[str] = []

    def project(
        self,
        run: Any,
        projection: Mapping[str, Any] | None = None,
        projection_name: str | None = None,
    ) -> None:
        """Resolve every item of ``projection`` (default: the run's own) against ``run``.

        Raises
        ------
        ProjectionError
            If no projection is given and the run has no matching one, or a calculated
            item's callable cannot be imported.
        """
        projection = _find_projection(run, projection, projection_name)
        self.issues = []
        streams = _Streams(run)
        for projection_field, item in projection.get("projection", {}).items():
            self._project_item(run, streams, projection_field, item)

    def _issue(self, run: Any, projection_field: str, problem: str) -> None:
        self.issues.append(
            f"Projection field {projection_field!r} of run {_run_uid(run)!r}: {problem}"
        )

    def _project_item(
        self, run: Any, streams: _Streams, projection_field: str, item: Mapping[str, Any]
    ) -> None:
        kind = item.get("type")
        location = item.get("location", "start" if kind == "static" else None)
        if kind not in _TYPES:
            self._issue(run, projection_field, f"unknown type {kind!r}; expected one of {_TYPES}.")
        elif location == "start":
            if self.metadata_cb is not None:
                self._start_item(run, projection_field, item, self.metadata_cb)
        elif location == "event":
            callback = self.event_field_cb
            if callback is not None and self._has_stream(run, streams, projection_field, item):
                self._event_item(run, streams, projection_field, item, callback)
        elif location == "configuration":
            callback = self.event_configuration_cb
            if callback is not None and self._has_stream(run, streams, projection_field, item):
                self._configuration_item(run, streams, projection_field, item, callback)
        else:
            self._issue(
                run,
                projection_field,
                f"unknown location {location!r}; expected 'start', 'event' or 'configuration'.",
            )

    def _has_stream(
        self, run: Any, streams: _Streams, projection_field: str, item: Mapping[str, Any]
    ) -> bool:
        stream = item.get("stream")
        problem = streams.problem(stream)
        if problem is None:
            return True
        self._issue(run, projection_field, f"stream {stream!r} not found ({problem}).")
        return False

    def _start_item(
        self,
        run: Any,
        projection_field: str,
        item: Mapping[str, Any],
        callback: Callable[[str, Any], Any],
    ) -> None:
        kind = item["type"]
        if kind == "static":
            value = item.get("value")
        elif kind == "calculated":
            value = get_calculated_value(run, projection_field, item)
        else:
            start = run.metadata["start"]
            field = item.get("field")
            if field not in start:
                self._issue(run, projection_field, f"field {field!r} not in the start document.")
                return
            value = start[field]
        callback(projection_field, value)

    def _event_item(
        self,
        run: Any,
        streams: _Streams,
        projection_field: str,
        item: Mapping[str, Any],
        callback: Callable[[str, str, str | None, Any], Any],
    ) -> None:
        kind, stream, field = item["type"], item["stream"], item.get("field")
        if kind == "static":
            value = item.get("value")
        elif kind == "calculated":
            value = get_calculated_value(run, projection_field, item)
        else:
            dataset = _read_field(streams.get(stream), field) if field else {}
            if field not in dataset:
                self._issue(run, projection_field, f"field {field!r} not in stream {stream!r}.")
                return
            value = dataset[field]
        callback(projection_field, stream, field, value)

    def _configuration_item(
        self,
        run: Any,
        streams: _Streams,
        projection_field: str,
        item: Mapping[str, Any],
        callback: Callable[..., Any],
    ) -> None:
        stream = item["stream"]
        index, device, field = (
            item.get("config_index"),
            item.get("config_device"),
            item.get("field"),
        )
        if item["type"] != "linked":
            self._issue(run, projection_field, "configuration items must have type 'linked'.")
            return
        configurations = _configurations(streams.get(stream))
        if not isinstance(index, int) or not 0 <= index < len(configurations):
            self._issue(
                run,
                projection_field,
                f"config_index {index!r} out of range; stream {stream!r} has "
                f"{len(configurations)} descriptors.",
            )
            return
        configuration = configurations[index]
        if device not in configuration:
            self._issue(
                run,
                projection_field,
                f"config_device {device!r} not in descriptor {index} of stream {stream!r}; "
                f"its devices are {sorted(configuration)}.",
            )
            return
        data = configuration[device].get("data", {})
        if field not in data:
            self._issue(
                run,
                projection_field,
                f"field {field!r} not in the configuration of {device!r} in descriptor "
                f"{index} of stream {stream!r}.",
            )
            return
        callback(projection_field, stream, index, device, field, data[field])


class _Streams:
    """The streams of a run, each looked up once with ``run[name]``.

    A run here is anything offering ``run[stream_name]`` and ``run.metadata`` (a
    :class:`~databroker.core.BlueskyRun`, a mock, a remote client): it is never iterated
    nor asked ``in``, which such objects need not support or may answer slowly.
    """

    def __init__(self, run: Any) -> None:
        self._run = run
        self._found: dict[str, Any] = {}
        self._missing: dict[str, str] = {}

    def problem(self, name: Any) -> str | None:
        """None if the run has stream ``name``, else why not (the lookup's error)."""
        if name in self._found:
            return None
        if name not in self._missing:
            try:
                self._found[name] = self._run[name]
                return None
            except (KeyError, TypeError) as error:  # our KeyError lists the streams
                text = str(error.args[0]) if error.args else type(error).__name__
                self._missing[name] = text
        return self._missing[name]

    def get(self, name: str) -> Any:
        """The stream ``name`` (after :meth:`problem` said it exists)."""
        return self._found[name]


def _read_field(stream: Any, field: str) -> Any:
    """The stream's lazy Dataset, holding at least ``field`` (if it exists)."""
    from ._intake.stream import BlueskyEventStream

    if isinstance(stream, BlueskyEventStream):
        # Only this field is read, so other fields (perhaps needing missing handlers)
        # cannot make the projection fail. A missing field is reported as an issue, so the
        # reader's warning about it would say it twice.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownFieldWarning)
            return stream.stream(include=[field]).to_dask()
    return stream.to_dask()  # other run-likes offer the whole stream only


def _configurations(stream: Any) -> list[dict[str, Any]]:
    """Return the ``configuration`` of each of the stream's descriptors, as plain dicts."""
    return [
        copy.deepcopy(dict(descriptor.get("configuration", {})))
        for descriptor in stream.metadata["descriptors"]
    ]


def project_xarray(
    run: Any,
    *args: Any,
    projection: Mapping[str, Any] | None = None,
    projection_name: str | None = None,
) -> tuple[Any, list[str]]:
    """Build an ``xarray.Dataset`` laid out as the projection says.

    Parameters
    ----------
    run : BlueskyRun
    *args
        Accepted for compatibility with databroker 1.x callers; not used.
    projection : Mapping, optional
        The projection; default the run's own (see ``projection_name``).
    projection_name : str, optional
        Which of the run's projections to use.

    Returns
    -------
    dataset : xarray.Dataset
        Start-level and configuration items are ``attrs``; event items are data variables
        (lazy, dask-backed for linked ones) whose ``attrs['configuration']`` holds their
        stream's descriptor configurations, one entry per ``config_index``.
    issues : list of str
        What could not be resolved.

    Raises
    ------
    ProjectionError
        See :meth:`Projector.project`.
    """
    import xarray  # heavy; only projections need it

    attrs: dict[str, Any] = {}
    data_vars: dict[str, Any] = {}
    configurations: dict[str, list[dict[str, Any]]] = {}

    def on_metadata(projection_field: str, value: Any) -> None:
        attrs[projection_field] = value

    def on_configuration(
        projection_field: str, stream: str, index: int, device: str, field: str, value: Any
    ) -> None:
        attrs[projection_field] = value

    def on_event_field(projection_field: str, stream: str, field: str | None, value: Any) -> None:
        # Each variable takes its own stream's configurations, so the order of the items
        # and the streams of other items do not matter.
        if stream not in configurations:
            configurations[stream] = _configurations(run[stream])
        if isinstance(value, xarray.DataArray):
            array = value.copy(deep=False)
        else:
            array = xarray.DataArray(value)
        array.attrs = {**array.attrs, "configuration": configurations[stream]}
        data_vars[projection_field] = array

    projector = Projector(on_metadata, on_configuration, on_event_field)
    projector.project(run, projection=projection, projection_name=projection_name)
    return xarray.Dataset(data_vars, attrs=attrs), projector.issues


def project_summary_dict(
    run: Any,
    *args: Any,
    return_fields: Iterable[str] | None = None,
    projection: Mapping[str, Any] | None = None,
    projection_name: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Return the start-level items of a projection as a dict.

    Parameters
    ----------
    run : BlueskyRun
    *args
        Accepted for compatibility with databroker 1.x callers; not used.
    return_fields : iterable of str, optional
        Only these projection fields (others are neither read nor calculated). A requested
        field that the projection lacks is reported in ``issues``.
    projection : Mapping, optional
        The projection; default the run's own (see ``projection_name``).
    projection_name : str, optional
        Which of the run's projections to use.

    Returns
    -------
    summary : dict
        ``{projection_field: value}`` for start-level items.
    issues : list of str
        What could not be resolved.

    Raises
    ------
    ProjectionError
        See :meth:`Projector.project`.
    """
    projection = _find_projection(run, projection, projection_name)
    items = projection.get("projection", {})
    missing: list[str] = []
    if return_fields is not None:
        wanted = list(return_fields)
        missing = [field for field in wanted if field not in items]
        items = {field: item for field, item in items.items() if field in wanted}
    summary: dict[str, Any] = {}
    projector = Projector(metadata_cb=summary.__setitem__)
    projector.project(run, projection={**projection, "projection": items})
    issues = [
        f"Projection field {field!r} of run {_run_uid(run)!r}: requested in return_fields "
        "but not in the projection."
        for field in missing
    ]
    return summary, issues + projector.issues


def get_xarray_config_field(
    dataset: Any, projection_field: str, config_index: int, device: str, field: str
) -> Any:
    """Return a configuration value kept on a variable made by :func:`project_xarray`.

    Parameters
    ----------
    dataset : xarray.Dataset
        The projected dataset.
    projection_field : str
        The data variable.
    config_index : int
        Which of its stream's descriptors.
    device, field : str
        The configuration's object (device) and its key, e.g. ``'det'``, ``'det_exposure'``.

    Returns
    -------
    object
        ``dataset[projection_field].attrs['configuration'][config_index][device]['data'][field]``.
    """
    return dataset[projection_field].attrs["configuration"][config_index][device]["data"][field]
