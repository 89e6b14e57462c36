"""A worker process that dies mid-scan fails only its unit; a fresh pool finishes the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, require_dask

SCRIPT = """
import json, sys
from pathlib import Path
from piiscan.connectors.registry import register
from piiscan.cli import main
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


# -- a scan killed outright takes its workers with it -----------------------------------------------------------
#: how long workers may outlive their killed parent
WORKER_GRACE_S = 10.0

ORPHAN_SCRIPT = """
import os, sys, time
import piiscan.scanner.worker as worker
worker._PR_SET_PDEATHSIG = 0  # an option the kernel refuses: only the parent-watch thread is left
pid = os.fork()
if pid == 0:
    worker.die_with_parent(os.getppid())
    time.sleep(600)
    os._exit(0)
print(pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, does not)."""
    try:
        import psutil
    except ImportError:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (workers, a cluster's worker processes)."""
    try:
        import psutil
    except ImportError:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int(Path(entry, "stat").read_text().rpartition(")")[2].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = set(), [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.add(child)
                todo.append(child)
        return found
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _left_after(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if _alive(pid)}
        if not left:
            return left
        time.sleep(0.2)
    return {pid for pid in pids if _alive(pid)}


def _sizeable_estate(root: Path) -> Path:
    root.mkdir()
    for n in range(24):
        lines = (
            f"ticket {n}-{i}: customer user{n}x{i}@example.com called 020 7946 0{i % 1000:03d}\n" for i in range(20000)
        )
        (root / f"part{n:02d}.log").write_text("".join(lines))
    return root


@pytest.mark.parametrize("executor", ["pool", "dask"])
def test_workers_exit_when_the_scan_is_killed(tmp_path, executor):
    if executor == "dask":
        require_dask()
    root = _sizeable_estate(tmp_path / "estate")
    cmd = [sys.executable, "-m", "piiscan", "scan", str(root), "--index", str(tmp_path / "index"), "--workers", "2"]
    cmd += ["--no-ner", "--quiet", "--unit-mb", "0.5", *(["--executor", "dask"] if executor == "dask" else [])]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = _descendants(proc.pid)
            time.sleep(0.2)
        time.sleep(3)  # into the units: workers busy, results in the pipe
        workers |= _descendants(proc.pid)
        assert proc.poll() is None, "the scan ended before it could be killed"
        assert len(workers) >= 2, workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        left = _left_after(workers, WORKER_GRACE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    for pid in left:  # do not leak them into the rest of the run
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} process(es) of the killed scan still running after {WORKER_GRACE_S:g} s"


def test_parent_watch_ends_a_worker_without_prctl(tmp_path):
    """The fallback alone (no PR_SET_PDEATHSIG): the watch thread sees the parent go and exits."""
    proc = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    try:
        child = int(proc.stdout.readline())
        assert _alive(child)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        left = _left_after({child}, 5)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    if left:
        os.kill(child, signal.SIGKILL)
    assert not left
