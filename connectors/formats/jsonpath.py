"""JSON values flattened into field paths such as ``$.contact.email`` or ``$.tags[*]``.

Paths use dot notation for identifier-like keys and ``['key']`` otherwise;
array indices become ``[*]`` in field (column) names and stay concrete
(``[3]``) in record locators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

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


#: A JSON column with more distinct field paths than this in one batch is scanned as its JSON text.
MAX_JSON_FIELDS = 256


def json_field_name(column: str, path: str) -> str:
    """The field of a value at ``path`` inside JSON column ``column``: ``profile.contact.email``,
    ``tags[*]``; the column itself for a scalar at the root."""
    return column + path[len(ROOT) :]


def expand_json_columns(batch: pa.RecordBatch, columns: Sequence[str]) -> pa.RecordBatch:
    """``batch`` with each of ``columns`` (JSON text) replaced by one column per field path in it, so a
    finding's field says where in the document it is and field names give context ("contact.email").

    A value that is not JSON stays whole under the column's name; a column with more than
    MAX_JSON_FIELDS paths in the batch (free-form documents) is kept as it is."""
    if not columns:
        return batch
    names: list[str] = []
    arrays: list[pa.Array] = []
    taken = set(batch.schema.names)
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name not in columns:
            names.append(name)
            arrays.append(column)
            continue
        records: list[dict[str, str | None] | None] = []
        for value in column.to_pylist():
            if value is None:
                records.append(None)
                continue
            try:
                records.append(flat_record(json.loads(value)))
            except (ValueError, RecursionError):
                records.append({ROOT: value})
        paths = list(dict.fromkeys(path for record in records if record for path in record))
        fields = [json_field_name(name, path) for path in paths]
        if len(paths) > MAX_JSON_FIELDS or any(f in taken and f != name for f in fields):
            names.append(name)
            arrays.append(column)
            continue
        for path, field in zip(paths, fields, strict=True):
            names.append(field)
            arrays.append(pa.array([r.get(path) if r else None for r in records], type=pa.string()))
    return pa.RecordBatch.from_arrays(arrays, names=names)
