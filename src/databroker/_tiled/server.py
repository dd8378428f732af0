"""``serve_in_thread(catalog)``: a Tiled server on a background thread, for notebooks."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote_plus

from ..errors import ServerUnreachable

__all__ = ["TiledServer", "serve_in_thread"]

_STARTUP_SECONDS = 20.0


class TiledServer:
    """A running server: its ``url``, ``api_key``, a ``client()`` and ``stop()``.

    Use it as a context manager to stop it on exit.
    """

    def __init__(self, app: Any, host: str, port: int, api_key: str | None) -> None:
        import uvicorn
        from tiled.server.simple import ThreadedServer

        self.api_key = api_key
        self._server = ThreadedServer(
            uvicorn.Config(app, host=host, port=port, log_level="warning", loop="asyncio")
        )
        self._running = self._server.run_in_thread()
        base = self._running.__enter__()
        #: The server's address, ``http://host:port``.
        self.url: str = base
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + _STARTUP_SECONDS
        with httpx.Client(trust_env=False) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                        return
                except httpx.RequestError:
                    pass
                time.sleep(0.05)
        raise ServerUnreachable(f"The Tiled server at {self.url} did not become ready.")

    @property
    def uri(self) -> str:
        """The API address with the key, as ``tiled.client.from_uri`` takes it."""
        key = f"?api_key={quote_plus(self.api_key)}" if self.api_key else ""
        return f"{self.url}/api/v1{key}"

    def client(self) -> Any:
        """Return the stock Tiled client of the served catalog."""
        from tiled.client import from_uri

        return from_uri(self.url, api_key=self.api_key)

    def stop(self) -> None:
        """Stop the server and wait for its thread to end (idempotent)."""
        running, self._running = self._running, None
        if running is not None:
            running.__exit__(None, None, None)

    def __enter__(self) -> TiledServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._running is not None else "stopped"
        return f"<TiledServer {self.url} ({state})>"


def serve_in_thread(
    catalog: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    public: bool = False,
    roots: Sequence[str] | None = None,
) -> TiledServer:
    """Serve a catalog through Tiled on a background thread and return the running server.

    Parameters
    ----------
    catalog
        A catalog opened by databroker (``open_catalog``, a Broker), or a location string.
    host, port
        Where to listen; the default is loopback only, on a free port.
    api_key
        The key clients must send; generated if not given (see ``server.api_key``).
    public
        Allow reads without a key.
    roots
        Directories external files may be read from (default: the catalog's root_map roots).

    Returns
    -------
    TiledServer
        With ``url``, ``api_key``, ``client()`` and ``stop()``.

    Examples
    --------
    >>> server = databroker.serve_in_thread(catalog)  # doctest: +SKIP
    >>> remote = databroker.open_catalog(server.url, api_key=server.api_key)  # doctest: +SKIP
    >>> server.stop()  # doctest: +SKIP
    """
    from .app import build_app, new_api_key
    from .factory import tree

    served = tree(catalog) if isinstance(catalog, str) else tree(catalog=catalog, roots=roots)
    key = None if public else (api_key or new_api_key())
    app = build_app(served, api_key=key, public=public)
    return TiledServer(app, host, port, key)
