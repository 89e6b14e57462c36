"""Test-wide setup: a fixed HMAC key so no test writes a key into the real home directory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_KEY_HEX = "7e" * 32


@pytest.fixture(scope="session", autouse=True)
def _isolated_key(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIISCAN_HMAC_KEY", TEST_KEY_HEX)
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
        # the pre-filter's compiled databases: shared by this session's processes, never the user's cache
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
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


def require_dask() -> None:
    """Skip a test that needs Dask when it is not installed (fail under PIISCAN_REQUIRE_SERVICES: CI has it)."""
    if importlib.util.find_spec("distributed") is not None:
        return
    if os.environ.get("PIISCAN_REQUIRE_SERVICES") == "1":
        pytest.fail('dask is not installed (pip install -e ".[test]")')
    pytest.skip("dask is not installed (pip install 'piiscan[dask]')")


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
    """Run the real command line (``python -m piiscan``) in a subprocess."""
    env = os.environ.copy()
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "piiscan", *args], capture_output=True, text=True, env=env, cwd=cwd or REPO
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


# -- a real local S3 endpoint: moto's threaded HTTP server, reached by boto3 through endpoint_url ------------
# Modules that talk to it set ``pytestmark = pytest.mark.usefixtures("aws_env")`` (dummy credentials, no
# shared AWS config of the machine) and use ``endpoint``, ``client`` and ``bucket``.
S3_REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto server started for the module."""
    import boto3  # noqa: F401 - fail here, clearly, when the test extra is missing
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials through the standard chain; no shared config of the machine is read."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", S3_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credentials: say so at once, ask no metadata server
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def client(endpoint: str, aws_env: None) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=S3_REGION)


@pytest.fixture
def bucket(client: Any) -> str:
    """A new empty bucket."""
    name = f"piiscan-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name
