"""Erasure (GDPR Art. 17): plan → apply → verify, with an append-only audit log.

* :func:`plan_erasure` resolves the subject in the index (identifiers, linked identifiers, foreign-key
  footprint) and proposes one action per location: delete a row, null the subject's columns of a row that
  other people's rows still reference or that also holds someone else's identifiers, redact the matched
  spans of a text/CSV/JSONL file, or ``manual`` for what piiscan cannot rewrite safely.  Each action is
  inspected through the source's :class:`~piiscan.connectors.erasers.Eraser` (no writes) so the plan records the
  keyed hash of its target's state now and after.  Rows of other subjects are listed as ``kept``.
* :func:`apply_plan` executes the plan in order (rows of child tables before their parents), one
  transaction or one atomic rewrite per item.  Dry run unless ``yes``.  A target whose state no longer
  matches the plan is refused; one already in its planned end state is reported ``already_done``, so a
  plan can be replayed or resumed after a crash.
* :func:`verify_plan` rescans exactly the touched items into the index and reports, per action, whether the
  subject's data is ``erased``, ``still_present`` or ``failed``.

Every executed and verified action is appended to the audit log (JSON lines, fsynced) with the time,
request and plan ids, location, action, before/after state hashes and result; no raw personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from piiscan.app.items import real_item, real_items, unambiguous
from piiscan.connectors.base import SourceError, locator_json
from piiscan.connectors.erasers import ROW_ACTIONS, ActionResult, EraseAction, Eraser, Span, open_eraser
from piiscan.connectors.registry import open_source
from piiscan.index.attribution import Finding, RecordAttribution, attribute_from_index, is_name_locator
from piiscan.index.keys import SubjectHasher, key_id, row_key
from piiscan.index.lookup import DEFAULT_DEPTH, Query, lookup
from piiscan.index.sanitise import one_line
from piiscan.index.storage import Store, is_remote, write_private
from piiscan.index.store import Index, open_index
from piiscan.scanner.config import ScanConfig
from piiscan.scanner.runner import run_scan

log = logging.getLogger("piiscan.erasure")

PLAN_VERSION = "1"
AUDIT_FILE = Path("audit") / "erasure.jsonl"


class PlanError(Exception):
    """The plan cannot be used (unreadable, another version, made with another key or index)."""


def state_digest(key: bytes) -> Callable[[bytes], str]:
    """Keyed hash of a row's or file's content: comparable across plan, apply and verify, useless to anyone
    without the key (a short row's plain hash could be brute-forced back to its values)."""

    def digest(data: bytes) -> str:
        return hmac.new(key, b"piiscan erasure state v1\x1f" + data, hashlib.sha256).hexdigest()[:32]

    return digest


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _source_options(config: ScanConfig) -> dict[str, Any]:
    return {"endpoint_url": config.endpoint_url} if config.endpoint_url else {}


def _eraser_options(config: ScanConfig) -> dict[str, Any]:
    """What erasers get: the source options, and the scan's unit size (which tells a file eraser how the
    scan cut a big file into parts, and so what text its line numbers refer to)."""
    return _source_options(config) | {"unit_mb": config.unit_mb}


# -- planning ---------------------------------------------------------------------------------------
Row = tuple[str, str, str]  # (source, item, canonical locator JSON)


@dataclass
class _RowFacts:
    """What the index says about one table row of the request."""

    fields: set[str] = field(default_factory=set)
    spans: list[Span] = field(default_factory=list)  # the subject's values in cells shared with someone else
    entity_types: set[str] = field(default_factory=set)
    reached: str = "direct"
    own: bool = True  # a location of the subject (else a related row reached through a foreign key)
    shared: bool = False  # also holds someone else's data (reports.attribution)
    depth: int = 0
    foreign_path: list[str] = field(default_factory=list)


def _column_of(field_name: str) -> str:
    """The table column a finding's field lives in (JSON columns are indexed per path: ``profile.email``)."""
    return field_name.split(".", 1)[0]


def _row_facts(record: RecordAttribution, reached: str) -> _RowFacts:
    """The subject's columns of a row: whole columns when nobody else's finding shares the cell, else the
    subject's spans within the cell (the other person's words around them stay)."""
    facts = _RowFacts(reached=reached, shared=record.holds_others)
    others = {_column_of(f.field) for f in record.findings.values() if f.field and record.owners[f.spot] != "subject"}
    for finding in record.subject:
        facts.entity_types.add(finding.entity_type)
        if not finding.field:
            continue
        column = _column_of(finding.field)
        if column in others:
            facts.spans.append(Span(json.loads(record.record[2]), finding.field, finding.start, finding.end))
        else:
            facts.fields.add(column)
    return facts


def plan_erasure(
    index: Index,
    key: bytes,
    queries: list[Query],
    config: ScanConfig,
    linked: bool = True,
    depth: int = DEFAULT_DEPTH,
    request_id: str | None = None,
    **lookup_options: Any,
) -> dict[str, Any]:
    """The erasure plan for one subject, as plain data (written as JSON by the CLI; see docs/erasure.md).

    What each record holds is attributed by :mod:`piiscan.index.attribution`: only the subject's findings are
    erased, and a record holding anything of someone else is cleared, never deleted.
    """
    hasher = SubjectHasher(key)
    result = lookup(index, hasher, queries, linked=linked, related=True, depth=depth, **lookup_options)
    ambiguous = {a["subject_key"] for a in getattr(result, "ambiguous_identifiers", []) or []}
    resolved = set(result.subject_keys) | {r["subject_key"] for r in result.linked_identifiers}
    attribution = result.attribution or attribute_from_index(index, resolved, ambiguous)
    queried = set(result.subject_keys)
    current = unambiguous(index.current_items(), index)

    rows: dict[Row, _RowFacts] = {}
    file_findings: dict[tuple[str, str], list[tuple[str, Finding]]] = defaultdict(list)
    names: dict[tuple[str, str], list[tuple[str, Finding]]] = defaultdict(list)
    direct: set[tuple[str, str, str]] = set()
    erase_keys: set[str] = set(resolved)
    for (source, item, locator), record in sorted(attribution.records.items()):
        findings = record.subject
        erase_keys |= {f.key for f in findings}
        reached = "direct" if any(f.key in queried for f in findings) else "linked"
        if reached == "direct":
            direct.add((source, item, locator))
        if record.name_locator:
            names[(source, item)].extend((locator, f) for f in findings)
        elif current.get((source, item), {}).get("fmt") == "table":
            rows[(source, item, locator)] = _row_facts(record, reached)
        else:
            file_findings[(source, item)].extend((locator, f) for f in findings)
    kept: list[dict[str, Any]] = []
    for rel in result.related or []:
        row = (rel["source"], rel["item"], locator_json(rel["locator"]))
        if rel["third_party"]:
            kept.append(
                {
                    "source": rel["source"],
                    "item": rel["item"],
                    "locator": rel["locator"],
                    "reason": "another person's row (it holds other people's identifiers); left untouched",
                    "foreign_key_path": rel["via"]["path"],
                }
            )
            continue
        rows.setdefault(
            row, _RowFacts(reached="foreign_key", depth=rel["depth"], own=False, foreign_path=rel["via"]["path"])
        )

    order, why_kept = _row_order(index, hasher, rows)
    actions: list[dict[str, Any]] = []
    for number, (row, facts) in enumerate(sorted(rows.items(), key=lambda kv: (order.get(kv[0], 0), kv[0])), 1):
        source, item, locator = row
        action = EraseAction(f"r{number:05d}", source, item, "delete_row", json.loads(locator))
        why = why_kept.get(row) or ("also holds someone else's data" if facts.shared else None)
        if why and why.startswith("foreign-key cycle"):
            action.action, action.reason = "manual", why
        elif facts.own and why:
            if facts.spans:
                action.action, action.columns = "redact_cells", tuple(sorted(facts.fields))
                action.spans = tuple(facts.spans)
                action.reason = f"{why}: clear the subject's values in it, keep the rest of the row"
            elif facts.fields:
                action.action, action.columns = "null_columns", tuple(sorted(facts.fields))
                action.reason = f"{why}: clear the subject's columns instead of deleting the row"
            else:
                action.action, action.reason = "manual", f"{why} and the subject's columns are not known"
        elif not facts.own and why:
            action.action, action.reason = "manual", why
        else:
            action.reason = "the subject's row" if facts.own else "references the subject's rows"
        actions.append(
            _planned(action, current, order=order.get(row, 0), reached=facts.reached, depth=facts.depth)
            | {"entity_types": sorted(facts.entity_types), "foreign_key_path": facts.foreign_path}
        )
    last = max((a["order"] for a in actions), default=-1) + 1
    for number, ((source, item), found) in enumerate(sorted(file_findings.items()), 1):
        action = EraseAction(
            f"f{number:05d}",
            source,
            item,
            "redact_spans",
            spans=tuple(Span(json.loads(loc), f.field, f.start, f.end) for loc, f in found),
            reason="replace the subject's findings with a redaction mark",
        )
        actions.append(
            _planned(action, current, order=last, reached=_reached(direct, source, item, found), depth=0)
            | {"entity_types": sorted({f.entity_type for _, f in found})}
        )
    for number, ((source, item), found) in enumerate(sorted(names.items()), 1):
        action = EraseAction(
            f"n{number:05d}",
            source,
            item,
            "manual",
            locator=json.loads(found[0][0]),
            reason="the subject's identifier is in the item's name: rename the item by hand (piiscan never "
            "deletes an item for its name)",
        )
        actions.append(
            _planned(action, current, order=last, reached=_reached(direct, source, item, found), depth=0)
            | {"entity_types": sorted({f.entity_type for _, f in found}), "rename": True}
        )

    _inspect(actions, key, config)
    _mark_stale(actions, config)
    counts: dict[str, int] = defaultdict(int)
    for entry in actions:
        counts["stale" if entry["stale"] else entry["action"]] += 1
    return {
        "plan_version": PLAN_VERSION,
        "plan_id": f"plan-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}",
        "request_id": request_id or f"req-{secrets.token_hex(6)}",
        "created_at": _now(),
        "index": index.location,
        "key_id": key_id(key),
        "subject": {
            "identifiers": [{"entity_type": q.entity_type, "preview": q.preview} for q in queries],
            "subject_keys": list(result.subject_keys),
            "linked_keys": sorted(resolved - set(result.subject_keys)),
            "ambiguous_keys": sorted(ambiguous),
            "third_party_keys": sorted(attribution.third_party_keys - erase_keys),
            "verify_keys": sorted(erase_keys),
            "linked": linked,
            "depth": depth,
            "max_hops": lookup_options.get("max_hops"),
        },
        "options": _eraser_options(config),
        "summary": dict(sorted(counts.items())) | {"actions": len(actions), "kept": len(kept)},
        "actions": actions,
        "kept": kept,
    }


def _reached(direct: set[Row], source: str, item: str, found: list[tuple[str, Finding]]) -> str:
    return "direct" if any((source, item, locator) in direct for locator, _ in found) else "linked"


def _row_order(
    index: Index, hasher: SubjectHasher, rows: dict[Row, _RowFacts]
) -> tuple[dict[Row, int], dict[Row, str]]:
    """Execution order of the planned rows and why some of them must stay.

    Over the whole closure (every identifier, every row however it was reached): a row referenced by a row
    that stays (outside the request, another person's, or a row of the plan that is only cleared) cannot be
    deleted; the deletions are ordered dependants first (a topological order of the foreign-key graph of the
    planned rows), and rows that reference each other in a cycle cannot be deleted in any order: they are left
    to a human, with the reason.
    """
    by_key = {row_key(hasher, *row): row for row in rows}
    edges: set[tuple[Row, Row]] = set()
    why: dict[Row, str] = {}
    for ref in index.references_to(by_key).to_pylist():
        target = by_key.get(ref["target_key"])
        if target is None or target != (ref["source"], ref["target_item"], ref["target_locator"]):
            continue
        referrer = (ref["source"], ref["item"], ref["locator"])
        if referrer == target:
            continue
        if referrer in rows:
            edges.add((referrer, target))
        else:
            why.setdefault(target, "referenced by rows outside this request")
    while True:
        deleted = {row for row, facts in rows.items() if row not in why and not facts.shared}
        changed = True
        while changed:  # a row that stays keeps its references: what it references stays too
            changed = False
            for referrer, target in edges:
                if target in deleted and referrer not in deleted:
                    deleted.discard(target)
                    why.setdefault(target, "referenced by a row that this plan keeps (cleared, not deleted)")
                    changed = True
        graph = {(a, b) for a, b in edges if b in deleted and a in deleted}
        order, cyclic = _levels(set(rows), graph)
        if not cyclic:
            return order, why
        items = " -> ".join(sorted({row[1] for row in cyclic}))
        for row in cyclic:
            why[row] = f"foreign-key cycle between rows of {items}: no deletion order works; erase by hand"


def _levels(nodes: set[Row], edges: set[tuple[Row, Row]]) -> tuple[dict[Row, int], set[Row]]:
    """Kahn's algorithm: a level per node with every edge (a, b) going from a lower level to a higher one, and
    the nodes left on cycles."""
    incoming: dict[Row, int] = dict.fromkeys(nodes, 0)
    outgoing: dict[Row, list[Row]] = defaultdict(list)
    for a, b in edges:
        incoming[b] += 1
        outgoing[a].append(b)
    level = dict.fromkeys(nodes, 0)
    ready = sorted(n for n, count in incoming.items() if count == 0)
    done: set[Row] = set()
    while ready:
        node = ready.pop()
        done.add(node)
        for nxt in outgoing[node]:
            level[nxt] = max(level[nxt], level[node] + 1)
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    return level, nodes - done


def _planned(action: EraseAction, current: dict, order: int, reached: str, depth: int) -> dict[str, Any]:
    state = current.get((action.source, action.item), {})
    return action.to_dict() | {
        "order": order,
        "depth": depth,
        "reached": reached,
        "scan_id": state.get("scan_id"),
        "item_key": state.get("item_key"),
        "fingerprint": state.get("fingerprint"),
        "stale": False,
    }


def _by_item(actions: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in actions:
        groups[(entry["source"], entry["item"])].append(entry)
    return groups


def _inspect(actions: list[dict[str, Any]], key: bytes, config: ScanConfig) -> None:
    """Fill each action's before/after state hashes through its source's eraser; what cannot be done
    becomes ``manual`` with the reason."""
    erasers: dict[str, Eraser | str] = {}
    try:
        for (source, item), entries in _by_item(a for a in actions if a["action"] != "manual").items():
            eraser = erasers.get(source)
            if eraser is None:
                try:
                    eraser = open_eraser(source, state_digest(key), **_eraser_options(config))
                except (ValueError, ImportError) as exc:
                    eraser = one_line(exc)
                erasers[source] = eraser
            if isinstance(eraser, str):
                _make_manual(entries, eraser)
                continue
            try:
                real = real_item(eraser, item, entries, key)
                seen = eraser.inspect(real, [EraseAction.from_dict(e) for e in entries])
            except SourceError as exc:
                _make_manual(entries, f"cannot open the source to plan: {one_line(exc)}")
                continue
            for entry in entries:
                inspection = seen.get(entry["action_id"])
                if inspection is None:
                    _make_manual([entry], "the eraser gave no state for this target")
                elif inspection.manual_reason:
                    _make_manual([entry], inspection.manual_reason)
                elif inspection.before is None:
                    entry["action"], entry["reason"] = "none", "already gone"
                else:
                    entry["before"], entry["after"] = inspection.before, inspection.after
    finally:
        for eraser in erasers.values():
            if not isinstance(eraser, str):
                eraser.close()


def _make_manual(entries: list[dict[str, Any]], reason: str) -> None:
    for entry in entries:
        entry["action"], entry["reason"] = "manual", reason


def _mark_stale(actions: list[dict[str, Any]], config: ScanConfig) -> None:
    """An item whose live fingerprint differs from the scanned one changed since the scan: its actions are
    marked stale and refused until it is rescanned and the plan made again."""
    connectors: dict[str, Any] = {}
    try:
        for (source, item), entries in _by_item(actions).items():
            scanned = entries[0]["fingerprint"]
            try:
                if source not in connectors:  # one connection per source, not per item
                    connectors[source] = open_source(source, **_source_options(config))
                now = connectors[source].current(item)
            except (SourceError, ValueError, OSError) as exc:
                log.warning("%s: %s: cannot check for changes since the scan: %s", source, item, one_line(exc))
                continue
            live = getattr(now, "fingerprint", None)
            if now is not None and scanned is not None and live != scanned:
                for entry in entries:
                    entry["stale"] = True
                    entry["stale_reason"] = "changed since the scan: rescan it (or plan with --rescan-changed)"
    finally:
        for connector in connectors.values():
            connector.close()


def stale_items(plan: dict[str, Any]) -> dict[str, set[str]]:
    """source -> items the plan found changed since the scan."""
    out: dict[str, set[str]] = defaultdict(set)
    for entry in plan["actions"]:
        if entry["stale"]:
            out[entry["source"]].add(entry["item"])
    return dict(out)


# -- plan files ------------------------------------------------------------------------------------------
def write_plan(plan: dict[str, Any], path: Path) -> None:
    """Write atomically (a plan is an instruction to change data: never half-written)."""
    write_private(path, json.dumps(plan, indent=2, ensure_ascii=False) + "\n")


def read_plan(path: Path, key: bytes) -> dict[str, Any]:
    try:
        plan = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanError(f"{path}: cannot read the plan ({type(exc).__name__})") from exc
    if not isinstance(plan, dict) or plan.get("plan_version") != PLAN_VERSION:
        raise PlanError(f"{path}: not a piiscan erasure plan of version {PLAN_VERSION}")
    if plan.get("key_id") != key_id(key):
        raise PlanError(f"{path}: the plan was made with another HMAC key (key id {plan.get('key_id')})")
    return plan


# -- audit log -------------------------------------------------------------------------------------------
class AuditLog:
    """Append-only JSON lines, one per action and phase, each fsynced before the next action starts.

    With an index on object storage (which cannot append), the default log is one immutable object per
    entry under ``INDEX/audit/erasure/``, named so that listing them gives the order they were written in.
    """

    def __init__(self, path: Path | None = None, store: Store | None = None) -> None:
        if (path is None) == (store is None):
            raise ValueError("an audit log is a local file or a store folder")
        self.path = Path(path) if path is not None else None
        self.store = store
        self._seq = 0

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else self.store.location  # type: ignore[union-attr]

    def __str__(self) -> str:
        return self.location

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"time": _now(), **entry}, ensure_ascii=False, sort_keys=True) + "\n"
        if self.store is not None:
            self._seq += 1
            name = f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{os.getpid()}-{self._seq:06d}.json"
            self.store.write_bytes(line.encode("utf-8"), name)
            return
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        if self.store is not None:
            lines = [self.store.read_bytes(self.store.relative(p)).decode("utf-8") for p in self.store.files()]
        elif self.path is not None and self.path.exists():
            lines = self.path.read_text(encoding="utf-8").splitlines()
        else:
            lines = []
        out = []
        for line in lines:
            if line.strip():
                entry = json.loads(line)
                if plan_id is None or entry.get("plan_id") == plan_id:
                    out.append(entry)
        return out


def audit_log_for(config: ScanConfig, path: Path | None = None) -> AuditLog:
    """``path`` if given, else the index's own log: ``INDEX/audit/erasure.jsonl``, or per-entry objects under
    ``INDEX/audit/erasure/`` for an index on object storage."""
    if path is not None:
        return AuditLog(Path(path))
    if is_remote(config.index):
        return AuditLog(store=Store(f"{str(config.index).rstrip('/')}/audit/erasure", config.endpoint_url))
    return AuditLog(Path(config.index) / AUDIT_FILE)


def _audit_entry(plan: dict[str, Any], entry: dict[str, Any], phase: str, **values: Any) -> dict[str, Any]:
    return {
        "request_id": plan["request_id"],
        "plan_id": plan["plan_id"],
        "phase": phase,
        "action_id": entry["action_id"],
        "source": entry["source"],
        "item": entry["item"],
        "locator": entry["locator"],
        "action": entry["action"],
        **values,
    }


# -- applying --------------------------------------------------------------------------------------------
@dataclass
class ApplyReport:
    plan_id: str
    request_id: str
    dry_run: bool
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.results:
            counts[r["outcome"]] += 1
        return dict(sorted(counts.items()))

    @property
    def ok(self) -> bool:
        return not any(r["outcome"] in ("refused", "failed") for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "request_id": self.request_id,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "results": self.results,
        }


def _execution_groups(plan: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Actions in plan order (children's rows first), grouped per item within one order level."""
    groups: dict[tuple[int, str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in plan["actions"]:
        groups[(entry["order"], entry["source"], entry["item"])].append(entry)
    return [groups[k] for k in sorted(groups)]


def apply_plan(
    plan: dict[str, Any], key: bytes, config: ScanConfig, yes: bool = False, audit: AuditLog | None = None
) -> ApplyReport:
    """Execute the plan (only with ``yes``; otherwise a dry run that checks every target and writes nothing).

    The audit log is written ahead: an ``apply-intent`` entry for each action before its item is changed, the
    ``apply`` outcome after.  An intent without an outcome (an apply killed between the change and its
    outcome) is reconciled first, from the target's state hash (:func:`_reconcile`).
    """
    audit = audit or audit_log_for(config)
    report = ApplyReport(plan["plan_id"], plan["request_id"], dry_run=not yes)
    digest = state_digest(key)
    erasers: dict[str, Eraser] = {}
    options = plan.get("options") or _eraser_options(config)
    try:
        if yes:
            _reconcile(plan, audit, erasers, digest, options)
            audit.append(
                {
                    "request_id": plan["request_id"],
                    "plan_id": plan["plan_id"],
                    "phase": "apply-start",
                    "actions": len(plan["actions"]),
                }
            )
        for group in _execution_groups(plan):
            if yes:
                for entry in group:
                    if _runnable(entry):
                        audit.append(
                            _audit_entry(plan, entry, "apply-intent", before=entry["before"], after=entry["after"])
                        )
            for result in _run_group(group, erasers, digest, options, dry_run=not yes):
                entry = next(e for e in group if e["action_id"] == result.action_id)
                row = {
                    "action_id": result.action_id,
                    "source": entry["source"],
                    "item": entry["item"],
                    "locator": entry["locator"],
                    "action": entry["action"],
                    "outcome": result.outcome,
                    "detail": result.detail,
                }
                report.results.append(row)
                if yes:
                    audit.append(
                        _audit_entry(
                            plan,
                            entry,
                            "apply",
                            before=result.before,
                            after=result.after,
                            result=result.outcome,
                            detail=result.detail,
                            **({"extra": result.extra} if result.extra else {}),
                        )
                    )
    finally:
        for eraser in erasers.values():
            eraser.close()
    if yes:
        audit.append(
            {
                "request_id": plan["request_id"],
                "plan_id": plan["plan_id"],
                "phase": "apply-end",
                "counts": report.counts,
            }
        )
    return report


def _runnable(entry: dict[str, Any]) -> bool:
    """An action apply hands to an eraser (not manual, not already gone at plan time, not stale)."""
    return entry["action"] not in ("manual", "none") and not entry["stale"]


def _reconcile(
    plan: dict[str, Any], audit: AuditLog, erasers: dict[str, Eraser], digest: Callable[[bytes], str], options: dict
) -> None:
    """Complete the log of an interrupted apply: each ``apply-intent`` of this plan without an ``apply``
    outcome gets one, from the target's state now -- ``done`` (reconciled) when it is in the planned end
    state (a deleted target gone), ``not_done`` when it is still in its planned start state (this apply does
    it), else ``unknown`` (changed since; this apply refuses it)."""
    entries = audit.entries(plan["plan_id"])
    intents = {e["action_id"] for e in entries if e.get("phase") == "apply-intent"}
    outcomes = {e["action_id"] for e in entries if e.get("phase") == "apply"}
    pending = [e for e in plan["actions"] if e["action_id"] in intents - outcomes]
    for (source, item), group in _by_item(pending).items():
        try:
            eraser = erasers.get(source)
            if eraser is None:
                eraser = erasers[source] = open_eraser(source, digest, **options)
            seen = eraser.inspect(real_item(eraser, item, group), [EraseAction.from_dict(e) for e in group])
        except (SourceError, ValueError, ImportError, OSError) as exc:
            seen, reason = {}, one_line(exc)
        else:
            reason = "the target's state could not be read"
        for entry in group:
            inspection = seen.get(entry["action_id"])
            now = inspection.before if inspection is not None else None  # a file's hash even when unredactable
            if entry["action"] in ("delete_row", "delete_file", "delete_object"):
                done = inspection is not None and not inspection.manual_reason and now is None
            else:
                done = now is not None and now == entry["after"]
            if done:
                result, detail = "done", "done by an interrupted apply: the target is in its planned end state"
            elif now is not None and now == entry["before"]:
                result, detail = "not_done", "an interrupted apply did not change the target; applied again"
            else:
                result = "unknown"
                detail = f"after an interrupted apply: {reason if inspection is None else 'the target changed'}"
            audit.append(
                _audit_entry(plan, entry, "apply", before=entry["before"], after=now, result=result, detail=detail)
                | {"reconciled": True}
            )


def _run_group(
    group: list[dict[str, Any]],
    erasers: dict[str, Eraser],
    digest: Callable[[bytes], str],
    options: dict,
    dry_run: bool,
) -> list[ActionResult]:
    runnable, results = [], []
    for entry in group:
        if entry["action"] == "manual":
            results.append(ActionResult(entry["action_id"], "manual", detail=entry["reason"]))
        elif entry["action"] == "none":
            results.append(ActionResult(entry["action_id"], "already_done", detail=entry["reason"]))
        elif entry["stale"]:
            results.append(ActionResult(entry["action_id"], "refused", detail=entry["stale_reason"]))
        else:
            runnable.append(entry)
    if not runnable:
        return results
    source, item = runnable[0]["source"], runnable[0]["item"]
    try:
        eraser = erasers.get(source)
        if eraser is None:
            eraser = erasers[source] = open_eraser(source, digest, **options)
        actions = [EraseAction.from_dict(e) for e in runnable]
        results += eraser.execute(real_item(eraser, item, runnable), actions, dry_run=dry_run)
    except (SourceError, ValueError, ImportError, OSError) as exc:
        reason = f"{source}: {item}: {one_line(exc)}"
        log.error("%s", reason)
        results += [ActionResult(e["action_id"], "failed", detail=reason) for e in runnable]
    return results


# -- verifying -------------------------------------------------------------------------------------------
@dataclass
class VerifyReport:
    plan_id: str
    request_id: str
    scan_id: str
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.results:
            counts[r["status"]] += 1
        return dict(sorted(counts.items()))

    @property
    def ok(self) -> bool:
        return all(r["status"] == "erased" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "request_id": self.request_id,
            "scan_id": self.scan_id,
            "counts": self.counts,
            "results": self.results,
        }


def touched_items(plan: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for entry in plan["actions"]:
        out[entry["source"]].add(entry["item"])
    return dict(out)


def verify_plan(plan: dict[str, Any], key: bytes, config: ScanConfig, audit: AuditLog | None = None) -> VerifyReport:
    """Rescan the plan's items and say, per action, whether the subject's data is gone from its target."""

    audit = audit or audit_log_for(config)
    items = real_items(plan["actions"], state_digest(key), plan.get("options") or {})
    options = plan.get("options") or {}
    scan_config = replace(config, endpoint_url=options.get("endpoint_url", config.endpoint_url), quiet=True)
    summary = run_scan(scan_config, key, sorted(items), only_items=items)
    index = open_index(config.index, config.endpoint_url)
    current = index.current_items()
    # where the subject is still found: their identifiers anywhere in a touched item, and what else the plan
    # erased (names, addresses next to them) at the planned records -- the same name elsewhere in a file may be
    # another person's and is not this plan's to judge
    resolved = set(plan["subject"]["subject_keys"]) | set(plan["subject"]["linked_keys"])
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    anywhere: dict[tuple[str, str], set[str]] = defaultdict(set)
    for occ in index.occurrences_for(plan["subject"]["verify_keys"]).to_pylist():
        found[(occ["source"], occ["item"])].add(occ["locator"])
        if occ["subject_key"] in resolved and not is_name_locator(occ["locator"]):  # a name: the rename's
            anywhere[(occ["source"], occ["item"])].add(occ["locator"])
    report = VerifyReport(plan["plan_id"], plan["request_id"], summary.scan_id)

    exists = _row_existence(plan, key, options)
    for entry in plan["actions"]:
        state = current.get((entry["source"], entry["item"]), {})
        status, detail = "erased", ""
        if state.get("status") in ("failed", "partial", "skipped"):
            status, detail = "failed", f"rescan {state['status']}: {state.get('reason') or ''}".strip()
        if entry["locator"] is not None:  # a row
            here = locator_json(entry["locator"]) in found[(entry["source"], entry["item"])]
            still = exists.get(entry["action_id"])
            if here or (entry["action"] == "delete_row" and still):
                status, detail = (
                    "still_present",
                    "the row still exists" if not here else "the subject is found in the row",
                )
            elif still is None and entry["action"] == "delete_row" and status != "failed":
                status, detail = "failed", "cannot check whether the row still exists"
        elif state.get("status") != "gone":
            planned = {locator_json(span["locator"]) for span in entry["spans"]}
            remaining = anywhere[(entry["source"], entry["item"])] | (found[(entry["source"], entry["item"])] & planned)
            if remaining:
                status, detail = "still_present", f"the subject is found at {len(remaining)} record(s) of the item"
        if entry["action"] == "manual" and status == "still_present":
            detail = f"{detail} (manual action pending)"
        report.results.append(
            {
                "action_id": entry["action_id"],
                "source": entry["source"],
                "item": entry["item"],
                "locator": entry["locator"],
                "action": entry["action"],
                "status": status,
                "detail": detail,
            }
        )
        audit.append(_audit_entry(plan, entry, "verify", scan_id=summary.scan_id, result=status, detail=detail))
    return report


def _row_existence(plan: dict[str, Any], key: bytes, options: dict[str, Any]) -> dict[str, bool | None]:
    """action id -> whether its row still exists (None: could not tell), for row actions."""
    out: dict[str, bool | None] = {}
    row_entries = [
        e
        for e in plan["actions"]
        if e["locator"] is not None and e["action"] in (*ROW_ACTIONS, "manual") and not e.get("rename")
    ]
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in row_entries:
        by_source[entry["source"]].append(entry)
    for source, entries in by_source.items():
        try:
            eraser = open_eraser(source, state_digest(key), **options)
        except (ValueError, ImportError):
            continue
        try:
            for (_, item), group in _by_item(entries).items():
                probes = [EraseAction.from_dict(e | {"action": "delete_row"}) for e in group]
                try:
                    seen = eraser.inspect(real_item(eraser, item, group), probes)
                except SourceError:
                    continue
                for probe in probes:
                    inspection = seen.get(probe.action_id)
                    if inspection is None or inspection.manual_reason:
                        out[probe.action_id] = None
                    else:
                        out[probe.action_id] = inspection.before is not None
        finally:
            eraser.close()
    return out
