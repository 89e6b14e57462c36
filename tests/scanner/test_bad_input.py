"""Bad input is reported item by item, one line each, while the rest of the scan completes."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, lookup_json

GOOD_EMAIL = "robin.good@example.org"
GZ_EMAIL = "early.bird@example.net"
LATIN1_EMAIL = "jose.nunez@example.com"
DB_EMAIL = "db.person@example.com"


def build_bad_estate(root):
    root.mkdir()
    (root / "good.csv").write_text(f"id,email\n1,someone@example.com\n2,{GOOD_EMAIL}\n")
    blob = gzip.compress(("".join(f"line {n} nothing here\n" for n in range(5000)) + f"mail {GZ_EMAIL}\n").encode())
    payload = gzip.compress((f"contact {GZ_EMAIL}\n" + "filler text line\n" * 20000).encode())
    (root / "truncated.log.gz").write_bytes(payload[: len(payload) // 2])
    (root / "complete.log.gz").write_bytes(blob)
    table = pa.table({"email": [f"p{n}@example.com" for n in range(1000)]})
    pq.write_table(table, root / "full.parquet")
    data = (root / "full.parquet").read_bytes()
    (root / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (root / "random.txt").write_bytes(os.urandom(4096) + b"\x00" * 16)
    (root / "random.bin").write_bytes(os.urandom(4096))
    (root / "latin1.txt").write_bytes(f"Señor José Núñez\nwrite to {LATIN1_EMAIL}\n".encode("latin-1"))
    (root / "empty.txt").write_bytes(b"")
    (root / "unreadable.txt").write_text("secret@example.com\n")
    (root / "unreadable.txt").chmod(0)
    (root / "corrupt.sqlite").write_bytes(b"SQLite format 3\x00" + os.urandom(2048))
    db = sqlite3.connect(root / "fine.sqlite")
    db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT)")
    db.execute("INSERT INTO people VALUES (7, ?)", (DB_EMAIL,))
    db.commit()
    db.close()


def scan_without_root_privileges(root, index):
    """Run the CLI so that chmod 000 really denies reads, even when the tests run as root."""
    cmd = [sys.executable, "-m", "piiscan", "scan", str(root), "--index", str(index), "--format", "json"]
    cmd += ["--workers", "2", "--no-ner"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        caps = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *cmd]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def bad_scan(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    root = base / "estate"
    build_bad_estate(root)
    index = base / "index"
    proc = scan_without_root_privileges(root, index)
    return root, index, proc


def by_item(entries):
    return {e["item"]: e["reason"] for e in entries}


def test_scan_completes_and_reports_each_bad_item(bad_scan):
    _, _, proc = bad_scan
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    failures = by_item(summary["failures"])
    skipped = by_item(summary["skipped"])
    assert "truncated gzip" in failures["truncated.log.gz"]
    assert "Parquet" in failures["truncated.parquet"]
    assert "permission denied" in failures["unreadable.txt"].lower()
    assert "not a database" in failures["corrupt.sqlite"]
    assert "binary" in skipped["random.txt"] and "random.bin" in skipped
    assert "empty" in skipped["empty.txt"]
    assert any(n["item"] == "latin1.txt" and "cp1252" in n["reason"] for n in summary["notes"])
    assert summary["items_scanned"] >= 5  # good.csv, complete.log.gz, full.parquet, latin1.txt, fine.sqlite table


def test_errors_are_one_line_and_name_the_location(bad_scan):
    _, _, proc = bad_scan
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors, "failures are logged"
    for line in errors:
        assert line.startswith("piiscan: ")
    for name in ("truncated.log.gz", "truncated.parquet", "unreadable.txt", "corrupt.sqlite"):
        assert any(name in line for line in errors), name
    assert "secret@example.com" not in proc.stderr and GZ_EMAIL not in proc.stderr


def test_findings_survive_next_to_failures(bad_scan):
    _, index, _ = bad_scan
    good = lookup_json(index, "--email", GOOD_EMAIL)["locations"]
    assert [(loc["item"], loc["locator"]) for loc in good] == [("good.csv", {"row": 2})]
    latin = lookup_json(index, "--email", LATIN1_EMAIL)["locations"]
    assert [(loc["item"], loc["locator"]) for loc in latin] == [("latin1.txt", {"line": 2})]
    in_db = lookup_json(index, "--email", DB_EMAIL)["locations"]
    assert [(loc["item"], loc["locator"]) for loc in in_db] == [("people", {"primary_key": {"id": 7}})]


def test_what_was_read_before_a_truncation_is_kept(bad_scan):
    _, index, _ = bad_scan
    found = lookup_json(index, "--email", GZ_EMAIL)["locations"]
    items = {(loc["item"], json.dumps(loc["locator"])) for loc in found}
    assert ("truncated.log.gz", '{"line": 1}') in items
    assert ("complete.log.gz", '{"line": 5001}') in items
