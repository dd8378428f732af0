"""One-event pages (as suitcase-msgpack stores events) merged through the fast path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from databroker._stores.run_documents import RunDocuments
from databroker.errors import InvalidDocument


def _page(i: int, data: dict[str, Any], descriptor: str = "d1") -> dict[str, Any]:
    return {
        "descriptor": descriptor,
        "uid": [f"e{i}"],
        "seq_num": [i + 1],
        "time": [1.0e9 + i],
        "data": {key: [value] for key, value in data.items()},
        "timestamps": {key: [1.0e9 + i] for key in data},
        "filled": {},
    }


def _run(pages: list[dict[str, Any]]) -> RunDocuments:
    run = RunDocuments()
    run.add("start", {"uid": "s", "time": 1.0e9})
    run.add("descriptor", {"uid": "d1", "time": 1.0e9, "data_keys": {}, "name": "primary"})
    for page in pages:
        run.add("event_page", page)
    return run


def test_one_row_pages_with_keys_in_any_order_merge_by_key() -> None:
    """Consecutive one-event pages become one page whose columns follow each key [fix]."""
    pages = [_page(0, {"a": 1.0, "b": 2.0}), _page(1, {"b": 4.0, "a": 3.0})]
    (page,) = list(_run(pages).event_pages("d1"))
    assert page["uid"] == ["e0", "e1"]
    np.testing.assert_array_equal(page["data"]["a"], [1.0, 3.0])
    np.testing.assert_array_equal(page["data"]["b"], [2.0, 4.0])
    assert page["data"]["a"].dtype == np.float64


def test_one_row_pages_keep_non_float_columns_as_they_came() -> None:
    """Strings, ints and arrays in one-event pages keep their own column types [fix]."""
    pages = [_page(i, {"x": 0.5 * i, "n": i, "s": f"id{i}", "v": [i, i]}) for i in range(3)]
    (page,) = list(_run(pages).event_pages("d1"))
    np.testing.assert_array_equal(page["data"]["x"], [0.0, 0.5, 1.0])
    assert page["data"]["n"].dtype.kind == "i"
    assert page["data"]["s"] == ["id0", "id1", "id2"]
    np.testing.assert_array_equal(page["data"]["v"], [[0, 0], [1, 1], [2, 2]])


def test_one_row_page_with_a_two_value_column_is_refused() -> None:
    """A page of one uid whose data column holds two values is malformed [fix]."""
    bad = _page(1, {"a": 1.0})
    bad["data"]["a"] = [1.0, 2.0]
    with pytest.raises(InvalidDocument, match="2 values for 1 rows"):
        _run([_page(0, {"a": 1.0}), bad])


def test_one_row_page_with_tuple_columns_is_merged_too() -> None:
    """A one-event page of tuples (not lists) is checked the slow way and still merged [compat]."""
    other = _page(1, {"a": 3.0})
    other["data"]["a"] = (3.0,)
    (page,) = list(_run([_page(0, {"a": 1.0}), other]).event_pages("d1"))
    np.testing.assert_array_equal(page["data"]["a"], [1.0, 3.0])


def test_one_row_pages_with_other_keys_start_a_new_page() -> None:
    """A one-event page with other data keys starts a new page [compat]."""
    pages = [_page(0, {"a": 1.0}), _page(1, {"a": 2.0}), _page(2, {"c": 5.0})]
    first, second = _run(pages).event_pages("d1")
    np.testing.assert_array_equal(first["data"]["a"], [1.0, 2.0])
    np.testing.assert_array_equal(second["data"]["c"], [5.0])


def test_one_row_page_resent_identically_is_kept_once() -> None:
    """The same one-event page sent twice is stored once [compat]."""
    pages = [_page(0, {"a": 1.0}), _page(1, {"a": 2.0}), _page(1, {"a": 2.0})]
    (page,) = list(_run(pages).event_pages("d1"))
    np.testing.assert_array_equal(page["data"]["a"], [1.0, 2.0])


def _batched(pages: list[dict[str, Any]]) -> RunDocuments:
    run = _run([])
    assert run.add_one_row_pages(pages)
    return run


def _stored(run: RunDocuments) -> list[dict[str, Any]]:
    return [
        {
            **page,
            "data": {k: list(np.asarray(v)) for k, v in page["data"].items()},
            "timestamps": {k: list(np.asarray(v)) for k, v in page["timestamps"].items()},
            "time": list(np.asarray(page["time"])),
        }
        for page in run.event_pages("d1")
    ]


def test_one_row_pages_added_at_once_are_stored_as_added_one_by_one() -> None:
    """Adding a batch of one-event pages gives the pages adding them singly gives [new]."""
    pages = [_page(i, {"x": 0.5 * i, "n": i, "s": f"id{i}"}) for i in range(20)]
    assert _stored(_batched(pages)) == _stored(_run(pages))
    run = _batched(pages[:10])
    assert run.add_one_row_pages(pages[10:])  # continues the page being grown
    assert _stored(run) == _stored(_run(pages))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda page: page["data"].__setitem__("x", [1.0, 2.0]),
        lambda page: page["data"].__setitem__("x", "a"),
        lambda page: page["timestamps"].pop("x"),
        lambda page: page.__setitem__("uid", ["e1"]),  # the uid of another page
        lambda page: page.__setitem__("descriptor", "d2"),
        lambda page: page.__setitem__("time", [float("nan")]),
        lambda page: page.__setitem__("seq_num", [1.5]),
        lambda page: page.__setitem__("filled", {"x": [False]}),
        lambda page: page["data"].__setitem__("y", [1.0]),
    ],
)
def test_a_batch_with_one_unusual_page_is_left_to_the_single_path(spoil: Any) -> None:
    """One page the single-page checks would look closer at makes the whole batch refused,
    adding nothing, so that adding one by one says what is wrong [new]."""
    pages = [_page(i, {"x": 0.5 * i}) for i in range(10)]
    spoil(pages[6])
    run = _run([])
    assert not run.add_one_row_pages(pages)
    assert list(run.event_pages("d1")) == []


def test_a_batch_repeating_a_uid_already_added_is_refused() -> None:
    """Pages whose uid the run already has go one by one (to be compared) [new]."""
    pages = [_page(i, {"x": 0.5 * i}) for i in range(10)]
    run = _batched(pages[:5])
    assert not run.add_one_row_pages(pages[4:])
