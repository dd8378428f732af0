"""Import of the optional libraries the built-in handlers need, at first use."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise ImportError saying to install ``databroker[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"Reading this data needs {module}, which is not installed. Install it with "
            f"`pip install databroker[{extra}]`."
        ) from err
