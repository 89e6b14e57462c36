"""UTF-16 and UTF-32 text, with and without a byte-order mark, read like UTF-8 (not skipped as binary)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from piiscan.connectors.base import ItemRef, TableBatch, TextChunk
from piiscan.connectors.formats.common import wide_encoding
from piiscan.connectors.local import LocalConnector
from tests.conftest import lookup_json, scan_folder
from tests.connectors.conformance import reasons, scan_file

TEXT = "name,email,phone\r\nJane Doe,jane.doe@example.com,+44 20 7946 0018\r\nJörg Müller,joerg@example.de,\r\n"
ROWS = [
    {"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+44 20 7946 0018"},
    {"name": "Jörg Müller", "email": "joerg@example.de", "phone": ""},
]
# (codec for the body, byte-order mark written first, the note expected)
ENCODINGS = [
    ("utf-16-le", codecs.BOM_UTF16_LE, "decoded as UTF-16LE (byte-order mark)"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "decoded as UTF-16BE (byte-order mark)"),
    ("utf-16-le", b"", "decoded as UTF-16LE (no byte-order mark)"),
    ("utf-16-be", b"", "decoded as UTF-16BE (no byte-order mark)"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "decoded as UTF-32LE (byte-order mark)"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "decoded as UTF-32BE (byte-order mark)"),
]
IDS = [f"{codec}{'-bom' if bom else ''}" for codec, bom, _ in ENCODINGS]


def texts(results: list) -> list[tuple[dict, str]]:
    return [(r.locator(i), line) for r in results if isinstance(r, TextChunk) for i, line in enumerate(r.lines)]


@pytest.mark.parametrize(("codec", "bom", "note"), ENCODINGS, ids=IDS)
def test_text_file(tmp_path: Path, codec: str, bom: bytes, note: str) -> None:
    path = tmp_path / "contacts.txt"
    path.write_bytes(bom + TEXT.encode(codec))
    results = scan_file(path, unit_bytes=64)  # small units: a wide file must still be read whole, once
    assert reasons(results) == [("note", note)]
    assert texts(results) == [({"line": n}, line) for n, line in enumerate(TEXT.split("\r\n")[:3], 1)]


@pytest.mark.parametrize(("codec", "bom", "note"), ENCODINGS, ids=IDS)
def test_csv_file(tmp_path: Path, codec: str, bom: bytes, note: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(bom + TEXT.encode(codec))
    results = scan_file(path, unit_bytes=64)
    assert reasons(results) == [("note", note)]
    batches = [r for r in results if isinstance(r, TableBatch)]
    assert [row for b in batches for row in b.batch.to_pylist()] == ROWS
    assert [b.locator(i) for b in batches for i in range(b.batch.num_rows)] == [{"row": 1}, {"row": 2}]


def test_file_without_extension_is_sniffed_as_utf16(tmp_path: Path) -> None:
    (tmp_path / "NOTES").write_bytes(TEXT.encode("utf-16-le"))
    (entry,) = LocalConnector(str(tmp_path)).enumerate()
    assert isinstance(entry, ItemRef) and entry.fmt == "text"


@pytest.mark.parametrize(
    "head",
    [
        b"abc\0def",  # one NUL: binary
        b"a,b\0\n",
        bytes(range(256)) * 4,
        b"\xff\xfe\x00\xd8\x00\xd8",  # UTF-16 BOM followed by unpaired surrogates
        "\x01\x02\x03\x04\x05 control".encode("utf-16-le"),
        b"plain ascii text\n",
    ],
)
def test_not_wide_text(head: bytes) -> None:
    assert wide_encoding(head) is None


def test_utf16_file_found_by_lookup(tmp_path: Path) -> None:
    """End to end: scan, then a lookup by the e-mail finds the UTF-16 .txt and .csv."""
    root = tmp_path / "estate"
    root.mkdir()
    (root / "notes.txt").write_bytes(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"))
    (root / "people.csv").write_bytes(TEXT.encode("utf-16-be"))
    index, summary = scan_folder(root)
    assert not [p for p in summary.get("problems", []) if p.get("severity") != "note"], summary.get("problems")
    found = lookup_json(index, "--email", "jane.doe@example.com")
    assert sorted({o["item"] for o in _occurrences(found)}) == ["notes.txt", "people.csv"]


def _occurrences(answer: dict) -> list[dict]:
    """Every occurrence row of a lookup answer, whatever its grouping."""
    out: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "item" in node and "source" in node:
                out.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(answer)
    return out
