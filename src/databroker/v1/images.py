"""``Images``: a lazy sequence over one image field, returned by the deprecated ``get_images``.

Works without pims; when pims is installed ``Images`` is a ``pims.FramesSequence`` and frames
are ``pims.Frame`` objects. Imported only by ``Broker.get_images``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

try:  # pims is optional; without it Images is a plain sequence
    from pims import Frame as _Frame
    from pims import FramesSequence as _Base
except ImportError:
    _Frame = None
    _Base = object

if TYPE_CHECKING:
    from .header import Header

__all__ = ["Images"]


@dataclass
class _RunFrames:
    """What one run needs to load its frames one at a time."""

    run: Any
    priming: list[tuple[str, Any]]  # documents a Filler must see before filling an event
    filler: Any = None

    def fill(self, event: dict[str, Any]) -> Any:
        if self.filler is None:
            self.filler = self.run.reader.filler("force_numpy")
            for name, doc in self.priming:
                self.filler(name, doc)
        _, filled = self.filler("event", event)
        return filled["data"]


def _collect(
    header: Header, field: str, stream_name: str
) -> tuple[_RunFrames, list[tuple[Mapping[str, Any], dict[str, Any]]]]:
    """One unfilled pass over a run: the Filler's priming documents and the field's events."""
    run = header._run
    priming: list[tuple[str, Any]] = []
    descriptors: dict[str, Mapping[str, Any]] = {}
    frames = []
    for name, doc in run.documents(fill="no", strict_order=True):
        if name in ("start", "resource", "datum_page"):
            priming.append((name, doc))
        elif name == "descriptor":
            priming.append((name, doc))
            if (doc.get("name") or "primary") == stream_name and field in doc["data_keys"]:
                descriptors[doc["uid"]] = doc
        elif name == "event_page" and doc["descriptor"] in descriptors:
            descriptor = descriptors[doc["descriptor"]]
            filled = doc.get("filled") or {}
            for i, uid in enumerate(doc["uid"]):
                if field not in doc["data"]:
                    break
                event = {
                    "descriptor": doc["descriptor"],
                    "uid": uid,
                    "seq_num": doc["seq_num"][i],
                    "time": doc["time"][i],
                    "data": {field: doc["data"][field][i]},
                    "timestamps": {field: doc["timestamps"][field][i]},
                    "filled": {field: filled[field][i]} if field in filled else {},
                }
                frames.append((descriptor, event))
    return _RunFrames(run, priming), frames


class Images(_Base):
    """The values of field ``name`` of one stream across ``headers``, loaded one at a time.

    Parameters
    ----------
    headers
        The runs, in order.
    name
        The image field.
    stream_name
        The stream holding it.
    """

    def __init__(self, headers: list[Header], name: str, stream_name: str = "primary") -> None:
        self._name = name
        self._frames: list[tuple[_RunFrames, Mapping[str, Any], dict[str, Any]]] = []
        for header in headers:
            run_frames, frames = _collect(header, name, stream_name)
            self._frames.extend((run_frames, d, event) for d, event in frames)
        self._first: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def get_frame(self, i: int) -> Any:
        """Load frame ``i`` (negative counts from the end) and nothing else."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"Frame {i} is out of range for {len(self)} frames.")
        i = i % len(self)
        run_frames, descriptor, event = self._frames[i]
        data_key = descriptor["data_keys"][self._name]
        if data_key.get("external") and not event["filled"].get(self._name, False):
            value = run_frames.fill(event)[self._name]
        else:
            value = event["data"][self._name]
        array = np.asarray(value)
        return _Frame(array, frame_no=i) if _Frame is not None else array

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.get_frame(j) for j in range(*i.indices(len(self)))]
        return self.get_frame(i)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self.get_frame(i)

    def _first_frame(self) -> np.ndarray:
        if self._first is None:
            self._first = np.asarray(self.get_frame(0))
        return self._first

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """The shape of one frame (read from the first frame)."""
        return tuple(self._first_frame().shape)

    @property
    def pixel_type(self) -> np.dtype:
        """The numpy dtype of the pixels (read from the first frame)."""
        return self._first_frame().dtype

    def __repr__(self) -> str:
        return f"<Images {self._name!r}: {len(self)} frames>"
