"""The index (and the HMAC key) on object storage: ``--index s3://bucket/prefix`` on a real local S3 endpoint.

A scan on one machine and a lookup from another share the index: lookups, incremental rescans, compaction,
the writer lock, the erasure audit log and a Dask scan all work against ``s3://`` as they do on a folder,
and give the same answers as a local index of the same estate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from piiscan.app.erasure import AuditLog
from piiscan.index.storage import Store
from piiscan.index.store import IndexLockedError, acquire_lock, open_index
from tests.conftest import require_dask, run_cli

pytestmark = pytest.mark.usefixtures("aws_env")  # dummy AWS credentials for the local S3 server

PEOPLE = [("ann.lee@example.com", "020 7946 0101"), ("bob.ray@example.org", "020 7946 0102")]


def write_estate(root: Path) -> Path:
    (root / "logs").mkdir(parents=True)
    lines = [f"2026-11-0{d} login user={email} phone={phone}" for d, (email, phone) in enumerate(PEOPLE, 1)]
    (root / "logs" / "app.log").write_text("\n".join(lines * 50) + "\n")
    rows = ["id,email,phone", *(f"{i},{e},{p}" for i, (e, p) in enumerate(PEOPLE, 1))]
    (root / "contacts.csv").write_text("\n".join(rows) + "\n")
    return root


def scan(root: Path, index: str, endpoint: str, *extra: str) -> dict[str, Any]:
    proc = run_cli(
        "scan", str(root), "--index", index, "--endpoint-url", endpoint, "--no-ner", "--format", "json", *extra
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def locations(index: str, endpoint: str, email: str) -> set[tuple]:
    proc = run_cli(
        "lookup", "--index", index, "--endpoint-url", endpoint, "--email", email, "--linked", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["locations"]
    return {(x["item"], json.dumps(x["locator"]), x["field"], x["entity_type"], tuple(x["span"])) for x in found}


def test_a_remote_index_answers_like_a_local_one(tmp_path: Path, endpoint: str, bucket: str) -> None:
    root = write_estate(tmp_path / "estate")
    remote, local = f"s3://{bucket}/indexes/main", str(tmp_path / "local-index")
    first = scan(root, remote, endpoint)
    scan(root, local, endpoint)
    assert first["items_scanned"] == 2
    for email, _ in PEOPLE:
        found = locations(remote, endpoint, email)
        assert found and found == locations(local, endpoint, email)
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket)["Contents"]}
    assert "indexes/main/piiscan-index.json" in keys
    assert any(k.startswith("indexes/main/occurrences/prefix=") for k in keys)
    assert "indexes/main/lock" not in keys, "the scan released its lock"

    again = scan(root, remote, endpoint)  # incremental: nothing changed
    assert again["items_unchanged"] == 2 and again["items_scanned"] == 0
    (root / "contacts.csv").write_text("id,email\n1,carl.moe@example.net\n")
    changed = scan(root, remote, endpoint)
    assert changed["items_changed"] == 1
    assert locations(remote, endpoint, "carl.moe@example.net")
    assert {item for item, *_ in locations(remote, endpoint, PEOPLE[1][0])} == {"logs/app.log"}

    before = locations(remote, endpoint, PEOPLE[0][0])
    compacted = run_cli("compact", "--index", remote, "--endpoint-url", endpoint)
    assert compacted.returncode == 0, compacted.stderr
    assert locations(remote, endpoint, PEOPLE[0][0]) == before
    history = run_cli("scans", "--index", remote, "--endpoint-url", endpoint, "--format", "json")
    assert history.returncode == 0 and len(json.loads(history.stdout)) == 3


def test_the_lock_and_the_audit_log_work_on_object_storage(endpoint: str, bucket: str) -> None:
    store = Store(f"s3://{bucket}/idx", endpoint)
    with acquire_lock(store, purpose="test"), pytest.raises(IndexLockedError, match="locked by test"):
        acquire_lock(Store(f"s3://{bucket}/idx", endpoint))
    with acquire_lock(store, purpose="again"):  # released: free again
        pass
    log = AuditLog(store=Store(f"s3://{bucket}/idx/audit/erasure", endpoint))
    for n in range(3):
        log.append({"phase": "apply", "action_id": f"a{n}"})
    assert [e["action_id"] for e in log.entries()] == ["a0", "a1", "a2"]


def test_the_hmac_key_can_live_on_object_storage(
    tmp_path: Path, endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    root = write_estate(tmp_path / "estate")
    key, index = f"s3://{bucket}/secrets/hmac.key", f"s3://{bucket}/idx"
    scan(root, index, endpoint, "--key-file", key)
    body = boto3.client("s3", endpoint_url=endpoint).get_object(Bucket=bucket, Key="secrets/hmac.key")["Body"].read()
    assert len(bytes.fromhex(body.decode().strip())) == 32
    proc = run_cli("lookup", "--index", index, "--endpoint-url", endpoint, "--key-file", key, "--email", PEOPLE[0][0])
    assert proc.returncode == 0 and "logs/app.log" in proc.stdout
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "5a" * 32)  # any other key is refused by the index
    wrong = run_cli("lookup", "--index", index, "--endpoint-url", endpoint, "--email", PEOPLE[0][0])
    assert wrong.returncode == 1 and "different HMAC key" in wrong.stderr


def test_a_dask_scan_writes_a_remote_index_equal_to_the_local_pools(tmp_path: Path, endpoint: str, bucket: str) -> None:
    require_dask()
    root = write_estate(tmp_path / "estate")
    remote, local = f"s3://{bucket}/dask", str(tmp_path / "local-index")
    scan(root, remote, endpoint, "--executor", "dask", "--workers", "2", "--unit-mb", "0.001")
    scan(root, local, endpoint, "--workers", "2", "--unit-mb", "0.001")
    for email, _ in PEOPLE:
        assert locations(remote, endpoint, email) == locations(local, endpoint, email)
    assert open_index(remote, endpoint).scans()[0]["status"] == "completed"
