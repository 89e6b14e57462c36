"""Where is this person's data?  A lookup over the subject index.

The query identifiers are normalised exactly as detection normalises them and
hashed with the index's key; the index is then read only in the partitions of
those subject keys.  ``linked`` follows identifier links (another identifier
seen in the same record) one hop, so records holding only a person's phone
number are found from their e-mail address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scanner.index import Index
from scanner.keys import SubjectHasher


@dataclass(frozen=True)
class Query:
    entity_type: str
    normalised: str
    preview: str


@dataclass
class LookupResult:
    queries: list[Query]
    subject_keys: list[str]
    locations: list[dict[str, Any]] = field(default_factory=list)
    linked_identifiers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": [
                {"entity_type": q.entity_type, "preview": q.preview, "subject_key": k}
                for q, k in zip(self.queries, self.subject_keys, strict=True)
            ],
            "locations": self.locations,
            "linked_identifiers": self.linked_identifiers,
            "counts": {
                "locations": len(self.locations),
                "items": len({(loc["source"], loc["item"]) for loc in self.locations}),
                "sources": len({loc["source"] for loc in self.locations}),
            },
        }


def _location(row: dict[str, Any], via: dict[str, str] | None) -> dict[str, Any]:
    return {
        "source": row["source"],
        "item": row["item"],
        "locator": json.loads(row["locator"]),
        "field": row["field"],
        "entity_type": row["entity_type"],
        "detector": row["detector"],
        "score": round(float(row["score"]), 3),
        "preview": row["preview"],
        "span": [row["span_start"], row["span_end"]],
        "via": via,
        "scan_id": row["scan_id"],
    }


def _sort_key(loc: dict[str, Any]) -> tuple:
    return (loc["source"], loc["item"], json.dumps(loc["locator"], sort_keys=True), loc["field"] or "", loc["span"][0])


def lookup(index: Index, hasher: SubjectHasher, queries: list[Query], linked: bool = False) -> LookupResult:
    keys = [hasher.subject_key(q.entity_type, q.normalised) for q in queries]
    result = LookupResult(queries, keys)
    seen: set[tuple] = set()
    direct = index.occurrences_for(keys).to_pylist()
    for row in direct:
        seen.add((row["source"], row["item"], row["locator"], row["field"], row["span_start"], row["subject_key"]))
        result.locations.append(_location(row, None))
    if linked:
        via_by_key: dict[str, dict[str, str]] = {}
        for link in index.links_for(keys).to_pylist():
            if link["linked_key"] in keys or link["linked_key"] in via_by_key:
                continue
            via_by_key[link["linked_key"]] = {
                "entity_type": link["linked_entity_type"],
                "preview": link["linked_preview"],
            }
        result.linked_identifiers = [{"subject_key": k, **v} for k, v in sorted(via_by_key.items())]
        for row in index.occurrences_for(via_by_key).to_pylist():
            marker = (row["source"], row["item"], row["locator"], row["field"], row["span_start"], row["subject_key"])
            if marker in seen:
                continue
            seen.add(marker)
            result.locations.append(_location(row, via_by_key[row["subject_key"]]))
    result.locations.sort(key=_sort_key)
    return result
