"""Erasure in gzip-compressed files and Parquet files, on real files, with spans from a real scan.

One person's values are erased; another person's values in the same file (the same line, the same
cell, the same row group) stay exactly as they were, and so does everything else the format holds
(a gzip header's time stamp and name; a Parquet file's schema, key-value metadata, row groups and
codecs)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from piiscan.connectors.erase_files import LocalFileEraser
from piiscan.connectors.erasers import REDACTION, Span
from tests.connectors.test_erase_files import digest, planned, scan_spans

pytestmark = pytest.mark.usefixtures("aws_env")

SUBJECT = "jane.doe@example.com"
OTHER = "bob.jones@example.net"


def gzipped(data: bytes, name: str, mtime: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=out, mtime=mtime) as zipped:
        zipped.write(data)
    return out.getvalue()


def stored_header(raw: bytes) -> tuple[int, bytes | None]:
    """A gzip member's time stamp and stored file name (RFC 1952; no extra field here)."""
    assert raw[:2] == b"\x1f\x8b" and not raw[3] & 0x04
    name = raw[10 : raw.index(b"\0", 10)] if raw[3] & 0x08 else None
    return int.from_bytes(raw[4:8], "little"), name


def subject_spans(spans: tuple[Span, ...], values: dict[str, str], path_text: str) -> tuple[Span, ...]:
    """The spans whose text is the subject's e-mail address (``values``: the text each locator holds)."""
    return tuple(s for s in spans if values[path_text.format(**s.locator)][s.start : s.end] == SUBJECT)


def test_a_gzipped_log_and_jsonl_keep_the_other_persons_values_and_the_header(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    log = f"2024-01-02 login {SUBJECT} and {OTHER}\nnothing here\n{OTHER} again\n".encode()
    jsonl = f'{{"id": 1, "email": "{SUBJECT}", "cc": "{OTHER}"}}\n{{"id": 2, "email": "{OTHER}"}}\n'.encode()
    (estate / "app.log.gz").write_bytes(gzipped(log, "app.log", 1_600_000_000))
    (estate / "people.jsonl.gz").write_bytes(gzipped(jsonl, "", 1_700_000_000))
    spans = scan_spans(str(estate), tmp_path)
    lines = {str(n): line for n, line in enumerate(log.decode().splitlines(), 1)}
    mine = subject_spans(spans["app.log.gz"], lines, "{line}")
    assert len(mine) == 1 and len(spans["app.log.gz"]) == 3
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)

    action = planned(eraser, "app.log.gz", spans=mine)
    assert not action.reason
    [result] = eraser.execute("app.log.gz", [action])
    assert result.outcome == "done"
    raw = (estate / "app.log.gz").read_bytes()
    assert gzip.decompress(raw) == log.replace(SUBJECT.encode(), REDACTION.encode())
    assert stored_header(raw) == (1_600_000_000, b"app.log")
    assert digest(raw) == action.after

    rows = [s for s in spans["people.jsonl.gz"] if s.locator["row"] == 1 and s.field == "$.email"]
    action = planned(eraser, "people.jsonl.gz", spans=tuple(rows))
    assert not action.reason
    [result] = eraser.execute("people.jsonl.gz", [action])
    assert result.outcome == "done"
    raw = (estate / "people.jsonl.gz").read_bytes()
    assert gzip.decompress(raw) == jsonl.replace(SUBJECT.encode(), REDACTION.encode(), 1)
    assert stored_header(raw) == (1_700_000_000, None)
    assert scan_spans(str(estate), tmp_path).keys() == {"app.log.gz", "people.jsonl.gz"}  # Bob is still found


def write_parquet(path: Path) -> None:
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("email", pa.string()),
            ("note", pa.large_string()),
            ("joined", pa.date32()),
            ("segment", pa.dictionary(pa.int32(), pa.string())),
        ],
        metadata={"owner": "crm export", "version": "3"},
    )
    table = pa.table(
        {
            "id": [1, 2, 3, 4, 5],
            "email": [SUBJECT, OTHER, None, "carl@example.org", SUBJECT],
            "note": ["", f"met {SUBJECT} with {OTHER}", "no contact", "", "again"],
            "joined": pa.array([19000, 19001, 19002, 19003, 19004], type=pa.date32()),
            "segment": pa.array(["a", "b", "a", "c", "b"]).dictionary_encode(),
        },
        schema=schema,
    )
    codecs = {"id": "zstd", "email": "snappy", "note": "gzip", "joined": "none", "segment": "snappy"}
    pq.write_table(table, path, row_group_size=2, compression=codecs)


def codecs(metadata: pq.FileMetaData) -> list[list[str]]:
    return [
        [metadata.row_group(g).column(c).compression for c in range(metadata.num_columns)]
        for g in range(metadata.num_row_groups)
    ]


def test_parquet_cells_are_rewritten_and_everything_else_is_kept(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    write_parquet(estate / "people.parquet")
    original = pq.ParquetFile(estate / "people.parquet")
    before = original.read()
    spans = scan_spans(str(estate), tmp_path)["people.parquet"]
    cells = {f"{r}:{c}": v for c in ("email", "note") for r, v in enumerate(before.column(c).to_pylist(), 1)}
    mine = tuple(s for s in spans if (cells.get(f"{s.locator['row']}:{s.field}") or "")[s.start : s.end] == SUBJECT)
    assert len(mine) == 3  # rows 1 and 5 (their own cells) and row 2's note, shared with Bob
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    action = planned(eraser, "people.parquet", spans=mine)
    assert not action.reason
    [result] = eraser.execute("people.parquet", [action])
    assert result.outcome == "done"

    rewritten = pq.ParquetFile(estate / "people.parquet")
    after = rewritten.read()
    assert after.schema == before.schema and after.schema.metadata == before.schema.metadata
    assert [rewritten.metadata.row_group(g).num_rows for g in range(rewritten.metadata.num_row_groups)] == [2, 2, 1]
    assert codecs(rewritten.metadata) == codecs(original.metadata)
    assert after.column("email").to_pylist() == [REDACTION, OTHER, None, "carl@example.org", REDACTION]
    assert after.column("note").to_pylist() == ["", f"met {REDACTION} with {OTHER}", "no contact", "", "again"]
    for name in ("id", "joined", "segment"):
        assert after.column(name).equals(before.column(name))
    assert digest((estate / "people.parquet").read_bytes()) == action.after


def test_a_parquet_file_changed_after_the_plan_is_refused(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    write_parquet(estate / "people.parquet")
    spans = scan_spans(str(estate), tmp_path)["people.parquet"]
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    action = planned(eraser, "people.parquet", spans=spans)
    assert not action.reason
    pq.write_table(pa.table({"email": [SUBJECT]}), estate / "people.parquet")
    changed = (estate / "people.parquet").read_bytes()
    [refused] = eraser.execute("people.parquet", [action])
    assert refused.outcome == "refused" and "changed since the plan" in refused.detail
    assert (estate / "people.parquet").read_bytes() == changed


def test_a_value_in_a_parquet_column_that_is_not_a_string_is_manual(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    pq.write_table(
        pa.table({"contact": pa.array([{"email": SUBJECT}]), "phone": pa.array([447700900123])}),
        estate / "nested.parquet",
    )
    eraser = LocalFileEraser("file://" + estate.as_posix(), digest)
    for span in (Span({"row": 1}, "contact.email", 0, len(SUBJECT)), Span({"row": 1}, "phone", 0, 12)):
        reason = planned(eraser, "nested.parquet", spans=(span,)).reason
        assert reason.endswith("erase by hand") and "not in a string column" in reason, reason
        assert SUBJECT not in reason
