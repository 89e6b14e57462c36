"""What piiscan writes about people is the owner's only: files 0600, folders it creates 0700; the HMAC key's
creation is said once, with where it is and why to back it up."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from piiscan.index.keys import KEY_ENV, load_key
from piiscan.index.storage import private_dir, write_private
from tests.conftest import run_cli, scan_folder


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """A umask that would make files 0644 and folders 0755, as on most desktops."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_private_is_0600_in_a_0700_folder_it_creates(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "new" / "deeper" / "report.json"
    write_private(target, "{}")
    assert target.read_text() == "{}"
    assert mode(target) == 0o600
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "deeper") == 0o700
    stale = target.with_name(f".{target.name}.tmp-{os.getpid()}")  # a leftover temporary file, world-readable
    stale.write_text("old")
    os.chmod(stale, 0o644)
    write_private(target, b"again")
    assert target.read_bytes() == b"again" and mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_existing_folder_keeps_its_mode(tmp_path: Path, loose_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o750)
    assert private_dir(shared) == shared and mode(shared) == 0o750
    write_private(shared / "plan.json", "{}")
    assert mode(shared) == 0o750 and mode(shared / "plan.json") == 0o600


def test_dsar_plan_and_audit_outputs_are_private(tmp_path: Path) -> None:
    root = tmp_path / "estate"
    root.mkdir()
    (root / "crm.csv").write_text("name,email\nAda Lovelace,ada.private@example.com\n")
    index, _ = scan_folder(root)
    out = tmp_path / "answers" / "dsar-1"
    run_cli("dsar", "--index", str(index), "--email", "ada.private@example.com", "--out", str(out), "-q", check=True)
    assert mode(tmp_path / "answers") == mode(out) == 0o700
    assert mode(out / "report.json") == mode(out / "report.html") == 0o600
    plan = tmp_path / "plans" / "p.json"
    proc = run_cli("erase", "--index", str(index), "--email", "ada.private@example.com", "--plan", str(plan), "-q")
    assert proc.returncode in (0, 3), proc.stderr
    assert mode(plan) == 0o600 and mode(plan.parent) == 0o700
    audit = tmp_path / "audit"
    run_cli("audit", "--index", str(index), "--out", str(audit), "-q", check=True)
    assert mode(audit) == 0o700
    assert {mode(p) for p in audit.iterdir()} == {0o600}


def test_new_key_is_announced_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "conf" / "hmac.key"
    with caplog.at_level(logging.INFO, logger="piiscan"):
        load_key(path)
        load_key(path)
    notices = [r for r in caplog.records if r.name == "piiscan.keys"]
    assert len(notices) == 1 and notices[0].levelno == logging.WARNING
    message = notices[0].getMessage()
    assert str(path) in message and "back it up" in message and "\n" not in message


def test_cli_says_where_the_key_was_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    key = tmp_path / "keys" / "hmac.key"
    root = tmp_path / "estate"
    root.mkdir()
    (root / "a.txt").write_text("mail ada.key@example.com\n")
    args = ("scan", str(root), "--index", str(tmp_path / "idx"), "--no-ner", "--key-file", str(key))
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert f"created a new HMAC key at {key}" in first.stderr and "back it up" in first.stderr
    again = run_cli(*args)
    assert again.returncode == 0 and "HMAC key" not in again.stderr
