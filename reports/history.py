"""Scan history and what changed between two scans: plain data built from the index, for the renderers.

The state of the index "after scan X" is, for each item, its latest status row with ``scan_id <= X``
(a failed row does not hide an earlier success, as for the live index) and, when that row is ok or
partial, the occurrences its scan wrote.  Scan ids sort by start time, so this is what the live index
was when X finished (for scans that did not overlap, which the index lock guarantees).  ``compact``
keeps only the live state: a diff against a scan older than the last compaction compares with
what compaction kept, not with what that scan saw.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa

from piiscan.index.store import Index, lock_holder

#: what makes two occurrences the same personal-data location (the subject key decides whose it is)
LOCATION_COLUMNS = ["source", "item", "locator", "field", "entity_type", "span_start", "span_end", "subject_key"]
_READ_COLUMNS = [*LOCATION_COLUMNS, "preview", "detector", "scan_id"]
_DIGITS = re.compile(r"(\d+)")


class HistoryError(Exception):
    """A scan named on the command line is not in the index, or there is nothing to compare."""


def list_scans(index: Index) -> list[dict[str, Any]]:
    """Every scan record, oldest first, with its item counts and findings.

    A record still saying ``running`` whose scan does not hold the index lock was killed before it could
    finish (SIGKILL, power loss): it is listed as ``aborted``; what it finished is in the index.
    """
    holder = lock_holder(index.store, live_only=True) or {}
    rows = []
    for record in index.scans():
        status = record.get("status", "unknown")
        if status == "running" and holder.get("scan_id") != record["scan_id"]:
            status = "aborted"
        findings = record.get("findings_by_entity") or {}
        rows.append(
            {
                "scan_id": record["scan_id"],
                "started": record.get("started", ""),
                "finished": record.get("finished", "") if status != "aborted" else "",
                "status": status,
                "full": bool(record.get("full", False)),
                "sources": list(record.get("sources") or []),
                "config_hash": record.get("config_hash", ""),
                "items": {
                    "new": record.get("items_new", 0),
                    "changed": record.get("items_changed", 0),
                    "unchanged": record.get("items_unchanged", 0),
                    "gone": record.get("items_gone", 0),
                    "failed": record.get("items_failed", 0),
                    "scanned": record.get("items_scanned", 0),
                    "skipped": record.get("items_skipped", 0),
                },
                "findings": sum(findings.values()),
                "findings_by_entity": dict(findings),
            }
        )
    return rows


def resolve_scans(index: Index, scan_a: str | None = None, scan_b: str | None = None) -> tuple[str | None, str]:
    """The two scans to compare: as named (an id or a unique prefix of one), else the last two completed.

    With one scan named, it is compared with the last completed scan.  With a single completed scan in
    the index and none named, the first side is the empty index (``None``).
    """
    scans = list_scans(index)
    ids = [s["scan_id"] for s in scans]
    completed = [s["scan_id"] for s in scans if s["status"] == "completed"]
    if scan_b is not None:
        return _find(ids, scan_a) if scan_a is not None else None, _find(ids, scan_b)
    if not completed:
        raise HistoryError(f"{index.location}: no completed scan to compare")
    if scan_a is not None:
        return _find(ids, scan_a), completed[-1]
    return (completed[-2] if len(completed) > 1 else None), completed[-1]


def _find(ids: list[str], wanted: str) -> str:
    if wanted in ids:
        return wanted
    matches = [i for i in ids if i.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise HistoryError(f"no scan '{wanted}' in the index (see 'piiscan scans')")
    raise HistoryError(f"'{wanted}' names {len(matches)} scans; give more of the id")


def diff_scans(
    index: Index,
    scan_a: str | None = None,
    scan_b: str | None = None,
    source: str | None = None,
    entity: str | None = None,
) -> dict[str, Any]:
    """New and removed personal-data locations and subjects between the states after two scans.

    ``source`` keeps locations of that source (exact, or a prefix such as ``s3://logs``); ``entity``
    of that entity type.  Subjects are counted (distinct subject keys), never listed.  Locations carry
    the index's masked preview only.
    """
    first, second = resolve_scans(index, scan_a, scan_b)
    live_a = index.live_scan_by_item(first) if first is not None else {}
    live_b = index.live_scan_by_item(second)
    table_a = _filtered(index.live_occurrences(live_a, _READ_COLUMNS), source, entity)
    table_b = _filtered(index.live_occurrences(live_b, _READ_COLUMNS), source, entity)
    before, after = _locations(table_a), _locations(table_b)
    new = [after[k] for k in sorted(after.keys() - before.keys(), key=_sort_key)]
    removed = [before[k] for k in sorted(before.keys() - after.keys(), key=_sort_key)]
    subjects_a = set(table_a.column("subject_key").to_pylist())
    subjects_b = set(table_b.column("subject_key").to_pylist())
    items = {k for k in live_a.keys() | live_b.keys() if live_a.get(k) != live_b.get(k)}
    if source is not None:
        items = {k for k in items if _source_matches(k[0], source)}
    records = {r["scan_id"]: r for r in list_scans(index)}
    return {
        "scan_a": _scan_ref(records.get(first) if first else None),
        "scan_b": _scan_ref(records[second]),
        "filters": {"source": source, "entity": entity},
        "counts": {
            "new_locations": len(new),
            "removed_locations": len(removed),
            "new_subjects": len(subjects_b - subjects_a),
            "removed_subjects": len(subjects_a - subjects_b),
            "subjects_before": len(subjects_a),
            "subjects_after": len(subjects_b),
            "items_changed": len(items),
            "by_source": _counts_by(new, removed, "source"),
            "by_entity": _counts_by(new, removed, "entity_type"),
            "by_source_entity": _counts_by_source_entity(new, removed),
        },
        "new": [_public(r) for r in new],
        "removed": [_public(r) for r in removed],
    }


def has_new_locations(diff: dict[str, Any]) -> bool:
    return diff["counts"]["new_locations"] > 0


def _source_matches(value: str, wanted: str) -> bool:
    return value == wanted or value.startswith(wanted.rstrip("/") + "/")


def _filtered(table: pa.Table, source: str | None, entity: str | None) -> pa.Table:
    if source is not None and table.num_rows:
        mask = [_source_matches(s, source) for s in table.column("source").to_pylist()]
        table = table.filter(pa.array(mask, pa.bool_()))
    if entity is not None and table.num_rows:
        mask = [e == entity for e in table.column("entity_type").to_pylist()]
        table = table.filter(pa.array(mask, pa.bool_()))
    return table


def _locations(table: pa.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in table.to_pylist():
        out.setdefault(tuple(row[c] for c in LOCATION_COLUMNS), row)
    return out


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Natural order (row 2 before row 10), whatever the column's type."""
    return tuple(
        tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(str(v)))
        for v in ("" if v is None else v for v in key)
    )


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A location as reported: no subject key, the locator as data."""
    try:
        locator = json.loads(row["locator"]) if row["locator"] else None
    except ValueError:
        locator = row["locator"]
    return {
        "source": row["source"],
        "item": row["item"],
        "locator": locator,
        "field": row["field"],
        "entity_type": row["entity_type"],
        "preview": row["preview"],
        "detector": row["detector"],
        "scan_id": row["scan_id"],
    }


def _counts_by(new: list[dict[str, Any]], removed: list[dict[str, Any]], column: str) -> dict[str, dict[str, int]]:
    added, gone = Counter(r[column] for r in new), Counter(r[column] for r in removed)
    return {k: {"new": added[k], "removed": gone[k]} for k in sorted(added.keys() | gone.keys())}


def _counts_by_source_entity(
    new: list[dict[str, Any]], removed: list[dict[str, Any]]
) -> dict[str, dict[str, dict[str, int]]]:
    out: defaultdict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for direction, rows in (("new", new), ("removed", removed)):
        for row in rows:
            cell = out[row["source"]].setdefault(row["entity_type"], {"new": 0, "removed": 0})
            cell[direction] += 1
    return {s: dict(sorted(e.items())) for s, e in sorted(out.items())}


def _scan_ref(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: record[k] for k in ("scan_id", "started", "finished", "status")}
