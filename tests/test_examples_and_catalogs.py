"""The shipped example script runs, and the sample intake catalogs in catalogs/ open."""

from __future__ import annotations

import runpy
from pathlib import Path

import intake
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """[new] examples/quickstart.py runs end to end and reads the recorded runs back."""
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    output = capsys.readouterr().out
    assert "3 runs" in output
    assert "frame 0 sum: 100.0" in output


@pytest.mark.parametrize("source", ["samples_jsonl", "samples_msgpack"])
def test_sample_catalogs_open(source: str) -> None:
    """[compat] The committed suitcase-written samples open through the intake YAML, and
    external NPY_SEQ frames load through the relative root_map."""
    catalog = intake.open_catalog(str(ROOT / "catalogs" / "example.yml"))[source]
    assert len(catalog) == 2
    scan = catalog.search({"sample": "silicon"})[-1]
    assert scan.primary.read()["motor"].values.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    images = catalog.search({"sample": "quartz"})[-1].primary.read()["camera"]
    assert images.shape == (3, 4, 4)
    np.testing.assert_array_equal(images.values[1], np.arange(16.0).reshape(4, 4))
