"""``databroker serve LOCATION``: serve a catalog through a stock Tiled server (read-only).

By default the server listens on the loopback interface only and requires an API key; one is
generated and printed if --api-key is not given. --public allows reads without a key. The
catalog is readable with ``databroker.open_catalog("http://HOST:PORT", api_key=KEY)`` or any
Tiled / databroker 2 client. Needs ``pip install 'databroker[server]'``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .arguments import add_location, open_location

# ``tree`` and ``app_factory`` are the public names a ``tiled serve config`` file (and
# ``uvicorn --factory``) refer to: ``databroker.cli.serve:tree``.
__all__ = ["add_parser", "run"]  # and, on use, tree and app_factory


def __getattr__(name: str) -> Any:
    # Imported on use: `databroker --help` must not import Tiled.
    if name in ("tree", "app_factory"):
        from .. import _tiled

        return getattr(_tiled, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def add_parser(commands: argparse._SubParsersAction, name: str, parents: Sequence[Any]) -> None:
    """Mount ``databroker serve`` on the command's sub-parsers."""
    parser = commands.add_parser(
        name,
        help="serve a catalog through Tiled (HTTP), read-only",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    add_location(parser)
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    access = parser.add_mutually_exclusive_group()
    access.add_argument("--public", action="store_true", help="allow reads without a key")
    access.add_argument("--api-key", metavar="KEY", help="the key clients must send")
    parser.add_argument(
        "--allow-root",
        metavar="DIR",
        action="append",
        default=None,
        help="a directory external files may be read from (repeatable; default: the local "
        "roots of the catalog's root_map)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    import uvicorn

    from .._tiled.app import build_app, new_api_key
    from .._tiled.factory import tree

    catalog = open_location(args)
    key = None if args.public else (args.api_key or new_api_key())
    app = build_app(tree(catalog=catalog, roots=args.allow_root), api_key=key, public=args.public)
    url = f"http://{args.host}:{args.port}"
    print(f"Serving {args.location} at {url}", file=sys.stderr)
    if key is not None:
        print(f"API key: {key}", file=sys.stderr)
        print(f"Read it with databroker.open_catalog({url!r}, api_key={key!r})", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
