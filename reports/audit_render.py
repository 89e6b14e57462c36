"""Renderers of the minimisation audit (:func:`piiscan.reports.audit.build_audit`): HTML, JSON, CSV and text.

``audit.html`` is one self-contained page: inline CSS and charts drawn as inline SVG, no script,
no external asset, so it opens offline and can be attached to a ticket.  The CSV files are flat
tables of the audit's sections for spreadsheets (columns: docs/audit.md).  Every value comes from
the audit data, which holds masked previews, item paths masked by the scan, and counts only.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from piiscan.index.retention import METRICS
from piiscan.index.storage import private_dir, write_private


def _joined(values: Any) -> str:
    if isinstance(values, dict):
        return ";".join(f"{k}={v}" for k, v in values.items())
    return ";".join(str(v) for v in values)


# -- CSV ----------------------------------------------------------------------------
def _inventory_rows(audit: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "source": item["source"],
            "item": item["item"],
            "fmt": item["fmt"],
            "field": fld["field"],
            "entity_types": _joined(fld["entity_types"]),
            "occurrences": fld["occurrences"],
            "subjects": fld["subjects"],
            "records_with_personal_data": fld["records"],
            "item_records": item["records"],
            "share": fld["share"],
        }
        for item in audit["inventory"]
        for fld in item["fields"]
    ]


def _retention_rows(audit: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**v, "fields": _joined(v["fields"]), "entity_types": _joined(v["entity_types"])}
        for v in audit["retention"]["violations"]
    ]


def _typed_rows(section: str) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    return lambda audit: [{**r, "entity_types": _joined(r["entity_types"])} for r in audit[section]]


def _duplication_rows(audit: dict[str, Any]) -> list[dict[str, Any]]:
    dup = audit["duplication"]
    rows: list[dict[str, Any]] = [
        {
            "kind": "near-copy",
            "source_a": p["a"]["source"],
            "item_a": p["a"]["item"],
            "subjects_a": p["a"]["subjects"],
            "source_b": p["b"]["source"],
            "item_b": p["b"]["item"],
            "subjects_b": p["b"]["subjects"],
            "common_subjects": p["common_subjects"],
            "jaccard": p["jaccard"],
        }
        for p in dup["near_copies"]
    ]
    rows += [{"kind": "multi-source-subject", **e} for e in dup["examples"]]
    return rows


def _problem_rows(audit: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"kind": p["status"], **p} for p in audit["problems"]]
    rows += [
        {**s, "kind": "stale", "reason": f"last scanned {s['age_days']} days before the audit date"}
        for s in audit["stale"]
    ]
    return rows


#: file name -> (rows of the audit, columns)
CSV_FILES: dict[str, tuple[Callable[[dict[str, Any]], list[dict[str, Any]]], tuple[str, ...]]] = {
    "inventory.csv": (
        _inventory_rows,
        (
            "source", "item", "fmt", "field", "entity_types", "occurrences", "subjects",
            "records_with_personal_data", "item_records", "share",
        ),
    ),
    "retention.csv": (
        _retention_rows,
        (
            "rule", "source", "item", "date", "max_age", "cutoff", "oldest", "newest", "records", "occurrences",
            "subjects", "fields", "entity_types",
        ),
    ),
    "unexpected.csv": (
        _typed_rows("unexpected"),
        ("source", "item", "field", "reason", "matched", "occurrences", "entity_types"),
    ),
    "duplication.csv": (
        _duplication_rows,
        (
            "kind", "source_a", "item_a", "subjects_a", "source_b", "item_b", "subjects_b", "common_subjects",
            "jaccard", "entity_type", "preview", "sources", "items",
        ),
    ),
    "special_categories.csv": (
        _typed_rows("special_categories"),
        ("category", "word", "where", "source", "item", "field", "occurrences", "entity_types"),
    ),
    "problems.csv": (_problem_rows, ("kind", "source", "item", "status", "reason", "scanned_at")),
}  # fmt: skip


def render_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """A CSV table with a header row; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


def render_audit_json(audit: dict[str, Any]) -> str:
    return json.dumps(audit, indent=2, ensure_ascii=False)


# -- text -------------------------------------------------------------------------
def render_audit_text(audit: dict[str, Any], out_dir: Path | None = None) -> str:
    """The terminal summary: counts per section, the findings that need action, and the --fail-on verdict."""
    s = audit["summary"]
    lines = [
        f"minimisation audit as of {audit['as_of']}: {s['items_with_personal_data']} of {s['items']} item(s) in "
        f"{s['sources']} source(s) hold personal data ({s['occurrences']} finding(s), {s['subjects']} subject key(s))",
        f"  retention: {s['retention_violations']} record(s) kept too long in {s['retention_items']} item(s)",
    ]
    for v in audit["retention"]["violations"]:
        lines.append(
            f"    {v['rule']}: {v['source']}: {v['item']}: {v['records']} record(s), oldest {v['oldest']}"
            f" (limit {v['max_age']}, cutoff {v['cutoff']})"
        )
    lines.append(f"  unexpected places: {s['unexpected']} location(s) ({s['exempted_locations']} exempted by config)")
    for u in audit["unexpected"]:
        where = f"{u['item']}#{u['field']}" if u["field"] else u["item"]
        lines.append(f"    {u['source']}: {where}: {u['reason']} ({u['matched']}), {u['occurrences']} finding(s)")
    lines.append(f"  special categories (to review): {s['special_categories']} hint(s)")
    for h in audit["special_categories"]:
        where = f"{h['item']}#{h['field']}" if h["field"] else h["item"]
        lines.append(f"    {h['category']}: {h['source']}: {where} ('{h['word']}' in the {h['where']})")
    dup = audit["duplication"]
    lines.append(
        f"  duplication: {dup['subjects_in_many_sources']} identifier(s) in >= {dup['min_sources']} sources, "
        f"{len(dup['near_copies'])} near-copy pair(s) of items"
    )
    for p in dup["near_copies"]:
        lines.append(f"    {p['a']['item']} ~ {p['b']['item']} (Jaccard {p['jaccard']})")
    lines.append(
        f"  coverage: {s['failed_items']} failed, {s['skipped_items']} skipped, {s['stale_items']} stale item(s)"
    )
    for check in audit["fail_on"]:
        verdict = "FAIL" if check["triggered"] else "ok"
        lines.append(f"  --fail-on {check['expression']}: {verdict} (value {check['value']})")
    if out_dir is not None:
        lines.append(f"  written to {out_dir}: audit.html, audit.json, " + ", ".join(CSV_FILES))
    return "\n".join(lines)


# -- HTML ---------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; } .muted { color: #666; }
tr.flag td { background: #fde2e1; } tr.ok td { background: #e6f4ea; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; } figure { margin: 0; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: #222; }
"""
_BAR_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[Any]], classes: list[str] | None = None, empty: str = "") -> str:
    """An HTML table (every cell escaped; numbers right-aligned), or a note when there are no rows."""
    if not rows:
        return f'<p class="muted">{_esc(empty or "None.")}</p>'
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{_esc(classes[i])}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="num">{_esc(c)}</td>' if isinstance(c, (int, float)) else f"<td>{_esc(c)}</td>" for c in row
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart_svg(title: str, bars: list[tuple[str, int]], width: int = 460) -> str:
    """A horizontal bar chart as inline SVG (labels and values as text, so it reads without colour)."""
    if not bars:
        return ""
    label_width, row, value_width = 190, 22, 60
    plot = width - label_width - value_width
    peak = max(v for _, v in bars) or 1
    height = row * len(bars) + 8
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}">'
    ]
    for i, (label, value) in enumerate(bars):
        y = 4 + i * row
        length = max(1, round(plot * value / peak)) if value else 0
        shown = label if len(label) <= 28 else "…" + label[-27:]  # the end of a path or URL tells most
        colour = _BAR_COLOURS[i % len(_BAR_COLOURS)]
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{_esc(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row - 8}" fill="{colour}">'
            f"<title>{_esc(label)}: {value}</title></rect>"
            f'<text x="{label_width + length + 4}" y="{y + 14}">{value}</text>'
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{_esc(title)}</figcaption>{''.join(parts)}</figure>"


def _listed(values: Any) -> str:
    """Entity types (``{type: count}``) or names as readable text for the page."""
    if isinstance(values, dict):
        return ", ".join(f"{k} {v}" for k, v in values.items())
    return ", ".join(str(v) for v in values)


def _where(row: dict[str, Any]) -> str:
    return f"{row['item']} # {row['field']}" if row.get("field") else row["item"]


def render_audit_html(audit: dict[str, Any]) -> str:
    """One self-contained page (inline CSS, inline SVG charts, no script or external asset)."""
    s = audit["summary"]
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Data-minimisation audit {_esc(audit['as_of'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Data-minimisation audit</h1>",
        f'<p class="muted">As of {_esc(audit["as_of"])}; generated {_esc(audit["generated_at"])} from '
        f"{audit['index']['scans']} scan(s), latest {_esc(audit['index']['latest_scan'])}.  Built from the index "
        "alone: masked previews and counts, never a raw value.</p>",
        "<h2>Summary</h2>",
        _table(
            ["Measure", "Value"],
            [
                ["Sources", s["sources"]],
                ["Items in the index", s["items"]],
                ["Items holding personal data", s["items_with_personal_data"]],
                ["Findings", s["occurrences"]],
                ["Distinct subject keys", s["subjects"]],
                ["Records kept past a retention rule", s["retention_violations"]],
                ["Items with over-retained records", s["retention_items"]],
                ["Personal data in unexpected places", s["unexpected"]],
                ["Locations exempted by 'expected'", s["exempted_locations"]],
                ["Special-category hints to review", s["special_categories"]],
                ["Identifiers in many sources", s["multi_source_subjects"]],
                ["Near-copy item pairs", s["near_copies"]],
                ["Stale items", s["stale_items"]],
                ["Failed items", s["failed_items"]],
                ["Skipped items", s["skipped_items"]],
            ],
        ),
    ]
    if audit["fail_on"]:
        out.append("<h2>Thresholds (--fail-on)</h2>")
        out.append(
            _table(
                ["Expression", "Value", "Result"],
                [[c["expression"], c["value"], "FAIL" if c["triggered"] else "ok"] for c in audit["fail_on"]],
                ["flag" if c["triggered"] else "ok" for c in audit["fail_on"]],
            )
        )
    per_source: dict[str, int] = {}
    for item in audit["inventory"]:
        per_source[item["source"]] = per_source.get(item["source"], 0) + item["occurrences"]
    rules = audit["retention"]["rules"]
    out.append('<h2>Charts</h2><div class="charts">')
    out.append(bar_chart_svg("Findings by entity type", sorted(audit["entity_types"].items(), key=lambda kv: -kv[1])))
    out.append(bar_chart_svg("Findings by source", sorted(per_source.items(), key=lambda kv: -kv[1])))
    if rules:
        out.append(bar_chart_svg("Over-retained records by rule", [(r["name"], r["violating_records"]) for r in rules]))
    by_count = audit["duplication"]["by_source_count"]
    if by_count:
        out.append(
            bar_chart_svg("Identifiers by number of sources", [(f"{k} sources", v) for k, v in by_count.items()])
        )
    out.append("</div>")

    out.append("<h2>Retention</h2>")
    out.append(
        _table(
            ["Rule", "Applies to", "Max age", "Date", "Cutoff", "Records matched", "Undated", "Over-retained"],
            [
                [
                    r["name"],
                    _listed(f"{k}={v}" for k, v in r["match"].items() if v != "*") or "everything",
                    r["max_age"],
                    r["date"],
                    r["cutoff"],
                    r["matched_records"],
                    r["undated_records"],
                    r["violating_records"],
                ]
                for r in rules
            ],
            ["flag" if r["violating_records"] else "" for r in rules],
            empty="No retention rules are configured ([[retention.rules]] in piiscan.toml).",
        )
    )
    violations = audit["retention"]["violations"]
    out.append(
        _table(
            ["Rule", "Source", "Item", "Records", "Findings", "Subjects", "Oldest", "Cutoff", "Fields"],
            [
                [
                    v["rule"],
                    v["source"],
                    v["item"],
                    v["records"],
                    v["occurrences"],
                    v["subjects"],
                    v["oldest"],
                    v["cutoff"],
                    ", ".join(v["fields"]),
                ]
                for v in violations
            ],
            ["flag"] * len(violations),
            empty="Nothing is kept longer than its rule allows.",
        )
    )
    out.append("<h2>Personal data in unexpected places</h2>")
    out.append(
        _table(
            ["Source", "Location", "Why", "Matched", "Findings", "Entity types"],
            [
                [u["source"], _where(u), u["reason"], u["matched"], u["occurrences"], _listed(u["entity_types"])]
                for u in audit["unexpected"]
            ],
            ["flag"] * len(audit["unexpected"]),
            empty="No personal data found in unexpected places.",
        )
    )
    out.append("<h2>Special categories (GDPR Art. 9) — hints to review</h2>")
    out.append(
        '<p class="muted">Names of fields and items that suggest special-category data.  A hint is not a '
        "finding: a person must check what the location holds.</p>"
    )
    out.append(
        _table(
            ["Category", "Word", "Where", "Source", "Location", "Findings"],
            [
                [h["category"], h["word"], h["where"], h["source"], _where(h), h["occurrences"]]
                for h in audit["special_categories"]
            ],
            empty="No names suggest special-category data.",
        )
    )
    dup = audit["duplication"]
    out.append("<h2>Duplication</h2>")
    out.append(
        f"<p>{dup['subjects_in_many_sources']} identifier(s) are held in {dup['min_sources']} or more sources.</p>"
    )
    out.append(
        _table(
            ["Entity type", "Preview (masked)", "Sources", "Items"],
            [[e["entity_type"], e["preview"], e["sources"], e["items"]] for e in dup["examples"]],
            empty="No identifier is spread that widely.",
        )
    )
    out.append(
        _table(
            ["Item", "Subjects", "Near-copy of", "Subjects", "Common", "Jaccard"],
            [
                [
                    f"{p['a']['source']}: {p['a']['item']}",
                    p["a"]["subjects"],
                    f"{p['b']['source']}: {p['b']['item']}",
                    p["b"]["subjects"],
                    p["common_subjects"],
                    p["jaccard"],
                ]
                for p in dup["near_copies"]
            ],
            empty="No two items hold nearly the same people.",
        )
    )
    out.append("<h2>Inventory</h2>")
    inventory_rows, classes = [], []
    for item in audit["inventory"]:
        inventory_rows.append(
            [
                item["source"],
                item["item"],
                "(whole item)",
                _listed(item["entity_types"]),
                item["occurrences"],
                item["subjects"],
                item["records_with_personal_data"],
                "" if item["share"] is None else f"{item['share']:.1%}",
            ]
        )
        classes.append("")
        for fld in item["fields"]:
            inventory_rows.append(
                [
                    "",
                    "",
                    fld["field"] or "(text)",
                    _listed(fld["entity_types"]),
                    fld["occurrences"],
                    fld["subjects"],
                    fld["records"],
                    "" if fld["share"] is None else f"{fld['share']:.1%}",
                ]
            )
            classes.append("muted")
    out.append(
        _table(
            ["Source", "Item", "Field", "Entity types", "Findings", "Subjects", "Records", "Share of records"],
            inventory_rows,
            classes,
            empty="The index holds no personal data.",
        )
    )
    out.append("<h2>Coverage: failed, skipped and stale items</h2>")
    coverage = [[p["status"], p["source"], p["item"], p["reason"], p["scanned_at"]] for p in audit["problems"]]
    coverage += [
        ["stale", x["source"], x["item"], f"last scanned {x['age_days']} days before the audit date", x["scanned_at"]]
        for x in audit["stale"]
    ]
    out.append(
        _table(
            ["Status", "Source", "Item", "Reason", "Scanned at"],
            coverage,
            empty="Every item was scanned recently and in full.",
        )
    )
    out.append("<h2>Metrics for --fail-on</h2>")
    out.append(_table(["Metric", "Meaning"], [[k, v] for k, v in METRICS.items()]))
    out.append("</body></html>")
    return "\n".join(out)


def write_audit(audit: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write audit.html, audit.json and the CSV files into ``out_dir`` (created if missing); name -> path."""
    private_dir(out_dir)
    outputs = {
        "audit.html": render_audit_html(audit),
        "audit.json": render_audit_json(audit) + "\n",
        **{name: render_csv(rows(audit), columns) for name, (rows, columns) in CSV_FILES.items()},
    }
    paths = {}
    for name, text in outputs.items():
        paths[name] = write_private(out_dir / name, text)
    return paths
