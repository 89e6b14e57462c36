"""LocalFileEraser and S3Eraser on real files and a real local S3 endpoint (moto's threaded server).

Spans come from a real scan (the command line, identifiers only) read back from the index, so these
tests prove that the scanner's locators and the eraser's mapping agree."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import uuid
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from piiscan.connectors import s3
from piiscan.connectors.base import SourceError
from piiscan.connectors.erase_files import LocalFileEraser, S3Eraser
from piiscan.connectors.erasers import REDACTION, EraseAction, Span, open_eraser
from tests.conftest import run_cli

pytestmark = pytest.mark.usefixtures("aws_env")  # dummy AWS credentials for the local S3 server

KEY = b"test-index-key"
R = REDACTION.encode()


def digest(data: bytes) -> str:
    return hmac.new(KEY, data, hashlib.sha256).hexdigest()


def scan_spans(source: str, tmp_path: Path) -> dict[str, tuple[Span, ...]]:
    """Spans of every finding of a real scan of ``source``, by item."""
    index = tmp_path / f"index-{uuid.uuid4().hex[:8]}"
    proc = run_cli("scan", source, "--index", str(index), "--no-ner", "--quiet")
    assert proc.returncode == 0, proc.stderr
    spans: dict[str, list[Span]] = {}
    if not (index / "occurrences").exists():
        return {}
    rows = ds.dataset(index / "occurrences", format="parquet").to_table().to_pylist()
    for row in rows:
        span = Span(json.loads(row["locator"]), row["field"], row["span_start"], row["span_end"])
        spans.setdefault(row["item"], []).append(span)
    return {item: tuple(found) for item, found in spans.items()}


def planned(eraser: Any, item: str, kind: str = "redact_spans", spans: tuple[Span, ...] = ()) -> EraseAction:
    action = EraseAction(f"{item}#{kind}", eraser.source, item, kind, spans=spans)  # type: ignore[arg-type]
    inspection = eraser.inspect(item, [action])[action.action_id]
    action.before, action.after = inspection.before, inspection.after
    action.reason = inspection.manual_reason or ""
    return action


# -- local files ------------------------------------------------------------------------------------

LOG = b"2024-01-02 login ok user=jane.doe@example.com from web\nplain line, nothing here\nbye\n"
CSV = (
    b"id,name,note,email\n"
    b'1,"Smith, Ann","call her at ann.smith@example.com, after 5pm",ann@example.org\n'
    b'2,Bob,"said ""hi""",bob.jones@example.net\n'
    b"3,Carl,no contact,\n"
)
TSV = b"id\tname\temail\n1\tAnn\tann.t@example.com\n2\tBob\t\n"
JSONL = (
    b'{"id": 1, "contact": {"email": "jo\\u0040example.com"}, "tags": ["x", "mo@example.com"]}\n'
    b'{"id": 2, "note": "nothing"}\n'
)
LATIN1 = "Straße 5, Zoë Müller: zoe.mueller@example.de\nÄrger ohne Daten\n".encode("latin-1")
CRLF = b"first line\r\nmail: crlf.person@example.com\r\nlast line\r\n"
BOM_CSV = b"\xef\xbb\xbfemail,name\r\nbom.user@example.com,Ann\r\n,Nobody\r\n"
DOC = (
    b'{"customers": [{"email": "c1@example.com", "name": "A"}, {"email": "c\\u0032@example.com"}],\n'
    b' "owner": {"contact": "owner@example.com"}}\n'
)

EXPECTED = {
    "app.log": LOG.replace(b"jane.doe@example.com", R),
    "people.csv": CSV.replace(b"ann.smith@example.com", R)
    .replace(b"ann@example.org", R)
    .replace(b"bob.jones@example.net", R),
    "people.tsv": TSV.replace(b"ann.t@example.com", R),
    "events.jsonl": JSONL.replace(b"jo\\u0040example.com", R).replace(b"mo@example.com", R),
    "legacy.txt": LATIN1.replace(b"zoe.mueller@example.de", R),
    "windows.log": CRLF.replace(b"crlf.person@example.com", R),
    "bom.csv": BOM_CSV.replace(b"bom.user@example.com", R),
    "doc.json": DOC.replace(b"c1@example.com", R).replace(b"c\\u0032@example.com", R).replace(b"owner@example.com", R),
}


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    root.mkdir()
    for name, data in {
        "app.log": LOG,
        "people.csv": CSV,
        "people.tsv": TSV,
        "events.jsonl": JSONL,
        "legacy.txt": LATIN1,
        "windows.log": CRLF,
        "bom.csv": BOM_CSV,
        "doc.json": DOC,
    }.items():
        (root / name).write_bytes(data)
    os.chmod(root / "people.csv", 0o640)
    return root


def test_redaction_of_every_text_format_changes_only_the_matched_values(estate: Path, tmp_path: Path) -> None:
    spans = scan_spans(str(estate), tmp_path)
    assert set(spans) == set(EXPECTED)
    eraser = open_eraser("file://" + estate.as_posix(), digest, include=["*"], follow_symlinks=False)
    assert isinstance(eraser, LocalFileEraser)
    for item, expected in EXPECTED.items():
        action = planned(eraser, item, spans=spans[item])
        assert not action.reason, (item, action.reason)
        assert action.before == digest((estate / item).read_bytes())
        assert action.after == digest(expected)
        [result] = eraser.execute(item, [action])
        assert (result.outcome, result.before, result.after) == ("done", action.before, action.after), item
        assert (estate / item).read_bytes() == expected, item
        [again] = eraser.execute(item, [action])
        assert again.outcome == "already_done"
    assert (estate / "people.csv").stat().st_mode & 0o777 == 0o640
    assert not [p for p in estate.iterdir() if p.name.startswith(".")]  # no temp file left
    assert scan_spans(str(estate), tmp_path) == {}  # a rescan finds none of the values


def test_spans_of_one_file_in_several_actions_are_applied_together(estate: Path, tmp_path: Path) -> None:
    spans = scan_spans(str(estate / "people.csv"), tmp_path)["people.csv"]
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    first = EraseAction("a", eraser.source, "people.csv", "redact_spans", spans=spans[:1])
    rest = EraseAction("b", eraser.source, "people.csv", "redact_spans", spans=spans[1:])
    found = eraser.inspect("people.csv", [first, rest])
    assert found["a"].after == found["b"].after == digest(EXPECTED["people.csv"])
    for action in (first, rest):
        action.before, action.after = found[action.action_id].before, found[action.action_id].after
    assert [r.outcome for r in eraser.execute("people.csv", [first, rest])] == ["done", "done"]
    assert (estate / "people.csv").read_bytes() == EXPECTED["people.csv"]
    # executed alone, an action of the group would not produce the planned file: refused, not written
    (estate / "people.csv").write_bytes(CSV)
    [alone] = eraser.execute("people.csv", [first])
    assert alone.outcome == "refused" and "re-plan" in alone.detail
    assert (estate / "people.csv").read_bytes() == CSV


def test_dry_run_and_a_file_changed_after_the_plan(estate: Path, tmp_path: Path) -> None:
    spans = scan_spans(str(estate), tmp_path)
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    action = planned(eraser, "app.log", spans=spans["app.log"])
    before = (estate / "app.log").stat()
    [result] = eraser.execute("app.log", [action], dry_run=True)
    assert (result.outcome, result.after) == ("dry_run", digest(EXPECTED["app.log"]))
    assert (estate / "app.log").read_bytes() == LOG
    assert (estate / "app.log").stat().st_mtime_ns == before.st_mtime_ns
    changed = LOG + b"new line\n"
    (estate / "app.log").write_bytes(changed)
    [refused] = eraser.execute("app.log", [action])
    assert refused.outcome == "refused" and "changed since the plan" in refused.detail
    assert "jane" not in refused.detail
    assert (estate / "app.log").read_bytes() == changed


def test_delete_file(estate: Path) -> None:
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    action = planned(eraser, "people.tsv", "delete_file")
    assert (action.before, action.after) == (digest(TSV), None)
    [dry] = eraser.execute("people.tsv", [action], dry_run=True)
    assert dry.outcome == "dry_run" and (estate / "people.tsv").exists()
    [done] = eraser.execute("people.tsv", [action])
    assert done.outcome == "done" and not (estate / "people.tsv").exists()
    [again] = eraser.execute("people.tsv", [action])
    assert again.outcome == "already_done"
    assert eraser.inspect("people.tsv", [action])[action.action_id].before is None


def test_formats_that_cannot_be_rewritten_are_manual(estate: Path) -> None:
    (estate / "report.pdf").write_bytes(b"%PDF-1.4\n% fake\n")
    (estate / "book.xlsx").write_bytes(b"PK\x03\x04 fake workbook")
    (estate / "page.html").write_bytes(b"<p>jane.doe@example.com</p>")
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    span = Span({"line": 1}, None, 0, 4)
    reasons = {item: planned(eraser, item, spans=(span,)).reason for item in ("report.pdf", "book.xlsx", "page.html")}
    assert reasons == {
        "report.pdf": "PDF cannot be rewritten safely; erase by hand",
        "book.xlsx": "Excel workbook cannot be rewritten safely; erase by hand",
        "page.html": "HTML cannot be rewritten safely; erase by hand",
    }
    # deleting them is fine
    assert planned(eraser, "report.pdf", "delete_file").reason == ""


def test_spans_that_do_not_map_are_manual(estate: Path) -> None:
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    cases = {
        "people.csv": Span({"row": 1}, "no_such_column", 0, 3),
        "people.tsv": Span({"row": 9}, "email", 0, 3),
        "events.jsonl": Span({"row": 1}, "$.id", 0, 1),  # a number, not a string in the file
        "app.log": Span({"line": 1}, None, 40, 400),
    }
    for item, span in cases.items():
        reason = planned(eraser, item, spans=(span,)).reason
        assert reason and "\n" not in reason and "example" not in reason, (item, reason)


def test_a_symlink_out_of_the_root_is_refused(estate: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_bytes(LOG)
    (estate / "link.log").symlink_to(outside)
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    span = Span({"line": 1}, None, 22, 42)
    action = EraseAction("x", eraser.source, "link.log", "redact_spans", spans=(span,), before=digest(LOG))
    inspection = eraser.inspect("link.log", [action])["x"]
    assert inspection.manual_reason and "symlink" in inspection.manual_reason
    for kind in ("redact_spans", "delete_file"):
        action.action = kind  # type: ignore[assignment]
        [result] = eraser.execute("link.log", [action])
        assert result.outcome == "refused" and "symlink" in result.detail
    assert outside.read_bytes() == LOG and (estate / "link.log").is_symlink()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only folders")
def test_permission_denied_is_a_failed_result(estate: Path, tmp_path: Path) -> None:
    spans = scan_spans(str(estate), tmp_path)
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    action = planned(eraser, "app.log", spans=spans["app.log"])
    estate.chmod(0o555)
    try:
        [result] = eraser.execute("app.log", [action])
    finally:
        estate.chmod(0o755)
    assert result.outcome == "failed" and result.detail == f"{eraser.source}: app.log: permission denied"
    assert (estate / "app.log").read_bytes() == LOG


def test_pickles_and_a_missing_root_is_a_source_error(tmp_path: Path) -> None:
    eraser = pickle.loads(pickle.dumps(LocalFileEraser("file://" + (tmp_path / "gone").as_posix(), digest)))
    with pytest.raises(SourceError, match="does not exist"):
        eraser.inspect("a.txt", [EraseAction("x", eraser.source, "a.txt", "delete_file")])


# -- S3 ------------------------------------------------------------------------------------------------


def s3_spans(endpoint: str, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        return scan_spans(source, tmp_path)
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")


def test_s3_rewrite_keeps_the_object_settings(
    endpoint: str, client: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.put_object(
        Bucket=bucket, Key="crm/people.csv", Body=CSV, ContentType="text/csv", Metadata={"owner": "crm-team"}
    )
    client.put_object(Bucket=bucket, Key="crm/app.log", Body=LOG)
    source = f"s3://{bucket}/crm"
    spans = s3_spans(endpoint, source, tmp_path, monkeypatch)
    eraser = pickle.loads(pickle.dumps(open_eraser(source, digest, endpoint_url=endpoint, exclude=["x"])))
    assert isinstance(eraser, S3Eraser)
    action = planned(eraser, "people.csv", spans=spans["people.csv"])
    assert (action.before, action.after) == (digest(CSV), digest(EXPECTED["people.csv"]))
    [dry] = eraser.execute("people.csv", [action], dry_run=True)
    assert dry.outcome == "dry_run" and client.get_object(Bucket=bucket, Key="crm/people.csv")["Body"].read() == CSV
    [result] = eraser.execute("people.csv", [action])
    assert result.outcome == "done" and result.extra["etag"] and result.extra["key"] == "crm/people.csv"
    stored = client.get_object(Bucket=bucket, Key="crm/people.csv")
    assert stored["Body"].read() == EXPECTED["people.csv"]
    assert (stored["ContentType"], stored["Metadata"]) == ("text/csv", {"owner": "crm-team"})
    [again] = eraser.execute("people.csv", [action])
    assert again.outcome == "already_done"
    # changed after the plan: refused, untouched
    log_action = planned(eraser, "app.log", spans=spans["app.log"])
    client.put_object(Bucket=bucket, Key="crm/app.log", Body=LOG + b"more\n")
    [refused] = eraser.execute("app.log", [log_action])
    assert refused.outcome == "refused"
    assert client.get_object(Bucket=bucket, Key="crm/app.log")["Body"].read() == LOG + b"more\n"
    eraser.close()


def test_s3_delete_and_versions_that_remain(endpoint: str, client: Any, bucket: str) -> None:
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket=bucket, Key="logs/app.log", Body=LOG)
    client.put_object(Bucket=bucket, Key="logs/old.log", Body=b"old\n")
    client.put_object(Bucket=bucket, Key="logs/old.log", Body=LOG)
    eraser = S3Eraser(f"s3://{bucket}/logs/", digest, endpoint_url=endpoint)
    span = Span({"line": 1}, None, LOG.index(b"jane"), LOG.index(b".com") + 4)
    action = planned(eraser, "app.log", spans=(span,))
    [result] = eraser.execute("app.log", [action])
    assert result.outcome == "done" and result.extra["noncurrent_versions"] == 1
    assert result.detail == "1 earlier version remains in the bucket; delete them or let lifecycle expire them"
    assert result.extra["version_id"] and result.extra["new_version_id"] != result.extra["version_id"]
    delete = planned(eraser, "old.log", "delete_object")
    [deleted] = eraser.execute("old.log", [delete])
    assert deleted.outcome == "done" and deleted.extra["noncurrent_versions"] == 2
    assert deleted.detail.startswith("2 earlier versions remain in the bucket")
    assert "Contents" not in client.list_objects_v2(Bucket=bucket, Prefix="logs/old.log")
    [again] = eraser.execute("old.log", [delete])
    assert again.outcome == "already_done"


def test_s3_single_object_source_and_manual_formats(endpoint: str, client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="docs/report.pdf", Body=b"%PDF-1.4\n")
    client.put_object(Bucket=bucket, Key="one/app.log", Body=LOG)
    eraser = S3Eraser(f"s3://{bucket}/docs", digest, endpoint_url=endpoint)
    pdf = planned(eraser, "report.pdf", spans=(Span({"page": 1}, None, 0, 3),))
    assert pdf.reason == "PDF cannot be rewritten safely; erase by hand"
    single = S3Eraser(f"s3://{bucket}/one/app.log", digest, endpoint_url=endpoint)
    action = planned(single, "app.log", "delete_object")
    assert action.before == digest(LOG)
    assert single.execute("app.log", [action])[0].outcome == "done"


def test_s3_access_denied_is_a_failed_result(endpoint: str, client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="crm/app.log", Body=LOG)
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:PutObject", "s3:DeleteObject"],
        "Resource": f"arn:aws:s3:::{bucket}/crm/*",
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    eraser = S3Eraser(f"s3://{bucket}/crm", digest, endpoint_url=endpoint)
    for kind in ("redact_spans", "delete_object"):
        span = Span({"line": 1}, None, LOG.index(b"jane"), LOG.index(b".com") + 4)
        action = planned(eraser, "app.log", kind, spans=(span,) if kind == "redact_spans" else ())
        [result] = eraser.execute("app.log", [action])
        assert result.outcome == "failed", kind
        assert result.detail.startswith(f"s3://{bucket}/crm: app.log: access denied"), result.detail
        assert "jane" not in result.detail
    assert client.get_object(Bucket=bucket, Key="crm/app.log")["Body"].read() == LOG
    missing = S3Eraser("s3://no-such-bucket-piiscan/x", digest, endpoint_url=endpoint)
    [result] = missing.execute("a.log", [EraseAction("x", missing.source, "a.log", "delete_object", before="b")])
    assert result.outcome == "failed" and "bucket does not exist (NoSuchBucket)" in result.detail


def test_s3_unusable_credentials_or_endpoint_are_source_errors(
    endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "wJalrXUtnFEMI-do-not-print"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setitem(s3.RETRIES, "max_attempts", 1)  # a refused connection fails at once, not after 5 tries
    unreachable = S3Eraser(f"s3://{bucket}/x", digest, endpoint_url="http://127.0.0.1:9")
    action = EraseAction("x", unreachable.source, "a.log", "delete_object")
    with pytest.raises(SourceError) as caught:
        unreachable.inspect("a.log", [action])
    assert str(caught.value).startswith(f"s3://{bucket}/x: cannot reach http://127.0.0.1:9")
    assert secret not in str(caught.value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    anonymous = S3Eraser(f"s3://{bucket}/x", digest, endpoint_url=endpoint)
    with pytest.raises(SourceError, match="no AWS credentials found"):
        anonymous.execute("a.log", [action])
