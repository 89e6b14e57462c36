"""Renderers: turn report data (plain dicts) into text, JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import json
from typing import Any

from piiscan.reports.pages import render_page


def render_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _locator_text(locator: dict[str, Any]) -> str:
    if "line" in locator:
        return f"line {locator['line']}"
    if "row" in locator:
        return f"row {locator['row']}"
    for kind in ("primary_key", "unique_key"):
        if kind in locator:
            return ", ".join(f"{k}={v}" for k, v in locator[kind].items())
    if "ctid" in locator:
        return f"ctid {locator['ctid']}"
    if "rowid" in locator:
        return f"rowid {locator['rowid']}"
    if "json_path" in locator:
        return str(locator["json_path"])
    return json.dumps(locator, sort_keys=True)


def render_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A plain fixed-width text table; ``columns`` are (key, header) pairs."""
    cells = [[str(r.get(k, "") if r.get(k) is not None else "") for k, _ in columns] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
    lines = ["  ".join(h.ljust(w) for (_, h), w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def render_lookup_table(result: dict[str, Any]) -> str:
    rows = []
    for loc in result["locations"]:
        via = loc.get("via")
        rows.append(
            {
                **loc,
                "where": _locator_text(loc["locator"]),
                "via_text": f"{via['entity_type']} {via['preview']}" if via else "",
                "score": f"{loc['score']:.2f}",
                "third": "third party" if loc.get("third_party") else "",
            }
        )
    queried = ", ".join(f"{q['entity_type']} {q['preview']}" for q in result["query"]["identifiers"])
    counts = result["counts"]
    header = (
        f"{counts['locations']} location(s) in {counts['items']} item(s) across {counts['sources']} source(s)"
        f" for {queried}"
    )
    related = result.get("related")
    footer = ""
    if related is not None:
        footer = f"\n{len(related)} related row(s) through foreign keys"
        if related:
            third = sum(r["third_party"] for r in related)
            footer += f" ({third} holding other people's data)" if third else ""
            rows_related = [
                {
                    **r,
                    "where": _locator_text(r["locator"]),
                    "path": " / ".join(r["via"]["path"]),
                    "third": "yes" if r["third_party"] else "",
                }
                for r in related
            ]
            footer += "\n" + render_table(
                rows_related,
                [("source", "SOURCE"), ("item", "ITEM"), ("where", "WHERE"), ("path", "VIA"), ("third", "THIRD PARTY")],
            )
    if not rows:
        return header + footer
    table = render_table(
        rows,
        [
            ("source", "SOURCE"),
            ("item", "ITEM"),
            ("where", "WHERE"),
            ("field", "FIELD"),
            ("entity_type", "ENTITY"),
            ("preview", "PREVIEW"),
            ("score", "SCORE"),
            ("via_text", "VIA"),
            *([("third", "THIRD PARTY")] if any(r["third"] for r in rows) else []),
        ],
    )
    third = sum(bool(r["third"]) for r in rows)
    if third:
        footer = (
            f"\n{third} location(s) marked third party: someone else's data in the subject's records"
            " (redacted by an export, left alone by erasure)" + footer
        )
    return header + "\n" + table + footer


def render_scan_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"scan {summary['scan_id']} {summary['status']} in {summary['elapsed']:.1f} s"
        f" with {summary['workers']} worker(s)",
        f"  items: {summary['items_scanned']} scanned, {summary['items_skipped']} skipped, "
        f"{summary['items_failed']} failed; {summary['units']} work unit(s)",
        f"  data: {summary['bytes_scanned'] / 1e6:.1f} MB, {summary['records']} records/lines, "
        f"{summary['mb_per_s']:.2f} MB/s",
    ]
    findings = summary["findings_by_entity"]
    total = sum(findings.values())
    lines.append(
        f"  findings: {total}" + (" (" + ", ".join(f"{k} {v}" for k, v in findings.items()) + ")" if findings else "")
    )
    for error in summary["source_errors"]:
        lines.append(f"  source failed: {error['reason']}")
    for failure in summary["failures"]:
        lines.append(f"  failed: {failure['source']}: {failure['item']}: {failure['reason']}")
    if summary["skipped"]:
        reasons: dict[str, int] = {}
        for entry in summary["skipped"]:
            reasons[entry["reason"]] = reasons.get(entry["reason"], 0) + 1
        lines.append("  skipped: " + ", ".join(f"{r} ({n})" for r, n in sorted(reasons.items())))
    for note in summary["notes"]:
        lines.append(f"  note: {note['source']}: {note['item']}: {note['reason']}")
    declared = sum(len(fks) for fks in summary.get("relationships", {}).values())
    if declared:
        lines.append(f"  relationships: {declared} declared foreign key(s), followed by lookup --related")
    for source, fks in summary.get("inferred_relationships", {}).items():
        for fk in fks:
            state = "followed" if fk["followed"] else "suggested (scan with --infer-relationships to follow)"
            lines.append(f"  relationship {state}: {source}: {fk['label']}")
    return "\n".join(lines)


def render_dsar_json(report: dict[str, Any]) -> str:
    return render_json(report) + "\n"


def _reached_text(reached: dict[str, Any]) -> str:
    if reached["how"] == "direct":
        return "direct"
    if reached["how"] == "linked":
        hop = reached.get("hop")
        label = "queried identifier" if hop == 0 else f"hop {hop}" if hop else ""
        return f"linked via {reached['entity_type']} {reached['preview']}" + (f" ({label})" if label else "")
    return "foreign key: " + " / ".join(reached["path"])


def _record_text(where: dict[str, Any]) -> str:
    """A record: source, item and locator."""
    return f"{where['source']}: {where['item']}, {_locator_text(where['locator'])}"


#: The formatting functions templates/dsar.html.j2 calls.
_DSAR_PAGE_HELPERS = {"locator_text": _locator_text, "reached_text": _reached_text, "record_text": _record_text}


def render_dsar_html(report: dict[str, Any]) -> str:
    """One self-contained page (inline CSS, no scripts or external assets) for a DPO to read."""
    scanned_at = {(i["source"], i["item"]): i.get("scanned_at") for i in report["items"]}
    return render_page("dsar.html.j2", report=report, scanned_at=scanned_at, **_DSAR_PAGE_HELPERS) + "\n"


def render_dsar_summary(summary: dict[str, Any]) -> str:
    """``piiscan dsar``: what the report found, in one line."""
    return (
        f"{summary['locations']} location(s) and {summary['related_rows']} related row(s) in {summary['items']}"
        f" item(s) across {summary['systems']} system(s); {summary['incomplete']} item(s) could not be scanned"
    )


def render_export_summary(summary: dict[str, Any]) -> str:
    """``piiscan dsar --export``: what the bundle holds, and that it holds personal data."""
    redacted = sum(summary["redacted_third_party"].values())
    return (
        f"export: {summary['records']} record(s) in {summary['files']} file(s); {summary['missing']} no longer found;"
        f" {len(summary['changed_items'])} item(s) changed since the scan; {redacted} third-party value(s) redacted."
        " The bundle holds the subject's personal data (mode 0600): hand it over securely."
    )


# -- scan history and diff (reports/history.py) ----------------------------------------------------------------
def render_incremental_line(summary: dict[str, Any]) -> str:
    """One summary line saying what an incremental scan did with each item it listed."""
    mode = "full scan" if summary.get("full") else "incremental"
    rescanned = summary.get("items_new", 0) + summary.get("items_changed", 0)
    return (
        f"  {mode}: {rescanned} item(s) rescanned ({summary.get('items_new', 0)} new, "
        f"{summary.get('items_changed', 0)} changed), {summary.get('items_unchanged', 0)} unchanged, "
        f"{summary.get('items_gone', 0)} gone"
    )


def render_scans_table(scans: list[dict[str, Any]]) -> str:
    """``piiscan scans``: one line per scan, oldest first."""
    rows = [
        {
            "scan_id": s["scan_id"],
            "started": s["started"],
            "finished": s["finished"],
            "status": s["status"] + (" (full)" if s["full"] else ""),
            **{k: s["items"][k] for k in ("new", "changed", "unchanged", "gone", "failed")},
            "findings": s["findings"],
        }
        for s in scans
    ]
    columns = [("scan_id", "SCAN"), ("started", "STARTED"), ("finished", "FINISHED"), ("status", "STATUS")]
    columns += [(k, k.upper()) for k in ("new", "changed", "unchanged", "gone", "failed", "findings")]
    return render_table(rows, columns) if rows else "no scans in this index"


def _diff_title(diff: dict[str, Any]) -> str:
    first = diff["scan_a"]["scan_id"] if diff["scan_a"] else "(empty index)"
    filters = ", ".join(f"{k} {v}" for k, v in diff["filters"].items() if v)
    return f"{first} -> {diff['scan_b']['scan_id']}" + (f" ({filters})" if filters else "")


def _diff_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "source": r["source"],
            "item": r["item"],
            "where": _locator_text(r["locator"]) if isinstance(r["locator"], dict) else (r["locator"] or ""),
            "field": r["field"] or "",
            "entity_type": r["entity_type"],
            "preview": r["preview"] or "",
        }
        for r in rows
    ]


_DIFF_COLUMNS = [
    ("source", "SOURCE"),
    ("item", "ITEM"),
    ("where", "WHERE"),
    ("field", "FIELD"),
    ("entity_type", "TYPE"),
    ("preview", "PREVIEW"),
]


def render_diff_text(diff: dict[str, Any], limit: int = 100) -> str:
    """``piiscan diff``: counts, per source and type, then the locations (at most ``limit`` each way; 0 = all)."""
    c = diff["counts"]
    lines = [
        f"diff {_diff_title(diff)}",
        f"  locations: {c['new_locations']} new, {c['removed_locations']} removed;"
        f" subjects: {c['new_subjects']} new, {c['removed_subjects']} removed"
        f" ({c['subjects_before']} -> {c['subjects_after']}); items changed: {c['items_changed']}",
    ]
    for source, entities in c["by_source_entity"].items():
        parts = ", ".join(f"{e} +{n['new']}/-{n['removed']}" for e, n in entities.items())
        lines.append(f"  {source}: {parts}")
    for title, key in (("new", "new"), ("removed", "removed")):
        rows = diff[key] if not limit else diff[key][:limit]
        if not rows:
            continue
        lines += ["", f"{title} locations:", render_table(_diff_rows(rows), _DIFF_COLUMNS)]
        if len(diff[key]) > len(rows):
            lines.append(f"... and {len(diff[key]) - len(rows)} more (--limit 0 lists all)")
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_diff_markdown(diff: dict[str, Any], limit: int = 100) -> str:
    """``piiscan diff --format markdown``: for a ticket, a chat alert or a pull request."""
    c = diff["counts"]
    lines = [
        f"## Personal data changes: {_md_cell(_diff_title(diff))}",
        "",
        f"- **{c['new_locations']}** new location(s), **{c['removed_locations']}** removed",
        f"- **{c['new_subjects']}** new subject(s), **{c['removed_subjects']}** removed"
        f" ({c['subjects_before']} -> {c['subjects_after']})",
        f"- {c['items_changed']} item(s) changed",
    ]
    if c["by_source_entity"]:
        lines += ["", "| Source | Entity type | New | Removed |", "|---|---|---:|---:|"]
        for source, entities in c["by_source_entity"].items():
            for entity, n in entities.items():
                lines.append(f"| {_md_cell(source)} | {entity} | {n['new']} | {n['removed']} |")
    for title, key in (("New locations", "new"), ("Removed locations", "removed")):
        rows = diff[key] if not limit else diff[key][:limit]
        if not rows:
            continue
        lines += ["", f"### {title}", "", "| " + " | ".join(h.title() for _, h in _DIFF_COLUMNS) + " |"]
        lines.append("|" + "---|" * len(_DIFF_COLUMNS))
        for row in _diff_rows(rows):
            lines.append("| " + " | ".join(_md_cell(row[k]) for k, _ in _DIFF_COLUMNS) + " |")
        if len(diff[key]) > len(rows):
            lines += ["", f"... and {len(diff[key]) - len(rows)} more."]
    return "\n".join(lines) + "\n"
