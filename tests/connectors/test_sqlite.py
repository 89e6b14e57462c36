"""SQLiteConnector: keys and locators, splitting, read-only access, Chinook."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors.base import TABLE_UNIT_ROWS, ItemProblem, ItemRef, SourceError, TableBatch, WorkUnit
from piiscan.connectors.sql.sqlite import BATCH_ROWS, SQLiteConnector, sqlite_path
from tests.conftest import shared_dataset
from tests.connectors.conformance import ConnectorConformance, items_of, problems, read_all

SCHEMA = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT, score REAL, photo BLOB, note);
CREATE TABLE enrollment (student TEXT, course INTEGER, grade TEXT, PRIMARY KEY (student, course));
CREATE TABLE log (msg TEXT, at INTEGER);
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE counter (n INTEGER PRIMARY KEY, label TEXT) WITHOUT ROWID;
CREATE VIEW customer_emails AS SELECT email FROM customer;
"""


def make_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO customer VALUES (?, ?, ?, ?, ?)",
            [(n, f"person{n}@example.com", n / 2, b"\x89PNG", None) for n in range(1, 401)],
        )
        conn.execute("DELETE FROM customer WHERE id % 7 = 0")  # gaps in the key
        conn.executemany("INSERT INTO enrollment VALUES (?, ?, ?)", [(f"s{n % 30}", 100 + n, "A") for n in range(150)])
        conn.executemany("INSERT INTO log VALUES (?, ?)", [(f"login by u{n}@example.com", n) for n in range(200)])
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [(f"key{n:03}", f"value {n}") for n in range(100)])
        conn.executemany("INSERT INTO counter VALUES (?, ?)", [(n * 3, f"label {n}") for n in range(300)])
    conn.close()
    return path


def batches_of(connector: SQLiteConnector, table: str, unit_bytes: int = 1 << 30) -> list[TableBatch]:
    item = next(i for i in items_of(connector) if i.item_id == table)
    results = read_all(connector, connector.plan(item, unit_bytes))
    assert not problems(results)
    return results


def rows_of(batches: list[TableBatch]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for batch in batches:
        data = batch.batch.select(batch.scan_columns()).to_pylist()
        out += [(batch.locator(i), row) for i, row in enumerate(data)]
    return out


class TestSQLiteConformance(ConnectorConformance):
    unit_bytes = 4096

    @pytest.fixture
    def connector(self, tmp_path: Path) -> SQLiteConnector:
        return SQLiteConnector(f"sqlite:///{make_db(tmp_path / 'test.db')}")

    @pytest.fixture
    def change_item(self, connector: SQLiteConnector) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            assert item.item_id == "counter"  # the first table by name
            time.sleep(0.02)  # let the file's mtime move past the timestamp granularity
            with sqlite3.connect(connector.path) as conn:  # an update in place: same count, same keys
                conn.execute("UPDATE counter SET label = 'changed' WHERE n = 3")
            conn.close()

        return change


@pytest.fixture
def db(tmp_path: Path) -> SQLiteConnector:
    return SQLiteConnector(f"sqlite:///{make_db(tmp_path / 'test.db')}")


def test_enumerates_tables_with_counts_and_fingerprints(db: SQLiteConnector) -> None:
    items = {i.item_id: i for i in items_of(db)}
    assert list(items) == ["counter", "customer", "enrollment", "kv", "log"]
    customer = items["customer"]
    mtime_ns = db.path.stat().st_mtime_ns
    assert (customer.fmt, customer.rows, customer.fingerprint) == ("table", 343, f"343:400:{mtime_ns}")
    assert items["kv"].fingerprint == f"100::{mtime_ns}"  # WITHOUT ROWID: no max rowid
    assert customer.size > 4096 and customer.source == f"sqlite:///{db.path}"


def test_integer_primary_key_locators_keep_native_ints(db: SQLiteConnector) -> None:
    batches = batches_of(db, "customer")
    (locator, row), *_ = rows_of(batches)
    assert locator == {"primary_key": {"id": 1}}
    assert row == {"id": "1", "email": "person1@example.com", "score": "0.5", "note": None}
    assert batches[0].scan_columns() == ["id", "email", "score", "note"]  # BLOB photo and __rowid__ not scanned
    assert batches[0].hidden_columns == ("__rowid__",)


def test_composite_primary_key(db: SQLiteConnector) -> None:
    rows = rows_of(batches_of(db, "enrollment"))
    assert len(rows) == 150
    assert rows[0] == (
        {"primary_key": {"student": "s0", "course": 100}},
        {"student": "s0", "course": "100", "grade": "A"},
    )


def test_table_without_primary_key_uses_hidden_rowid(db: SQLiteConnector) -> None:
    batches = batches_of(db, "log")
    rows = rows_of(batches)
    assert rows[4] == ({"rowid": 5}, {"msg": "login by u4@example.com", "at": "4"})
    assert batches[0].key_kind == "rowid" and "__rowid__" not in batches[0].scan_columns()


def test_without_rowid_table_pages_by_primary_key(db: SQLiteConnector) -> None:
    batches = batches_of(db, "kv")
    assert rows_of(batches)[0] == ({"primary_key": {"k": "key000"}}, {"k": "key000", "v": "value 0"})
    assert batches[0].hidden_columns == () and batches[0].batch.schema.names == ["k", "v"]


@pytest.mark.parametrize("table", ["customer", "counter"])
def test_large_tables_split_into_integer_ranges(db: SQLiteConnector, table: str) -> None:
    item = next(i for i in items_of(db) if i.item_id == table)
    units = db.plan(item, 2048)
    assert len(units) > 1
    assert units[0].start is None and units[-1].stop is None
    assert all(a.stop == b.start for a, b in itertools.pairwise(units))
    split = rows_of(read_all(db, units))
    assert split == rows_of(list(db.read(WorkUnit(item))))
    assert len(split) == item.rows


def test_composite_or_text_keys_are_not_split(db: SQLiteConnector) -> None:
    items = {i.item_id: i for i in items_of(db)}
    assert len(db.plan(items["kv"], 1)) == 1
    assert len(db.plan(items["enrollment"], 1)) > 1  # a rowid table: split by rowid


def test_batches_hold_at_most_batch_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", ((str(n),) for n in range(BATCH_ROWS * 2 + 10)))
    conn.close()
    connector = SQLiteConnector(str(path))
    (item,) = items_of(connector)
    batches = read_all(connector, [WorkUnit(item)])  # one unit (plan would cut it at TABLE_UNIT_ROWS)
    assert [b.batch.num_rows for b in batches] == [BATCH_ROWS, BATCH_ROWS, 10]
    assert batches[1].locator(0) == {"rowid": BATCH_ROWS + 1}
    units = connector.plan(item, 1 << 30)
    assert len(units) == -(-(BATCH_ROWS * 2 + 10) // TABLE_UNIT_ROWS)  # by rows, whatever the bytes


def test_views_only_on_request(tmp_path: Path) -> None:
    path = make_db(tmp_path / "v.db")
    assert "customer_emails" not in {i.item_id for i in items_of(SQLiteConnector(str(path)))}
    with_views = SQLiteConnector(str(path), include_views=True)
    batches = batches_of(with_views, "customer_emails")
    assert rows_of(batches)[0] == ({"row": 1}, {"email": "person1@example.com"})


def test_odd_values_and_shadowed_rowid(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "odd ""name""" (rowid TEXT, mixed, __rowid__ TEXT)')
        conn.execute("INSERT INTO \"odd \"\"name\"\"\" VALUES ('r', X'00FF', 'h')")
        conn.execute("INSERT INTO \"odd \"\"name\"\"\" VALUES ('s', CAST(X'63AF' AS TEXT), 'i')")
        conn.execute('INSERT INTO "odd ""name""" VALUES (\'t\', 12345678901234, NULL)')
    conn.close()
    batches = batches_of(SQLiteConnector(str(path)), 'odd "name"')
    assert batches[0].hidden_columns == ("__rowid___",)
    assert rows_of(batches) == [
        ({"rowid": 1}, {"rowid": "r", "mixed": None, "__rowid__": "h"}),  # a blob value is not scanned
        ({"rowid": 2}, {"rowid": "s", "mixed": "c¯", "__rowid__": "i"}),  # invalid UTF-8 text still read
        ({"rowid": 3}, {"rowid": "t", "mixed": "12345678901234", "__rowid__": None}),
    ]


def test_nullable_text_key_falls_back_to_rowid(tmp_path: Path) -> None:
    path = tmp_path / "nulls.db"
    with sqlite3.connect(path) as conn:  # rowid tables allow NULL in a non-INTEGER primary key
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO t VALUES (NULL, 'a'), ('x', 'b')")
    conn.close()
    (batch,) = batches_of(SQLiteConnector(str(path)), "t")
    assert [batch.locator(i) for i in range(2)] == [{"rowid": 1}, {"rowid": 2}]
    assert batch.key_note


def test_table_dropped_after_enumerate(db: SQLiteConnector) -> None:
    item = next(i for i in items_of(db) if i.item_id == "log")
    with sqlite3.connect(db.path) as conn:
        conn.execute("DROP TABLE log")
    conn.close()
    db.close()
    assert [(p.severity, p.reason) for p in problems(read_all(db, db.plan(item, 1 << 20)))] == [
        ("failed", "SQLite error: no such table: log")
    ]


def test_connection_is_lazy_and_not_pickled(db: SQLiteConnector) -> None:
    assert db._conn is None
    items_of(db)
    assert db._conn is not None
    clone = pickle.loads(pickle.dumps(db))
    assert clone._conn is None and clone.source == db.source
    assert [i.fingerprint for i in items_of(clone)] == [i.fingerprint for i in items_of(db)]


def test_corrupt_file_is_a_one_line_source_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(SourceError) as caught:
        list(SQLiteConnector(f"sqlite:///{path}").enumerate())
    assert str(caught.value) == f"sqlite:///{path}: file is not a database"


def test_missing_file_is_a_source_error_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(SourceError, match="does not exist"):
        list(SQLiteConnector(str(path)).enumerate())
    assert not path.exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///relative/x.db", "relative/x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("/plain/x.db", "/plain/x.db"),
    ],
)
def test_sqlite_urls(url: str, expected: str) -> None:
    assert sqlite_path(url) == expected


@pytest.mark.parametrize("url", ["sqlite://host/x.db", "sqlite:///"])
def test_bad_sqlite_urls(url: str) -> None:
    with pytest.raises(ValueError):
        sqlite_path(url)


def test_source_round_trips(db: SQLiteConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(db.path.parent)
    relative = SQLiteConnector("sqlite:///test.db")
    assert relative.source == db.source == f"sqlite:///{db.path}"
    assert SQLiteConnector(relative.source).path == db.path


# -- the real Chinook database -----------------------------------------------------


@pytest.fixture
def chinook() -> Path:
    return shared_dataset("chinook", "Chinook_Sqlite.sqlite")


def test_chinook_customers_are_keyed_by_customer_id(chinook: Path) -> None:
    connector = SQLiteConnector(f"sqlite:///{chinook}")
    items = {i.item_id: i for i in items_of(connector)}
    assert {"Customer", "Employee", "Invoice", "PlaylistTrack", "Track"} <= set(items)
    assert items["Customer"].rows == 59
    rows = rows_of(batches_of(connector, "Customer"))
    assert [locator for locator, _ in rows[:3]] == [{"primary_key": {"CustomerId": n}} for n in (1, 2, 3)]
    assert rows[0][1]["Email"] == "luisg@embraer.com.br"
    playlist_track = rows_of(batches_of(connector, "PlaylistTrack"))
    assert set(playlist_track[0][0]["primary_key"]) == {"PlaylistId", "TrackId"}
    assert len(playlist_track) == items["PlaylistTrack"].rows


def test_chinook_is_not_modified_by_a_scan(chinook: Path) -> None:
    before = (hashlib.sha256(chinook.read_bytes()).hexdigest(), chinook.stat().st_mtime_ns)
    siblings = set(os.listdir(chinook.parent))
    connector = SQLiteConnector(str(chinook), include_views=True)
    for entry in connector.enumerate():
        assert not isinstance(entry, ItemProblem), entry
        results = read_all(connector, connector.plan(entry, 4096))
        assert results and not problems(results)
    connector.close()
    assert (hashlib.sha256(chinook.read_bytes()).hexdigest(), chinook.stat().st_mtime_ns) == before
    assert set(os.listdir(chinook.parent)) == siblings  # no -journal, -wal or -shm left behind
