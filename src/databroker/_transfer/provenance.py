"""The provenance convention of derived runs, and helpers to build and follow it.

A run made from other runs records, in its start document::

    start["provenance"] = {
        "version": 1,
        "inputs": [                      # what was read, one entry per input run
            {"uid": "<run uid>", "stream": "primary", "fields": ["img"], "slice": [0, 10, 1]},
        ],
        "code": {"name": "my_analysis", "version": "1.2"},
        "parameters": {"threshold": 3},  # anything JSON can hold
        "host": "<hostname>",
        "time": 1712345678.9,            # epoch seconds when the provenance was made
    }

``stream``, ``fields`` and ``slice`` (``[start, stop, step]``, None for "all") are optional.
``catalog.search(DerivedFrom(uid))`` finds the runs made from ``uid``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InvalidArgument

__all__ = ["PROVENANCE_VERSION", "input_ref", "make_provenance", "provenance_of"]

PROVENANCE_VERSION = 1


def _uid_of(run: Any) -> str:
    if isinstance(run, str):
        return run
    uid = getattr(run, "uid", None)
    if isinstance(uid, str):
        return uid
    if isinstance(run, Mapping) and isinstance(run.get("uid"), str):
        return run["uid"]
    raise InvalidArgument(f"An input is a run, a start document or a uid, not {run!r}.")


def input_ref(
    run: Any,
    stream: str | None = None,
    fields: Sequence[str] | None = None,
    slice: Sequence[int | None] | builtins_slice | None = None,
) -> dict[str, Any]:
    """Return one ``provenance.inputs`` entry: a run (or uid) and what of it was read."""
    ref: dict[str, Any] = {"uid": _uid_of(run)}
    if stream is not None:
        ref["stream"] = stream
    if fields is not None:
        ref["fields"] = [fields] if isinstance(fields, str) else list(fields)
    if slice is not None:
        ref["slice"] = (
            [slice.start, slice.stop, slice.step]
            if isinstance(slice, builtins_slice)
            else list(slice)
        )
    return ref


builtins_slice = slice


def make_provenance(
    inputs: Iterable[Any],
    *,
    code: str | None = None,
    version: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    host: str | None = None,
    time_: float | None = None,
) -> dict[str, Any]:
    """Return a ``provenance`` dict for a derived run's start document.

    Parameters
    ----------
    inputs
        Runs, uids, or entries from :func:`input_ref`.
    code, version
        The name and version of the code that made the run.
    parameters
        Its parameters.
    host, time_
        Where and when (default: this machine, now).
    """
    refs = [
        dict(item)
        if isinstance(item, Mapping)
        and "uid" in item
        and not hasattr(item, "reader")
        and "time" not in item
        else input_ref(item)
        for item in inputs
    ]
    return {
        "version": PROVENANCE_VERSION,
        "inputs": refs,
        "code": {"name": code, "version": version},
        "parameters": dict(parameters or {}),
        "host": host if host is not None else socket.gethostname(),
        "time": time.time() if time_ is None else time_,
    }


def provenance_of(start: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``provenance`` of a start document, or None for a run not derived from others."""
    value = start.get("provenance")
    return dict(value) if isinstance(value, Mapping) else None


def input_uids(start: Mapping[str, Any]) -> list[str]:
    """The uids of a derived run's inputs, in order (empty when it has no provenance)."""
    provenance = provenance_of(start) or {}
    return [ref["uid"] for ref in provenance.get("inputs", []) if isinstance(ref, Mapping)]
