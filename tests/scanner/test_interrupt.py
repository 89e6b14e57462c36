"""Ctrl-C stops a scan cleanly: what finished stays in a usable index, and a rescan completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from piiscan.index.store import open_index
from tests.conftest import REPO, run_cli


def test_ctrl_c_keeps_a_usable_index(tmp_path):
    root = tmp_path / "estate"
    root.mkdir()
    for n in range(40):  # many small items, so some finish before the interrupt and some do not
        lines = [
            f"ticket {n}-{i}: customer user{n}x{i}@example.com called 020 7946 0{i % 1000:03d}" for i in range(3000)
        ]
        (root / f"part{n:02d}.log").write_text("\n".join(lines) + "\n")
    index = tmp_path / "index"
    cmd = [sys.executable, "-m", "piiscan", "scan", str(root), "--index", str(index), "--workers", "1", "--no-ner"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    # interrupt once the first finished items are on disk (the runner checkpoints them every few seconds):
    # past start-up and into the items however slow the machine is
    deadline = time.monotonic() + 180
    while not any((index / "items").glob("*.parquet")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the scan finished before the interrupt"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err

    scans = open_index(index).scans()
    assert [s["status"] for s in scans] == ["interrupted"]
    done = scans[0]["items_scanned"]
    assert 0 < done < 40, "the interrupt should land mid-scan"
    live = {k for k, v in open_index(index).current_items().items() if v["status"] == "ok"}
    assert len(live) == done

    first = json.loads(
        run_cli(
            "lookup", "--index", str(index), "--email", "user0x1@example.com", "--format", "json", check=True
        ).stdout
    )
    assert first["counts"]["locations"] in (0, 1)

    rescan = run_cli("scan", str(root), "--index", str(index), "--workers", "2", "--no-ner", "--quiet", check=True)
    assert "completed" in rescan.stdout
    assert len({k for k, v in open_index(index).current_items().items() if v["status"] == "ok"}) == 40
    found = json.loads(
        run_cli(
            "lookup", "--index", str(index), "--email", "user39x2999@example.com", "--format", "json", check=True
        ).stdout
    )
    assert found["counts"]["locations"] == 1
