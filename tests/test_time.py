"""normalize_human_friendly_time, format_time and the local zone name."""

import datetime
import sys
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from databroker._query.time import local_zone_name
from databroker.errors import AmbiguousTimeError, InvalidTimeError, NonExistentTimeError
from databroker.utils import format_time, normalize_human_friendly_time

# 2014-02-10 15:01:00 UTC, i.e. 10:01 in New York (EST, UTC-5).
T_1001_EST = 1392044460.0
MIDNIGHT_EST = T_1001_EST - (10 * 3600 + 60)  # 2014-02-10 00:00 EST


def test_spec_example():
    """[compat] ('2014-02-10 10:1', 'US/Eastern') gives 1392044460.0."""
    assert normalize_human_friendly_time("2014-02-10 10:1", "US/Eastern") == T_1001_EST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-02-10 10:01:30", T_1001_EST + 30),
        ("2014-2-10 10:1:30", T_1001_EST + 30),
        ("2014-02-10 10:01", T_1001_EST),
        ("2014-02-10 10", T_1001_EST - 60),
        ("2014-02-10", MIDNIGHT_EST),
        ("2014-2-10", MIDNIGHT_EST),
        ("2014-02", MIDNIGHT_EST - 9 * 86400),
        ("2014", MIDNIGHT_EST - 40 * 86400),
        ("  2014-02-10 10:01\n", T_1001_EST),
    ],
)
def test_legacy_formats(text, expected):
    """[compat] The six legacy formats, zero padding optional, whitespace stripped."""
    assert normalize_human_friendly_time(text, "US/Eastern") == expected


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2014-02-10T10:01", "US/Eastern", T_1001_EST),
        ("2014-02-10T10:01:00.25", "US/Eastern", T_1001_EST + 0.25),
        ("2014-02-10T15:01:00Z", "US/Eastern", T_1001_EST),
        ("2014-02-10T15:01:00.5Z", "Asia/Tokyo", T_1001_EST + 0.5),
        ("2014-02-10T10:01:00-05:00", "Asia/Tokyo", T_1001_EST),
        ("2014-02-10T16:01:00+01:00", "UTC", T_1001_EST),
    ],
)
def test_iso_8601(text, tz, expected):
    """[new] ISO 8601 with T, fractional seconds and Z/±HH:MM; an offset overrides tz."""
    assert normalize_human_friendly_time(text, tz) == pytest.approx(expected, abs=1e-6)


def test_naive_time_is_wall_time_in_zone():
    """[compat] A naive time is read as wall-clock time in the given zone."""
    eastern = normalize_human_friendly_time("2014-07-01 12:00", "US/Eastern")
    utc = normalize_human_friendly_time("2014-07-01 12:00", "UTC")
    assert utc - eastern == -4 * 3600  # EDT in July


def test_skipped_time_raises():
    """[compat] A wall time skipped by DST raises NonExistentTimeError (an InvalidTimeError)."""
    with pytest.raises(NonExistentTimeError, match="2021-03-14 02:30") as info:
        normalize_human_friendly_time("2021-03-14 02:30", "US/Eastern")
    assert isinstance(info.value, InvalidTimeError)
    assert isinstance(info.value, ValueError)


def test_repeated_time_raises():
    """[compat] A wall time repeated by DST raises AmbiguousTimeError."""
    with pytest.raises(AmbiguousTimeError, match="2021-11-07 01:30"):
        normalize_human_friendly_time("2021-11-07 01:30", "US/Eastern")
    with pytest.raises(AmbiguousTimeError):
        normalize_human_friendly_time(datetime.datetime(2021, 11, 7, 1, 30), "US/Eastern")


def test_times_next_to_dst_changes_are_fine():
    """[compat] Times just outside a DST gap or overlap convert normally."""
    before = normalize_human_friendly_time("2021-03-14 01:59", "US/Eastern")
    after = normalize_human_friendly_time("2021-03-14 03:00", "US/Eastern")
    assert after - before == 60
    assert (
        normalize_human_friendly_time("2021-11-07 02:00", "US/Eastern")
        - (normalize_human_friendly_time("2021-11-07 00:59", "US/Eastern"))
        == 2 * 3600 + 60
    )


def test_pytz_exceptions_when_installed():
    """[compat] With pytz installed, the DST errors are also pytz's exceptions."""
    pytz = pytest.importorskip("pytz")
    with pytest.raises(pytz.exceptions.NonExistentTimeError):
        normalize_human_friendly_time("2021-03-14 02:30", "US/Eastern")


def test_datetimes():
    """[compat] Aware datetimes are converted; naive ones are wall time in tz."""
    aware = datetime.datetime(2014, 2, 10, 15, 1, tzinfo=datetime.UTC)
    assert normalize_human_friendly_time(aware, "Asia/Tokyo") == T_1001_EST
    naive = datetime.datetime(2014, 2, 10, 10, 1)
    assert normalize_human_friendly_time(naive, "US/Eastern") == T_1001_EST


def test_pandas_timestamps():
    """[compat] pandas Timestamps (datetime subclasses), naive or aware, are converted."""
    assert normalize_human_friendly_time(pd.Timestamp("2014-02-10 10:01"), "US/Eastern") == (
        T_1001_EST
    )
    aware = pd.Timestamp("2014-02-10 10:01", tz="US/Eastern")
    assert normalize_human_friendly_time(aware, "UTC") == T_1001_EST
    with pytest.raises(InvalidTimeError):
        normalize_human_friendly_time(pd.NaT, "UTC")


def test_date_means_midnight():
    """[fix] A datetime.date means midnight in tz (1.x returned the date unchanged)."""
    result = normalize_human_friendly_time(datetime.date(2014, 2, 10), "US/Eastern")
    assert result == MIDNIGHT_EST


@pytest.mark.parametrize("value", [0, 1392044460, 1392044460.5, -3.0])
def test_numbers_unchanged(value):
    """[compat] Ints and floats are epoch seconds already and are returned unchanged."""
    assert normalize_human_friendly_time(value, "US/Eastern") is value


@pytest.mark.parametrize("value", ["yesterday", "2014-13-01", "", None, [2014], b"2014", True])
def test_invalid_values(value):
    """[compat] Anything else raises InvalidTimeError (a ValueError) naming the value."""
    with pytest.raises(InvalidTimeError) as info:
        normalize_human_friendly_time(value, "US/Eastern")
    assert repr(value) in str(info.value)


def test_unknown_zone():
    """[compat] An unknown zone name raises InvalidTimeError naming it."""
    with pytest.raises(InvalidTimeError, match="Mars/Olympus"):
        normalize_human_friendly_time("2014-02-10", "Mars/Olympus")


def test_local_zone_name_is_iana():
    """[compat] The local zone is given by an IANA name that zoneinfo knows."""
    ZoneInfo(local_zone_name())


def test_local_zone_name_without_tzlocal(monkeypatch):
    """[compat] Without tzlocal, the TZ environment variable names the local zone."""
    monkeypatch.setitem(sys.modules, "tzlocal", None)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_zone_name() == "Asia/Tokyo"


def test_format_time_since_until():
    """[compat] since/until become {'time': {'$gte', '$lte'}}, edited in place."""
    query = {"plan_name": "count", "since": "2014-02-10", "until": "2014-02-10 10:01"}
    assert format_time(query, "US/Eastern") is None
    assert query == {"plan_name": "count", "time": {"$gte": MIDNIGHT_EST, "$lte": T_1001_EST}}


def test_format_time_one_bound():
    """[compat] Only the bounds given appear; without bounds no 'time' key is added."""
    query = {"until": "2014-02-10 10:01"}
    format_time(query, "US/Eastern")
    assert query == {"time": {"$lte": T_1001_EST}}
    query = {"plan_name": "count"}
    format_time(query, "US/Eastern")
    assert query == {"plan_name": "count"}


def test_format_time_deprecated_names():
    """[compat] start_time/stop_time still work, with a warning."""
    query = {"start_time": "2014-02-10", "stop_time": 5.0}
    with pytest.warns(UserWarning) as record:
        format_time(query, "US/Eastern")
    messages = " ".join(str(w.message) for w in record)
    assert "'start_time'" in messages
    assert "'stop_time'" in messages
    assert query == {"time": {"$gte": MIDNIGHT_EST, "$lte": 5.0}}


@pytest.mark.parametrize(("old", "new"), [("start_time", "since"), ("stop_time", "until")])
def test_format_time_mixing_names(old, new):
    """[compat] Giving a deprecated name together with its replacement raises TypeError."""
    with pytest.raises(TypeError, match=old):
        format_time({old: 1.0, new: 2.0}, "US/Eastern")
