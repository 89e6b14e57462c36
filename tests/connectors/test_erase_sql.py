"""SQL erasers on real databases: SQLite (a Chinook copy), PostgreSQL and MariaDB.

The same small schema is made in each (a parent table referenced by a child table, a NOT NULL text and a
NOT NULL integer column, a timestamp key, a table without a key) and every test compares whole-table dumps
taken through a separate connection before and after.
"""

from __future__ import annotations

import hmac
import pickle
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from piiscan.connectors.base import Connector, ItemRef, SourceError, TableBatch, WorkUnit
from piiscan.connectors.erasers import REDACTION, EraseAction, Eraser, open_eraser
from piiscan.connectors.sql.eraser import CHANGED, row_hash, value_text
from piiscan.connectors.sql.mysql import MySQLEraser
from piiscan.connectors.sql.postgres import PostgresEraser
from piiscan.connectors.sql.sqlite import SQLiteEraser
from tests.conftest import shared_dataset
from tests.db_support import my_connect, my_database, my_url, pg_connect, pg_database, pg_url


def digest(data: bytes) -> str:
    return hmac.new(b"k" * 32, data, "sha256").hexdigest()


PARENTS = [(n, f"p{n}@example.com", f"+44 20 7946 000{n}", n * 10, f"note {n}") for n in range(1, 7)]
CHILDREN = [(n, n, f"body {n}") for n in range(1, 5)]  # parents 1-4 are referenced, 5 and 6 are not
EVENTS = [(f"2024-01-0{n} 03:04:05", f"who {n}") for n in range(1, 4)]

DDL = {
    "sqlite": [
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, email VARCHAR(60) NOT NULL, phone VARCHAR(30),"
        " score INTEGER NOT NULL, note TEXT)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id), body TEXT)",
        "CREATE TABLE event (at DATETIME PRIMARY KEY, who TEXT)",
        "CREATE TABLE nokey (msg TEXT)",
    ],
    "postgresql": [
        "CREATE TABLE parent (id int PRIMARY KEY, email varchar(60) NOT NULL, phone varchar(30),"
        " score int NOT NULL, note text)",
        "CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), body text)",
        "CREATE TABLE event (at timestamptz PRIMARY KEY, who text)",
        "CREATE TABLE nokey (msg text)",
    ],
    "mysql": [
        "CREATE TABLE parent (id int PRIMARY KEY, email varchar(60) NOT NULL, phone varchar(30),"
        " score int NOT NULL, note text) ENGINE=InnoDB",
        "CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL, body text,"
        " FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB",
        "CREATE TABLE event (at datetime PRIMARY KEY, who text) ENGINE=InnoDB",
        "CREATE TABLE nokey (msg text) ENGINE=InnoDB",
    ],
}
TABLES = ("child", "event", "nokey", "parent")


@dataclass
class Case:
    """One dialect's database with the small schema loaded: how to reach it, and a separate connection."""

    dialect: str
    source: str
    prefix: str  # item id = prefix + table name
    sql: Callable[[str], list[tuple[Any, ...]]]  # run a statement on a separate connection; its rows
    connector: Callable[[], Connector]
    lock_row: Callable[[int], Callable[[], None]]  # another session locks a parent row; call the result to end it
    options: dict[str, Any] = field(default_factory=dict)

    def item(self, table: str) -> str:
        return self.prefix + table

    def eraser(self) -> Eraser:
        return open_eraser(self.source, digest, **self.options)

    def dump(self, table: str) -> list[tuple[str | None, ...]]:
        return sorted(tuple(value_text(v) for v in row) for row in self.sql(f"SELECT * FROM {table}"))

    def dumps(self) -> dict[str, list[tuple[str | None, ...]]]:
        return {table: self.dump(table) for table in TABLES}

    def row(self, table: str, key: int) -> tuple[str | None, ...] | None:
        return next((r for r in self.dump(table) if r[0] == str(key)), None)


def _load(run: Callable[[str, list[Any]], Any], dialect: str) -> None:
    mark = "?" if dialect == "sqlite" else "%s"
    for statement in DDL[dialect]:
        run(statement, [])
    for values in PARENTS:
        run(f"INSERT INTO parent VALUES ({', '.join([mark] * 5)})", list(values))
    for values in CHILDREN:
        run(f"INSERT INTO child VALUES ({mark}, {mark}, {mark})", list(values))
    for values in EVENTS:
        run(f"INSERT INTO event VALUES ({mark}, {mark})", list(values))
    for n in range(1, 4):
        run(f"INSERT INTO nokey VALUES ({mark})", [f"message {n}"])


def chinook_copy(tmp_path: Path) -> Path:
    path = tmp_path / "chinook.db"
    shutil.copyfile(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), path)
    return path


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    with pg_database("piiscan_erase") as name:
        yield name


@pytest.fixture(scope="module")
def my_db() -> Iterator[str]:
    with my_database("piiscan_erase") as name:
        yield name


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    dialect = request.param
    if dialect == "sqlite":
        from piiscan.connectors.sql.sqlite import SQLiteConnector

        path = chinook_copy(tmp_path)
        conn = sqlite3.connect(path, isolation_level=None)
        _load(lambda s, p: conn.execute(s, p), dialect)

        def run_sqlite(statement: str) -> list[tuple[Any, ...]]:
            return conn.execute(statement).fetchall()

        def lock_sqlite(n: int) -> Callable[[], None]:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # SQLite locks the whole file for writing
            return other.close

        source = SQLiteConnector(str(path)).source
        yield Case(dialect, source, "", run_sqlite, lambda: SQLiteConnector(source), lock_sqlite)
        conn.close()
    elif dialect == "postgresql":
        from piiscan.connectors.sql.postgres import PostgresConnector

        name = request.getfixturevalue("pg_db")
        with pg_connect(name) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)} CASCADE")
            _load(lambda s, p: conn.execute(s, p), dialect)

            def run_pg(statement: str) -> list[tuple[Any, ...]]:
                cursor = conn.execute(statement)
                return cursor.fetchall() if cursor.description else []

            def lock_pg(n: int) -> Callable[[], None]:
                other = pg_connect(name, autocommit=False)
                other.execute("SELECT 1 FROM parent WHERE id = %s FOR UPDATE", [n])
                return other.close

            yield Case(dialect, pg_url(name), "public.", run_pg, lambda: PostgresConnector(pg_url(name)), lock_pg)
    else:
        from piiscan.connectors.sql.mysql import MySQLConnector

        name = request.getfixturevalue("my_db")
        conn = my_connect(name)
        with conn.cursor() as cursor:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        _load(lambda s, p: conn.cursor().execute(s, p), dialect)

        def run_my(statement: str) -> list[tuple[Any, ...]]:
            with conn.cursor() as cursor:
                cursor.execute(statement)
                return list(cursor.fetchall())

        def lock_my(n: int) -> Callable[[], None]:
            other = my_connect(name)
            with other.cursor() as cursor:
                cursor.execute("START TRANSACTION")
                cursor.execute("SELECT 1 FROM parent WHERE id = %s FOR UPDATE", [n])
            return other.close

        yield Case(dialect, my_url(name), f"{name}.", run_my, lambda: MySQLConnector(my_url(name)), lock_my)
        conn.close()


def pk(n: int) -> dict[str, Any]:
    return {"primary_key": {"id": n}}


def action(case: Case, table: str, kind: str, locator: Any, *columns: str, aid: str | None = None) -> EraseAction:
    return EraseAction(
        action_id=aid or f"{table}:{kind}:{locator}:{','.join(columns)}",
        source=case.source,
        item=case.item(table),
        action=kind,  # type: ignore[arg-type]
        locator=locator,
        columns=columns,
    )


def planned(eraser: Eraser, item: str, actions: list[EraseAction]) -> list[EraseAction]:
    """The actions with before/after filled in by inspect (as the orchestrator plans them)."""
    seen = eraser.inspect(item, actions)
    for a in actions:
        assert seen[a.action_id].manual_reason is None, seen[a.action_id]
        a.before, a.after = seen[a.action_id].before, seen[a.action_id].after
    return actions


def parent_state(n: int, **changes: Any) -> str:
    """The state hash a parent row has (the same in every dialect: values as text)."""
    n_, email, phone, score, note = PARENTS[n - 1]
    row = {"id": n_, "email": email, "phone": phone, "score": score, "note": note} | changes
    return row_hash(digest, row)


def connector_locators(connector: Connector, item: str, column: str) -> dict[str, dict[str, Any]]:
    """Locators the read connector gives each row of ``item``, by the row's ``column`` text."""
    ref = next(i for i in connector.enumerate() if isinstance(i, ItemRef) and i.item_id == item)
    out = {}
    for batch in connector.read(WorkUnit(ref)):
        assert isinstance(batch, TableBatch), batch
        values = batch.batch.column(column).to_pylist()
        out.update({v: batch.locator(i) for i, v in enumerate(values)})
    connector.close()
    return out


# -- the shared suite ------------------------------------------------------------------------


def test_inspect_gives_before_and_after_and_writes_nothing(case: Case) -> None:
    before = case.dumps()
    eraser = case.eraser()
    actions = [
        action(case, "parent", "delete_row", pk(5)),
        action(case, "parent", "null_columns", pk(6), "phone", "note"),
        action(case, "parent", "null_columns", pk(3), "email"),
        action(case, "parent", "delete_row", pk(99)),
    ]
    seen = eraser.inspect(case.item("parent"), actions)
    eraser.close()
    assert [(s.before, s.after, s.manual_reason) for s in seen.values()] == [
        (parent_state(5), None, None),
        (parent_state(6), parent_state(6, phone=None, note=None), None),
        (parent_state(3), parent_state(3, email=REDACTION), None),
        (None, None, None),  # no such row: already gone
    ]
    assert case.dumps() == before


def test_execute_deletes_exactly_the_targeted_rows(case: Case) -> None:
    before = case.dumps()
    eraser = case.eraser()
    parents = planned(eraser, case.item("parent"), [action(case, "parent", "delete_row", pk(n)) for n in (5, 6)])
    children = planned(eraser, case.item("child"), [action(case, "child", "delete_row", pk(2))])
    results = eraser.execute(case.item("parent"), parents) + eraser.execute(case.item("child"), children)
    eraser.close()
    assert [(r.outcome, r.before, r.after) for r in results] == [
        ("done", parents[0].before, None),
        ("done", parents[1].before, None),
        ("done", children[0].before, None),
    ]
    after = case.dumps()
    assert after["parent"] == [r for r in before["parent"] if r[0] not in ("5", "6")]
    assert after["child"] == [r for r in before["child"] if r[0] != "2"]
    assert (after["event"], after["nokey"]) == (before["event"], before["nokey"])


def test_null_columns_clears_only_those_columns_and_redacts_not_null_text(case: Case) -> None:
    before = case.dumps()
    eraser = case.eraser()
    actions = planned(
        eraser,
        case.item("parent"),
        [
            action(case, "parent", "null_columns", pk(6), "phone", "note"),
            action(case, "parent", "null_columns", pk(3), "email", "phone"),
        ],
    )
    results = eraser.execute(case.item("parent"), actions)
    assert [(r.outcome, r.before, r.after) for r in results] == [
        ("done", parent_state(6), parent_state(6, phone=None, note=None)),
        ("done", parent_state(3), parent_state(3, email=REDACTION, phone=None)),
    ]
    expected = {r[0]: r for r in before["parent"]}
    expected["6"] = ("6", "p6@example.com", None, "60", None)
    expected["3"] = ("3", REDACTION, None, "30", "note 3")
    assert case.dump("parent") == sorted(expected.values())
    # the plan replayed (a resumed run): nothing left to do, nothing changes
    dumped = case.dumps()
    again = eraser.execute(case.item("parent"), actions)
    eraser.close()
    assert [(r.outcome, r.after) for r in again] == [("already_done", a.after) for a in actions]
    assert case.dumps() == dumped


def test_second_execute_of_deletes_is_already_done(case: Case) -> None:
    eraser = case.eraser()
    actions = planned(eraser, case.item("child"), [action(case, "child", "delete_row", pk(n)) for n in (3, 4)])
    assert [r.outcome for r in eraser.execute(case.item("child"), actions)] == ["done", "done"]
    dumped = case.dumps()
    assert [r.outcome for r in eraser.execute(case.item("child"), actions)] == ["already_done"] * 2
    eraser.close()
    assert case.dumps() == dumped


def test_a_row_changed_since_the_plan_is_refused_and_untouched(case: Case) -> None:
    eraser = case.eraser()
    actions = planned(
        eraser,
        case.item("parent"),
        [action(case, "parent", "null_columns", pk(4), "phone"), action(case, "parent", "delete_row", pk(5))],
    )
    case.sql("UPDATE parent SET note = 'changed' WHERE id = 4")
    case.sql("UPDATE parent SET score = 51 WHERE id = 5")
    dumped = case.dumps()
    results = eraser.execute(case.item("parent"), actions)
    eraser.close()
    assert [(r.outcome, r.detail) for r in results] == [("refused", CHANGED)] * 2
    assert results[0].before == parent_state(4, note="changed")
    assert case.dumps() == dumped


def test_a_referenced_parent_fails_alone_without_values_in_the_reason(case: Case) -> None:
    eraser = case.eraser()
    actions = planned(
        eraser,
        case.item("parent"),
        [
            action(case, "parent", "delete_row", pk(6)),
            action(case, "parent", "delete_row", pk(1)),  # child 1 references it
            action(case, "parent", "null_columns", pk(5), "phone"),
        ],
    )
    before = case.dumps()
    results = eraser.execute(case.item("parent"), actions)
    eraser.close()
    assert [r.outcome for r in results] == ["done", "failed", "done"]
    detail = results[1].detail
    assert "\n" not in detail and "foreign key" in detail.lower()
    assert "parent" in detail
    for value in ("p1@example.com", "7946", "note 1", "(1)", "=1", "= 1"):
        assert value not in detail
    after = {r[0]: r for r in case.dump("parent")}
    assert "6" not in after and after["1"] == next(r for r in before["parent"] if r[0] == "1")
    assert after["5"][2] is None
    assert case.dump("child") == before["child"]


def test_dry_run_writes_nothing_but_reports_every_check(case: Case) -> None:
    eraser = case.eraser()
    actions = planned(
        eraser,
        case.item("parent"),
        [
            action(case, "parent", "delete_row", pk(5)),
            action(case, "parent", "null_columns", pk(6), "phone"),
            action(case, "parent", "null_columns", pk(4), "phone"),
            action(case, "parent", "delete_row", pk(99)),
        ],
    )
    actions[2].before = "stale"
    before = case.dumps()
    results = eraser.execute(case.item("parent"), actions, dry_run=True)
    assert [r.outcome for r in results] == ["dry_run", "dry_run", "refused", "already_done"]
    assert case.dumps() == before
    # the session is usable for real work afterwards
    assert [r.outcome for r in eraser.execute(case.item("parent"), actions[:2])] == ["done", "done"]
    eraser.close()


def test_what_cannot_be_done_safely_is_manual(case: Case) -> None:
    eraser = case.eraser()
    actions = {
        "row": action(case, "nokey", "delete_row", {"row": 2}),
        "ctid": action(case, "nokey", "delete_row", {"ctid": "(0,1)"}),
        "none": action(case, "nokey", "delete_row", None),
    }
    seen = eraser.inspect(case.item("nokey"), list(actions.values()))
    assert {k: seen[a.action_id].manual_reason for k, a in actions.items()} == dict.fromkeys(
        actions, f"rows of {case.item('nokey')} have no stable key; erase by hand"
    )
    parent = case.item("parent")
    actions = {
        "key column": action(case, "parent", "null_columns", pk(2), "id"),
        "not null number": action(case, "parent", "null_columns", pk(2), "score"),
        "unknown column": action(case, "parent", "null_columns", pk(2), "nope"),
        "file action": action(case, "parent", "redact_spans", pk(2)),
        "unknown key": action(case, "parent", "delete_row", {"primary_key": {"nope": 2}}),
    }
    seen = eraser.inspect(parent, list(actions.values()))
    assert {k: seen[a.action_id].manual_reason for k, a in actions.items()} == {
        "key column": f"column id is part of the key of {parent}; delete the row or erase by hand",
        "not null number": f"column score of {parent} is NOT NULL and not text; erase by hand",
        "unknown column": f"column nope of {parent} does not exist; re-plan",
        "file action": f"redact_spans is not an action on rows of {parent}; erase by hand",
        "unknown key": f"the locator of a row of {parent} names a column the table does not have; re-plan",
    }
    # executed anyway (a hand-edited plan): failed, nothing written
    before = case.dumps()
    results = eraser.execute(parent, list(actions.values()))
    assert {r.outcome for r in results} == {"failed"}
    assert case.dumps() == before
    missing = eraser.inspect(case.item("no_such_table"), [action(case, "no_such_table", "delete_row", pk(1))])
    eraser.close()
    assert "does not exist" in next(iter(missing.values())).manual_reason


def test_a_row_locked_by_another_session_fails_after_the_lock_timeout(case: Case) -> None:
    case.options["lock_timeout_s"] = 1
    eraser = case.eraser()
    actions = planned(eraser, case.item("parent"), [action(case, "parent", "delete_row", pk(5))])
    before = case.dumps()
    release = case.lock_row(5)
    try:
        (result,) = eraser.execute(case.item("parent"), actions)
    finally:
        release()
    assert result.outcome == "failed" and "lock" in result.detail.lower(), result
    assert case.dumps() == before
    # once the other session is done, the same plan goes through
    assert [r.outcome for r in eraser.execute(case.item("parent"), actions)] == ["done"]
    eraser.close()


def test_locators_from_the_read_connector_find_their_rows(case: Case) -> None:
    """Keys as the connectors report them: ints stay ints, a timestamp key is its text."""
    eraser = case.eraser()
    for table, column in (("parent", "email"), ("event", "who")):
        locators = connector_locators(case.connector(), case.item(table), column)
        assert len(locators) == (6 if table == "parent" else 3)
        actions = [action(case, table, "delete_row", loc, aid=value) for value, loc in locators.items()]
        seen = eraser.inspect(case.item(table), actions)
        assert all(s.before is not None and s.manual_reason is None for s in seen.values()), seen
    events = connector_locators(case.connector(), case.item("event"), "who")
    delete = planned(eraser, case.item("event"), [action(case, "event", "delete_row", events["who 2"])])
    assert [r.outcome for r in eraser.execute(case.item("event"), delete)] == ["done"]
    eraser.close()
    assert [r[1] for r in case.dump("event")] == ["who 1", "who 3"]


def test_long_calls_commit_in_batches(case: Case) -> None:
    case.sql("CREATE TABLE bulk (id int PRIMARY KEY, email text)")
    case.sql(
        "INSERT INTO bulk VALUES "
        + ", ".join(f"({n}, 'b{n}@example.com')" for n in range(1, 2502))  # 2501 rows: three batches
    )
    eraser = case.eraser()
    try:
        actions = planned(
            eraser, case.item("bulk"), [action(case, "bulk", "delete_row", pk(n)) for n in range(1, 2501)]
        )
        results = eraser.execute(case.item("bulk"), actions)
    finally:
        eraser.close()
        remaining = case.dump("bulk")
        case.sql("DROP TABLE bulk")
    assert [r.outcome for r in results] == ["done"] * 2500
    assert remaining == [("2501", "b2501@example.com")]


def test_erasers_pickle_without_their_connection(case: Case) -> None:
    eraser = case.eraser()
    eraser.inspect(case.item("parent"), [action(case, "parent", "delete_row", pk(1))])
    clone = pickle.loads(pickle.dumps(eraser))
    eraser.close()
    assert clone._conn is None  # type: ignore[attr-defined]
    seen = clone.inspect(case.item("parent"), [action(case, "parent", "delete_row", pk(1))])
    clone.close()
    assert next(iter(seen.values())).before == parent_state(1)


# -- SQLite ---------------------------------------------------------------------------------------------


def test_chinook_sqlite_respects_foreign_keys(tmp_path: Path) -> None:
    path = chinook_copy(tmp_path)
    eraser = SQLiteEraser(f"sqlite:///{path}", digest, include=("*",), follow_symlinks=False)
    assert eraser.source == "sqlite:///" + path.as_posix()

    def dump(table: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        conn.close()
        return rows

    def act(table: str, kind: str, key: str, n: int, *columns: str) -> EraseAction:
        return EraseAction(f"{table}{n}{kind}", eraser.source, table, kind, {"primary_key": {key: n}}, columns)  # type: ignore[arg-type]

    before = {t: dump(t) for t in ("Customer", "Invoice", "InvoiceLine")}
    lines = [r[0] for r in before["InvoiceLine"] if r[1] == 1]
    # invoice 1's lines, then the invoice; the customer is still referenced by other invoices
    line_actions = planned(eraser, "InvoiceLine", [act("InvoiceLine", "delete_row", "InvoiceLineId", n) for n in lines])
    assert {r.outcome for r in eraser.execute("InvoiceLine", line_actions)} == {"done"}
    invoice = planned(eraser, "Invoice", [act("Invoice", "delete_row", "InvoiceId", 1)])
    assert [r.outcome for r in eraser.execute("Invoice", invoice)] == ["done"]
    customer = planned(
        eraser,
        "Customer",
        [
            act("Customer", "delete_row", "CustomerId", 2),
            act("Customer", "null_columns", "CustomerId", 3, "Email", "Phone"),
        ],
    )
    results = eraser.execute("Customer", customer)
    assert [r.outcome for r in results] == ["failed", "done"]
    assert results[0].detail == "cannot delete a row of Customer: SQLite error: FOREIGN KEY constraint failed"
    manual = eraser.inspect("Invoice", [act("Invoice", "null_columns", "InvoiceId", 2, "Total")])
    assert (
        manual["Invoice2null_columns"].manual_reason
        == "column Total of Invoice is NOT NULL and not text; erase by hand"
    )
    eraser.close()
    after = {t: dump(t) for t in ("Customer", "Invoice", "InvoiceLine")}
    assert after["InvoiceLine"] == [r for r in before["InvoiceLine"] if r[1] != 1]
    assert after["Invoice"] == before["Invoice"][1:]
    expected = [r if r[0] != 3 else (*r[:9], None, r[10], REDACTION, r[12]) for r in before["Customer"]]
    assert after["Customer"] == expected


def test_sqlite_trigger_that_changes_the_row_rolls_the_action_back(tmp_path: Path) -> None:
    path = chinook_copy(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER touch AFTER UPDATE OF Phone ON Customer"
            " BEGIN UPDATE Customer SET Fax = 'touched' WHERE CustomerId = NEW.CustomerId; END"
        )
    conn.close()
    eraser = SQLiteEraser(f"sqlite:///{path}", digest)
    actions = planned(
        eraser,
        "Customer",
        [EraseAction("a", eraser.source, "Customer", "null_columns", {"primary_key": {"CustomerId": 4}}, ("Phone",))],
    )
    (result,) = eraser.execute("Customer", actions)
    eraser.close()
    assert (result.outcome, result.after) == ("failed", None)
    assert "does not match the plan" in result.detail
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT Phone IS NOT NULL, Fax FROM Customer WHERE CustomerId = 4").fetchone()[0] == 1
    conn.close()


def test_sqlite_deferred_violation_rolls_back_the_whole_call(tmp_path: Path) -> None:
    """A deferred foreign key is only checked at COMMIT: nothing of the call remains, every action says why."""
    path = tmp_path / "deferred.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute(
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)"
        )
        conn.executemany("INSERT INTO p VALUES (?, ?)", [(1, "a"), (2, "b")])
        conn.execute("INSERT INTO c VALUES (1, 1)")
    conn.close()
    eraser = SQLiteEraser(f"sqlite:///{path}", digest)
    actions = planned(
        eraser, "p", [EraseAction(str(n), eraser.source, "p", "delete_row", {"primary_key": {"id": n}}) for n in (2, 1)]
    )
    results = eraser.execute("p", actions)
    assert [r.outcome for r in results] == ["failed", "failed"]
    assert results[0].detail == "p: transaction rolled back: SQLite error: FOREIGN KEY constraint failed"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id FROM p ORDER BY id").fetchall() == [(1,), (2,)]
    conn.close()
    # the session is still usable: the unreferenced row alone goes through
    assert [r.outcome for r in eraser.execute("p", actions[:1])] == ["done"]
    eraser.close()


def test_postgres_deferred_violation_fails_its_own_action(pg_db: str) -> None:
    with pg_connect(pg_db) as conn:
        conn.execute("DROP TABLE IF EXISTS dc, dp")
        conn.execute("CREATE TABLE dp (id int PRIMARY KEY, v text)")
        conn.execute("CREATE TABLE dc (id int PRIMARY KEY, p int REFERENCES dp (id) DEFERRABLE INITIALLY DEFERRED)")
        conn.execute("INSERT INTO dp VALUES (1, 'a'), (2, 'b'); INSERT INTO dc VALUES (1, 1)")
        eraser = PostgresEraser(pg_url(pg_db), digest)
        actions = planned(
            eraser,
            "public.dp",
            [EraseAction(str(n), eraser.source, "public.dp", "delete_row", {"primary_key": {"id": n}}) for n in (1, 2)],
        )
        results = eraser.execute("public.dp", actions)
        eraser.close()
        assert [r.outcome for r in results] == ["failed", "done"]
        assert "dc_p_fkey" in results[0].detail
        assert conn.execute("SELECT id FROM dp").fetchall() == [(1,)]
        conn.execute("DROP TABLE dc, dp")


def test_sqlite_rowid_locators_are_stable(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE log (msg TEXT)")
        conn.executemany("INSERT INTO log VALUES (?)", [("a@example.com",), ("b@example.com",)])
    conn.close()
    eraser = SQLiteEraser(f"sqlite:///{path}", digest)
    actions = planned(eraser, "log", [EraseAction("a", eraser.source, "log", "delete_row", {"rowid": 2})])
    assert actions[0].before == row_hash(digest, {"msg": "b@example.com"})
    assert [r.outcome for r in eraser.execute("log", actions)] == ["done"]
    eraser.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT msg FROM log").fetchall() == [("a@example.com",)]
    conn.close()


def test_sqlite_missing_file_is_a_source_error(tmp_path: Path) -> None:
    eraser = SQLiteEraser(f"sqlite:///{tmp_path / 'missing.db'}", digest)
    with pytest.raises(SourceError, match=r"missing\.db: does not exist"):
        eraser.inspect("t", [])
    assert not (tmp_path / "missing.db").exists()


# -- credentials ---------------------------------------------------------------------------------------


def test_postgres_wrong_password_is_a_source_error_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.connectors.test_postgres import FakeServer  # refuses every password (the test server trusts all)

    server = FakeServer()
    try:
        source = f"postgresql://postgres@127.0.0.1:{server.port}/x"
        monkeypatch.setenv("PGPASSWORD", "s3cret-pg")
        with pytest.raises(SourceError) as caught:
            PostgresEraser(source, digest).execute("public.t", [])
        assert str(caught.value) == f'{source}: password authentication failed for user "postgres"'
        monkeypatch.delenv("PGPASSWORD")
        monkeypatch.setenv("PIISCAN_TEST_ERASE_PW", "hunter2-env")
        eraser = PostgresEraser(source, digest, password_env="PIISCAN_TEST_ERASE_PW", include=("*",))
        assert b"hunter2" not in pickle.dumps(eraser)
        with pytest.raises(SourceError) as again:
            eraser.inspect("public.t", [])
        assert "hunter2" not in str(again.value)
        assert server.passwords == ["s3cret-pg", "hunter2-env"]
    finally:
        server.close()


def test_mysql_wrong_password_is_a_source_error_without_it(my_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYSQL_PWD", "wrong-Pw-123")
    eraser = MySQLEraser(my_url(my_db), digest)
    assert "wrong-Pw" not in eraser.source
    with pytest.raises(SourceError) as caught:
        eraser.inspect(f"{my_db}.parent", [])
    message = str(caught.value)
    assert message.startswith(f"{my_url(my_db)}: ") and "1045" in message
    assert "wrong-Pw-123" not in message and "\n" not in message
