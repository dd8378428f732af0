"""A run above storage, without intake: the composition root, run view, transforms, order."""

from .context import ReadContext
from .reader import RunReader

__all__ = ["ReadContext", "RunReader"]
