"""The ASGI application: Tiled's ``build_app`` with our authentication defaults and a guard
that refuses filters Tiled does not know (Tiled itself ignores them and answers everything).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "RefuseUnknownFilters",
    "SettingsResolvedOnce",
    "app_factory",
    "build_app",
    "new_api_key",
    "unknown_filters",
]

_FILTER = re.compile(r"^filter\[(?P<name>[^\]]*)\](?:\[condition\]\[(?P<field>[^\]]*)\])?")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def new_api_key() -> str:
    """Return a fresh random API key (hex, as Tiled's single-user key must be)."""
    return secrets.token_hex(32)


def _known_fields() -> dict[str, set[str]]:
    from tiled.query_registration import default_query_registry

    return {
        name: {field.name for field in dataclasses.fields(query)}
        for name, query in default_query_registry.name_to_query_type.items()
    }


def unknown_filters(query_string: str, known: dict[str, set[str]] | None = None) -> list[str]:
    """Return the ``filter[...]`` parameters of a query string naming no known query field."""
    known = _known_fields() if known is None else known
    unknown = []
    for key, _ in parse_qsl(query_string, keep_blank_values=True):
        match = _FILTER.match(key)
        if match is None:
            continue
        name, field = match["name"], match["field"]
        if name not in known or (field is not None and field not in known[name]):
            unknown.append(key)
    return unknown


class RefuseUnknownFilters:
    """ASGI middleware answering HTTP 400, naming them, to requests with unknown filters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._known: dict[str, set[str]] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and b"filter" in scope.get("query_string", b""):
            if self._known is None:
                self._known = _known_fields()
            text = scope["query_string"].decode("latin-1")
            unknown = unknown_filters(text, self._known)
            if unknown:
                await _refuse(send, unknown, sorted(self._known))
                return
        await self.app(scope, receive, send)


async def _refuse(send: Any, unknown: list[str], known: list[str]) -> None:
    detail = (
        f"Unknown filter {', '.join(unknown)}: this server does not know it, so it cannot "
        f"answer the search. Known filters: {', '.join(known)}."
    )
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _OverridesSeenEmpty(dict[Any, Any]):
    """Tiled's dependency overrides, still looked up by Tiled (``overrides[get_settings]``)
    but false to FastAPI, which then skips rebuilding every route dependency per request."""

    def __bool__(self) -> bool:
        return False


class SettingsResolvedOnce:
    """ASGI middleware: Tiled's settings resolved once per app instead of per dependency.

    Tiled's ``build_app`` declares its settings as a dependency override (``get_settings``).
    With any override declared, FastAPI rebuilds the dependant of every sub-dependency of
    every route on every request (``get_dependant``: signature inspection, about 4 ms of an
    8-10 ms metadata request). Tiled's override (cached) writes the app's authentication and
    server settings into the process' ``get_settings()`` object and returns that object, so
    a route depending on ``get_settings`` gets the same settings once the override has run:
    this middleware runs it (a cache lookup after the first call) before each request, and
    FastAPI is shown no overrides.
    """

    def __init__(self, app: ASGIApp, override: Callable[[], Any]) -> None:
        self.app = app
        self._override = override

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self._override()
        await self.app(scope, receive, send)


def _resolve_settings_once(app: Any) -> None:
    """Apply :class:`SettingsResolvedOnce` to an app Tiled built (its overrides: settings)."""
    from tiled.server.settings import get_settings

    overrides = app.dependency_overrides
    if set(overrides) != {get_settings}:
        return  # overrides other than Tiled's settings: FastAPI must apply them
    app.add_middleware(SettingsResolvedOnce, override=overrides[get_settings])
    app.dependency_overrides = _OverridesSeenEmpty(overrides)


def build_app(
    tree: Any,
    *,
    api_key: str | None = None,
    public: bool = False,
    authentication: Any = None,
    server_settings: dict[str, Any] | None = None,
) -> Any:
    """Return the ASGI app serving ``tree``, read-only, with our compression choices
    (:mod:`databroker._tiled.codecs`), Arrow tables written from the columns
    (:mod:`databroker._tiled.serializers`), Tiled's settings resolved once per app
    (:class:`SettingsResolvedOnce`) and unknown filters refused.

    Parameters
    ----------
    tree
        The root adapter (:func:`databroker._tiled.tree`).
    api_key
        The single API key clients must send (ignored with ``public`` or ``authentication``).
    public
        Allow anonymous reads (no key).
    authentication
        Tiled's own ``Authentication`` settings (providers, ...) instead of the two above.
    server_settings
        Tiled's server settings, passed through.
    """
    from tiled.config import Authentication
    from tiled.server.app import build_app as tiled_build_app

    from .codecs import compression_registry
    from .serializers import serialization_registry

    if authentication is None:
        if public:
            authentication = Authentication(allow_anonymous_access=True)
        else:
            authentication = Authentication(single_user_api_key=api_key or new_api_key())
    app = tiled_build_app(
        tree,
        authentication=authentication,
        server_settings=server_settings,
        compression_registry=compression_registry(),
        serialization_registry=serialization_registry(),
    )
    _resolve_settings_once(app)
    app.add_middleware(RefuseUnknownFilters)
    return app


def app_factory() -> Any:
    """Tiled's ``app_factory`` (a ``TILED_CONFIG`` file) with unknown filters refused, for
    ``uvicorn --factory databroker.cli.serve:app_factory``."""
    from tiled.server.app import app_factory as tiled_app_factory

    app = tiled_app_factory()
    _resolve_settings_once(app)
    app.add_middleware(RefuseUnknownFilters)
    return app
