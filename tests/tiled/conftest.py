"""Served catalogs for the Tiled façade tests: documents written once, read in process and
over HTTP with the stock client (bluesky-tiled-plugins)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

pytest.importorskip("tiled.server", reason="the Tiled façade needs databroker[server]")
pytest.importorskip("bluesky_tiled_plugins", reason="the Tiled façade needs databroker[server]")

from databroker.testing.backends import mongo_client, storage

#: The backends served: both file formats and both Mongo layouts (mongomock, in process).
SERVED = ["jsonl", "msgpack", "mongo-embedded", "mongo-normalized"]
FRAMES = 20
FRAME_SHAPE = (8, 6)
T0 = 1_700_000_000.0


def write_scalar_run(serializer: Any, scan_id: int, time: float, sample: str) -> str:
    """Write one run of 5 events of two scalar fields; return its uid."""
    bundle = event_model.compose_run(
        time=time, metadata={"scan_id": scan_id, "sample": sample, "plan_name": "count"}
    )
    serializer("start", bundle.start_doc)
    data_keys = {
        "x": {"source": "sim", "dtype": "number", "shape": []},
        "y": {"source": "sim", "dtype": "number", "shape": []},
    }
    stream = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=time)
    serializer("descriptor", stream.descriptor_doc)
    for i in range(5):
        t = time + i + 1
        serializer(
            "event",
            stream.compose_event(
                data={"x": float(i), "y": float(i * i)},
                timestamps={"x": t, "y": t},
                seq_num=i + 1,
                time=t,
            ),
        )
    serializer("stop", bundle.compose_stop(time=time + 10))
    return bundle.start_doc["uid"]


def write_image_run(serializer: Any, directory: Path, time: float) -> tuple[str, list[Path]]:
    """Write a run of FRAMES frames in NPY_SEQ files under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(FRAMES):
        path = directory / f"img_{index}.npy"
        np.save(path, np.full(FRAME_SHAPE, index, dtype=np.uint16))
        files.append(path)
    bundle = event_model.compose_run(time=time, metadata={"scan_id": 100, "plan_name": "images"})
    serializer("start", bundle.start_doc)
    resource = bundle.compose_resource(
        spec="NPY_SEQ", root=str(directory), resource_path="img", resource_kwargs={}
    )
    serializer("resource", resource.resource_doc)
    datum_page = resource.compose_datum_page(datum_kwargs={"index": list(range(FRAMES))})
    serializer("datum_page", datum_page)
    data_keys = {
        "img": {
            "source": "sim",
            "dtype": "array",
            "dtype_numpy": np.dtype(np.uint16).str,
            "shape": list(FRAME_SHAPE),
            "external": "FILESTORE:",
        }
    }
    stream = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=time)
    serializer("descriptor", stream.descriptor_doc)
    times = [time + 0.1 * (i + 1) for i in range(FRAMES)]
    serializer(
        "event_page",
        stream.compose_event_page(
            data={"img": list(datum_page["datum_id"])},
            timestamps={"img": times},
            seq_num=list(range(1, FRAMES + 1)),
            filled={"img": [False] * FRAMES},
            time=times,
        ),
    )
    serializer("stop", bundle.compose_stop(time=time + 100))
    return bundle.start_doc["uid"], files


class Served:
    """A catalog of three scalar runs and one image run, written into one backend."""

    def __init__(self, backend: str, directory: Path) -> None:
        client = mongo_client() if backend.startswith("mongo") else None
        self.place = storage(backend, directory / "runs", client=client)
        self.catalog = self.place.catalog()
        serializer = self.catalog._get_serializer()
        self.scalar_uids = [
            write_scalar_run(serializer, 1, T0, "Si"),
            write_scalar_run(serializer, 2, T0 + 86_400, "Ni"),
            write_scalar_run(serializer, 3, T0 + 2 * 86_400, "Si"),
        ]
        self.image_uid, self.files = write_image_run(
            serializer, directory / "frames", T0 + 3 * 86_400
        )
        self.catalog.force_reload()

    def close(self) -> None:
        self.place.drop()
        self.catalog.close()


@pytest.fixture(params=SERVED)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """Runs written into the backend under test."""
    catalog = Served(request.param, tmp_path)
    yield catalog
    catalog.close()


@pytest.fixture
def client(served: Served) -> Any:
    """The stock Tiled client of the served catalog, in process (no socket)."""
    from tiled.client import from_context
    from tiled.client.context import Context

    from databroker._tiled import build_app, tree

    app = build_app(tree(catalog=served.catalog), api_key="secret")
    context = Context.from_app(app, api_key="secret")
    yield from_context(context)
    context.close()


def free_port() -> int:
    """A TCP port free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
