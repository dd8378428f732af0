"""Bad values in stored events: our typed errors naming field, seq_num, descriptor and run."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import event_model
import pytest

from databroker.errors import (
    DatabrokerError,
    InvalidDocument,
    InvalidEventData,
    InvalidEventType,
    MissingEventData,
)

Docs = list[tuple[str, dict[str, Any]]]

DATA_KEYS = {
    "x": {"dtype": "number", "shape": [], "source": "sim"},
    "n": {"dtype": "integer", "shape": [], "source": "sim"},
    "s": {"dtype": "string", "shape": [], "source": "sim"},
    "f": {"dtype": "boolean", "shape": [], "source": "sim"},
    "a": {"dtype": "array", "shape": [3], "source": "sim"},
}


def run_documents(events: int = 3, *, pages: bool = False) -> Docs:
    """A run of ``events`` events (one event page when ``pages``) with one field per dtype."""
    bundle = event_model.compose_run(uid="run-bad", time=1.0)
    documents: Docs = [("start", bundle.start_doc)]
    data_keys = copy.deepcopy(DATA_KEYS)
    descriptor = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=1.0)
    documents.append(("descriptor", descriptor.descriptor_doc))
    composed = [
        descriptor.compose_event(
            data={"x": 5.0 + i, "n": i, "s": f"v{i}", "f": True, "a": [1.0, 2.0, 3.0]},
            timestamps={key: 1.0 + i for key in DATA_KEYS},
            seq_num=i + 1,
            time=1.0 + i,
        )
        for i in range(events)
    ]
    if pages:
        documents.append(("event_page", event_model.pack_event_page(*composed)))
    else:
        documents.extend(("event", event) for event in composed)
    documents.append(("stop", bundle.compose_stop(time=10.0)))
    return documents


def read_primary(documents: Docs, backend: str, tmp_path: Any) -> Any:
    """Store the documents in a catalog of ``backend`` and read the primary stream."""
    if backend == "memory":
        from databroker.in_memory import BlueskyInMemoryCatalog

        catalog: Any = BlueskyInMemoryCatalog()
    else:
        from databroker._drivers.msgpack import BlueskyMsgpackCatalog

        catalog = BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"))
    try:
        serializer = catalog._get_serializer()
        for name, doc in documents:
            serializer(name, doc)
        catalog.force_reload()
        return catalog["run-bad"].primary.read()
    finally:
        catalog.close()


def _event(documents: Docs, index: int = 2) -> dict[str, Any]:
    return [doc for name, doc in documents if name == "event"][index]


def _set(key: str, value: Any, field: str | None = None) -> Callable[[Docs], None]:
    def mutate(documents: Docs) -> None:
        event = _event(documents)
        if field is None:
            event[key] = value
        else:
            event[key][field] = value

    return mutate


CONTRADICTIONS = {
    "string in number": ("x", "oops"),
    "string in integer": ("n", "oops"),
    "number in string": ("s", 5),
    "string in boolean": ("f", "yes"),
    "string in array": ("a", "oops"),
    "None in number": ("x", None),
    "mapping in number": ("x", {"a": 1}),
}


@pytest.mark.parametrize("backend", ["memory", "msgpack"])
@pytest.mark.parametrize("case", sorted(CONTRADICTIONS))
def test_value_contradicting_dtype_raises(case: str, backend: str, tmp_path: Any) -> None:
    """[fix] A value contradicting its DataKey dtype raises InvalidEventData naming it all."""
    field, value = CONTRADICTIONS[case]
    documents = run_documents()
    _set("data", value, field)(documents)
    with pytest.raises(InvalidEventData) as info:
        read_primary(documents, backend, tmp_path)
    message = str(info.value)
    descriptor = documents[1][1]["uid"]
    assert f"Field {field!r}" in message and "seq_num 3" in message
    assert descriptor in message and "'run-bad'" in message
    assert _event(documents)["uid"] in message
    assert isinstance(info.value, ValueError)
    if backend == "msgpack":
        assert ".msgpack" in message


def test_number_column_is_not_turned_into_strings(tmp_path: Any) -> None:
    """[fix] ['5.0', '6.0', 'oops'] is never returned for a number field: it raises instead."""
    documents = run_documents()
    _set("data", "oops", "x")(documents)
    with pytest.raises(InvalidEventData, match=r"'oops' \(str\)"):
        read_primary(documents, "memory", tmp_path)


def test_good_values_of_every_dtype_read(tmp_path: Any) -> None:
    """[compat] Values agreeing with their dtypes read as before (ints stay int64, strings <U)."""
    dataset = read_primary(run_documents(), "memory", tmp_path)
    assert dataset["x"].values.tolist() == [5.0, 6.0, 7.0]
    assert dataset["n"].dtype.kind == "i" and dataset["s"].dtype.kind == "U"
    assert dataset["a"].shape == (3, 3)


ROW_CASES: dict[str, tuple[str, Any, type[Exception]]] = {
    "seq_num 2**63": ("seq_num", 2**63, OverflowError),
    "seq_num NaN": ("seq_num", math.nan, ValueError),
    "seq_num inf": ("seq_num", math.inf, OverflowError),
    "seq_num None": ("seq_num", None, TypeError),
    "seq_num empty string": ("seq_num", "", ValueError),
    "time oops": ("time", "oops", ValueError),
    "time mapping": ("time", {}, TypeError),
    "time 10**400": ("time", 10**400, OverflowError),
}


@pytest.mark.parametrize("backend", ["memory", "msgpack"])
@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_bad_time_or_seq_num_raises_ours(case: str, backend: str, tmp_path: Any) -> None:
    """[fix] A bad event seq_num/time raises our error naming key, event and descriptor: the
    store refuses a malformed document (InvalidDocument, with the file and record for files),
    the assembly a well-formed one it cannot hold (InvalidEventData)."""
    key, value, _ = ROW_CASES[case]
    if backend == "msgpack" and value == 10**400:
        pytest.skip("msgpack cannot store integers beyond 64 bits")
    documents = run_documents()
    _set(key, value)(documents)
    with pytest.raises((InvalidDocument, InvalidEventData)) as info:
        read_primary(documents, backend, tmp_path)
    message = str(info.value)
    assert f"{key!r}" in message and documents[1][1]["uid"] in message
    assert "run-bad" in message or ".msgpack" in message


def _drop_page_key(key: str) -> Callable[[Docs], None]:
    def mutate(documents: Docs) -> None:
        page = next(doc for name, doc in documents if name == "event_page")
        del page[key]

    return mutate


@pytest.mark.parametrize("key", ["time", "seq_num", "data"])
def test_page_without_required_key_raises_missing(key: str, tmp_path: Any) -> None:
    """[fix] An event page lacking time/seq_num/data is refused by the store, naming the key
    and the descriptor (InvalidDocument, a ValueError)."""
    documents = run_documents(pages=True)
    _drop_page_key(key)(documents)
    with pytest.raises(InvalidDocument) as info:
        read_primary(documents, "memory", tmp_path)
    assert f"{key!r}" in str(info.value) and documents[1][1]["uid"] in str(info.value)


def test_page_with_short_column_raises(tmp_path: Any) -> None:
    """[fix] A page whose data list is shorter than its time list raises, naming the field."""
    documents = run_documents(pages=True)
    page = next(doc for name, doc in documents if name == "event_page")
    page["data"]["x"] = page["data"]["x"][:2]
    with pytest.raises(InvalidDocument, match=r"'x'"):
        read_primary(documents, "memory", tmp_path)


def test_descriptor_without_data_keys_raises(tmp_path: Any) -> None:
    """[fix] A descriptor without data_keys is refused, naming the descriptor."""
    documents = run_documents()
    del documents[1][1]["data_keys"]
    with pytest.raises((InvalidDocument, MissingEventData), match=documents[1][1]["uid"]):
        read_primary(documents, "memory", tmp_path)


@pytest.mark.parametrize(
    "data_key", [{"dtype": "number", "shape": "oops"}, "oops", {"dtype": 5, "shape": []}]
)
def test_malformed_data_key_raises(data_key: Any, tmp_path: Any) -> None:
    """[fix] A DataKey that is not a mapping, or has a bad shape/dtype, raises ours."""
    documents = run_documents()
    documents[1][1]["data_keys"]["x"] = data_key
    with pytest.raises((InvalidDocument, InvalidEventType), match=r"'x'"):
        read_primary(documents, "memory", tmp_path)


@pytest.mark.parametrize(
    ("value", "error"), [(5, InvalidEventData), ([1, 2], InvalidEventData), ("oops", KeyError)]
)
def test_bad_datum_id_raises_naming_field(value: Any, error: type, tmp_path: Any) -> None:
    """[fix] An unfilled external value that is no (known) datum id raises ours, naming field."""
    documents = run_documents()
    documents[1][1]["data_keys"]["x"]["external"] = "FILESTORE:"
    for event in (doc for name, doc in documents if name == "event"):
        event["filled"] = {"x": False}
        event["data"]["x"] = "no-such-datum" if value != "oops" else value
    _set("data", value, "x")(documents)
    with pytest.raises(DatabrokerError) as info:
        read_primary(documents, "memory", tmp_path)
    assert isinstance(info.value, error)
    assert "'x'" in str(info.value)
    if error is InvalidEventData:
        assert "seq_num 3" in str(info.value)
