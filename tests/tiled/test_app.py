"""The app we build around Tiled's: settings resolved once, authentication unchanged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import Served

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _app(served: Served, **options: Any) -> Any:
    from databroker._tiled import build_app, tree

    return build_app(tree(catalog=served.catalog), **options)


def test_requests_rebuild_no_route_dependency(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """[new] A metadata request to the built app builds no FastAPI dependant (Tiled's
    settings override is resolved once, not per dependency per request)."""
    import fastapi.dependencies.utils as fastapi_dependencies
    from tiled.client import from_context
    from tiled.client.context import Context

    served = Served("msgpack", tmp_path)
    context = Context.from_app(_app(served, api_key="secret"), api_key="secret")
    client = from_context(context)
    built = []
    real = fastapi_dependencies.get_dependant
    monkeypatch.setattr(
        fastapi_dependencies,
        "get_dependant",
        lambda *args, **kwargs: built.append(1) or real(*args, **kwargs),
    )
    assert client[served.scalar_uids[0]].start["uid"] == served.scalar_uids[0]
    assert built == []
    context.close()
    served.close()


def test_key_still_required_and_checked(tmp_path: Any) -> None:
    """[new] With the settings resolved once, a request without the key or with a wrong one
    is still 401 and the right key reads."""
    from starlette.testclient import TestClient

    served = Served("msgpack", tmp_path)
    with TestClient(_app(served, api_key="secret")) as http:
        assert http.get("/api/v1/metadata/").status_code == 401
        wrong = http.get("/api/v1/metadata/", headers={"Authorization": "Apikey wrong"})
        assert wrong.status_code == 401
        right = http.get("/api/v1/metadata/", headers={"Authorization": "Apikey secret"})
        assert right.status_code == 200
    served.close()


def test_public_app_reads_without_a_key(tmp_path: Any) -> None:
    """[new] An app built public=True answers anonymous reads."""
    from starlette.testclient import TestClient

    served = Served("msgpack", tmp_path)
    with TestClient(_app(served, public=True)) as http:
        response = http.get(f"/api/v1/metadata/{served.scalar_uids[0]}")
        assert response.status_code == 200, response.text
        assert isinstance(response, httpx.Response)
    served.close()
