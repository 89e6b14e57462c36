"""Document formats (xlsx, docx, pdf, html) through the file connector and the CLI: exact locators,
damaged and encrypted files."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter

from piiscan.connectors.base import ItemProblem, locator_json
from piiscan.connectors.files import guess_format
from piiscan.connectors.formats.office import MAX_BUFFER_BYTES, NameText, read_docx, read_xlsx, seekable_stream
from piiscan.connectors.formats.pdf import read_pdf
from piiscan.connectors.local import LocalConnector
from tests.conftest import lookup_json, scan_folder
from tests.connectors.conformance import items_of, locations, reasons, scan_file

EMAIL = "jane.doe@example.com"
PHONE = "020 7946 0958"
EMAILS = {  # one planted address per format, so a lookup names exactly one place
    "xlsx": "sheet.person@example.com",
    "docx": "word.person@example.com",
    "docx_cell": "cell.person@example.com",
    "pdf": "pdf.person@example.com",
    "html": "page.person@example.com",
}


# -- building documents ------------------------------------------------------------------------------


def write_xlsx(path: Path, email: str = EMAIL) -> None:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes["B2"] = "nothing personal here"
    customers = workbook.create_sheet("Customers")
    customers.append([])  # row 1 empty: the header is the first non-empty row
    customers.append(["Name", "Joined", "Email", "Phone"])  # row 2
    customers.append(["Ann Other", dt.datetime(2021, 3, 4), "ann@example.org", 7700900123])  # row 3
    customers.append([])  # row 4
    customers.append([])  # row 5
    customers.append([])  # row 6
    customers.append(["Jane Doe", dt.datetime(2022, 5, 6, 7, 8, 9), email, PHONE])  # row 7
    raw = workbook.create_sheet("Raw")  # no header: data in the first row
    raw["A1"] = "jane@example.net"
    raw["C1"] = 12.5
    workbook.save(path)


def write_docx(path: Path, email: str = EMAIL, cell_email: str = "cell.person@example.com") -> None:
    document = Document()
    document.add_paragraph("Customer letter")  # paragraph 1
    document.add_paragraph("")  # paragraph 2 (empty, still counted)
    document.add_paragraph(f"Please write to {email} or ring {PHONE}.")  # paragraph 3
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Email"
    table.cell(1, 0).text = "Jane Doe"
    table.cell(1, 1).text = cell_email
    merged = table.cell(0, 2).merge(table.cell(1, 2))
    merged.text = "merged note"
    document.add_paragraph("Regards")  # paragraph 4
    document.save(path)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text object per page, one line per string."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({escape(s)}) Tj T*" for s in lines) + " ET"
        content = ops if lines else ""
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_pages(email: str = EMAIL) -> list[list[str]]:
    return [["Invoice 2024", "Thank you"], [], ["Contact", "Jane Doe", f"Email {email}", f"Phone {PHONE}"]]


def encrypted_pdf(user_password: str, owner_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pdf_pages()))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HTML = f"""<!DOCTYPE html>
<html><head><title>{EMAIL} title is not visible</title>
<style>p {{ color: red }} /* style@example.com */</style>
<script>var hidden = "script@example.com";</script>
</head>
<body>
<h1>Contact</h1>
<p>Write to <b>{EMAIL}</b> &amp; ring</p><p>{PHONE}</p>
<img alt="alt@example.com" src="x.png">
<!-- comment@example.com -->
<table><tr><td>Jane</td><td>Doe</td></tr></table>
</body></html>
"""


def located(results: list[Any]) -> dict[str, Any]:
    return dict(locations(results))


def loc(**parts: Any) -> str:
    return locator_json(parts)


# -- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.xlsx", "xlsx"),
        ("A.XLSM", "xlsx"),
        ("b.docx", "docx"),
        ("c.pdf", "pdf"),
        ("d.html", "html"),
        ("e.HTM", "html"),
        ("old.xls", None),
        ("old.doc", None),
    ],
)
def test_document_extensions(name: str, fmt: str | None) -> None:
    assert guess_format(name)[0] == fmt


def test_each_document_is_one_unit(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "big.xlsx")
    tmp_path.joinpath("big.html").write_text(HTML * 200)
    connector = LocalConnector(str(tmp_path))
    for item in items_of(connector):
        assert len(connector.plan(item, 64)) == 1, item.fmt


# -- Excel -------------------------------------------------------------------------------------------


def test_xlsx_rows_are_located_by_sheet_and_excel_row(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "people.xlsx")
    results = scan_file(tmp_path / "people.xlsx")
    assert reasons(results) == []
    assert located(results) == {
        loc(sheet="Notes", row=2): (("B", "nothing personal here"),),
        loc(sheet="Customers", row=3): (
            ("Email", "ann@example.org"),
            ("Joined", "2021-03-04"),
            ("Name", "Ann Other"),
            ("Phone", "7700900123"),
        ),
        loc(sheet="Customers", row=7): (
            ("Email", EMAIL),
            ("Joined", "2022-05-06T07:08:09"),
            ("Name", "Jane Doe"),
            ("Phone", PHONE),
        ),
        loc(sheet="Raw", row=1): (("A", "jane@example.net"), ("C", "12.5")),
    }


def test_xlsx_columns_beyond_the_header_and_repeated_names(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "S"
    sheet.append(["Email", "Email", None])
    sheet.append(["a@example.com", "b@example.com", "c", "d@example.com"])
    workbook.save(tmp_path / "wide.xlsx")
    assert located(scan_file(tmp_path / "wide.xlsx")) == {
        loc(sheet="S", row=2): (
            ("C", "c"),
            ("D", "d@example.com"),
            ("Email", "a@example.com"),
            ("Email_2", "b@example.com"),
        )
    }


def test_xlsx_empty_workbook_yields_nothing(tmp_path: Path) -> None:
    Workbook().save(tmp_path / "empty.xlsx")
    # nothing but the name of its one sheet (names are checked in tests/scanner/test_names.py)
    assert [r for r in scan_file(tmp_path / "empty.xlsx") if not isinstance(r, NameText)] == []


def test_corrupt_xlsx_fails_with_one_line_reason(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "good.xlsx")
    data = (tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    (tmp_path / "noise.xlsx").write_bytes(b"PK\x03\x04 not really a zip file")
    for name in ("cut.xlsx", "noise.xlsx"):
        ((severity, reason),) = reasons(scan_file(tmp_path / name))
        assert severity == "failed"
        assert reason.startswith("corrupt or unreadable workbook (") and "\n" not in reason


def test_encrypted_office_files_are_skipped(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o\0"
    for name in ("locked.xlsx", "locked.docx"):
        (tmp_path / name).write_bytes(ole)
        assert reasons(scan_file(tmp_path / name)) == [("skipped", "encrypted or password-protected document")]


# -- Word --------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_cells_are_located(tmp_path: Path) -> None:
    write_docx(tmp_path / "letter.docx")
    results = scan_file(tmp_path / "letter.docx")
    assert reasons(results) == []
    assert located(results) == {
        loc(paragraph=1): "Customer letter",
        loc(paragraph=3): f"Please write to {EMAIL} or ring {PHONE}.",
        loc(paragraph=4): "Regards",
        loc(table=1, row=1, cell=1): "Name",
        loc(table=1, row=1, cell=2): "Email",
        loc(table=1, row=1, cell=3): "merged note",  # read once, not again in row 2
        loc(table=1, row=2, cell=1): "Jane Doe",
        loc(table=1, row=2, cell=2): "cell.person@example.com",
    }


def test_corrupt_docx_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"not a zip at all")
    ((severity, reason),) = reasons(scan_file(tmp_path / "bad.docx"))
    assert (severity, reason) == ("failed", "corrupt or unreadable Word document (BadZipFile)")


# -- PDF ---------------------------------------------------------------------------------------------


def test_pdf_lines_are_located_by_page_and_line(tmp_path: Path) -> None:
    (tmp_path / "invoice.pdf").write_bytes(make_pdf(pdf_pages()))
    results = scan_file(tmp_path / "invoice.pdf")
    assert located(results) == {
        loc(page=1, line=1): "Invoice 2024",
        loc(page=1, line=2): "Thank you",
        loc(page=3, line=1): "Contact",
        loc(page=3, line=2): "Jane Doe",
        loc(page=3, line=3): f"Email {EMAIL}",
        loc(page=3, line=4): f"Phone {PHONE}",
    }
    assert reasons(results) == [("note", "1 page without a text layer not read")]


def test_pdf_without_text_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(make_pdf([[], []]))
    assert reasons(scan_file(tmp_path / "scan.pdf")) == [("skipped", "no text layer (scanned image?)")]


def test_pdf_needing_a_password_is_skipped_but_owner_only_is_read(tmp_path: Path) -> None:
    (tmp_path / "locked.pdf").write_bytes(encrypted_pdf("open-sesame", "owner"))
    assert reasons(scan_file(tmp_path / "locked.pdf")) == [("skipped", "encrypted PDF")]
    (tmp_path / "restricted.pdf").write_bytes(encrypted_pdf("", "owner"))
    results = scan_file(tmp_path / "restricted.pdf")
    assert located(results)[loc(page=3, line=3)] == f"Email {EMAIL}"


def test_corrupt_pdf_fails_with_one_line_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf body\n")
    ((severity, reason),) = reasons(scan_file(tmp_path / "bad.pdf"))
    assert severity == "failed"
    assert reason.startswith("corrupt or unreadable PDF (") and "\n" not in reason


def test_gzipped_pdf_is_read(tmp_path: Path) -> None:
    (tmp_path / "invoice.pdf.gz").write_bytes(gzip.compress(make_pdf(pdf_pages())))
    assert located(scan_file(tmp_path / "invoice.pdf.gz"))[loc(page=3, line=4)] == f"Phone {PHONE}"


# -- streams that cannot seek ------------------------------------------------------------------------


class OneWay(io.RawIOBase):
    """A forward-only stream, like an object store's response body."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        data = self._data.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_readers_accept_streams_that_cannot_seek(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "a.xlsx")
    write_docx(tmp_path / "a.docx")
    xlsx = list(read_xlsx(OneWay((tmp_path / "a.xlsx").read_bytes())))  # type: ignore[arg-type]
    assert located(xlsx)[loc(sheet="Customers", row=7)][0] == ("Email", EMAIL)
    docx = list(read_docx(OneWay((tmp_path / "a.docx").read_bytes())))  # type: ignore[arg-type]
    assert loc(paragraph=3) in located(docx)
    pdf = list(read_pdf(OneWay(make_pdf(pdf_pages()))))  # type: ignore[arg-type]
    assert loc(page=3, line=3) in located(pdf)


def test_stream_over_the_buffer_limit_is_skipped() -> None:
    assert MAX_BUFFER_BYTES == 256 << 20
    problem = seekable_stream(OneWay(bytes(3 << 20)), limit=2 << 20)  # type: ignore[arg-type]
    assert problem == ItemProblem("", "skipped", "document over 2 MB on a stream that cannot seek")


# -- HTML --------------------------------------------------------------------------------------------


def test_html_visible_text_on_its_source_lines(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(HTML)
    results = scan_file(tmp_path / "page.html")
    assert reasons(results) == []
    texts = {json.loads(k)["line"]: v for k, v in located(results).items() if v}
    assert texts == {7: "Contact", 8: f"Write to {EMAIL} & ring {PHONE}", 11: "Jane Doe"}
    everything = " ".join(texts.values())
    for hidden in ("title is not visible", "style@", "script@", "alt@", "comment@"):
        assert hidden not in everything


def test_html_unclosed_head_and_cp1252(tmp_path: Path) -> None:
    (tmp_path / "old.htm").write_bytes("<head><title>x</title><body>\n<p>Café Zoë</p>".encode("cp1252"))
    results = scan_file(tmp_path / "old.htm")
    assert located(results) == {loc(line=1): "", loc(line=2): "Café Zoë"}
    assert [severity for severity, _ in reasons(results)] == ["note"]


# -- end to end through the CLI ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def document_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("documents")
    write_xlsx(root / "customers.xlsx", EMAILS["xlsx"])
    write_docx(root / "letter.docx", EMAILS["docx"], EMAILS["docx_cell"])
    (root / "invoice.pdf").write_bytes(make_pdf(pdf_pages(EMAILS["pdf"])))
    (root / "page.html").write_text(HTML.replace(EMAIL, EMAILS["html"]))
    (root / "locked.pdf").write_bytes(encrypted_pdf("open-sesame", "owner"))
    (root / "bad.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf body\n")
    (root / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip file")
    return scan_folder(root)


@pytest.mark.parametrize(
    ("email", "item", "locator", "field"),
    [
        (EMAILS["xlsx"], "customers.xlsx", {"sheet": "Customers", "row": 7}, "Email"),
        (EMAILS["docx"], "letter.docx", {"paragraph": 3}, None),
        (EMAILS["docx_cell"], "letter.docx", {"table": 1, "row": 2, "cell": 2}, None),
        (EMAILS["pdf"], "invoice.pdf", {"page": 3, "line": 3}, None),
        (EMAILS["html"], "page.html", {"line": 8}, None),
    ],
)
def test_lookup_finds_the_planted_place(document_scan, email, item, locator, field) -> None:
    index, _ = document_scan
    found = lookup_json(index, "--email", email)["locations"]
    assert [(f["item"], f["locator"], f["field"]) for f in found] == [(item, locator, field)]


def test_phone_numbers_are_found_in_documents(document_scan) -> None:
    index, _ = document_scan
    found = lookup_json(index, "--phone", PHONE)["locations"]
    places = {(f["item"], json.dumps(f["locator"], sort_keys=True)) for f in found}
    assert places >= {
        ("customers.xlsx", json.dumps({"row": 7, "sheet": "Customers"})),
        ("letter.docx", json.dumps({"paragraph": 3})),
        ("invoice.pdf", json.dumps({"line": 4, "page": 3})),
        ("page.html", json.dumps({"line": 8})),
    }


def test_damaged_and_encrypted_documents_are_reported(document_scan) -> None:
    _, summary = document_scan
    failures = {e["item"]: e["reason"] for e in summary["failures"]}
    skipped = {e["item"]: e["reason"] for e in summary["skipped"]}
    assert failures["bad.pdf"].startswith("corrupt or unreadable PDF (")
    assert failures["bad.xlsx"].startswith("corrupt or unreadable workbook (")
    assert skipped["locked.pdf"] == "encrypted PDF"
