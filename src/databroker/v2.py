"""The v2 API: ``Broker``, the base class of every catalog of runs, and ``temp()``."""

from __future__ import annotations

from typing import Any

from ._intake.broker import Broker

__all__ = ["Broker", "temp"]


def temp() -> Any:
    """Return a new, empty msgpack catalog in a fresh temporary directory, named ``'temp'``."""
    from ._drivers.temp import temp as make_temp

    return make_temp()
