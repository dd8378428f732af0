"""The doctor's checks: configuration, catalogs, handlers, backends and databases.

Each ``check_*`` function returns :class:`Finding` objects (structured results); the
``databroker doctor`` and ``databroker catalogs`` commands only format them. Nothing here
raises for a problem it finds: a broken file, plugin or server is a finding.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._stores.registry import BACKENDS
from .files import ENV_VAR, config_search_path, list_configs, lookup_config

__all__ = [
    "LEVELS",
    "CatalogInfo",
    "Finding",
    "check_backends",
    "check_catalog",
    "check_catalogs",
    "check_config_files",
    "check_handlers",
    "check_location",
    "diagnose",
    "list_catalogs",
]

#: Finding levels, least to most serious; ``warning`` and ``error`` are problems.
LEVELS = ("ok", "info", "warning", "error")
_YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Finding:
    """One result of a check.

    Attributes
    ----------
    level : str
        ``'ok'``, ``'info'``, ``'warning'`` or ``'error'``.
    topic : str
        What was checked: ``'config'``, ``'catalogs'``, ``'handlers'``, ``'backends'``,
        ``'location'``, ``'mongo'``.
    message : str
        What was found.
    fix : str or None
        What to do about it.
    """

    level: str
    topic: str
    message: str
    fix: str | None = None

    @property
    def is_problem(self) -> bool:
        """True for warnings and errors."""
        return self.level in ("warning", "error")


@dataclass(frozen=True)
class CatalogInfo:
    """One discoverable catalog: where it comes from and whether it opens."""

    name: str
    driver: str
    source: str
    opens: bool | None = None  # None: not tried
    problem: str | None = None
    shadowed: bool = False


def _problem(error: BaseException) -> str:
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# -- config files -------------------------------------------------------------------------


def _yaml_files(directories: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for directory in directories:
        if os.path.isdir(directory):
            files += sorted(
                path for path in Path(directory).iterdir() if path.suffix in _YAML_SUFFIXES
            )
    return files


def _intake_directories() -> tuple[str, ...]:
    from ..utils import catalog_search_path

    return catalog_search_path()


def check_config_files() -> list[Finding]:
    """The config search path, the config files on it (parse errors shown), and the intake
    YAML files of ``catalog_search_path()``."""
    findings = []
    source = f"${ENV_VAR}" if os.environ.get(ENV_VAR) is not None else "the default"
    for directory in config_search_path():
        state = "exists" if os.path.isdir(directory) else "does not exist"
        findings.append(
            Finding("info", "config", f"config directory {directory} ({source}): {state}")
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = list_configs()
    findings += [Finding("warning", "config", str(w.message)) for w in caught]
    for name in names:
        try:
            lookup_config(name)
        except Exception as error:  # a doctor reports every failure
            findings.append(
                Finding(
                    "error", "config", f"config {name!r}: {_problem(error)}", "fix or remove it"
                )
            )
        else:
            findings.append(Finding("ok", "config", f"config {name!r} reads"))
    for directory in _intake_directories():
        state = "exists" if os.path.isdir(directory) else "does not exist"
        findings.append(Finding("info", "config", f"intake catalog directory {directory}: {state}"))
    for path in _yaml_files(_intake_directories()):
        sources, problem = _yaml_sources(path)
        if problem is not None:
            findings.append(
                Finding("error", "config", f"intake file {path}: {problem}", "fix or remove it")
            )
        else:
            findings.append(
                Finding("ok", "config", f"intake file {path}: {', '.join(sources) or 'no entries'}")
            )
    return findings


def _yaml_sources(path: Path) -> tuple[dict[str, Any], str | None]:
    """The ``sources`` of an intake YAML file, or the reason it cannot be read."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        return {}, f"not valid YAML ({line}{getattr(error, 'problem', None) or error})"
    except (OSError, UnicodeDecodeError) as error:
        return {}, f"cannot be read ({error})"
    sources = content.get("sources") if isinstance(content, dict) else None
    if not isinstance(sources, dict):
        return {}, "has no 'sources' mapping"
    return sources, None


# -- catalogs -----------------------------------------------------------------------------


def _candidates() -> list[tuple[CatalogInfo, Callable[[], Any]]]:
    """Every catalog of ``databroker.catalog``'s parts, in its order, with an opener."""
    from .discovery import EntrypointsCatalog, V0Entry

    found: list[tuple[CatalogInfo, Callable[[], Any]]] = []
    plugins = EntrypointsCatalog()
    for name, entry in plugins._entries.items():  # the entries, not loaded
        described = entry.describe()["args"]
        info = CatalogInfo(
            name,
            str(described["entrypoint"]),
            f"entry point of {described['distribution']}",
        )
        found.append((info, entry.get))
    for name in list_configs():
        where = next(
            (
                os.path.join(d, f"{name}.yml")
                for d in config_search_path()
                if os.path.isfile(os.path.join(d, f"{name}.yml"))
            ),
            name,
        )
        found.append((CatalogInfo(name, "databroker config", where), V0Entry(name).get))
    for path in _yaml_files(_intake_directories()):
        sources, _ = _yaml_sources(path)  # a broken file is check_config_files' finding
        for name, spec in sources.items():
            driver = spec.get("driver", "?") if isinstance(spec, dict) else "?"
            found.append((CatalogInfo(name, str(driver), str(path)), _yaml_opener(path, name)))
    return found


def _yaml_opener(path: Path, name: str) -> Callable[[], Any]:
    def opener() -> Any:
        import intake

        return intake.open_catalog(str(path))[name]

    return opener


def list_catalogs(open_them: bool = True) -> list[CatalogInfo]:
    """Return every discoverable catalog (entry points, config files, intake YAML files).

    Parameters
    ----------
    open_them
        Also open each one (and close it again) to say whether it opens.
    """
    seen: set[str] = set()
    infos = []
    for info, opener in _candidates():
        shadowed = info.name in seen
        seen.add(info.name)
        opens, problem = None, None
        if open_them:
            opens, problem = _try_open(opener)
        infos.append(CatalogInfo(info.name, info.driver, info.source, opens, problem, shadowed))
    return infos


def _try_open(opener: Callable[[], Any]) -> tuple[bool, str | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            catalog = opener()
    except Exception as error:  # a doctor reports every failure
        return False, _problem(error)
    _close(catalog)
    return True, None


def _close(catalog: Any) -> None:
    close = getattr(catalog, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # closing is best effort here
            close()


def check_catalogs(infos: Iterable[CatalogInfo] | None = None) -> list[Finding]:
    """One finding per discoverable catalog: it opens, it fails (error), or it is shadowed."""
    findings = []
    for info in list_catalogs() if infos is None else infos:
        where = f"{info.name!r} ({info.driver}, from {info.source})"
        if info.shadowed:
            findings.append(
                Finding(
                    "warning",
                    "catalogs",
                    f"catalog {where} is hidden by an earlier one",
                    "rename one of them",
                )
            )
        elif info.opens is False:
            findings.append(
                Finding(
                    "error",
                    "catalogs",
                    f"catalog {where} does not open: {info.problem}",
                    f"fix its definition in {info.source}",
                )
            )
        else:
            findings.append(Finding("ok", "catalogs", f"catalog {where} opens"))
    if not findings:
        findings.append(Finding("info", "catalogs", "no catalogs are installed or configured"))
    return findings


# -- handlers and backends ----------------------------------------------------------------


def check_handlers() -> list[Finding]:
    """Every ``databroker.handlers`` entry point: which package provides it, whether it loads."""
    findings = []
    for entry_point in importlib.metadata.entry_points(group="databroker.handlers"):
        dist = entry_point.dist.name if entry_point.dist is not None else "unknown package"
        where = f"handler {entry_point.name} = {entry_point.value} (from {dist})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                entry_point.load()
        except Exception as error:  # a broken plugin is a finding
            findings.append(
                Finding(
                    "warning",
                    "handlers",
                    f"{where} does not load: {_problem(error)}",
                    f"reinstall or uninstall {dist}",
                )
            )
        else:
            findings.append(Finding("ok", "handlers", where))
    return findings


def check_backends() -> list[Finding]:
    """Whether each backend's libraries are installed (``BackendSpec.missing()``)."""
    findings = []
    for spec in BACKENDS.values():
        missing = spec.missing()
        if missing:
            how = f"pip install 'databroker[{spec.extra}]'" if spec.extra else "install them"
            findings.append(
                Finding("info", "backends", f"backend {spec.name} needs {', '.join(missing)}", how)
            )
        else:
            findings.append(Finding("ok", "backends", f"backend {spec.name} is available"))
    return findings


# -- one catalog --------------------------------------------------------------------------


def check_catalog(catalog: Any, name: str) -> list[Finding]:
    """Count the runs of an open catalog and, for MongoDB, check its recommended indexes."""
    findings = [Finding("ok", "location", f"{name}: {len(catalog)} run(s)")]
    check_indexes = getattr(catalog, "check_indexes", None)
    if callable(check_indexes):
        try:
            missing = check_indexes()
        except Exception as error:  # unreachable server, no permission
            return [*findings, Finding("error", "mongo", f"{name}: {_problem(error)}")]
        if missing:
            findings.append(
                Finding(
                    "warning",
                    "mongo",
                    f"{name} lacks {len(missing)} recommended index(es): {', '.join(missing)}",
                    f"run databroker.open_catalog({name!r}).ensure_indexes() once",
                )
            )
        else:
            findings.append(Finding("ok", "mongo", f"{name} has every recommended index"))
    return findings


def check_location(location: Any, **kwargs: Any) -> list[Finding]:
    """Open ``location`` with ``open_catalog`` and check it (reachability, indexes)."""
    from .open_catalog import open_catalog

    try:
        catalog = open_catalog(location, **kwargs)
    except Exception as error:  # a doctor reports every failure
        return [Finding("error", "location", f"{location}: {_problem(error)}")]
    try:
        return check_catalog(catalog, str(location))
    finally:
        _close(catalog)


def diagnose(location: Any = None, **kwargs: Any) -> list[Finding]:
    """Run every check (and :func:`check_location` when ``location`` is given)."""
    findings = [
        *check_config_files(),
        *check_catalogs(),
        *check_handlers(),
        *check_backends(),
    ]
    if location is not None:
        findings += check_location(location, **kwargs)
    return findings
