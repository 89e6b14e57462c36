"""Format readers, through the file connector: locations, encodings, and damaged files."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from piiscan.connectors.base import ItemProblem, ItemRef, TableBatch, TextChunk, WorkUnit
from piiscan.connectors.files import guess_format
from piiscan.connectors.formats.common import TEXT_CHUNK_LINES
from piiscan.connectors.formats.tables import unique_names
from piiscan.connectors.local import LocalConnector
from tests.connectors.conformance import items_of, locations, problems, read_all, reasons, scan_file
from tests.connectors.samples import (
    csv_rows,
    people_table,
    text_lines,
    write_csv,
    write_jsonl,
    write_parquet,
    write_text,
)

SECRET = "jane.doe@example.com"


def scan(path: Path, unit_bytes: int = 1 << 20) -> list[Any]:
    """Every result of a single-file source (enumeration problems included), in one unit unless it is big."""
    return scan_file(path, unit_bytes)


def batches(results: list[Any]) -> list[TableBatch]:
    return [r for r in results if isinstance(r, TableBatch)]


def rows(results: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(locator, scanned values) of every table row."""
    out = []
    for batch in batches(results):
        data = batch.batch.select(batch.scan_columns()).to_pylist()
        out += [(batch.locator(i), row) for i, row in enumerate(data)]
    return out


def split_and_whole(path: Path, unit_bytes: int) -> tuple[list[Any], list[Any], int]:
    connector = LocalConnector(str(path))
    (item,) = items_of(connector)
    units = connector.plan(item, unit_bytes)
    return read_all(connector, units), list(connector.read(WorkUnit(item))), len(units)


# -- detection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", ("text", None, ".txt")),
        ("A/B.LOG", ("text", None, ".log")),
        ("x.md", ("text", None, ".md")),
        ("x.CSV", ("csv", None, ".csv")),
        ("x.tsv.gz", ("tsv", "gzip", ".tsv.gz")),
        ("x.json", ("json", None, ".json")),
        ("x.ndjson", ("jsonl", None, ".ndjson")),
        ("x.jsonl.GZ", ("jsonl", "gzip", ".jsonl.gz")),
        ("x.parquet", ("parquet", None, ".parquet")),
        ("x.xyz", (None, None, ".xyz")),
        ("x.tar.gz", ("tar", "gzip", ".tar.gz")),
        ("x.gz", (None, "gzip", ".gz")),
        ("Makefile", ("", None, "")),
        (".bashrc", ("", None, "")),
    ],
)
def test_guess_format(name: str, expected: tuple[str | None, str | None, str]) -> None:
    assert guess_format(name) == expected


def test_file_without_extension_is_sniffed(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("contact: jane\n")
    (tmp_path / "blob").write_bytes(b"abc\0def")
    (tmp_path / "legacy").write_bytes(b"caf\xe9\n")
    found = {e.item_id: e for e in LocalConnector(str(tmp_path)).enumerate()}
    assert isinstance(found["README"], ItemRef) and found["README"].fmt == "text"
    assert found["blob"].reason == "binary content"  # type: ignore[union-attr]
    assert found["legacy"].reason == "unsupported format (no extension, not UTF-8 text)"  # type: ignore[union-attr]


def test_unsupported_empty_and_binary(tmp_path: Path) -> None:
    (tmp_path / "a.xyz").write_text("x")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes(bytes(random.Random(1).randrange(256) for _ in range(4096)) + b"\0")
    (tmp_path / "d.txt.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "e.csv.gz").write_bytes(gzip.compress(b"a,b\0\n"))
    assert [r for _, r in reasons(scan(tmp_path / "a.xyz"))] == ["unsupported format .xyz"]
    assert reasons(scan(tmp_path / "b.txt")) == [("skipped", "empty file")]
    assert reasons(scan(tmp_path / "c.txt")) == [("skipped", "binary content")]
    assert reasons(scan(tmp_path / "d.txt.gz")) == [("skipped", "empty file")]
    assert reasons(scan(tmp_path / "e.csv.gz")) == [("skipped", "binary content")]


def test_binary_file_split_into_units_reports_once(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"\0" + b"x\n" * 1000)
    assert reasons(scan(path, unit_bytes=100)) == [("skipped", "binary content")]


# -- text -------------------------------------------------------------------------


def test_text_chunks_have_absolute_line_numbers(tmp_path: Path) -> None:
    lines = text_lines(TEXT_CHUNK_LINES * 2 + 5)
    chunks = scan(write_text(tmp_path / "a.txt", lines))
    assert [(c.first_line, len(c.lines)) for c in chunks] == [(1, 2000), (2001, 2000), (4001, 5)]
    assert [line for c in chunks for line in c.lines] == lines


def test_text_line_endings_bom_and_last_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbffirst\r\n\r\nthird\nno newline")
    (chunk,) = scan(path)
    assert chunk.lines == ["first", "", "third", "no newline"]


def test_text_gzip(tmp_path: Path) -> None:
    lines = text_lines(50)
    (chunk,) = scan(write_text(tmp_path / "a.log.gz", lines, gz=True))
    assert chunk.lines == lines and chunk.first_line == 1


def test_split_text_units_give_the_same_lines(tmp_path: Path) -> None:
    split, whole, parts = split_and_whole(write_text(tmp_path / "a.txt", text_lines(300)), unit_bytes=1000)
    assert parts > 5
    assert locations(split) == locations(whole)
    assert [c.first_line for c in split][:2] == [1, 1 + len(split[0].lines)]


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_cp1252_fallback_with_one_note(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"legacy{suffix}"
    body = {
        ".txt": b"caf\xe9 \x80 undefined:\x81\n",
        ".csv": b"name,price\ncaf\xe9,\x80 3\n",
        ".jsonl": b'{"name": "caf\xe9", "price": "\x80 3"}\n',
    }[suffix]
    path.write_bytes(body)
    results = scan(path)
    assert reasons(results) == [("note", "decoded as cp1252 (not valid UTF-8)")]
    if suffix == ".txt":
        assert results[1].lines == ["café € undefined:\x81"]
    else:
        (_, row), *_ = rows(results)
        assert "café" in row.values() and "€ 3" in row.values()


def test_cp1252_note_once_per_unit_and_no_mixed_decoding(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("naïve\n".encode() * 300 + b"caf\xe9\n")  # valid UTF-8 until the very end
    results = scan(path)
    assert reasons(results) == [("note", "decoded as cp1252 (not valid UTF-8)")]
    lines = [line for chunk in results if isinstance(chunk, TextChunk) for line in chunk.lines]
    assert lines == ["naÃ¯ve"] * 300 + ["café"]  # the whole unit in one encoding


# -- CSV / TSV ----------------------------------------------------------------------


def test_csv_columns_are_header_fields_and_rows_are_numbered(tmp_path: Path) -> None:
    results = scan(write_csv(tmp_path / "p.csv", [["1", "Ann", SECRET], ["002", "Bob", ""]]))
    (batch,) = batches(results)
    assert batch.scan_columns() == ["id", "name", "email"]
    assert all(t == pa.string() for t in batch.batch.schema.types)
    assert rows(results) == [
        ({"row": 1}, {"id": "1", "name": "Ann", "email": SECRET}),
        ({"row": 2}, {"id": "002", "name": "Bob", "email": ""}),
    ]


def test_csv_quoted_fields_and_blank_lines_count_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('a,b\n"x, y","multi\nline"\n\n3,4\n')
    assert [(loc["row"], row["a"]) for loc, row in rows(scan(path))] == [(1, "x, y"), (2, ""), (3, "3")]


def test_csv_duplicate_and_empty_header_names_are_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("name,name,,email,name_2\n1,2,3,4,5\n")
    (batch,) = batches(scan(path))
    assert batch.scan_columns() == ["name", "name_3", "column_3", "email", "name_2"]


def test_unique_names() -> None:
    assert unique_names(["a", "a", "", " ", "a_2"]) == ["a", "a_3", "column_3", "column_4", "a_2"]


def test_csv_malformed_rows_are_skipped_counted_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(f"a,b\n1,x\n2,{SECRET},extra\n3,z\nonly-one\n5,w\n")
    results = scan(path)
    assert [(loc["row"], row["a"]) for loc, row in rows(results)] == [(1, "1"), (3, "3"), (5, "5")]
    assert reasons(results) == [("note", "2 malformed rows skipped")]
    assert SECRET not in json.dumps([p.reason for p in problems(results)])


def test_tsv_has_no_quoting(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text('id\tsize\n1\t5" screen\n2\t"quoted"\n')
    assert [row["size"] for _, row in rows(scan(path))] == ['5" screen', '"quoted"']


def test_csv_gzip(tmp_path: Path) -> None:
    results = scan(write_csv(tmp_path / "p.csv.gz", csv_rows(20)))
    assert [loc["row"] for loc, _ in rows(results)] == list(range(1, 21))
    assert rows(results)[4][1] == {"id": "5", "name": "Person 5", "email": "person5@example.com"}


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_split_csv_units_reread_header_and_keep_row_numbers(tmp_path: Path, suffix: str) -> None:
    delimiter = "," if suffix == ".csv" else "\t"
    header = delimiter.join(["id", "name", "email"])
    path = write_csv(tmp_path / f"p{suffix}", csv_rows(500), header=header, delimiter=delimiter)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a BOM must not end up in a column name
    split, whole, parts = split_and_whole(path, unit_bytes=2000)
    assert parts > 5
    assert rows(split) == rows(whole)
    assert len(rows(split)) == 500 and not problems(split)
    assert all(loc == {"row": int(row["id"])} for loc, row in rows(split))
    assert {tuple(b.scan_columns()) for b in batches(split)} == {("id", "name", "email")}


def test_csv_header_only(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    assert scan(path) == []


# -- JSON Lines -------------------------------------------------------------------


def test_jsonl_fields_are_flattened_paths(tmp_path: Path) -> None:
    records = [
        {"name": "Ann", "contact": {"email": SECRET, "phones": ["1", "2"]}, "age": 31, "vip": True, "x": None},
        {"name": "Bob", "orders": [{"id": 1}, {"id": 2.5}], "tags": []},
    ]
    results = scan(write_jsonl(tmp_path / "a.jsonl", records))
    assert rows(results) == [
        (
            {"row": 1},
            {
                "$.name": "Ann",
                "$.contact.email": SECRET,
                "$.contact.phones[*]": "1\n2",
                "$.age": "31",
                "$.vip": "true",
                "$.x": None,
                "$.orders[*].id": None,
            },
        ),
        (
            {"row": 2},
            {
                "$.name": "Bob",
                "$.contact.email": None,
                "$.contact.phones[*]": None,
                "$.age": None,
                "$.vip": None,
                "$.x": None,
                "$.orders[*].id": "1\n2.5",
            },
        ),
    ]


def test_jsonl_rows_are_line_numbers_and_invalid_lines_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text(f'{{"a": 1}}\n\n{{"a": "{SECRET}"\n{{"a": 4}}\n{{"weird key": 5}}\n')
    results = scan(path)
    assert [loc for loc, _ in rows(results)] == [{"row": 1}, {"row": 4}, {"row": 5}]
    assert rows(results)[2][1]["$['weird key']"] == "5"
    assert reasons(results) == [("note", "1 invalid JSON line skipped")]
    assert SECRET not in json.dumps(reasons(results))


def test_jsonl_gzip_and_split(tmp_path: Path) -> None:
    records = [{"n": n, "email": f"u{n}@example.com"} for n in range(1, 301)]
    gz = scan(write_jsonl(tmp_path / "a.jsonl.gz", records))
    assert [loc["row"] for loc, _ in rows(gz)] == list(range(1, 301))
    split, whole, parts = split_and_whole(write_jsonl(tmp_path / "a.jsonl", records), unit_bytes=1500)
    assert parts > 3
    assert rows(split) == rows(whole) == rows(gz)


# -- JSON documents -----------------------------------------------------------------


def test_json_document_records_and_paths(tmp_path: Path) -> None:
    document = {
        "owner": {"name": "Olga"},
        "customers": [
            {"email": SECRET, "address": {"city": "Oslo"}, "tags": ["a", "b"]},
            {"email": "b@example.com", "orders": [{"card": "4111"}]},
            "stray",
        ],
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(document))
    assert rows(scan(path)) == [
        ({"json_path": "$"}, {"$.owner.name": "Olga", "$.customers[*]": "stray"}),
        (
            {"json_path": "$.customers[0]"},
            {"$.customers[*].email": SECRET, "$.customers[*].address.city": "Oslo", "$.customers[*].tags[*]": "a\nb"},
        ),
        (
            {"json_path": "$.customers[1]"},
            {
                "$.customers[*].email": "b@example.com",
                "$.customers[*].address.city": None,
                "$.customers[*].tags[*]": None,
            },
        ),
        ({"json_path": "$.customers[1].orders[0]"}, {"$.customers[*].orders[*].card": "4111"}),
    ]


def test_json_top_level_array_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "d.json.gz"
    path.write_bytes(gzip.compress(json.dumps([{"a": 1}, {"a": 2}, [{"b": 3}]]).encode()))
    assert rows(scan(path)) == [
        ({"json_path": "$[0]"}, {"$[*].a": "1"}),
        ({"json_path": "$[1]"}, {"$[*].a": "2"}),
        ({"json_path": "$[2][0]"}, {"$[*][*].b": "3"}),
    ]


def test_json_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"email": SECRET}).encode())
    assert rows(scan(path)) == [({"json_path": "$"}, {"$.email": SECRET})]


def test_invalid_json_is_failed_with_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(f'{{\n"a": 1,\n"b": {SECRET}\n}}')
    assert reasons(scan(path)) == [("failed", "invalid JSON at line 3")]


# -- Parquet ------------------------------------------------------------------------


def test_parquet_rows_are_numbered_across_row_groups(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "p.parquet", people_table(95), row_group_size=10)
    split, whole, parts = split_and_whole(path, unit_bytes=600)
    assert parts > 2
    assert rows(split) == rows(whole)
    assert [loc["row"] for loc, _ in rows(split)] == list(range(1, 96))
    assert rows(split)[41] == ({"row": 42}, {"id": "42", "email": "person42@example.com", "score": "21"})


@pytest.mark.parametrize(
    ("groups_per_unit_limit", "expected_units"),
    [
        pytest.param(0.9, 10, id="each group alone when one is nearly the limit"),
        pytest.param(1.5, 10, id="two groups would pass the limit: one each"),
        pytest.param(2.5, 5, id="two groups fit"),
        pytest.param(100, 1, id="the whole file fits"),
    ],
)
def test_parquet_units_close_before_passing_the_limit(
    tmp_path: Path, groups_per_unit_limit: float, expected_units: int
) -> None:
    path = write_parquet(tmp_path / "p.parquet", people_table(100), row_group_size=10)
    metadata = pq.ParquetFile(path).metadata
    group = metadata.row_group(0)
    stored = sum(group.column(c).total_compressed_size for c in range(group.num_columns))
    connector = LocalConnector(str(tmp_path))
    (item,) = items_of(connector)
    units = connector.plan(item, int(stored * groups_per_unit_limit))
    assert len(units) == expected_units
    assert rows(read_all(connector, units)) == rows(list(connector.read(WorkUnit(item))))


def test_parquet_columns_become_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "when": pa.array([0], pa.timestamp("s")),
            "contact": pa.array([{"email": SECRET, "photo": b"\x00"}]),
            "phones": pa.array([["1", "2"]]),
            "raw": pa.array([b"\x00\x01"]),
            "cat": pa.array(["x"]).dictionary_encode(),
            "flag": pa.array([None], pa.bool_()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    (batch,) = batches(scan(path))
    assert all(t == pa.string() for t in batch.batch.schema.types)
    assert batch.batch.to_pylist() == [
        {"when": "1970-01-01 00:00:00.000", "contact.email": SECRET, "phones": '["1", "2"]', "cat": "x", "flag": None}
    ]


def test_parquet_gzip(tmp_path: Path) -> None:
    plain = write_parquet(tmp_path / "p.parquet", people_table(30))
    (tmp_path / "p.parquet.gz").write_bytes(gzip.compress(plain.read_bytes()))
    assert rows(scan(tmp_path / "p.parquet.gz")) == rows(scan(plain))


def test_parquet_large_batches_are_capped(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "big.parquet", pa.table({"n": range(70_000)}), row_group_size=70_000)
    assert [(b.first_row, b.batch.num_rows) for b in batches(scan(path))] == [(1, 65_536), (65_537, 4_464)]


# -- damaged files --------------------------------------------------------------------


def test_truncated_gzip_keeps_chunks_read_before(tmp_path: Path) -> None:
    lines = [f"{n} {random.Random(n).getrandbits(64):x}" for n in range(60_000)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    results = scan(path)
    chunks = [r for r in results if isinstance(r, TextChunk)]
    assert results[-1] == ItemProblem(
        "cut.txt.gz", "failed", "truncated gzip stream", source=f"file://{path}", size=path.stat().st_size
    )
    assert chunks and len(problems(results)) == 1
    got = [line for c in chunks for line in c.lines]
    assert got == lines[: len(got)]


def test_truncated_gzip_csv_keeps_rows_read_before(tmp_path: Path) -> None:
    rows_in = [[str(n), f"{random.Random(n).getrandbits(64):x}", "x"] for n in range(1, 200_001)]
    path = write_csv(tmp_path / "cut.csv.gz", rows_in)
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 4])
    results = scan(path)
    got = rows(results)
    assert reasons(results) == [("failed", "truncated gzip stream")]
    assert len(got) > 100_000
    assert all(loc == {"row": int(row["id"])} for loc, row in got)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    assert [s for s, _ in reasons(scan(path))] == ["failed"]


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_parquet(tmp_path: Path, cut: float) -> None:
    path = write_parquet(tmp_path / "p.parquet", people_table(100))
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * cut)])
    assert reasons(scan(path, unit_bytes=100)) == [("failed", "not a Parquet file (bad footer)")]


def test_random_bytes_named_parquet(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(bytes(random.Random(2).randrange(256) for _ in range(5000)))
    assert reasons(scan(path)) == [("failed", "not a Parquet file (bad footer)")]


def test_parquet_with_corrupt_pages(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "p.parquet", people_table(1000), row_group_size=1000)
    data = bytearray(path.read_bytes())
    for i in range(100, 2000):
        data[i] = (data[i] * 7 + 3) % 256
    path.write_bytes(bytes(data))
    (reason,) = reasons(scan(path))
    assert reason[0] == "failed" and "Parquet" in reason[1]


def test_json_columns_expand_into_one_field_per_path() -> None:
    import pyarrow as pa

    from piiscan.connectors.formats import jsonpath

    batch = pa.RecordBatch.from_pydict(
        {
            "id": ["1", "2", "3"],
            "doc": ['{"contact": {"email": "a@example.com"}, "tags": ["x", "y"]}', None, "not json"],
        }
    )
    out = jsonpath.expand_json_columns(batch, ["doc"])
    assert out.schema.names == ["id", "doc.contact.email", "doc.tags[*]", "doc"]
    assert out.column("doc.contact.email").to_pylist() == ["a@example.com", None, None]
    assert out.column("doc.tags[*]").to_pylist() == ["x\ny", None, None]
    assert out.column("doc").to_pylist() == [None, None, "not json"]  # not JSON: kept whole
    many = pa.RecordBatch.from_pydict({"doc": [f'{{"k{i}": 1}}' for i in range(jsonpath.MAX_JSON_FIELDS + 1)]})
    assert jsonpath.expand_json_columns(many, ["doc"]).schema.names == ["doc"]  # free-form: scanned as text
    clash = pa.RecordBatch.from_pydict({"doc.a": ["x"], "doc": ['{"a": "y"}']})
    assert jsonpath.expand_json_columns(clash, ["doc"]).schema.names == ["doc.a", "doc"]
