"""``piiscan erase`` on local files and S3 objects, through the CLI.

The subject's findings are redacted in place in a log, a CSV and a JSON Lines file; every other byte of
every file stays as it was (and other people's data on the same line too); a PDF is left for a human
(``manual``) and verification says so; a file edited after planning is refused; the same on a real local
S3 endpoint (moto's server), where the rewritten object keeps its content type and metadata.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import lookup_json, run_cli
from tests.connectors.test_documents import make_pdf

pytestmark = pytest.mark.usefixtures("aws_env")  # dummy AWS credentials for the local S3 server

SUBJECT = "erin.tate@example.com"
OTHER = "olaf.berg@example.org"
PHONE = "020 7946 0311"


def write_estate(root: Path) -> dict[str, bytes]:
    """A small estate; returns each file's bytes."""
    files = {
        "logs/app.log": (
            "2026-11-01T08:00:01Z INFO service started\n"
            f"2026-11-01T08:00:02Z INFO login ok user={SUBJECT} ip=192.0.2.10\n"
            "2026-11-01T08:00:03Z INFO cache warm\n"
            f"2026-11-01T08:00:04Z INFO {SUBJECT} forwarded a ticket to {OTHER}\n"
            f"2026-11-01T08:00:05Z INFO login ok user={OTHER}\n"
        ).encode(),
        "crm/contacts.csv": (
            "id,name,email,phone,notes\r\n"
            f'1,Olaf Berg,{OLAF_CELL},020 7946 0999,"Prefers post, not phone"\r\n'
            f'2,Erin Tate,{SUBJECT},{PHONE},"Call back, ask for {SUBJECT}"\r\n'
            '3,Nobody,,,"no contact, please"\r\n'
        ).encode(),
        "events/events.jsonl": (
            json.dumps({"event": "signup", "user": {"email": SUBJECT}})
            + "\n"
            + json.dumps({"event": "signup", "user": {"email": OTHER}})
            + "\n"
        ).encode(),
        "docs/letter.pdf": make_pdf([["Dear customer,", f"your address {SUBJECT} is on file."]]),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


OLAF_CELL = "olaf.cell@example.org"


def _erase(index: Path, plan: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = run_cli("erase", "--index", str(index), *args, "--format", "json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}


def _plan(index: Path, plan: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("erase", "--index", str(index), "--email", SUBJECT, "--plan", str(plan), *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(plan.read_text())


def test_files_are_redacted_in_place_and_the_pdf_is_left_to_a_human(tmp_path: Path) -> None:
    root, index, plan_path = tmp_path / "estate", tmp_path / "index", tmp_path / "plan.json"
    original = write_estate(root)
    (root / "crm/contacts.csv").chmod(0o640)
    run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet", check=True)

    plan = _plan(index, plan_path)
    actions = {a["item"]: a for a in plan["actions"]}
    assert {k: a["action"] for k, a in actions.items()} == {
        "logs/app.log": "redact_spans",
        "crm/contacts.csv": "redact_spans",
        "events/events.jsonl": "redact_spans",
        "docs/letter.pdf": "manual",
    }
    assert "PDF" in actions["docs/letter.pdf"]["reason"]
    assert SUBJECT not in plan_path.read_text()

    code, out = _erase(index, plan_path, "--apply", str(plan_path), "--yes")
    assert code == 3  # the PDF still holds the subject: the erasure is not complete
    outcomes = {r["item"]: r["outcome"] for r in out["apply"]["results"]}
    assert outcomes == {
        "logs/app.log": "done",
        "crm/contacts.csv": "done",
        "events/events.jsonl": "done",
        "docs/letter.pdf": "manual",
    }
    statuses = {r["item"]: r["status"] for r in out["verify"]["results"]}
    assert statuses["docs/letter.pdf"] == "still_present"
    assert {statuses[k] for k in ("logs/app.log", "crm/contacts.csv", "events/events.jsonl")} == {"erased"}

    log = (root / "logs/app.log").read_bytes().decode().splitlines(keepends=True)
    before = original["logs/app.log"].decode().splitlines(keepends=True)
    assert [i for i, (a, b) in enumerate(zip(before, log, strict=True)) if a != b] == [1, 3]
    assert SUBJECT not in "".join(log) and log[3].count(OTHER) == 1  # the other person's address stays
    csv_lines = (root / "crm/contacts.csv").read_bytes().split(b"\r\n")
    assert csv_lines[:2] == original["crm/contacts.csv"].split(b"\r\n")[:2]
    assert csv_lines[3:] == original["crm/contacts.csv"].split(b"\r\n")[3:]
    assert SUBJECT.encode() not in csv_lines[2] and PHONE.encode() not in csv_lines[2]
    assert (root / "crm/contacts.csv").stat().st_mode & 0o777 == 0o640
    events = (root / "events/events.jsonl").read_text().splitlines()
    assert SUBJECT not in events[0] and events[1] == original["events/events.jsonl"].decode().splitlines()[1]
    assert (root / "docs/letter.pdf").read_bytes() == original["docs/letter.pdf"]

    remaining = lookup_json(index, "--email", SUBJECT)["locations"]
    assert {loc["item"] for loc in remaining} == {"docs/letter.pdf"}
    assert lookup_json(index, "--email", OTHER)["locations"]  # other people are still found


def test_a_file_edited_after_the_plan_is_refused_and_left_alone(tmp_path: Path) -> None:
    root, index, plan_path = tmp_path / "estate", tmp_path / "index", tmp_path / "plan.json"
    write_estate(root)
    run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet", check=True)
    _plan(index, plan_path)
    log = root / "logs/app.log"
    log.write_bytes(log.read_bytes() + b"2026-11-01T08:00:06Z INFO late line\n")
    edited = log.read_bytes()

    code, out = _erase(index, plan_path, "--apply", str(plan_path), "--yes", "--no-verify")
    assert code == 3
    result = next(r for r in out["apply"]["results"] if r["item"] == "logs/app.log")
    assert result["outcome"] == "refused" and "changed" in result["detail"]
    assert log.read_bytes() == edited


def test_an_item_changed_since_the_scan_is_planned_stale_until_rescanned(tmp_path: Path) -> None:
    root, index, plan_path = tmp_path / "estate", tmp_path / "index", tmp_path / "plan.json"
    write_estate(root)
    run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet", check=True)
    log = root / "logs/app.log"
    log.write_bytes(log.read_bytes() + f"2026-11-01T08:00:06Z INFO bye {SUBJECT}\n".encode())

    stale = _plan(index, plan_path)
    assert [a["item"] for a in stale["actions"] if a["stale"]] == ["logs/app.log"]
    fresh = _plan(index, plan_path, "--rescan-changed")
    (action,) = [a for a in fresh["actions"] if a["item"] == "logs/app.log"]
    # the e-mail address and the login's IP address on line 2, the e-mail on lines 4 and 6
    spans = sorted((s["locator"]["line"], s["start"]) for s in action["spans"])
    assert not action["stale"] and [line for line, _ in spans] == [2, 2, 4, 6]
    code, _ = _erase(index, plan_path, "--apply", str(plan_path), "--yes")
    assert SUBJECT not in log.read_text()
    assert code == 3  # the PDF is still manual


# -- S3 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("versioned", [False, True], ids=["plain", "versioned"])
def test_s3_objects_are_rewritten_keeping_their_metadata(tmp_path: Path, endpoint: str, versioned: bool) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"piiscan-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    original = write_estate(tmp_path / "estate")
    for name, data in original.items():
        client.put_object(
            Bucket=bucket, Key=f"estate/{name}", Body=data, ContentType="text/plain", Metadata={"team": "crm"}
        )
    index, plan_path = tmp_path / "index", tmp_path / "plan.json"
    url = f"s3://{bucket}/estate"
    run_cli("scan", url, "--index", str(index), "--no-ner", "--quiet", "--endpoint-url", endpoint, check=True)
    plan = _plan(index, plan_path, "--endpoint-url", endpoint)
    assert {a["item"]: a["action"] for a in plan["actions"]}["logs/app.log"] == "redact_spans"

    code, out = _erase(index, plan_path, "--apply", str(plan_path), "--yes", "--endpoint-url", endpoint)
    assert code == 3  # the PDF is manual
    statuses = {r["item"]: r["status"] for r in out["verify"]["results"]}
    assert statuses["logs/app.log"] == statuses["crm/contacts.csv"] == "erased"
    log_result = next(r for r in out["apply"]["results"] if r["item"] == "logs/app.log")
    assert log_result["outcome"] == "done"
    if versioned:
        assert "version" in log_result["detail"]
    body = client.get_object(Bucket=bucket, Key="estate/logs/app.log")
    assert SUBJECT.encode() not in body["Body"].read()
    assert body["ContentType"] == "text/plain" and body["Metadata"] == {"team": "crm"}
    untouched = client.get_object(Bucket=bucket, Key="estate/docs/letter.pdf")["Body"].read()
    assert untouched == original["docs/letter.pdf"]
