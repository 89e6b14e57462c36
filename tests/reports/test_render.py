"""Renderers are pure functions over report data."""

import jinja2
import pytest

from piiscan.reports.render import render_dsar_html, render_lookup_table, render_scan_summary, render_table

LOOKUP = {
    "query": {
        "identifiers": [{"entity_type": "EMAIL_ADDRESS", "preview": "a****@e******.com", "subject_key": "ab"}],
        "linked": True,
    },
    "locations": [
        {
            "source": "file:///estate",
            "item": "crm/customers.csv",
            "locator": {"row": 3},
            "field": "email",
            "entity_type": "EMAIL_ADDRESS",
            "detector": "email",
            "score": 1.0,
            "preview": "a****@e******.com",
            "span": [0, 17],
            "via": None,
            "scan_id": "s",
        },
        {
            "source": "sqlite:///crm.sqlite",
            "item": "customers",
            "locator": {"primary_key": {"customer_id": 5}},
            "field": "phone",
            "entity_type": "PHONE_NUMBER",
            "detector": "phone",
            "score": 1.0,
            "preview": "+44 ******** 23",
            "span": [0, 13],
            "via": {"entity_type": "PHONE_NUMBER", "preview": "+44 ******** 23"},
            "scan_id": "s",
        },
    ],
    "linked_identifiers": [],
    "counts": {"locations": 2, "items": 2, "sources": 2},
}


def test_lookup_table_shows_locations_and_via():
    text = render_lookup_table(LOOKUP)
    lines = text.splitlines()
    assert lines[0].startswith("2 location(s) in 2 item(s) across 2 source(s)")
    assert "row 3" in text and "customer_id=5" in text
    assert "PHONE_NUMBER +44 ******** 23" in lines[-1]


def test_empty_lookup_is_one_line():
    empty = {**LOOKUP, "locations": [], "counts": {"locations": 0, "items": 0, "sources": 0}}
    assert render_lookup_table(empty).count("\n") == 0


def test_plain_table_aligns_columns():
    text = render_table([{"a": "x", "b": "long value"}, {"a": "yy", "b": None}], [("a", "A"), ("b", "B")])
    assert text.splitlines()[0] == "A   B"
    assert text.splitlines()[2] == "x   long value"


def test_scan_summary_lists_failures_and_skips():
    summary = {
        "scan_id": "s1",
        "status": "completed",
        "elapsed": 2.0,
        "workers": 2,
        "items_scanned": 3,
        "items_skipped": 2,
        "items_failed": 1,
        "units": 4,
        "bytes_scanned": 2_000_000,
        "records": 100,
        "mb_per_s": 1.0,
        "findings_by_entity": {"EMAIL_ADDRESS": 5},
        "source_errors": [],
        "failures": [{"source": "file:///e", "item": "a.gz", "reason": "truncated gzip stream"}],
        "skipped": [
            {"source": "file:///e", "item": "b.bin", "reason": "binary content"},
            {"source": "file:///e", "item": "c.bin", "reason": "binary content"},
        ],
        "notes": [],
    }
    text = render_scan_summary(summary)
    assert "3 scanned, 2 skipped, 1 failed" in text
    assert "failed: file:///e: a.gz: truncated gzip stream" in text
    assert "binary content (2)" in text
    assert "findings: 5 (EMAIL_ADDRESS 5)" in text


def _dsar_report(item: str) -> dict:
    """The smallest DSAR report: one location in one item named ``item``."""
    location = {
        "locator": {"row": 1},
        "field": "note",
        "entity_type": "EMAIL_ADDRESS",
        "preview": "a****@e******.com",
        "score": 1.0,
        "reached": {"how": "direct"},
    }
    summary = {"locations": 1, "related_rows": 0, "related_third_party": 0, "systems": 1, "items": 1, "incomplete": 0}
    return {
        "generated_at": "2026-01-01T00:00:00+00:00",
        "schema_version": "1",
        "query": {"identifiers": [{"entity_type": "EMAIL_ADDRESS", "preview": "a****@e******.com"}], "linked": False,
                  "depth": 0},
        "summary": summary,
        "linked_identifiers": [],
        "categories": {"EMAIL_ADDRESS": 1},
        "systems": [{"source": "file:///x", "items": [{"item": item, "locations": [location]}]}],
        "items": [{"source": "file:///x", "item": item, "scanned_at": None}],
        "related_rows": [],
        "incomplete": [],
        "scans": [],
    }  # fmt: skip


def test_the_dsar_page_escapes_markup_in_the_data():
    page = render_dsar_html(_dsar_report('<script>alert("x")</script>.csv'))
    assert "<script>" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.csv" in page
    assert "<td>row 1</td><td>note</td><td>EMAIL_ADDRESS</td>" in page  # cells follow each other, no whitespace
    assert "last scanned unknown" in page and page.endswith("</body></html>\n")


def test_a_missing_field_is_an_error_not_a_blank_cell():
    report = _dsar_report("a.csv")
    del report["summary"]["systems"]
    with pytest.raises(jinja2.UndefinedError):
        render_dsar_html(report)
