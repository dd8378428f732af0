"""v1 Registry (db.reg): handlers, root_map and copy_files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import event_model
import pytest

from databroker.handlers import NumpySeqHandler


class OtherHandler(NumpySeqHandler):
    """A distinct handler class for registration tests."""


def test_handler_reg_is_read_only_live_view(db: Any) -> None:
    """[compat] handler_reg is a read-only view of the catalog's handlers."""
    view = db.reg.handler_reg
    assert view["NPY_SEQ"] is db.v2.handler_registry["NPY_SEQ"]
    with pytest.raises(TypeError):
        view["X"] = OtherHandler  # type: ignore[index]
    db.reg.register_handler("X", OtherHandler)
    assert view["X"] is OtherHandler


def test_register_and_deregister(db: Any) -> None:
    """[compat] register_handler needs overwrite to rebind; deregister_handler removes."""
    db.reg.register_handler("NEW", OtherHandler)
    db.reg.register_handler("NEW", OtherHandler)  # same object: fine
    with pytest.raises(event_model.DuplicateHandler):
        db.reg.register_handler("NEW", NumpySeqHandler)
    db.reg.register_handler("NEW", NumpySeqHandler, overwrite=True)
    assert db.v2.handler_registry["NEW"] is NumpySeqHandler
    db.reg.deregister_handler("NEW")
    assert "NEW" not in db.reg.handler_reg
    db.reg.deregister_handler("NEW")  # unknown: ignored


def test_root_map_is_live(db: Any) -> None:
    """[compat] reg.root_map is the catalog's live dict."""
    db.reg.root_map["/old"] = "/new"
    assert db.v2.root_map["/old"] == "/new"
    assert db.reg.root_map is db.v2.root_map


def _resource(db: Any, uid: str) -> dict[str, Any]:
    run = db.v2[uid]
    return next(doc.to_dict() for name, doc in run.documents(fill="no") if name == "resource")


def test_copy_files(db: Any, recorded: dict[str, str], tmp_path: Path) -> None:
    """[compat] copy_files copies each file under new_root keeping its path relative to root."""
    resource = _resource(db, recorded["external"])
    hooks = []

    def hook(n: int, total: int, old: str, new: str) -> None:
        hooks.append((n, total))
        raise RuntimeError("ignored")  # a failing hook never stops the copy

    pairs = db.reg.copy_files(resource, str(tmp_path / "new"), file_rename_hook=hook)
    assert len(pairs) == 3
    assert hooks == [(0, 3), (1, 3), (2, 3)]
    for source, destination in pairs:
        assert destination.startswith(str(tmp_path / "new"))
        assert Path(destination).read_bytes() == Path(source).read_bytes()


def test_copy_files_errors(db: Any, recorded: dict[str, str], tmp_path: Path) -> None:
    """[compat] verify=True → NotImplementedError; no run_start nor run_start_uid → ValueError."""
    resource = _resource(db, recorded["external"])
    with pytest.raises(NotImplementedError):
        db.reg.copy_files(resource, str(tmp_path), verify=True)
    orphan = {k: v for k, v in resource.items() if k != "run_start"}
    with pytest.raises(ValueError, match="run_start"):
        db.reg.copy_files(orphan, str(tmp_path))
    pairs = db.reg.copy_files(orphan, str(tmp_path / "n"), run_start_uid=recorded["external"])
    assert len(pairs) == 3


def test_copy_files_without_root(db: Any, recorded: dict[str, str], tmp_path: Path) -> None:
    """[compat] A resource without root is taken as rooted at '/' with a warning."""
    resource = _resource(db, recorded["external"])
    resource["resource_path"] = resource["root"] + "/" + resource["resource_path"]
    resource["root"] = ""
    with pytest.warns(UserWarning, match="no root"):
        pairs = db.reg.copy_files(resource, str(tmp_path / "n"))
    source, destination = pairs[0]
    assert destination == str(tmp_path / "n") + source


def test_copy_files_outside_root(db: Any, recorded: dict[str, str], tmp_path: Path) -> None:
    """[compat] A file outside the resource root raises RuntimeError."""
    resource = _resource(db, recorded["external"])
    outside = {**resource, "resource_path": "../outside"}
    with pytest.raises(RuntimeError, match="not under its root"):
        db.reg.copy_files(outside, str(tmp_path / "n"))
