"""Query objects: named, reusable searches that turn into Mongo-style filters.

Pass them to ``catalog.search(...)`` like a dict::

    catalog.search(TimeRange(since='2024-01-01', until='2024-02-01'))
    catalog.search(TextQuery('calibration'))
"""

from __future__ import annotations

from ._query.objects import Query, TextQuery, TimeRange

__all__ = ["Query", "TextQuery", "TimeRange"]
