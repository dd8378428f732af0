"""Development sessions: ``nox -s tests``, ``lint``, ``docs``, ``bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff and types with mypy."""
    session.install("-e", ".[test]", "ruff", "mypy")
    session.run("ruff", "check", "src", "tests", "benchmarks", "examples")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "examples")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation (MkDocs) into site/."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (``nox -s bench -- --scale small`` for the quick smoke mode)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "benchmarks", *session.posargs)
