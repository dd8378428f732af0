"""Filling through the Filler (documents(fill='yes'), v1) raises the errors read() raises."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

from databroker.errors import (
    BrokenReference,
    ExternalFileNotFound,
    HandlerError,
    InvalidEventData,
    UnknownHandlerSpec,
)

bluesky = pytest.importorskip("bluesky")

Docs = list[tuple[str, dict[str, Any]]]


def _recorded(tmp_path: Path) -> Docs:
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import SynSignalWithRegistry

    img = SynSignalWithRegistry(func=lambda: np.ones((4, 5)), name="img", save_path=str(tmp_path))
    documents: Docs = []
    RunEngine({})(count([img], 2), lambda name, doc: documents.append((name, doc)))
    return documents


def _catalog(documents: Docs, **kwargs: Any) -> Any:
    from databroker.in_memory import BlueskyInMemoryCatalog

    catalog = BlueskyInMemoryCatalog(**kwargs)
    serializer = catalog._get_serializer()
    for name, doc in documents:
        serializer(name, doc)
    catalog.force_reload()
    return catalog


def _run(documents: Docs, **kwargs: Any) -> Any:
    return _catalog(documents, **kwargs)[documents[0][1]["uid"]]


def _fill_all(run: Any) -> None:
    for _ in run.documents(fill="yes"):
        pass


def _remove_files(documents: Docs) -> str:
    resource = next(doc for name, doc in documents if name == "resource")
    for path in Path(resource["root"]).iterdir():
        os.remove(path)
    return resource["root"]


def test_missing_file_same_error_as_read(tmp_path: Path) -> None:
    """[fix] documents(fill='yes') on a missing file raises read()'s ExternalFileNotFound."""
    documents = _recorded(tmp_path)
    root = _remove_files(documents)
    run = _run(documents)
    with pytest.raises(ExternalFileNotFound) as read_error:
        run.primary.read()
    with pytest.raises(ExternalFileNotFound) as fill_error:
        _fill_all(run)
    assert isinstance(fill_error.value, event_model.DataNotAccessible)
    assert isinstance(fill_error.value, FileNotFoundError)
    for error in (read_error.value, fill_error.value):
        assert root in str(error) and "root_map={" in str(error)
        assert documents[0][1]["uid"] in str(error)


def test_unknown_spec_same_error_as_read(tmp_path: Path) -> None:
    """[fix] documents(fill='yes') with no handler raises UnknownHandlerSpec, as read() does."""
    run = _run(_recorded(tmp_path), handler_registry={})
    with pytest.raises(UnknownHandlerSpec):
        run.primary.read()
    with pytest.raises(UnknownHandlerSpec, match=r"'NPY_SEQ'.*register_handler") as info:
        _fill_all(run)
    assert isinstance(info.value, event_model.UndefinedAssetSpecification)
    assert "field 'img'" in str(info.value)


class _Failing:
    def __init__(self, path: str, **kwargs: Any) -> None:
        pass

    def __call__(self, **kwargs: Any) -> Any:
        raise ValueError("bad frame")


def test_handler_error_names_field_and_resource(tmp_path: Path) -> None:
    """[fix] A handler failing while filling raises HandlerError naming field and resource."""
    documents = _recorded(tmp_path)
    run = _run(documents, handler_registry={"NPY_SEQ": _Failing})
    with pytest.raises(HandlerError) as read_error:
        run.primary.read()
    with pytest.raises(HandlerError, match=r"ValueError: bad frame.*'img'") as info:
        _fill_all(run)
    assert isinstance(info.value, event_model.DataNotAccessible)
    resource = next(doc for name, doc in documents if name == "resource")
    assert resource["uid"] in str(info.value) and resource["uid"] in str(read_error.value)


def test_unknown_datum_is_broken_reference(tmp_path: Path) -> None:
    """[fix] An event naming an unknown datum raises BrokenReference (and event-model's)."""
    documents = [(n, d) for n, d in _recorded(tmp_path) if n != "datum"]
    run = _run(documents)
    with pytest.raises(BrokenReference) as info:
        _fill_all(run)
    assert isinstance(info.value, event_model.UnresolvableForeignKeyError)
    assert "'img'" in str(info.value) and isinstance(info.value, KeyError)


def test_event_lacking_external_key_is_invalid(tmp_path: Path) -> None:
    """[fix] An event without the value of an external key raises InvalidEventData."""
    documents = _recorded(tmp_path)
    event = next(doc for name, doc in documents if name == "event")
    del event["data"]["img"]
    del event["timestamps"]["img"]
    run = _run(documents)
    with pytest.raises(InvalidEventData) as info:
        _fill_all(run)
    assert isinstance(info.value, event_model.MismatchedDataKeys)
    assert "'img'" in str(info.value) and event["uid"] in str(info.value)


def test_v1_reads_raise_the_same_error(tmp_path: Path) -> None:
    """[fix] v1 table(fill=True), Header.data and get_images raise ExternalFileNotFound."""
    from databroker.v1 import Broker

    documents = _recorded(tmp_path)
    root = _remove_files(documents)
    db = Broker(_catalog(documents))
    header = db[documents[0][1]["uid"]]
    with pytest.raises(ExternalFileNotFound, match=root):
        header.table(fill=True)
    with pytest.raises(ExternalFileNotFound, match=root):
        list(header.data("img"))
    with pytest.raises(ExternalFileNotFound, match=root), pytest.warns(UserWarning):
        db.get_images(header, "img")[0]
