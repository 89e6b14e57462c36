"""JSON Lines / NDJSON: one JSON value per line, each a row of flattened fields.

The row number of a record is its 1-based line number in the file, so blank
and invalid lines leave gaps; a batch with gaps carries explicit
``{"row": n}`` locators.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from piiscan.connectors.base import ItemProblem, TableBatch
from piiscan.connectors.formats.common import (
    JSON_TOO_LARGE,
    MAX_JSON_BYTES,
    TABLE_BATCH_ROWS,
    decode,
    iter_line_parts,
    plural,
)
from piiscan.connectors.formats.jsonpath import flat_record
from piiscan.connectors.formats.tables import rows_to_batch


def read_jsonl(stream: BinaryIO, encoding: str, first_line: int = 1) -> Iterator[TableBatch | ItemProblem]:
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    invalid = too_large = 0
    for number, raw in enumerate(_lines(stream), first_line):
        if raw is None:
            too_large += 1
            continue
        if not raw.strip():
            continue
        try:
            rows.append(flat_record(json.loads(decode(raw, encoding))))
        except (ValueError, RecursionError):
            invalid += 1
            continue
        numbers.append(number)
        if len(rows) >= TABLE_BATCH_ROWS:
            yield from _batch(rows, numbers)
            rows, numbers = [], []
    yield from _batch(rows, numbers)
    if invalid:
        yield ItemProblem("", "note", f"{plural(invalid, 'invalid JSON line')} skipped")
    if too_large:
        yield ItemProblem("", "note", f"{plural(too_large, 'JSON line')} skipped: {JSON_TOO_LARGE}")


def _lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """Each line's bytes, or None for a line over MAX_JSON_BYTES (not held in memory)."""
    parts: list[bytes] = []
    size = 0
    for part, ends_line in iter_line_parts(stream):
        size += len(part)
        if size <= MAX_JSON_BYTES:
            parts.append(part)
        else:
            parts = []
        if ends_line:
            yield b"".join(parts) if size <= MAX_JSON_BYTES else None
            parts, size = [], 0


def _batch(rows: list[dict[str, str | None]], numbers: list[int]) -> Iterator[TableBatch]:
    batch = rows_to_batch(rows)
    if batch is None:
        return
    contiguous = numbers[-1] - numbers[0] == len(numbers) - 1
    locators = None if contiguous else [{"row": n} for n in numbers]
    yield TableBatch(batch, first_row=numbers[0], row_locators=locators)
