"""Archives (.zip, .tar, .tar.gz/.tgz) through the file connector and the CLI: members read as files of
their names and located by member path, nested archives, and the limits against bombs."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors.base import ItemProblem, locator_json
from piiscan.connectors.files import guess_format, is_supported_name
from piiscan.connectors.formats import archive
from tests.conftest import lookup_json, scan_folder
from tests.connectors.conformance import locations
from tests.connectors.test_mail import reasons, scan_file

PLANTED = {  # one address per place, so a lookup names exactly one
    "csv": "cora.csv@example.com",
    "txt": "tom.text@example.com",
    "tar": "tara.tar@example.com",
    "nested": "nina.nested@example.com",
}
CSV = f"name,email\nCora,{PLANTED['csv']}\n".encode()
TXT = f"Notes\nwrite to {PLANTED['txt']}\n".encode()


def loc(**parts: Any) -> str:
    return locator_json(parts)


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tarred:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tarred.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_exports(root: Path) -> None:
    (root / "exports.zip").write_bytes(
        zip_bytes({"exports/": b"", "exports/customers.csv": CSV, "notes.txt": TXT, "photo.bin": b"\x00\x01"})
    )


# -- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "compression"),
    [("a.zip", "zip", None), ("B.ZIP", "zip", None), ("c.tar", "tar", None), ("d.tar.gz", "tar", "gzip"),
     ("e.tgz", "tar", "gzip"), ("f.TGZ", "tar", "gzip")],
)  # fmt: skip
def test_archive_extensions(name: str, fmt: str, compression: str | None) -> None:
    assert guess_format(name)[:2] == (fmt, compression)


def test_archives_are_not_opened_as_mail_attachments() -> None:
    assert not is_supported_name("archive.zip")
    assert is_supported_name("people.csv")


# -- members -----------------------------------------------------------------------------------------


def test_zip_members_are_read_as_files_and_located(tmp_path: Path) -> None:
    write_exports(tmp_path)
    results = scan_file(tmp_path / "exports.zip")
    assert dict(locations(results)) == {
        loc(member="exports/customers.csv", row=1): (("email", PLANTED["csv"]), ("name", "Cora")),
        loc(member="notes.txt", line=1): "Notes",
        loc(member="notes.txt", line=2): f"write to {PLANTED['txt']}",
    }
    assert reasons(results) == [("note", "1 member not read: unsupported format")]


@pytest.mark.parametrize(("name", "mode"), [("data.tar.gz", "w:gz"), ("data.tgz", "w:gz"), ("data.tar", "w")])
def test_tar_members_are_streamed(tmp_path: Path, name: str, mode: str) -> None:
    members = {"dump/people.csv": f"email\n{PLANTED['tar']}\n".encode(), "../outside.txt": TXT}
    (tmp_path / name).write_bytes(tar_bytes(members, mode))
    results = scan_file(tmp_path / name)
    assert dict(locations(results)) == {
        loc(member="dump/people.csv", row=1): (("email", PLANTED["tar"]),),
        loc(member="../outside.txt", line=1): "Notes",  # a traversal name is only a name
        loc(member="../outside.txt", line=2): f"write to {PLANTED['txt']}",
    }
    assert reasons(results) == []
    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_zip_inside_a_zip_is_located_through_both(tmp_path: Path) -> None:
    inner = zip_bytes({"exports/customers.csv": CSV})
    (tmp_path / "outer.zip").write_bytes(zip_bytes({"inner.zip": inner, "notes.txt": TXT}))
    found = dict(locations(scan_file(tmp_path / "outer.zip")))
    assert found[loc(member="inner.zip!/exports/customers.csv", row=1)] == (("email", PLANTED["csv"]), ("name", "Cora"))
    assert found[loc(member="notes.txt", line=2)] == f"write to {PLANTED['txt']}"


def test_member_problems_are_counted_in_notes(tmp_path: Path) -> None:
    members = {"empty.txt": b"", "also-empty.csv": b"", "bad.xlsx": b"PK\x03\x04 no", "ok.txt": TXT}
    (tmp_path / "mixed.zip").write_bytes(zip_bytes(members))
    results = scan_file(tmp_path / "mixed.zip")
    assert loc(member="ok.txt", line=2) in dict(locations(results))
    assert reasons(results) == [
        ("note", "2 members not read: empty file"),
        ("note", "1 member failed: corrupt or unreadable workbook (BadZipFile)"),
    ]


# -- limits ------------------------------------------------------------------------------------------


def test_a_zip_bomb_member_is_not_read(tmp_path: Path) -> None:
    bomb = zip_bytes({"zeros.txt": bytes(50 << 20), "notes.txt": TXT})
    assert len(bomb) < 1 << 20  # 50 MB of zeros deflate to about 50 KB
    (tmp_path / "bomb.zip").write_bytes(bomb)
    results = scan_file(tmp_path / "bomb.zip")
    assert loc(member="notes.txt", line=2) in dict(locations(results))
    assert reasons(results) == [("note", f"1 member not read: expansion ratio over {archive.MAX_RATIO}")]


def test_nesting_deeper_than_max_depth_is_not_read(tmp_path: Path) -> None:
    data = zip_bytes({"deep.txt": f"level 5 {PLANTED['nested']}\n".encode()})
    for level in range(4, 0, -1):  # level.zip holds the next level; 5 levels of archives in all
        data = zip_bytes({f"level{level + 1}.zip": data, f"at{level}.txt": f"level {level}\n".encode()})
    (tmp_path / "level1.zip").write_bytes(data)
    results = scan_file(tmp_path / "level1.zip")
    assert archive.MAX_DEPTH == 3
    assert [json.loads(locator)["member"] for locator, _ in locations(results)] == [
        "level2.zip!/level3.zip!/level4.zip!/at4.txt",
        "level2.zip!/level3.zip!/at3.txt",
        "level2.zip!/at2.txt",
        "at1.txt",
    ]
    assert reasons(results) == [("note", "1 member not read: nesting deeper than 3")]


def test_stopped_after_max_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 3)
    (tmp_path / "many.zip").write_bytes(zip_bytes({f"{n}.txt": f"line {n}\n".encode() for n in range(1, 6)}))
    results = scan_file(tmp_path / "many.zip")
    assert [line for _, line in locations(results)] == ["line 1", "line 2", "line 3"]
    assert reasons(results) == [("note", "stopped after 3 members")]


def test_stopped_after_max_total_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 2 << 20)
    (tmp_path / "big.tar.gz").write_bytes(tar_bytes({f"{n}.txt": (b"x" * 1023 + b"\n") * 1024 for n in range(1, 4)}))
    results = scan_file(tmp_path / "big.tar.gz")
    assert {json.loads(locator)["member"] for locator, _ in locations(results)} == {"1.txt", "2.txt"}
    assert reasons(results) == [("note", "stopped after 2 MB uncompressed")]


def test_member_over_the_size_cap_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1000)
    (tmp_path / "cap.tar").write_bytes(tar_bytes({"big.txt": b"x" * 2000, "small.txt": TXT}, "w"))
    results = scan_file(tmp_path / "cap.tar")
    assert {json.loads(locator)["member"] for locator, _ in locations(results)} == {"small.txt"}
    assert reasons(results) == [("note", "1 member not read: over 0 MB")]


def test_encrypted_zip_members_are_counted(tmp_path: Path) -> None:
    """zipfile cannot write encryption, so the "encrypted" flag bit is set on one member's headers."""
    data = bytearray(zip_bytes({"secret.txt": b"hidden.person@example.com\n", "notes.txt": TXT}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.index(signature)  # the first member's local header and its directory entry
        data[position + flag_offset] |= 0x1
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    results = scan_file(tmp_path / "locked.zip")
    assert {json.loads(locator)["member"] for locator, _ in locations(results)} == {"notes.txt"}
    assert reasons(results) == [("note", "1 encrypted member not read")]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.zip", b"PK\x03\x04 this is not a zip file", "corrupt archive (BadZipFile)"),
        ("broken.tar", b"not a tar header " * 40, "corrupt archive (ReadError)"),
        ("broken.tgz", b"\x1f\x8b\x08\x00 truncated", "corrupt archive (ReadError)"),
    ],
)
def test_a_corrupt_archive_fails_the_item(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    results = scan_file(tmp_path / name)
    assert locations(results) == []
    assert [(p.item_id, p.severity, p.reason) for p in results if isinstance(p, ItemProblem)] == [
        (name, "failed", reason)
    ]


def test_a_corrupt_nested_archive_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "outer.zip").write_bytes(zip_bytes({"inner.zip": b"PK\x03\x04 broken", "notes.txt": TXT}))
    results = scan_file(tmp_path / "outer.zip")
    assert loc(member="notes.txt", line=2) in dict(locations(results))
    assert reasons(results) == [("note", "1 member failed: corrupt archive")]


# -- end to end --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archives")
    write_exports(root)
    (root / "dump.tar.gz").write_bytes(tar_bytes({"dump/people.csv": f"email\n{PLANTED['tar']}\n".encode()}))
    nested = zip_bytes({"deep/list.txt": f"contact {PLANTED['nested']}\n".encode()})
    (root / "outer.zip").write_bytes(zip_bytes({"inner.zip": nested}))
    return scan_folder(root)[0]


@pytest.mark.parametrize(
    ("email", "item", "locator", "field"),
    [
        (PLANTED["csv"], "exports.zip", {"member": "exports/customers.csv", "row": 1}, "email"),
        (PLANTED["txt"], "exports.zip", {"member": "notes.txt", "line": 2}, None),
        (PLANTED["tar"], "dump.tar.gz", {"member": "dump/people.csv", "row": 1}, "email"),
        (PLANTED["nested"], "outer.zip", {"member": "inner.zip!/deep/list.txt", "line": 1}, None),
    ],
)
def test_lookup_finds_the_member(archive_scan: Path, email: str, item: str, locator: dict, field: str | None) -> None:
    found = lookup_json(archive_scan, "--email", email)["locations"]
    assert [(f["item"], f["locator"], f["field"]) for f in found] == [(item, locator, field)]
