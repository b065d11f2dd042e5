"""Reading values out of configuration items whatever their key casing.

Config writes the same field as ``encrypted``, ``sSEDescription`` or ``SSEDescription`` depending on the
resource type and the item vintage, and periodic sweeps keep the describe APIs' PascalCase keys. Checks
therefore look fields up case-insensitively and get ``None`` for anything absent or of the wrong type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_INTEGER = re.compile(r"-?[0-9]+")


def lookup(value: Any, *path: str) -> Any:
    """The value at ``path`` (keys compared case-insensitively), or ``None`` if any step is missing."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        if key in value:
            value = value[key]
            continue
        folded = key.casefold()
        value = next((v for k, v in value.items() if isinstance(k, str) and k.casefold() == folded), None)
    return value


def as_bool(value: Any) -> bool | None:
    """``True``/``False`` from a boolean or a "true"/"false" string (SQS attributes are strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int or a decimal string; booleans and anything else give ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def as_text(value: Any) -> str | None:
    """A non-blank string, stripped, or ``None``."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
