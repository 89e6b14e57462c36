"""A worker process that dies mid-scan fails only its unit; a fresh pool finishes the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = """
import json, sys
from pathlib import Path
from connectors.registry import register
from scanner.cli import main
register("crashing", "tests.scanner.crashing_source:CrashingConnector")
sys.exit(main(["scan", "crashing://" + sys.argv[1], "--index", sys.argv[2], "--workers", "2",
               "--no-ner", "--format", "json", "--quiet"]))
"""


def test_dead_worker_fails_its_unit_and_the_scan_completes(tmp_path):
    root = tmp_path / "estate"
    root.mkdir()
    for n in range(12):
        (root / f"file{n:02d}.txt").write_text(f"contact person{n}@example.com\n" * 50)
    (root / "crash.txt").write_text("this item kills its worker\n")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "completed"
    failures = {f["item"]: f["reason"] for f in summary["failures"]}
    assert "worker process died" in failures["crash.txt"]
    # units in flight alongside the crash are rerun, one at a time, by a fresh pool
    assert summary["items_scanned"] == 12
    assert summary["items_failed"] == 1
    assert summary["findings_by_entity"]["EMAIL_ADDRESS"] == 50 * 12
