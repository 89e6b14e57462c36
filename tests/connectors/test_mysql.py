"""MySQLConnector against a real MariaDB: keys and locators, types, paging and splitting,
foreign keys, read-only sessions, errors, Chinook."""

from __future__ import annotations

import itertools
import multiprocessing
import pickle
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pymysql
import pytest

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, TableBatch, WorkUnit
from piiscan.connectors.registry import open_source
from piiscan.connectors.sql.mysql import NO_KEY_NOTE, MySQLConnector, parse_url, session_setup
from tests.connectors.conformance import ConnectorConformance, items_of, problems, read_all
from tests.db_support import MY_HOST, MY_PORT, my_connect, my_database, my_load_chinook, my_url, unique_name

SMALL_SCHEMA = [
    "CREATE TABLE customer (id INT PRIMARY KEY, email VARCHAR(80), photo BLOB)",
    "CREATE TABLE enrollment (student VARCHAR(10), course INT, grade CHAR(1), PRIMARY KEY (student, course))",
    "CREATE TABLE kv (k VARCHAR(20) PRIMARY KEY, v TEXT)",
    "CREATE TABLE log (msg TEXT, at INT)",
    "CREATE VIEW customer_emails AS SELECT email FROM customer",
    "INSERT INTO customer SELECT seq, CONCAT('person', seq, '@example.com'), x'89504E47' FROM seq_1_to_400",
    "DELETE FROM customer WHERE id % 7 = 0",  # gaps in the key
    "INSERT INTO enrollment SELECT CONCAT('s', seq % 30), 100 + seq, 'A' FROM seq_0_to_149",
    "INSERT INTO kv SELECT CONCAT('key', LPAD(seq, 3, '0')), CONCAT('value ', seq) FROM seq_0_to_99",
    "INSERT INTO log SELECT CONCAT('login by u', seq, '@example.com'), seq FROM seq_0_to_199",
]

TYPED_SCHEMA = [
    "SET time_zone = '+00:00'",  # TIMESTAMP values below are UTC, as the connector reads them
    """CREATE TABLE person (
        id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, phone BIGINT, born DATE, seen DATETIME, at TIMESTAMP NULL,
        wakes TIME, amount DECIMAL(10, 2), prefs JSON, kind ENUM('staff', 'guest'), tags SET('vip', 'new'),
        photo BLOB, token VARBINARY(16), flags BIT(8), uid BINARY(4), place POINT, UNIQUE KEY (email))""",
    """INSERT INTO person VALUES (1, 'ann@example.com', 4155550123, '1980-02-03', '2024-01-02 03:04:05',
        '2024-05-06 07:08:09', '12:34:56', 12.50, '{"contact": {"email": "ann.home@example.com"}}', 'staff',
        'vip,new', x'FFD8', x'00', b'101', x'01020304', POINT(1, 2))""",
    "INSERT INTO person (id, email) VALUES (2, 'bob@example.com')",
    "CREATE TABLE account (code VARCHAR(9) NOT NULL, region INT NOT NULL, owner TEXT, UNIQUE KEY (code, region))",
    "INSERT INTO account VALUES ('A1', 1, 'ann@example.com'), ('A1', 2, 'bob@example.com'), ('B7', 1, NULL)",
    # a unique index on a nullable column is no locator
    """CREATE TABLE visit (note TEXT, ticket INT, person_id INT, UNIQUE KEY (ticket),
        CONSTRAINT fk_visitor FOREIGN KEY (person_id) REFERENCES person (id))""",
    "INSERT INTO visit VALUES ('first visit', 10, 2), ('second visit', NULL, NULL), ('third visit', NULL, 1)",
    """CREATE TABLE orders (
        id INT PRIMARY KEY, person_id INT, person_email VARCHAR(80), acc_code VARCHAR(10), acc_region INT,
        CONSTRAINT fk_person FOREIGN KEY (person_id) REFERENCES person (id),
        CONSTRAINT fk_email FOREIGN KEY (person_email) REFERENCES person (email),
        CONSTRAINT fk_account FOREIGN KEY (acc_code, acc_region) REFERENCES account (code, region))""",
    "INSERT INTO orders VALUES (1, 1, 'ann@example.com', 'A1', 2), (2, NULL, NULL, 'B7', 1), (3, 2, NULL, NULL, NULL)",
    "CREATE TABLE blobs (id INT PRIMARY KEY, data BLOB)",
    "INSERT INTO blobs VALUES (1, x'00')",
    "CREATE TABLE `we.ird` (id INT PRIMARY KEY, `na%me` VARCHAR(20))",
    "INSERT INTO `we.ird` VALUES (1, 'dotted')",
    "CREATE VIEW slow AS SELECT SLEEP(3) AS s, 'x' AS v",
    # no declared keys: person_id's values are all person ids (inferred), order_id's are not all order ids
    "CREATE TABLE note (id INT PRIMARY KEY, person_id INT, order_id INT, body TEXT)",
    "INSERT INTO note VALUES (1, 2, 1, 'called back'), (2, NULL, 99, 'left a message'), (3, 1, NULL, 'met')",
]

BIG_ROWS = 200_000


def run(database: str, statements: list[str]) -> None:
    conn = my_connect(database)
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def item(connector: MySQLConnector, item_id: str) -> ItemRef:
    return next(i for i in items_of(connector) if i.item_id == item_id)


def batches_of(connector: MySQLConnector, item_id: str, unit_bytes: int = 1 << 40) -> list[TableBatch]:
    ref = item(connector, item_id)
    results = read_all(connector, connector.plan(ref, unit_bytes))
    assert not problems(results), problems(results)
    return results


def rows_of(batches: list[TableBatch]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for batch in batches:
        data = batch.batch.select(batch.scan_columns()).to_pylist()
        out += [(batch.locator(i), row) for i, row in enumerate(data)]
    return out


@contextmanager
def my_user(grants: list[str]) -> Iterator[tuple[str, str]]:
    """A throwaway account (for every host MariaDB may match 127.0.0.1 to) with ``grants``
    ("SELECT ON `db`.*"); its name and password.  Dropped afterwards."""
    name, password = unique_name("piiscan_ro"), "pw-" + secrets.token_hex(6)
    accounts = [f"'{name}'@'{host}'" for host in ("%", "localhost", "127.0.0.1")]
    conn = my_connect()
    try:
        with conn.cursor() as cursor:
            for account in accounts:
                cursor.execute(f"CREATE USER {account} IDENTIFIED BY '{password}'")
                for grant in grants:
                    cursor.execute(f"GRANT {grant} TO {account}")
        yield name, password
    finally:
        with conn.cursor() as cursor:
            for account in accounts:
                cursor.execute(f"DROP USER IF EXISTS {account}")
        conn.close()


@pytest.fixture(scope="module")
def small_db() -> Iterator[str]:
    with my_database() as name:
        run(name, SMALL_SCHEMA)
        yield name


@pytest.fixture(scope="module")
def typed_db() -> Iterator[str]:
    with my_database() as name:
        run(name, TYPED_SCHEMA)
        yield name


@pytest.fixture(scope="module")
def big_db() -> Iterator[str]:
    with my_database() as name:
        run(
            name,
            [
                "CREATE TABLE big (id INT PRIMARY KEY, email VARCHAR(40))",
                f"INSERT INTO big SELECT seq * 3, CONCAT('user', seq, '@example.com') FROM seq_1_to_{BIG_ROWS}",
                "ANALYZE TABLE big",
            ],
        )
        yield name


@pytest.fixture(scope="module")
def chinook_db() -> Iterator[str]:
    with my_database("piiscan_chinook") as name:
        my_load_chinook(name)
        yield name


# -- conformance --------------------------------------------------------------------


class TestMySQLConformance(ConnectorConformance):
    unit_bytes = 4096  # InnoDB tables take at least one 16 KiB page

    @pytest.fixture
    def connector(self, small_db: str) -> Iterator[MySQLConnector]:
        connector = MySQLConnector(my_url(small_db), include_views=True, batch_rows=64)
        yield connector
        connector.close()

    @pytest.fixture
    def change_item(self, small_db: str) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            assert item.item_id == f"{small_db}.customer"  # the first table by name
            time.sleep(1.1)  # InnoDB's update_time has one-second resolution
            run(small_db, ["UPDATE customer SET email = 'changed@example.com' WHERE id = 3"])  # same count, size

        return change


# -- URLs and configuration (no server needed) ------------------------------------


@pytest.mark.parametrize(
    ("url", "source", "password", "database"),
    [
        ("mysql://app:s3cret@db.example:3307/crm", "mysql://app@db.example:3307/crm", "s3cret", "crm"),
        ("mariadb://app@db.example/crm", "mariadb://app@db.example:3306/crm", None, "crm"),
        ("mysql://app:p%40ss%2Fw@[::1]/", "mysql://app@[::1]:3306", "p@ss/w", None),
        ("MySQL://root@127.0.0.1", "mysql://root@127.0.0.1:3306", None, None),
    ],
)
def test_urls(url: str, source: str, password: str | None, database: str | None) -> None:
    address = parse_url(url)
    assert (address.source, address.password, address.database) == (source, password, database)
    connector = MySQLConnector(url)
    assert connector.source == connector.url == source == parse_url(source).source
    assert connector._conn is None  # nothing connects before use
    assert password is None or password not in repr(connector) + connector.url + repr(connector.options)


@pytest.mark.parametrize("url", ["postgresql://x@h/db", "mysql://h/db?ssl=1", "mysql://h/db/extra", "mysql://h:99999/"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        MySQLConnector(url)


def test_password_in_url_and_option_is_ambiguous() -> None:
    with pytest.raises(ValueError, match="not both"):
        MySQLConnector("mysql://u:pw@h/db", password_env="DB_PW")


def test_session_setup_per_server() -> None:
    assert session_setup("10.11.19-MariaDB-0+deb12u1", 300, 5) == [
        "SET SESSION TRANSACTION READ ONLY",
        "SET SESSION lock_wait_timeout = 5",
        "SET SESSION max_statement_time = 300",
        "SET SESSION time_zone = '+00:00'",
    ]
    mysql = session_setup("8.0.36", 2.5, 0.2)
    assert "SET SESSION max_execution_time = 2500" in mysql and "SET SESSION lock_wait_timeout = 1" in mysql
    assert "SET SESSION max_statement_time = 0" in session_setup("11.4.2-MariaDB", None, 5)


def test_registry_opens_both_schemes(small_db: str) -> None:
    for scheme in ("mysql", "mariadb"):
        connector = open_source(my_url(small_db, scheme=scheme), include=["*.kv"], exclude=[], follow_symlinks=False)
        assert isinstance(connector, MySQLConnector) and connector.include == ("*.kv",)
        assert [i.item_id for i in items_of(connector)] == [f"{small_db}.kv"]
        assert connector.source.startswith(f"{scheme}://")
        connector.close()


# -- enumerate ------------------------------------------------------------------------


def test_enumerates_base_tables_with_statistics(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db))
    items = {i.item_id: i for i in items_of(connector)}
    assert list(items) == [f"{small_db}.{t}" for t in ("customer", "enrollment", "kv", "log")]
    customer = items[f"{small_db}.customer"]
    assert customer.fmt == "table" and customer.source == f"mysql://root@{MY_HOST}:{MY_PORT}/{small_db}"
    assert customer.size >= 16384 and customer.rows and customer.mtime
    with_views = MySQLConnector(my_url(small_db), include_views=True)
    view = item(with_views, f"{small_db}.customer_emails")
    assert view.fingerprint.startswith("view:")
    assert rows_of(batches_of(with_views, view.item_id))[0] == ({"row": 1}, {"email": "person1@example.com"})


def test_fingerprints_ignore_background_statistics_but_not_writes() -> None:
    """InnoDB recomputes row counts and sizes in the background, after the writes: a fingerprint made of
    them would call an untouched table changed.  Statistics recomputed: same; a row written: changed."""
    with my_database() as name:
        run(name, ["CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(40))"])
        run(name, [f"INSERT INTO t VALUES ({i}, 'user{i}@example.com')" for i in range(1, 200)])
        connector = MySQLConnector(my_url(name))
        before = item(connector, f"{name}.t").fingerprint
        run(name, ["ANALYZE TABLE t"])
        assert item(connector, f"{name}.t").fingerprint == before
        time.sleep(1.1)  # update_time has one-second resolution
        run(name, ["DELETE FROM t WHERE id = 7"])
        assert item(connector, f"{name}.t").fingerprint != before
        connector.close()


def test_include_and_exclude_match_db_dot_table(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db), include=(f"{small_db}.*",), exclude=("*.log", "*.k?"))
    assert [i.item_id for i in items_of(connector)] == [f"{small_db}.customer", f"{small_db}.enrollment"]


def test_without_a_database_every_non_system_database_is_scanned(small_db: str, typed_db: str) -> None:
    connector = MySQLConnector(f"mysql://root@{MY_HOST}:{MY_PORT}", include=(f"{small_db}.*", f"{typed_db}.*"))
    ids = [i.item_id for i in items_of(connector)]
    assert f"{small_db}.kv" in ids and f"{typed_db}.person" in ids and f"{typed_db}.we.ird" in ids
    everything = [i.item_id.split(".")[0] for i in items_of(MySQLConnector(f"mysql://root@{MY_HOST}:{MY_PORT}/"))]
    assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(everything)
    # a dot inside a table name: a fresh connector (no enumerate) asks the server where the split is
    fresh = MySQLConnector(f"mysql://root@{MY_HOST}:{MY_PORT}")
    weird = next(i for i in items_of(connector) if i.item_id == f"{typed_db}.we.ird")
    assert rows_of(list(fresh.read(WorkUnit(weird)))) == [({"primary_key": {"id": 1}}, {"id": "1", "na%me": "dotted"})]
    fresh.close()
    connector.close()


# -- keys, locators and types ----------------------------------------------------------


def test_types_are_scanned_as_text_and_binary_columns_skipped(typed_db: str) -> None:
    batches = batches_of(MySQLConnector(my_url(typed_db)), f"{typed_db}.person")
    assert batches[0].scan_columns() == [
        *("id", "email", "phone", "born", "seen", "at", "wakes", "amount", "prefs.contact.email", "kind", "tags"),
    ]  # BLOB, VARBINARY, BIT, BINARY and POINT are not scanned; JSON field by field
    assert batches[0].batch.schema.types == [batches[0].batch.schema.types[0]] * 11  # all strings
    (locator, ann), (_, bob) = rows_of(batches)
    assert locator == {"primary_key": {"id": 1}}
    assert ann == {
        "id": "1",
        "email": "ann@example.com",
        "phone": "4155550123",
        "born": "1980-02-03",
        "seen": "2024-01-02 03:04:05",
        "at": "2024-05-06 07:08:09",
        "wakes": "12:34:56",
        "amount": "12.50",
        "prefs.contact.email": "ann.home@example.com",  # MariaDB's JSON: field = column + JSON path
        "kind": "staff",
        "tags": "vip,new",
    }
    assert bob["phone"] is None and bob["prefs.contact.email"] is None


def test_composite_primary_key_pages_in_key_order(small_db: str) -> None:
    batches = batches_of(MySQLConnector(my_url(small_db), batch_rows=7), f"{small_db}.enrollment")
    assert max(b.batch.num_rows for b in batches) == 7 and len(batches) == 22
    rows = rows_of(batches)
    assert rows[0] == (
        {"primary_key": {"student": "s0", "course": 100}},
        {"student": "s0", "course": "100", "grade": "A"},
    )
    keys = [(loc["primary_key"]["student"], loc["primary_key"]["course"]) for loc, _ in rows]
    assert keys == sorted(keys) and len(set(keys)) == 150


def test_unique_index_on_not_null_columns_locates_rows(typed_db: str) -> None:
    batches = batches_of(MySQLConnector(my_url(typed_db), batch_rows=2), f"{typed_db}.account")
    assert batches[0].key_kind == "unique_key" and batches[0].key_columns == ("code", "region")
    assert [loc for loc, _ in rows_of(batches)] == [
        {"unique_key": {"code": "A1", "region": 1}},
        {"unique_key": {"code": "A1", "region": 2}},
        {"unique_key": {"code": "B7", "region": 1}},
    ]


@pytest.mark.parametrize(("database", "table"), [("small", "log"), ("typed", "visit")])
def test_tables_without_a_usable_key_number_rows_in_read_order(
    small_db: str, typed_db: str, database: str, table: str
) -> None:
    name = small_db if database == "small" else typed_db
    batches = batches_of(MySQLConnector(my_url(name), batch_rows=64), f"{name}.{table}")
    rows = rows_of(batches)
    assert [loc for loc, _ in rows] == [{"row": n} for n in range(1, len(rows) + 1)]
    assert all(b.key_note == NO_KEY_NOTE and not b.key_columns for b in batches)
    assert all(b.batch.num_rows <= 64 for b in batches)


def test_abandoned_unkeyed_stream_leaves_the_connector_usable(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db), batch_rows=10)
    stream = connector.read(WorkUnit(item(connector, f"{small_db}.log")))
    first = next(stream)
    assert isinstance(first, TableBatch) and first.batch.num_rows == 10
    stream.close()  # the rest of the result is never read
    assert len(rows_of(batches_of(connector, f"{small_db}.kv"))) == 100
    connector.close()


def test_table_with_only_binary_columns_besides_key_scans_the_key(typed_db: str) -> None:
    (batch,) = batches_of(MySQLConnector(my_url(typed_db)), f"{typed_db}.blobs")
    assert batch.scan_columns() == ["id"]


# -- big tables: bounded batches, splitting ------------------------------------------------


def test_big_table_reads_in_bounded_batches(big_db: str) -> None:
    connector = MySQLConnector(my_url(big_db))
    batches = batches_of(connector, f"{big_db}.big")
    assert all(b.batch.num_rows <= connector.batch_rows for b in batches)
    keys = [v for b in batches for v in b._key_values[0]]
    assert len(keys) == BIG_ROWS and set(keys) == set(range(3, 3 * BIG_ROWS + 1, 3))
    connector.close()


def test_big_table_splits_into_ranges_that_cover_every_row_once(big_db: str) -> None:
    connector = MySQLConnector(my_url(big_db), batch_rows=25_000)
    big = item(connector, f"{big_db}.big")
    units = connector.plan(big, big.size // 5)
    assert len(units) >= 5 and [u.part for u in units] == list(range(len(units)))
    assert units[0].start is None and units[-1].stop is None
    assert all(a.stop == b.start for a, b in itertools.pairwise(units))
    counts = Counter()
    for unit in units:
        results = list(connector.read(unit))
        assert not problems(results)
        counts.update(v for b in results for v in b._key_values[0])
    assert len(counts) == BIG_ROWS and set(counts.values()) == {1}
    connector.close()


def test_only_single_integer_keys_are_split(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db))
    items = {i.item_id: i for i in items_of(connector)}
    assert len(connector.plan(items[f"{small_db}.customer"], 1024)) > 1
    for table in ("enrollment", "kv", "log"):
        assert len(connector.plan(items[f"{small_db}.{table}"], 1)) == 1


# -- foreign keys -----------------------------------------------------------------------------


def test_foreign_keys_and_references(typed_db: str) -> None:
    connector = MySQLConnector(my_url(typed_db))
    fks = {fk.name: fk for fk in connector.foreign_keys()}
    assert set(fks) == {"fk_person", "fk_email", "fk_account", "fk_visitor"}
    assert fks["fk_person"].ref_kind == "primary_key" and fks["fk_person"].table == f"{typed_db}.orders"
    assert fks["fk_email"].ref_kind is None  # person is located by its primary key, not by email
    account = fks["fk_account"]
    assert (account.columns, account.ref_columns, account.ref_kind) == (
        ("acc_code", "acc_region"),
        ("code", "region"),
        "unique_key",
    )
    (batch,) = batches_of(connector, f"{typed_db}.orders")
    assert set(batch.foreign_keys) == {fks["fk_person"], fks["fk_email"], fks["fk_account"]}
    refs = [{fk.name: target for fk, target in batch.references(i)} for i in range(3)]
    assert refs == [
        {"fk_person": {"primary_key": {"id": 1}}, "fk_account": {"unique_key": {"code": "A1", "region": 2}}},
        {"fk_account": {"unique_key": {"code": "B7", "region": 1}}},
        {"fk_person": {"primary_key": {"id": 2}}},
    ]
    accounts = [loc for loc, _ in rows_of(batches_of(connector, f"{typed_db}.account"))]
    assert refs[0]["fk_account"] in accounts and refs[1]["fk_account"] in accounts
    (visits,) = batches_of(connector, f"{typed_db}.visit")  # no key: references still follow the rows
    assert visits.fk_values == ([[2, None, 1]],)
    assert [[target for _, target in visits.references(i)] for i in range(3)] == [
        [{"primary_key": {"id": 2}}],
        [],
        [{"primary_key": {"id": 1}}],
    ]


def test_inferred_relationships_are_confirmed_and_followed_on_request(typed_db: str) -> None:
    connector = MySQLConnector(my_url(typed_db))
    (inferred,) = connector.inferred_foreign_keys()
    assert (inferred.table, inferred.columns, inferred.ref_table, inferred.ref_columns) == (
        f"{typed_db}.note",
        ("person_id",),
        f"{typed_db}.person",
        ("id",),
    )
    (batch,) = batches_of(connector, f"{typed_db}.note")
    assert batch.foreign_keys == ()  # suggestions only, until the scan follows them
    connector.extra_foreign_keys = (inferred,)
    clone = pickle.loads(pickle.dumps(connector))  # as handed to workers
    (batch,) = batches_of(clone, f"{typed_db}.note")
    assert [batch.references(i) for i in range(3)] == [
        [(inferred, {"primary_key": {"id": 2}})],
        [],
        [(inferred, {"primary_key": {"id": 1}})],
    ]
    connector.close()
    clone.close()


# -- read-only sessions, privileges, timeouts ------------------------------------------------


def test_sessions_are_read_only(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db))  # root: the privileges would allow writing
    items_of(connector)
    with connector._conn.cursor() as cursor:
        cursor.execute("SELECT @@session.tx_read_only, @@session.time_zone")
        assert cursor.fetchone() == (1, "+00:00")
        for statement in ("INSERT INTO kv VALUES ('new', 'x')", "CREATE TABLE nope (a INT)", "DROP TABLE kv"):
            with pytest.raises(pymysql.MySQLError) as caught:
                cursor.execute(statement)
            assert caught.value.args[0] == 1792  # Cannot execute statement in a READ ONLY transaction
    connector.close()


def test_select_only_account_scans_chinook(chinook_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with my_user([f"SELECT ON `{chinook_db}`.*"]) as (user, password):
        connector = MySQLConnector(my_url(chinook_db, user=user, password=password))
        items = items_of(connector)
        assert len(items) == 11
        for ref in items:
            results = read_all(connector, connector.plan(ref, 16384))
            assert results and not problems(results), ref.item_id
        with connector._conn.cursor() as cursor, pytest.raises(pymysql.MySQLError):
            cursor.execute("DELETE FROM Customer")
        connector.close()
        # the password from MYSQL_PWD, or from a variable named by password_env
        monkeypatch.setenv("MYSQL_PWD", password)
        assert len(items_of(MySQLConnector(my_url(chinook_db, user=user)))) == 11
        monkeypatch.delenv("MYSQL_PWD")
        monkeypatch.setenv("PIISCAN_TEST_DB_PW", password)
        assert len(items_of(MySQLConnector(my_url(chinook_db, user=user), password_env="PIISCAN_TEST_DB_PW"))) == 11
        with pytest.raises(SourceError, match="environment variable PIISCAN_NOT_SET is not set"):
            items_of(MySQLConnector(my_url(chinook_db, user=user), password_env="PIISCAN_NOT_SET"))


def test_table_without_select_privilege_fails_alone(chinook_db: str) -> None:
    tables = ["Album", "Artist", "Employee", "Genre", "Invoice", "InvoiceLine", "MediaType", "Playlist", "Track"]
    grants = [f"SELECT ON `{chinook_db}`.`{t}`" for t in [*tables, "PlaylistTrack"]]
    grants.append(f"REFERENCES ON `{chinook_db}`.`Customer`")  # visible in information_schema, not readable
    with my_user(grants) as (user, password):
        connector = MySQLConnector(my_url(chinook_db, user=user, password=password))
        items = {i.item_id: i for i in items_of(connector)}
        assert len(items) == 11
        denied = read_all(connector, connector.plan(items[f"{chinook_db}.Customer"], 1 << 30))
        assert [(p.severity, p.item_id) for p in denied] == [("failed", f"{chinook_db}.Customer")]
        assert "SELECT command denied" in denied[0].reason and "\n" not in denied[0].reason
        for item_id, ref in items.items():
            if item_id != f"{chinook_db}.Customer":
                assert not problems(read_all(connector, connector.plan(ref, 1 << 30))), item_id
        connector.close()


def test_keyless_table_without_select_privilege_fails_alone(typed_db: str) -> None:
    readable = ["person", "account", "orders", "blobs", "we.ird"]
    grants = [f"SELECT ON `{typed_db}`.`{t}`" for t in readable] + [f"REFERENCES ON `{typed_db}`.`visit`"]
    with my_user(grants) as (user, password):
        connector = MySQLConnector(my_url(typed_db, user=user, password=password))
        items = {i.item_id: i for i in items_of(connector)}
        assert set(items) == {f"{typed_db}.{t}" for t in [*readable, "visit"]}
        (problem,) = list(connector.read(WorkUnit(items[f"{typed_db}.visit"])))  # the unbuffered path
        assert problem.severity == "failed" and "SELECT command denied" in problem.reason
        assert len(rows_of(list(connector.read(WorkUnit(items[f"{typed_db}.account"]))))) == 3
        connector.close()


def test_statement_and_lock_timeouts_fail_one_table(typed_db: str) -> None:
    connector = MySQLConnector(my_url(typed_db), include_views=True, statement_timeout_s=0.5, lock_timeout_s=1)
    items = {i.item_id: i for i in items_of(connector)}
    started = time.monotonic()
    (problem,) = list(connector.read(WorkUnit(items[f"{typed_db}.slow"])))
    assert isinstance(problem, ItemProblem) and problem.severity == "failed"
    assert "max_statement_time" in problem.reason and time.monotonic() - started < 2.5
    patient = MySQLConnector(my_url(typed_db), statement_timeout_s=30, lock_timeout_s=1)
    locker = my_connect(typed_db)
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLES account WRITE")
            started = time.monotonic()
            (problem,) = list(patient.read(WorkUnit(items[f"{typed_db}.account"])))
    finally:
        locker.close()  # releases the lock
    assert problem.severity == "failed" and "Lock wait timeout" in problem.reason
    assert time.monotonic() - started < 5
    patient.close()
    assert not problems(list(connector.read(WorkUnit(items[f"{typed_db}.account"]))))  # the session lives on
    connector.close()


# -- source errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"mysql://root:wrong-secret-pw@{MY_HOST}:{MY_PORT}/mysql", "Access denied"),
        (f"mysql://root:wrong-secret-pw@{MY_HOST}:1/mysql", "Can't connect"),
        (f"mysql://root@{MY_HOST}:{MY_PORT}/piiscan_no_such_db", "Unknown database"),
    ],
)
def test_unusable_sources_raise_one_line_source_errors(url: str, expected: str) -> None:
    my_connect().close()  # skip when no server at all
    connector = MySQLConnector(url)
    with pytest.raises(SourceError) as caught:
        list(connector.enumerate())
    message = str(caught.value)
    assert message.startswith(connector.source + ": ") and expected in message
    assert "\n" not in message and "wrong-secret-pw" not in message
    with pytest.raises(SourceError):
        connector.foreign_keys()


def test_missing_table_is_an_item_problem(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db))
    gone = ItemRef(connector.source, f"{small_db}.vanished", "table", 0, "")
    (problem,) = list(connector.read(WorkUnit(gone)))
    assert problem.severity == "failed" and problem.source == connector.source
    kv = item(connector, f"{small_db}.kv")
    (problem,) = list(connector.read(WorkUnit(kv, part=0, parts=2, start=None, stop=5)))
    assert (problem.severity, problem.reason) == ("failed", "the table's key changed since the scan was planned")


# -- pickling ----------------------------------------------------------------------------------


def test_used_connector_pickles_and_reads_again(chinook_db: str) -> None:
    with my_user([f"SELECT ON `{chinook_db}`.*"]) as (user, password):
        connector = MySQLConnector(my_url(chinook_db, user=user, password=password))
        customer = item(connector, f"{chinook_db}.Customer")
        first = rows_of(list(connector.read(WorkUnit(customer))))
        assert connector._conn is not None
        clone = pickle.loads(pickle.dumps(connector))
        assert clone._conn is None and clone.source == connector.source
        assert rows_of(list(clone.read(WorkUnit(customer)))) == first
        clone.close()
        connector.close()


def _count_rows_in_child(connector: MySQLConnector, ref: ItemRef, queue: Any) -> None:
    queue.put(sum(r.batch.num_rows for r in connector.read(WorkUnit(ref)) if isinstance(r, TableBatch)))


def test_forked_workers_open_their_own_sessions(small_db: str) -> None:
    connector = MySQLConnector(my_url(small_db))
    kv = item(connector, f"{small_db}.kv")  # the parent's session is open now
    context = multiprocessing.get_context("fork")  # as the scanner's pool: the connector is inherited, not pickled
    queue = context.Queue()
    children = [context.Process(target=_count_rows_in_child, args=(connector, kv, queue)) for _ in range(2)]
    for child in children:
        child.start()
    counts = [queue.get(timeout=30) for _ in children]
    for child in children:
        child.join(timeout=30)
    assert counts == [100, 100]
    assert len(rows_of(batches_of(connector, kv.item_id))) == 100  # the parent's session is unharmed
    connector.close()


# -- Chinook -----------------------------------------------------------------------------------


def test_chinook(chinook_db: str) -> None:
    connector = MySQLConnector(my_url(chinook_db))
    items = {i.item_id: i for i in items_of(connector)}
    tables = ["Album", "Artist", "Customer", "Employee", "Genre", "Invoice", "InvoiceLine", "MediaType"]
    assert list(items) == [f"{chinook_db}.{t}" for t in [*tables, "Playlist", "PlaylistTrack", "Track"]]
    customers = rows_of(batches_of(connector, f"{chinook_db}.Customer"))
    assert len(customers) == 59
    assert [loc for loc, _ in customers] == [{"primary_key": {"CustomerId": n}} for n in range(1, 60)]
    assert customers[0][1]["Email"] == "luisg@embraer.com.br"
    labels = {(fk.label, fk.ref_kind) for fk in connector.foreign_keys()}
    assert (f"{chinook_db}.Invoice.CustomerId → {chinook_db}.Customer.CustomerId", "primary_key") in labels
    assert (f"{chinook_db}.InvoiceLine.InvoiceId → {chinook_db}.Invoice.InvoiceId", "primary_key") in labels
    playlist_track = rows_of(batches_of(connector, f"{chinook_db}.PlaylistTrack"))
    assert set(playlist_track[0][0]["primary_key"]) == {"PlaylistId", "TrackId"}
    invoices = batches_of(connector, f"{chinook_db}.Invoice")
    customer_locators = {str(loc) for loc, _ in customers}
    references = [ref for b in invoices for i in range(b.batch.num_rows) for ref in b.references(i)]
    assert len(references) == 412
    assert all(
        fk.ref_table == f"{chinook_db}.Customer" and str(target) in customer_locators for fk, target in references
    )
    connector.close()
