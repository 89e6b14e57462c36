"""A full disk under the index: one line naming the index folder, no traceback, and the scan recorded as failed.

The small disk is a real 256 KiB tmpfs mounted for the test (root only; skipped with the reason otherwise)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.strip() or proc.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_disk_full_names_the_index_and_records_the_failure(tmp_path: Path, small_disk: Path) -> None:
    data = tmp_path / "estate"
    data.mkdir()
    lines = (
        f"user {i} mail u{i}.p{i * 7919 % 100_003}@example.com tel +44 20 7946 {i % 10_000:04d}" for i in range(40_000)
    )
    (data / "big.log").write_text("\n".join(lines) + "\n")
    index = small_disk / "index"
    proc = run_cli("scan", str(data), "--index", str(index), "--no-ner", "-q")
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"piiscan: error: {index}: cannot write ")
    assert errors[0].endswith("no space left on device (free space there, or point --index elsewhere)")
    assert "Traceback" not in proc.stderr and "@example.com" not in proc.stderr
    (record,) = [json.loads(p.read_text()) for p in (index / "scans").glob("*.json")]
    assert record["status"] == "failed" and record["error"] == errors[0].removeprefix("piiscan: error: ")
    assert not list(index.rglob(".*.tmp-*")), "a failed write leaves no temporary file behind"
