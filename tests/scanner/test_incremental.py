"""Incremental scans: only new, changed and failed items are read; gone items stop being live; a rerun
after SIGKILL resumes; one writer at a time holds the index lock."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.store import (
    OCCURRENCE_SCHEMA,
    IndexLockedError,
    IndexWriter,
    acquire_lock,
    compact,
    create_index,
    lock_holder,
    open_index,
)
from piiscan.scanner.config import ScanConfig
from piiscan.scanner.runner import run_scan
from tests.conftest import REPO, TEST_KEY_HEX, run_cli

KEY = bytes.fromhex(TEST_KEY_HEX)
#: what makes an occurrence the same finding in two indexes (which scan wrote it, and when, does not)
WHERE = [name for name in OCCURRENCE_SCHEMA.names if name not in ("scan_id", "fingerprint")]


def config_for(index: Path, **changes: Any) -> ScanConfig:
    return replace(ScanConfig(index=index, workers=2, quiet=True, detectors=DetectorSettings(ner=False)), **changes)


def live_occurrences(index: Path) -> Counter[tuple]:
    """Every live occurrence as a tuple without scan id or fingerprint (a multiset: duplicates would show)."""
    opened = open_index(index)
    table = opened.live_occurrences(opened.live_scan_by_item(), WHERE)
    return Counter(tuple(row[c] for c in WHERE) for row in table.to_pylist())


def rows_of_scan(index: Path, scan_id: str) -> dict[str, str]:
    """item label -> status, for the status rows one scan wrote."""
    states = open_index(index).item_states().to_pylist()
    return {r["item"]: r["status"] for r in states if r["scan_id"] == scan_id}


def set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def make_sqlite(path: Path, customers: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id))")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(n, f"Customer {n}", f"customer{n}@shop.example.com") for n in range(1, customers + 1)],
        )
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(n, n) for n in range(1, customers + 1)])
    db.close()


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    (root / "logs").mkdir(parents=True)
    (root / "crm").mkdir()
    for n in range(5):
        lines = [f"ticket {n}-{i}: reply to user{n}x{i}@example.com" for i in range(20)]
        (root / "logs" / f"day{n}.log").write_text("\n".join(lines) + "\n")
    (root / "crm" / "leads.csv").write_text(
        "id,name,email\n" + "".join(f"{i},Lead {i},lead{i}@example.org\n" for i in range(1, 11))
    )
    make_sqlite(root / "crm" / "shop.db", 8)
    with sqlite3.connect(root / "crm" / "static.db") as db:
        db.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, email TEXT)")
        db.executemany("INSERT INTO staff VALUES (?, ?)", [(n, f"staff{n}@corp.example.com") for n in range(1, 4)])
    db.close()
    past = time.time() - 3600
    for path in root.rglob("*"):
        if path.is_file():
            set_mtime(path, past)
    return root


def test_a_rescan_reads_only_changed_items_and_matches_a_full_scan(estate: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = run_scan(config_for(index), KEY, [str(estate)])
    assert first.status == "completed"
    # 6 files + customers and orders of shop.db + staff of static.db
    assert (first.items_new, first.items_changed, first.items_unchanged, first.items_scanned) == (9, 0, 0, 9)

    item_files = sorted((index / "items").glob("*.parquet"))
    again = run_scan(config_for(index), KEY, [str(estate)])
    assert (again.items_new, again.items_changed, again.items_unchanged, again.items_gone) == (0, 0, 9, 0)
    assert again.units == 0 and again.items_scanned == 0 and again.bytes_scanned == 0
    assert sorted((index / "items").glob("*.parquet")) == item_files, "a no-change rescan rewrites no status row"

    # files: one added, one edited (content and mtime), one deleted; shop.db: rows inserted, updated, deleted
    (estate / "logs" / "day5.log").write_text("new: contact fresh.person@example.net\n")
    edited = estate / "crm" / "leads.csv"
    edited.write_text(edited.read_text().replace("lead3@example.org", "changed3@example.org"))
    set_mtime(edited, time.time())
    (estate / "logs" / "day0.log").unlink()
    with sqlite3.connect(estate / "crm" / "shop.db") as db:
        db.execute("INSERT INTO customers VALUES (9, 'Customer 9', 'customer9@shop.example.com')")
        db.execute("UPDATE customers SET email = 'moved2@shop.example.com' WHERE id = 2")
        db.execute("DELETE FROM orders WHERE id = 8")
        db.execute("DELETE FROM customers WHERE id = 8")
    db.close()

    third = run_scan(config_for(index), KEY, [str(estate)])
    assert third.status == "completed"
    assert (third.items_new, third.items_changed, third.items_gone) == (1, 3, 1)
    # the SQLite fingerprint holds the file's mtime: a write to shop.db rescans its tables, never static.db's
    assert third.items_unchanged == 5
    assert rows_of_scan(index, third.scan_id) == {
        "logs/day5.log": "ok",
        "crm/leads.csv": "ok",
        "customers": "ok",
        "orders": "ok",
        "logs/day0.log": "gone",
    }

    fresh = tmp_path / "fresh"
    full = run_scan(config_for(fresh, full=True), KEY, [str(estate)])
    assert full.full and full.items_scanned == 9
    assert live_occurrences(index) == live_occurrences(fresh)
    emails = {row[WHERE.index("preview")] for row in live_occurrences(index) if row[1] == "EMAIL_ADDRESS"}
    assert len(emails) > 1 and not any("@example.com" in p for p in emails), "previews stay masked"


def test_full_rescans_everything_and_failed_items_are_retried(estate: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    broken = estate / "logs" / "broken.log.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    first = run_scan(config_for(index), KEY, [str(estate)])
    assert first.items_failed == 1

    again = run_scan(config_for(index), KEY, [str(estate)])
    assert (again.items_unchanged, again.items_changed, again.items_failed) == (9, 1, 1), "the failure is retried"

    full = run_scan(config_for(index, full=True), KEY, [str(estate)])
    assert full.full and full.items_unchanged == 0 and full.items_changed == 10 and full.items_scanned == 9


def test_new_detector_settings_rescan_everything(estate: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run_scan(config_for(index), KEY, [str(estate)])
    narrower = config_for(index, detectors=DetectorSettings(ner=False, entities=("EMAIL_ADDRESS",)))
    again = run_scan(narrower, KEY, [str(estate)])
    assert (again.items_unchanged, again.items_changed) == (0, 9)


def test_nothing_is_gone_after_a_source_error_or_a_narrower_include(estate: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run_scan(config_for(index), KEY, [str(estate)])
    live_before = live_occurrences(index)

    narrowed = run_scan(config_for(index, include=("logs/*",)), KEY, [str(estate)])
    assert narrowed.items_gone == 0 and narrowed.items_unchanged == 5
    assert live_occurrences(index) == live_before, "items outside --include are not gone"

    moved = tmp_path / "moved"
    estate.rename(moved)
    failed = run_scan(config_for(index), KEY, [str(estate)])
    assert failed.source_errors and failed.items_gone == 0
    assert live_occurrences(index) == live_before, "a source that failed to list proves nothing gone"

    moved.rename(estate)
    (estate / "crm" / "shop.db").unlink()  # a database found in the folder: its tables go with the file
    (estate / "logs" / "day1.log").unlink()
    after = run_scan(config_for(index, include=("logs/*", "crm/*")), KEY, [str(estate)])
    assert after.items_gone == 3
    gone = {k[1] for k, v in open_index(index).current_items().items() if v["status"] == "gone"}
    assert gone == {"logs/day1.log", "customers", "orders"}


def test_only_items_always_rescans_the_named_items(estate: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    run_scan(config_for(index), KEY, [str(estate)])
    source = "file://" + estate.as_posix()
    named = run_scan(config_for(index), KEY, [str(estate)], only_items={source: {"logs/day1.log", "logs/none.log"}})
    assert named.full and named.items_scanned == 1 and named.items_unchanged == 0 and named.items_gone == 1


@pytest.mark.usefixtures("aws_env")
def test_a_changed_s3_object_is_the_only_one_rescanned(tmp_path: Path, endpoint: str, client: Any, bucket: str) -> None:
    for n in range(3):
        client.put_object(Bucket=bucket, Key=f"logs/app{n}.log", Body=f"user{n}@example.com logged in\n".encode())
    source = f"s3://{bucket}/logs"
    index = tmp_path / "index"
    config = config_for(index, endpoint_url=endpoint)
    assert run_scan(config, KEY, [source]).items_new == 3

    client.put_object(Bucket=bucket, Key="logs/app1.log", Body=b"now other.user@example.com and more text\n")
    again = run_scan(config, KEY, [source])
    assert (again.items_changed, again.items_unchanged, again.items_new, again.items_gone) == (1, 2, 0, 0)
    assert rows_of_scan(index, again.scan_id) == {"app1.log": "ok"}

    fresh = tmp_path / "fresh"
    run_scan(replace(config, index=fresh, full=True), KEY, [source])
    assert live_occurrences(index) == live_occurrences(fresh)


def big_estate(root: Path, files: int = 40, lines: int = 2000) -> Path:
    root.mkdir()
    for n in range(files):
        body = [
            f"ticket {n}-{i}: customer user{n}x{i}@example.com called 020 7946 0{i % 1000:03d}" for i in range(lines)
        ]
        (root / f"part{n:02d}.log").write_text("\n".join(body) + "\n")
    return root


def test_a_scan_killed_mid_way_resumes_to_the_same_live_index(tmp_path: Path) -> None:
    root = big_estate(tmp_path / "estate")
    index = tmp_path / "index"
    cmd = [sys.executable, "-m", "piiscan", "scan", str(root), "--index", str(index), "--workers", "1", "--no-ner"]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, env=env)
    deadline = time.monotonic() + 120
    while not list((index / "items").glob("*.parquet")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)  # the first checkpoint: some items are on disk, most are not
    assert proc.poll() is None, "the scan finished before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    scans = run_cli("scans", "--index", str(index), "--format", "json", check=True)
    assert [s["status"] for s in json.loads(scans.stdout)] == ["aborted"]
    finished = {k for k, v in open_index(index).current_items().items() if v["status"] == "ok"}
    assert 0 < len(finished) < 40
    assert lock_holder(index) is not None, "SIGKILL leaves the lock behind"

    rerun = run_cli("scan", str(root), "--index", str(index), "--workers", "2", "--no-ner", "--format", "json")
    assert rerun.returncode == 0, rerun.stderr
    assert "stale lock" in rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["items_unchanged"] == len(finished), "finished items are not read again"
    assert summary["items_new"] == 40 - len(finished)
    assert lock_holder(index) is None

    whole = tmp_path / "whole"
    run_cli("scan", str(root), "--index", str(whole), "--workers", "2", "--no-ner", "--quiet", check=True)
    resumed = live_occurrences(index)
    assert resumed == live_occurrences(whole)
    assert max(resumed.values()) == 1, "no live entry is duplicated"

    stats = compact(open_index(index))
    assert live_occurrences(index) == resumed
    assert stats["kept"] == sum(resumed.values())


def test_segments_without_item_rows_are_dead_and_compact_drops_them(tmp_path: Path) -> None:
    index = create_index(tmp_path / "index", KEY)
    hasher = SubjectHasher(KEY)

    def occurrence(scan_id: str) -> pa.Table:
        row = {name: None for name in OCCURRENCE_SCHEMA.names}
        row |= {
            "subject_key": hasher.subject_key("EMAIL_ADDRESS", "a@example.com"),
            "entity_type": "EMAIL_ADDRESS",
            "source": "file:///estate",
            "item": "a.log",
            "item_key": hasher.token("item", "a.log"),
            "locator": '{"line":1}',
            "preview": "a***@e******.com",
            "scan_id": scan_id,
        }
        return pa.Table.from_pylist([row], schema=OCCURRENCE_SCHEMA)

    done = IndexWriter(index, "20260101T000000.000000Z-aaaaaa")
    done.add(occurrence(done.scan_id), _empty_links())
    done.item_done({"source": "file:///estate", "item": "a.log", "item_key": "k", "status": "ok", "occurrences": 1})
    done.flush()
    killed = IndexWriter(index, "20260102T000000.000000Z-bbbbbb")  # killed between its segments and item rows
    killed.add(occurrence(killed.scan_id), _empty_links())
    killed.flush()
    leftover = index.root / "occurrences" / "prefix=0" / ".half.parquet.tmp-99999"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a file")

    live = open_index(index.root).live_occurrences(open_index(index.root).live_scan_by_item())
    assert live.column("scan_id").to_pylist() == [done.scan_id]
    stats = compact(open_index(index.root))
    assert stats == {"kept": 1, "dropped": 1}
    assert not leftover.exists()


def _empty_links() -> pa.Table:
    from piiscan.index.store import LINK_SCHEMA

    return LINK_SCHEMA.empty_table()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def write_lock(index: Path, pid: int, host: str | None = None) -> None:
    import socket

    holder = {"pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00+00:00"}
    (index / "lock").write_text(json.dumps(holder | {"scan_id": "20260101T000000.000000Z-cccccc", "purpose": "scan"}))


def test_a_live_lock_refuses_a_second_writer(estate: Path, tmp_path: Path, sleeper: subprocess.Popen) -> None:
    index = tmp_path / "index"
    create_index(index, KEY)
    write_lock(index, sleeper.pid)
    with pytest.raises(IndexLockedError, match=f"pid {sleeper.pid}"):
        run_scan(config_for(index), KEY, [str(estate)])
    proc = run_cli("scan", str(estate), "--index", str(index), "--no-ner", "--quiet")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert f"index is locked by scan 20260101T000000.000000Z-cccccc (pid {sleeper.pid}" in proc.stderr
    assert run_cli("compact", "--index", str(index)).returncode == 1
    write_lock(index, 1, host="another-host.example")  # another machine's lock is never presumed stale
    with pytest.raises(IndexLockedError, match=r"another-host\.example"):
        acquire_lock(index)
    assert run_cli("scans", "--index", str(index), check=True).returncode == 0, "readers need no lock"


def test_a_stale_lock_is_taken_over_and_the_lock_is_released(
    estate: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    create_index(index, KEY)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_lock(index, dead.pid)
    with caplog.at_level("WARNING", logger="piiscan.index"):
        summary = run_scan(config_for(index), KEY, [str(estate)])
    assert summary.status == "completed"
    assert [r.getMessage() for r in caplog.records if "stale lock" in r.getMessage()]
    assert lock_holder(index) is None
    with pytest.raises(RuntimeError), acquire_lock(index, purpose="test"):
        assert lock_holder(index)["pid"] == os.getpid()
        raise RuntimeError("boom")
    assert lock_holder(index) is None, "released on an exception too"


def test_full_from_the_command_line_and_the_config_file(estate: Path, tmp_path: Path) -> None:
    from piiscan.scanner.config import ConfigError, load_config

    toml = tmp_path / "piiscan.toml"
    toml.write_text("[scan]\nfull = true\n")
    assert load_config(toml).full and not load_config(None).full
    toml.write_text('[scan]\nfull = "yes"\n')
    with pytest.raises(ConfigError, match="'full' must be true or false"):
        load_config(toml)
    index = tmp_path / "index"
    run_scan(config_for(index), KEY, [str(estate)])
    proc = run_cli("scan", str(estate), "--index", str(index), "--no-ner", "--full", "--format", "json", check=True)
    summary = json.loads(proc.stdout)
    assert summary["full"] and summary["items_scanned"] == 9 and summary["items_changed"] == 9
    text = run_cli("scan", str(estate), "--index", str(index), "--no-ner", "--quiet", check=True).stdout
    assert "incremental: 0 item(s) rescanned (0 new, 0 changed), 9 unchanged, 0 gone" in text
