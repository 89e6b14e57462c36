"""A scan none of whose sources could be read has failed: it says so, exits non-zero, and leaves no new index."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_only_source_missing_is_a_failed_scan_and_creates_no_index(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    proc = run_cli("scan", str(tmp_path / "missing"), "--no-ner", "--format", "json", cwd=work)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "failed"
    assert [e["reason"] for e in summary["source_errors"]] == [f"file://{tmp_path / 'missing'}: does not exist"]
    assert list(work.iterdir()) == [], "no .piiscan/ for a scan that read nothing"

    text = run_cli("scan", str(tmp_path / "missing"), "--no-ner", cwd=work)
    assert text.returncode == 1
    assert f"scan {text.stdout.split()[1]} failed in " in text.stdout
    assert "completed" not in text.stdout


def test_failed_scan_into_an_existing_index_is_listed_as_failed(tmp_path):
    root = tmp_path / "estate"
    root.mkdir()
    (root / "a.txt").write_text("write to kim.lee@example.com\n")
    index = tmp_path / "index"
    assert run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet").returncode == 0
    failed = run_cli("scan", str(tmp_path / "missing"), "--index", str(index), "--no-ner", "--quiet")
    assert failed.returncode == 1
    scans = json.loads(run_cli("scans", "--index", str(index), "--format", "json", check=True).stdout)
    assert [s["status"] for s in scans] == ["completed", "failed"]
    # the index and what the first scan found are kept
    found = run_cli("lookup", "--index", str(index), "--email", "kim.lee@example.com", "--format", "json", check=True)
    assert json.loads(found.stdout)["counts"]["locations"] == 1


def test_one_source_of_two_failing_completes_with_an_error_exit(tmp_path):
    root = tmp_path / "estate"
    root.mkdir()
    (root / "a.txt").write_text("write to kim.lee@example.com\n")
    proc = run_cli(
        "scan", str(root), str(tmp_path / "missing"), "--index", str(tmp_path / "index"), "--no-ner", "--format", "json"
    )
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    assert summary["status"] == "completed"
    assert summary["items_scanned"] == 1
    assert len(summary["source_errors"]) == 1
