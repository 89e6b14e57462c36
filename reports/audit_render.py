"""Renderers of the minimisation audit (:func:`piiscan.reports.audit.build_audit`): HTML, JSON, CSV and text.

``audit.html`` is one self-contained page: inline CSS and charts drawn as inline SVG, no script,
no external asset, so it opens offline and can be attached to a ticket.  The CSV files are flat
tables of the audit's sections for spreadsheets (columns: docs/audit.md).  Every value comes from
the audit data, which holds masked previews, item paths masked by the scan, and counts only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from piiscan.index.retention import METRICS
from piiscan.index.storage import private_dir, write_private
from piiscan.reports.pages import render_page


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
_BAR_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")


def bar_chart(title: str, bars: list[tuple[str, int]], width: int = 460) -> dict[str, Any]:
    """The geometry of a horizontal bar chart, drawn as inline SVG by templates/audit.html.j2."""
    label_width, row, value_width = 190, 22, 60
    plot = width - label_width - value_width
    peak = max((v for _, v in bars), default=0) or 1
    drawn = []
    for i, (label, value) in enumerate(bars):
        y = 4 + i * row
        length = max(1, round(plot * value / peak)) if value else 0
        drawn.append(
            {
                "label": label,
                "shown": label if len(label) <= 28 else "…" + label[-27:],  # the end of a path or URL tells most
                "value": value,
                "colour": _BAR_COLOURS[i % len(_BAR_COLOURS)],
                "label_x": label_width - 6,
                "text_y": y + 14,
                "x": label_width,
                "y": y + 3,
                "length": length,
                "thickness": row - 8,
                "value_x": label_width + length + 4,
            }
        )
    return {"title": title, "width": width, "height": row * len(bars) + 8, "bars": drawn}


def _charts(audit: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts of the page: findings by entity type and by source, over-retention by rule, spread of identifiers."""
    per_source: dict[str, int] = {}
    for item in audit["inventory"]:
        per_source[item["source"]] = per_source.get(item["source"], 0) + item["occurrences"]
    by_count = audit["duplication"]["by_source_count"]
    charts = [
        ("Findings by entity type", sorted(audit["entity_types"].items(), key=lambda kv: -kv[1])),
        ("Findings by source", sorted(per_source.items(), key=lambda kv: -kv[1])),
        ("Over-retained records by rule", [(r["name"], r["violating_records"]) for r in audit["retention"]["rules"]]),
        ("Identifiers by number of sources", [(f"{k} sources", v) for k, v in by_count.items()]),
    ]
    return [bar_chart(title, bars) for title, bars in charts if bars]


def _listed(values: Any) -> str:
    """Entity types (``{type: count}``) or names as readable text for the page."""
    if isinstance(values, dict):
        return ", ".join(f"{k} {v}" for k, v in values.items())
    return ", ".join(str(v) for v in values)


def _where(row: dict[str, Any]) -> str:
    return f"{row['item']} # {row['field']}" if row.get("field") else row["item"]


def _rule_scope(rule: dict[str, Any]) -> str:
    """What a retention rule applies to: its match keys other than the wildcard."""
    return _listed(f"{k}={v}" for k, v in rule["match"].items() if v != "*") or "everything"


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share:.1%}"


#: The formatting functions templates/audit.html.j2 calls.
_PAGE_HELPERS = {"listed": _listed, "where": _where, "rule_scope": _rule_scope, "percent": _percent}


def render_audit_html(audit: dict[str, Any]) -> str:
    """One self-contained page (inline CSS, inline SVG charts, no script or external asset)."""
    return render_page("audit.html.j2", audit=audit, charts=_charts(audit), metrics=METRICS, **_PAGE_HELPERS)


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
