"""MongoDB's ``$text`` operator for the in-process matcher (no stemming, no text index).

The whole document is searched: every string value at any depth.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidQuery

__all__ = ["text_search"]

Predicate = Callable[[Any], bool]
_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r'(-?)"([^"]*)"?')  # an unclosed quote runs to the end, as in MongoDB
_TEXT_OPTIONS = {"$search", "$language", "$caseSensitive", "$diacriticSensitive"}


def text_search(condition: Any) -> Predicate:
    """Compile ``{'$search': ..., ...}``: MongoDB's ``$text`` logic, without stemming.

    A document matches if it has every quoted phrase, none of the ``-excluded`` words or
    phrases, and (when there are no phrases) any of the words. Words are compared whole,
    ignoring case and diacritics unless ``$caseSensitive``/``$diacriticSensitive`` say so,
    against every string value in the document, at any depth. ``$language`` is accepted and
    ignored.
    """
    if (
        not isinstance(condition, Mapping)
        or not isinstance(condition.get("$search"), str)
        or set(condition) - _TEXT_OPTIONS
    ):
        raise InvalidQuery(
            f"$text needs {{'$search': 'some words'}} (optionally $language, $caseSensitive, "
            f"$diacriticSensitive), not {condition!r}."
        )
    fold = _folder(
        bool(condition.get("$caseSensitive")), bool(condition.get("$diacriticSensitive"))
    )
    search = fold(condition["$search"])
    phrases: list[re.Pattern[str]] = []
    excluded_phrases: list[re.Pattern[str]] = []
    for match in _QUOTED.finditer(search):
        if match[2].strip():
            pattern = re.compile(rf"(?<!\w){re.escape(match[2].strip())}(?!\w)")
            (excluded_phrases if match[1] else phrases).append(pattern)
    words: set[str] = set()
    excluded_words: set[str] = set()
    for token in _QUOTED.sub(" ", search).split():
        if token.startswith("-"):
            excluded_words.update(_WORD.findall(token[1:]))
        else:
            words.update(_WORD.findall(token))

    def text_match(doc: Any) -> bool:
        texts = [fold(text) for text in _strings(doc)]
        present = {word for text in texts for word in _WORD.findall(text)}
        if present & excluded_words:
            return False
        if any(pattern.search(text) for pattern in excluded_phrases for text in texts):
            return False
        if phrases:
            return all(any(pattern.search(text) for text in texts) for pattern in phrases)
        return not words.isdisjoint(present)

    return text_match


def _folder(case_sensitive: bool, diacritic_sensitive: bool) -> Callable[[str], str]:
    def fold(text: str) -> str:
        if not diacritic_sensitive and not text.isascii():  # ASCII has no diacritics
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(char for char in decomposed if not unicodedata.combining(char))
        return text if case_sensitive else text.casefold()

    return fold


def _strings(doc: Any) -> list[str]:
    """Return every string value inside a document, at any depth (keys are not text)."""
    found = []
    pending = [doc]
    while pending:  # a loop, not recursion: this runs for every document searched
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif not isinstance(value, int | float) and isinstance(value, Mapping):
            pending.extend(value.values())
    return found
