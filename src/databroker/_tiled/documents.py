"""The ``/documents/{path}`` route: a run's documents as JSON text sequences (RFC 7464).

It is what ``BlueskyRun.documents()`` of the stock client (bluesky-tiled-plugins) reads. The
run is looked up with Tiled's own ``get_entry`` and the ``read:data`` scope, so the route
goes through the same authentication and access policy as the arrays of the tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import StreamingResponse
from tiled.server.authentication import (
    check_scopes,
    get_current_access_tags,
    get_current_principal,
    get_current_scopes,
    get_session_state,
)
from tiled.server.dependencies import get_entry, get_root_tree
from tiled.utils import safe_json_dump

from .run import RunAdapter

__all__ = ["documents_router", "json_seq"]

_RECORD_SEPARATOR = b"\x1e"


def json_seq(documents: Iterator[tuple[str, Any]]) -> Iterator[bytes]:
    """Frame ``(name, doc)`` pairs as RFC 7464 records: ``RS {"name":..,"doc":..} LF``."""
    for name, doc in documents:
        yield _RECORD_SEPARATOR + safe_json_dump({"name": name, "doc": doc}) + b"\n"


# FastAPI reads a route's dependencies from its parameters' defaults.
def documents_router() -> APIRouter:
    """Return the router serving ``GET /documents/{path}`` for the runs of the tree."""
    router = APIRouter()

    @router.get("/documents/{path:path}", name="documents of a run")
    async def documents(
        path: str,
        request: Request,
        principal: Annotated[Any, Depends(get_current_principal)],
        root_tree: Annotated[Any, Depends(get_root_tree)],
        session_state: Annotated[dict, Depends(get_session_state)],
        authn_access_tags: Annotated[Any, Depends(get_current_access_tags)],
        authn_scopes: Annotated[Any, Depends(get_current_scopes)],
        _: Annotated[Any, Security(check_scopes, scopes=["read:data"])],
        fill: bool = False,
    ) -> StreamingResponse:
        """Stream every document of one run, in the order of ``documents()``."""
        entry = await get_entry(
            path,
            ["read:data"],
            principal,
            authn_access_tags,
            authn_scopes,
            root_tree,
            session_state,
            request.state.metrics,
            None,
            getattr(request.app.state, "access_policy", None),
        )
        if not isinstance(entry, RunAdapter):
            raise HTTPException(status_code=404, detail=f"{path!r} is not a run of this tree.")
        return StreamingResponse(
            json_seq(entry.documents(fill=fill)), media_type="application/json-seq"
        )

    return router
