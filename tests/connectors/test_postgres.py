"""PostgresConnector on the real server: keys and locators, types, splitting, foreign keys, read-only sessions,
errors, privileges, Chinook."""

from __future__ import annotations

import contextlib
import itertools
import pickle
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("psycopg")

import psycopg

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, TableBatch, WorkUnit, table_parts
from piiscan.connectors.registry import open_source
from piiscan.connectors.sql.postgres import CTID_NOTE, ROW_NOTE, VIEW_NOTE, PostgresConnector, redact_url
from tests.connectors.conformance import ConnectorConformance, items_of, problems, read_all
from tests.db_support import (
    PG_HOST,
    PG_PORT,
    pg_connect,
    pg_database,
    pg_load_chinook,
    pg_url,
    unique_name,
)

GENERATED = r'''
CREATE TABLE customer (id int PRIMARY KEY, email text, photo bytea);
INSERT INTO customer SELECT n, 'person' || n || '@example.com', '\x89504e47'
  FROM generate_series(1, 400) n WHERE n % 7 <> 0;
CREATE TABLE enrollment (student text, course int, grade text, PRIMARY KEY (student, course));
INSERT INTO enrollment SELECT 's' || (n % 30), 100 + n, 'A' FROM generate_series(0, 149) n;
CREATE TABLE grade_note (student text, course int, note text,
                         FOREIGN KEY (course, student) REFERENCES enrollment (course, student));
INSERT INTO grade_note VALUES ('s1', 101, 'late'), (NULL, NULL, 'orphan');
CREATE TABLE log (msg text, at int);
INSERT INTO log SELECT 'login by u' || n || '@example.com', n FROM generate_series(0, 199) n;
CREATE TABLE account (email text NOT NULL UNIQUE, handle text NOT NULL, nick text UNIQUE, bio text,
                      UNIQUE (handle, email));
INSERT INTO account SELECT 'a' || n || '@example.com', 'h' || n, NULL, 'bio ' || n FROM generate_series(1, 20) n;
CREATE TABLE post (id int PRIMARY KEY, author text REFERENCES account (email), editor text, body text,
                   FOREIGN KEY (editor, author) REFERENCES account (handle, email));
INSERT INTO post SELECT n, 'a' || n || '@example.com', 'h' || n, 'post ' || n FROM generate_series(1, 20) n;
CREATE TABLE kinds (id int PRIMARY KEY, profile jsonb, tags text[], phone bigint, photo bytea, born date,
                    seen timestamptz, amount numeric(10, 2), uid uuid, code char(5), shown boolean);
INSERT INTO kinds VALUES
  (1, '{"email": "kim@example.com", "age": 41}', ARRAY['vip', 'call me'], 4915112345678, '\xdeadbeef',
   '1990-05-17', '2024-01-02 04:04:05+01', 12.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'AB', true),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE blobs (data bytea);
INSERT INTO blobs VALUES ('\x00ff');
CREATE TABLE big (id bigint PRIMARY KEY, email text);
INSERT INTO big SELECT n, 'user' || n || '@example.com' FROM generate_series(1, 200000) n;
CREATE TABLE secret (id int PRIMARY KEY, ssn text);
INSERT INTO secret VALUES (1, '078-05-1120');
CREATE SCHEMA crm;
CREATE TABLE crm."odd ""name""" ("a%b" text PRIMARY KEY, note text);
INSERT INTO crm."odd ""name""" VALUES ('x%y', 'hello');
CREATE TABLE crm.contact (phone text, "__ctid__" text);
INSERT INTO crm.contact VALUES ('+44 20 7946 0000', 'shadow');
CREATE VIEW crm.contact_phones AS SELECT phone FROM crm.contact;
'''
GENERATED_TABLES = [
    "crm.contact",
    'crm.odd "name"',
    "public.account",
    "public.big",
    "public.blobs",
    "public.customer",
    "public.enrollment",
    "public.grade_note",
    "public.kinds",
    "public.log",
    "public.post",
    "public.secret",
]
CHINOOK_TABLES = [
    "album",
    "artist",
    "customer",
    "employee",
    "genre",
    "invoice",
    "invoice_line",
    "media_type",
    "playlist",
    "playlist_track",
    "track",
]


# -- helpers -------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def settle_stats(database: str) -> None:
    """Wait until the statistics count every row loaded (they are flushed asynchronously)."""
    with pg_connect(database) as conn:
        tables = conn.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables"
        ).fetchall()
        expected = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables)
        sql = "SELECT coalesce(sum(n_tup_ins - n_tup_del), 0) FROM pg_stat_user_tables"
        wait_for(lambda: conn.execute(sql).fetchone()[0] == expected, "table statistics")


def table_stats(database: str) -> dict[str, tuple[int, int, int]]:
    with pg_connect(database) as conn:
        rows = conn.execute("SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables")
        return {f"{schema}.{name}": (ins, upd, dele) for schema, name, ins, upd, dele in rows}


def item(connector: PostgresConnector, item_id: str) -> ItemRef:
    return next(i for i in items_of(connector) if i.item_id == item_id)


def batches_of(connector: PostgresConnector, item_id: str, unit_bytes: int = 1 << 30) -> list[TableBatch]:
    results = read_all(connector, connector.plan(item(connector, item_id), unit_bytes))
    assert not problems(results)
    return results


def rows_of(batches: list[TableBatch]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for batch in batches:
        data = batch.batch.select(batch.scan_columns()).to_pylist()
        out += [(batch.locator(i), row) for i, row in enumerate(data)]
    return out


class FakeServer:
    """Speaks just enough of the PostgreSQL protocol to ask for a cleartext password, record it and refuse it
    (the test server trusts every local connection, so it cannot refuse a wrong password itself)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.passwords: list[str] = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(5)
                with contextlib.suppress(OSError, ValueError):
                    self._refuse(client)

    def _refuse(self, client: socket.socket) -> None:
        while True:  # SSL and GSS encryption requests get "N", then the startup message comes
            length, code = struct.unpack("!ii", _receive(client, 8))
            _receive(client, length - 8)
            if code not in (80877103, 80877104):
                break
            client.sendall(b"N")
        client.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        _receive(client, 1)
        (length,) = struct.unpack("!i", _receive(client, 4))
        self.passwords.append(_receive(client, length - 4).rstrip(b"\0").decode())
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "postgres"\0\0'
        client.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)

    def close(self) -> None:
        self.stopping = True
        self.thread.join()
        self.listener.close()


def _receive(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise ValueError("client went away")
        data += chunk
    return data


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gen_db() -> Iterator[str]:
    """Generated tables; nothing writes to them after loading (the no-writes test relies on it)."""
    with pg_database() as name:
        with pg_connect(name) as conn:
            conn.execute(GENERATED)
        settle_stats(name)
        yield name


@pytest.fixture
def gen(gen_db: str) -> Iterator[PostgresConnector]:
    connector = PostgresConnector(pg_url(gen_db))
    yield connector
    connector.close()


@pytest.fixture(scope="module")
def chinook_db() -> Iterator[str]:
    with pg_database("piiscan_chinook") as name:
        pg_load_chinook(name)
        with pg_connect(name) as conn:
            conn.execute("ANALYZE")  # exact reltuples, so the row estimates are the counts
        yield name


@pytest.fixture
def chinook(chinook_db: str) -> Iterator[PostgresConnector]:
    connector = PostgresConnector(pg_url(chinook_db))
    yield connector
    connector.close()


@pytest.fixture(scope="module")
def limited_role(gen_db: str) -> Iterator[str]:
    """A login role that may read public's tables, except public.secret and some columns of public.kinds and
    public.log."""
    role = unique_name("piiscan_reader")
    with pg_connect(gen_db) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        conn.execute(f'REVOKE SELECT ON public.secret, public.kinds, public.log FROM "{role}"')
        conn.execute(f'GRANT SELECT (id, phone) ON public.kinds TO "{role}"')
        conn.execute(f'GRANT SELECT (msg) ON public.log TO "{role}"')
    try:
        yield role
    finally:
        with pg_connect(gen_db) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


# -- conformance -----------------------------------------------------------------------------

CONFORMANCE = """
CREATE TABLE counter (n int PRIMARY KEY, label text);
INSERT INTO counter SELECT n * 3, 'label ' || n FROM generate_series(0, 299) n;
CREATE TABLE person (id bigint PRIMARY KEY, email text, photo bytea);
INSERT INTO person SELECT n, 'p' || n || '@example.com', '\\x00' FROM generate_series(1, 400) n WHERE n % 7 <> 0;
CREATE TABLE note (msg text);
INSERT INTO note SELECT 'call ' || n FROM generate_series(1, 200) n;
CREATE TABLE enrollment (student text, course int, PRIMARY KEY (student, course));
INSERT INTO enrollment SELECT 's' || (n % 30), n FROM generate_series(1, 150) n;
"""


@pytest.fixture(scope="module")
def conformance_db() -> Iterator[str]:
    with pg_database() as name:
        with pg_connect(name) as conn:
            conn.execute(CONFORMANCE)
        settle_stats(name)
        yield name


class TestPostgresConformance(ConnectorConformance):
    unit_bytes = 4096

    @pytest.fixture
    def connector(self, conformance_db: str) -> PostgresConnector:
        return PostgresConnector(pg_url(conformance_db))

    @pytest.fixture
    def change_item(self, conformance_db: str) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            assert item.item_id == "public.counter"  # the first table by name
            stats = "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'public.counter'::regclass"
            with pg_connect(conformance_db) as conn:
                (before,) = conn.execute(stats).fetchone()
                conn.execute("UPDATE counter SET label = 'changed' WHERE n = 3")  # in place: same count and keys
            with pg_connect(conformance_db) as conn:
                wait_for(lambda: conn.execute(stats).fetchone()[0] > before, "the update to reach the statistics")

        return change


# -- enumerate ---------------------------------------------------------------------------------


def test_enumerates_user_tables_with_sizes_and_fingerprints(gen: PostgresConnector, gen_db: str) -> None:
    items = {i.item_id: i for i in items_of(gen)}
    assert list(items) == GENERATED_TABLES  # no views, no system catalogs, schema order
    big = items["public.big"]
    assert (big.fmt, big.source) == ("table", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{gen_db}")
    assert big.size > 8 << 20 and big.rows and big.rows > 150_000
    with pg_connect(gen_db) as conn:
        (filenode,) = conn.execute("SELECT relfilenode FROM pg_class WHERE oid = 'public.big'::regclass").fetchone()
    assert big.fingerprint.startswith(f"{filenode}:200000:0:0:")
    assert not [p for p in gen.enumerate() if isinstance(p, ItemProblem)]


def test_views_only_on_request(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), include_views=True, include=["crm.*"])
    assert [i.item_id for i in items_of(connector)] == ["crm.contact", "crm.contact_phones", 'crm.odd "name"']
    view = item(connector, "crm.contact_phones")
    assert view.fingerprint.startswith("view:") and view.size == 0
    (batch,) = batches_of(connector, "crm.contact_phones")
    assert rows_of([batch]) == [({"row": 1}, {"phone": "+44 20 7946 0000"})]
    assert batch.key_note == VIEW_NOTE
    connector.close()


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["crm.*"], [], ["crm.contact", 'crm.odd "name"']),
        (["*.customer", "public.k*"], [], ["public.customer", "public.kinds"]),
        ([], ["public.*"], ["crm.contact", 'crm.odd "name"']),
        (
            ["public.*"],
            ["*.b*", "public.[ceg]*", "*.s*"],
            ["public.account", "public.kinds", "public.log", "public.post"],
        ),
    ],
)
def test_include_and_exclude_globs(gen_db: str, include: list[str], exclude: list[str], expected: list[str]) -> None:
    connector = PostgresConnector(pg_url(gen_db), include=include, exclude=exclude)
    assert [i.item_id for i in items_of(connector)] == expected
    connector.close()


def test_a_locked_table_is_listed_without_waiting_and_fails_alone(gen_db: str) -> None:
    """pg_table_size waits for a table's lock; a locked table keeps its pg_class size estimate."""
    connector = PostgresConnector(pg_url(gen_db), lock_timeout_s=0.2)
    with pg_connect(gen_db, autocommit=False) as holder:
        holder.execute("LOCK TABLE public.log IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        items = {i.item_id: i for i in items_of(connector)}
        assert list(items) == GENERATED_TABLES and time.monotonic() - started < 3
        locked = problems(read_all(connector, [WorkUnit(items["public.log"])]))
        assert [(p.item_id, p.severity) for p in locked] == [("public.log", "failed")]
        assert "lock timeout" in locked[0].reason
        assert len(rows_of(batches_of(connector, "public.post"))) == 20  # other tables still read
        holder.rollback()
    connector.close()


# -- keys and locators -----------------------------------------------------------------------------


def test_integer_primary_key_locators_keep_native_ints(gen: PostgresConnector) -> None:
    batches = batches_of(gen, "public.customer")
    rows = rows_of(batches)
    assert rows[0] == ({"primary_key": {"id": 1}}, {"id": "1", "email": "person1@example.com"})
    assert len(rows) == 343
    assert batches[0].scan_columns() == ["id", "email"]  # bytea photo not scanned
    assert (batches[0].key_kind, batches[0].hidden_columns, batches[0].key_note) == ("primary_key", (), None)


def test_composite_primary_key_pages_across_batches(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), batch_rows=40)
    batches = batches_of(connector, "public.enrollment")
    assert [b.batch.num_rows for b in batches] == [40, 40, 40, 30]
    rows = rows_of(batches)
    assert rows[0] == (
        {"primary_key": {"student": "s0", "course": 100}},
        {"student": "s0", "course": "100", "grade": "A"},
    )
    assert len({str(locator) for locator, _ in rows}) == 150
    connector.close()


def test_table_without_key_is_located_by_ctid(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), batch_rows=64)
    batches = batches_of(connector, "public.log")
    assert [b.batch.num_rows for b in batches] == [64, 64, 64, 8]  # a server-side cursor, fetched in batches
    rows = rows_of(batches)
    assert rows[0] == ({"ctid": "(0,1)"}, {"msg": "login by u0@example.com", "at": "0"})
    assert len({locator["ctid"] for locator, _ in rows}) == 200
    assert all(b.key_kind == "ctid" and b.key_note == CTID_NOTE for b in batches)
    assert batches[0].hidden_columns == ("__ctid__",) and "__ctid__" not in batches[0].scan_columns()
    connector.close()


def test_hidden_ctid_column_does_not_shadow_a_real_one(gen: PostgresConnector) -> None:
    (batch,) = batches_of(gen, "crm.contact")
    assert batch.hidden_columns == ("__ctid___",)
    assert rows_of([batch]) == [({"ctid": "(0,1)"}, {"phone": "+44 20 7946 0000", "__ctid__": "shadow"})]


def test_unique_index_on_not_null_columns_locates_rows(gen: PostgresConnector) -> None:
    batches = batches_of(gen, "public.account")
    rows = dict((locator["unique_key"]["email"], (locator, row)) for locator, row in rows_of(batches))
    assert len(rows) == 20  # in the collation's order, which need not be a1, a2, ...
    # the smallest unique key on NOT NULL columns: email (nick is unique but nullable; (handle, email) is wider)
    assert rows["a1@example.com"] == (
        {"unique_key": {"email": "a1@example.com"}},
        {"email": "a1@example.com", "handle": "h1", "nick": None, "bio": "bio 1"},
    )
    assert batches[0].key_kind == "unique_key" and batches[0].key_columns == ("email",)


def test_names_needing_quotes(gen: PostgresConnector) -> None:
    (batch,) = batches_of(gen, 'crm.odd "name"')
    assert rows_of([batch]) == [({"primary_key": {"a%b": "x%y"}}, {"a%b": "x%y", "note": "hello"})]


def test_values_are_read_as_text_and_binary_columns_skipped(gen: PostgresConnector) -> None:
    batches = batches_of(gen, "public.kinds")
    assert batches[0].scan_columns() == [
        "id",
        "profile.age",  # jsonb: one field per JSON path
        "profile.email",
        "tags",
        "phone",
        "born",
        "seen",
        "amount",
        "uid",
        "code",
        "shown",
    ]
    assert rows_of(batches) == [
        (
            {"primary_key": {"id": 1}},
            {
                "id": "1",
                "profile.age": "41",
                "profile.email": "kim@example.com",
                "tags": '{vip,"call me"}',
                "phone": "4915112345678",  # a phone number stored as bigint is still text to scan
                "born": "1990-05-17",
                "seen": "2024-01-02 03:04:05+00",  # ISO, in UTC
                "amount": "12.50",
                "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "code": "AB",
                "shown": "true",
            },
        ),
        ({"primary_key": {"id": 2}}, dict.fromkeys(batches[0].scan_columns()) | {"id": "2"}),
    ]


def test_table_of_binary_columns_yields_nothing(gen: PostgresConnector) -> None:
    assert read_all(gen, gen.plan(item(gen, "public.blobs"), 1)) == []


def test_sql_ascii_database_with_invalid_utf8_is_read_leniently() -> None:
    name = unique_name("piiscan_ascii")
    with pg_connect() as admin:
        admin.execute(f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        with pg_connect(name) as conn:
            conn.execute("CREATE TABLE t (k text PRIMARY KEY, v text)")
            raw = r"convert_from('\x{}', 'SQL_ASCII')"
            conn.execute(f"INSERT INTO t VALUES ({raw.format('4ae9')}, 'caf' || {raw.format('c3a9')})")  # J + cp1252 é
            conn.execute(f"INSERT INTO t VALUES ({raw.format('4be9')}, 'x'), ({raw.format('4cc3a9')}, 'y')")
        connector = PostgresConnector(pg_url(name), batch_rows=1)  # the raw key bytes go back as keyset parameters
        assert rows_of(batches_of(connector, "public.t")) == [
            ({"primary_key": {"k": "Jé"}}, {"k": "Jé", "v": "café"}),
            ({"primary_key": {"k": "Ké"}}, {"k": "Ké", "v": "x"}),
            ({"primary_key": {"k": "Lé"}}, {"k": "Lé", "v": "y"}),
        ]
        connector.close()
    finally:
        with pg_connect() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_session_ended_by_idle_timeout_fails_the_unit_and_reconnects(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), idle_timeout_s=0.2, batch_rows=50)
    results = []
    for result in connector.read(WorkUnit(item(connector, "public.log"))):  # a cursor in one transaction
        results.append(result)
        time.sleep(0.4)  # a slow consumer: the server ends the idle transaction
    assert isinstance(results[0], TableBatch) and len(results) == 2
    assert results[1].severity == "failed" and "idle-in-transaction timeout" in results[1].reason
    assert len(rows_of(batches_of(connector, "public.log"))) == 200  # the next read reconnects
    connector.close()


# -- big tables: bounded batches, splitting ------------------------------------------------------


def test_big_table_is_read_in_bounded_batches(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), batch_rows=7_000)
    results = list(connector.read(WorkUnit(item(connector, "public.big"))))
    assert not problems(results)
    assert all(b.batch.num_rows <= 7_000 for b in results) and len(results) == 29
    keys = [k for b in results for k in b._key_values[0]]
    assert len(keys) == 200_000 and set(keys) == set(range(1, 200_001))
    connector.close()


def test_big_table_splits_into_key_ranges_covering_every_row_once(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db))
    big = item(connector, "public.big")
    units = connector.plan(big, big.size // 5)
    assert len(units) == table_parts(big, big.size // 5) >= 5  # by bytes, or by rows (TABLE_UNIT_ROWS)
    assert units[0].start is None and units[-1].stop is None
    assert all(a.stop == b.start for a, b in itertools.pairwise(units))
    assert [u.part for u in units] == list(range(len(units))) and {u.parts for u in units} == {len(units)}
    keys = Counter()
    for unit in units:
        for batch in connector.read(unit):
            assert isinstance(batch, TableBatch) and batch.batch.num_rows <= connector.batch_rows
            keys.update(batch._key_values[0])
    assert len(keys) == 200_000 and set(keys.values()) == {1} and set(keys) == set(range(1, 200_001))
    connector.close()


def test_composite_text_and_ctid_tables_are_one_unit(gen: PostgresConnector) -> None:
    for item_id in ("public.enrollment", "public.account", "public.log"):
        assert len(gen.plan(item(gen, item_id), 1)) == 1
    assert len(gen.plan(item(gen, "public.customer"), 1)) > 1


# -- foreign keys ----------------------------------------------------------------------------------


def test_foreign_keys_with_column_order_and_reference_kinds(gen: PostgresConnector) -> None:
    found = {(fk.table, fk.columns): fk for fk in gen.foreign_keys()}
    assert set(found) == {
        ("public.grade_note", ("course", "student")),
        ("public.post", ("author",)),
        ("public.post", ("editor", "author")),
    }
    composite = found["public.grade_note", ("course", "student")]
    assert (composite.ref_table, composite.ref_columns, composite.ref_kind) == (
        "public.enrollment",
        ("course", "student"),
        "primary_key",  # the primary key's columns, in another order
    )
    assert composite.name == "grade_note_course_student_fkey"
    assert found["public.post", ("author",)].ref_kind == "unique_key"  # account's rows are located by email
    assert found["public.post", ("editor", "author")].ref_kind is None  # a unique key that locates nothing


def test_batches_carry_references(gen: PostgresConnector) -> None:
    (posts,) = batches_of(gen, "public.post")
    accounts = {str(locator) for locator, _ in rows_of(batches_of(gen, "public.account"))}
    references = posts.references(0)
    assert [(fk.columns, target) for fk, target in references] == [
        (("author",), {"unique_key": {"email": "a1@example.com"}})
    ]
    assert all(str(posts.references(i)[0][1]) in accounts for i in range(posts.batch.num_rows))
    (notes,) = batches_of(gen, "public.grade_note")  # a ctid table references too; NULLs reference nothing
    assert [notes.references(i) for i in range(2)] == [
        [(notes.foreign_keys[0], {"primary_key": {"course": 101, "student": "s1"}})],
        [],
    ]
    assert notes.fk_values == ([[101, None], ["s1", None]],)


def test_foreign_keys_to_excluded_tables_are_left_out(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db), exclude=["public.account"])
    assert [fk.table for fk in connector.foreign_keys()] == ["public.grade_note"]
    (posts,) = batches_of(connector, "public.post")
    assert posts.foreign_keys == () and posts.references(0) == []
    connector.close()


# -- read-only -----------------------------------------------------------------------------------------


def test_a_scan_writes_nothing(gen_db: str) -> None:
    before = table_stats(gen_db)
    with pg_connect(gen_db) as conn:
        (next_xid,) = conn.execute(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296"
        ).fetchone()
    connector = PostgresConnector(pg_url(gen_db), include_views=True)
    for entry in connector.enumerate():
        assert isinstance(entry, ItemRef), entry
        assert not problems(read_all(connector, connector.plan(entry, 1 << 20)))
    assert connector.foreign_keys()
    session = connector._connection()
    settings = "default_transaction_read_only, statement_timeout, lock_timeout, idle_in_transaction_session_timeout"
    assert [session.execute(f"SHOW {name}").fetchone()[0] for name in settings.split(", ")] == [
        "on",
        "5min",
        "5s",
        "10min",
    ]
    assert session.execute("SELECT current_setting('application_name')").fetchone() == ("piiscan",)
    for write in ("CREATE TABLE public.intruder (x int)", "INSERT INTO public.log VALUES ('x', 1)"):
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="read-only transaction"):
            session.execute(write)
    connector.close()
    with pg_connect(gen_db) as conn:  # a backend flushes its statistics before it leaves pg_stat_activity
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'piiscan' AND datname = %s"
        wait_for(lambda: conn.execute(gone, [gen_db]).fetchone()[0], "the scanner's session to end")
        for table in before:
            name = ".".join(psycopg.sql.Identifier(part).as_string(conn) for part in table.split(".", 1))
            sql = f"SELECT count(*) FROM {name} WHERE xmin::text::bigint >= %s"
            assert conn.execute(sql, [next_xid]).fetchone() == (0,), table  # no row written since
    assert table_stats(gen_db) == before


# -- errors -----------------------------------------------------------------------------------------


def test_unreachable_server_is_a_one_line_source_error() -> None:
    connector = PostgresConnector("postgresql://postgres:s3cret@127.0.0.1:1/x")
    with pytest.raises(SourceError) as caught:
        list(connector.enumerate())
    assert str(caught.value) == "postgresql://postgres@127.0.0.1:1/x: connection refused"


def test_missing_database_is_a_one_line_source_error(gen_db: str) -> None:  # gen_db: skip without a server
    url = pg_url("piiscan_no_such_db", password="s3cret")
    with pytest.raises(SourceError) as caught:
        list(PostgresConnector(url).enumerate())
    source = pg_url("piiscan_no_such_db")
    assert str(caught.value) == f'{source}: database "piiscan_no_such_db" does not exist'


def test_wrong_password_is_a_source_error_without_the_password(fake_server: FakeServer) -> None:
    connector = PostgresConnector(f"postgresql://postgres:s3cret%21@127.0.0.1:{fake_server.port}/x")
    with pytest.raises(SourceError) as caught:
        list(connector.enumerate())
    source = f"postgresql://postgres@127.0.0.1:{fake_server.port}/x"
    assert str(caught.value) == f'{source}: password authentication failed for user "postgres"'
    assert fake_server.passwords == ["s3cret!"]
    with pytest.raises(SourceError):
        connector.foreign_keys()
    assert "s3cret" not in str(caught.value)


def test_password_from_an_environment_variable(fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIISCAN_TEST_PG_PASSWORD", "hunter2-from-env")
    connector = PostgresConnector(
        f"postgresql://postgres@127.0.0.1:{fake_server.port}/x", password_env="PIISCAN_TEST_PG_PASSWORD"
    )
    clone = pickle.loads(pickle.dumps(connector))
    assert b"hunter2" not in pickle.dumps(connector)  # read when connecting, not kept
    with pytest.raises(SourceError) as caught:
        list(clone.enumerate())
    assert fake_server.passwords == ["hunter2-from-env"]
    assert "hunter2" not in str(caught.value) and "password authentication failed" in str(caught.value)
    monkeypatch.delenv("PIISCAN_TEST_PG_PASSWORD")
    with pytest.raises(SourceError, match="environment variable PIISCAN_TEST_PG_PASSWORD is not set"):
        list(connector.enumerate())


def test_malformed_url_does_not_echo_the_password() -> None:
    connector = PostgresConnector("postgresql://postgres:se%zzret@127.0.0.1:5432/x")
    assert connector.source == "postgresql://postgres@127.0.0.1:5432/x"
    with pytest.raises(SourceError) as caught:
        list(connector.enumerate())
    assert str(caught.value).startswith(connector.source + ": invalid URL")
    assert "zz" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres:pw@127.0.0.1:5432/chinook", "postgresql://postgres@127.0.0.1:5432/chinook"),
        ("postgres://u@db.example/app?sslmode=require", "postgresql://u@db.example/app?sslmode=require"),
        (
            "postgresql://u:p%40ss@h1:5432,h2:5433/app?password=x&sslmode=require",
            "postgresql://u@h1:5432,h2:5433/app?sslmode=require",
        ),
        ("postgresql://:only-a-password@host/db", "postgresql://host/db"),
        ("postgresql://host/db?password=x", "postgresql://host/db"),
        ("postgresql:///db", "postgresql:///db"),
    ],
)
def test_source_never_holds_a_password(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert PostgresConnector(url).source == expected


def test_other_urls_are_rejected() -> None:
    with pytest.raises(ValueError, match="postgresql://user@host:port/database"):
        PostgresConnector("mysql://root:pw@127.0.0.1/x")


def test_table_dropped_after_enumerate(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db))
    gone = ItemRef(connector.source, "public.no_such_table", "table", 100, "x")
    assert [(p.severity, p.reason) for p in problems(connector.read(WorkUnit(gone)))] == [
        ("failed", "table public.no_such_table does not exist")
    ]
    connector.close()


# -- privileges -----------------------------------------------------------------------------------------


def test_tables_the_user_may_not_read_fail_alone(gen_db: str, gen: PostgresConnector, limited_role: str) -> None:
    connector = PostgresConnector(pg_url(gen_db, user=limited_role), include=["public.*"])
    entries = list(connector.enumerate())
    assert [(p.item_id, p.severity, p.reason) for p in problems(entries)] == [
        ("public.secret", "failed", "permission denied: no SELECT privilege on public.secret")
    ]
    assert [i.item_id for i in entries if isinstance(i, ItemRef)] == [
        t for t in GENERATED_TABLES if t.startswith("public.") and t != "public.secret"
    ]
    # privileges revoked between listing and reading: the read fails, alone
    secret = item(gen, "public.secret")
    denied = problems(read_all(connector, connector.plan(secret, 1)))
    assert [(p.item_id, p.severity) for p in denied] == [("public.secret", "failed")]
    assert denied[0].reason == "permission denied: no SELECT privilege on public.secret"
    assert denied[0].source == connector.source and "078-05" not in denied[0].reason
    assert len(rows_of(batches_of(connector, "public.customer"))) == 343
    # only some columns granted: those are scanned
    (kinds,) = batches_of(connector, "public.kinds")
    assert kinds.scan_columns() == ["id", "phone"] and kinds.locator(0) == {"primary_key": {"id": 1}}
    # no key, and ctid needs SELECT on the whole table: rows are numbered
    (log,) = batches_of(connector, "public.log")
    assert log.scan_columns() == ["msg"] and log.key_note == ROW_NOTE
    assert rows_of([log])[0] == ({"row": 1}, {"msg": "login by u0@example.com"})
    connector.close()


# -- pickling, registry ----------------------------------------------------------------------------------


def test_connection_is_lazy_and_not_pickled(gen_db: str) -> None:
    connector = PostgresConnector(pg_url(gen_db))
    assert connector._conn is None
    before = rows_of(batches_of(connector, "public.post"))
    assert connector._conn is not None
    clone = pickle.loads(pickle.dumps(connector))
    assert clone._conn is None and clone.source == connector.source
    assert rows_of(batches_of(clone, "public.post")) == before
    assert [i.fingerprint for i in items_of(clone)] == [i.fingerprint for i in items_of(connector)]
    connector.close()
    clone.close()
    assert clone._conn is None
    assert rows_of(batches_of(clone, "public.post")) == before  # reconnects after close
    clone.close()


def test_registry_opens_both_schemes(gen_db: str) -> None:
    for scheme in ("postgresql", "postgres"):
        connector = open_source(pg_url(gen_db).replace("postgresql", scheme, 1), include=["public.p*"])
        assert isinstance(connector, PostgresConnector)
        assert connector.source == pg_url(gen_db)
        assert [i.item_id for i in items_of(connector)] == ["public.post"]
        connector.close()


# -- Chinook -----------------------------------------------------------------------------------------


def test_chinook_tables(chinook: PostgresConnector) -> None:
    items = {i.item_id: i for i in items_of(chinook)}
    assert list(items) == [f"public.{name}" for name in CHINOOK_TABLES]
    assert items["public.customer"].rows == 59


def test_chinook_customers_are_keyed_by_customer_id(chinook: PostgresConnector) -> None:
    rows = rows_of(batches_of(chinook, "public.customer"))
    assert len(rows) == 59
    assert [locator for locator, _ in rows] == [{"primary_key": {"customer_id": n}} for n in range(1, 60)]
    assert rows[0][1]["email"] == "luisg@embraer.com.br"
    playlist_track = rows_of(batches_of(chinook, "public.playlist_track"))
    assert set(playlist_track[0][0]["primary_key"]) == {"playlist_id", "track_id"}
    assert len(playlist_track) == item(chinook, "public.playlist_track").rows


def test_chinook_foreign_keys(chinook: PostgresConnector) -> None:
    found = {(fk.table, fk.columns, fk.ref_table, fk.ref_columns, fk.ref_kind) for fk in chinook.foreign_keys()}
    assert ("public.invoice", ("customer_id",), "public.customer", ("customer_id",), "primary_key") in found
    assert ("public.invoice_line", ("invoice_id",), "public.invoice", ("invoice_id",), "primary_key") in found
    assert ("public.employee", ("reports_to",), "public.employee", ("employee_id",), "primary_key") in found
    assert len(found) == 11


def test_chinook_invoices_reference_customer_rows(chinook: PostgresConnector) -> None:
    customers = {str(locator) for locator, _ in rows_of(batches_of(chinook, "public.customer"))}
    invoices = batches_of(chinook, "public.invoice", unit_bytes=8192)
    assert len(invoices) > 1  # split into key ranges
    seen = 0
    for batch in invoices:
        for i in range(batch.batch.num_rows):
            ((fk, target),) = batch.references(i)
            assert fk.label == "public.invoice.customer_id → public.customer.customer_id"
            assert str(target) in customers
            seen += 1
    assert seen == 412
