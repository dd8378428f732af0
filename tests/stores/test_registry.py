"""The backend registry: names, drivers, required modules, and which backend opens what."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from databroker._stores.registry import BACKENDS, backend, backends_for, names
from databroker.errors import ConfigError


def test_names_and_drivers() -> None:
    """[new] The registry holds the six backends, each naming its driver class and name."""
    assert names() == ["memory", "jsonl", "msgpack", "mongo-normalized", "mongo-embedded", "redis"]
    for spec in BACKENDS.values():
        driver = spec.load_driver()
        assert driver.name == spec.driver_name
        assert f"{driver.__module__}:{driver.__name__}" == spec.driver or spec.name == "memory"
    assert backend("memory").load_driver().__name__ == "BlueskyInMemoryCatalog"


def test_entry_points_match() -> None:
    """[compat] Each backend with an entry point is registered under its driver name."""
    from importlib.metadata import entry_points

    drivers = {ep.name: ep.value for ep in entry_points(group="intake.drivers")}
    for spec in BACKENDS.values():
        if spec.has_entry_point:
            assert drivers[spec.driver_name] == spec.driver


def test_unknown_name_lists_the_known_ones() -> None:
    """[new] An unknown backend name raises ConfigError (a ValueError) listing every name."""
    with pytest.raises(ConfigError, match="jsonl, msgpack, mongo-normalized") as caught:
        backend("sqlite")
    assert isinstance(caught.value, ValueError)
    assert backend("mongo_embedded") is BACKENDS["mongo-embedded"]


def test_required_modules() -> None:
    """[new] Mongo backends need pymongo; available() says whether it is installed."""
    assert backend("mongo-normalized").requires == ("pymongo",)
    assert backend("jsonl").requires == ()
    assert all(spec.available() for spec in BACKENDS.values())


def test_missing_module_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """[new] load_driver() of a backend whose module is missing says what to install."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pymongo" else real(name)
    )
    spec = backend("mongo-embedded")
    assert not spec.available()
    with pytest.raises(ConfigError, match=r"pymongo.*databroker\[mongo\]"):
        spec.load_driver()


def test_backends_for_locations(tmp_path: Path) -> None:
    """[new] backends_for picks file backends by the files a directory or glob holds, both
    Mongo layouts for a mongodb:// URI, and nothing for other locations."""
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "packed").mkdir()
    (tmp_path / "packed" / "b.msgpack").write_bytes(b"")

    def found(location: object) -> list[str]:
        return [spec.name for spec in backends_for(location)]

    assert found(tmp_path) == ["jsonl"]
    assert found(str(tmp_path / "packed")) == ["msgpack"]
    assert found(str(tmp_path / "*.jsonl")) == ["jsonl"]
    assert found(str(tmp_path / "new" / "*.msgpack")) == ["msgpack"]
    assert found(str(tmp_path / "a.jsonl")) == ["jsonl"]
    assert found("mongodb://localhost:27017/mds") == ["mongo-normalized", "mongo-embedded"]
    assert found("mongodb+srv://cluster.example/mds") == ["mongo-normalized", "mongo-embedded"]
    assert found(tmp_path / "empty-or-missing") == []
    assert found("https://example.com/x.jsonl") == []
    assert found(42) == []


def test_import_is_light() -> None:
    """[new] Importing the registry imports neither intake nor pymongo."""
    code = (
        "import sys, databroker._stores.registry as r; r.backend('jsonl').available();"
        "print(sorted(m for m in ('intake', 'pymongo', 'dask', 'xarray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_testing_kit_import_is_light() -> None:
    """[new] databroker.testing.backends needs no pytest; import databroker loads no kit."""
    code = (
        "import sys, databroker; assert 'databroker.testing' not in sys.modules;"
        "import databroker.testing.backends; print('pytest' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
