"""A whole JSON document as tables of records.

Every object that is an element of an array is a record; scalars belong to
their nearest enclosing record (or the root).  Records are grouped by their
wildcard path (``$.customers[*]``) into batches whose columns are field paths
from the document root (``$.customers[*].email``) and whose row locators are
the concrete record paths (``{"json_path": "$.customers[3]"}``).  The document
is parsed in memory: JSON has no cheap split points, so one over MAX_JSON_BYTES is skipped
(a JSON Lines file is read line by line instead).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from piiscan.connectors.base import ItemProblem, TableBatch
from piiscan.connectors.formats.common import JSON_TOO_LARGE, MAX_JSON_BYTES, TABLE_BATCH_ROWS, ReadFailure, decode
from piiscan.connectors.formats.jsonpath import ROOT, child, join_values, scalar_text
from piiscan.connectors.formats.tables import rows_to_batch

Fields = dict[str, list[str | None]]


def read_json(stream: BinaryIO, encoding: str) -> Iterator[TableBatch | ItemProblem]:
    """The document's records; a document over MAX_JSON_BYTES is skipped with one line saying so."""
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        yield ItemProblem("", "skipped", JSON_TOO_LARGE)
        return
    text = decode(data, encoding)
    del data
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadFailure(f"invalid JSON at line {exc.lineno}") from None
    except RecursionError:
        raise ReadFailure("JSON nested too deeply") from None
    groups: dict[str, list[tuple[str, Fields]]] = {}
    for wildcard, concrete, fields in records(document):
        if fields:
            groups.setdefault(wildcard, []).append((concrete, fields))
    for members in groups.values():
        for start in range(0, len(members), TABLE_BATCH_ROWS):
            part = members[start : start + TABLE_BATCH_ROWS]
            batch = rows_to_batch([{p: join_values(v) for p, v in fields.items()} for _, fields in part])
            if batch is not None:
                yield TableBatch(batch, row_locators=[{"json_path": concrete} for concrete, _ in part])


def records(document: Any, leaf: Callable[[Any], Any] = scalar_text) -> list[tuple[str, str, Fields]]:
    """(wildcard path, concrete path, fields) of every record, in document order; ``leaf`` turns each
    scalar into what the fields hold (its text; the eraser keeps its parsed node and position)."""
    root: Fields = {}
    found: list[tuple[str, str, Fields]] = [(ROOT, ROOT, root)]
    # (wildcard path, concrete path, node, fields of the enclosing record or None to start one)
    stack: list[tuple[str, str, Any, Fields | None]] = [(ROOT, ROOT, document, root)]
    while stack:
        wildcard, concrete, node, fields = stack.pop()
        if fields is None:
            fields = {}
            found.append((wildcard, concrete, fields))
        if isinstance(node, dict):
            stack.extend((child(wildcard, k), child(concrete, k), v, fields) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                item = node[index]
                starts_record = isinstance(item, dict)
                stack.append((f"{wildcard}[*]", f"{concrete}[{index}]", item, None if starts_record else fields))
        else:
            fields.setdefault(wildcard, []).append(leaf(node))
    return found
