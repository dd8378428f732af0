"""The v1 Broker: identity members, prepare_hook, lookup by key and slice."""

from __future__ import annotations

from typing import Any

import pytest

from databroker.errors import AmbiguousUidPrefix, RunIndexError, RunNotFound
from databroker.utils import DeprecatedDoct
from databroker.v1 import Broker, Header, Registry

from .runs import composed_run, insert_all


def test_members_start_empty(db: Any) -> None:
    """[compat] aliases and filters are empty dicts; reg is a Registry."""
    assert db.aliases == {}
    assert db.filters == {}
    assert isinstance(db.reg, Registry)


def test_fs_is_deprecated_alias_of_reg(db: Any) -> None:
    """[compat] db.fs warns "fs is deprecated, use `db.reg` instead" and returns db.reg."""
    with pytest.warns(UserWarning, match="fs is deprecated"):
        assert db.fs is db.reg


def test_v1_v2_name(db: Any) -> None:
    """[compat] db.v1 is db, db.v2 the catalog, db.name the catalog's name, catalog.v1 is db."""
    assert db.v1 is db
    assert db.v2.v1 is db
    assert db.name == db.v2.name


def test_broker_around_a_catalog_is_its_v1(tmp_path: Any) -> None:
    """[compat] Broker(catalog) becomes catalog.v1 when the catalog had none yet."""
    from databroker._drivers.jsonl import BlueskyJSONLCatalog

    catalog = BlueskyJSONLCatalog(str(tmp_path / "*.jsonl"))
    db = Broker(catalog)
    assert catalog.v1 is db


def test_default_prepare_hook_gives_deprecated_doct(db: Any, recorded: dict[str, str]) -> None:
    """[compat] The default prepare_hook gives DeprecatedDoct; attribute access warns."""
    start = db[recorded["scan"]].start
    assert isinstance(start, DeprecatedDoct)
    with pytest.warns(UserWarning, match="deprecated"):
        assert start.sample == "Si"


def test_prepare_hook_gets_a_fresh_mutable_copy(db: Any, recorded: dict[str, str]) -> None:
    """[compat] prepare_hook receives a mutable copy; changing it never changes storage."""
    seen = []

    def hook(name: str, doc: Any) -> Any:
        seen.append(name)
        doc["touched"] = True  # would raise NotMutable on a stored Document
        return doc

    db.prepare_hook = hook
    header = db[recorded["scan"]]
    assert header.start["touched"] is True
    assert type(header.start) is dict
    assert "touched" not in db.v2[recorded["scan"]].metadata["start"]
    assert "touched" not in db[recorded["scan"]].descriptors[0]["data_keys"]
    assert "start" in seen and "descriptor" in seen


def test_plain_prepare_hook(db: Any, recorded: dict[str, str]) -> None:
    """[compat] prepare_hook = lambda name, doc: doc gives plain dicts everywhere."""
    db.prepare_hook = lambda name, doc: doc
    header = db[recorded["scan"]]
    assert all(type(doc) is dict for _, doc in header.documents())


def test_lookup_by_uid_prefix_scan_id_and_recency(db: Any, recorded: dict[str, str]) -> None:
    """[compat] db[uid], db[prefix], db[scan_id], db['scan_id'] and db[-N] give Headers."""
    uid = recorded["external"]
    header = db[uid]
    assert isinstance(header, Header)
    assert header.uid == uid
    # An all-digit string is a scan_id (spec), so take a prefix with a non-digit in it.
    prefix = next(uid[:n] for n in range(8, len(uid) + 1) if not uid[:n].isdigit())
    assert db[prefix] == header
    assert db[2] == header
    assert db["2"] == header
    assert db[-2] == header
    assert db[-1].uid == recorded["internal"]


def test_lookup_list_gives_list(db: Any, recorded: dict[str, str]) -> None:
    """[compat] A list, tuple or other non-str iterable key gives [db[k] for k in key]."""
    headers = db[[-1, recorded["scan"]]]
    assert [h.uid for h in headers] == [recorded["internal"], recorded["scan"]]
    assert [h.uid for h in db[(1,)]] == [recorded["scan"]]
    assert [h.uid for h in db[iter([3, -3])]] == [recorded["internal"], recorded["scan"]]


def test_scan_id_gives_most_recent_match(db: Any) -> None:
    """[compat] db[N] (N >= 0) is the most recent run whose scan_id is N."""
    older = composed_run(start_time=100.0, event_times=(101.0,), scan_id=7)
    newer = composed_run(start_time=200.0, event_times=(201.0,), scan_id=7)
    other = composed_run(start_time=300.0, event_times=(301.0,), scan_id=8)
    insert_all(db, older + newer + other)
    assert db[7].uid == db["7"].uid == newer[0][1]["uid"]


def test_lookup_errors_propagate(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Missing runs: RunNotFound (KeyError); past the end: RunIndexError (IndexError)."""
    with pytest.raises(RunNotFound):
        db["no-such-uid"]
    with pytest.raises(KeyError):
        db[999]
    with pytest.raises(RunIndexError):
        db[-10]
    with pytest.raises(IndexError):
        db[-4]


def test_ambiguous_prefix(db: Any) -> None:
    """[compat] A uid prefix of several runs raises AmbiguousUidPrefix (a ValueError)."""
    insert_all(db, composed_run(uid="abc-1") + composed_run(uid="abc-2"))
    with pytest.raises(AmbiguousUidPrefix) as info:
        db["abc-"]
    assert "abc-1" in str(info.value) and "abc-2" in str(info.value)  # the matches are listed
    with pytest.raises(ValueError):
        db["abc"]


def test_usable_after_bad_input(db: Any, recorded: dict[str, str]) -> None:
    """[compat] After each bad key, slice, search or fields entry the Broker still works."""
    insert_all(db, composed_run(uid="abc-1") + composed_run(uid="abc-2"))  # older than recorded
    bad_inputs: list[tuple[type[Exception], Any]] = [
        (AmbiguousUidPrefix, lambda: db["abc-"]),
        (RunNotFound, lambda: db[999]),
        (RunNotFound, lambda: db["no-such-uid"]),
        (RunIndexError, lambda: db[-10]),
        (ValueError, lambda: db[0:]),
        (ValueError, lambda: db[-2:1]),
        (TypeError, lambda: db(start_time=0, since=0)),
        (ValueError, lambda: list(db.get_events(db[-1], fields=["("]))),
        (NotImplementedError, lambda: db.get_table(db[-1], handler_registry={})),
    ]
    for error, call in bad_inputs:
        with pytest.raises(error):
            call()
        assert db[-1].uid == recorded["internal"]
        assert [h.uid for h in db(sample="Si")] == [recorded["scan"]]
        assert list(db[-3].table()["motor"]) == [1.0, 2.0, 3.0]


def test_slice_newest_first(db: Any, recorded: dict[str, str]) -> None:
    """[compat] db[-3:] is [db[-1], db[-2], db[-3]]; db[-3:-1] is [db[-2], db[-3]]."""
    assert db[-3:] == [db[-1], db[-2], db[-3]]
    assert [h.uid for h in db[-3:-1]] == [recorded["external"], recorded["scan"]]
    assert [h.uid for h in db[-3::2]] == [recorded["internal"], recorded["scan"]]


@pytest.mark.parametrize("key", [slice(None, None), slice(0, None), slice(2, None)])
def test_slice_needs_negative_start(db: Any, recorded: dict[str, str], key: slice) -> None:
    """[compat] A slice whose start is None or >= 0 raises ValueError."""
    with pytest.raises(ValueError):
        db[key]


def test_slice_stop_must_not_be_positive(db: Any, recorded: dict[str, str]) -> None:
    """[compat] A slice whose stop is > 0 raises ValueError."""
    with pytest.raises(ValueError):
        db[-2:1]


def test_stats_not_mongo(db: Any, backend: str) -> None:
    """[fix] stats() on a non-Mongo catalog raises NotImplementedError with a clear message."""
    if backend.startswith("mongo"):
        pytest.skip("Mongo catalogs answer stats(); see test_stats_mongo_dbstats")
    with pytest.raises(NotImplementedError, match="MongoDB catalogs only"):
        db.stats()


def test_stats_mongo_dbstats(db: Any, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """[compat] stats() on a Mongo catalog is the 'dbstats' command of its database."""
    if not backend.startswith("mongo"):
        pytest.skip("only Mongo catalogs have database statistics")
    store = db.v2._store
    database = store.metadatastore if backend == "mongo-normalized" else store.database
    commands = []

    def command(name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        commands.append(name)
        return {"db": database.name, "collections": 3}

    monkeypatch.setattr(database, "command", command)  # mongomock has no dbstats
    assert db.stats() == {"db": database.name, "collections": 3}
    assert commands == ["dbstats"]


def test_get_config_without_config(db: Any) -> None:
    """[compat] get_config() is None for a Broker not made from a config."""
    assert db.get_config() is None


def test_fill_event_no_longer_supported(db: Any) -> None:
    """[compat] fill_event and fill_events raise NotImplementedError."""
    with pytest.raises(NotImplementedError, match="no longer supported"):
        db.fill_event({})
    with pytest.raises(NotImplementedError, match="no longer supported"):
        db.fill_events([])


def test_stream_names_given_header(db: Any, recorded: dict[str, str]) -> None:
    """[fix] stream_names_given_header(header) gives that header's stream names (1.x: run uids)."""
    header = db[recorded["scan"]]
    assert sorted(db.stream_names_given_header(header)) == ["baseline", "primary"]


def test_external_fetchers(db: Any, recorded: dict[str, str]) -> None:
    """[compat] external_fetchers results appear as header.ext.<name>; fetch_external calls them."""
    calls = []

    def fetch(start: Any, stop: Any) -> Any:
        calls.append(start["uid"])
        return stop["exit_status"]

    db.external_fetchers["status"] = fetch
    header = db[recorded["scan"]]
    assert header.ext.status == "success"
    assert calls == [recorded["scan"]]
    assert db.fetch_external(header.start, header.stop) == {"status": "success"}


def test_get_fields_staticmethod(db: Any, recorded: dict[str, str]) -> None:
    """[compat] Broker.get_fields(header, name) is utils.get_fields."""
    header = db[recorded["scan"]]
    assert Broker.get_fields(header, "baseline") == {"det1"}
    assert db.get_fields(header) == {"det", "motor", "motor_setpoint", "det1"}


def test_handler_registry_argument_refused(db: Any, recorded: dict[str, str]) -> None:
    """[compat] A non-None handler_registry argument raises NotImplementedError pointing to reg."""
    header = db[recorded["scan"]]
    with pytest.raises(NotImplementedError, match="register_handler"):
        db.get_table(header, handler_registry={})
    with pytest.raises(NotImplementedError, match="register_handler"):
        list(db.get_events(header, handler_registry={}))
    with pytest.raises(NotImplementedError, match="register_handler"):
        list(db.get_documents(header, handler_registry={}))
    with (
        pytest.warns(UserWarning, match="deprecated"),
        pytest.raises(NotImplementedError, match="register_handler"),
    ):
        db.get_images(header, "det", handler_registry={})
