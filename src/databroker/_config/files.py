"""Finding and reading databroker configuration files (``<name>.yml``).

Public through :mod:`databroker.utils` and :mod:`databroker`. The search path is
:data:`CONFIG_SEARCH_PATH`, or the ``os.pathsep``-separated directories in the environment
variable ``DATABROKER_CONFIG_PATH`` when it is set; the variable is read on every call so tests
and scripts can point it elsewhere after import.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, ConfigNotFound, DatabrokerWarning

__all__ = [
    "CONFIG_SEARCH_PATH",
    "config_search_path",
    "describe_configs",
    "list_configs",
    "lookup_config",
]

ENV_VAR = "DATABROKER_CONFIG_PATH"

# 1.x kept this name for its own module-level singleton; it is not a user config.
_HIDDEN_NAMES = frozenset({"_legacy_config"})

PathsArg = Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None


def _default_search_path() -> tuple[str, ...]:
    if os.name == "nt":
        return (os.path.join(os.environ.get("APPDATA", ""), "databroker"),)
    return (
        os.path.join(os.path.expanduser("~"), ".config", "databroker"),
        os.path.join(sys.prefix, "etc", "databroker"),
        "/etc/databroker",
    )


def config_search_path() -> tuple[str, ...]:
    """Return the directories searched for config files, in order.

    Returns
    -------
    tuple of str
        The directories in ``DATABROKER_CONFIG_PATH`` (``os.pathsep``-separated) if that
        environment variable is set, else ``~/.config/databroker``,
        ``<sys.prefix>/etc/databroker`` and ``/etc/databroker`` (Windows:
        ``%APPDATA%\\databroker``).
    """
    value = os.environ.get(ENV_VAR)
    if value is None:
        return _default_search_path()
    return tuple(os.path.expanduser(part) for part in value.split(os.pathsep) if part)


#: The config search path as it was when databroker was imported; the helpers below read
#: :func:`config_search_path` at call time instead.
CONFIG_SEARCH_PATH: tuple[str, ...] = config_search_path()


def _directories(paths: PathsArg) -> list[Path]:
    """Return the search directories, without repeats (a repeat would look like a conflict)."""
    if paths is None:
        paths = config_search_path()
    elif isinstance(paths, str | os.PathLike):
        paths = [paths]
    seen: set[str] = set()
    result = []
    for path in paths:
        directory = Path(path).expanduser()
        key = os.path.realpath(directory)
        if key not in seen:
            seen.add(key)
            result.append(directory)
    return result


def list_configs(paths: PathsArg = None) -> list[str]:
    """Return the names of the config files on the search path.

    Parameters
    ----------
    paths : iterable of str, optional
        Directories to search; default :func:`config_search_path`.

    Returns
    -------
    list of str
        Sorted, de-duplicated file names of ``*.yml`` files without the extension.

    Warns
    -----
    UserWarning
        If a name is found in more than one directory (the first one wins).
    """
    found: dict[str, list[str]] = {}
    for directory in _directories(paths):
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.yml")):
            if file.stem not in _HIDDEN_NAMES:
                found.setdefault(file.stem, []).append(str(directory))
    for name, directories in sorted(found.items()):
        if len(directories) > 1:
            warnings.warn(
                f"The config {name!r} is defined in several directories: "
                f"{', '.join(directories)}. The first one is used; rename or remove the others.",
                DatabrokerWarning,
                stacklevel=2,
            )
    return sorted(found)


def describe_configs(paths: PathsArg = None) -> dict[str, Any]:
    """Return ``{name: description}`` for every config on the search path.

    Parameters
    ----------
    paths : iterable of str, optional
        Directories to search; default :func:`config_search_path`.

    Returns
    -------
    dict
        The ``description`` entry of each config, None where a file has none.

    Warns
    -----
    UserWarning
        If a name is found in more than one directory (the first one is described).
    """
    directories = _directories(paths)
    return {
        name: lookup_config(name, directories).get("description")
        for name in list_configs(directories)
    }


def lookup_config(name: str, paths: PathsArg = None) -> dict[str, Any]:
    """Return the parsed contents of the first ``<name>.yml`` on the search path.

    Parameters
    ----------
    name : str
        Config name, the file name without ``.yml``.
    paths : iterable of str, optional
        Directories to search; default :func:`config_search_path`.

    Returns
    -------
    dict

    Raises
    ------
    ConfigNotFound
        If no directory holds ``<name>.yml``; the message lists every path tried.
    ConfigError
        If the file is not valid YAML (the message names file and line) or not a mapping.
    """
    tried = []
    for directory in _directories(paths):
        file = directory / f"{name}.yml"
        if file.is_file():
            return _read_config(file)
        tried.append(str(file))
    where = "\n  ".join(tried) if tried else "(no directories on the search path)"
    raise ConfigNotFound(
        f"No config file named {name!r} was found. Paths tried:\n  {where}\n"
        f"Create one of these files, or set {ENV_VAR} to the directory that holds {name}.yml."
    )


def _read_config(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read the config file {file}: {err}") from err
    try:
        # safe_load: a config file must never be able to run code.
        content = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or err
        raise ConfigError(
            f"The config file {file}{line} is not valid YAML ({problem}). "
            "Fix the file or remove it."
        ) from err
    if not isinstance(content, dict):
        raise ConfigError(
            f"The config file {file} holds {type(content).__name__}, not a mapping of settings; "
            "a config file must contain keys such as 'metadatastore', 'assets' or 'description'."
        )
    return content
