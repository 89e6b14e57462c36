"""``piiscan scans`` and ``piiscan diff``: the scan history and what personal data appeared or went
between two scans, counted per source and entity type, never showing a raw identifier."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from piiscan.detectors.settings import DetectorSettings
from piiscan.index.store import open_index
from piiscan.reports.history import HistoryError, diff_scans, list_scans, resolve_scans
from piiscan.scanner.config import ScanConfig
from piiscan.scanner.runner import run_scan
from tests.conftest import TEST_KEY_HEX, run_cli

KEY = bytes.fromhex(TEST_KEY_HEX)
NEW_EMAILS = ["grace.hopper@navy.example.com", "alan.turing@bletchley.example.org"]
OLD_EMAILS = ["ada.lovelace@engines.example.com", "charles.babbage@engines.example.com"]


def scan(root: Path, index: Path) -> str:
    config = replace(ScanConfig(index=index, workers=1, quiet=True), detectors=DetectorSettings(ner=False))
    summary = run_scan(config, KEY, [str(root)])
    assert summary.status == "completed"
    return summary.scan_id


def cli(index: Path, *args: str) -> str:
    return run_cli(*args, "--index", str(index), check=True).stdout


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Three scans: the estate as first seen, after a file with e-mails was added, after a file was deleted."""
    root, index = tmp_path / "estate", tmp_path / "index"
    root.mkdir()
    (root / "old.log").write_text("".join(f"mail from {e} about the invoice\n" for e in OLD_EMAILS))
    (root / "keep.csv").write_text("id,email\n1,someone@example.net\n")
    first = scan(root, index)
    (root / "new.log").write_text("".join(f"signup {e} from the web form\n" for e in NEW_EMAILS))
    second = scan(root, index)
    (root / "old.log").unlink()
    third = scan(root, index)
    return root, index, [first, second, third]


def assert_no_raw_values(text: str) -> None:
    for value in [*NEW_EMAILS, *OLD_EMAILS, "someone@example.net"]:
        assert value not in text and value.split("@")[0] not in text


def test_scans_lists_every_scan_with_its_incremental_counts(history: tuple[Path, Path, list[str]]) -> None:
    _, index, ids = history
    scans = json.loads(cli(index, "scans", "--format", "json"))
    assert [s["scan_id"] for s in scans] == ids
    assert [s["status"] for s in scans] == ["completed"] * 3
    assert [s["items"]["new"] for s in scans] == [2, 1, 0]
    assert [s["items"]["unchanged"] for s in scans] == [0, 2, 2]
    assert [s["items"]["gone"] for s in scans] == [0, 0, 1]
    assert scans[1]["findings"] == 2 and scans[2]["findings"] == 0
    assert all(s["config_hash"] and s["sources"] for s in scans)
    table = cli(index, "scans")
    assert table.splitlines()[0].split() == [
        "SCAN", "STARTED", "FINISHED", "STATUS", "NEW", "CHANGED", "UNCHANGED", "GONE", "FAILED", "FINDINGS"
    ]  # fmt: skip
    assert len(table.splitlines()) == 5
    assert_no_raw_values(table)


def test_diff_shows_new_locations_after_a_file_with_emails_is_added(history: tuple[Path, Path, list[str]]) -> None:
    root, index, (first, second, _) = history
    diff = json.loads(cli(index, "diff", first, second, "--format", "json"))
    source = "file://" + root.as_posix()
    assert diff["scan_a"]["scan_id"] == first and diff["scan_b"]["scan_id"] == second
    assert {(r["item"], r["entity_type"], json.dumps(r["locator"])) for r in diff["new"]} == {
        ("new.log", "EMAIL_ADDRESS", '{"line": 1}'),
        ("new.log", "EMAIL_ADDRESS", '{"line": 2}'),
    }
    assert diff["removed"] == []
    counts = diff["counts"]
    assert (counts["new_locations"], counts["removed_locations"], counts["new_subjects"]) == (2, 0, 2)
    assert counts["by_source"] == {source: {"new": 2, "removed": 0}}
    assert counts["by_entity"] == {"EMAIL_ADDRESS": {"new": 2, "removed": 0}}
    assert counts["by_source_entity"] == {source: {"EMAIL_ADDRESS": {"new": 2, "removed": 0}}}
    assert all("@" in r["preview"] and "*" in r["preview"] for r in diff["new"]), "masked previews only"
    assert "subject_key" not in json.dumps(diff)
    for fmt in ("json", "text", "markdown"):
        assert_no_raw_values(cli(index, "diff", first, second, "--format", fmt))


def test_diff_defaults_to_the_last_two_scans_and_shows_removed_locations(
    history: tuple[Path, Path, list[str]],
) -> None:
    _, index, (_, second, third) = history
    text = cli(index, "diff")
    assert text.splitlines()[0] == f"diff {second} -> {third}"
    assert "locations: 0 new, 2 removed; subjects: 0 new, 2 removed" in text
    assert "removed locations:" in text and "old.log" in text and "new locations:" not in text
    markdown = cli(index, "diff", "--format", "markdown")
    assert "| Source | Entity type | New | Removed |" in markdown and "### Removed locations" in markdown


def test_fail_on_new_exits_3_only_when_something_appeared(history: tuple[Path, Path, list[str]]) -> None:
    _, index, (first, second, third) = history
    appeared = run_cli("diff", first, second, "--index", str(index), "--fail-on-new")
    assert appeared.returncode == 3 and "2 new" in appeared.stdout
    assert run_cli("diff", second, third, "--index", str(index), "--fail-on-new").returncode == 0
    assert run_cli("diff", first, second, "--index", str(index)).returncode == 0


def test_filters_and_scan_id_prefixes(history: tuple[Path, Path, list[str]]) -> None:
    root, index, (first, second, _) = history
    opened = open_index(index)
    assert diff_scans(opened, first, second, entity="PHONE_NUMBER")["counts"]["new_locations"] == 0
    assert diff_scans(opened, first, second, source="s3://logs")["counts"]["new_locations"] == 0
    assert diff_scans(opened, first, second, source="file://" + root.as_posix())["counts"]["new_locations"] == 2
    assert resolve_scans(opened, first[:22], second[:22]) == (first, second)
    assert resolve_scans(opened, first) == (first, history[2][2])
    with pytest.raises(HistoryError, match="no scan"):
        resolve_scans(opened, "19990101")
    bad = run_cli("diff", "19990101", "--index", str(index))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "piiscan scans" in bad.stderr


def test_a_single_scan_is_compared_with_the_empty_index(tmp_path: Path) -> None:
    root, index = tmp_path / "estate", tmp_path / "index"
    root.mkdir()
    (root / "a.log").write_text(f"contact {NEW_EMAILS[0]}\n")
    only = scan(root, index)
    diff = diff_scans(open_index(index))
    assert diff["scan_a"] is None and diff["scan_b"]["scan_id"] == only
    assert diff["counts"]["new_locations"] == 1 and diff["counts"]["subjects_before"] == 0
    assert list_scans(open_index(index))[0]["items"]["new"] == 1


def test_diff_on_an_index_without_completed_scans_is_a_usage_error(tmp_path: Path) -> None:
    root, index = tmp_path / "estate", tmp_path / "index"
    root.mkdir()
    scan(root, index)
    records = list((index / "scans").glob("*.json"))
    for path in records:  # as if the only scan had been killed
        path.write_text(json.dumps(json.loads(path.read_text()) | {"status": "running"}))
    assert [s["status"] for s in list_scans(open_index(index))] == ["aborted"]
    proc = run_cli("diff", "--index", str(index))
    assert proc.returncode == 2 and "no completed scan" in proc.stderr
