"""Searches through Tiled on the stop document, and full-text search where the backend has it."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Served

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _abort_one(served: Served) -> str:
    """Write a fifth run whose stop says 'abort'; return its uid."""
    import event_model

    bundle = event_model.compose_run(time=1_800_000_000.0, metadata={"scan_id": 5})
    serializer = served.catalog._get_serializer()
    serializer("start", bundle.start_doc)
    serializer("stop", bundle.compose_stop(exit_status="abort", reason="bench", time=1.8e9 + 1))
    served.catalog.force_reload()
    return str(bundle.start_doc["uid"])


def test_stop_exit_status_search(served: Served, client: Any) -> None:
    """[new] Eq/NotEq on stop.exit_status narrow the catalog by the runs' stop documents."""
    from tiled.queries import Eq, NotEq

    aborted = _abort_one(served)
    every = [*served.scalar_uids, served.image_uid]
    assert list(client.search(Eq("stop.exit_status", "success"))) == every
    assert list(client.search(Eq("stop.exit_status", "abort"))) == [aborted]
    assert list(client.search(NotEq("stop.exit_status", "success"))) == [aborted]


def test_stop_queries_combine_with_start_queries(served: Served, client: Any) -> None:
    """[new] A stop.* query after a start query keeps the runs matching both, newest last."""
    from bluesky_tiled_plugins.queries import Key
    from tiled.queries import Comparison, KeyPresent

    _abort_one(served)
    narrowed = client.search(Key("sample") == "Si").search(Key("stop.exit_status") == "success")
    assert list(narrowed) == [served.scalar_uids[0], served.scalar_uids[2]]
    assert narrowed[-1].start["uid"] == served.scalar_uids[2]
    late = client.search(Comparison("gt", "stop.time", served.catalog[-2].metadata["stop"]["time"]))
    assert len(late) == 1
    assert len(client.search(KeyPresent("stop.num_events.primary"))) == 4  # not the aborted run


def test_full_text_search_where_the_backend_has_it(served: Served, client: Any) -> None:
    """[new] FullText answers on file catalogs; where the database cannot evaluate $text
    (mongomock), the search is an HTTP 400 naming the query and the backend."""
    from tiled.queries import FullText

    if served.place.name.startswith("mongo"):
        with pytest.raises(Exception, match=r"400.*FullText.*mongo") as caught:
            list(client.search(FullText("Ni")))
        assert "$text" in str(caught.value)
    else:
        assert list(client.search(FullText("Ni"))) == [served.scalar_uids[1]]
        assert list(client.search(FullText("images"))) == [served.image_uid]
