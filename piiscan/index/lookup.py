"""Where is this person's data?  A lookup over the subject index.

The query identifiers are normalised exactly as detection normalises them and
hashed with the index's key; the index is then read only in the partitions of
those subject keys.  ``linked`` adds *resolution*: the subject's other
identifiers, found hop by hop (up to ``max_hops``) in the records that hold an
identifier already resolved, with

* the occurrences of each identifier followed (a log line holding only the
  person's phone number is found from their e-mail address), and
* everything else found in the records reached (the name, date of birth and
  address in the same row), each attributed by :mod:`piiscan.index.attribution`: a
  colleague's name next to the subject's phone number is listed with
  ``third_party`` true.

Only identifiers specific to one person (e-mail, phone, card, IBAN, national
numbers) are followed; a record with many identifiers is never linked.  An
identifier that is shared -- a switchboard number, a shared mailbox, found in
someone else's record without any identifier of the subject -- is *ambiguous*:
not followed, listed apart for a human to decide (see :func:`resolve` and
docs/dsar.md, "Resolution").  It still shows where it sits in the subject's own
records.

``related`` adds the subject's *footprint* in databases: the rows that
reference the rows found (an invoice referencing the customer row), through
declared foreign keys, transitively up to ``depth`` hops (an invoice line
referencing that invoice), each with the foreign-key path that explains it.
Only references *to* a found row are followed: the employee a customer row
references as its support rep is someone else's record.  A related row that
holds identifiers or a name of anyone else (not found in the subject's own
records) is marked ``third_party`` so an export can redact it; an ambiguous
identifier is not the subject's own for that test.  Related rows are listed
apart from ``locations`` (they hold no finding of their own); with ``linked``,
they are followed from the linked locations too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from piiscan.index.attribution import Attribution, attribute
from piiscan.index.keys import SubjectHasher, row_key
from piiscan.index.store import Index

#: Foreign-key hops ``related`` follows by default.
DEFAULT_DEPTH = 3
#: Link hops ``linked`` follows by default.
DEFAULT_MAX_HOPS = 1


Row = tuple[str, str, str]  # (source, item, locator JSON)


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
    max_hops: int = 0
    ambiguous_identifiers: list[dict[str, Any]] = field(default_factory=list)
    #: who each finding of the subject's records belongs to (None without ``linked``)
    attribution: Attribution | None = None
    #: restrictions and legal holds standing on the subject (filled in by the application layer, which
    #: keeps the request register; the index knows nothing of them)
    restrictions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": {
                "identifiers": [
                    {"entity_type": q.entity_type, "preview": q.preview, "subject_key": k}
                    for q, k in zip(self.queries, self.subject_keys, strict=True)
                ],
                "linked": self.linked,
                "max_hops": self.max_hops,
                "related": self.related is not None,
            },
            "locations": self.locations,
            "linked_identifiers": self.linked_identifiers,
            "ambiguous_identifiers": self.ambiguous_identifiers,
            "restrictions": self.restrictions,
            "counts": {
                "locations": len(self.locations),
                "items": len({(loc["source"], loc["item"]) for loc in self.locations}),
                "sources": len({loc["source"] for loc in self.locations}),
                "third_party": sum(bool(loc.get("third_party")) for loc in self.locations),
            },
        }
        if self.related is not None:
            out["query"]["depth"] = self.depth
            out["related"] = self.related
            out["counts"]["related"] = len(self.related)
            out["counts"]["related_third_party"] = sum(r["third_party"] for r in self.related)
        return out


def _location(row: dict[str, Any], via: dict[str, Any] | None, owner: str = "subject") -> dict[str, Any]:
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
        "attribution": owner,
        "third_party": owner == "third_party",
        "scan_id": row["scan_id"],
    }


def _co_located(link: dict[str, Any], via: dict[str, Any], owner: str) -> dict[str, Any]:
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
        owner,
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
    max_hops: int = DEFAULT_MAX_HOPS,
) -> LookupResult:
    """The subject's locations; ``linked`` resolves up to ``max_hops`` link hops, ``related`` adds the footprint."""
    keys = [hasher.subject_key(q.entity_type, q.normalised) for q in queries]
    hops = max(max_hops, 0) if linked else 0
    result = LookupResult(queries, keys, linked=hops > 0, max_hops=hops)
    seen: set[tuple] = set()

    def add(location: dict[str, Any]) -> None:
        marker = _marker(location)
        if marker not in seen:
            seen.add(marker)
            result.locations.append(location)

    direct = index.occurrences_for(keys).to_pylist()
    for row in direct:
        add(_location(row, None))
    links = _Links(index)
    resolved = {
        k: {"entity_type": q.entity_type, "preview": q.preview, "hop": 0} for q, k in zip(queries, keys, strict=True)
    }
    ambiguous_keys: set[str] = set()
    if hops:
        resolution = resolve(links, resolved, hops)
        resolved = resolution.identifiers
        result.linked_identifiers = [
            {"subject_key": k, **v}
            for k, v in sorted(resolved.items(), key=lambda kv: (kv[1]["hop"], kv[0]))
            if v["hop"]
        ]
        result.ambiguous_identifiers = resolution.ambiguous
        ambiguous_keys = {a["subject_key"] for a in resolution.ambiguous}

        def via(key: str) -> dict[str, Any]:
            info = resolved[key]
            return {"entity_type": info["entity_type"], "preview": info["preview"], "hop": info["hop"]}

        followed = [k for k, v in resolved.items() if v["hop"]]
        occurrences = index.occurrences_for(followed).to_pylist()
        for row in occurrences:
            add(_location(row, via(row["subject_key"])))
        result.attribution = attribute([*direct, *occurrences], links(resolved), set(resolved), ambiguous_keys)
        for link in links(resolved):
            record = (link["source"], link["item"], link["locator"])
            owner = result.attribution.owner(
                record, link["linked_field"], link["linked_span_start"], link["linked_span_end"]
            )
            add(_co_located(link, via(link["subject_key"]), owner or "unattributed"))
    result.locations.sort(key=_sort_key)
    if related:
        # the subject's own: what was asked for, what was resolved, and what the records found with it hold that
        # is attributed to the subject (reports.attribution) -- not the shared identifiers, not a colleague's name
        own = set(resolved)
        if result.attribution is None:
            result.attribution = attribute(direct, links(own), own, ambiguous_keys)
        own |= result.attribution.subject_keys
        result.related, result.depth = footprint(index, hasher, result.locations, own, depth), depth
    return result


@dataclass
class Resolution:
    """The subject's identifiers (subject key -> entity_type, preview, hop, via) and the ambiguous ones."""

    identifiers: dict[str, dict[str, Any]]
    ambiguous: list[dict[str, Any]]


class _Links:
    """``Index.links_for``, read once per subject key."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.by_key: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        keys = list(keys)
        missing = {k for k in keys if k not in self.by_key}
        if missing:
            for key in missing:
                self.by_key[key] = []
            for link in self.index.links_for(missing).to_pylist():
                self.by_key[link["subject_key"]].append(link)
        return [link for key in keys for link in self.by_key[key]]


def resolve(links: _Links, resolved: dict[str, dict[str, Any]], max_hops: int) -> Resolution:
    """Follow the subject's identifiers through links, hop by hop, keeping shared identifiers apart.

    ``resolved`` holds the queried identifiers (hop 0).  At each hop the
    *candidates* are the linkable identifiers in the records of a resolved
    identifier; each is followed unless :func:`_shared` finds it in someone
    else's record.  After the last hop the candidates left are classified once
    more (not followed), so an identifier shared with others that sits in the
    subject's records is always reported as ambiguous.
    """
    resolved = dict(resolved)
    candidates: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, dict[str, Any] | None] = {}
    for hop in range(1, max_hops + 2):
        candidates = {}
        order = sorted(
            links(resolved), key=lambda x: (resolved[x["subject_key"]]["hop"], *_record(x), x["subject_key"])
        )
        in_prose: dict[str, int] = {}
        for link in order:
            if link["linkable"] and link["linked_key"] not in resolved:
                candidates.setdefault(link["linked_key"], link)
                if _same_kind_in_prose(link, resolved):
                    in_prose[link["linked_key"]] = in_prose.get(link["linked_key"], 0) + 1
        kinds = {i["entity_type"] for i in resolved.values()} | {c["linked_entity_type"] for c in candidates.values()}
        known = set(resolved) | set(candidates)
        verdicts = {
            key: _in_prose(candidates[key], in_prose[key]) if key in in_prose
            else _shared(links([key]), resolved, known, kinds)
            for key in sorted(candidates)
        }  # fmt: skip
        followed = [key for key, verdict in verdicts.items() if verdict is None]
        if hop > max_hops or not followed:
            break
        for key in followed:
            link = candidates[key]
            anchor = resolved[link["subject_key"]]
            resolved[key] = {
                "entity_type": link["linked_entity_type"],
                "preview": link["linked_preview"],
                "hop": hop,
                "via": {
                    "subject_key": link["subject_key"],
                    "entity_type": anchor["entity_type"],
                    "preview": anchor["preview"],
                    "source": link["source"],
                    "item": link["item"],
                    "locator": json.loads(link["locator"]),
                },
            }
    ambiguous = [
        {
            "subject_key": key,
            "entity_type": candidates[key]["linked_entity_type"],
            "preview": candidates[key]["linked_preview"],
            **verdict,
        }
        for key, verdict in verdicts.items()
        if verdict is not None
    ]
    return Resolution(resolved, ambiguous)


def _same_kind_in_prose(link: dict[str, Any], resolved: dict[str, dict[str, Any]]) -> bool:
    """The candidate sits in free text (a log line, a document line: no field) next to a resolved identifier
    of its own kind: "ann@x forwarded the ticket to bob@y" names two people, unlike a row's second e-mail
    column."""
    anchor = resolved[link["subject_key"]]
    return link["linked_field"] is None and anchor["entity_type"] == link["linked_entity_type"]


def _in_prose(link: dict[str, Any], records: int) -> dict[str, Any]:
    kind = link["linked_entity_type"]
    return {
        "shared_records": records,
        "other_subjects": 1,
        "subject_records": records,
        "reason": f"named in free text next to the subject's own {kind} in {records} record(s): likely another person",
    }


def _record(link: dict[str, Any]) -> Row:
    return (link["source"], link["item"], link["locator"])


def _shared(
    links: list[dict[str, Any]], resolved: dict[str, Any], known: set[str], kinds: set[str]
) -> dict[str, Any] | None:
    """Why a candidate identifier is someone else's too, or None when it is specific to the subject.

    ``links`` are the candidate's own links: every record where it sits with
    other findings.  Records where it sits with no other linkable identifier say
    nothing; records with a resolved identifier are the subject's.  In the
    others (*foreign* records) the linkable identifiers that are neither
    resolved nor candidates are *outsiders*.  The candidate is shared when a
    foreign record holds an outsider of a kind (entity type) the subject's
    records already hold -- another e-mail address where the subject has one:
    another person's record -- or when the outsiders of its foreign records
    form two or more separate groups (it sits with several other people).
    """
    records: dict[Row, set[tuple[str, str]]] = {}
    for link in links:
        if link["linkable"]:
            records.setdefault(_record(link), set()).add((link["linked_key"], link["linked_entity_type"]))
    subject_records = 0
    foreign: list[set[tuple[str, str]]] = []
    for ids in records.values():
        if any(key in resolved for key, _ in ids):
            subject_records += 1
        elif outsiders := {(key, kind) for key, kind in ids if key not in known}:
            foreign.append(outsiders)
    if not foreign:
        return None
    clashing = sorted({kind for outsiders in foreign for _, kind in outsiders if kind in kinds})
    groups = _groups([{key for key, _ in outsiders} for outsiders in foreign])
    if not clashing and groups < 2:
        return None
    if clashing:
        reason = (
            f"also in {len(foreign)} record(s) holding another {', '.join(clashing)} and no identifier of the subject"
        )
    else:
        reason = f"also in the records of {groups} other identities, none with an identifier of the subject"
    return {
        "shared_records": len(foreign),
        "other_subjects": groups,
        "subject_records": subject_records,
        "reason": reason,
    }


def _groups(sets: list[set[str]]) -> int:
    """How many separate groups these sets form when sets sharing a member are merged (people, roughly)."""
    groups: list[set[str]] = []
    for members in sets:
        merged = set(members)
        rest = []
        for group in groups:
            if group & merged:
                merged |= group
            else:
                rest.append(group)
        groups = [*rest, merged]
    return len(groups)


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
