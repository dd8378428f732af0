"""Public names: each door's ``__all__`` is what the spec's "Public import paths" table says."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: ``databroker`` and ``databroker.core``: exactly these names (spec README, docs/api.md).
EXACT = {
    "databroker": [
        "ALL",
        "Broker",
        "DeprecatedDoct",
        "Header",
        "__version__",
        "catalog",
        "catalog_search_path",
        "describe_configs",
        "list_configs",
        "lookup_config",
        "job",
        "open_catalog",
        "pack",
        "serve_in_thread",
        "temp",
        "temp_config",
        "unpack",
        "wrap_in_deprecated_doct",
        "wrap_in_doct",
        "yaml_catalogs",
    ],
    "databroker.core": [
        "BlueskyEventStream",
        "BlueskyRun",
        "BlueskyRunFromGenerator",
        "Datum",
        "DatumPage",
        "Descriptor",
        "Document",
        "Entry",
        "Event",
        "EventPage",
        "NotMutable",
        "Resource",
        "SingleRunCache",
        "Start",
        "Stop",
        "StreamDatum",
        "StreamResource",
        "discover_handlers",
        "parse_handler_registry",
        "parse_transforms",
        "to_datum_pages",
        "to_event_pages",
    ],
}

#: The other doors: at least these names (they may export more).
AT_LEAST = {
    "databroker.v2": ["Broker", "temp"],
    "databroker.v1": [
        "Broker",
        "Header",
        "InvalidConfig",
        "Registry",
        "Results",
        "from_config",
        "temp",
        "temp_config",
    ],
    "databroker.in_memory": ["BlueskyInMemoryCatalog"],
    "databroker.queries": ["Query", "TextQuery", "TimeRange"],
    "databroker.utils": [
        "ALL",
        "CONFIG_SEARCH_PATH",
        "DeprecatedDoct",
        "LazyMap",
        "catalog_search_path",
        "describe_configs",
        "format_time",
        "get_fields",
        "list_configs",
        "lookup_config",
        "normalize_human_friendly_time",
        "wrap_in_deprecated_doct",
        "wrap_in_doct",
    ],
    "databroker.discovery": [
        "EntrypointEntry",
        "EntrypointsCatalog",
        "MergedCatalog",
        "V0Catalog",
        "V0Entry",
    ],
    "databroker.projector": [
        "ProjectionError",
        "Projector",
        "get_calculated_value",
        "get_run_projection",
        "get_xarray_config_field",
        "project_summary_dict",
        "project_xarray",
    ],
    "databroker.pivot": ["pivot_timeseries", "reset_time", "zip_events"],
}


@pytest.mark.parametrize("module", sorted(EXACT))
def test_all_is_exactly_the_documented_names(module: str) -> None:
    """[compat] databroker.__all__ and databroker.core.__all__ are the documented public names."""
    assert sorted(importlib.import_module(module).__all__) == sorted(EXACT[module])


@pytest.mark.parametrize("module", sorted(EXACT) + sorted(AT_LEAST))
def test_all_is_sorted(module: str) -> None:
    """[new] Each door's __all__ is sorted and has no duplicates."""
    names = list(importlib.import_module(module).__all__)
    assert names == sorted(set(names))


@pytest.mark.parametrize("module", sorted(AT_LEAST))
def test_all_holds_the_documented_names(module: str) -> None:
    """[compat] Each other public door's __all__ holds every name the spec lists for it."""
    exported = set(importlib.import_module(module).__all__)
    assert set(AT_LEAST[module]) - exported == set()


def test_every_public_name_resolves(tmp_path: Path) -> None:
    """[compat] Every name in each door's __all__ resolves (checked in a fresh interpreter)."""
    # A fresh process: ``databroker.catalog`` is built (and cached) on first access, which
    # must not leak into this session; the config paths point at an empty directory.
    modules = sorted(EXACT) + sorted(AT_LEAST)
    code = (
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    missing = [n for n in module.__all__ if getattr(module, n, None) is None]\n"
        "    assert not missing, (name, missing)\n"
    )
    env = {
        **os.environ,
        "DATABROKER_CONFIG_PATH": str(tmp_path / "configs"),
        "INTAKE_CONF_DIR": str(tmp_path / "intake"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
