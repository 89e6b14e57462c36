"""The data-minimisation audit: what the index says about where personal data is, as plain data.

Built from the index alone (no source is read again): an inventory per source, item and field;
locations holding personal data longer than a retention rule allows; personal data in places it
is not expected (logs, temporary files, backups, archives, exports, free-text fields); subjects
spread over many systems and items that are near-copies of each other; hints of GDPR Art. 9
special categories in names; and items that are stale, failed or skipped, so the audit says what
it may be missing.  Only keyed hashes, masked previews, item paths (already masked by the scan)
and counts go in; renderers (:mod:`piiscan.reports.audit_render`) turn the result into HTML, JSON, CSV
and text.  Field meanings: docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.index.retention import AuditSettings, RetentionRule, first_rule, parse_fail_on
from piiscan.index.store import OCCURRENCE_SCHEMA, Index

SCHEMA_VERSION = "1"
#: Identifier types that name one person (a postcode or a date of birth is shared by many).
IDENTIFYING = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "UK_NINO", "UK_NHS", "US_SSN")
#: Statuses of items whose content is not (fully) in the index.
PROBLEM_STATUSES = ("failed", "partial", "skipped")
#: Subjects listed as examples of data spread over many systems (masked previews only).
DUPLICATION_EXAMPLES = 10
#: MinHash: bands x rows per band (candidates for Jaccard >= 0.9 are found with probability > 0.999).
MINHASH_BANDS, MINHASH_ROWS = 10, 5
#: items sharing one MinHash bucket beyond this are paired with the bucket's first item only (a thousand
#: copies of one export are reported as 999 pairs, not half a million)
MAX_BUCKET_PAIRS = 50
_COLUMNS = ["subject_key", "entity_type", "source", "item", "locator", "field", "preview", "scan_id", "record_date"]


# -- reading the index ----------------------------------------------------------
def live_occurrences(index: Index) -> pa.Table:
    """Every live occurrence of the index (the columns the audit needs), in one Arrow table."""
    files = index.segments("occurrences")
    schema = pa.schema([OCCURRENCE_SCHEMA.field(c) for c in _COLUMNS])
    if not files:
        return schema.empty_table()
    table = pa.concat_tables([index.read_segment(f, schema) for f in files])
    live = index.live_scan_by_item()
    if not live:
        return schema.empty_table()
    keys = pa.table(
        {
            "source": [s for s, _ in live],
            "item": [i for _, i in live],
            "scan_id": list(live.values()),
        }
    )
    return table.join(keys, ["source", "item", "scan_id"], join_type="inner").select(_COLUMNS)


def latest_items(index: Index) -> dict[tuple[str, str], dict[str, Any]]:
    """Each item's latest status row (a failed rescan shows here, unlike :meth:`Index.current_items`)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(index.item_states().to_pylist(), key=lambda r: r["scan_id"]):
        latest[(row["source"], row["item"])] = row
    return {k: v for k, v in latest.items() if v["status"] != "gone"}


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return value.isoformat()


def _numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False)


def _share(part: int, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


# -- the audit ------------------------------------------------------------------
def build_audit(
    index: Index,
    rules: Sequence[RetentionRule],
    settings: AuditSettings,
    as_of: dt.date | None = None,
    fail_on: Sequence[str] = (),
    restricted: Mapping[str, dt.date] | None = None,
    objected: Mapping[str, dt.date] | None = None,
) -> dict[str, Any]:
    """The audit as plain data (see docs/audit.md).  ``restricted``: subject key -> the date a restriction
    or legal hold began (the request register's, passed in by the application layer); ``objected``: subject
    key -> the date an objection (Art. 21, e.g. to direct marketing) was received."""
    as_of = as_of or settings.as_of or dt.datetime.now(dt.UTC).date()
    thresholds = [parse_fail_on(e) for e in (fail_on or settings.fail_on)]
    occ = live_occurrences(index)
    current = index.current_items()
    latest = latest_items(index)
    groups = _Groups(occ)

    inventory = _inventory(occ, groups, current)
    retention = _retention(occ, groups, rules, current, as_of)
    unexpected, exempted = _unexpected(groups, settings)
    duplication = _duplication(occ, settings)
    special = _special_categories(groups, settings)
    stale = _stale(latest, as_of, settings.stale_days)
    problems = _problems(latest)
    restricted_processing = _restricted_processing(occ, current, restricted or {})
    objections_held = _objections_held(occ, objected or {})
    metrics = {
        "retention-violations": sum(v["records"] for v in retention["violations"]),
        "retention-items": len({(v["source"], v["item"]) for v in retention["violations"]}),
        "unexpected": len(unexpected),
        "special-categories": len(special),
        "multi-source-subjects": duplication["subjects_in_many_sources"],
        "near-copies": len(duplication["near_copies"]),
        "stale-items": len(stale),
        "failed-items": sum(p["status"] in ("failed", "partial") for p in problems),
        "skipped-items": sum(p["status"] == "skipped" for p in problems),
        "restricted-processing": len(restricted_processing),
        "objections-held": len(objections_held),
    }
    checks = [
        {"expression": str(t), "metric": t.metric, "value": metrics[t.metric], "triggered": t.holds(metrics[t.metric])}
        for t in thresholds
    ]
    scans = index.scans()
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "index": {
            "scans": len(scans),
            "latest_scan": scans[-1]["scan_id"] if scans else None,
            "items": len(latest),
        },
        "settings": _settings_data(settings),
        "summary": {
            "sources": len({s for s, _ in latest}),
            "items": len(latest),
            "items_with_personal_data": len(inventory),
            "occurrences": occ.num_rows,
            "subjects": pc.count_distinct(occ.column("subject_key")).as_py() if occ.num_rows else 0,
            "exempted_locations": exempted,
            **{k.replace("-", "_"): v for k, v in metrics.items()},
        },
        "entity_types": dict(sorted(Counter(occ.column("entity_type").to_pylist()).items())),
        "inventory": inventory,
        "retention": retention,
        "unexpected": unexpected,
        "duplication": duplication,
        "special_categories": special,
        "stale": stale,
        "restricted_processing": restricted_processing,
        "objections_held": objections_held,
        "problems": problems,
        "fail_on": checks,
        "failed": any(c["triggered"] for c in checks),
    }


def _restricted_processing(
    occ: pa.Table, current: dict[tuple[str, str], dict[str, Any]], restricted: Mapping[str, dt.date]
) -> list[dict[str, Any]]:
    """Where a restricted subject's data was written or changed on or after the restriction began: a
    record dated then, or an item modified since.  Why: Art. 18 lets restricted data be stored, not
    otherwise processed; a new record of the person (a marketing export made after the restriction)
    is processing to stop.  One row per item and subject key, without values."""
    if not restricted or not occ.num_rows:
        return []
    picked = occ.filter(pc.is_in(occ.column("subject_key"), value_set=pa.array(sorted(restricted))))
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in picked.to_pylist():
        since = restricted[row["subject_key"]]
        mtime = current.get((row["source"], row["item"]), {}).get("mtime")
        modified = mtime.date() if isinstance(mtime, dt.datetime) else None
        dated = row["record_date"]
        if not ((dated is not None and dated >= since) or (modified is not None and modified >= since)):
            continue
        entry = found.setdefault(
            (row["source"], row["item"], row["subject_key"]),
            {
                "source": row["source"],
                "item": row["item"],
                "subject_key": row["subject_key"],
                "restricted_since": since.isoformat(),
                "item_modified": modified.isoformat() if modified else None,
                "latest_record_date": None,
                "entity_types": set(),
                "occurrences": 0,
            },
        )
        entry["entity_types"].add(row["entity_type"])
        entry["occurrences"] += 1
        if dated is not None and dated >= since:
            entry["latest_record_date"] = max(filter(None, [entry["latest_record_date"], dated.isoformat()]))
    return [
        {**e, "entity_types": sorted(e["entity_types"])}
        for e in sorted(found.values(), key=lambda e: (e["source"], e["item"], e["subject_key"]))
    ]


def _objections_held(occ: pa.Table, objected: Mapping[str, dt.date]) -> list[dict[str, Any]]:
    """Every item (and field) still holding the data of a subject who objected (Art. 21): a mailing list,
    an export, a CRM table.  Why: an objection to direct marketing must reach every list it is sent
    from; which of these items are such lists is for a person to judge, so all are listed."""
    if not objected or not occ.num_rows:
        return []
    picked = occ.filter(pc.is_in(occ.column("subject_key"), value_set=pa.array(sorted(objected))))
    found: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for row in picked.to_pylist():
        entry = found.setdefault(
            (row["source"], row["item"], row["field"]),
            {"source": row["source"], "item": row["item"], "field": row["field"], "subjects": set(),
             "entity_types": set(), "occurrences": 0},
        )  # fmt: skip
        entry["subjects"].add(row["subject_key"])
        entry["entity_types"].add(row["entity_type"])
        entry["occurrences"] += 1
    return [
        {**e, "subjects": len(e["subjects"]), "entity_types": sorted(e["entity_types"])}
        for e in sorted(found.values(), key=lambda e: (e["source"], e["item"], e["field"] or ""))
    ]


def _problems(latest: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """Items whose latest scan failed, was partial or skipped them: the audit may miss what they hold."""
    return [
        {
            "source": source,
            "item": item,
            "status": row["status"],
            "reason": row["reason"],
            "scanned_at": _date(row["scanned_at"]),
            "scan_id": row["scan_id"],
        }
        for (source, item), row in sorted(latest.items())
        if row["status"] in PROBLEM_STATUSES
    ]


def _settings_data(settings: AuditSettings) -> dict[str, Any]:
    """The audit settings in effect, recorded in the audit so that a result can be explained later."""
    return {
        "min_sources": settings.min_sources,
        "near_copy_jaccard": settings.near_copy_jaccard,
        "near_copy_min_subjects": settings.near_copy_min_subjects,
        "stale_days": settings.stale_days,
        "unexpected": list(settings.unexpected),
        "expected": list(settings.expected),
        "free_text_fields": list(settings.free_text_fields),
        "special_categories": {c: list(w) for c, w in settings.special_categories},
    }


class _Groups:
    """Occurrences grouped by (source, item, field, entity type): rules and patterns are decided once per
    group, not per occurrence.  ``ids`` gives each occurrence's group number."""

    def __init__(self, occ: pa.Table) -> None:
        fields = pc.fill_null(occ.column("field"), "")
        key = pc.binary_join_element_wise(
            occ.column("source"), occ.column("item"), fields, occ.column("entity_type"), "\x1f"
        )
        uniques = pc.unique(key)
        self.ids = pc.index_in(key, value_set=uniques)
        self.keys: list[tuple[str, str, str | None, str]] = []
        for text in uniques.to_pylist():
            source, item, fld, entity = text.split("\x1f")
            self.keys.append((source, item, fld or None, entity))
        counts = pc.value_counts(self.ids).to_pylist() if len(occ) else []
        self.sizes = [0] * len(self.keys)
        for entry in counts:
            self.sizes[entry["values"]] = entry["counts"]

    def by_location(self) -> dict[tuple[str, str, str | None], list[int]]:
        """(source, item, field) -> its group numbers."""
        out: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
        for g, (source, item, fld, _) in enumerate(self.keys):
            out[(source, item, fld)].append(g)
        return out


def _distinct_by(table: pa.Table, keys: list[str], column: str) -> dict[tuple, int]:
    if not table.num_rows:
        return {}
    agg = table.group_by(keys).aggregate([(column, "count_distinct")])
    cols = [agg.column(k).to_pylist() for k in keys]
    values = agg.column(f"{column}_count_distinct").to_pylist()
    return {tuple(c[i] for c in cols): values[i] for i in range(agg.num_rows)}


def _inventory(occ: pa.Table, groups: _Groups, current: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """Source -> item -> field: entity types, occurrences, distinct subjects and records holding personal data."""
    if not occ.num_rows:
        return []
    by_field = occ.set_column(occ.schema.get_field_index("field"), "field", pc.fill_null(occ.column("field"), ""))
    item_subjects = _distinct_by(occ, ["source", "item"], "subject_key")
    item_records = _distinct_by(occ, ["source", "item"], "locator")
    field_subjects = _distinct_by(by_field, ["source", "item", "field"], "subject_key")
    field_records = _distinct_by(by_field, ["source", "item", "field"], "locator")
    fields: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(Counter))
    for (source, item, fld, entity), size in zip(groups.keys, groups.sizes, strict=True):
        fields[(source, item)][fld or ""][entity] += size
    out = []
    for (source, item), per_field in sorted(fields.items()):
        state = current.get((source, item), {})
        total = state.get("records")
        entity_types: Counter[str] = Counter()
        for counts in per_field.values():
            entity_types.update(counts)
        records = item_records[(source, item)]
        out.append(
            {
                "source": source,
                "item": item,
                "fmt": state.get("fmt"),
                "status": state.get("status"),
                "records": total,
                "records_with_personal_data": records,
                "share": _share(records, total),
                "occurrences": sum(entity_types.values()),
                "subjects": item_subjects[(source, item)],
                "entity_types": dict(sorted(entity_types.items())),
                "modified": _date(state.get("mtime")),
                "scanned_at": _date(state.get("scanned_at")),
                "fields": [
                    {
                        "field": fld or None,
                        "entity_types": dict(sorted(counts.items())),
                        "occurrences": sum(counts.values()),
                        "subjects": field_subjects[(source, item, fld)],
                        "records": field_records[(source, item, fld)],
                        "share": _share(field_records[(source, item, fld)], total),
                    }
                    for fld, counts in sorted(per_field.items())
                ],
            }
        )
    return out


def _retention(
    occ: pa.Table,
    groups: _Groups,
    rules: Sequence[RetentionRule],
    current: dict[tuple[str, str], dict[str, Any]],
    as_of: dt.date,
) -> dict[str, Any]:
    """Records kept past the first matching rule's period; rules judged by date per group, then per row."""
    summaries = [
        {
            **rule.to_dict(),
            "cutoff": rule.max_age.cutoff(as_of).isoformat(),
            "matched_records": 0,
            "undated_records": 0,
            "violating_records": 0,
        }
        for rule in rules
    ]
    result: dict[str, Any] = {"rules": summaries, "violations": []}
    if not rules or not occ.num_rows:
        return result
    table = _dated_occurrences(occ, groups.ids, rules, _rule_per_group(groups, rules, current), as_of)
    _count_records(table, summaries)
    result["violations"] = _violations(table, rules, as_of)
    return result


class _RuleChoice(NamedTuple):
    """Per group (source, item, field, entity type): the number of the first rule covering it (-1: none), the
    item's date (from its path or modification time) and whether the record's own date column counts instead."""

    rule_of: np.ndarray
    item_dates: list[dt.date | None]
    uses_column: np.ndarray


def _rule_per_group(
    groups: _Groups, rules: Sequence[RetentionRule], current: dict[tuple[str, str], dict[str, Any]]
) -> _RuleChoice:
    """Which rule judges each group, and by which date."""
    n = len(groups.keys)
    rule_of = np.full(n, -1, dtype=np.int64)
    item_dates: list[dt.date | None] = [None] * n
    uses_column = np.zeros(n, dtype=bool)
    for g, (source, item, fld, entity) in enumerate(groups.keys):
        state = current.get((source, item), {})
        rule = first_rule(rules, source, item, state.get("fmt") == "table", fld, entity)
        if rule is None:
            continue
        rule_of[g] = rules.index(rule)
        if rule.date.kind == "column":
            uses_column[g] = True
        elif rule.date.kind == "path":
            item_dates[g] = rule.date.path_date(item)
        else:
            mtime = state.get("mtime")
            item_dates[g] = mtime.astimezone(dt.UTC).date() if mtime is not None else None
    return _RuleChoice(rule_of, item_dates, uses_column)


def _dated_occurrences(
    occ: pa.Table, ids: pa.Array, rules: Sequence[RetentionRule], choice: _RuleChoice, as_of: dt.date
) -> pa.Table:
    """The occurrences some rule covers, with the rule's number, the record's date and the rule's cutoff
    (``ids``: each occurrence's group)."""
    rule_of, item_dates, uses_column = choice
    cutoffs = [rules[r].max_age.cutoff(as_of) if r >= 0 else None for r in rule_of.tolist()]
    covered = pc.take(pa.array(rule_of >= 0), ids)
    table = occ.append_column("rule", pc.take(pa.array(rule_of), ids)).filter(covered)
    ids = pc.filter(ids, covered)
    group_date = pc.take(pa.array(item_dates, pa.date32()), ids)
    by_column = pc.take(pa.array(uses_column), ids)
    dates = pc.if_else(by_column, table.column("record_date"), group_date)
    cutoff = pc.take(pa.array(cutoffs, pa.date32()), ids)
    return table.append_column("date", dates).append_column("cutoff", cutoff)


def _count_records(table: pa.Table, summaries: list[dict[str, Any]]) -> None:
    """Per rule (``summaries`` in rule order): records matched, records without a date, records kept too long."""
    records = table.group_by(["rule", "source", "item", "locator"]).aggregate(
        [("date", "min"), ("cutoff", "min"), ("date", "count", pc.CountOptions(mode="only_null"))]
    )
    rule_col = _numpy(records.column("rule"))
    undated = _numpy(pc.greater(records.column("date_count"), 0))
    late_np = _numpy(pc.fill_null(pc.less(records.column("date_min"), records.column("cutoff_min")), False))
    for i, summary in enumerate(summaries):
        mine = rule_col == i
        summary["matched_records"] = int(mine.sum())
        summary["undated_records"] = int((mine & undated & ~late_np).sum())
        summary["violating_records"] = int((mine & late_np).sum())


def _violations(table: pa.Table, rules: Sequence[RetentionRule], as_of: dt.date) -> list[dict[str, Any]]:
    """One entry per rule and item holding records older than the rule's cutoff."""
    violating = table.filter(pc.fill_null(pc.less(table.column("date"), table.column("cutoff")), False))
    if not violating.num_rows:
        return []
    per_item = violating.group_by(["rule", "source", "item"]).aggregate(
        [
            ("locator", "count_distinct"),
            ("subject_key", "count_distinct"),
            ("date", "min"),
            ("date", "max"),
            ("entity_type", "count"),
            ("field", "distinct"),
            ("entity_type", "distinct"),
        ]
    )
    out = []
    for row in sorted(per_item.to_pylist(), key=lambda r: (r["rule"], r["source"], r["item"])):
        rule = rules[row["rule"]]
        out.append(
            {
                "rule": rule.name,
                "source": row["source"],
                "item": row["item"],
                "date": str(rule.date),
                "max_age": str(rule.max_age),
                "cutoff": rule.max_age.cutoff(as_of).isoformat(),
                "oldest": row["date_min"].isoformat(),
                "newest": row["date_max"].isoformat(),
                "records": row["locator_count_distinct"],
                "occurrences": row["entity_type_count"],
                "subjects": row["subject_key_count_distinct"],
                "fields": sorted(f for f in row["field_distinct"] if f),
                "entity_types": sorted(row["entity_type_distinct"]),
            }
        )
    return out


def _unexpected(groups: _Groups, settings: AuditSettings) -> tuple[list[dict[str, Any]], int]:
    """Locations with personal data in unexpected places (by path glob) or in free-text fields; and how
    many locations the ``expected`` list exempted."""
    flagged: dict[tuple[str, str, str | None, str, str], Counter[str]] = {}
    exempted: set[tuple[str, str, str | None]] = set()
    free_text_fields: dict[str | None, bool] = {}
    item_patterns: dict[str, str | None] = {}
    for (source, item, fld), members in sorted(groups.by_location().items(), key=lambda kv: str(kv[0])):
        counts = Counter({groups.keys[g][3]: groups.sizes[g] for g in members})
        if item not in item_patterns:
            item_patterns[item] = settings.unexpected_item_pattern(item)
        pattern = item_patterns[item] or settings.unexpected_field_pattern(item, fld)
        if fld not in free_text_fields:
            free_text_fields[fld] = settings.is_free_text(fld)
        free_text = free_text_fields[fld]
        if pattern is None and not free_text:
            continue
        if settings.is_expected(item, fld):
            exempted.add((source, item, fld))
            continue
        if pattern is not None:
            where = (source, item, fld if "#" in pattern else None, "unexpected place", pattern)
        else:
            where = (source, item, fld, "free-text field", fld or "")
        flagged.setdefault(where, Counter()).update(counts)
    out = [
        {
            "source": source,
            "item": item,
            "field": fld,
            "reason": reason,
            "matched": matched,
            "occurrences": sum(counts.values()),
            "entity_types": dict(sorted(counts.items())),
        }
        for (source, item, fld, reason, matched), counts in flagged.items()
    ]
    out.sort(key=lambda r: (r["source"], r["item"], r["field"] or ""))
    return out, len(exempted)


def _duplication(occ: pa.Table, settings: AuditSettings) -> dict[str, Any]:
    """Identifiers found in many sources (counts and masked examples) and items that are near-copies."""
    ident = occ.filter(pc.is_in(occ.column("entity_type"), pa.array(IDENTIFYING)))
    result: dict[str, Any] = {
        "min_sources": settings.min_sources,
        "subjects_in_many_sources": 0,
        "by_source_count": {},
        "examples": [],
        "near_copies": [],
    }
    if not ident.num_rows:
        return result
    per_subject = ident.group_by(["subject_key"]).aggregate(
        [("source", "count_distinct"), ("item", "count_distinct"), ("entity_type", "min"), ("preview", "min")]
    )
    many = per_subject.filter(pc.greater_equal(per_subject.column("source_count_distinct"), settings.min_sources))
    result["subjects_in_many_sources"] = many.num_rows
    result["by_source_count"] = {
        str(k): v for k, v in sorted(Counter(many.column("source_count_distinct").to_pylist()).items())
    }
    top = many.sort_by([("source_count_distinct", "descending"), ("item_count_distinct", "descending")])
    result["examples"] = [
        {
            "entity_type": r["entity_type_min"],
            "preview": r["preview_min"],
            "sources": r["source_count_distinct"],
            "items": r["item_count_distinct"],
        }
        for r in top.slice(0, DUPLICATION_EXAMPLES).to_pylist()
    ]
    result["near_copies"] = near_copies(ident, settings.near_copy_jaccard, settings.near_copy_min_subjects)
    return result


def near_copies(occ: pa.Table, threshold: float, min_subjects: int) -> list[dict[str, Any]]:
    """Pairs of items whose sets of subject keys have Jaccard similarity >= ``threshold`` (items with at
    least ``min_subjects``).  Candidates come from MinHash with banding (fast for 100k items); each is
    then checked exactly, so no pair is reported on an estimate."""
    pairs = occ.group_by(["source", "item", "subject_key"]).aggregate([])
    sizes = pairs.group_by(["source", "item"]).aggregate([("subject_key", "count")])
    big = sizes.filter(pc.greater_equal(sizes.column("subject_key_count"), min_subjects))
    if big.num_rows < 2:
        return []
    names = list(zip(big.column("source").to_pylist(), big.column("item").to_pylist(), strict=True))
    label = pc.binary_join_element_wise(pairs.column("source"), pairs.column("item"), "\x1f")
    wanted = pa.array([f"{s}\x1f{i}" for s, i in names])
    item_no = pc.index_in(label, value_set=wanted)
    keep = pc.is_valid(item_no)
    item_no = _numpy(pc.filter(item_no, keep)).astype(np.int64)
    # each distinct subject key becomes a small integer, then a well-mixed 64-bit number
    subject_keys = pc.filter(pairs.column("subject_key"), keep)
    if isinstance(subject_keys, pa.ChunkedArray):  # one dictionary for all (unifying per-chunk ones is slow)
        subject_keys = subject_keys.combine_chunks()
    values = _mix64(_numpy(pc.dictionary_encode(subject_keys).indices).astype(np.uint64))
    order = np.argsort(item_no, kind="stable")
    item_no, values = item_no[order], values[order]
    starts = np.flatnonzero(np.r_[True, item_no[1:] != item_no[:-1]])
    owners = item_no[starts]
    rng = np.random.default_rng(0x5EED)
    hashes = MINHASH_BANDS * MINHASH_ROWS
    mult = rng.integers(1, 2**63, size=hashes, dtype=np.uint64) | np.uint64(1)
    add = rng.integers(0, 2**63, size=hashes, dtype=np.uint64)
    signature = np.empty((len(owners), hashes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for h in range(hashes):
            signature[:, h] = np.minimum.reduceat(_mix64(values * mult[h] + add[h]), starts)
    candidates: set[tuple[int, int]] = set()
    for band in range(MINHASH_BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        rows = signature[:, band * MINHASH_ROWS : (band + 1) * MINHASH_ROWS]
        for i, row in enumerate(rows):
            buckets[row.tobytes()].append(int(owners[i]))
        for members in buckets.values():
            if len(members) > MAX_BUCKET_PAIRS:  # many copies of one item: each paired with the first
                candidates.update((min(members[0], m), max(members[0], m)) for m in members[1:])
                continue
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    candidates.add((min(members[a], members[b]), max(members[a], members[b])))
    if not candidates:
        return []
    involved = {i for pair in candidates for i in pair}
    ends = np.r_[starts[1:], len(values)]
    sets = {
        int(owners[j]): set(values[starts[j] : ends[j]].tolist()) for j in range(len(owners)) if owners[j] in involved
    }
    out: list[dict[str, Any]] = []
    for a, b in sorted(candidates):
        sa, sb = sets[a], sets[b]
        if min(len(sa), len(sb)) < threshold * max(len(sa), len(sb)):
            continue
        common = len(sa & sb)
        jaccard = common / (len(sa) + len(sb) - common)
        if jaccard >= threshold:
            out.append(
                {
                    "a": {"source": names[a][0], "item": names[a][1], "subjects": len(sa)},
                    "b": {"source": names[b][0], "item": names[b][1], "subjects": len(sb)},
                    "common_subjects": common,
                    "jaccard": round(jaccard, 4),
                }
            )
    out.sort(key=lambda r: (-r["jaccard"], r["a"]["source"], r["a"]["item"], r["b"]["item"]))
    return out


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijective mix of 64-bit integers (overflow wraps, as intended)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _special_categories(groups: _Groups, settings: AuditSettings) -> list[dict[str, Any]]:
    """Hints of special-category data (GDPR Art. 9) in field names and item paths: for review, never a verdict."""
    hints: dict[tuple[str, str, str | None, str, str, str], Counter[str]] = {}
    by_field: dict[str, list[tuple[str, str]]] = {}
    by_item: dict[str, list[tuple[str, str]]] = {}
    for (source, item, fld), members in groups.by_location().items():
        counts = Counter({groups.keys[g][3]: groups.sizes[g] for g in members})
        if fld and fld not in by_field:
            by_field[fld] = settings.special_hints(fld)
        if item not in by_item:
            by_item[item] = settings.special_hints(item, path=True)
        found: list[tuple[str, str | None, str, str]] = [("field", fld, c, w) for c, w in by_field[fld]] if fld else []
        found += [("item path", None, c, w) for c, w in by_item[item]]
        for where, hint_field, category, word in found:
            hints.setdefault((source, item, hint_field, category, word, where), Counter()).update(counts)
    out = [
        {
            "category": category,
            "word": word,
            "where": where,
            "source": source,
            "item": item,
            "field": fld,
            "occurrences": sum(counts.values()),
            "entity_types": dict(sorted(counts.items())),
        }
        for (source, item, fld, category, word, where), counts in hints.items()
    ]
    out.sort(key=lambda r: (r["category"], r["source"], r["item"], r["field"] or ""))
    return out


def _stale(latest: dict[tuple[str, str], dict[str, Any]], as_of: dt.date, stale_days: int) -> list[dict[str, Any]]:
    """Items whose latest scan is more than ``stale_days`` before the audit date."""
    limit = as_of - dt.timedelta(days=stale_days)
    out = []
    for (source, item), row in sorted(latest.items()):
        scanned = row.get("scanned_at")
        if scanned is None:
            continue
        day = scanned.astimezone(dt.UTC).date()
        if day < limit:
            out.append(
                {
                    "source": source,
                    "item": item,
                    "status": row["status"],
                    "scanned_at": _date(scanned),
                    "age_days": (as_of - day).days,
                }
            )
    return out
