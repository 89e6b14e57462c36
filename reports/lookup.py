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

``related`` adds the subject's *footprint* in databases: the rows that
reference the rows found (an invoice referencing the customer row), through
declared foreign keys, transitively up to ``depth`` hops (an invoice line
referencing that invoice), each with the foreign-key path that explains it.
Only references *to* a found row are followed: the employee a customer row
references as its support rep is someone else's record.  A related row that
holds identifiers or a name of anyone else (not found in the subject's own
records) is marked ``third_party`` so an export can redact it.  Related rows
are listed apart from ``locations`` (they hold no finding of their own); with
``linked``, they are followed from the linked locations too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scanner.index import Index
from scanner.keys import SubjectHasher
from scanner.worker import row_key

#: Foreign-key hops ``related`` follows by default.
DEFAULT_DEPTH = 3


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
    related: list[dict[str, Any]] | None = None  # None: not asked for
    depth: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = {
            "query": {
                "identifiers": [
                    {"entity_type": q.entity_type, "preview": q.preview, "subject_key": k}
                    for q, k in zip(self.queries, self.subject_keys, strict=True)
                ],
                "linked": self.linked,
                "related": self.related is not None,
            },
            "locations": self.locations,
            "linked_identifiers": self.linked_identifiers,
            "counts": {
                "locations": len(self.locations),
                "items": len({(loc["source"], loc["item"]) for loc in self.locations}),
                "sources": len({loc["source"] for loc in self.locations}),
            },
        }
        if self.related is not None:
            out["query"]["depth"] = self.depth
            out["related"] = self.related
            out["counts"]["related"] = len(self.related)
            out["counts"]["related_third_party"] = sum(r["third_party"] for r in self.related)
        return out


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


def lookup(
    index: Index,
    hasher: SubjectHasher,
    queries: list[Query],
    linked: bool = False,
    related: bool = False,
    depth: int = DEFAULT_DEPTH,
) -> LookupResult:
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
    if related:
        # the subject's own: what was asked for, what was linked, and everything in the records found with it
        own = set(keys) | {r["subject_key"] for r in result.linked_identifiers}
        own |= set(index.links_for(own).column("linked_key").to_pylist())
        result.related, result.depth = footprint(index, hasher, result.locations, own, depth), depth
    return result


Row = tuple[str, str, str]  # (source, item, locator JSON)


def footprint(
    index: Index, hasher: SubjectHasher, locations: list[dict[str, Any]], own_keys: set[str], depth: int
) -> list[dict[str, Any]]:
    """Rows that reference the rows of ``locations`` through foreign keys, up to ``depth`` hops out.

    Breadth first, so each row is reported with its shortest path; rows of
    ``locations`` themselves are not repeated.  A row holding someone else's
    identifiers is reported (third party) but not walked through: the rows
    referencing a customer who names the subject as support rep are that
    customer's.
    """
    paths: dict[Row, list[dict[str, Any]]] = {}
    for loc in locations:
        paths.setdefault(
            (
                loc["source"],
                loc["item"],
                json.dumps(loc["locator"], sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            ),
            [],
        )
    frontier = list(paths)
    out: list[dict[str, Any]] = []
    for hop in range(1, depth + 1):
        by_key = {row_key(hasher, *row): row for row in frontier}
        found: list[Row] = []
        for ref in index.references_to(by_key).to_pylist():
            target = by_key.get(ref["target_key"])
            if target is None or target != (ref["source"], ref["target_item"], ref["target_locator"]):
                continue
            row = (ref["source"], ref["item"], ref["locator"])
            if row in paths:
                continue
            step = {
                "foreign_key": ref["foreign_key"],
                "from": {"item": ref["item"], "locator": json.loads(ref["locator"])},
                "to": {"item": ref["target_item"], "locator": json.loads(ref["target_locator"])},
            }
            paths[row] = [*paths[target], step]
            others = sorted(set(ref["subject_keys"]) - own_keys)
            out.append(
                {
                    "source": row[0],
                    "item": row[1],
                    "locator": json.loads(row[2]),
                    "via": {"foreign_key": ref["foreign_key"], "path": [s["foreign_key"] for s in paths[row]]},
                    "depth": hop,
                    "third_party": bool(others),
                    "third_party_identifiers": len(others),
                    "scan_id": ref["scan_id"],
                }
            )
            if not others:  # what references another person's row is theirs, not the subject's
                found.append(row)
        if not found:
            break
        frontier = found
    out.sort(key=lambda r: (r["depth"], r["source"], r["item"], json.dumps(r["locator"], sort_keys=True)))
    return out
