"""S3Connector against a real local S3 HTTP endpoint (moto's threaded server): listing, pagination,
streamed and ranged reads, archived and forbidden objects, source errors, and the command line."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, TableBatch, TextChunk, WorkUnit
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.registry import open_source
from piiscan.connectors.s3 import MAX_READAHEAD, S3Connector, S3ObjectFile
from tests.conftest import S3_REGION, lookup_json, run_cli
from tests.connectors.conformance import ConnectorConformance, items_of, locations, problems, read_all
from tests.connectors.samples import csv_rows, make_tree, people_table, text_lines

pytestmark = pytest.mark.usefixtures("aws_env")  # dummy AWS credentials for the local S3 server


def connect(endpoint: str, bucket: str, prefix: str = "tree", **options: Any) -> S3Connector:
    return S3Connector(f"s3://{bucket}/{prefix}", endpoint_url=endpoint, region=S3_REGION, **options)


def upload_tree(client: Any, bucket: str, root: Path, prefix: str) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.put_object(
                Bucket=bucket, Key=f"{prefix}/{path.relative_to(root).as_posix()}", Body=path.read_bytes()
            )


def entries(connector: S3Connector) -> dict[str, ItemRef | ItemProblem]:
    return {entry.item_id: entry for entry in connector.enumerate()}


def record_gets(connector: S3Connector) -> list[str | None]:
    """The Range header of every GetObject the connector sends from now on."""
    ranges: list[str | None] = []
    connector._client().meta.events.register(
        "before-call.s3.GetObject", lambda params, **_: ranges.append(params.get("headers", {}).get("Range"))
    )
    return ranges


def range_length(header: str) -> int:
    first, _, last = header.removeprefix("bytes=").partition("-")
    return int(last) - int(first) + 1


@pytest.fixture
def tree(tmp_path: Path, client: Any, bucket: str) -> str:
    upload_tree(client, bucket, make_tree(tmp_path / "tree"), "tree")
    return bucket


class TestS3Conformance(ConnectorConformance):
    @pytest.fixture
    def connector(self, endpoint: str, tree: str) -> S3Connector:
        return connect(endpoint, tree)

    @pytest.fixture
    def change_item(self, connector: S3Connector, client: Any) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            key = connector.folder + item.item_id
            data = client.get_object(Bucket=connector.bucket, Key=key)["Body"].read()
            client.put_object(Bucket=connector.bucket, Key=key, Body=data[:-1] + b"X")

        return change


def test_items_are_keys_relative_to_the_prefix_read_by_the_file_formats(
    endpoint: str, client: Any, tree: str, tmp_path: Path
) -> None:
    client.put_object(Bucket=tree, Key="tree/docs/", Body=b"")  # a folder marker
    client.put_object(Bucket=tree, Key="treetop.txt", Body=b"not under the prefix\n")
    client.put_object(Bucket=tree, Key="tree/app.db", Body=b"SQLite format 3\x00" + bytes(100))
    connector = connect(endpoint, tree)
    found = entries(connector)
    assert connector.source == f"s3://{tree}/tree"
    assert {k: v.fmt for k, v in found.items() if isinstance(v, ItemRef)} == {
        "docs/notes.txt": "text",
        "docs/small.md": "text",
        "docs/old.log.gz": "text",
        "data/people.csv": "csv",
        "data/people.tsv": "tsv",
        "data/events.jsonl": "jsonl",
        "data/doc.json": "json",
        "data/people.parquet": "parquet",
    }
    assert found["docs/old.log.gz"].compression == "gzip"  # type: ignore[union-attr]
    assert {k: (v.severity, v.reason) for k, v in found.items() if isinstance(v, ItemProblem)} == {
        "data/image.png": ("skipped", "unsupported format .png"),
        "empty.txt": ("skipped", "empty file"),
        "app.db": ("skipped", "SQLite database in S3: copy it locally to scan it"),
    }
    head = client.head_object(Bucket=tree, Key="tree/data/people.csv")
    etag = head["ETag"].strip('"')
    fingerprint = found["data/people.csv"].fingerprint  # type: ignore[union-attr]
    assert fingerprint.startswith(f"{etag}:{head['ContentLength']}:")
    local = LocalConnector(str(tmp_path / "tree"))
    for item in items_of(local):
        remote = found[item.item_id]
        assert isinstance(remote, ItemRef)
        units = connector.plan(remote, 512)
        assert [(u.start, u.stop) for u in units] == [(u.start, u.stop) for u in local.plan(item, 512)]
        assert locations(read_all(connector, units)) == locations(read_all(local, [WorkUnit(item)])), item.item_id


def test_include_and_exclude_globs_apply_to_keys(endpoint: str, tree: str) -> None:
    assert set(entries(connect(endpoint, tree, include="*.csv"))) == {"data/people.csv"}
    kept = set(entries(connect(endpoint, tree, exclude=["docs", "*.parquet"])))
    assert not any(k.startswith("docs/") or k.endswith(".parquet") for k in kept)
    assert "data/people.csv" in kept


def test_a_prefix_naming_one_object_is_a_single_item_source(endpoint: str, tree: str) -> None:
    connector = connect(endpoint, tree, prefix="tree/docs/notes.txt")
    [item] = items_of(connector)
    assert item.item_id == "notes.txt"
    again = pickle.loads(pickle.dumps(connector))
    assert [line for _, line in locations(read_all(again, again.plan(item, 512)))] == text_lines(60)


def test_listing_pages_past_1000_keys(endpoint: str, client: Any, bucket: str) -> None:
    keys = [f"many/part-{n:04d}.txt" for n in range(1050)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=f"{key}\n".encode()), keys))
    connector = connect(endpoint, bucket, prefix="many/")
    calls: list[str] = []
    connector._client().meta.events.register("before-call.s3.ListObjectsV2", lambda **_: calls.append("list"))
    assert sorted(item.item_id for item in items_of(connector)) == [k.removeprefix("many/") for k in keys]
    assert len(calls) == 2


def test_large_object_is_streamed_and_split_with_absolute_line_numbers(endpoint: str, client: Any, bucket: str) -> None:
    lines = [f"2024-05-01T12:00:00Z GET /api/orders/{n} status=200 bytes={n % 9973}" for n in range(1, 330_001)]
    planted = 271_828
    lines[planted - 1] = "2024-05-01T12:00:00Z login ok user=planted.person@example.org"
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 20 << 20
    client.put_object(Bucket=bucket, Key="logs/app.log", Body=data)
    connector = connect(endpoint, bucket, prefix="logs")
    [item] = items_of(connector)
    ranges = record_gets(connector)
    units = connector.plan(item, 4 << 20)
    assert len(units) >= 5
    for unit in units:
        assert unit.start is not None and unit.stop is not None
        assert unit.start == 0 or data[unit.start - 1 : unit.start] == b"\n"
    seen = []
    for unit in units:
        results = list(connector.read(unit))
        assert not problems(results)
        chunks = [r for r in results if isinstance(r, TextChunk)]
        assert chunks[0].first_line == data[: unit.start].count(b"\n") + 1
        seen += locations(chunks)
    assert len(seen) == len(lines)
    assert seen[planted - 1] == (f'{{"line":{planted}}}', lines[planted - 1])
    assert ranges and all(r is not None for r in ranges), "every GET is a ranged GET"
    assert max(range_length(r) for r in ranges) <= MAX_READAHEAD  # type: ignore[arg-type]


def test_parquet_is_read_through_range_requests(endpoint: str, client: Any, bucket: str) -> None:
    buffer = io.BytesIO()
    pq.write_table(people_table(200_000), buffer, row_group_size=20_000)
    data = buffer.getvalue()
    assert len(data) > 1 << 20
    client.put_object(Bucket=bucket, Key="lake/people.parquet", Body=data)
    connector = connect(endpoint, bucket, prefix="lake")
    [item] = items_of(connector)
    ranges = record_gets(connector)
    units = connector.plan(item, 256 << 10)
    assert len(units) > 1
    batches = [r for r in read_all(connector, units) if isinstance(r, TableBatch)]
    emails = [e for b in batches for e in b.batch.column("email").to_pylist()]
    assert emails == [f"person{n}@example.com" for n in range(1, 200_001)]
    assert len(ranges) > len(units) and all(r is not None for r in ranges), "footer and column chunks by range"
    assert max(range_length(r) for r in ranges) < len(data) // 2  # type: ignore[arg-type]
    with S3ObjectFile(connector._client(), bucket, "lake/people.parquet") as stream:
        assert stream.seek(0, io.SEEK_END) == len(data)
        stream.seek(len(data) - 4)
        assert stream.read(4) == b"PAR1" and stream.tell() == len(data)
        assert stream.read(10) == b""


@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_archived_objects_are_skipped(endpoint: str, client: Any, bucket: str, storage_class: str) -> None:
    client.put_object(
        Bucket=bucket, Key="arc/cold.csv", Body=b"id,email\n1,a@example.com\n", StorageClass=storage_class
    )
    client.put_object(Bucket=bucket, Key="arc/warm.csv", Body=b"id,email\n1,b@example.com\n")
    found = entries(connect(endpoint, bucket, prefix="arc"))
    assert isinstance(found["warm.csv"], ItemRef)
    problem = found["cold.csv"]
    assert isinstance(problem, ItemProblem)
    assert (problem.severity, problem.reason) == ("skipped", f"storage class {storage_class} needs a restore")
    client.restore_object(Bucket=bucket, Key="arc/cold.csv", RestoreRequest={"Days": 1})
    restored = entries(connect(endpoint, bucket, prefix="arc"))["cold.csv"]
    assert isinstance(restored, ItemRef)  # a finished restore can be read


def test_a_forbidden_object_fails_alone(endpoint: str, client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="crm/secret.csv", Body=b"id,email\n1,hidden@example.com\n")
    client.put_object(Bucket=bucket, Key="crm/secret", Body=b"no extension: sniffed at listing\n")
    client.put_object(Bucket=bucket, Key="crm/open.csv", Body=b"id,email\n1,open@example.com\n")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::{bucket}/crm/secret.csv", f"arn:aws:s3:::{bucket}/crm/secret"],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    connector = connect(endpoint, bucket, prefix="crm")
    found = entries(connector)
    sniffed = found["secret"]
    assert isinstance(sniffed, ItemProblem) and sniffed.severity == "failed"
    assert sniffed.reason.startswith("access denied to object crm/secret ")
    results = list(connector.read(WorkUnit(found["secret.csv"])))  # type: ignore[arg-type]
    [problem] = problems(results)
    assert (problem.item_id, problem.severity, problem.source) == ("secret.csv", "failed", connector.source)
    assert problem.reason.startswith("access denied to object crm/secret.csv (")
    assert "hidden@" not in problem.reason and "\n" not in problem.reason
    rows = locations(connector.read(WorkUnit(found["open.csv"])))  # type: ignore[arg-type]
    assert rows == [('{"row":1}', (("email", "open@example.com"), ("id", "1")))]


def test_a_missing_bucket_is_a_source_error(endpoint: str) -> None:
    connector = connect(endpoint, "no-such-bucket-piiscan", prefix="x")
    with pytest.raises(SourceError) as caught:
        list(connector.enumerate())
    assert str(caught.value) == "s3://no-such-bucket-piiscan/x: bucket does not exist (NoSuchBucket)"


def test_urls_and_options(endpoint: str) -> None:
    connector = open_source("s3://bkt/some/prefix", endpoint_url=endpoint, follow_symlinks=True)
    assert isinstance(connector, S3Connector)
    assert (connector.bucket, connector.prefix, connector.folder) == ("bkt", "some/prefix", "some/prefix/")
    assert connector.source == "s3://bkt/some/prefix"
    assert S3Connector("s3://bkt").source == "s3://bkt/"
    with pytest.raises(ValueError, match="credential chain"):
        S3Connector("s3://key:secret@bkt/p")
    connector._client()
    state = pickle.loads(pickle.dumps(connector)).__dict__
    assert state["_conn_client"] is None and state["endpoint_url"] == endpoint


def test_scan_and_lookup_through_the_command_line(
    endpoint: str, client: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = csv_rows(20)
    rows[6][2] = "Planted.Subject@Example.net"
    body = "\n".join(["id,name,email", *(",".join(row) for row in rows)]) + "\n"
    client.put_object(Bucket=bucket, Key="export/contacts.csv", Body=body.encode())
    client.put_object(Bucket=bucket, Key="export/cold.txt", Body=b"archived\n", StorageClass="GLACIER")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # boto3 reads it; the CLI has no endpoint option
    index = tmp_path / "idx"
    proc = run_cli("scan", f"s3://{bucket}/export", "--index", str(index), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = lookup_json(index, "--email", "planted.subject@example.net")["locations"]
    assert [(loc["item"], loc["locator"]) for loc in found] == [("contacts.csv", {"row": 7})]
