"""External files served only from the roots a catalog maps.

A served catalog reads external data through handlers; each handler class of the catalog's
registry is wrapped (:func:`guarded_context`) so that, before it opens anything, the path it
was given (the resource's root after root_map, joined with its resource path) is resolved,
symlinks included, and must lie under one of the allowed roots. A resource pointing
elsewhere raises :class:`~databroker.errors.ExternalFileNotFound` and the file is not opened.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote, urlparse

from .._runs.context import ReadContext
from ..errors import ExternalFileNotFound

__all__ = ["allowed_roots", "check_path", "guard_handler", "guarded_context"]


def allowed_roots(context: ReadContext, roots: Sequence[str] | None = None) -> list[str]:
    """The directories a served catalog may read: ``roots`` if given, else the local roots
    of its root_map (empty: any path without a ``..`` component)."""
    chosen = list(roots) if roots is not None else list(context.resolved_root_map().values())
    return [os.path.realpath(os.path.expanduser(root)) for root in chosen]


def check_path(path: Any, roots: Sequence[str], handler: str = "handler") -> None:
    """Raise ``ExternalFileNotFound`` unless ``path`` resolves under one of ``roots``."""
    text = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if text is None:
        return  # not a path (a handler taking something else): nothing to check
    parsed = urlparse(text)
    if parsed.scheme == "file":
        text = unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise ExternalFileNotFound(
            f"{handler} was given {text!r}, a {parsed.scheme}:// location; a served catalog "
            "reads local files under its roots only."
        )
    if not roots:
        if ".." in PurePath(text).parts or ".." in text.split(posixpath.sep):
            raise ExternalFileNotFound(
                f"{handler} was given {text!r}, which climbs out of its root with '..'; a "
                "served catalog does not read it (give the server roots to allow)."
            )
        return
    real = os.path.realpath(text)
    for root in roots:
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return
    raise ExternalFileNotFound(
        f"{handler} was given {text!r} (resolving to {real}), outside the roots this "
        f"server may read ({', '.join(roots)}); map the resource's root there with root_map "
        "or allow its directory when starting the server."
    )


def guard_handler(handler: Any, roots: Sequence[str]) -> Any:
    """Return ``handler`` (a class or callable) checking its path argument before it runs."""
    name = getattr(handler, "__name__", repr(handler))
    if isinstance(handler, type):

        def __init__(self: Any, path: Any, *args: Any, **kwargs: Any) -> None:
            check_path(path, roots, name)
            handler.__init__(self, path, *args, **kwargs)  # type: ignore[misc]

        namespace = {
            "__init__": __init__,
            "__module__": handler.__module__,
            "__qualname__": handler.__qualname__,
            "__doc__": handler.__doc__,
        }
        return type(handler.__name__, (handler,), namespace)

    def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
        check_path(path, roots, name)
        return handler(path, *args, **kwargs)

    guarded.__name__ = name
    return guarded


def guarded_context(context: ReadContext, roots: Sequence[str] | None = None) -> ReadContext:
    """Return a copy of ``context`` whose handlers read only under the allowed roots."""
    allowed = allowed_roots(context, roots)
    registry = {
        spec: guard_handler(handler, allowed)
        for spec, handler in dict(context.handler_registry).items()
    }
    return ReadContext(
        handler_registry=registry,
        root_map=context.root_map,
        filler_class=context.filler_class,
        transforms=context.transforms_arg,
        catalog_dir=context.catalog_dir,
    )
