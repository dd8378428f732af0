"""An in-process evaluator of Mongo-style queries, for file and in-memory catalogs.

:func:`compile_query` turns a query into a tree of closures once; calling the result on a
start document is then cheap (about a microsecond per simple condition).

Semantics follow MongoDB's: a dotted path walks through dicts and through arrays (a path
through an array matches if any element matches; a numeric component indexes an array); a
condition on an array field matches the whole array or any element; comparisons only match
values of the same kind (numbers with numbers, strings with strings); ``{'f': None}`` also
matches documents without ``f``; ``$ne``/``$nin``/``$not`` match documents without the field.
"""

from __future__ import annotations

import numbers
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidQuery, UnsupportedQuery
from .text_search import text_search

__all__ = ["compile_query"]

Predicate = Callable[[Any], bool]

BACKEND = "the in-process matcher for file and in-memory catalogs (JSONL, msgpack, in-memory)"

_MISSING = object()  # a path that leads nowhere; distinct from a stored None
_ARRAY = (list, tuple)
_LOGICAL = ("$and", "$or", "$nor")
_COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_SUPPORTED = (
    "$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $options $not $all $size $elemMatch "
    "$mod $and $or $nor $text"
)


def compile_query(query: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a Mongo-style query into a predicate over start documents.

    Parameters
    ----------
    query : Mapping
        A MongoDB filter; ``{}`` matches everything. Supported operators: ``$eq $ne $gt
        $gte $lt $lte $in $nin $exists $regex`` (with ``$options`` from ``imsx``, or an
        ``re.Pattern``) ``$and $or $nor $not $all $size $elemMatch $mod`` and, at the top
        level (or within top-level ``$and``/``$or``), ``$text``.

    Returns
    -------
    callable
        ``predicate(doc) -> bool``.

    Raises
    ------
    InvalidQuery
        If the query is malformed (not a mapping, ``$in`` without a list, ...).
    UnsupportedQuery
        If it uses an operator this matcher does not implement.
    """
    return _document(query, text_allowed=True)


# -- document level --------------------------------------------------------------------------


def _document(query: Any, text_allowed: bool) -> Predicate:
    if not isinstance(query, Mapping):
        raise InvalidQuery(
            f"A query must be a mapping of field names to conditions, not "
            f"{type(query).__name__}: {query!r}."
        )
    predicates = []
    for key, condition in query.items():
        if not isinstance(key, str):
            raise InvalidQuery(f"Query keys must be strings; got {key!r} in {query!r}.")
        if key in _LOGICAL:
            predicates.append(_logical(key, condition, text_allowed))
        elif key == "$text":
            if not text_allowed:
                raise InvalidQuery(
                    f"$text must be at the top level of a query (or inside a top-level $and or "
                    f"$or), not inside $nor, $not or $elemMatch: {query!r}."
                )
            predicates.append(text_search(condition))
        elif key.startswith("$"):
            raise UnsupportedQuery(_unsupported(key, query))
        else:
            predicates.append(_field(key, condition))
    return _all_of(predicates)


def _logical(key: str, clauses: Any, text_allowed: bool) -> Predicate:
    if not isinstance(clauses, list | tuple) or not clauses:
        raise InvalidQuery(
            f"{key} needs a non-empty list of queries, not {clauses!r}; e.g. "
            f"{{{key!r}: [{{'plan_name': 'count'}}, {{'num_points': 5}}]}}."
        )
    # MongoDB allows $text under $and/$or but not under $nor.
    parts = [_document(clause, text_allowed and key != "$nor") for clause in clauses]
    if key == "$and":
        return _all_of(parts)
    either = _any_of(parts)
    if key == "$or":
        return either
    return lambda doc: not either(doc)


def _unsupported(operator_name: str, where: Any) -> str:
    return (
        f"The query operator {operator_name!r} (in {where!r}) is not supported by {BACKEND}. "
        f"Supported operators: {_SUPPORTED}. Rewrite the query with these, or use a Mongo catalog."
    )


def _all_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return lambda doc: True
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda doc: first(doc) and second(doc)

    def all_of(doc: Any) -> bool:
        return all(predicate(doc) for predicate in predicates)

    return all_of


def _any_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]

    def any_of(doc: Any) -> bool:
        return any(predicate(doc) for predicate in predicates)

    return any_of


# -- paths -----------------------------------------------------------------------------------


def _on_path(path: str | None, test: Predicate) -> Predicate:
    """Return a document predicate: ``test`` holds for some value at ``path``.

    ``path=None`` means the value itself (the element under ``$elemMatch``).
    """
    if path is None:
        return test
    parts = path.split(".")
    if len(parts) == 1:
        # The common case, kept as short as possible: one dict lookup and one call.
        return lambda doc: test(doc.get(path, _MISSING))

    def on_dotted_path(doc: Any) -> bool:
        value = doc
        for part in parts:
            if not isinstance(value, dict):
                # Arrays (or other mappings) on the way: several values may be reached.
                return any(test(value) for value in _resolve(doc, parts))
            value = value.get(part, _MISSING)
        return test(value)

    return on_dotted_path


def _resolve(doc: Any, parts: list[str]) -> list[Any]:
    """Return every value a dotted path reaches, ``_MISSING`` where a branch ends early."""
    current = [doc]
    for part in parts:
        reached = []
        for value in current:
            if isinstance(value, Mapping):
                reached.append(value.get(part, _MISSING))
            elif isinstance(value, _ARRAY):
                reached.extend(_step_into_array(value, part))
            else:
                reached.append(_MISSING)
        current = reached
    return current


def _step_into_array(array: list[Any] | tuple[Any, ...], part: str) -> list[Any]:
    reached = [item.get(part, _MISSING) for item in array if isinstance(item, Mapping)]
    if part.isdigit() and int(part) < len(array):
        reached.append(array[int(part)])
    return reached or [_MISSING]


# -- field conditions ------------------------------------------------------------------------


def _field(path: str | None, condition: Any) -> Predicate:
    """Compile ``{path: condition}`` where condition is a value or an operator expression."""
    if _is_operator_expression(condition, path):
        return _operators(path, condition)
    return _on_path(path, _expand(_equals(condition)))


def _is_operator_expression(condition: Any, path: str | None) -> bool:
    if not isinstance(condition, Mapping) or not condition:
        return False
    dollar = [isinstance(key, str) and key.startswith("$") for key in condition]
    if all(dollar):
        return True
    if any(dollar):
        raise InvalidQuery(
            f"The condition on {path!r} mixes operators and field names: {condition!r}. Use "
            "either operators ({'$gt': 1}) or a whole embedded document ({'a': 1})."
        )
    return False


def _operators(path: str | None, expression: Mapping[str, Any]) -> Predicate:
    if "$options" in expression and "$regex" not in expression:
        raise InvalidQuery(f"$options without $regex in the condition on {path!r}: {expression!r}.")
    return _all_of(
        [
            _operator(path, name, argument, expression)
            for name, argument in expression.items()
            if name != "$options"
        ]
    )


def _operator(path: str | None, name: str, argument: Any, expression: Mapping) -> Predicate:
    if name == "$eq":
        return _on_path(path, _expand(_equals(argument)))
    if name == "$ne":
        return _negate(_on_path(path, _expand(_equals(argument))))
    if name in _COMPARISONS:
        return _on_path(path, _expand(_compare(name, argument, path)))
    if name == "$in":
        return _on_path(path, _expand(_member_of(argument, name, path)))
    if name == "$nin":
        return _negate(_on_path(path, _expand(_member_of(argument, name, path))))
    if name == "$exists":
        exists = _on_path(path, lambda value: value is not _MISSING)
        return exists if argument else _negate(exists)
    if name == "$regex":
        return _on_path(path, _expand(_regex_test(argument, expression.get("$options"), path)))
    if name == "$not":
        return _negate(_not_argument(path, argument))
    if name == "$all":
        return _all_elements(path, argument)
    if name == "$size":
        size = _size_argument(argument, path)
        return _on_path(path, lambda value: isinstance(value, _ARRAY) and len(value) == size)
    if name == "$elemMatch":
        return _on_path(path, _elem_match(argument, path))
    if name == "$mod":
        return _on_path(path, _expand(_modulo(argument, path)))
    if name in _LOGICAL or name == "$text":
        raise InvalidQuery(
            f"{name} applies to whole documents, not to the field {path!r}: {expression!r}. "
            f"Write {{{name!r}: [...]}} at the top level."
        )
    raise UnsupportedQuery(_unsupported(name, {path: expression} if path else expression))


def _negate(predicate: Predicate) -> Predicate:
    return lambda doc: not predicate(doc)


def _expand(test: Predicate) -> Predicate:
    """Make ``test`` also hold for an array when it holds for any of its elements."""

    def test_or_elements(value: Any) -> bool:
        if test(value):
            return True
        if isinstance(value, _ARRAY):
            for item in value:
                if test(item):
                    return True
        return False

    return test_or_elements


# -- value tests -----------------------------------------------------------------------------

_NUMBER_TYPES = (int, float, numbers.Real)  # builtins first: isinstance checks them fastest


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """Return MongoDB's comparison class of a value; only values of one class compare."""
    if value is None or value is _MISSING:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, _ARRAY):
        return "array"
    return type(value).__name__


def _same(a: Any, b: Any) -> bool:
    """Equality by MongoDB's rules: ``True`` is not ``1``; nested values compared alike."""
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "object":
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if kind == "array":
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. numpy arrays, whose == is elementwise
        return False


def _equals(target: Any) -> Predicate:
    if isinstance(target, re.Pattern):
        return _regex_test(target, None, None)
    if target is None:
        return lambda value: value is None or value is _MISSING
    if isinstance(target, str):
        return lambda value: isinstance(value, str) and value == target
    if _is_number(target):
        return lambda value: _is_number(value) and value == target
    return lambda value: value is not _MISSING and _same(value, target)


def _compare(name: str, bound: Any, path: str | None) -> Predicate:
    compare = _COMPARISONS[name]
    if bound is None:
        # null compares equal to null (and to a missing field), and is not above or below it.
        return _equals(None) if name in ("$gte", "$lte") else (lambda value: False)
    kind = _kind(bound)
    if kind in ("object", "array"):
        raise UnsupportedQuery(
            f"{name} with a {kind} bound ({bound!r}, on {path!r}) is not supported by "
            f"{BACKEND}. Compare with a number, string or date."
        )
    if kind == "number":
        return lambda value: _is_number(value) and compare(value, bound)
    if kind == "string":
        return lambda value: isinstance(value, str) and compare(value, bound)

    def same_kind_compare(value: Any) -> bool:
        if _kind(value) != kind:
            return False
        try:
            return bool(compare(value, bound))
        except TypeError:  # e.g. naive vs aware datetimes
            return False

    return same_kind_compare


def _member_of(candidates: Any, name: str, path: str | None) -> Predicate:
    if not isinstance(candidates, list | tuple | set | frozenset):
        raise InvalidQuery(
            f"{name} needs a list of values, not {candidates!r} (on {path!r}); e.g. "
            f"{{{path!r}: {{{name!r}: ['a', 'b']}}}}."
        )
    strings = {item for item in candidates if isinstance(item, str)}
    numbers_ = {item for item in candidates if _is_number(item)}
    others = [
        _equals(item) for item in candidates if not isinstance(item, str) and not _is_number(item)
    ]

    def member(value: Any) -> bool:
        # Set lookups for the common scalar cases; type checks first (True == 1 in Python).
        if isinstance(value, str):
            if value in strings:
                return True
        elif _is_number(value) and value in numbers_:
            return True
        return any(test(value) for test in others)

    return member


def _regex_test(pattern: Any, options: Any, path: str | None) -> Predicate:
    flags = 0
    if options is not None:
        if not isinstance(options, str) or set(options) - set(_REGEX_FLAGS):
            raise InvalidQuery(
                f"$options must be a string of the flags 'i', 'm', 's', 'x', not {options!r} "
                f"(on {path!r})."
            )
        for letter in options:
            flags |= _REGEX_FLAGS[letter]
    if isinstance(pattern, re.Pattern):
        flags |= pattern.flags
        pattern = pattern.pattern
    if not isinstance(pattern, str):
        raise InvalidQuery(f"$regex needs a string or re.Pattern, not {pattern!r} (on {path!r}).")
    try:
        compiled = re.compile(pattern, flags)
    except re.error as err:
        raise InvalidQuery(f"Invalid regular expression {pattern!r} (on {path!r}): {err}.") from err
    return lambda value: isinstance(value, str) and compiled.search(value) is not None


def _not_argument(path: str | None, argument: Any) -> Predicate:
    if isinstance(argument, re.Pattern):
        return _on_path(path, _expand(_regex_test(argument, None, path)))
    if not isinstance(argument, Mapping) or not _is_operator_expression(argument, path):
        raise InvalidQuery(
            f"$not needs an operator expression or a regular expression, not {argument!r} "
            f"(on {path!r}); e.g. {{'$not': {{'$gt': 5}}}}."
        )
    return _operators(path, argument)


def _all_elements(path: str | None, values: Any) -> Predicate:
    if not isinstance(values, list | tuple):
        raise InvalidQuery(f"$all needs a list of values, not {values!r} (on {path!r}).")
    if not values:
        return lambda doc: False  # MongoDB: an empty $all matches nothing
    parts = []
    for value in values:
        if isinstance(value, Mapping) and list(value) == ["$elemMatch"]:
            parts.append(_on_path(path, _elem_match(value["$elemMatch"], path)))
        else:
            parts.append(_on_path(path, _expand(_equals(value))))
    return _all_of(parts)


def _size_argument(size: Any, path: str | None) -> int:
    if _is_number(size) and size == int(size) and size >= 0:
        return int(size)
    raise InvalidQuery(f"$size needs a non-negative whole number, not {size!r} (on {path!r}).")


def _elem_match(condition: Any, path: str | None) -> Predicate:
    if not isinstance(condition, Mapping):
        raise InvalidQuery(f"$elemMatch needs a query mapping, not {condition!r} (on {path!r}).")
    keys = list(condition)
    if keys and all(isinstance(k, str) and k.startswith("$") and k not in _LOGICAL for k in keys):
        element_test = _operators(None, condition)  # conditions on the elements themselves
    else:
        document = _document(condition, text_allowed=False)  # queries on embedded documents

        def element_test(item: Any) -> bool:
            return isinstance(item, Mapping) and document(item)

    def elem_match(value: Any) -> bool:
        return isinstance(value, _ARRAY) and any(element_test(item) for item in value)

    return elem_match


def _modulo(argument: Any, path: str | None) -> Predicate:
    if (
        not isinstance(argument, list | tuple)
        or len(argument) != 2
        or not all(_is_number(part) for part in argument)
        or int(argument[0]) == 0
    ):
        raise InvalidQuery(
            f"$mod needs [divisor, remainder] with a non-zero divisor, not {argument!r} "
            f"(on {path!r})."
        )
    divisor, remainder = int(argument[0]), int(argument[1])

    def modulo(value: Any) -> bool:
        if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
            return False
        # MongoDB truncates toward zero and keeps the dividend's sign, like C's %.
        dividend = int(value)
        result = abs(dividend) % abs(divisor)
        return (-result if dividend < 0 else result) == remainder

    return modulo
