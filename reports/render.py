"""Renderers: turn report data (plain dicts) into text, JSON, CSV or Markdown."""

from __future__ import annotations

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
        ],
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
