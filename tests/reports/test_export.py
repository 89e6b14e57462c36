"""``piiscan dsar --export``: the Art. 20 bundle fetched live from SQLite, PostgreSQL, local files and S3.

Real data throughout: Chinook (customer 1 is luisg@embraer.com.br: 1 customer row, 7 invoices, 38
invoice lines, compared with SQL on the database itself), a folder with a log, a CSV, a PDF and a
workbook, and an object on a local S3 server (moto).  The bundle's records must equal the live data,
other people's identifiers must be redacted and counted, the manifest's checksums must match, an
edited file must be flagged, and no raw identifier may leak into the manifest, report or output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from piiscan.app.export import redaction_marker, safe_path, source_slug
from piiscan.connectors.base import ItemRef, locator_json
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.sql.sqlite import SQLiteConnector
from tests.conftest import run_cli, shared_dataset
from tests.connectors.test_documents import make_pdf, write_xlsx
from tests.db_support import my_database, my_load_chinook, my_url, pg_connect, pg_database, pg_load_chinook, pg_url

SUBJECT = "luisg@embraer.com.br"
SUBJECT_PHONE = "+55 (12) 3923-5555"
OTHER = "bob.other@example.org"
OTHER_XLSX = "ann@example.org"  # the other customer of tests.connectors.test_documents.write_xlsx
RAW = (SUBJECT, SUBJECT_PHONE, OTHER, OTHER_XLSX)

LOG_LINES = [
    "2026-11-01 boot",
    f"2026-11-01 login {SUBJECT}",
    "2026-11-01 nothing here",
    f"2026-11-02 {SUBJECT} forwarded the invoice to {OTHER}",
]
CSV_TEXT = f"id,name,email\n1,Ann,ann.x@example.com\n2,Luis,{SUBJECT}\n3,Bob,{OTHER}\n"


@dataclass
class Export:
    out: Path
    proc: Any
    files: dict[str, bytes]

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.files["manifest.json"])

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))

    def file(self, suffix: str) -> bytes:
        (name,) = [n for n in self.files if n.endswith(suffix)]
        return self.files[name]

    def jsonl(self, suffix: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.file(suffix).decode("utf-8").splitlines()]

    def item(self, item: str) -> dict[str, Any]:
        (found,) = [i for s in self.manifest["sources"] for i in s["items"] if i["item"] == item]
        return found


def export(index: Path, out: Path, *extra: str, email: str = SUBJECT) -> Export:
    proc = run_cli("dsar", "--index", str(index), "--email", email, "--out", str(out), "--export", "--no-ner", *extra)
    files = {}
    if (out / "export.zip").exists():
        with zipfile.ZipFile(out / "export.zip") as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    return Export(out, proc, files)


def scan(index: Path, *sources: str) -> None:
    run_cli("scan", *sources, "--index", str(index), "--no-ner", "--quiet", "--workers", "2", check=True)


def text_rows(rows: list[tuple[Any, ...]], columns: list[str]) -> list[dict[str, Any]]:
    """Rows as the export gives them: the text form the scan reads, NULL as None."""
    return [{c: None if v is None else str(v) for c, v in zip(columns, row, strict=True)} for row in rows]


# -- SQLite + a local folder ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Export]:
    root = tmp_path_factory.mktemp("export-estate")
    database = root / "Chinook.sqlite"
    shutil.copy(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), database)
    files = root / "files"
    (files / "logs").mkdir(parents=True)
    (files / "logs" / "app.log").write_text("\n".join(LOG_LINES) + "\n", encoding="utf-8")
    (files / "crm.csv").write_text(CSV_TEXT, encoding="utf-8")
    (files / "letter.pdf").write_bytes(make_pdf([["Invoice 2024"], ["Contact", f"Email {SUBJECT}"]]))
    write_xlsx(files / "customers.xlsx", email=SUBJECT)
    scan(root / "index", f"sqlite:///{database}", str(files))
    return database, files, export(root / "index", root / "out")


def test_export_succeeds_and_says_the_bundle_holds_personal_data(estate) -> None:
    _, _, result = estate
    assert result.proc.returncode == 0, result.proc.stderr
    assert "export.zip" in result.proc.stdout and "personal data" in result.proc.stdout
    mode = stat.S_IMODE(os.stat(result.out / "export.zip").st_mode)
    assert mode == 0o600
    assert sorted(p.name for p in result.out.iterdir()) == ["export.zip", "report.html", "report.json"]


def test_sqlite_rows_equal_the_live_customer_invoices_and_lines(estate) -> None:
    database, _, result = estate
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:

        def rows(sql: str) -> list[dict[str, Any]]:
            cursor = db.execute(sql)
            return text_rows(cursor.fetchall(), [d[0] for d in cursor.description])

        customer = rows("SELECT * FROM Customer WHERE CustomerId = 1")
        invoices = rows("SELECT * FROM Invoice WHERE CustomerId = 1 ORDER BY InvoiceId")
        lines = rows(
            "SELECT l.* FROM InvoiceLine l JOIN Invoice i ON i.InvoiceId = l.InvoiceId"
            " WHERE i.CustomerId = 1 ORDER BY l.InvoiceLineId"
        )
    assert (len(customer), len(invoices), len(lines)) == (1, 7, 38)
    assert json.loads(result.file("/Customer.json")) == customer
    by_id = lambda rows, key: sorted(rows, key=lambda r: int(r[key]))  # noqa: E731
    assert by_id(json.loads(result.file("/Invoice.json")), "InvoiceId") == invoices
    assert by_id(json.loads(result.file("/InvoiceLine.json")), "InvoiceLineId") == lines
    csv_lines = result.file("/InvoiceLine.csv").decode("utf-8").splitlines()
    assert csv_lines[0] == ",".join(lines[0]) and len(csv_lines) == 39
    assert result.item("Invoice")["records"] == 7 and result.item("Invoice")["missing"] == []


def test_documents_hold_only_the_matched_records_with_third_parties_redacted(estate) -> None:
    _, _, result = estate
    log = result.jsonl("/logs/app.log.jsonl")
    assert [r["locator"] for r in log] == [{"line": 2}, {"line": 4}]
    assert log[0]["text"] == LOG_LINES[1]
    assert log[1]["text"] == LOG_LINES[3].replace(OTHER, redaction_marker("EMAIL_ADDRESS"))
    assert result.item("logs/app.log")["redacted_third_party"] == {"EMAIL_ADDRESS": 1}

    # Bob shares only a log line of free text with the subject: resolution does not follow him, so his
    # CSV row is not even reached (and would not be exported: see excluded_third_party_records)
    (row,) = result.jsonl("/crm.csv.jsonl")
    assert row["locator"] == {"row": 2} and row["values"] == {"id": "2", "name": "Luis", "email": SUBJECT}
    assert result.item("crm.csv")["excluded_third_party_records"] == 0

    (pdf,) = result.jsonl("/letter.pdf.jsonl")
    assert pdf["locator"] == {"page": 2, "line": 2} and pdf["text"] == f"Email {SUBJECT}"

    (sheet,) = result.jsonl("/customers.xlsx.jsonl")
    assert sheet["locator"] == {"sheet": "Customers", "row": 7}
    assert sheet["values"]["Email"] == SUBJECT and sheet["values"]["Name"] == "Jane Doe"


def test_manifest_checksums_and_counts_match_the_files(estate) -> None:
    _, _, result = estate
    manifest = result.manifest
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(result.files) - {"manifest.json"}
    for path, entry in listed.items():
        data = result.files[path]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert manifest["redacted_third_party"] == {"EMAIL_ADDRESS": 1}
    assert manifest["totals"]["records"] == 1 + 7 + 38 + 2 + 1 + 1 + 1
    assert manifest["totals"]["missing"] == 0 and manifest["totals"]["changed_items"] == 0
    report = result.report
    assert report["export"]["records"] == manifest["totals"]["records"]
    assert report["export"]["redacted_third_party"] == {"EMAIL_ADDRESS": 1}
    assert all(item["changed_since_scan"] is False for item in report["items"])


def test_no_raw_identifier_in_manifest_report_or_output(estate) -> None:
    _, _, result = estate
    texts = {
        "manifest": result.files["manifest.json"].decode("utf-8"),
        "report.json": (result.out / "report.json").read_text(encoding="utf-8"),
        "report.html": (result.out / "report.html").read_text(encoding="utf-8"),
        "output": result.proc.stdout + result.proc.stderr,
    }
    for name, text in texts.items():
        for raw in RAW:
            assert raw not in text, f"{name} holds a raw identifier"
    assert SUBJECT in result.file("/Customer.json").decode("utf-8")  # the bundle itself does


def test_an_item_edited_after_the_scan_is_flagged_and_lost_records_listed(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    log = files / "app.log"
    log.write_text("\n".join(LOG_LINES) + "\n", encoding="utf-8")
    (files / "other.log").write_text(f"seen {SUBJECT}\n", encoding="utf-8")
    scan(tmp_path / "index", str(files))
    log.write_text("\n".join(LOG_LINES[:3]) + "\n", encoding="utf-8")  # line 4 is gone
    result = export(tmp_path / "index", tmp_path / "out")
    assert result.proc.returncode == 0, result.proc.stderr
    item = result.item("app.log")
    assert item["changed_since_scan"] is True and item["missing"] == [{"line": 4}]
    assert [r["locator"] for r in result.jsonl("/app.log.jsonl")] == [{"line": 2}]
    assert result.item("other.log")["changed_since_scan"] is False
    report = result.report
    assert report["export"]["changed_items"] == [{"source": f"file://{files}", "item": "app.log"}]
    changed = {i["item"]: i["changed_since_scan"] for i in report["items"]}
    assert changed == {"app.log": True, "other.log": False}


def test_nothing_fetchable_exits_1_with_a_warning_and_still_writes_the_report(tmp_path: Path) -> None:
    database = tmp_path / "Chinook.sqlite"
    shutil.copy(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), database)
    scan(tmp_path / "index", f"sqlite:///{database}")
    database.unlink()
    result = export(tmp_path / "index", tmp_path / "out")
    assert result.proc.returncode == 1
    assert "warning" in result.proc.stderr and "does not exist" in result.proc.stderr
    assert (tmp_path / "out" / "report.json").exists()
    assert result.manifest["totals"]["records"] == 0 and result.manifest["totals"]["missing"] == 46
    for raw in RAW:
        assert raw not in result.proc.stdout + result.proc.stderr


# -- connectors: fetch and current --------------------------------------------------------------


def test_current_has_the_enumerated_fingerprint_sqlite_and_local(tmp_path: Path) -> None:
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    sqlite = SQLiteConnector(str(database))
    listed = {e.item_id: e for e in sqlite.enumerate()}
    assert sqlite.current("Customer") == listed["Customer"]
    assert sqlite.current("NoSuchTable") is None
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.log").write_text("hello\n", encoding="utf-8")
    local = LocalConnector(str(tmp_path))
    assert local.current("a/x.log") == next(e for e in local.enumerate() if e.item_id == "a/x.log")
    assert local.current("a/missing.log") is None and local.current("../etc/passwd") is None


def test_sqlite_fetch_by_key_and_by_reading(tmp_path: Path) -> None:
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    sqlite = SQLiteConnector(str(database))
    wanted = [{"primary_key": {"InvoiceId": 98}}, {"primary_key": {"InvoiceId": 999999}}]
    (record,) = list(sqlite.fetch("Invoice", wanted))
    assert record.locator == wanted[0] and record.values["CustomerId"] == "1"
    # a composite key given in another column order, and a locator of no key kind (read in full)
    (line,) = list(sqlite.fetch("PlaylistTrack", [{"primary_key": {"TrackId": 3402, "PlaylistId": 1}}]))
    assert line.values == {"PlaylistId": "1", "TrackId": "3402"}


# -- PostgreSQL --------------------------------------------------------------------------------------


def test_postgres_rows_equal_the_live_customer_invoices_and_lines(tmp_path: Path) -> None:
    with pg_database("piiscan_export") as name:
        pg_load_chinook(name)
        scan(tmp_path / "index", pg_url(name))
        result = export(tmp_path / "index", tmp_path / "out")
        assert result.proc.returncode == 0, result.proc.stderr

        def rows(table: str, where: str, order: str) -> list[dict[str, Any]]:
            with pg_connect(name) as db:
                columns = [
                    r[0]
                    for r in db.execute(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                        [table],
                    )
                ]
                select = ", ".join(f't."{c}"::text' for c in columns)
                return text_rows(
                    db.execute(f"SELECT {select} FROM {table} t {where} ORDER BY t.{order}").fetchall(), columns
                )

        customer = rows("customer", "WHERE customer_id = 1", "customer_id")
        invoices = rows("invoice", "WHERE customer_id = 1", "invoice_id")
        lines = rows(
            "invoice_line",
            "WHERE invoice_id IN (SELECT invoice_id FROM invoice WHERE customer_id = 1)",
            "invoice_line_id",
        )
        with pg_connect(name) as db:
            live = db.execute("SELECT count(*) FROM invoice_line").fetchone()[0]
        assert (len(customer), len(invoices), len(lines)) == (1, 7, 38) and live > 38
        assert json.loads(result.file("/public.customer.json")) == customer
        got = json.loads(result.file("/public.invoice.json"))
        assert sorted(got, key=lambda r: int(r["invoice_id"])) == invoices
        got = json.loads(result.file("/public.invoice_line.json"))
        assert sorted(got, key=lambda r: int(r["invoice_line_id"])) == lines
        assert result.manifest["totals"]["missing"] == 0
        for raw in RAW:
            assert raw not in result.files["manifest.json"].decode() + result.proc.stdout + result.proc.stderr


def test_mariadb_fetch_by_key_and_current(tmp_path: Path) -> None:
    from piiscan.connectors.sql.mysql import MySQLConnector

    with my_database("piiscan_export") as name:
        my_load_chinook(name)
        connector = MySQLConnector(my_url(name))
        try:
            wanted = [{"primary_key": {"InvoiceId": 98}}, {"primary_key": {"InvoiceId": 999999}}]
            (record,) = list(connector.fetch(f"{name}.Invoice", wanted))
            assert record.locator == wanted[0]
            assert record.values["CustomerId"] == "1" and record.values["Total"] == "3.98"
            listed = {e.item_id: e for e in connector.enumerate()}
            assert connector.current(f"{name}.Invoice") == listed[f"{name}.Invoice"]
        finally:
            connector.close()


# -- S3 ---------------------------------------------------------------------------------------------


@pytest.fixture
def s3_bucket(client: Any, bucket: str) -> tuple[Any, str]:
    """The local S3 server's client and a new bucket (tests/conftest.py)."""
    return client, bucket


@pytest.mark.usefixtures("aws_env")
def test_s3_object_records_are_fetched_and_current_matches_the_listing(
    endpoint: str, s3_bucket: tuple[Any, str], tmp_path: Path
) -> None:
    from piiscan.connectors.s3 import S3Connector

    client, bucket = s3_bucket
    client.put_object(Bucket=bucket, Key="data/logs/app.log", Body="\n".join(LOG_LINES).encode())
    client.put_object(Bucket=bucket, Key="data/logs/app.log.bak", Body=b"nothing\n")
    connector = S3Connector(f"s3://{bucket}/data", endpoint_url=endpoint, region="us-east-1")
    listed = {e.item_id: e for e in connector.enumerate()}
    assert isinstance(listed["logs/app.log"], ItemRef)
    assert connector.current("logs/app.log") == listed["logs/app.log"]
    assert connector.current("logs/app") is None

    scan(tmp_path / "index", f"s3://{bucket}/data", "--endpoint-url", endpoint)
    result = export(tmp_path / "index", tmp_path / "out", "--endpoint-url", endpoint)
    assert result.proc.returncode == 0, result.proc.stderr
    log = result.jsonl("/logs/app.log.jsonl")
    assert [r["text"] for r in log] == [LOG_LINES[1], LOG_LINES[3].replace(OTHER, redaction_marker("EMAIL_ADDRESS"))]
    assert result.item("logs/app.log")["changed_since_scan"] is False

    client.put_object(Bucket=bucket, Key="data/logs/app.log", Body="\n".join(LOG_LINES[:2]).encode())
    again = export(tmp_path / "index", tmp_path / "out2", "--endpoint-url", endpoint)
    item = again.item("logs/app.log")
    assert item["changed_since_scan"] is True and item["missing"] == [{"line": 4}]


# -- helpers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "path"),
    [("logs/app.log", "logs/app.log"), ("/etc/../x", "etc/x"), ("..", "item"), ("a\\b.txt", "a/b.txt")],
)
def test_item_paths_stay_inside_the_bundle(item: str, path: str) -> None:
    assert safe_path(item) == path


def test_source_slugs_are_unique_and_safe() -> None:
    taken: set[str] = set()
    first = source_slug("postgresql://u@db:5432/shop", taken)
    assert first == "postgresql-u-db-5432-shop"
    assert source_slug("postgresql://u@db:5432/shop", taken) == first + "-2"
    assert locator_json({"b": 1, "a": 2}) == '{"a":2,"b":1}'
