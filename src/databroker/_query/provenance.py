"""``DerivedFrom(uid)``: the runs whose start document's ``provenance`` names an input run."""

from __future__ import annotations

from .objects import Query

__all__ = ["DerivedFrom"]


class DerivedFrom(Query):
    """Runs derived from the run ``uid``: ``provenance.inputs`` holds an entry with that uid.

    Examples
    --------
    >>> DerivedFrom("3e4c63a7")
    DerivedFrom(uid=3e4c63a7)
    """

    def __init__(self, uid: str) -> None:
        super().__init__({"provenance.inputs.uid": uid}, uid=uid)
