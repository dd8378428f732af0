"""v1 get_table: layout, fields, filling, dtypes, one pass, and time conversion."""

from __future__ import annotations

from typing import Any

import event_model
import numpy as np
import pandas
import pytest

from databroker.errors import DatabrokerWarning, InvalidQuery

from .runs import composed_run, insert_all

EXAMPLE_TIME = 1392044460.0  # 2014-02-10 10:01:00 US/Eastern, 15:01:00 UTC


def two_descriptor_run(y_in_both: bool) -> list[tuple[str, dict[str, Any]]]:
    """A run whose 'primary' stream has two descriptors with integer fields x (both) and y."""
    bundle = event_model.compose_run(time=100.0)
    docs: list[tuple[str, dict[str, Any]]] = [("start", bundle.start_doc)]
    key = {"source": "sim", "dtype": "integer", "shape": []}
    for i, keys in enumerate([["x", "y"], ["x", "y"] if y_in_both else ["x"]]):
        descriptor = bundle.compose_descriptor(
            name="primary",
            data_keys={k: key for k in keys},
            time=101.0 + i,
            validate=False,  # event-model refuses differing keys in one stream; stores allow it
        )
        docs.append(("descriptor", descriptor.descriptor_doc))
        for j in range(2):
            t = 110.0 + 10 * i + j
            event = descriptor.compose_event(
                data={k: 10 * i + j for k in keys}, timestamps={k: t for k in keys}, time=t
            )
            docs.append(("event", event))
    docs.append(("stop", bundle.compose_stop(time=200.0)))
    return docs


def test_layout(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Index seq_num named 'seq_num'; columns time, then data keys in descriptor order."""
    header = db[recorded["scan"]]
    table = header.table()
    assert table.index.name == "seq_num"
    assert list(table.index) == [1, 2, 3]
    descriptor = next(d for d in header.descriptors if d["name"] == "primary")
    assert list(table.columns) == ["time", *descriptor["data_keys"]]
    assert list(table["motor"]) == [1.0, 2.0, 3.0]
    baseline = header.table("baseline")
    assert list(baseline.columns) == ["time", "det1"]
    assert len(baseline) == 2


def test_fields_and_merged_columns(db: Any) -> None:
    """[compat] fields selects data columns; config/start/stop matches follow as constants."""
    docs = composed_run(event_times=(EXAMPLE_TIME, EXAMPLE_TIME + 1), operator="alice")
    insert_all(db, docs)
    table = db[-1].table(fields=["x", "dev_gain", "operator", "exit_status"])
    assert list(table.columns) == ["time", "x", "dev_gain", "operator", "exit_status"]
    assert list(table["dev_gain"]) == [7, 7]
    assert list(table["operator"]) == ["alice", "alice"]
    assert list(table["exit_status"]) == ["success", "success"]


def test_fields_object_name(db: Any, recorded: dict[str, str]) -> None:
    """[fix] A name that is a data key gives that column only, though an object has the name
    (1.x clients rely on it); a name matching no key but an object gives the object's keys."""
    table = db[recorded["scan"]].table(fields=["motor"])
    assert set(table.columns) == {"time", "motor"}
    table = db[recorded["scan"]].table(fields=["motor", "motor_setpoint"])
    assert set(table.columns) == {"time", "motor", "motor_setpoint"}


def test_fill(db: Any, recorded: dict[str, str]) -> None:
    """[compat] fill=False: external columns hold datum ids; fill=True: numpy arrays."""
    header = db[recorded["external"]]
    unfilled = header.table()
    assert all(isinstance(value, str) for value in unfilled["img"])
    filled = header.table(fill=True)
    assert [float(frame[0, 0]) for frame in filled["img"]] == [0.0, 1.0, 2.0]
    assert all(frame.shape == (10, 10) for frame in filled["img"])


def test_internal_array_column(db: Any, recorded: dict[str, str]) -> None:
    """[compat] An internal array field gives one array per row."""
    table = db[recorded["internal"]].table()
    assert len(table) == 2
    assert all(np.asarray(value).shape == (10, 10) for value in table["img"])


def test_several_headers_concatenated(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Tables of several headers are concatenated in header order (index repeats)."""
    headers = [db[recorded["internal"]], db[recorded["external"]]]
    table = db.get_table(headers)
    assert list(table.index) == [1, 2, 1, 2, 3]


def test_integer_columns_stay_integer(db: Any) -> None:
    """[fix] Integer columns stay integer across descriptors that all have them."""
    insert_all(db, two_descriptor_run(y_in_both=True))
    table = db[-1].table(convert_times=False, localize_times=False)
    assert table["x"].dtype == np.int64
    assert table["y"].dtype == np.int64
    assert list(table["x"]) == [0, 1, 10, 11]
    assert list(table.index) == [1, 2, 3, 4]  # seq_num counts per stream


def test_missing_column_in_a_block(db: Any) -> None:
    """[compat] A column missing from one descriptor's block is NaN there."""
    insert_all(db, two_descriptor_run(y_in_both=False))
    table = db[-1].table()
    assert table["x"].dtype == np.int64
    assert table["y"].isna().tolist() == [False, False, True, True]


def test_one_pass_over_documents(db: Any, monkeypatch: Any) -> None:
    """[fix] get_table reads each run's documents once, however many descriptors (1.x: per one)."""
    from databroker._runs.reader import RunReader

    insert_all(db, two_descriptor_run(y_in_both=True))
    calls = []
    original = RunReader.documents

    def counting(self: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(RunReader, "documents", counting)
    header = db[-1]
    calls.clear()
    assert len(header.table()) == 4
    assert len(calls) == 1


def test_empty_table(db: Any, recorded: dict[str, str]) -> None:
    """[compat] No rows at all gives pandas.DataFrame()."""
    with pytest.warns(DatabrokerWarning, match="no-such-stream"):
        table = db[recorded["scan"]].table("no-such-stream")
    assert table.equals(pandas.DataFrame())
    assert db.get_table([]).equals(pandas.DataFrame())


def test_fields_matching_nothing(db: Any, recorded: dict[str, str]) -> None:
    """[compat] A fields entry that matches no key leaves no rows: pandas.DataFrame(), no error
    ([fix] but a warning naming it)."""
    header = db[recorded["scan"]]
    with pytest.warns(DatabrokerWarning, match="no_such_key"):
        assert header.table(fields=["no_such_key"]).equals(pandas.DataFrame())
    with pytest.warns(DatabrokerWarning, match="no_such_key"):
        assert list(header.events(fields=["no_such_key"])) == []
    with pytest.warns(DatabrokerWarning, match="no_such_key"):
        assert list(header.table(fields=["no_such_key", "det"]).columns) == ["time", "det"]


def test_typo_in_stream_warns_naming_streams(db: Any, recorded: dict[str, str]) -> None:
    """[fix] table('primry'): a stream no (finished) run has warns, listing the streams; the
    result stays pandas.DataFrame() as in 1.x."""
    header = db[recorded["scan"]]
    with pytest.warns(DatabrokerWarning, match=r"'primry'.*\['baseline', 'primary'\]") as rec:
        assert header.table("primry").equals(pandas.DataFrame())
    assert len(rec) == 1
    headers = [db[recorded["scan"]], db[recorded["internal"]]]
    assert len(db.get_table(headers, stream_name="baseline")) == 2  # one has it: no warning


def test_typo_in_fields_warns_naming_keys(db: Any, recorded: dict[str, str]) -> None:
    """[fix] table(fields=['dett']): an entry naming nothing warns, listing the data keys."""
    header = db[recorded["scan"]]
    with pytest.warns(DatabrokerWarning, match=r"\['dett'\].*'det', 'motor', 'motor_setpoint'"):
        assert header.table(fields=["dett"]).equals(pandas.DataFrame())
    headers = [db[recorded["scan"]], db[recorded["internal"]]]
    table = db.get_table(headers, fields=["det", "img"])  # each known somewhere: no warning
    assert list(table.columns) == ["time", "det", "img"]
    # Object names, configuration keys and start keys are known names too.
    assert "motor_velocity" in header.table(fields=["motor", "motor_velocity", "sample"])


def test_bad_fields_regex_in_table(db: Any, recorded: dict[str, str]) -> None:
    """[fix] An invalid fields regex raises InvalidQuery (a ValueError) naming the entry."""
    with pytest.raises(InvalidQuery, match=r"'\(' of fields= is not a valid regular"):
        db[recorded["scan"]].table(fields=["("])
    with pytest.raises(ValueError):
        db.get_table([], fields=["[a-"])


@pytest.fixture
def example(db: Any) -> Any:
    """A run with one event at the spec's example time."""
    insert_all(db, composed_run(event_times=(EXAMPLE_TIME,)))
    return db[-1]


def test_time_localized_in_timezone(example: Any) -> None:
    """[fix] timezone='US/Eastern' gives tz-naive 2014-02-10 10:01:00 (1.x ignored timezone)."""
    table = example.table(timezone="US/Eastern")
    assert table["time"].iloc[0] == pandas.Timestamp("2014-02-10 10:01:00")
    assert table["time"].dt.tz is None


def test_time_utc_when_not_localized(example: Any) -> None:
    """[fix] localize_times=False gives tz-naive UTC: 2014-02-10 15:01:00."""
    table = example.table(timezone="US/Eastern", localize_times=False)
    assert table["time"].iloc[0] == pandas.Timestamp("2014-02-10 15:01:00")


def test_time_float_when_not_converted(example: Any) -> None:
    """[fix] convert_times=False and localize_times=False keep float epoch seconds."""
    table = example.table(convert_times=False, localize_times=False)
    assert table["time"].iloc[0] == EXAMPLE_TIME
    assert table["time"].dtype == np.float64


def test_localize_implies_convert(example: Any) -> None:
    """[fix] localize_times=True implies conversion even with convert_times=False."""
    table = example.table(timezone="US/Eastern", convert_times=False)
    assert table["time"].iloc[0] == pandas.Timestamp("2014-02-10 10:01:00")


def test_time_default_local_zone(example: Any, monkeypatch: Any) -> None:
    """[fix] Without timezone the local zone is used (1.x always gave UTC)."""
    monkeypatch.setattr("databroker.v1.tables.local_zone_name", lambda: "US/Eastern")
    assert example.table()["time"].iloc[0] == pandas.Timestamp("2014-02-10 10:01:00")


def test_table_from_kept_columns_equals_table_from_stored_documents(
    db: Any, monkeypatch: Any
) -> None:
    """[compat] table() built from the columns a store keeps (numpy arrays) equals the table
    built from documents() as stored (lists): dtypes, array cells and values alike."""
    from databroker._runs.reader import RunReader

    run = event_model.compose_run()
    keys = {
        "f32": {"source": "sim", "dtype": "number", "shape": []},
        "n": {"source": "sim", "dtype": "integer", "shape": []},
        "img": {"source": "sim", "dtype": "array", "shape": [2, 2]},
        "s": {"source": "sim", "dtype": "string", "shape": []},
    }
    stream = run.compose_descriptor(name="primary", data_keys=keys)
    docs: list[tuple[str, Any]] = [("start", run.start_doc), ("descriptor", stream.descriptor_doc)]
    for i in range(5):
        data = {"f32": np.float32(i / 3), "n": i, "img": np.full((2, 2), i), "s": f"s{i}"}
        event = stream.compose_event(data=data, timestamps=dict.fromkeys(data, 1.0 + i))
        docs.append(("event", event))
    docs.append(("stop", run.compose_stop()))
    insert_all(db, docs)
    kept = db[-1].table()
    original = RunReader.documents

    def stored(self: Any, **kwargs: Any) -> Any:
        return original(self, **{**kwargs, "as_stored": True})

    monkeypatch.setattr(RunReader, "documents", stored)
    from_documents = db[-1].table()
    pandas.testing.assert_frame_equal(kept, from_documents)
    assert [type(cell) for cell in kept["img"]] == [type(cell) for cell in from_documents["img"]]
