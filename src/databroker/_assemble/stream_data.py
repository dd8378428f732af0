"""What assembly needs to know about one stream."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._fill import ExternalLoader
from .._stores.base import RunStore

__all__ = ["StreamData"]


@dataclass(frozen=True)
class StreamData:
    """One stream of a run, as handed to the assembly functions.

    Attributes
    ----------
    name
        The stream name.
    run
        Storage of the run.
    descriptors
        This stream's descriptors ordered by ``time``, transforms already applied.
    loader
        Loads external fields. None means no filling is possible: external fields then hold
        their datum ids (StreamResource fields: the covering StreamDatum uid) as objects.
    """

    name: str
    run: RunStore
    descriptors: Sequence[Mapping[str, Any]]
    loader: ExternalLoader | None
