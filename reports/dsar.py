"""An Art. 15 access report: everything the index knows about one data subject.

Built from the index alone (no source is read again), so it holds masked
previews and keyed subject keys, never a raw identifier value.  Besides the
locations and foreign-key footprint of :func:`piiscan.index.lookup.lookup`, the
subject's other identifiers followed (each with the hop and record that explain
it) and the shared identifiers left for a human to decide, it says
when each item was last scanned and which items of the index could not be
scanned at all: an access answer must be honest about what it may be missing.
Findings of the subject's records that are someone else's (a colleague's name next to the subject's phone
number; :mod:`piiscan.index.attribution`) are listed with ``third_party`` true and not counted as the subject's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import DEFAULT_DEPTH, DEFAULT_MAX_HOPS, Query, lookup
from piiscan.index.store import Index

SCHEMA_VERSION = "1"

#: Item statuses that mean the item's content is not (fully) in the index.
INCOMPLETE_STATUSES = ("failed", "skipped")


def _timestamp(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return str(value)


def _reached(via: dict[str, Any] | None) -> dict[str, Any]:
    """How a location was reached: the queried identifier itself, or another of the subject's (and its hop)."""
    if via is None:
        return {"how": "direct"}
    return {"how": "linked", "entity_type": via["entity_type"], "preview": via["preview"], "hop": via["hop"]}


def _systems(locations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Locations grouped by source, then item, in lookup order."""
    systems: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for loc in locations:
        entry = {
            "locator": loc["locator"],
            "field": loc["field"],
            "entity_type": loc["entity_type"],
            "preview": loc["preview"],
            "score": loc["score"],
            "reached": _reached(loc["via"]),
            "third_party": bool(loc.get("third_party")),
        }
        systems.setdefault(loc["source"], {}).setdefault(loc["item"], []).append(entry)
    return [
        {
            "source": source,
            "items": [{"item": item, "locations": locs} for item, locs in items.items()],
        }
        for source, items in systems.items()
    ]


def _related_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": row["source"],
        "item": row["item"],
        "locator": row["locator"],
        "reached": {"how": "foreign_key", "foreign_key": row["via"]["foreign_key"], "path": row["via"]["path"]},
        "depth": row["depth"],
        "third_party": row["third_party"],
        "third_party_identifiers": row["third_party_identifiers"],
    }


def build_report(
    index: Index,
    hasher: SubjectHasher,
    queries: list[Query],
    linked: bool = True,
    depth: int = DEFAULT_DEPTH,
    max_hops: int = DEFAULT_MAX_HOPS,
) -> dict[str, Any]:
    """The access report as plain data (see docs/dsar.md); renderers turn it into JSON or HTML."""
    result = lookup(index, hasher, queries, linked=linked, related=True, depth=depth, max_hops=max_hops)
    locations, related = result.locations, result.related or []
    current = index.current_items()

    answered = sorted({(r["source"], r["item"]) for r in [*locations, *related]})
    items = []
    for source, item in answered:
        state = current.get((source, item), {})
        items.append(
            {
                "source": source,
                "item": item,
                "status": state.get("status"),
                "scanned_at": _timestamp(state.get("scanned_at")),
                "fingerprint": state.get("fingerprint"),
                "scan_id": state.get("scan_id"),
            }
        )
    incomplete = [
        {"source": source, "item": item, "status": row["status"], "reason": row["reason"], "scan_id": row["scan_id"]}
        for (source, item), row in sorted(current.items())
        if row["status"] in INCOMPLETE_STATUSES
    ]

    categories: dict[str, int] = {}  # the subject's data only: third-party context is shown, not counted as theirs
    for loc in locations:
        if not loc.get("third_party"):
            categories[loc["entity_type"]] = categories.get(loc["entity_type"], 0) + 1

    involved = {r["scan_id"] for r in [*locations, *related, *items, *incomplete] if r.get("scan_id")}
    scans = [
        {"scan_id": s["scan_id"], "status": s.get("status"), "started": s.get("started"), "finished": s.get("finished")}
        for s in index.scans()
        if s["scan_id"] in involved
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "query": {
            "identifiers": [{"entity_type": q.entity_type, "preview": q.preview} for q in queries],
            "linked": result.linked,
            "max_hops": result.max_hops,
            "depth": depth,
        },
        "subject_keys": list(result.subject_keys),
        "linked_identifiers": result.linked_identifiers,
        "ambiguous_identifiers": result.ambiguous_identifiers,
        "summary": {
            "locations": len(locations),
            "third_party_locations": sum(bool(loc.get("third_party")) for loc in locations),
            "related_rows": len(related),
            "related_third_party": sum(r["third_party"] for r in related),
            "systems": len({src for src, _ in answered}),
            "items": len(answered),
            "incomplete": len(incomplete),
            "linked_identifiers": len(result.linked_identifiers),
            "ambiguous_identifiers": len(result.ambiguous_identifiers),
        },
        "categories": dict(sorted(categories.items())),
        "systems": _systems(locations),
        "related_rows": [_related_row(r) for r in related],
        "items": items,
        "incomplete": incomplete,
        "scans": scans,
    }
