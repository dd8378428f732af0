"""The error tree drawn in ``databroker.errors``' docstring matches the classes."""

from __future__ import annotations

import builtins
import inspect
import re
from dataclasses import dataclass

import pytest

import databroker.errors as errors

_CLASS_LINE = re.compile(r"^(?P<prefix>[\s│├└─]*)(?P<name>[A-Z]\w*)(?:\s*\((?P<note>[^)]*)\))?")


@dataclass(frozen=True)
class Drawn:
    """One class as drawn: its name, its drawn parent, and the builtins named beside it."""

    name: str
    parent: str | None
    builtins: tuple[str, ...]


def drawn_tree(docstring: str) -> dict[str, Drawn]:
    """Return the classes of the tree drawn in ``docstring``, by name.

    A class's drawn parent is the nearest class line above it that starts further left;
    lower-case lines (group labels) are not classes.
    """
    block = docstring.split("```text", 1)[1].split("```", 1)[0]
    drawn: dict[str, Drawn] = {}
    stack: list[tuple[int, str]] = []  # (column, name) of the open ancestors
    for line in block.splitlines():
        match = _CLASS_LINE.match(line)
        if match is None:
            continue
        column = len(match["prefix"])
        while stack and stack[-1][0] >= column:
            stack.pop()
        names = re.findall(r"\w+", match["note"] or "")
        named_builtins = tuple(n for n in names if isinstance(getattr(builtins, n, None), type))
        drawn[match["name"]] = Drawn(match["name"], stack[-1][1] if stack else None, named_builtins)
        stack.append((column, match["name"]))
    return drawn


def _public_classes() -> dict[str, type]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
        and not name.startswith("_")
    }


def _builtin_bases(cls: type) -> set[type]:
    """Builtin exception classes in ``cls``'s MRO, other than the catch-all ones."""
    catch_all = {BaseException, Exception, Warning, object}
    return {base for base in cls.__mro__ if base.__module__ == "builtins"} - catch_all


TREE = drawn_tree(errors.__doc__ or "")


def test_every_class_is_drawn() -> None:
    """[new] Every exception and warning class of databroker.errors appears in the drawn tree."""
    assert set(_public_classes()) - set(TREE) == set()


def test_every_drawn_name_is_a_class() -> None:
    """[new] The drawn tree names no class that databroker.errors lacks."""
    assert set(TREE) - set(_public_classes()) == set()


def test_all_lists_every_class() -> None:
    """[new] databroker.errors.__all__ holds every public exception and warning class."""
    assert set(_public_classes()) <= set(errors.__all__)


@pytest.mark.parametrize("name", sorted(TREE))
def test_drawn_parent_and_builtins_are_true(name: str) -> None:
    """[new] A class drawn under another subclasses it, and subclasses the builtins beside it."""
    cls = getattr(errors, name)
    drawn = TREE[name]
    if drawn.parent is not None:
        assert issubclass(cls, getattr(errors, drawn.parent)), (
            f"{name} is drawn under {drawn.parent}"
        )
    for builtin in drawn.builtins:
        assert issubclass(cls, getattr(builtins, builtin)), f"{name} is drawn as a {builtin}"


def test_tree_has_two_roots() -> None:
    """[new] The drawn tree starts at DatabrokerError and DatabrokerWarning only."""
    assert {d.name for d in TREE.values() if d.parent is None} == {
        "DatabrokerError",
        "DatabrokerWarning",
    }


def test_every_error_is_also_a_builtin() -> None:
    """[compat] Every DatabrokerError subclass also inherits a builtin other than Exception."""
    subclasses = [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj)
        and issubclass(obj, errors.DatabrokerError)
        and obj is not errors.DatabrokerError
    ]
    assert subclasses
    bare = [cls.__name__ for cls in subclasses if not _builtin_bases(cls)]
    assert bare == []


def test_every_warning_is_a_user_warning() -> None:
    """[new] Every warning class derives from DatabrokerWarning, a UserWarning."""
    warnings = [cls for cls in _public_classes().values() if issubclass(cls, Warning)]
    assert all(issubclass(cls, errors.DatabrokerWarning) for cls in warnings)
    assert issubclass(errors.DatabrokerWarning, UserWarning)


def test_parser_reads_parents_through_group_labels() -> None:
    """[new] The tree parser takes the nearest class to the left as parent, skipping groups."""
    text = "```text\nA (Exception)\n├── group: words\n│   ├── B (KeyError)\n│   │   └── C\n```"
    tree = drawn_tree(text)
    assert tree["B"] == Drawn("B", "A", ("KeyError",))
    assert tree["C"].parent == "B"
    assert "group" not in tree
