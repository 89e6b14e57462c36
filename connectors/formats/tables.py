"""String-only Arrow batches: every scanned value reaches the detectors as text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def unique_names(names: Iterable[str]) -> list[str]:
    """Empty names become ``column_N`` (1-based position), repeats get ``_2``, ``_3``...

    Each column is a separate field, so two columns must never share a name.
    """
    names = list(names)
    originals = set(names)
    used: set[str] = set()
    result = []
    for position, name in enumerate(names, 1):
        base = name if name.strip() else f"column_{position}"
        candidate, suffix = base, 2
        while candidate in used or (candidate != name and candidate in originals):
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        used.add(candidate)
        result.append(candidate)
    return result


def rows_to_batch(rows: list[dict[str, str | None]]) -> pa.RecordBatch | None:
    """A string batch from dict rows; columns in first-seen order, missing values null."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    if not columns:
        return None
    arrays = [pa.array([row.get(name) for row in rows], type=pa.string()) for name in columns]
    return pa.RecordBatch.from_arrays(arrays, names=list(columns))


def stringify(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Every column as strings: structs flattened to ``parent.child``, lists/maps as JSON,
    binary columns dropped (not text, and large)."""
    names: list[str] = []
    arrays: list[pa.Array] = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        _add_column(field.name, column, names, arrays)
    if not arrays:
        return pa.RecordBatch.from_arrays([], names=[])
    return pa.RecordBatch.from_arrays(arrays, names=unique_names(names))


def is_binary_type(kind: pa.DataType) -> bool:
    """Binary columns are not scanned: not text, and often large."""
    types = pa.types
    checks = (types.is_binary, types.is_large_binary, types.is_fixed_size_binary, types.is_binary_view)
    return any(check(kind) for check in checks)


def _add_column(name: str, column: pa.Array, names: list[str], arrays: list[pa.Array]) -> None:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if is_binary_type(kind):
        return
    if pa.types.is_struct(kind):
        for child_field, child in zip(kind, column.flatten(), strict=True):
            _add_column(f"{name}.{child_field.name}", child, names, arrays)
        return
    names.append(name)
    if pa.types.is_nested(kind):
        arrays.append(pa.array([_json_or_none(v) for v in column.to_pylist()], type=pa.string()))
        return
    try:
        arrays.append(pc.cast(column, pa.string()))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        arrays.append(pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string()))


def _json_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return None  # binary is not scanned, even inside a list
    return str(value)
