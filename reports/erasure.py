"""Text renderers for ``piiscan erase``: the plan to review and the apply/verify results.

The data comes from :mod:`piiscan.app.erasure` (plain dicts); these functions only lay it out.  Nothing
rendered holds a raw identifier: plans carry masked previews, locators and keyed hashes only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from piiscan.reports.render import _locator_text, render_table


def _location(entry: dict[str, Any]) -> str:
    where = f"{entry['source']} {entry['item']}"
    return f"{where} [{_locator_text(entry['locator'])}]" if entry.get("locator") else where


def _detail(entry: dict[str, Any]) -> str:
    """Which columns a clearing action empties and how many shared cells it edits; else the reason."""
    if entry["action"] == "null_columns":
        return ", ".join(entry["columns"])
    if entry["action"] == "redact_cells":
        cells = sorted({s["field"] for s in entry["spans"]})
        parts = [", ".join(entry["columns"])] if entry["columns"] else []
        parts.append(f"the subject's values in shared cell(s) {', '.join(cells)}")
        return "; ".join(parts)
    return entry.get("reason", "")


def render_erase_plan(plan: dict[str, Any], path: Path) -> str:
    """What the plan will do, for a human to review before ``--apply``."""
    subject = ", ".join(f"{i['entity_type']} {i['preview']}" for i in plan["subject"]["identifiers"])
    rows = [
        {
            "id": e["action_id"],
            "action": "stale" if e["stale"] else e["action"],
            "location": _location(e),
            "detail": _detail(e),
        }
        for e in plan["actions"]
    ]
    counts = ", ".join(f"{n} {kind}" for kind, n in plan["summary"].items() if kind not in ("actions", "kept"))
    lines = [
        f"erasure plan {plan['plan_id']} (request {plan['request_id']}) for {subject}",
        render_table(rows, [("id", "ID"), ("action", "ACTION"), ("location", "LOCATION"), ("detail", "DETAIL")]),
        f"{plan['summary']['actions']} action(s): {counts or 'none'}; "
        f"{plan['summary']['kept']} row(s) of other people left untouched",
    ]
    if any(e["stale"] for e in plan["actions"]):
        lines.append("stale: the item changed since the scan; rescan it or plan again with --rescan-changed")
    lines.append(f"plan written to {path}; review it, then: piiscan erase --apply {path} [--yes]")
    return "\n".join(lines)


def render_erase_results(outputs: dict[str, Any], audit_location: str) -> str:
    """Apply (or dry-run) outcomes and verification statuses, one line per action; then where the audit log is."""
    lines: list[str] = []
    applied = outputs.get("apply")
    if applied is not None:
        title = "dry run (nothing written; add --yes to apply)" if applied["dry_run"] else "applied"
        lines.append(f"{title}: plan {applied['plan_id']}")
        lines.append(
            render_table(
                [r | {"location": _location(r)} for r in applied["results"]],
                [
                    ("action_id", "ID"),
                    ("action", "ACTION"),
                    ("outcome", "OUTCOME"),
                    ("location", "LOCATION"),
                    ("detail", "DETAIL"),
                ],
            )
        )
        lines.append("outcomes: " + ", ".join(f"{n} {k}" for k, n in applied["counts"].items()))
    verified = outputs.get("verify")
    if verified is not None:
        lines.append(f"verification rescan {verified['scan_id']}:")
        lines.append(
            render_table(
                [r | {"location": _location(r)} for r in verified["results"]],
                [("action_id", "ID"), ("status", "STATUS"), ("location", "LOCATION"), ("detail", "DETAIL")],
            )
        )
        lines.append("verified: " + ", ".join(f"{n} {k}" for k, n in verified["counts"].items()))
    if (applied is not None and not applied["dry_run"]) or verified is not None:
        lines.append(f"audit log: {audit_location}")
    return "\n".join(lines)
