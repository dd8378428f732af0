"""What the served catalog compresses: element-size-aware blosc2 where it pays, nothing where
it does not, decoded by the stock client unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import event_model
import numpy as np
import pytest

from databroker.testing.backends import storage

from .conftest import T0

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

EVENTS = 10
SHAPE = (64, 64)


def _write_run(write: Any, directory: Path, rng: np.random.Generator) -> str:
    """A run of 12-bit frames in uint16 NPY_SEQ files and float64 noise in its events."""
    directory.mkdir()
    for index in range(EVENTS):
        np.save(directory / f"img_{index}.npy", rng.integers(0, 4096, SHAPE, dtype=np.uint16))
    bundle = event_model.compose_run(time=T0)
    write("start", bundle.start_doc)
    resource = bundle.compose_resource(
        spec="NPY_SEQ", root=str(directory), resource_path="img", resource_kwargs={}
    )
    write("resource", resource.resource_doc)
    datum_page = resource.compose_datum_page(datum_kwargs={"index": list(range(EVENTS))})
    write("datum_page", datum_page)
    keys = {
        "frame": {
            "source": "sim",
            "dtype": "array",
            "dtype_numpy": "<u2",
            "shape": list(SHAPE),
            "external": "FILESTORE:",
        },
        "noise": {"source": "sim", "dtype": "array", "shape": [1000]},
    }
    stream = bundle.compose_descriptor(name="primary", data_keys=keys, time=T0)
    write("descriptor", stream.descriptor_doc)
    for i, datum_id in enumerate(datum_page["datum_id"], start=1):
        data = {"frame": datum_id, "noise": rng.standard_normal(1000).tolist()}
        event = stream.compose_event(
            data=data,
            timestamps=dict.fromkeys(data, T0 + i),
            filled={"frame": False},
            seq_num=i,
            time=T0 + i,
        )
        write("event", event)
    write("stop", bundle.compose_stop(time=T0 + 100))
    return str(bundle.start_doc["uid"])


@pytest.fixture
def numbers(tmp_path: Path) -> Iterator[tuple[Any, str, Any]]:
    """The run of :func:`_write_run`: its catalog, uid and the stock client of the catalog
    served in process."""
    from tiled.client import from_context
    from tiled.client.context import Context

    from databroker._tiled import build_app, tree

    place = storage("msgpack", tmp_path / "runs")
    catalog = place.catalog()
    uid = _write_run(catalog._get_serializer(), tmp_path / "frames", np.random.default_rng(16))
    catalog.force_reload()
    context = Context.from_app(build_app(tree(catalog=catalog), api_key="k"), api_key="k")
    yield catalog, uid, from_context(context)
    context.close()
    catalog.close()


def _get(client: Any, uid: str, field: str) -> Any:
    path = f"/api/v1/array/full/{uid}/primary/data/{field}"
    return client.context.http_client.get(path, headers={"Accept": "application/octet-stream"})


def test_twelve_bit_frames_compressed_by_element(numbers: Any) -> None:
    """[new] 12-bit frames in uint16 are sent blosc2-compressed with 2-byte shuffling (at least
    1.3x smaller; byte-wise compression gives 1.2x) and decode to the same frames."""
    catalog, uid, client = numbers
    response = _get(client, uid, "frame")
    assert response.headers["content-encoding"] == "blosc2"
    raw = EVENTS * int(np.prod(SHAPE)) * 2
    assert len(response.content) == raw  # decoded by the stock client's blosc2 decoder
    assert int(response.headers["content-length"]) * 1.3 <= raw
    local = catalog[uid].primary.read()["frame"].values
    np.testing.assert_array_equal(client[uid].primary.read()["frame"].values, local)


def test_incompressible_noise_sent_as_is(numbers: Any) -> None:
    """[new] Float noise, which compresses less than 1.1x, is sent without an encoding."""
    catalog, uid, client = numbers
    response = _get(client, uid, "noise")
    assert "content-encoding" not in response.headers
    local = catalog[uid].primary.read()["noise"].values
    np.testing.assert_array_equal(client[uid].primary.read()["noise"].values, local)


def test_settings_chosen_on_a_sample() -> None:
    """[new] The sample picks the element size of the numbers, and refuses random bytes."""
    import blosc2

    from databroker._tiled.codecs import choose_blosc2

    rng = np.random.default_rng(3)
    frames = rng.integers(0, 4096, (20, 256, 256), dtype=np.uint16)
    chosen = choose_blosc2(memoryview(frames).cast("B"))
    assert chosen is not None and chosen["typesize"] == 2
    assert chosen["codec"] == blosc2.Codec.LZ4
    assert choose_blosc2(rng.integers(0, 256, 2**20, dtype=np.uint8).tobytes()) is None
    assert choose_blosc2(b"\x00" * 1001) is not None  # odd length: whole bytes only
