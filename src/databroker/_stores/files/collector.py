"""Pause the cyclic garbage collector while a run file is decoded in bulk.

Decoding allocates a container per document; each allocation burst makes the collector scan
every tracked object of the process, so a large file costs several times its decode. Decoded
documents form no cycles, so nothing is lost by collecting afterwards instead. Nested and
concurrent pauses share one count: the collector is enabled again (if it was enabled) when the
last one ends, also when decoding raises.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_paused = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable ``gc`` for the duration of the block (re-enabled only if it was enabled)."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
