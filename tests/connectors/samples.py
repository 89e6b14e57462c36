"""Small sample files for connector tests (fake personal data only)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def text_lines(count: int) -> list[str]:
    return [f"line {n}: contact person{n}@example.com" for n in range(1, count + 1)]


def write_text(path: Path, lines: list[str], *, gz: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def csv_rows(count: int) -> list[list[str]]:
    return [[str(n), f"Person {n}", f"person{n}@example.com"] for n in range(1, count + 1)]


def write_csv(path: Path, rows: list[list[str]], *, header: str = "id,name,email", delimiter: str = ",") -> Path:
    lines = [header] + [delimiter.join(row) for row in rows]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def write_jsonl(path: Path, records: list[object]) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def people_table(count: int) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(1, count + 1), pa.int64()),
            "email": [f"person{n}@example.com" for n in range(1, count + 1)],
            "score": [n / 2 for n in range(1, count + 1)],
        }
    )


def write_parquet(path: Path, table: pa.Table, row_group_size: int = 10) -> Path:
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def make_tree(root: Path) -> Path:
    """A directory with every supported format, some big enough to split at 512 bytes."""
    (root / "docs").mkdir(parents=True)
    (root / "data").mkdir()
    write_text(root / "docs" / "notes.txt", text_lines(60))
    write_text(root / "docs" / "small.md", ["# Title", "mail: a@example.com"])
    write_text(root / "docs" / "old.log.gz", text_lines(30), gz=True)
    write_csv(root / "data" / "people.csv", csv_rows(50))
    write_csv(root / "data" / "people.tsv", csv_rows(40), header="id\tname\temail", delimiter="\t")
    write_jsonl(root / "data" / "events.jsonl", [{"n": n, "user": {"email": f"u{n}@example.com"}} for n in range(30)])
    (root / "data" / "doc.json").write_text(json.dumps({"customers": [{"email": "c@example.com"}], "owner": "o"}))
    write_parquet(root / "data" / "people.parquet", people_table(100), row_group_size=10)
    (root / "data" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    (root / "empty.txt").write_bytes(b"")
    return root
