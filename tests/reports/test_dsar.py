"""``piiscan dsar``: the Art. 15 access report, from a scanned Chinook in SQLite.

The report must list the customer row and its footprint (7 invoices, 38 invoice
lines) with foreign-key paths, list what could not be scanned, and never hold
the raw identifier queried.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, run_cli, shared_dataset

EMAIL = "luisg@embraer.com.br"
TO_CUSTOMER = "Invoice.CustomerId → Customer.CustomerId"
TO_INVOICE = "InvoiceLine.InvoiceId → Invoice.InvoiceId"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chinook scanned, then a folder with a corrupt Parquet file scanned into the same index."""
    tmp = tmp_path_factory.mktemp("dsar")
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    idx = tmp / "index"
    run_cli("scan", f"sqlite:///{database}", "--index", str(idx), "--workers", "1", "--no-ner", check=True)
    broken = tmp / "broken"
    broken.mkdir()
    (broken / "orders.parquet").write_bytes(b"PAR1 this is not a parquet file")
    (broken / "readme.txt").write_text("nothing personal here\n")  # a scan where every item fails exits 1
    run_cli("scan", str(broken), "--index", str(idx), "--workers", "1", "--no-ner", check=True)
    return idx


def _dsar(index: Path, out: Path, *args: str) -> tuple[dict[str, Any], str, str]:
    proc = run_cli("dsar", "--index", str(index), "--email", EMAIL, "--out", str(out), *args, check=True)
    return json.loads((out / "report.json").read_text()), (out / "report.html").read_text(), proc.stdout


@pytest.fixture(scope="module")
def report(index: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    return _dsar(index, tmp_path_factory.mktemp("dsar-out") / "out")


def test_the_customer_row_is_a_direct_location(report: tuple[dict[str, Any], str, str]) -> None:
    data, _, stdout = report
    assert data["schema_version"] == "1"
    assert data["query"]["identifiers"] == [{"entity_type": "EMAIL_ADDRESS", "preview": "l****@e******.c**.br"}]
    assert data["query"]["linked"] is True and data["query"]["depth"] == 3 and data["query"]["max_hops"] == 1
    (system,) = data["systems"]
    items = {item["item"]: item["locations"] for item in system["items"]}
    direct = [loc for loc in items["Customer"] if loc["reached"] == {"how": "direct"}]
    assert [(loc["locator"], loc["field"], loc["entity_type"]) for loc in direct] == [
        ({"primary_key": {"CustomerId": 1}}, "Email", "EMAIL_ADDRESS")
    ]
    assert data["categories"]["EMAIL_ADDRESS"] == 1
    assert sum(data["categories"].values()) == data["summary"]["locations"]
    assert "report.json" in stdout and "report.html" in stdout and "45 related row(s)" in stdout


def test_related_rows_are_the_invoices_and_their_lines_with_their_paths(
    report: tuple[dict[str, Any], str, str],
) -> None:
    data, _, _ = report
    related = data["related_rows"]
    invoices = [r for r in related if r["item"] == "Invoice"]
    lines = [r for r in related if r["item"] == "InvoiceLine"]
    assert len(invoices) == 7 and len(lines) == 38 and len(related) == 45
    for row in invoices:
        assert row["reached"] == {"how": "foreign_key", "foreign_key": TO_CUSTOMER, "path": [TO_CUSTOMER]}
    for row in lines:
        assert row["reached"]["path"] == [TO_CUSTOMER, TO_INVOICE]
    assert not any(r["third_party"] for r in related)
    answered = {i["item"]: i for i in data["items"]}
    assert set(answered) == {"Customer", "Invoice", "InvoiceLine"}
    assert all(i["scanned_at"] and i["fingerprint"] for i in answered.values())
    assert {i["scan_id"] for i in answered.values()} <= {s["scan_id"] for s in data["scans"]}


def test_an_item_that_failed_is_listed_as_incomplete(report: tuple[dict[str, Any], str, str]) -> None:
    data, page, _ = report
    (entry,) = [i for i in data["incomplete"] if i["item"] == "orders.parquet"]
    assert entry["status"] == "failed" and entry["reason"]
    assert data["summary"]["incomplete"] == len(data["incomplete"]) >= 1
    assert "orders.parquet" in page and "Could not be scanned" in page


def test_no_raw_identifier_in_either_file(report: tuple[dict[str, Any], str, str]) -> None:
    data, page, _ = report
    assert EMAIL not in json.dumps(data, ensure_ascii=False).lower()
    assert EMAIL not in page.lower()


class _Strict(HTMLParser):
    """Collects tags and attributes and checks that every opened element is closed in order."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def test_the_html_page_is_self_contained_and_well_formed(report: tuple[dict[str, Any], str, str]) -> None:
    _, page, _ = report
    parser = _Strict()
    parser.feed(page)
    parser.close()
    assert not parser.errors and not parser.stack
    tags = {tag for tag, _ in parser.tags}
    assert "link" not in tags and "script" not in tags and "img" not in tags
    assert "http://" not in page and "https://" not in page
    assert all(not attrs.get("src") and not attrs.get("href") for _, attrs in parser.tags)
    assert page.count('class="third-party"') == 0  # no third-party rows for this customer
    assert TO_CUSTOMER in page and TO_INVOICE in page


def test_no_linked_is_recorded_in_the_query(index: Path, tmp_path: Path) -> None:
    data, _, _ = _dsar(index, tmp_path / "nested" / "out", "--no-linked", "--depth", "1")
    assert data["query"]["linked"] is False and data["query"]["depth"] == 1 and data["query"]["max_hops"] == 0
    assert data["linked_identifiers"] == [] and data["ambiguous_identifiers"] == []
    assert all(
        loc["reached"] == {"how": "direct"} for s in data["systems"] for i in s["items"] for loc in i["locations"]
    )
    assert {r["item"] for r in data["related_rows"]} == {"Invoice"} and len(data["related_rows"]) == 7


def test_third_party_rows_are_marked_in_the_page(index: Path, tmp_path: Path) -> None:
    """Jane Peacock is support rep of 21 customers: those rows are listed, flagged as other people's
    (with linked identifiers followed, the employees reporting to her are listed too)."""
    proc = run_cli("dsar", "--index", str(index), "--email", "jane@chinookcorp.com", "--out", str(tmp_path), check=True)
    assert proc.returncode == 0
    data = json.loads((tmp_path / "report.json").read_text())
    customers = [r for r in data["related_rows"] if r["item"] == "Customer"]
    assert len(customers) == 21 and all(r["third_party"] for r in customers)
    third = data["summary"]["related_third_party"]
    assert third == sum(r["third_party"] for r in data["related_rows"]) >= 21
    page = (tmp_path / "report.html").read_text()
    assert page.count('class="third-party"') == third
    assert "jane@chinookcorp.com" not in page.lower()


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e .[test]")
    schema = json.loads((REPO / "docs" / "dsar.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_reports_validate_against_the_json_schema(
    report: tuple[dict[str, Any], str, str], index: Path, tmp_path: Path
) -> None:
    """docs/dsar.schema.json describes real reports: this one, and Jane Peacock's (linked, ambiguous, third party)."""
    validator = _validator()
    data, _, _ = report
    validator.validate(data)
    run_cli("dsar", "--index", str(index), "--email", "jane@chinookcorp.com", "--out", str(tmp_path), check=True)
    jane = json.loads((tmp_path / "report.json").read_text())
    assert jane["linked_identifiers"] and jane["ambiguous_identifiers"] and jane["incomplete"]
    validator.validate(jane)
    # the schema is not vacuous: a documented field missing or mistyped fails
    broken = json.loads(json.dumps(jane))
    del broken["ambiguous_identifiers"][0]["reason"]
    assert not validator.is_valid(broken)
    assert not validator.is_valid({**jane, "summary": {**jane["summary"], "locations": "9"}})
    assert not validator.is_valid({k: v for k, v in jane.items() if k != "scans"})
    assert validator.is_valid({**jane, "export": {"path": "export.zip"}})  # additive fields are allowed


def test_dsar_without_an_identifier_is_a_usage_error(index: Path, tmp_path: Path) -> None:
    proc = run_cli("dsar", "--index", str(index), "--out", str(tmp_path))
    assert proc.returncode == 2 and "dsar needs --email" in proc.stderr
    assert not (tmp_path / "report.json").exists()
