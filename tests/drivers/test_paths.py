"""File catalog paths as users write them: directories, ~, $VARS, and mismatched globs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import event_model
import pytest

from databroker._drivers.jsonl import BlueskyJSONLCatalog
from databroker._drivers.msgpack import BlueskyMsgpackCatalog
from databroker.errors import PathMatchWarning


def _write_runs(catalog: Any, count: int) -> list[str]:
    serializer = catalog.serializer()
    uids = []
    for i in range(count):
        bundle = event_model.compose_run(metadata={"scan_id": i}, time=10.0 + i)
        serializer("start", bundle.start_doc)
        serializer("stop", bundle.compose_stop())
        uids.append(bundle.start_doc["uid"])
    return uids


@pytest.mark.parametrize("driver", [BlueskyJSONLCatalog, BlueskyMsgpackCatalog])
def test_directory_means_every_run_file(tmp_path: Path, driver: type) -> None:
    """[new] A directory as paths opens every run file of the format in it."""
    suffix = ".jsonl" if driver is BlueskyJSONLCatalog else ".msgpack"
    uids = _write_runs(driver(str(tmp_path / f"*{suffix}")), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        catalog = driver(tmp_path)
    assert sorted(catalog) == sorted(uids)
    assert catalog.paths == [str(tmp_path / f"*{suffix}")]


def test_user_and_variables_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[new] ``~`` and environment variables in paths are expanded."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RUNS_DIR", "runs")
    (tmp_path / "runs").mkdir()
    uids = _write_runs(BlueskyMsgpackCatalog(str(tmp_path / "runs" / "*.msgpack")), 2)
    assert sorted(BlueskyMsgpackCatalog("~/runs/*.msgpack")) == sorted(uids)
    assert sorted(BlueskyMsgpackCatalog("~/$RUNS_DIR")) == sorted(uids)


def test_other_format_files_warn(tmp_path: Path) -> None:
    """[new] A glob or directory holding only the other format's runs warns, naming it."""
    _write_runs(BlueskyJSONLCatalog(str(tmp_path / "*.jsonl")), 2)
    with pytest.warns(PathMatchWarning, match=r"2 jsonl run file\(s\)"):
        catalog = BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"))
    assert len(catalog) == 0
    with pytest.warns(PathMatchWarning, match="jsonl"):
        BlueskyMsgpackCatalog(tmp_path)


def test_unrelated_files_warn_with_a_sample(tmp_path: Path) -> None:
    """[new] Paths matching nothing in a non-empty directory warn with what is there."""
    (tmp_path / "notes.txt").write_text("x")
    with pytest.warns(PathMatchWarning, match=r"notes\.txt"):
        BlueskyJSONLCatalog(str(tmp_path / "*.jsonl"))


def test_empty_directory_is_quiet(tmp_path: Path) -> None:
    """[compat] A new, empty catalog directory opens without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"))) == 0
        assert len(BlueskyJSONLCatalog(tmp_path)) == 0
