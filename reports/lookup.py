"""Where is this person's data?  A lookup over the subject index.

The query identifiers are normalised exactly as detection normalises them and
hashed with the index's key; the index is then read only in the partitions of
those subject keys.  ``linked`` adds, one hop out:

* the occurrences of other identifiers seen in the same record as a queried one
  (a log line holding only the person's phone number is found from their
  e-mail address), and
* everything else found in the records reached (the name, date of birth and
  address in the same row).

Only identifiers specific to one person (e-mail, phone, card, IBAN, national
numbers) are followed; a record with many identifiers is never linked.
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
    linked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": {
                "identifiers": [
                    {"entity_type": q.entity_type, "preview": q.preview, "subject_key": k}
                    for q, k in zip(self.queries, self.subject_keys, strict=True)
                ],
                "linked": self.linked,
            },
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


def _co_located(link: dict[str, Any], via: dict[str, str]) -> dict[str, Any]:
    """A finding that shares a record with an identifier of the subject."""
    return _location(
        {
            **link,
            "field": link["linked_field"],
            "entity_type": link["linked_entity_type"],
            "detector": link["linked_detector"],
            "score": link["linked_score"],
            "preview": link["linked_preview"],
            "span_start": link["linked_span_start"],
            "span_end": link["linked_span_end"],
        },
        via,
    )


def _marker(loc: dict[str, Any]) -> tuple:
    return (loc["source"], loc["item"], json.dumps(loc["locator"], sort_keys=True), loc["field"], loc["span"][0])


def _sort_key(loc: dict[str, Any]) -> tuple:
    return (loc["source"], loc["item"], json.dumps(loc["locator"], sort_keys=True), loc["field"] or "", loc["span"][0])


def lookup(index: Index, hasher: SubjectHasher, queries: list[Query], linked: bool = False) -> LookupResult:
    keys = [hasher.subject_key(q.entity_type, q.normalised) for q in queries]
    result = LookupResult(queries, keys, linked=linked)
    seen: set[tuple] = set()

    def add(location: dict[str, Any]) -> None:
        marker = _marker(location)
        if marker not in seen:
            seen.add(marker)
            result.locations.append(location)

    for row in index.occurrences_for(keys).to_pylist():
        add(_location(row, None))
    if linked:
        query_via = {
            k: {"entity_type": q.entity_type, "preview": q.preview} for q, k in zip(queries, keys, strict=True)
        }
        links = index.links_for(keys).to_pylist()
        hop_via: dict[str, dict[str, str]] = {}
        for link in links:
            key = link["linked_key"]
            if link["linkable"] and key not in query_via and key not in hop_via:
                hop_via[key] = {"entity_type": link["linked_entity_type"], "preview": link["linked_preview"]}
        result.linked_identifiers = [{"subject_key": k, **v} for k, v in sorted(hop_via.items())]
        for row in index.occurrences_for(hop_via).to_pylist():
            add(_location(row, hop_via[row["subject_key"]]))
        for link in links + index.links_for(hop_via).to_pylist():
            anchor = link["subject_key"]
            add(_co_located(link, query_via.get(anchor) or hop_via[anchor]))
    result.locations.sort(key=_sort_key)
    return result
