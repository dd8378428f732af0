"""Tests of the document router shared by every writer."""

import pytest

from databroker._documents.routing import DOCUMENT_NAMES, LEGACY_NAMES, DocumentRouter, pair_problem
from databroker.errors import DuplicateUniqueID, InvalidDocument


def _run(router, uid):
    """Route a start and one descriptor for run ``uid``; return the descriptor uid."""
    router.route("start", {"uid": uid, "time": 0})
    router.route("descriptor", {"uid": f"{uid}-d", "run_start": uid, "data_keys": {}})
    return f"{uid}-d"


def test_document_names():
    """[compat] Writers accept the ten documents.md names; the bulk names are read-only."""
    assert {
        "start",
        "descriptor",
        "event",
        "event_page",
        "resource",
        "datum",
        "datum_page",
        "stop",
        "stream_resource",
        "stream_datum",
    } == DOCUMENT_NAMES
    assert {"bulk_events", "bulk_datum"} == LEGACY_NAMES


def test_interleaved_runs_are_routed_by_their_links():
    """[compat] Documents of two interleaved runs go to their own run via each kind of link."""
    router = DocumentRouter()
    d1 = _run(router, "r1")
    d2 = _run(router, "r2")
    assert router.open_runs == ("r1", "r2")
    assert router.route("event", {"uid": "e", "descriptor": d2}) == ["r2"]
    assert router.route("event_page", {"uid": ["e"], "descriptor": d1}) == ["r1"]
    assert router.route("resource", {"uid": "res", "run_start": "r1"}) == ["r1"]
    assert router.route("datum", {"datum_id": "res/0", "resource": "res"}) == ["r1"]
    assert router.route("datum_page", {"datum_id": ["res/1"], "resource": "res"}) == ["r1"]
    assert router.route("stream_resource", {"uid": "sr", "run_start": "r2"}) == ["r2"]
    assert router.route(
        "stream_datum", {"uid": "sr/0", "stream_resource": "sr", "descriptor": d2}
    ) == ["r2"]
    assert router.route("stop", {"uid": "s1", "run_start": "r1"}) == ["r1"]
    assert router.open_runs == ("r2",)


def test_resource_without_run_start_goes_to_every_open_run():
    """[compat] A resource lacking run_start, and its datum, go to every open run."""
    router = DocumentRouter()
    _run(router, "r1")
    _run(router, "r2")
    assert router.route("resource", {"uid": "res", "spec": "X"}) == ["r1", "r2"]
    router.route("stop", {"uid": "s1", "run_start": "r1"})
    assert router.route("datum", {"datum_id": "res/0", "resource": "res"}) == ["r2"]


def test_resource_without_run_start_needs_an_open_run():
    """[new] A resource without run_start and no open run is refused, naming the resource."""
    with pytest.raises(InvalidDocument, match="res-uid"):
        DocumentRouter().route("resource", {"uid": "res-uid", "spec": "X"})


@pytest.mark.parametrize(
    ("name", "doc", "field"),
    [
        ("start", {"time": 0}, "uid"),
        ("descriptor", {"uid": "d9", "data_keys": {}}, "run_start"),
        ("stop", {"uid": "s9"}, "run_start"),
        ("event", {"uid": "e9", "data": {}}, "descriptor"),
        ("event_page", {"uid": ["e9"]}, "descriptor"),
        ("datum", {"datum_id": "x/0"}, "resource"),
        ("datum_page", {"datum_id": ["x/0"]}, "resource"),
        ("stream_resource", {"uid": "sr9"}, "run_start"),
        ("stream_datum", {"uid": "sr/0", "descriptor": "r-d"}, "stream_resource"),
    ],
)
def test_missing_link_names_document_and_field(name, doc, field):
    """[new] A missing linking field raises InvalidDocument naming document type and field."""
    router = DocumentRouter()
    _run(router, "r")
    with pytest.raises(InvalidDocument) as info:
        router.route(name, doc)
    assert name in str(info.value)
    assert repr(field) in str(info.value)


@pytest.mark.parametrize(
    ("name", "doc", "target"),
    [
        ("descriptor", {"uid": "d", "run_start": "nope"}, "nope"),
        ("event", {"uid": "e", "descriptor": "no-such-descriptor"}, "no-such-descriptor"),
        ("datum", {"datum_id": "x/0", "resource": "no-such-resource"}, "no-such-resource"),
        (
            "stream_datum",
            {"uid": "s/0", "stream_resource": "no-such-sr", "descriptor": "r-d"},
            "no-such-sr",
        ),
    ],
)
def test_unknown_link_is_refused(name, doc, target):
    """[new] A link to a run/descriptor/resource never routed raises InvalidDocument."""
    router = DocumentRouter()
    _run(router, "r")
    with pytest.raises(InvalidDocument, match=target):
        router.route(name, doc)


def test_documents_after_stop_are_refused():
    """[new] After its stop, a run takes no documents; its descriptors are forgotten."""
    router = DocumentRouter()
    descriptor = _run(router, "r")
    router.route("stop", {"uid": "s", "run_start": "r"})
    assert router.open_runs == ()
    with pytest.raises(InvalidDocument, match="after the stop"):
        router.route("descriptor", {"uid": "d2", "run_start": "r"})
    with pytest.raises(InvalidDocument, match="after the stop"):
        router.route("stop", {"uid": "s", "run_start": "r"})
    with pytest.raises(InvalidDocument, match=descriptor):
        router.route("event", {"uid": "e", "descriptor": descriptor})


def test_duplicate_start_uid():
    """[fix] A second start with a uid already routed raises DuplicateUniqueID."""
    router = DocumentRouter()
    _run(router, "r")
    router.route("stop", {"uid": "s", "run_start": "r"})
    with pytest.raises(DuplicateUniqueID, match="'r'"):
        router.route("start", {"uid": "r", "time": 1})


@pytest.mark.parametrize("name", ["bulk_events", "bulk_datum", "events", "Start"])
def test_names_outside_documents_md_are_refused(name):
    """[new] Names outside documents.md, legacy bulk names included, raise InvalidDocument."""
    with pytest.raises(InvalidDocument, match=name):
        DocumentRouter().route(name, {"uid": "x"})


def test_discard_forgets_a_run():
    """[new] A discarded run (its file could not be made) can be started again."""
    router = DocumentRouter()
    _run(router, "r")
    router.discard("r")
    assert router.open_runs == ()
    assert router.route("start", {"uid": "r", "time": 0}) == ["r"]


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (["start", {}], None),
        (["bulk_events", {}], None),
        ({"start": {}}, "2-element"),
        (["start", {}, 1], "2-element"),
        (["start"], "2-element"),
        (["nonsense", {}], "unknown document name 'nonsense'"),
        ([1, {}], "unknown document name 1"),
        (["start", [1]], "not a mapping"),
    ],
)
def test_pair_problem(obj, reason):
    """[fix] Readers accept only [known name, mapping] pairs, and say why not."""
    problem = pair_problem(obj)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem
