"""The ``databroker`` command itself: --version, usage errors, one-line errors, --debug."""

from __future__ import annotations

import sys
from pathlib import Path

from databroker import __version__

from .conftest import run_command


def test_version_prints_the_version() -> None:
    """[new] databroker --version prints the package version and exits 0."""
    result = run_command("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"databroker {__version__}"


def test_python_m_databroker_cli_also_runs() -> None:
    """[new] python -m databroker.cli is the same command (help lists every sub-command)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "databroker.cli", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    for command in ("catalogs", "ls", "show", "check-files", "doctor", "demo"):
        assert command in done.stdout


def test_unknown_location_prints_one_line_error(tmp_path: Path) -> None:
    """[new] An unknown location prints databroker's one-line error, no traceback, exit 1."""
    result = run_command("ls", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("databroker: error: No catalog found at")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """[new] --debug lets the error's traceback through."""
    result = run_command("ls", str(tmp_path / "nowhere"), "--debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "CatalogNotFound" in result.stderr


def test_usage_errors_exit_2(run_here) -> None:
    """[new] A missing argument, unknown option or sub-command is a usage error: exit 2."""
    assert run_here("ls").returncode == 2
    assert run_here("ls", "x", "--no-such-option").returncode == 2
    assert run_here("no-such-command").returncode == 2
    assert run_here().returncode == 2
