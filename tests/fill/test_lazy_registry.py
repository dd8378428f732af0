"""Lazy handler discovery: entry points load when a resource with their spec is read."""

from __future__ import annotations

import pickle
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from databroker._fill import discover_handlers, make_filler, registry
from databroker.errors import HandlerPluginWarning

SCRIPT = """
import sys
import event_model
from databroker.in_memory import BlueskyInMemoryCatalog

catalog = BlueskyInMemoryCatalog()
assert "ophyd" not in sys.modules, "creating a catalog imported ophyd"
run = event_model.compose_run(uid="r1", time=0.0)
key = {"dtype": "number", "shape": [], "source": "sim"}
descriptor = run.compose_descriptor(name="primary", data_keys={"x": key}, time=0.0)
serializer = catalog._get_serializer()
serializer("start", run.start_doc)
serializer("descriptor", descriptor.descriptor_doc)
event = descriptor.compose_event(data={"x": 1.0}, timestamps={"x": 0.0}, seq_num=1, time=0.0)
serializer("event", event)
serializer("stop", run.compose_stop(time=1.0))
catalog.force_reload()
assert catalog["r1"].primary.read()["x"].values.tolist() == [1.0]
list(catalog["r1"].documents(fill="yes"))
assert "ophyd" not in sys.modules, "reading scalars imported ophyd"
assert "NPY_SEQ" in catalog.handler_registry and "ophyd" not in sys.modules
print("ok")
"""


def test_catalog_and_scalar_read_import_no_handler_plugin() -> None:
    """[fix] Creating a catalog and reading scalars imports no handler plugin (no ophyd)."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


class _Loads:
    """A fake entry point counting its loads."""

    def __init__(self, name: str, dist: str, value: Any) -> None:
        self.name = name
        self.value = f"{dist}.module:Thing"
        self.dist = SimpleNamespace(name=dist)
        self.loaded = 0
        self._value = value

    def load(self) -> Any:
        self.loaded += 1
        if isinstance(self._value, Exception):
            raise self._value
        return self._value


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(*entry_points: Any) -> None:
        monkeypatch.setattr(registry, "_entry_points", lambda group: list(entry_points))

    return install


def test_discovery_loads_nothing_until_looked_up(fake: Any) -> None:
    """[fix] discover_handlers() loads an entry point on first [] / .get, once."""
    spec = _Loads("SPEC", "thirdparty", float)
    fake(spec)
    handlers = discover_handlers()
    assert "SPEC" in handlers and "SPEC" in list(handlers) and len(handlers) >= 1
    assert spec.loaded == 0
    assert handlers["SPEC"] is float and handlers.get("SPEC") is float
    assert handlers.get("NOPE") is None and "NOPE" not in handlers
    assert spec.loaded == 1


def test_broken_plugin_warns_at_load_and_falls_back(fake: Any) -> None:
    """[fix] A broken plugin warns (HandlerPluginWarning) when first used; the built-in wins."""
    fake(_Loads("K", "thirdparty", RuntimeError("no lib")), _Loads("K", "databroker", int))
    handlers = discover_handlers()
    with pytest.warns(HandlerPluginWarning, match=r"'K'.*'thirdparty'.*no lib"):
        assert handlers["K"] is int


def test_broken_plugin_without_fallback_is_unknown(fake: Any) -> None:
    """[fix] A key whose only plugin fails to load is gone after the warning."""
    fake(_Loads("BAD", "brokenpkg", RuntimeError("no lib")))
    handlers = discover_handlers()
    with pytest.warns(HandlerPluginWarning), pytest.raises(KeyError):
        handlers["BAD"]
    assert "BAD" not in handlers


def test_user_registration_overrides_entry_point(fake: Any) -> None:
    """[fix] Assigning a key replaces its entry point, which is then never loaded."""
    spec = _Loads("SPEC", "thirdparty", float)
    fake(spec)
    handlers = discover_handlers()
    handlers["SPEC"] = complex
    assert handlers["SPEC"] is complex and spec.loaded == 0
    assert handlers.pop("SPEC") is complex and "SPEC" not in handlers


def test_filler_registry_is_lazy(fake: Any) -> None:
    """[fix] make_filler() imports no handler; the Filler loads one when its spec is used."""
    spec = _Loads("SPEC", "thirdparty", float)
    fake(spec)
    handlers = discover_handlers()
    filler = make_filler("event_model.Filler", handlers, {}, "force_numpy")
    assert "SPEC" in list(filler.handler_registry) and spec.loaded == 0
    assert issubclass(filler.handler_registry["SPEC"], float) and spec.loaded == 1
    filler.register_handler("OTHER", int)
    assert "OTHER" in filler.handler_registry and "OTHER" not in handlers


def test_registry_pickles_unloaded() -> None:
    """[new] A discovered registry pickles with its entry points unloaded, and works after."""
    handlers = discover_handlers()
    copy = pickle.loads(pickle.dumps(handlers))
    assert set(copy) == set(handlers)
    assert copy["application/x-hdf5"] is handlers["application/x-hdf5"]


def test_scalar_runs_are_read_without_listing_handler_entry_points(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """[new] Opening a catalog, searching it and reading a stream without external fields
    list no handler entry points; the first look at the registry does, once."""
    import event_model

    import databroker
    from databroker._fill import registry

    listed: list[str] = []
    original = registry._entry_points

    def counting(group: str) -> Any:
        listed.append(group)
        return original(group)

    monkeypatch.setattr(registry, "_entry_points", counting)
    run = event_model.compose_run()
    keys = {"x": {"source": "sim", "dtype": "number", "shape": []}}
    stream = run.compose_descriptor(name="primary", data_keys=keys)
    write = databroker.open_catalog(str(tmp_path / "*.msgpack")).serializer()
    for name, doc in [
        ("start", run.start_doc),
        ("descriptor", stream.descriptor_doc),
        ("event", stream.compose_event(data={"x": 1.0}, timestamps={"x": 1.0})),
        ("stop", run.compose_stop()),
    ]:
        write(name, doc)
    catalog = databroker.open_catalog(str(tmp_path))
    results = catalog.search({"uid": run.start_doc["uid"]})
    assert results[-1].primary.read()["x"].values.tolist() == [1.0]
    assert listed == []
    assert "NPY_SEQ" in results.handler_registry
    assert listed == ["databroker.handlers"]
