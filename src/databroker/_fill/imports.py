"""Import objects named by dotted paths (``'package.module.name'`` or ``'package.module:name'``)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_object"]


def import_object(path: str) -> Any:
    """Import and return the object named by ``path``.

    Raises
    ------
    ImportError
        If the module cannot be imported or has no such attribute.
    """
    if ":" in path:
        module_name, _, attribute = path.partition(":")
    else:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ImportError(f"{path!r} is not a dotted path of the form 'package.module.name'.")
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"{module_name!r} has no attribute {attribute!r}.") from None
    return obj
