"""Test-wide setup: a fixed HMAC key so no test writes a key into the real home directory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_KEY_HEX = "7e" * 32


@pytest.fixture(scope="session", autouse=True)
def _isolated_key(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIISCAN_HMAC_KEY", TEST_KEY_HEX)
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
        yield


def shared_dataset(*parts: str) -> Path:
    """A file under ../shared/datasets; skip (or fail under PIISCAN_REQUIRE_SERVICES) when absent."""
    path = SHARED.joinpath("datasets", *parts)
    if not path.exists():
        message = f"shared dataset {path} not found"
        if os.environ.get("PIISCAN_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def load_bench_module(filename: str) -> ModuleType:
    """Import a script from ``bench/`` (not a package) by path, once per test session."""
    name = f"piiscan_bench_{Path(filename).stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / filename)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses resolve their module through sys.modules
        spec.loader.exec_module(module)
    return sys.modules[name]


def run_cli(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real command line (``python -m scanner``) in a subprocess."""
    env = os.environ.copy()
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env, cwd=cwd or REPO
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"piiscan {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc


def lookup_json(index: Path, *args: str) -> dict:
    proc = run_cli("lookup", "--index", str(index), "--format", "json", *args, check=True)
    return json.loads(proc.stdout)


def scan_folder(root: Path, *args: str) -> tuple[Path, dict]:
    """Scan ``root`` identifiers-only into a sibling ``<root>-index`` through the CLI; (index, JSON summary)."""
    index = root.parent / (root.name + "-index")
    proc = run_cli("scan", str(root), "--index", str(index), "--no-ner", "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return index, json.loads(proc.stdout)
