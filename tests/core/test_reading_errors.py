"""Typos in what a read names give our typed errors (or a warning), naming what exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import intake
import pytest
from bluesky.plans import scan
from ophyd.sim import det, motor

from databroker._drivers.msgpack import BlueskyMsgpackCatalog
from databroker.errors import (
    DatabrokerError,
    FieldNotFound,
    InvalidArgument,
    InvalidOption,
    StreamNotFound,
    UnknownFieldWarning,
)


@pytest.fixture
def run(catalog: Any, RE: Any) -> Any:
    """A two-point scan of det against motor."""
    (uid,) = RE(scan([det], motor, -1, 1, 2))
    return catalog[uid]


def test_unknown_stream(run: Any) -> None:
    """[fix] run.primry / run['primry'] raise StreamNotFound (AttributeError / KeyError)."""
    with pytest.raises(StreamNotFound, match=r"Did you mean 'primary'") as info:
        run.primry
    assert isinstance(info.value, AttributeError) and isinstance(info.value, DatabrokerError)
    with pytest.raises(KeyError, match=r"its streams are \['primary'\]"):
        run["primry"]
    assert not hasattr(run, "primry")


def test_unknown_config_object(run: Any) -> None:
    """[fix] config['dett'] raises FieldNotFound listing the objects; attribute access too."""
    config = run.primary.config
    assert config["det"].read() is not None
    with pytest.raises(FieldNotFound, match=r"'dett'.*objects are \[") as info:
        config["dett"]
    assert isinstance(info.value, KeyError)
    with pytest.raises(AttributeError):
        config.dett


def test_include_and_exclude_together(run: Any) -> None:
    """[compat] include with exclude raises; [fix] as our InvalidOption (a ValueError)."""
    with pytest.raises(InvalidOption):
        run.primary(include=["det"], exclude=["motor"])


def test_include_one_string_is_one_field(run: Any) -> None:
    """[fix] include='det' means the field 'det', not the characters d, e, t."""
    assert set(run.primary(include="det").read().data_vars) == {"det"}
    assert "det" not in run.primary(exclude="det").read().data_vars


def test_unknown_include_warns(run: Any) -> None:
    """[fix] include=['dett'] warns naming the closest field, instead of a silent empty read."""
    with pytest.warns(UnknownFieldWarning, match=r"'dett' \(did you mean 'det'\?\)"):
        dataset = run.primary(include=["dett"]).read()
    assert list(dataset.data_vars) == []


def test_documents_fill_true(run: Any) -> None:
    """[fix] documents(fill=True) raises InvalidOption pointing to fill='yes'."""
    with pytest.raises(InvalidOption, match="fill='yes'"):
        list(run.documents(fill=True))


def test_summary_field_spelling(catalog: Any, run: Any) -> None:
    """[fix] summary('start.scan_id') is one column; a field without start./stop. raises."""
    table = catalog.summary("start.scan_id")
    assert list(table.columns) == ["start.scan_id"]
    with pytest.raises(InvalidOption, match=r"did you mean 'start\.scan_id'"):
        catalog.summary(["scan_id"])


def test_driver_argument_typo(tmp_path: Path) -> None:
    """[fix] A misspelled driver argument raises InvalidArgument naming the closest one."""
    with pytest.raises(InvalidArgument, match=r"'rootmap' \(did you mean 'root_map'\?\)"):
        BlueskyMsgpackCatalog(str(tmp_path / "*.msgpack"), rootmap={})
    with pytest.raises(TypeError, match=r"'path' \(did you mean 'paths'\?\)"):
        BlueskyMsgpackCatalog(path=str(tmp_path / "*.msgpack"))


def test_yaml_argument_typo_names_the_file(tmp_path: Path) -> None:
    """[fix] 'path:' for 'paths:' in intake YAML names the directory and the valid name."""
    yaml_path = tmp_path / "cat.yml"
    yaml_path.write_text(
        "sources:\n"
        "  local:\n"
        "    driver: bluesky-msgpack-catalog\n"
        "    args:\n"
        "      path: '{{ CATALOG_DIR }}/*.msgpack'\n"
    )
    with pytest.raises(InvalidArgument, match=str(tmp_path)) as info:
        intake.open_catalog(str(yaml_path))["local"]
    assert "'paths'" in str(info.value)
