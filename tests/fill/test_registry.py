"""Handler registries: dotted imports and entry-point discovery."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from databroker._fill import discover_handlers, parse_handler_registry, registry
from databroker.errors import HandlerImportError, HandlerPluginWarning
from databroker.handlers import NumpySeqHandler


def test_parse_handler_registry_imports_dotted_paths():
    """[compat] parse_handler_registry returns a new dict with dotted strings imported."""
    given = {"NPY_SEQ": "databroker.handlers.NumpySeqHandler", "X": dict}
    parsed = parse_handler_registry(given)
    assert parsed == {"NPY_SEQ": NumpySeqHandler, "X": dict}
    assert parsed is not given and given["NPY_SEQ"] == "databroker.handlers.NumpySeqHandler"
    assert parse_handler_registry(None) == {}


def test_parse_handler_registry_failure_names_key_and_path():
    """[fix] a failed import raises HandlerImportError naming key and path."""
    with pytest.raises(HandlerImportError, match=r"'SPEC'.*'no_such_module.Handler'") as info:
        parse_handler_registry({"SPEC": "no_such_module.Handler"})
    assert isinstance(info.value, ImportError)


def _entry_point(name, dist, load):
    def loader():
        if isinstance(load, Exception):
            raise load
        return load

    return SimpleNamespace(
        name=name, value=f"{dist}.module:Thing", dist=SimpleNamespace(name=dist), load=loader
    )


@pytest.fixture
def fake_entry_points(monkeypatch):
    def install(*entry_points):
        monkeypatch.setattr(registry, "_entry_points", lambda group: list(entry_points))

    return install


def test_discover_real_entry_points():
    """[compat] discover_handlers finds NPY_SEQ from the installed entry points."""
    handlers = discover_handlers()
    assert "NPY_SEQ" in handlers
    assert getattr(handlers["NPY_SEQ"], "specs", None) is not None


def test_failed_plugin_warns_and_is_skipped(fake_entry_points):
    """[fix] a failing plugin → HandlerPluginWarning naming entry point, distribution, error."""
    fake_entry_points(
        _entry_point("BAD", "brokenpkg", RuntimeError("no lib")),
        _entry_point("GOOD", "goodpkg", int),
    )
    with pytest.warns(HandlerPluginWarning, match="'BAD'.*'brokenpkg'.*no lib"):
        assert _without_builtin_readers(discover_handlers()) == {"GOOD": int}
    with pytest.raises(RuntimeError, match="no lib"):
        discover_handlers(skip_failures=False)


def test_third_party_beats_builtin_silently(fake_entry_points):
    """[fix] a third-party entry point wins over databroker's built-in without a warning."""
    fake_entry_points(_entry_point("K", "thirdparty", float), _entry_point("K", "databroker", int))
    assert _without_builtin_readers(discover_handlers()) == {"K": float}
    fake_entry_points(_entry_point("K", "databroker", int), _entry_point("K", "thirdparty", float))
    assert _without_builtin_readers(discover_handlers()) == {"K": float}


def test_two_third_parties_warn_last_name_wins(fake_entry_points):
    """[fix] two third parties for one key → warning naming both; last distribution name wins."""
    fake_entry_points(
        _entry_point("K", "zeta", float),
        _entry_point("K", "alpha", int),
        _entry_point("K", "databroker", bool),
    )
    with pytest.warns(HandlerPluginWarning, match="alpha, zeta"):
        assert _without_builtin_readers(discover_handlers()) == {"K": float}


def _without_builtin_readers(registry: dict) -> dict:
    """Drop the built-in mimetype stream readers, which are always discovered."""
    from databroker._fill.registry import _BUILTIN_MIMETYPE_READERS

    return {key: value for key, value in registry.items() if key not in _BUILTIN_MIMETYPE_READERS}


def test_builtin_stream_readers_discovered() -> None:
    """[new] The built-in stream readers are registered under their mimetypes."""
    from databroker.handlers import HDF5StreamReader, TiffSequenceStreamReader

    registry = discover_handlers()
    assert registry["application/x-hdf5"] is HDF5StreamReader
    assert registry["multipart/related;type=image/tiff"] is TiffSequenceStreamReader


def test_entry_points_are_listed_again_after_an_installation(monkeypatch, tmp_path):
    """[new] Handler entry points are listed once per process, and again once a directory
    on sys.path changes (a package was installed there)."""
    import importlib.metadata
    import os
    import sys

    calls = []
    original = importlib.metadata.entry_points

    def counting(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    first = registry._entry_points("databroker.handlers")
    assert registry._entry_points("databroker.handlers") == first
    assert len(calls) == 1
    (tmp_path / "newly_installed.dist-info").mkdir()
    os.utime(tmp_path, ns=(1, 1))  # an mtime no earlier listing can have seen
    registry._entry_points("databroker.handlers")
    assert len(calls) == 2
