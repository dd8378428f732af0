"""``Header``: the v1 view of one run."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..utils import ALL

if TYPE_CHECKING:
    from .broker import Broker

__all__ = ["Header"]

_KEYS = ("start", "descriptors", "stop", "ext")


class Header:
    """One run, as v1 analysis code sees it.

    Parameters
    ----------
    datasource : databroker.core.BlueskyRun
        The run.
    db : databroker.v1.Broker, optional
        The Broker the run came from (its ``prepare_hook`` and ``external_fetchers`` apply);
        default: the v1 view of the run's catalog.
    """

    def __init__(self, datasource: Any, db: Broker | None = None) -> None:
        if db is None:
            db = datasource.catalog_object.v1
        self._run = datasource
        self.db = db
        self._start: Any = None
        self._stop: Any = None
        self._ext: SimpleNamespace | None = None

    # -- documents ------------------------------------------------------------------------

    @property
    def start(self) -> Any:
        """The start document, through ``db.prepare_hook``."""
        if self._start is None:
            self._start = self.db.prepare_hook("start", self._run.metadata["start"].to_dict())
        return self._start

    @property
    def stop(self) -> Any:
        """The stop document through ``db.prepare_hook``; ``{}`` while the run has none."""
        if self._stop is None:
            stop = self._run.metadata["stop"]
            if stop is None:
                return self.db.prepare_hook("stop", {})
            self._stop = self.db.prepare_hook("stop", stop.to_dict())
        return self._stop

    @property
    def uid(self) -> str:
        """The run's start uid."""
        return str(self._run.metadata["start"]["uid"])

    @property
    def ext(self) -> SimpleNamespace:
        """Results of the Broker's ``external_fetchers``, as attributes."""
        if self._ext is None:
            self._ext = SimpleNamespace(**self.db.fetch_external(self.start, self.stop))
        return self._ext

    def _raw_descriptors(self) -> list[Any]:
        return [d for name in self._run for d in self._run[name].metadata["descriptors"]]

    @property
    def descriptors(self) -> list[Any]:
        """Every descriptor of every stream, newest first, through ``db.prepare_hook``."""
        descriptors = sorted(self._raw_descriptors(), key=lambda d: d.get("time", 0.0))
        return [self.db.prepare_hook("descriptor", d.to_dict()) for d in reversed(descriptors)]

    @property
    def stream_names(self) -> list[str]:
        """The run's stream names, in the deterministic stream order."""
        return list(self._run)

    # -- dict-like access -----------------------------------------------------------------

    def keys(self) -> list[str]:
        """``['start', 'descriptors', 'stop', 'ext']``."""
        return list(_KEYS)

    def values(self) -> list[Any]:
        """The values of :meth:`keys`."""
        return [self[key] for key in _KEYS]

    def items(self) -> list[tuple[str, Any]]:
        """``(key, value)`` pairs of :meth:`keys`."""
        return [(key, self[key]) for key in _KEYS]

    def __getitem__(self, key: str) -> Any:
        if key not in _KEYS:
            raise KeyError(f"A Header has the keys {list(_KEYS)}, not {key!r}.")
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """``self[key]``, or ``default`` for an unknown key."""
        return self[key] if key in _KEYS else default

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Header):
            return False
        return dict(self._run.metadata["start"]) == dict(other._run.metadata["start"])

    def __hash__(self) -> int:
        return hash(self.uid)

    def __repr__(self) -> str:
        return f"<Header uid={self.uid!r}>"

    def _display_summary(self, *, documents: bool = False) -> Any:
        from .._intake import display

        shown = {"start": self.start, "stop": self.stop} if documents else None
        return display.summarize_run(self._run.reader, title="Header", documents=shown)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython: uid, scan_id, plan, local times, exit status, streams (bounded)."""
        from .._intake import display

        printer.text(repr(self) if cycle else display.safe_text(self._display_summary))

    def _repr_html_(self) -> str:
        """An HTML table summarising the run, then its start and stop documents."""
        from .._intake import display

        return display.safe_html(lambda: self._display_summary(documents=True))

    # -- data -----------------------------------------------------------------------------

    def table(
        self,
        stream_name: str = "primary",
        fields: Any = None,
        fill: bool = False,
        timezone: str | None = None,
        convert_times: bool = True,
        localize_times: bool = True,
    ) -> Any:
        """``db.get_table(self, ...)``: one stream as a ``pandas.DataFrame``."""
        return self.db.get_table(
            self,
            stream_name=stream_name,
            fields=fields,
            fill=fill,
            timezone=timezone,
            convert_times=convert_times,
            localize_times=localize_times,
        )

    def documents(self, stream_name: Any = ALL, fields: Any = None, fill: bool = False) -> Any:
        """``db.get_documents(self, ...)``: ``(name, doc)`` pairs."""
        return self.db.get_documents(self, stream_name=stream_name, fields=fields, fill=fill)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        """Deprecated alias of :meth:`documents`."""
        warnings.warn(
            "Header.stream() is deprecated; use Header.documents().", UserWarning, stacklevel=2
        )
        return self.documents(*args, **kwargs)

    def events(self, stream_name: Any = "primary", fields: Any = None, fill: bool = False) -> Any:
        """``db.get_events(self, ...)``: the events of one stream."""
        return self.db.get_events(self, stream_name=stream_name, fields=fields, fill=fill)

    def data(self, field: str, stream_name: Any = "primary", fill: bool = True) -> Iterator[Any]:
        """Yield ``event['data'][field]`` for each event of the stream that has ``field``."""
        for event in self.events(stream_name=stream_name, fields=[field], fill=fill):
            if field in event["data"]:
                yield event["data"][field]

    def fields(self, stream_name: Any = ALL) -> set[str]:
        """The data keys of the run, or of one stream."""
        return {
            key
            for d in self._raw_descriptors()
            if stream_name is ALL or (d.get("name") or "primary") == stream_name
            for key in d["data_keys"]
        }

    def devices(self, stream_name: Any = ALL) -> set[str]:
        """The object (device) names of the run, or of one stream."""
        return {
            name
            for d in self._raw_descriptors()
            if stream_name is ALL or (d.get("name") or "primary") == stream_name
            for name in d.get("object_keys", {})
        }

    def config_data(self, device_name: str) -> dict[str, list[Any]]:
        """``{stream: [configuration data of the device in each descriptor, by time]}``.

        Streams whose descriptors do not configure the device are left out.
        """
        result: dict[str, list[Any]] = {}
        for stream in self._run:
            descriptors = self._run[stream].metadata["descriptors"]
            values = [
                copy.deepcopy(dict(d["configuration"][device_name]["data"]))
                for d in descriptors
                if device_name in (d.get("configuration") or {})
            ]
            if values:
                result[stream] = values
        return result

    def xarray(self, stream_name: str = "primary") -> Any:
        """``run[stream_name].read()``: the stream as a numpy-backed ``xarray.Dataset``."""
        return self._run[stream_name].read()

    def xarray_dask(self, stream_name: str = "primary") -> Any:
        """``run[stream_name].to_dask()``: the stream as a dask-backed ``xarray.Dataset``."""
        return self._run[stream_name].to_dask()
