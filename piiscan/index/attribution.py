"""Whose is each finding of a record?  One rule, used by lookup, the access report, the export and erasure.

A *record* is a table row, a JSON record, a text line (or, for identifiers in names, an item's name).  Given
the subject's resolved identifiers (the queried ones and those :func:`piiscan.index.lookup.resolve` followed) and
the identifiers resolution found *ambiguous*, each finding of a record holding one of the subject's
identifiers is attributed to

* ``subject``: a strong identifier of the subject (e-mail, phone, card, IBAN, national number, custom
  linkable id); or a name or place that is *tied* to the subject (below); or another finding (a date of
  birth, an IP address) of a record that holds nobody else's strong identifier;
* ``third_party``: a strong identifier that is not the subject's (including an ambiguous one: shared by
  several people, it is never only the subject's), and a name or place that is not tied to the subject and
  either sits next to someone else's identifier or contradicts a name or place the subject is known by
  (``agent=Tom … callback on <the subject's phone>``: the subject is Alice, Tom is the agent);
* ``unattributed``: anything else of a record that also holds someone else's identifier (a date next to two
  people's e-mail addresses could be either's).

A name or place is *tied* to the subject when it is

1. an *anchor*: in a structured record (a row, a JSON record) of the subject that holds nobody else's strong
   identifier (an ambiguous one, such as a shared office phone in the subject's row, is allowed), in a field of
   its own (a ``first_name`` column, ``customer.name``), not in the free-text
   field that holds the identifier; or
2. the same normalised value (the same keyed hash) as an anchor found in any of the subject's records: the
   signature ``Alice`` under the card number in a ticket body matches the ``first_name`` of the subject's row;
   or
3. the only other finding of a record that holds nothing else personal, when the subject has no anchor of
   that kind to contradict it (a log line ``user=J. Smith rang from <the subject's phone>``).

Attribution reads only the index (keys, fields, spans, never values); docs/dsar.md ("Attribution") has
examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Owner = Literal["subject", "third_party", "unattributed"]
Row = tuple[str, str, str]  # (source, item, locator JSON)
Spot = tuple[str | None, int, int]  # (field, start, end) of a finding in its record

#: Findings that say *who* (a name) or *where* (an address, a town, a postcode): context that may be anyone's.
CONTEXT_ENTITIES = frozenset({"PERSON", "LOCATION", "UK_POSTCODE", "POSTAL_CODE"})
#: Kinds whose anchors contradict a name or place of the other kind of that group.
_KIND_GROUP = {"PERSON": "name", "LOCATION": "place", "UK_POSTCODE": "place", "POSTAL_CODE": "place"}


@dataclass(frozen=True)
class Finding:
    """One finding of a record, as the index records it (no value: a keyed hash and a masked preview)."""

    key: str
    entity_type: str
    field: str | None
    start: int
    end: int
    strong: bool
    preview: str = ""
    detector: str | None = None
    score: float = 0.0

    @property
    def spot(self) -> Spot:
        return (self.field, self.start, self.end)


@dataclass
class RecordAttribution:
    """The findings of one record and the owner of each."""

    record: Row
    findings: dict[Spot, Finding] = field(default_factory=dict)
    owners: dict[Spot, Owner] = field(default_factory=dict)

    def of(self, owner: Owner) -> list[Finding]:
        return [self.findings[s] for s in sorted(self.findings, key=_spot_order) if self.owners.get(s) == owner]

    @property
    def subject(self) -> list[Finding]:
        return self.of("subject")

    @property
    def third_party(self) -> list[Finding]:
        return self.of("third_party")

    @property
    def holds_others(self) -> bool:
        """Whether the record holds anything that may be someone else's: it must never be deleted whole."""
        return any(owner != "subject" for owner in self.owners.values())

    @property
    def name_locator(self) -> bool:
        """The record is an item's name (a file, object key, sheet, table or column name)."""
        return is_name_locator(self.record[2])


@dataclass
class Attribution:
    """Per record of the subject, the owner of each finding; and the keys attributed to the subject anywhere."""

    records: dict[Row, RecordAttribution] = field(default_factory=dict)

    def owner(self, record: Row, field_name: str | None, start: int, end: int) -> Owner | None:
        found = self.records.get(record)
        return found.owners.get((field_name, start, end)) if found is not None else None

    @property
    def subject_keys(self) -> set[str]:
        return {f.key for r in self.records.values() for f in r.subject}

    @property
    def third_party_keys(self) -> set[str]:
        """Keys that are someone else's wherever they sit in the subject's records (never the subject's)."""
        third = {f.key for r in self.records.values() for f in r.third_party}
        return third - self.subject_keys


def is_name_locator(locator: str | dict[str, Any]) -> bool:
    """A locator naming an item's *name* (``{"name": ...}``): a finding in a file, key, sheet or column name."""
    if isinstance(locator, str):
        try:
            locator = json.loads(locator)
        except ValueError:
            return False
    return isinstance(locator, dict) and "name" in locator


def _in_own_field(finding: Finding, strong_fields: set[str | None]) -> bool:
    """In a field of its own of a structured record (a column, a JSON field), not in the identifier's text."""
    return finding.field is not None and finding.field not in strong_fields


def _spot_order(spot: Spot) -> tuple[str, int, int]:
    return (spot[0] or "", spot[1], spot[2])


def _finding(row: dict[str, Any], key: str, prefix: str, linkable: bool) -> Finding:
    """A finding from an occurrence row (``prefix`` "") or from the linked side of a link row ("linked_")."""
    return Finding(
        key,
        row[prefix + "entity_type"],
        row[prefix + "field"],
        int(row[prefix + "span_start"]),
        int(row[prefix + "span_end"]),
        linkable,
        row.get(prefix + "preview") or "",
        row.get(prefix + "detector"),
        float(row.get(prefix + "score") or 0.0),
    )


def attribute(
    occurrences: Iterable[dict[str, Any]],
    links: Iterable[dict[str, Any]],
    resolved: set[str],
    ambiguous: set[str] = frozenset(),  # type: ignore[assignment]
) -> Attribution:
    """Attribute every finding of the subject's records (module docstring).

    ``occurrences`` are the index's occurrences of the ``resolved`` keys (``Index.occurrences_for``) and
    ``links`` their links (``Index.links_for``): together every finding of every record holding one of them.
    """
    result = Attribution()
    for occ in occurrences:
        if occ["subject_key"] not in resolved:
            continue
        row = (occ["source"], occ["item"], occ["locator"])
        record = result.records.setdefault(row, RecordAttribution(row))
        finding = _finding(occ, occ["subject_key"], "", linkable=True)
        record.findings[finding.spot] = finding
    for link in links:
        if link["subject_key"] not in resolved:
            continue
        row = (link["source"], link["item"], link["locator"])
        record = result.records.setdefault(row, RecordAttribution(row))
        linkable = bool(link["linkable"]) or link["linked_key"] in resolved
        finding = _finding(link, link["linked_key"], "linked_", linkable)
        record.findings.setdefault(finding.spot, finding)

    anchors: dict[str, set[str]] = {}  # kind group -> anchored keys
    strict: dict[Row, bool] = {}  # holds a strong identifier of someone else (not the subject's, not ambiguous)
    shared: dict[Row, bool] = {}  # holds an ambiguous identifier (several people's, maybe the subject's too)
    own_field: dict[Row, set[str | None]] = {}
    for row, record in result.records.items():
        strong = [f for f in record.findings.values() if f.strong]
        strict[row] = any(f.key not in resolved and f.key not in ambiguous for f in strong)
        shared[row] = any(f.key in ambiguous for f in strong)
        own_field[row] = {f.field for f in strong}
        if strict[row]:
            continue
        for f in record.findings.values():
            if f.entity_type in CONTEXT_ENTITIES and _in_own_field(f, own_field[row]):
                anchors.setdefault(_KIND_GROUP[f.entity_type], set()).add(f.key)
    tied = set().union(*anchors.values()) if anchors else set()

    for row, record in result.records.items():
        context = [f for f in record.findings.values() if not f.strong]
        for spot, f in record.findings.items():
            if f.strong:
                record.owners[spot] = "subject" if f.key in resolved and f.key not in ambiguous else "third_party"
                continue
            is_context = f.entity_type in CONTEXT_ENTITIES
            if is_context and f.key in tied:
                owner: Owner = "subject"
            elif strict[row] or (shared[row] and not _in_own_field(f, own_field[row])):
                owner = "third_party" if is_context else "unattributed"
            elif not is_context or _in_own_field(f, own_field[row]):
                owner = "subject"
            else:  # a name or place in the free text of a record holding only the subject's identifiers
                alone = len(context) == 1
                contradicted = bool(anchors.get(_KIND_GROUP[f.entity_type]))
                owner = "subject" if alone and not contradicted else "third_party"
            record.owners[spot] = owner
    return result


def attribute_from_index(index: Any, resolved: set[str], ambiguous: set[str] = frozenset()) -> Attribution:  # type: ignore[assignment]
    """:func:`attribute` over what the index holds for ``resolved``."""
    keys = set(resolved)
    return attribute(index.occurrences_for(keys).to_pylist(), index.links_for(keys).to_pylist(), keys, set(ambiguous))
