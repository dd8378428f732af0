"""Conformance tests of the storage protocol (:mod:`databroker._stores.base`).

Subclass :class:`CatalogStoreTests` and :class:`RunStoreTests` in a backend's test module;
runs are stored through bypass writers (see :mod:`databroker.testing.bypass`), never through
the store's own writer, and read back through the protocol only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from .._stores.base import CatalogStore, RunStore
from ..errors import BrokenReference, NotSupported, RunNotFound, WriteNotSupported
from . import documents as docs
from ._kit import KitBase

__all__ = ["CatalogStoreTests", "RunStoreTests"]

_A1, _A2, _C5, _C4, _B3 = (
    "aaaa1111-0000",
    "aaaa2222-0000",
    "cccc5555-0000",
    "cccc4444-0000",
    "bbbb3333-0000",
)
#: (query, matching uids newest first) over :func:`documents.lookup_runs`.
QUERIES: list[tuple[dict[str, Any], list[str]]] = [
    ({"plan_name": "scan"}, [_B3, _A2]),
    ({"plan_name": "grid", "sample": "Si"}, [_C4]),
    ({"scan_id": {"$gt": 2}}, [_C4, _C5]),
    ({"time": {"$lt": 250}}, [_A2, _A1]),
    ({"sample": {"$in": ["Ge", "Cu"]}}, [_C5, _A2]),
    ({"sample": {"$ne": "Si"}}, [_C5, _A2]),
    ({"$or": [{"sample": "Ge"}, {"num": {"$gte": 10}}]}, [_B3, _A2]),
    ({"$and": [{"scan_id": {"$lte": 3}}, {"plan_name": {"$nin": ["count"]}}]}, [_B3, _C5, _A2]),
    ({"sample": {"$exists": True}, "scan_id": 1}, [_B3, _A1]),
    ({"no_such_field": {"$exists": True}}, []),
]
#: (skip, limit) windows over 7 rows stored as pages of 3, 1 and 3 (for event pages) or
#: 4 then 3 singles (for datum pages): windows starting and ending inside pages.
WINDOWS = [
    (0, None),
    (0, 3),
    (1, 2),
    (2, 3),
    (3, 1),
    (2, 5),
    (4, 2),
    (5, None),
    (6, 10),
    (7, None),
    (10, 5),
]
#: Windows holding no row: ``limit=0`` anywhere (also inside a page), or past the end.
EMPTY_WINDOWS = [(0, 0), (1, 0), (4, 0), (7, 1), (10, 5)]


def _uids(starts: Any) -> list[str]:
    return [start["uid"] for start in starts]


def _window(rows: list[Any], skip: int, limit: int | None) -> list[Any]:
    return rows[skip:] if limit is None else rows[skip : skip + limit]


class CatalogStoreTests(KitBase):
    """Listing, lookup, queries, growth and declared capabilities of a :class:`CatalogStore`."""

    @pytest.fixture
    def lookup_store(self, store: CatalogStore) -> CatalogStore:
        """The store holding the five runs of :func:`documents.lookup_runs`."""
        for run in docs.lookup_runs():
            self.write(store, run.documents)
        return store

    # -- listing and lookup -----------------------------------------------------------------

    def test_empty_store(self, store: CatalogStore) -> None:
        """[compat] An empty store lists nothing and finds nothing (no error)."""
        assert list(store.iter_starts({})) == []
        assert store.count({}) == 0
        assert store.get_start("no-such-run", {}) is None
        assert store.find_uid_prefix("a", {}) == []
        assert store.find_scan_id(1, {}) is None
        assert store.nth_newest(0, {}) is None

    def test_listing_newest_first_ties_by_uid(self, lookup_store: CatalogStore) -> None:
        """[fix] iter_starts lists runs newest first by start time, ties by uid."""
        assert _uids(lookup_store.iter_starts({})) == docs.LOOKUP_ORDER

    def test_count(self, lookup_store: CatalogStore) -> None:
        """[compat] count() counts the matching runs."""
        assert lookup_store.count({}) == 5
        assert lookup_store.count({"plan_name": "scan"}) == 2
        assert lookup_store.count({"plan_name": "nothing"}) == 0

    def test_get_start(self, lookup_store: CatalogStore) -> None:
        """[compat] get_start returns the start of exactly that uid, if it matches the query."""
        expected = {run.uid: run.start for run in docs.lookup_runs()}
        for uid, start in expected.items():
            assert docs.plain(lookup_store.get_start(uid, {})) == docs.plain(start)
        assert lookup_store.get_start(_A2, {"sample": "Ge"})["uid"] == _A2  # type: ignore[index]
        assert lookup_store.get_start(_A2, {"sample": "Si"}) is None
        assert lookup_store.get_start("aaaa", {}) is None

    def test_uid_prefix(self, lookup_store: CatalogStore) -> None:
        """[fix] find_uid_prefix is anchored, literal, limited, and honours the query."""
        assert sorted(lookup_store.find_uid_prefix("aaaa", {})) == [_A1, _A2]
        assert lookup_store.find_uid_prefix("bbbb", {}) == [_B3]
        assert len(lookup_store.find_uid_prefix("aaaa", {}, limit=1)) == 1
        assert lookup_store.find_uid_prefix("1111", {}) == []
        assert lookup_store.find_uid_prefix("aaaa.", {}) == []
        assert lookup_store.find_uid_prefix(".*", {}) == []
        assert lookup_store.find_uid_prefix("aaaa", {"sample": "Ge"}) == [_A2]

    def test_scan_id_newest_match(self, lookup_store: CatalogStore) -> None:
        """[compat] find_scan_id returns the newest matching run with that scan_id."""
        assert lookup_store.find_scan_id(1, {})["uid"] == _B3  # type: ignore[index]
        assert lookup_store.find_scan_id(1, {"plan_name": "count"})["uid"] == _A1  # type: ignore[index]
        assert lookup_store.find_scan_id(2, {})["uid"] == _A2  # type: ignore[index]
        assert lookup_store.find_scan_id(99, {}) is None
        assert lookup_store.find_scan_id(2, {"sample": "Si"}) is None

    def test_nth_newest(self, lookup_store: CatalogStore) -> None:
        """[fix] nth_newest(n) is the n-th run of the listing order; past the end None."""
        found = [lookup_store.nth_newest(n, {}) for n in range(5)]
        assert _uids(found) == docs.LOOKUP_ORDER
        assert lookup_store.nth_newest(5, {}) is None
        assert lookup_store.nth_newest(1, {"sample": "Si"})["uid"] == _C4  # type: ignore[index]

    @pytest.mark.parametrize(("query", "expected"), QUERIES)
    def test_queries(
        self, lookup_store: CatalogStore, query: dict[str, Any], expected: list[str]
    ) -> None:
        """[compat] Mongo-style queries on start fields select runs, newest first."""
        assert _uids(lookup_store.iter_starts(query)) == expected
        assert lookup_store.count(query) == len(expected)

    def test_open_unknown_run(self, lookup_store: CatalogStore) -> None:
        """[compat] Opening (or reading the start of) an unknown uid raises RunNotFound."""
        with pytest.raises(RunNotFound):
            lookup_store.open_run("no-such-run").start()

    def test_stops(self, lookup_store: CatalogStore) -> None:
        """[compat] stops() gives each run's stop document, None for an unknown uid."""
        runs = {run.uid: run for run in docs.lookup_runs()}
        found = lookup_store.stops([_A1, _B3, "no-such-run"])
        assert docs.plain(found[_A1]) == docs.plain(runs[_A1].stop)
        assert docs.plain(found[_B3]) == docs.plain(runs[_B3].stop)
        assert found["no-such-run"] is None

    # -- growth ----------------------------------------------------------------------------

    def test_growing_run(self, store: CatalogStore) -> None:
        """[compat] A run being written has stop None; documents written later are seen."""
        head, rest = docs.growing_run()
        writer = self.bypass(store)
        for name, doc in head.documents:
            writer(name, doc)
        store.refresh(force=True)
        assert _uids(store.iter_starts({})) == [head.uid]
        run = store.open_run(head.uid)
        assert run.stop() is None
        assert run.is_live()
        assert store.stops([head.uid]) == {head.uid: None}
        assert run.event_count(head.facts["primary"]) == 2
        for name, doc in rest:
            writer(name, doc)
        writer.close()
        store.refresh(force=True)
        run = store.open_run(head.uid)
        assert docs.plain(run.stop()) == docs.plain(rest[-1][1])
        assert not run.is_live()
        assert run.event_count(head.facts["primary"]) == 4
        pages = run.event_pages(head.facts["primary"])
        assert docs.table(pages)["seq_num"] == [1, 2, 3, 4]
        assert docs.plain(store.stops([head.uid])[head.uid]) == docs.plain(rest[-1][1])

    # -- declared capabilities ------------------------------------------------------------

    def test_capabilities_declared(self, store: CatalogStore) -> None:
        """[new] The store declares each capability as a bool and names its backend."""
        for name in (
            "supports_writes",
            "native_queries",
            "supports_indexes",
            "supports_stats",
            "supports_waiting",
        ):
            assert isinstance(getattr(store, name), bool), name
        assert isinstance(store.backend_name, str) and store.backend_name

    def test_writes_capability(self, store: CatalogStore) -> None:
        """[new] serializer() gives a writer iff supports_writes, else WriteNotSupported."""
        if store.supports_writes:
            assert callable(store.serializer())
        else:
            with pytest.raises(WriteNotSupported):
                store.serializer()

    def test_stats_capability(self, store: CatalogStore) -> None:
        """[new] stats() raises NotSupported unless supports_stats; then it is a mapping."""
        if not store.supports_stats:
            with pytest.raises(NotSupported, match=store.backend_name):
                store.stats()
            return
        try:
            stats = store.stats()
        except NotSupported as error:  # e.g. mongomock, which lacks 'dbstats'
            pytest.skip(f"this database cannot give stats: {error}")
        assert isinstance(stats, Mapping)

    def test_index_capability(self, store: CatalogStore) -> None:
        """[new] Index methods raise NotSupported unless supports_indexes; then they work."""
        if not store.supports_indexes:
            for method in (store.ensure_indexes, store.check_indexes):
                with pytest.raises(NotSupported):
                    method()
            return
        assert all(isinstance(name, str) for name in store.ensure_indexes())
        assert store.check_indexes() == []


class RunStoreTests(KitBase):
    """The documents of one run through :class:`RunStore`: order, windows, lookups, bad
    documents."""

    @pytest.fixture
    def rich(self, store: CatalogStore) -> tuple[RunStore, docs.Run]:
        """The run store of :func:`documents.rich_run` and what was written."""
        run = docs.rich_run()
        self.write(store, run.documents)
        return store.open_run(run.uid), run

    # -- run-level documents ------------------------------------------------------------

    def test_start_and_stop(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] start() and stop() return the documents as written; the run is not live."""
        run, written = rich
        assert run.uid == written.uid
        assert docs.plain(run.start()) == docs.plain(written.start)
        assert docs.plain(run.stop()) == docs.plain(written.stop)
        assert not run.is_live()

    def test_descriptors_ordered_by_time(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] descriptors() returns every descriptor as written, ordered by time."""
        run, written = rich
        found = run.descriptors()
        facts = written.facts
        assert [d["uid"] for d in found] == [facts["baseline"], facts["primary"], facts["det"]]
        expected = {d["uid"]: docs.plain(d) for d in written.of("descriptor")}
        assert all(docs.plain(d) == expected[d["uid"]] for d in found)

    # -- events ----------------------------------------------------------------------------

    def test_event_count(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] event_count counts one descriptor's events (0 for none or unknown)."""
        run, written = rich
        assert run.event_count(written.facts["primary"]) == 7
        assert run.event_count(written.facts["baseline"]) == 2
        assert run.event_count(written.facts["det"]) == 0
        assert run.event_count("no-such-descriptor") == 0

    def test_event_pages(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] event_pages yields columnar pages holding every event, in order."""
        run, written = rich
        pages = list(run.event_pages(written.facts["primary"]))
        assert all("filled" in page for page in pages)
        rows = docs.table(pages)
        events = [e for e in _events(written) if e["descriptor"] == written.facts["primary"]]
        assert rows["seq_num"] == [1, 2, 3, 4, 5, 6, 7]
        assert rows["uid"] == [e["uid"] for e in events]
        assert rows["time"] == [e["time"] for e in events]
        assert rows["data"]["x"] == [float(i) for i in range(1, 8)]
        assert rows["data"]["img"] == written.facts["datum_ids"]
        assert rows["timestamps"]["x"] == [e["timestamps"]["x"] for e in events]
        assert list(run.event_pages("no-such-descriptor")) == []

    @pytest.mark.parametrize(("skip", "limit"), WINDOWS)
    def test_event_page_windows(
        self, rich: tuple[RunStore, docs.Run], skip: int, limit: int | None
    ) -> None:
        """[fix] skip/limit count events, not pages: pages are cut to the window."""
        run, written = rich
        pages = list(run.event_pages(written.facts["primary"], skip=skip, limit=limit))
        assert all(len(page["uid"]) > 0 for page in pages)
        rows = docs.table(pages)
        assert rows.get("seq_num", []) == _window(list(range(1, 8)), skip, limit)
        assert rows.get("data", {}).get("img", []) == _window(
            written.facts["datum_ids"], skip, limit
        )

    def test_event_pages_empty_window(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[fix] A window holding no event (limit=0, even inside a page) yields no page."""
        run, written = rich
        for skip, limit in EMPTY_WINDOWS:
            pages = list(run.event_pages(written.facts["primary"], skip=skip, limit=limit))
            assert pages == [], (skip, limit)

    # -- resources and datum --------------------------------------------------------------

    def test_resources(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] resources() in storage order; resource(uid) as written; unknown uid is a
        BrokenReference."""
        run, written = rich
        assert [r["uid"] for r in run.resources()] == ["res-a", "res-b"]
        assert docs.plain(run.resource("res-a")) == docs.plain(written.of("resource")[0])
        with pytest.raises(BrokenReference, match="no-such-resource"):
            run.resource("no-such-resource")

    def test_lookup_resource_for_datum(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] lookup_resource_for_datum finds a datum's resource; unknown ids are a
        BrokenReference."""
        run, written = rich
        for datum_id in written.facts["datum_ids"]:
            assert run.lookup_resource_for_datum(datum_id)["uid"] == "res-a"
        assert run.lookup_resource_for_datum(written.facts["res_b_datum_ids"][1])["uid"] == "res-b"
        # (an unknown id '<known resource>/<n>' may resolve to that resource without a query)
        for unknown in ("no-such-datum", "nothing/0"):
            with pytest.raises(BrokenReference, match=unknown):
                run.lookup_resource_for_datum(unknown)

    @pytest.mark.parametrize(("skip", "limit"), WINDOWS)
    def test_datum_page_windows(
        self, rich: tuple[RunStore, docs.Run], skip: int, limit: int | None
    ) -> None:
        """[fix] datum_pages windows count datum, cutting pages, in storage order."""
        run, written = rich
        pages = list(run.datum_pages("res-a", skip=skip, limit=limit))
        assert all(len(page["datum_id"]) > 0 for page in pages)
        rows = docs.table(pages, "datum_id")
        assert rows.get("datum_id", []) == _window(written.facts["datum_ids"], skip, limit)
        kwargs = rows.get("datum_kwargs", {}).get("index", [])
        assert kwargs == _window(list(range(7)), skip, limit)

    def test_datum_pages_empty_window(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[fix] A window holding no datum (limit=0, even inside a page) yields no page."""
        run, _ = rich
        for skip, limit in EMPTY_WINDOWS:
            assert list(run.datum_pages("res-a", skip=skip, limit=limit)) == [], (skip, limit)

    def test_datum_kwargs(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[compat] datum_kwargs gives (resource, kwargs) per datum id, in the order asked."""
        run, written = rich
        ids = written.facts["datum_ids"]
        asked = [ids[5], ids[0], written.facts["res_b_datum_ids"][1], ids[5]]
        found = run.datum_kwargs(asked)
        assert [resource["uid"] for resource, _ in found] == ["res-a", "res-a", "res-b", "res-a"]
        assert [dict(kwargs) for _, kwargs in found] == [
            {"index": 5},
            {"index": 0},
            {"index": 1},
            {"index": 5},
        ]

    def test_datum_kwargs_unknown_id(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[fix] datum_kwargs raises BrokenReference naming an unknown datum id."""
        run, written = rich
        with pytest.raises(BrokenReference, match="no-such-datum"):
            run.datum_kwargs([written.facts["datum_ids"][0], "no-such-datum"])

    # -- stream resources and stream datum -------------------------------------------------

    def test_stream_resources(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[new] stream_resources() returns them as written, in storage order."""
        run, written = rich
        found = run.stream_resources()
        assert [d["uid"] for d in found] == written.facts["stream_resources"]
        assert docs.plain(list(found)) == docs.plain(written.of("stream_resource"))

    def test_stream_datum_ordered_by_seq_nums(self, rich: tuple[RunStore, docs.Run]) -> None:
        """[new] stream_datum(descriptor) is ordered by seq_nums.start, not write order."""
        run, written = rich
        found = run.stream_datum(written.facts["det"])
        assert [d["uid"] for d in found] == written.facts["stream_datum"]
        expected = {d["uid"]: docs.plain(d) for d in written.of("stream_datum")}
        assert all(docs.plain(d) == expected[d["uid"]] for d in found)
        assert list(run.stream_datum(written.facts["primary"])) == []

    # -- a real RunEngine --------------------------------------------------------------------

    def test_run_engine_runs(self, store: CatalogStore, tmp_path: Path) -> None:
        """[compat] Runs recorded by a bluesky RunEngine with ophyd.sim read back as emitted."""
        pytest.importorskip("bluesky")
        runs = docs.run_engine_runs(tmp_path / "img")
        for written in runs:
            self.write(store, written.documents)
        for written in runs:
            run = store.open_run(written.uid)
            assert docs.plain(run.start()) == docs.plain(written.start)
            assert docs.plain(run.stop()) == docs.plain(written.stop)
            descriptors = sorted(written.of("descriptor"), key=lambda d: d["time"])
            assert docs.plain(list(run.descriptors())) == docs.plain(descriptors)
            for descriptor in descriptors:
                events = [e for e in written.of("event") if e["descriptor"] == descriptor["uid"]]
                rows = docs.table(run.event_pages(descriptor["uid"]))
                assert rows.get("seq_num", []) == [e["seq_num"] for e in events]
                for key in descriptor["data_keys"]:
                    assert rows["data"][key] == docs.plain([e["data"][key] for e in events])
            assert docs.plain(list(run.resources())) == docs.plain(written.of("resource"))
            datum_ids = [d["datum_id"] for d in written.of("datum")]
            for (resource, kwargs), datum in zip(
                run.datum_kwargs(datum_ids), written.of("datum"), strict=True
            ):
                assert resource["spec"] == "NPY_SEQ"
                assert docs.plain(dict(kwargs)) == docs.plain(datum["datum_kwargs"])

    # -- bad documents -------------------------------------------------------------------------

    def test_event_of_unknown_descriptor(self, store: CatalogStore) -> None:
        """[fix] An event of a descriptor never written does not break reading the run."""
        written = docs.orphan_event_run()
        self.write(store, written.documents)
        run = store.open_run(written.uid)
        assert [d["uid"] for d in run.descriptors()] == [written.facts["primary"]]
        assert run.event_count(written.facts["primary"]) == 1
        rows = docs.table(run.event_pages(written.facts["primary"]))
        assert rows["uid"] == [written.documents[2][1]["uid"]]
        assert docs.plain(run.stop()) == docs.plain(written.stop)

    def test_datum_of_unknown_resource(self, store: CatalogStore) -> None:
        """[fix] A datum of a resource never written: lookups raise BrokenReference naming it."""
        written = docs.bad_datum_run()
        self.write(store, written.documents)
        run = store.open_run(written.uid)
        assert list(run.resources()) == []
        with pytest.raises(BrokenReference, match="ghost"):
            run.datum_kwargs(["ghost/0"])
        with pytest.raises(BrokenReference, match="ghost"):
            run.lookup_resource_for_datum("ghost/0")
        with pytest.raises(BrokenReference, match="ghost"):
            run.resource("ghost")


def _events(run: docs.Run) -> list[dict[str, Any]]:
    """Every event of ``run`` as single events, in write order."""
    import event_model

    events: list[dict[str, Any]] = []
    for name, doc in run.documents:
        if name == "event":
            events.append(doc)
        elif name == "event_page":
            events.extend(event_model.unpack_event_page(doc))
    return events
