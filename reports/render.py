"""Renderers: turn report data (plain dicts) into text, JSON, CSV, Markdown or HTML."""

from __future__ import annotations

import html
import json
from typing import Any


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


_DSAR_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 75em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; margin-bottom: 0.3em; } table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } code { font-size: 0.95em; } .muted { color: #666; }
tr.third-party td, tr.third-party-context td { background: #fff3cd; } .badge { font-weight: bold; color: #8a5300; }
tr.ambiguous td { background: #f8e1e1; }
"""


def _html_table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """An HTML table; every cell is escaped here."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{html.escape(row_classes[i])}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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


def render_dsar_html(report: dict[str, Any]) -> str:
    """One self-contained page (inline CSS, no scripts or external assets) for a DPO to read."""
    esc = html.escape
    query, summary = report["query"], report["summary"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Subject access report</title>",
        f"<style>{_DSAR_CSS}</style></head><body>",
        "<h1>Subject access report (GDPR Art. 15)</h1>",
        f'<p class="muted">Generated {esc(report["generated_at"])} from the piiscan index '
        f"(schema version {esc(report['schema_version'])}). Values are shown masked.</p>",
        "<h2>Identifiers queried</h2>",
        _html_table(["Type", "Value (masked)"], [[q["entity_type"], q["preview"]] for q in query["identifiers"]]),
        f"<p>Linked identifiers followed: {'yes' if query['linked'] else 'no'}"
        f" (up to {esc(str(query.get('max_hops', 1 if query['linked'] else 0)))} hop(s)); "
        f"foreign-key depth: {esc(str(query['depth']))}.</p>",
    ]
    if report["linked_identifiers"]:
        parts.append(
            '<h3 id="linked-identifiers">Identifiers of the subject found in the same records and followed</h3>'
        )
        parts.append(
            _html_table(
                ["Type", "Value (masked)", "Hop", "Found with", "In record"],
                [
                    [
                        i["entity_type"],
                        i["preview"],
                        i.get("hop", ""),
                        f"{i['via']['entity_type']} {i['via']['preview']}" if i.get("via") else "",
                        _record_text(i["via"]) if i.get("via") else "",
                    ]
                    for i in report["linked_identifiers"]
                ],
            )
        )
    ambiguous = report.get("ambiguous_identifiers") or []
    if ambiguous:
        parts.append('<h3 id="ambiguous-identifiers">Shared identifiers not followed (to decide)</h3>')
        parts.append(
            "<p>These identifiers sit in the subject's records but also in other people's records: they were "
            "not followed. Where they sit in the subject's own records they are listed as locations.</p>"
        )
        parts.append(
            _html_table(
                ["Type", "Value (masked)", "Other records", "Other people", "Why"],
                [
                    [a["entity_type"], a["preview"], a["shared_records"], a["other_subjects"], a["reason"]]
                    for a in ambiguous
                ],
                ["ambiguous"] * len(ambiguous),
            )
        )
    parts += [
        "<h2>Summary</h2>",
        _html_table(
            ["Measure", "Count"],
            [
                ["Locations holding the subject's data", summary["locations"]],
                ["… of which are other people's data", summary.get("third_party_locations", 0)],
                ["Related rows (through foreign keys)", summary["related_rows"]],
                ["… of which hold other people's data", summary["related_third_party"]],
                ["Systems", summary["systems"]],
                ["Items (files, tables)", summary["items"]],
                ["Items that could not be scanned", summary["incomplete"]],
                ["Other identifiers of the subject followed", summary.get("linked_identifiers", 0)],
                ["Shared identifiers not followed", summary.get("ambiguous_identifiers", 0)],
            ],
        ),
        "<h3>Categories of personal data</h3>",
        _html_table(["Category", "Locations"], [[k, v] for k, v in report["categories"].items()])
        if report["categories"]
        else "<p>None found.</p>",
        "<h2>Locations by system</h2>",
    ]
    scanned = {(i["source"], i["item"]): i for i in report["items"]}
    if not report["systems"]:
        parts.append("<p>No location holds the identifiers queried.</p>")
    for system in report["systems"]:
        parts.append(f"<h3>System: <code>{esc(system['source'])}</code></h3>")
        for item in system["items"]:
            state = scanned.get((system["source"], item["item"]), {})
            parts.append(
                f"<p><strong>{esc(item['item'])}</strong> "
                f'<span class="muted">last scanned {esc(str(state.get("scanned_at") or "unknown"))}</span></p>'
            )
            parts.append(
                _html_table(
                    ["Where", "Field", "Category", "Value (masked)", "Score", "Reached", "Third party"],
                    [
                        [
                            _locator_text(loc["locator"]),
                            loc["field"] or "",
                            loc["entity_type"],
                            loc["preview"],
                            f"{loc['score']:.2f}",
                            _reached_text(loc["reached"]),
                            "third party" if loc.get("third_party") else "",
                        ]
                        for loc in item["locations"]
                    ],
                    ["third-party-context" if loc.get("third_party") else "" for loc in item["locations"]],
                )
            )
    parts.append("<h2>Related records (through foreign keys)</h2>")
    related = report["related_rows"]
    if related:
        parts.append(
            "<p>Rows that reference the subject's records. Rows marked "
            '<span class="badge">third party</span> also hold other people\'s data.</p>'
        )
        parts.append(
            _html_table(
                ["System", "Item", "Where", "Foreign-key path", "Third party"],
                [
                    [
                        r["source"],
                        r["item"],
                        _locator_text(r["locator"]),
                        " / ".join(r["reached"]["path"]),
                        "third party" if r["third_party"] else "",
                    ]
                    for r in related
                ],
                ["third-party" if r["third_party"] else "" for r in related],
            )
        )
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2>Could not be scanned</h2>")
    if report["incomplete"]:
        parts.append(
            "<p>These items are in the index but their content was not scanned, so this answer may miss them.</p>"
        )
        parts.append(
            _html_table(
                ["System", "Item", "Status", "Reason"],
                [[i["source"], i["item"], i["status"], i["reason"] or ""] for i in report["incomplete"]],
            )
        )
    else:
        parts.append("<p>Every item in the index was scanned.</p>")
    parts.append("<h2>Scans used</h2>")
    parts.append(
        _html_table(
            ["Scan", "Status", "Started", "Finished"],
            [[s["scan_id"], s["status"] or "", s["started"] or "", s["finished"] or ""] for s in report["scans"]],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


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
