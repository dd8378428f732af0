"""Query objects: named, reusable searches that turn into Mongo-style filters.

Pass them to ``catalog.search(...)`` like a dict, and combine them with ``&`` and ``|``::

    catalog.search(TimeRange(since='2024-01-01', until='2024-02-01'))
    catalog.search(Key('sample') == 'Si')
    catalog.search(ScanID(10, 11) & Regex('plan_name', '^rel_'))
    catalog.search(TextQuery('calibration'))
"""

from __future__ import annotations

from ._query.keys import (
    Comparison,
    Contains,
    Eq,
    FullText,
    In,
    Key,
    KeyPresent,
    NotEq,
    NotIn,
    PartialUID,
    Regex,
    ScanID,
    ScanIDRange,
)
from ._query.objects import And, Or, Query, TextQuery, TimeRange
from ._query.provenance import DerivedFrom

__all__ = [
    "And",
    "Comparison",
    "Contains",
    "DerivedFrom",
    "Eq",
    "FullText",
    "In",
    "Key",
    "KeyPresent",
    "NotEq",
    "NotIn",
    "Or",
    "PartialUID",
    "Query",
    "Regex",
    "ScanID",
    "ScanIDRange",
    "TextQuery",
    "TimeRange",
]
