"""Layering: which room of ``src/databroker`` may import which, and no other room's private names.

A *room* is a top-level entry of the package: a sub-package (``_stores``, ``v1``, ...) or a
top-level module (``errors``, ``core``, ...). Every import statement of every module is read
with :mod:`ast` (relative or absolute, at module level or inside functions, under
``TYPE_CHECKING`` too) and checked against :data:`MAY_IMPORT`.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "databroker"

# -- the rule ---------------------------------------------------------------------------------
# Rooms from lowest to highest. A room may import itself and every room named on its line.
_ERRORS = {"errors"}
_ENGINE = _ERRORS | {"handlers", "_documents", "_query", "_stores", "_fill", "_assemble"}
_BELOW_FACADES = _ENGINE | {"_runs", "_transfer", "_intake"}
_BACKSTAGE = _BELOW_FACADES | {"_drivers", "_config", "v1"}
#: The public doors: thin re-exports over the rooms below (``databroker`` is ``__init__``).
DOORS = {
    "databroker",
    "core",
    "v2",
    "in_memory",
    "queries",
    "discovery",
    "utils",
    "projector",
    "pivot",
    "assets",
    "tutorial_utils",
}

#: room -> the rooms it may import (besides itself).
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    # Built-in handlers are public and registered by import path: they need nothing but errors.
    "handlers": {"errors"},
    "_documents": {"errors"},
    "_query": {"errors", "_documents"},
    "_stores": {"errors", "_documents", "_query"},
    "_fill": {"errors", "handlers", "_documents", "_query", "_stores"},
    "_assemble": {"errors", "handlers", "_documents", "_query", "_stores", "_fill"},
    "_runs": _ENGINE,
    "_transfer": _ENGINE | {"_runs"},
    "_intake": _ENGINE | {"_runs", "_transfer"},
    # The 1.x-shaped rooms above intake: drivers build stores and hand them on; config files
    # name drivers and v1 configs; v1 builds catalogs from config files. They are peers.
    "_drivers": _BELOW_FACADES,
    "_config": _BELOW_FACADES | {"_drivers", "v1"},
    "v1": _BELOW_FACADES | {"_drivers", "_config"},
    # The Tiled façade: over the composition root and the query layer, never intake (it
    # opens a location through _config.open_catalog and keeps only the store and context).
    "_tiled": _ENGINE | {"_runs", "_config"},
    **{door: _BACKSTAGE | DOORS for door in DOORS},
    # Tools at the top: they may use anything.
    "cli": _BACKSTAGE | DOORS | {"_tiled"},
    "testing": _BACKSTAGE | DOORS | {"cli"},
    "__main__": _BACKSTAGE | DOORS | {"cli"},
}

#: Names defined in a public door itself instead of in a room, so rooms below the doors
#: import them from there until they move into a room: ``(door module, name) -> why``. A
#: room may import exactly these from the door; a test fails once one moves (drop its line).
DOOR_DEFINED: dict[tuple[str, str], str] = {
    ("databroker.utils", "ALL"): "the 1.x 'every stream or field' sentinel v1 uses throughout",
    ("databroker.utils", "get_fields"): "v1 Broker.get_fields is the utils function",
    ("databroker.utils", "wrap_in_deprecated_doct"): "v1 wraps documents in utils' Doct",
    ("databroker.utils", "catalog_search_path"): "asks intake for its data directories",
}

#: Imports that go up on purpose: ``(file, imported module) -> why``. Each is made inside a
#: function, on first use, so importing the lower room does not import the higher one.
UPWARD_ON_USE: dict[tuple[str, str], str] = {
    ("_intake/broker.py", "databroker.v1"): "catalog.v1, the spec's accessor of the 1.x API",
}

#: Files another engineer is reworking right now; their check is expected to fail until then.
IN_PROGRESS: set[str] = set()
IN_PROGRESS_ROOMS: set[str] = set()


# -- the checker ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """One forbidden import: where it is and why it is forbidden."""

    path: str
    line: int
    statement: str
    reason: str

    def __str__(self) -> str:
        return f"src/databroker/{self.path}:{self.line}: `{self.statement}` {self.reason}"


def room_of(module: str) -> str:
    """Return the room of a dotted module name inside ``databroker``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "databroker"


def is_module(dotted: str) -> bool:
    """Return True if ``dotted`` names a module or package under ``src/``."""
    path = SRC.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def module_name(relative: str) -> tuple[str, bool]:
    """Return the dotted name of a file (relative to the package) and whether it is a package."""
    parts = ["databroker", *Path(relative).with_suffix("").parts]
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[ast.stmt, str, str]]:
    """Return ``(node, target module, imported name or '')`` for every databroker import."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[ast.stmt, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name, "") for alias in node.names if _ours(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not _ours(target):
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if is_module(submodule):  # ``from .. import errors`` imports a module
                    found.append((node, submodule, ""))
                else:
                    found.append((node, target, alias.name))
    return found


def _ours(dotted: str) -> bool:
    return dotted == "databroker" or dotted.startswith("databroker.")


def check_source(source: str, relative: str) -> list[Violation]:
    """Return the layering violations of one module's source.

    Parameters
    ----------
    source
        The module's text.
    relative
        Its path relative to ``src/databroker`` (``'_stores/base.py'``), which says its room.
    """
    module, is_package = module_name(relative)
    room = room_of(module)
    if room not in MAY_IMPORT:
        return [
            Violation(
                relative,
                1,
                f"room {room}",
                "is a room the table does not know: add it to MAY_IMPORT in "
                "tests/test_layering.py (and a line to docs/architecture.md)",
            )
        ]
    allowed = MAY_IMPORT[room] | {room}
    violations = []
    for node, target, name in _imports(ast.parse(source), module, is_package):
        statement = ast.unparse(node)
        other = room_of(target)
        if other == room:
            continue
        if (target, name) in DOOR_DEFINED or (relative, target) in UPWARD_ON_USE:
            continue
        if other not in allowed:
            violations.append(
                Violation(
                    relative,
                    node.lineno,
                    statement,
                    f"makes room {room!r} import room {other!r} ({target}); {room!r} may "
                    f"import only {', '.join(sorted(MAY_IMPORT[room])) or 'nothing'}",
                )
            )
        elif name.startswith("_") and not name.startswith("__"):
            violations.append(
                Violation(
                    relative,
                    node.lineno,
                    statement,
                    f"imports the private name {name!r} of room {other!r} ({target}); make "
                    "it public in its room or move the caller",
                )
            )
    return violations


def module_files() -> list[str]:
    """Every module of the package, relative to ``src/databroker``, sorted."""
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py"))


@functools.cache
def violations_of(relative: str) -> tuple[Violation, ...]:
    """The violations of one file of the real tree."""
    return tuple(check_source((PACKAGE / relative).read_text(encoding="utf-8"), relative))


def _in_progress(relative: str) -> bool:
    return relative in IN_PROGRESS or Path(relative).parts[0] in IN_PROGRESS_ROOMS


def _cases() -> list[object]:
    cases: list[object] = []
    for relative in module_files():
        marks = []
        if _in_progress(relative) and violations_of(relative):
            reason = "being reworked: " + "; ".join(str(v) for v in violations_of(relative))
            marks.append(pytest.mark.xfail(reason=reason, strict=False))
        cases.append(pytest.param(relative, marks=marks, id=relative))
    return cases


# -- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("relative", _cases())
def test_module_obeys_layering(relative: str) -> None:
    """[new] A module imports only rooms below its own and no other room's private names."""
    found = violations_of(relative)
    assert not found, "Layering violations:\n" + "\n".join(str(v) for v in found)


def test_door_defined_names_still_live_in_their_door() -> None:
    """[new] Each name of DOOR_DEFINED is still defined in its door (remove moved ones)."""
    import importlib

    moved = [
        f"{door}.{name}"
        for door, name in DOOR_DEFINED
        if getattr(importlib.import_module(door), name).__module__ != door
    ]
    assert not moved, "Moved into a room; remove from DOOR_DEFINED: " + ", ".join(moved)


def test_every_room_is_in_the_table() -> None:
    """[new] Every top-level entry of src/databroker is a room of the layering table."""
    rooms = {room_of(module_name(relative)[0]) for relative in module_files()}
    assert rooms - set(MAY_IMPORT) == set()
    # Every room a room may import is itself in the table.
    assert set().union(*MAY_IMPORT.values()) <= set(MAY_IMPORT)


def test_table_has_no_cycles_outside_peers() -> None:
    """[new] The layering table is an order: no room may import a room that may import it back."""
    peers = {"_config", "v1"}  # config files build v1 brokers; v1 reads config files
    pairs = {
        (a, b)
        for a, allowed in MAY_IMPORT.items()
        for b in allowed
        if a in MAY_IMPORT.get(b, set()) and {a, b} != peers and not {a, b} <= DOORS
    }
    assert pairs == set()


def test_checker_reports_lower_room_importing_higher() -> None:
    """[new] The checker flags _stores importing _intake, naming file, line and import."""
    source = "import os\n\ndef f():\n    from ..._intake.run import BlueskyRun\n"
    (violation,) = check_source(source, "_stores/files/fake.py")
    assert violation.line == 4
    assert "from ..._intake.run import BlueskyRun" in str(violation)
    assert "src/databroker/_stores/files/fake.py:4" in str(violation)
    assert "'_stores' import room '_intake'" in str(violation)


def test_checker_reports_absolute_and_module_imports() -> None:
    """[new] Absolute imports and `from .. import room` count like relative ones."""
    source = "import databroker._intake.run\nfrom .. import v1\nfrom databroker import errors\n"
    found = check_source(source, "_fill/fake.py")
    assert [v.line for v in found] == [1, 2]


def test_checker_reports_private_names_of_other_rooms() -> None:
    """[new] Another room's _name is flagged; private module paths and own names are not."""
    bad = check_source("from .._intake.stream import _stream_data\n", "v1/fake.py")
    assert len(bad) == 1 and "private name '_stream_data'" in str(bad[0])
    fine = (
        "from .._stores.files.catalog import FileCatalogStore\n"
        "from .._drivers import _files\n"
        "from ._optional import _x\n"
    )
    assert check_source(fine, "v1/fake.py") == []
    assert check_source("from .. import __version__\n", "cli/fake.py") == []


def test_checker_tolerates_only_door_defined_names() -> None:
    """[new] A room may import a name defined in a door (DOOR_DEFINED), not its re-exports."""
    assert check_source("from ..utils import ALL\n", "v1/fake.py") == []
    (violation,) = check_source("from ..utils import lookup_config\n", "v1/fake.py")
    assert "'v1' import room 'utils'" in str(violation)


def test_checker_reports_unknown_rooms() -> None:
    """[new] A module in a folder the table does not know is reported, with the fix."""
    (violation,) = check_source("", "_newroom/thing.py")
    assert "add it to MAY_IMPORT" in str(violation)


def test_upward_imports_are_made_on_first_use() -> None:
    """[new] Each allowed upward import sits inside a function, never at module level."""
    at_module_level = []
    for relative, target in UPWARD_ON_USE:
        module, is_package = module_name(relative)
        tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
        imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        top = ast.Module(body=imports, type_ignores=[])
        if any(found == target for _, found, _ in _imports(top, module, is_package)):
            at_module_level.append(f"{relative} -> {target}")
    assert not at_module_level, at_module_level
