"""JSON values flattened into field paths such as ``$.contact.email`` or ``$.tags[*]``.

Paths use dot notation for identifier-like keys and ``['key']`` otherwise;
array indices become ``[*]`` in field (column) names and stay concrete
(``[3]``) in record locators.
"""

from __future__ import annotations

import json
import re
from typing import Any

ROOT = "$"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def child(path: str, key: str) -> str:
    """Path of member ``key`` of the object at ``path``."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def scalar_text(value: Any) -> str | None:
    """Strings as-is, numbers and booleans in their JSON form, null as None."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def join_values(values: list[str | None]) -> str | None:
    """Several values of one field (from arrays) as one newline-joined string."""
    present = [v for v in values if v is not None]
    return "\n".join(present) if present else None


def flatten(value: Any) -> dict[str, list[str | None]]:
    """All scalars in ``value`` by wildcard path (inside arrays of objects too), in document order."""
    fields: dict[str, list[str | None]] = {}
    stack = [(ROOT, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((child(here, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{here}[*]", v) for v in reversed(node))
        else:
            fields.setdefault(here, []).append(scalar_text(node))
    return fields


def flat_record(value: Any) -> dict[str, str | None]:
    """One JSON value as one row: every field path a column, repeated values joined."""
    return {path: join_values(values) for path, values in flatten(value).items()}
