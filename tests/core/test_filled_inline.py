"""Events whose external fields were filled when stored (a pack tool's "fill external" mode)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

bluesky = pytest.importorskip("bluesky")

FRAMES = [np.arange(12.0).reshape(3, 4) + 100 * i for i in range(3)]


def _recorded(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """RE(count([img], 3)) whose frames (NPY_SEQ files in tmp_path) are FRAMES in order."""
    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import SynSignalWithRegistry

    img = SynSignalWithRegistry(func=lambda: FRAMES[0], name="img", save_path=str(tmp_path))
    documents: list[tuple[str, dict[str, Any]]] = []
    RunEngine({})(count([img], 3), lambda name, doc: documents.append((name, copy.deepcopy(doc))))
    # Rewrite each frame's file so that frame i holds FRAMES[i].
    resource = next(doc for name, doc in documents if name == "resource")
    datum = [doc for name, doc in documents if name == "datum"]
    for i, doc in enumerate(datum):
        path = Path(
            resource["root"], f"{resource['resource_path']}_{doc['datum_kwargs']['index']}.npy"
        )
        np.save(path, FRAMES[i])
    return documents


def _filled_inline(tmp_path: Path, flag: str) -> list[tuple[str, dict[str, Any]]]:
    """The run with every event's img replaced by its array; filled = datum id or True."""
    documents = _recorded(tmp_path)
    events = [doc for name, doc in documents if name == "event"]
    for doc, frame in zip(events, FRAMES, strict=True):
        datum_id = doc["data"]["img"]
        doc["data"]["img"] = frame.tolist()
        doc["filled"] = {"img": datum_id if flag == "datum_id" else True}
    return documents


def _catalog(backend: str, tmp_path: Path, documents: list[tuple[str, dict[str, Any]]]) -> Any:
    if backend == "memory":
        from databroker.in_memory import BlueskyInMemoryCatalog

        catalog: Any = BlueskyInMemoryCatalog()
    else:
        from databroker._drivers.msgpack import BlueskyMsgpackCatalog

        (tmp_path / "runs").mkdir()
        catalog = BlueskyMsgpackCatalog(str(tmp_path / "runs" / "*.msgpack"))
    serializer = catalog._get_serializer()
    for name, doc in documents:
        serializer(name, doc)
    catalog.force_reload()
    return catalog


@pytest.fixture(params=["memory", "msgpack"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["datum_id", "true"])
def inline_catalog(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Any:
    files = tmp_path / "files"
    files.mkdir()
    documents = _filled_inline(files, request.param)
    # The files are gone: only the inline arrays can give the values.
    for path in files.iterdir():
        path.unlink()
    catalog = _catalog(backend, tmp_path, documents)
    catalog._test_uid = documents[0][1]["uid"]
    yield catalog
    catalog.close()


def test_read_gives_inline_arrays(inline_catalog: Any) -> None:
    """[fix] read() of events filled when stored gives their arrays (1.x clients' packs)."""
    dataset = inline_catalog[inline_catalog._test_uid].primary.read()
    np.testing.assert_array_equal(dataset["img"].values, np.stack(FRAMES))


def test_to_dask_gives_inline_arrays(inline_catalog: Any) -> None:
    """[fix] to_dask() of events filled when stored computes to their arrays."""
    dataset = inline_catalog[inline_catalog._test_uid].primary.to_dask()
    np.testing.assert_array_equal(dataset["img"].values, np.stack(FRAMES))


def test_documents_fill_yes_keeps_inline_arrays(inline_catalog: Any) -> None:
    """[compat] documents(fill='yes') passes events filled when stored through unchanged."""
    run = inline_catalog[inline_catalog._test_uid]
    pages = [doc for name, doc in run.documents(fill="yes") if name == "event_page"]
    values = [np.asarray(v) for page in pages for v in page["data"]["img"]]
    np.testing.assert_array_equal(np.stack(values), np.stack(FRAMES))


def test_v1_table_fill_gives_inline_arrays(inline_catalog: Any) -> None:
    """[compat] v1 table(fill=True) of events filled when stored gives their arrays."""
    from databroker.v1 import Broker

    header = Broker(inline_catalog)[inline_catalog._test_uid]
    table = header.table(fill=True)
    np.testing.assert_array_equal(np.stack([np.asarray(v) for v in table["img"]]), FRAMES)


def test_mixed_filled_and_unfilled_rows(tmp_path: Path) -> None:
    """[fix] Rows filled when stored and rows referencing files read together, in order."""
    files = tmp_path / "files"
    files.mkdir()
    documents = _recorded(files)
    event = [doc for name, doc in documents if name == "event"][1]
    event["data"]["img"] = (FRAMES[1] * -1).tolist()
    event["filled"] = {"img": True}
    catalog = _catalog("memory", tmp_path, documents)
    run = catalog[documents[0][1]["uid"]]
    expected = np.stack([FRAMES[0], -FRAMES[1], FRAMES[2]])
    np.testing.assert_array_equal(run.primary.read()["img"].values, expected)
    np.testing.assert_array_equal(run.primary.to_dask()["img"].values, expected)
