"""E-mail (.eml, .mbox) through the file connector and the CLI: headers, bodies, attachments read as
files of their names, encrypted parts and malformed messages in a mailbox."""

from __future__ import annotations

import gzip
import io
import json
import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors.base import ItemProblem, locator_json
from piiscan.connectors.files import guess_format
from piiscan.connectors.formats.mail import nest, split_mbox
from tests.conftest import lookup_json, scan_folder
from tests.connectors.conformance import locations, reasons, scan_file
from tests.connectors.test_documents import write_docx

SENDER = "Jane Doe <jane.sender@example.com>"
PLANTED = {  # one address per place, so a lookup names exactly one
    "to": "rita.recipient@example.com",
    "cc": "carl.copy@example.org",
    "plain": "paul.plain@example.com",
    "html": "hanna.html@example.com",
    "csv": "cora.csv@example.com",
    "forwarded": "fred.forwarded@example.com",
    "mbox": "mona.mbox@example.com",
}


def loc(**parts: Any) -> str:
    return locator_json(parts)


# -- building messages -------------------------------------------------------------------------------


def rich_message() -> EmailMessage:
    """Parts in walk order: 1 mixed, 2 alternative, 3 plain, 4 html, 5 csv, 6 forwarded (7 inside it),
    8 zip (unsupported), 9 S/MIME (encrypted); a test may add more."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = f"Rita Recipient <{PLANTED['to']}>, other@example.net"
    message["Cc"] = PLANTED["cc"]
    message["Subject"] = "Customer list"
    message.set_content(f"Hello,\n\nplease write to {PLANTED['plain']}.\r\n")
    message.add_alternative(
        f"<html><body>\n<p>Hello</p>\n<p>Write to <b>{PLANTED['html']}</b></p>\n</body></html>\n", subtype="html"
    )
    csv = f"name,email\nCora,{PLANTED['csv']}\n".encode()
    message.add_attachment(csv, maintype="text", subtype="csv", filename="people.csv")
    forwarded = EmailMessage()
    forwarded["From"] = PLANTED["forwarded"]
    forwarded["Subject"] = "Fwd"
    forwarded.set_content("inner body")
    message.add_attachment(forwarded)
    message.add_attachment(b"PK\x03\x04", maintype="application", subtype="zip", filename="archive.zip")
    message.add_attachment(
        b"\x30\x80encrypted", maintype="application", subtype="pkcs7-mime", filename="smime.p7m",
        params={"smime-type": "enveloped-data"},
    )  # fmt: skip
    return message


def pgp_message(number: int) -> bytes:
    return (
        f"From: pgp{number}@example.com\nTo: {PLANTED['mbox']}\nSubject: secret\nMIME-Version: 1.0\n"
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\n\n'
        "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
        "--b\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nhidden@example.com\n"
        "-----END PGP MESSAGE-----\n--b--\n"
    ).encode()


def simple_message(sender: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "team@example.net"
    message["Subject"] = "note"
    message.set_content(body)
    return message


def from_line(data: bytes) -> bytes:
    return b"From sender@example.com Mon Jan  1 00:00:00 2024\n" + data + b"\n"


def write_mbox(path: Path) -> None:
    """Four messages: 1 plain, 2 malformed (no header), 3 PGP-encrypted, 4 plain with a body "From"."""
    path.write_bytes(
        from_line(bytes(simple_message("one@example.com", f"first, from {PLANTED['mbox']}\n")))
        + from_line(b"\x00\x01 not a header line\nsecond\n")
        + from_line(pgp_message(3))
        + from_line(bytes(simple_message("four@example.com", "last\n>From the archive\n")))
    )


# -- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [("a.eml", "eml"), ("B.EML", "eml"), ("c.mbox", "mbox"), ("d.eml.gz", "eml")])
def test_mail_extensions(name: str, fmt: str) -> None:
    assert guess_format(name)[0] == fmt


# -- one message -------------------------------------------------------------------------------------


def test_eml_headers_bodies_and_attachments_are_located(tmp_path: Path) -> None:
    message = rich_message()
    write_docx(tmp_path / "letter.docx", "word.person@example.com")
    message.add_attachment(
        (tmp_path / "letter.docx").read_bytes(), maintype="application", subtype="octet-stream", filename="letter.docx"
    )
    (tmp_path / "mail.eml").write_bytes(bytes(message))
    results = scan_file(tmp_path / "mail.eml", 64)
    assert dict(locations(results)) == {
        loc(message=1, header="From"): SENDER,
        loc(message=1, header="To"): f"Rita Recipient <{PLANTED['to']}>, other@example.net",
        loc(message=1, header="Cc"): PLANTED["cc"],
        loc(message=1, header="Subject"): "Customer list",
        loc(message=1, part=3, line=1): "Hello,",
        loc(message=1, part=3, line=3): f"please write to {PLANTED['plain']}.",
        loc(message=1, part=4, line=2): "Hello",
        loc(message=1, part=4, line=3): f"Write to {PLANTED['html']}",
        loc(message=1, attachment="people.csv", row=1): (("email", PLANTED["csv"]), ("name", "Cora")),
        loc(message=1, attachment="message.eml", inner={"message": 1, "header": "From"}): PLANTED["forwarded"],
        loc(message=1, attachment="message.eml", inner={"message": 1, "header": "Subject"}): "Fwd",
        loc(message=1, attachment="message.eml", inner={"message": 1, "part": 1, "line": 1}): "inner body",
        loc(message=1, attachment="letter.docx", paragraph=1): "Customer letter",
        loc(
            message=1, attachment="letter.docx", paragraph=3
        ): "Please write to word.person@example.com or ring 020 7946 0958.",
        loc(message=1, attachment="letter.docx", paragraph=4): "Regards",
        loc(message=1, attachment="letter.docx", table=1, row=1, cell=1): "Name",
        loc(message=1, attachment="letter.docx", table=1, row=1, cell=2): "Email",
        loc(message=1, attachment="letter.docx", table=1, row=1, cell=3): "merged note",
        loc(message=1, attachment="letter.docx", table=1, row=2, cell=1): "Jane Doe",
        loc(message=1, attachment="letter.docx", table=1, row=2, cell=2): "cell.person@example.com",
    }
    assert reasons(results) == [
        ("note", "1 encrypted part not scanned"),
        ("note", "1 attachment of unsupported type not scanned"),
    ]


def test_header_texts_carry_the_header_name_as_field(tmp_path: Path) -> None:
    (tmp_path / "mail.eml").write_bytes(bytes(rich_message()))
    fields = {
        r.field for r in scan_file(tmp_path / "mail.eml", 64) if not isinstance(r, ItemProblem) and hasattr(r, "field")
    }
    assert {"From", "To", "Cc", "Subject", None} <= fields


def test_attachment_problems_become_notes_and_the_message_is_still_read(tmp_path: Path) -> None:
    message = simple_message(SENDER, "body text\n")
    message.add_attachment(b"PK\x03\x04 not a zip", maintype="application", subtype="octet-stream", filename="bad.xlsx")
    message.add_attachment(b"", maintype="text", subtype="plain", filename="empty.txt")
    (tmp_path / "mail.eml").write_bytes(bytes(message))
    results = scan_file(tmp_path / "mail.eml", 64)
    assert loc(message=1, part=2, line=1) in dict(locations(results))
    assert reasons(results) == [
        ("note", "attachment failed: corrupt or unreadable workbook (BadZipFile)"),
        ("note", "attachment skipped: empty file"),
    ]


def test_gzipped_eml_is_read(tmp_path: Path) -> None:
    (tmp_path / "mail.eml.gz").write_bytes(gzip.compress(bytes(rich_message())))
    assert dict(locations(scan_file(tmp_path / "mail.eml.gz", 64)))[loc(message=1, header="Cc")] == PLANTED["cc"]


def test_nest_keeps_a_clashing_inner_locator_whole() -> None:
    prefix = {"message": 2, "attachment": "a.csv"}
    assert nest(prefix, {"row": 3}) == {"message": 2, "attachment": "a.csv", "row": 3}
    assert nest(prefix, {"message": 1, "header": "To"}) == {**prefix, "inner": {"message": 1, "header": "To"}}


# -- mailboxes ---------------------------------------------------------------------------------------


def test_mbox_reads_every_message_and_reports_the_malformed_one(tmp_path: Path) -> None:
    write_mbox(tmp_path / "inbox.mbox")
    results = scan_file(tmp_path / "inbox.mbox", 64)
    assert dict(locations(results)) == {
        loc(message=1, header="From"): "one@example.com",
        loc(message=1, header="To"): "team@example.net",
        loc(message=1, header="Subject"): "note",
        loc(message=1, part=1, line=1): f"first, from {PLANTED['mbox']}",
        loc(message=3, header="From"): "pgp3@example.com",
        loc(message=3, header="To"): PLANTED["mbox"],
        loc(message=3, header="Subject"): "secret",
        loc(message=4, header="From"): "four@example.com",
        loc(message=4, header="To"): "team@example.net",
        loc(message=4, header="Subject"): "note",
        loc(message=4, part=1, line=1): "last",
        loc(message=4, part=1, line=2): ">From the archive",
    }
    assert reasons(results) == [
        ("note", "1 malformed message not read"),
        ("note", "1 encrypted part not scanned"),
    ]


def test_mbox_split_agrees_with_the_stdlib_mailbox(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "std.mbox")
    for number in range(1, 4):
        box.add(simple_message(f"user{number}@example.com", f"From the desk of {number}\nbody\n"))
    box.flush()
    box.close()
    with open(tmp_path / "std.mbox", "rb") as stream:
        ours = list(split_mbox(stream))
    stdlib = [m.as_bytes() for m in mailbox.mbox(tmp_path / "std.mbox")]
    assert len(ours) == len(stdlib) == 3
    assert [o.strip() for o in ours] == [s.strip() for s in stdlib]


def test_split_mbox_preamble_and_long_lines() -> None:
    long_line = b"x" * (3 << 20) + b" From not a separator\n"
    data = b"Subject: stray\n\nbefore\nFrom a\nSubject: one\n\n" + long_line + b"From b\nSubject: two\n\nbody\n"
    parts = list(split_mbox(io.BufferedReader(io.BytesIO(data))))
    assert parts == [b"Subject: stray\n\nbefore\n", b"Subject: one\n\n" + long_line, b"Subject: two\n\nbody\n"]
    assert list(split_mbox(io.BytesIO(b"\n\nFrom a\nSubject: x\n\n"))) == [b"Subject: x\n\n"]
    assert list(split_mbox(io.BytesIO(b""))) == []


# -- end to end through the CLI ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mail_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("mail")
    (root / "customers.eml").write_bytes(bytes(rich_message()))
    write_mbox(root / "inbox.mbox")
    return scan_folder(root)


@pytest.mark.parametrize(
    ("email", "item", "locator", "field"),
    [
        (PLANTED["to"], "customers.eml", {"message": 1, "header": "To"}, "To"),
        (PLANTED["cc"], "customers.eml", {"message": 1, "header": "Cc"}, "Cc"),
        (PLANTED["plain"], "customers.eml", {"message": 1, "part": 3, "line": 3}, None),
        (PLANTED["html"], "customers.eml", {"message": 1, "part": 4, "line": 3}, None),
        (PLANTED["csv"], "customers.eml", {"message": 1, "attachment": "people.csv", "row": 1}, "email"),
        (
            PLANTED["forwarded"],
            "customers.eml",
            {"message": 1, "attachment": "message.eml", "inner": {"message": 1, "header": "From"}},
            "From",
        ),
    ],
)
def test_lookup_finds_the_planted_place(mail_scan, email, item, locator, field) -> None:
    index, _ = mail_scan
    found = lookup_json(index, "--email", email)["locations"]
    assert [(f["item"], f["locator"], f["field"]) for f in found] == [(item, locator, field)]


def test_lookup_finds_every_message_of_a_mailbox(mail_scan) -> None:
    index, _ = mail_scan
    found = lookup_json(index, "--email", PLANTED["mbox"])["locations"]
    assert sorted((f["item"], json.dumps(f["locator"], sort_keys=True)) for f in found) == [
        ("inbox.mbox", json.dumps({"header": "To", "message": 3}, sort_keys=True)),
        ("inbox.mbox", json.dumps({"line": 1, "message": 1, "part": 1}, sort_keys=True)),
    ]


def test_nothing_encrypted_is_found(mail_scan) -> None:
    index, _ = mail_scan
    assert lookup_json(index, "--email", "hidden@example.com")["locations"] == []
