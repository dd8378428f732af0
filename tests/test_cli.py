"""The ``databroker demo`` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_records_and_reads_back(tmp_path: Path) -> None:
    """[new] databroker demo records runs into a msgpack catalog and prints them back."""
    result = subprocess.run(
        [sys.executable, "-m", "databroker.cli", "demo", "--directory", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Reopened the catalog: 3 runs" in result.stdout
    assert "xarray.Dataset" in result.stdout
    assert len(list((tmp_path / "d" / "runs").glob("*.msgpack"))) == 3
    assert list((tmp_path / "d" / "external").glob("*.npy"))
