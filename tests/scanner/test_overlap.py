"""Sources that overlap reach some items twice: each item is scanned once, under its first reach, and the
process pool and Dask write the same index, item for item, as a scan of the estate named once."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from tests.conftest import require_dask, run_cli

#: columns that differ between two scans of the same data (which scan, when)
VOLATILE = {"scan_id", "scanned_at"}
DATASETS = ("items", "occurrences", "links", "references")


def make_estate(root: Path) -> Path:
    """Files at the top, in a subfolder (with an unsupported file, skipped) and a SQLite database with three
    tables in ``db/``."""
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "db").mkdir()
    (root / "x.csv").write_text(
        "name,email,phone\n" + "".join(f"Person {n},person{n}@example.com,+44 20 7946 0{n:03d}\n" for n in range(40))
    )
    (root / "notes.txt").write_text("call alice.smith@example.com on 020 7946 0555\n" * 5)
    (root / "sub" / "a.txt").write_text("".join(f"ticket {n}: sub{n}@example.org\n" for n in range(30)))
    (root / "sub" / "deeper" / "b.jsonl").write_text(
        "".join(json.dumps({"id": n, "email": f"deep{n}@example.net"}) + "\n" for n in range(20))
    )
    (root / "sub" / "photo.bin").write_bytes(bytes(range(256)) * 8)
    with sqlite3.connect(root / "db" / "shop.sqlite") as conn:
        conn.executescript(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), card TEXT);
            CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
            """
        )
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)", [(n, f"Customer {n}", f"shop{n}@example.com") for n in range(25)]
        )
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(n, n % 25, "4111 1111 1111 1111") for n in range(50)])
        conn.executemany("INSERT INTO notes VALUES (?, ?)", [(n, f"rang +44 7700 900{n:03d}") for n in range(10)])
    conn.close()
    return root


def scan(index: Path, *sources: str, executor: str = "pool", extra: tuple[str, ...] = ()) -> dict[str, Any]:
    args = ["scan", *sources, "--index", str(index), "--no-ner", "--workers", "2", "--format", "json", "--quiet"]
    if executor == "dask":
        args += ["--executor", "dask"]
    proc = run_cli(*args, *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def index_rows(index: Path) -> dict[str, Counter]:
    """Every row of each dataset, without scan ids and times, as a multiset (a row written twice counts twice)."""
    out = {}
    for name in DATASETS:
        folder = index / name
        table = ds.dataset(folder, format="parquet").to_table() if any(folder.rglob("*.parquet")) else None
        rows = [] if table is None else table.drop([c for c in table.column_names if c in VOLATILE]).to_pylist()
        out[name] = Counter(json.dumps(row, sort_keys=True, default=str) for row in rows)
    return out


def assert_same_index(tmp_path: Path, sources: list[str], alone: list[str], reached_twice: int, **kw: Any) -> None:
    """Pool and Dask scans of ``sources`` give the same rows as a pool scan of ``alone`` (the estate named
    once), with no row twice, and both say how many items they reached twice."""
    require_dask()
    baseline = scan(tmp_path / "alone", *alone, **kw)
    expected = index_rows(tmp_path / "alone")
    assert baseline["items_reached_twice"] == 0
    assert sum(expected["occurrences"].values()) == sum(baseline["findings_by_entity"].values()) > 0
    for executor in ("pool", "dask"):
        summary = scan(tmp_path / executor, *sources, executor=executor, **kw)
        assert summary["status"] == "completed", executor
        assert summary["items_reached_twice"] == reached_twice, executor
        assert summary["findings_by_entity"] == baseline["findings_by_entity"], executor
        for field in ("items_scanned", "items_skipped", "items_failed", "records", "units"):
            assert summary[field] == baseline[field], (executor, field)
        rows = index_rows(tmp_path / executor)
        for name in DATASETS:
            assert rows[name] == expected[name], (executor, name)
        assert max(rows["occurrences"].values()) == 1, "an occurrence was written twice"
        items = [json.loads(r) for r in rows["items"]]
        assert len({(i["source"], i["item_key"]) for i in items}) == len(items), "an item was recorded twice"


def test_folder_and_the_database_inside_it(tmp_path):
    root = make_estate(tmp_path / "E")
    database = f"sqlite:///{root / 'db' / 'shop.sqlite'}"
    assert_same_index(tmp_path, [str(root), database], [str(root)], reached_twice=3)
    # the tables are items: a lookup finds their rows (Dask used to leave them out of the items table)
    found = json.loads(
        run_cli(
            "lookup", "--index", str(tmp_path / "dask"), "--email", "shop7@example.com", "--format", "json", check=True
        ).stdout
    )
    assert found["counts"]["locations"] == 1


def test_nested_folders_and_a_link_to_the_estate(tmp_path):
    root = make_estate(tmp_path / "E")
    link = tmp_path / "L"
    link.symlink_to(root, target_is_directory=True)
    # E/sub holds a.txt, deeper/b.jsonl and photo.bin (skipped: a problem is reached twice too); L/sub/deeper
    # is the same b.jsonl again through a link
    sources = [str(root), str(root / "sub"), str(link / "sub" / "deeper")]
    assert_same_index(tmp_path, sources, [str(root)], reached_twice=4)


def test_a_file_reached_twice(tmp_path):
    root = make_estate(tmp_path / "E")
    assert_same_index(tmp_path, [str(root), str(root / "x.csv")], [str(root)], reached_twice=1)


def test_a_file_source_before_its_folder_keeps_the_first_reach(tmp_path):
    """The first reach wins: the file is recorded under its own source, and the folder does not scan it again."""
    root = make_estate(tmp_path / "E")
    summary = scan(tmp_path / "index", str(root / "x.csv"), str(root))
    assert summary["items_reached_twice"] == 1
    items = [json.loads(r) for r in index_rows(tmp_path / "index")["items"]]
    csv_rows = [(i["source"], i["item"]) for i in items if i["item"].endswith("x.csv")]
    assert csv_rows == [(f"file://{root / 'x.csv'}", "x.csv")]


def test_a_later_overlap_retires_the_rows_of_the_second_name(tmp_path):
    """E/sub scanned alone, then E and E/sub together: E/sub's items now live under E, and their old rows
    under E/sub are retired, so a lookup finds each place once."""
    root = make_estate(tmp_path / "E")
    index = tmp_path / "index"
    scan(index, str(root / "sub"))
    scan(index, str(root), str(root / "sub"))
    found = json.loads(
        run_cli("lookup", "--index", str(index), "--email", "sub3@example.org", "--format", "json", check=True).stdout
    )
    assert found["counts"]["locations"] == 1


# -- the same S3 prefix twice ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("aws_env")
def test_the_same_s3_prefix_twice(tmp_path, endpoint, client, bucket):
    root = make_estate(tmp_path / "E")
    (root / "db" / "shop.sqlite").unlink()  # a database in a bucket is skipped, not opened: keep to files
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        client.put_object(Bucket=bucket, Key=f"estate/{path.relative_to(root).as_posix()}", Body=path.read_bytes())
    prefix = f"s3://{bucket}/estate"
    sources = [prefix, prefix + "/", f"{prefix}/sub"]  # 5 objects again, then 3 of them
    assert_same_index(tmp_path, sources, [prefix], reached_twice=5 + 3, extra=("--endpoint-url", endpoint))


# -- one database named by two URLs ---------------------------------------------------------------------------
def test_the_same_postgres_database_through_two_urls(tmp_path):
    from tests.db_support import PG_HOST, PG_USER, pg_database, pg_execute, pg_url

    with pg_database() as name:
        pg_execute(
            name,
            "CREATE TABLE customers (id int PRIMARY KEY, email text);"
            "INSERT INTO customers SELECT n, 'pg' || n || '@example.com' FROM generate_series(1, 30) n;"
            "CREATE TABLE notes (id int PRIMARY KEY, body text);"
            "INSERT INTO notes VALUES (1, 'call +44 20 7946 0123');",
        )
        url = pg_url(name)
        other = f"postgresql://{PG_USER}@{PG_HOST}/{name}?application_name=piiscan-test"  # default port, an option
        assert_same_index(tmp_path, [url, other], [url], reached_twice=2)
