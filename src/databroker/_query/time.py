"""Turning human-friendly times into epoch seconds.

Public through :mod:`databroker.utils`: :func:`normalize_human_friendly_time` and
:func:`format_time`. :func:`local_zone_name` gives the default zone of query objects.
"""

from __future__ import annotations

import datetime
import numbers
import os
import warnings
from collections.abc import MutableMapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import AmbiguousTimeError, InvalidTimeError, NonExistentTimeError

__all__ = ["format_time", "get_zone", "local_zone_name", "normalize_human_friendly_time"]

# Tried in order, before ISO 8601. strptime accepts numbers without zero padding,
# so '2014-2-10 10:1' parses as 2014-02-10 10:01.
_LEGACY_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H",
    "%Y-%m-%d",
    "%Y-%m",
    "%Y",
)

# Deprecated search keyword → its replacement.
_DEPRECATED_TIME_KEYS = {"start_time": "since", "stop_time": "until"}

_UTC = datetime.UTC


def local_zone_name() -> str:
    """Return the IANA name of the local time zone, or ``'UTC'`` if it cannot be found.

    Returns
    -------
    str
        For example ``'US/Eastern'`` or ``'Europe/Berlin'``.
    """
    try:
        import tzlocal  # declared dependency; imported here to keep `import databroker` light

        return str(tzlocal.get_localzone_name())
    except Exception:  # tzlocal missing or unable to decide: fall back to what the OS says
        pass
    name = os.environ.get("TZ", "").lstrip(":")
    if name and _is_zone(name):
        return name
    # On Linux and macOS /etc/localtime is usually a link into the zoneinfo database.
    target = os.path.realpath("/etc/localtime")
    marker = f"zoneinfo{os.sep}"
    if marker in target:
        name = target.split(marker, 1)[1]
        if _is_zone(name):
            return name
    return "UTC"


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def get_zone(tz: str | datetime.tzinfo | None) -> datetime.tzinfo:
    """Return the tzinfo for an IANA zone name; tzinfo objects pass through.

    Parameters
    ----------
    tz : str, tzinfo or None
        An IANA name such as ``'US/Eastern'``; None means the local zone.

    Raises
    ------
    InvalidTimeError
        If the name is not a known time zone.
    """
    if isinstance(tz, datetime.tzinfo):
        return tz
    name = local_zone_name() if tz is None else tz
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise InvalidTimeError(
            f"Unknown time zone {name!r}: give an IANA zone name such as 'US/Eastern' or 'UTC'."
        ) from err


def normalize_human_friendly_time(val: Any, tz: str | datetime.tzinfo | None) -> float:
    """Convert a human-friendly time to seconds since the epoch.

    Parameters
    ----------
    val : str, datetime.datetime, datetime.date, int or float
        Strings: ``'%Y-%m-%d %H:%M:%S'``, ``'%Y-%m-%d %H:%M'``, ``'%Y-%m-%d %H'``,
        ``'%Y-%m-%d'``, ``'%Y-%m'``, ``'%Y'`` (zero padding optional) or ISO 8601
        (``T``, fractional seconds, ``Z`` or ``±HH:MM``; an explicit offset overrides ``tz``).
        Numbers are already epoch seconds and are returned unchanged. A date means midnight.
    tz : str
        IANA zone name in which naive values are read as wall-clock time.

    Returns
    -------
    float
        Seconds since 1970-01-01 UTC.

    Raises
    ------
    NonExistentTimeError
        If a naive wall time falls in a daylight-saving gap of ``tz``.
    AmbiguousTimeError
        If a naive wall time occurs twice in ``tz`` (clocks set back).
    InvalidTimeError
        If ``val`` cannot be understood.

    Examples
    --------
    >>> normalize_human_friendly_time('2014-02-10 10:1', 'US/Eastern')
    1392044460.0
    """
    if isinstance(val, numbers.Real) and not isinstance(val, bool):
        return val  # type: ignore[return-value]
    if isinstance(val, datetime.datetime):
        return _datetime_to_epoch(val, tz, shown=val)
    if isinstance(val, datetime.date):
        return _datetime_to_epoch(datetime.datetime(val.year, val.month, val.day), tz, shown=val)
    if isinstance(val, str):
        return _datetime_to_epoch(_parse_string(val), tz, shown=val)
    raise InvalidTimeError(
        f"Cannot interpret {val!r} (of type {type(val).__name__}) as a time: give epoch seconds, "
        "a datetime, a date or a string such as '2024-01-31 14:05' or '2024-01-31T14:05:00Z'."
    )


def _parse_string(val: str) -> datetime.datetime:
    text = val.strip()
    for fmt in _LEGACY_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidTimeError(
        f"Cannot parse the time {val!r}: use one of 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD HH:MM', "
        "'YYYY-MM-DD HH', 'YYYY-MM-DD', 'YYYY-MM', 'YYYY' or ISO 8601 "
        "such as '2024-01-31T14:05:00.5+01:00'."
    )


def _datetime_to_epoch(dt: datetime.datetime, tz: Any, shown: Any) -> float:
    # pandas.Timestamp subclasses datetime and carries nanoseconds beyond the microseconds.
    extra = getattr(dt, "nanosecond", 0) * 1e-9
    try:
        offset = dt.utcoffset()
        # Rebuild as a plain datetime so that pandas' own replace/fold/rounding rules do not apply.
        wall = datetime.datetime(
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond
        )
    except (ValueError, TypeError, OverflowError) as err:  # e.g. pandas.NaT
        raise InvalidTimeError(f"Cannot interpret {shown!r} as a time: {err}") from err
    if offset is not None:
        return (wall - offset).replace(tzinfo=_UTC).timestamp() + extra
    return _localize(wall, get_zone(tz), shown).timestamp() + extra


def _localize(wall: datetime.datetime, zone: datetime.tzinfo, shown: Any) -> datetime.datetime:
    """Attach ``zone`` to a naive wall time, refusing times that DST skips or repeats."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # The two folds differ both in a gap and in an overlap; a time in the gap does not survive
    # a round trip through UTC.
    round_trip = first.astimezone(_UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        raise NonExistentTimeError(
            f"The time {shown!r} does not exist in {zone}: the clocks skip it at the "
            "daylight-saving change. Give a time outside the gap, or an explicit UTC offset "
            "such as '2024-03-10T02:30:00-05:00'."
        )
    raise AmbiguousTimeError(
        f"The time {shown!r} occurs twice in {zone}: the clocks repeat it at the "
        "daylight-saving change. Give an explicit UTC offset such as "
        "'2024-11-03T01:30:00-04:00' or epoch seconds."
    )


def format_time(search_dict: MutableMapping[str, Any], tz: str | datetime.tzinfo | None) -> None:
    """Turn ``since``/``until`` search keywords into a ``time`` condition, in place.

    Parameters
    ----------
    search_dict : dict
        Search keywords. ``since`` and ``until`` (or the deprecated ``start_time`` and
        ``stop_time``) are removed and replaced by ``search_dict['time'] = {'$gte': since,
        '$lte': until}`` holding only the bounds given. A value of None is no bound.
    tz : str
        IANA zone for naive times, see :func:`normalize_human_friendly_time`.

    Raises
    ------
    TypeError
        If a deprecated name and its replacement are both given.
    """
    for old, new in _DEPRECATED_TIME_KEYS.items():
        if old not in search_dict:
            continue
        if new in search_dict:
            raise TypeError(
                f"Both {old!r} and {new!r} were given; they mean the same. Use only {new!r}."
            )
        warnings.warn(
            f"The search keyword {old!r} is deprecated; use {new!r} instead.",
            UserWarning,
            stacklevel=2,
        )
        search_dict[new] = search_dict.pop(old)
    bounds = {}
    for key, operator in (("since", "$gte"), ("until", "$lte")):
        value = search_dict.pop(key, None)
        if value is not None:
            bounds[operator] = normalize_human_friendly_time(value, tz)
    if bounds:
        search_dict["time"] = bounds
