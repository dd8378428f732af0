"""The sample intake YAML for the Mongo drivers names the right drivers and arguments."""

from __future__ import annotations

from pathlib import Path

import intake

from databroker._drivers import mongo_embedded, mongo_normalized

YAML = Path(__file__).resolve().parents[2] / "catalogs" / "mongo.yml"


def test_sample_yaml_entries() -> None:
    """[compat] catalogs/mongo.yml lists one source per Mongo driver (not opened: no server)."""
    catalog = intake.open_catalog(str(YAML))
    assert sorted(catalog) == ["beamline", "experimental"]
    beamline = catalog._entries["beamline"].describe()
    experimental = catalog._entries["experimental"].describe()
    assert beamline["container"] == experimental["container"] == "catalog"
    assert set(beamline["args"]) >= {"metadatastore_db", "asset_registry_db"}
    assert "datastore_db" in experimental["args"]
    assert catalog._entries["beamline"]._driver == mongo_normalized.BlueskyMongoCatalog.name
    assert catalog._entries["experimental"]._driver == mongo_embedded.BlueskyMongoCatalog.name
