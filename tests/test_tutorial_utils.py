"""databroker.tutorial_utils: the 1.x example-data downloaders, served from a local URL."""

from __future__ import annotations

import functools
import http.server
import io
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import event_model
import pytest

import databroker
from databroker import tutorial_utils
from databroker._config import discovery as discovery_impl
from databroker._stores.files.writers import MsgpackWriter
from databroker.errors import CorruptFileError, InvalidArgument, ServerUnreachable

NAME = "bluesky-tutorial-BMM"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on a free loopback port: ``(directory, base URL)``."""
    directory = tmp_path / "served"
    directory.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield directory, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """intake's catalog directories and the config path under tmp_path; nothing built yet."""
    import intake.catalog.default

    user, site = tmp_path / "intake", tmp_path / "site"
    monkeypatch.setattr(intake.catalog.default, "user_data_dir", lambda: str(user))
    monkeypatch.setattr(intake.catalog.default, "global_data_dir", lambda: str(site))
    monkeypatch.setenv("DATABROKER_CONFIG_PATH", str(tmp_path / "configs"))
    monkeypatch.setattr(discovery_impl, "_built", {})
    for name in ("catalog", "yaml_catalogs"):
        monkeypatch.delitem(vars(databroker), name, raising=False)
    return user


def _pack(directory: Path) -> str:
    """A packed catalog in ``directory`` (documents/ and a catalog.yml); return the run uid."""
    bundle = event_model.compose_run(metadata={"scan_id": 23463})
    descriptor = bundle.compose_descriptor(
        name="primary", data_keys={"I0": {"source": "sim", "dtype": "number", "shape": []}}
    )
    with MsgpackWriter(directory / "documents") as writer:
        writer("start", bundle.start_doc)
        writer("descriptor", descriptor.descriptor_doc)
        for value in (13.0, 12.5):
            writer("event", descriptor.compose_event(data={"I0": value}, timestamps={"I0": 0}))
        writer("stop", bundle.compose_stop())
    (directory / "catalog.yml").write_text(
        f"sources:\n  {NAME}:\n    driver: bluesky-msgpack-catalog\n"
        "    args: {paths: ['./documents/*.msgpack'], root_map: {/GPFS/bmm: ./external}}\n"
    )
    return bundle.start_doc["uid"]


def _zip(source: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(source.rglob("*")):
            zipped.write(path, path.relative_to(source))


def test_fetch_bmm_example_from_local_url(tmp_path, served, places):
    """[compat] fetch_BMM_example() downloads, unpacks and installs the catalog; databroker.catalog
    (already built) lists it at once; relative paths become absolute."""
    served_dir, base = served
    packed = tmp_path / "pack"
    uid = _pack(packed)
    _zip(packed, served_dir / "bmm.zip")
    assert list(databroker.catalog) == []
    data = tmp_path / "data"
    catalog = tutorial_utils.fetch_BMM_example(url=f"{base}/bmm.zip", directory=data)
    assert list(catalog) == [uid]
    assert catalog[23463].primary.read()["I0"].values.tolist() == [13.0, 12.5]
    assert catalog.root_map == {"/GPFS/bmm": str(data / NAME / "external")}
    assert (places / f"{NAME}.yml").is_file()
    assert list(databroker.catalog[NAME]) == [uid]
    # Unpacked once: a second call needs no server.
    (served_dir / "bmm.zip").unlink()
    assert list(tutorial_utils.fetch_BMM_example(url=f"{base}/bmm.zip", directory=data)) == [uid]


def test_fetch_rsoxs_example_tar_without_catalog_file(tmp_path, served, places):
    """[compat] fetch_RSOXS_example() accepts a tar archive; without a catalog file the
    document files are found."""
    served_dir, base = served
    packed = tmp_path / "pack"
    uid = _pack(packed)
    (packed / "catalog.yml").unlink()
    with tarfile.open(served_dir / "rsoxs.tar.gz", "w:gz") as tarred:
        tarred.add(packed / "documents", arcname="RSOXS/documents")
    catalog = tutorial_utils.fetch_RSOXS_example(
        url=f"{base}/rsoxs.tar.gz", directory=tmp_path / "data"
    )
    assert list(catalog) == [uid]
    assert list(databroker.catalog["bluesky-tutorial-RSOXS"]) == [uid]


def test_no_network_is_server_unreachable(tmp_path, places):
    """[fix] Without a reachable server: ServerUnreachable (a ConnectionError) naming the URL;
    nothing is left behind."""
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/bmm.zip"
    with pytest.raises(ServerUnreachable, match=f"127.0.0.1:{port}") as info:
        tutorial_utils.fetch_BMM_example(url=url, directory=tmp_path / "data", timeout=5)
    assert isinstance(info.value, ConnectionError)
    assert list((tmp_path / "data").iterdir()) == []
    assert not places.exists()


def test_http_error_and_bad_archive(tmp_path, served, places):
    """[fix] An HTTP error or a download that is no archive raise our errors naming the URL."""
    served_dir, base = served
    with pytest.raises(ServerUnreachable, match="404"):
        tutorial_utils.fetch_BMM_example(url=f"{base}/missing.zip", directory=tmp_path)
    (served_dir / "page.zip").write_bytes(b"<html>not an archive</html>")
    with pytest.raises(CorruptFileError, match="not a zip or tar"):
        tutorial_utils.fetch_BMM_example(url=f"{base}/page.zip", directory=tmp_path / "d")
    assert list((tmp_path / "d").iterdir()) == []
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zipped:
        zipped.writestr("../escaped.txt", "x")
    (served_dir / "evil.zip").write_bytes(evil.getvalue())
    with pytest.raises(CorruptFileError, match="outside"):
        tutorial_utils.fetch_BMM_example(url=f"{base}/evil.zip", directory=tmp_path / "e")
    assert not (tmp_path / "escaped.txt").exists()


def test_only_version_1(tmp_path):
    """[compat] Only version 1 of the examples exists."""
    with pytest.raises(InvalidArgument, match="version 1"):
        tutorial_utils.fetch_BMM_example(version=2, directory=tmp_path)


def test_default_urls():
    """[compat] The default URLs are the published example archives."""
    assert tutorial_utils.BMM_URL.endswith("/bluesky-tutorial-example-data/BMM-example-v1.zip")
    assert tutorial_utils.RSOXS_URL.endswith("/RSOXS-example-v1.zip")
