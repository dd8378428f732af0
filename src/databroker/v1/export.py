"""``export`` and ``export_size``: copying runs (and their files) into another Broker."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._transfer.export import copy_run, external_size

if TYPE_CHECKING:
    from .broker import Broker
    from .header import Header

__all__ = ["export", "export_size"]


def export(
    source_db: Broker,
    headers: list[Header],
    db: Broker,
    new_root: str | None = None,
    copy_kwargs: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Send each header's documents to ``db.insert``, copying files when ``new_root`` is given.

    Files are copied by ``source_db.reg.copy_files(resource, new_root, **copy_kwargs)``.

    Returns
    -------
    list of (str, str)
        ``(old_path, new_path)`` of every copied file.
    """
    kwargs = dict(copy_kwargs or {})

    def copy_files(
        resource: Mapping[str, Any], new_root: str, *, run_start_uid: str | None = None
    ) -> list[tuple[str, str]]:
        # copy_kwargs win over the run uid, as in 1.x.
        run = {} if run_start_uid is None else {"run_start_uid": run_start_uid}
        return source_db.reg.copy_files(resource, new_root, **{**run, **kwargs})

    def insert(name: str, doc: dict[str, Any]) -> None:
        with warnings.catch_warnings():
            # export *is* the supported way to copy runs; insert's deprecation is not news.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            db.insert(name, doc)

    pairs: list[tuple[str, str]] = []
    for header in headers:
        pairs.extend(copy_run(header._run, insert, new_root=new_root, copy_files=copy_files))
    return pairs


def export_size(headers: list[Header]) -> float:
    """Total size in GB (bytes * 1e-9) of every external file of ``headers``."""
    return external_size(header._run for header in headers) * 1e-9
