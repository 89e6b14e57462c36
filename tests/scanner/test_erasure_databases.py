"""``piiscan erase`` plan → apply → verify on Chinook in SQLite, PostgreSQL and MariaDB, through the CLI.

Issue 6's acceptance: erasing luisg@embraer.com.br removes exactly the customer row, its 7 invoices and
their 38 lines, nothing else changes (every other row of every table compares equal), a rescan finds no
trace, the audit log holds every action, and a replayed plan changes nothing.  Also: a row changed after
planning is refused, an employee that other people's rows reference is cleared instead of deleted, and an
apply killed half-way resumes to the same end state.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, lookup_json, run_cli, shared_dataset
from tests.db_support import (
    my_database,
    my_execute,
    my_load_chinook,
    my_query,
    my_url,
    pg_database,
    pg_execute,
    pg_load_chinook,
    pg_query,
    pg_url,
)

EMAIL = "luisg@embraer.com.br"
JANE = "jane@chinookcorp.com"

Dump = dict[str, set[tuple[str, ...]]]


@dataclass
class Estate:
    """A scanned Chinook copy that tests may change."""

    url: str
    index: Path
    tmp: Path
    names: dict[str, str]  # logical name -> this dialect's table/column name
    query: Callable[[str], list[tuple[Any, ...]]]
    execute: Callable[[str], None]
    tables: list[str]

    def dump(self) -> Dump:
        """Every row of every table, as text tuples."""
        return {
            t: {tuple("" if v is None else str(v) for v in row) for row in self.query(f"SELECT * FROM {t}")}
            for t in self.tables
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return run_cli(*args, "--index", str(self.index))

    def plan(self, *args: str) -> tuple[Path, dict[str, Any]]:
        path = self.tmp / f"plan-{len(list(self.tmp.glob('plan-*.json')))}.json"
        proc = self.cli("erase", *args, "--plan", str(path))
        assert proc.returncode == 0, proc.stderr
        return path, json.loads(path.read_text())

    def audit(self) -> list[dict[str, Any]]:
        path = self.index / "audit" / "erasure.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _scan(url: str, index: Path) -> None:
    run_cli("scan", url, "--index", str(index), "--workers", "2", "--no-ner", "--quiet", check=True)


SQLITE_NAMES = {
    "customer": "Customer",
    "invoice": "Invoice",
    "invoice_line": "InvoiceLine",
    "employee": "Employee",
    "customer_id": "CustomerId",
    "invoice_id": "InvoiceId",
    "invoice_line_id": "InvoiceLineId",
    "support_rep_id": "SupportRepId",
    "employee_id": "EmployeeId",
    "total": "Total",
}


def _sqlite(tmp: Path) -> Iterator[Estate]:
    database = tmp / "chinook.sqlite"
    shutil.copy(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), database)
    url = f"sqlite:///{database}"
    _scan(url, tmp / "index")

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(database) as db:
            return db.execute(sql).fetchall()

    def execute(sql: str) -> None:
        with sqlite3.connect(database) as db:
            db.execute(sql)

    tables = [r[0] for r in query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    yield Estate(url, tmp / "index", tmp, SQLITE_NAMES, query, execute, tables)


def _postgres(tmp: Path) -> Iterator[Estate]:
    with pg_database("piiscan_erase") as name:
        pg_load_chinook(name)
        _scan(pg_url(name), tmp / "index")

        query, execute = partial(pg_query, name), partial(pg_execute, name)

        tables = [r[0] for r in query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        names = {k: _snake(v) for k, v in SQLITE_NAMES.items()}
        yield Estate(pg_url(name), tmp / "index", tmp, names, query, execute, tables)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _mariadb(tmp: Path) -> Iterator[Estate]:
    with my_database("piiscan_erase") as name:
        my_load_chinook(name)
        _scan(my_url(name), tmp / "index")

        query, execute = partial(my_query, name), partial(my_execute, name)

        tables = [r[0] for r in query("SHOW TABLES")]
        yield Estate(my_url(name), tmp / "index", tmp, dict(SQLITE_NAMES), query, execute, tables)


MAKERS = {"sqlite": _sqlite, "postgresql": _postgres, "mariadb": _mariadb}


@pytest.fixture(params=list(MAKERS))
def estate(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Estate]:
    yield from MAKERS[request.param](tmp_path)


@pytest.fixture
def sqlite_estate(tmp_path: Path) -> Iterator[Estate]:
    yield from _sqlite(tmp_path)


def _table_of(estate: Estate, item: str) -> str:
    return item.split(".")[-1]


def _footprint(estate: Estate) -> dict[str, set[Any]]:
    n = estate.names
    invoices = {
        r[0] for r in estate.query(f"SELECT {n['invoice_id']} FROM {n['invoice']} WHERE {n['customer_id']} = 1")
    }
    lines = {
        r[0]
        for r in estate.query(
            f"SELECT l.{n['invoice_line_id']} FROM {n['invoice_line']} l JOIN {n['invoice']} i"
            f" ON i.{n['invoice_id']} = l.{n['invoice_id']} WHERE i.{n['customer_id']} = 1"
        )
    }
    return {"customer": {1}, "invoice": invoices, "invoice_line": lines}


def _without(estate: Estate, before: Dump, footprint: dict[str, set[Any]]) -> Dump:
    """``before`` minus the footprint's rows (matched on the table's key column, the first)."""
    expected = {t: set(rows) for t, rows in before.items()}
    for logical, keys in footprint.items():
        table = next(t for t in expected if t.lower() == estate.names[logical].lower())
        expected[table] = {row for row in expected[table] if int(row[0]) not in keys}
    return expected


def _by_id(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["action_id"]: r for r in results}


def test_erasing_a_customer_removes_exactly_their_rows(estate: Estate) -> None:
    before = estate.dump()
    footprint = _footprint(estate)
    assert len(footprint["invoice"]) == 7 and len(footprint["invoice_line"]) == 38

    path, plan = estate.plan("--email", EMAIL, "--request-id", "TICKET-1")
    assert plan["request_id"] == "TICKET-1"
    planned = {
        (_table_of(estate, a["item"]).lower(), a["action"], next(iter(a["locator"]["primary_key"].values())))
        for a in plan["actions"]
    }
    expected = {(estate.names[t].lower(), "delete_row", k) for t, keys in footprint.items() for k in keys}
    assert planned == expected
    assert all(not a["stale"] and a["before"] for a in plan["actions"])
    # children before parents
    order = {
        t: {a["order"] for a in plan["actions"] if _table_of(estate, a["item"]).lower() == estate.names[t].lower()}
        for t in footprint
    }
    assert max(order["invoice_line"]) < min(order["invoice"]) and max(order["invoice"]) < min(order["customer"])
    assert EMAIL not in path.read_text()

    dry = estate.cli("erase", "--apply", str(path), "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert {r["outcome"] for r in json.loads(dry.stdout)["apply"]["results"]} == {"dry_run"}
    assert estate.dump() == before and estate.audit() == []

    applied = estate.cli("erase", "--apply", str(path), "--yes", "--format", "json")
    assert applied.returncode == 0, applied.stderr + applied.stdout
    out = json.loads(applied.stdout)
    assert out["apply"]["counts"] == {"done": 46}
    assert out["verify"]["counts"] == {"erased": 46}
    assert estate.dump() == _without(estate, before, footprint)
    assert lookup_json(estate.index, "--email", EMAIL, "--related")["locations"] == []

    audit = estate.audit()
    applied_entries = [e for e in audit if e["phase"] == "apply"]
    assert {e["action_id"] for e in applied_entries} == {a["action_id"] for a in plan["actions"]}
    assert all(e["result"] == "done" and e["request_id"] == "TICKET-1" and e["before"] for e in applied_entries)
    assert {e["result"] for e in audit if e["phase"] == "verify"} == {"erased"}
    text = (estate.index / "audit" / "erasure.jsonl").read_text()
    assert EMAIL not in text and "Gonçalves" not in text and "Embraer" not in text

    after = estate.dump()
    replay = estate.cli("erase", "--apply", str(path), "--yes", "--format", "json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["apply"]["counts"] == {"already_done": 46}
    assert estate.dump() == after


def test_a_row_changed_after_the_plan_is_refused(sqlite_estate: Estate) -> None:
    estate, n = sqlite_estate, sqlite_estate.names
    path, _ = estate.plan("--email", EMAIL)
    invoice = min(_footprint(estate)["invoice"])
    estate.execute(f"UPDATE {n['invoice']} SET {n['total']} = {n['total']} + 1 WHERE {n['invoice_id']} = {invoice}")
    changed = estate.dump()

    proc = estate.cli("erase", "--apply", str(path), "--yes", "--no-verify", "--format", "json")
    assert proc.returncode == 3, proc.stderr
    results = json.loads(proc.stdout)["apply"]["results"]
    refused = [r for r in results if r["outcome"] == "refused"]
    assert [r["locator"]["primary_key"][n["invoice_id"]] for r in refused] == [invoice]
    assert "changed" in refused[0]["detail"]
    # the customer row is still referenced by the refused invoice: its delete fails, nothing else of it changes
    customer = next(r for r in results if r["item"] == n["customer"])
    assert customer["outcome"] == "failed"
    after = estate.dump()
    assert estate.query(f"SELECT COUNT(*) FROM {n['invoice']} WHERE {n['invoice_id']} = {invoice}") == [(1,)]
    assert estate.query(f"SELECT COUNT(*) FROM {n['customer']} WHERE {n['customer_id']} = 1") == [(1,)]
    assert after[n["invoice_line"]] < changed[n["invoice_line"]]


def test_an_employee_referenced_by_customers_is_cleared_not_deleted(sqlite_estate: Estate) -> None:
    estate, n = sqlite_estate, sqlite_estate.names
    before = estate.dump()
    path, plan = estate.plan("--email", JANE)
    (mine,) = [a for a in plan["actions"] if a["item"] == n["employee"]]
    assert mine["action"] == "null_columns" and "Email" in mine["columns"]
    assert mine["locator"] == {"primary_key": {n["employee_id"]: 3}}
    supported = estate.query(f"SELECT COUNT(*) FROM {n['customer']} WHERE {n['support_rep_id']} = 3")[0][0]
    assert len(plan["kept"]) >= supported == 21
    assert not [a for a in plan["actions"] if a["item"] == n["customer"]]

    proc = estate.cli("erase", "--apply", str(path), "--yes", "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = json.loads(proc.stdout)
    assert out["verify"]["counts"] == {"erased": len(plan["actions"])}
    after = estate.dump()
    for table in estate.tables:
        if table != n["employee"]:
            assert after[table] == before[table], table
    row = estate.query(f"SELECT * FROM {n['employee']} WHERE {n['employee_id']} = 3")
    assert len(row) == 1 and JANE not in row[0]
    others = {r for r in after[n["employee"]] if r[0] != "3"}
    assert others == {r for r in before[n["employee"]] if r[0] != "3"}
    assert lookup_json(estate.index, "--email", JANE)["locations"] == []


KILLER = """
import os, signal, sys
import piiscan.app.erasure as erasure
limit, calls, append = int(sys.argv[1]), [0], erasure.AuditLog.append
def dying_append(self, entry):
    append(self, entry)
    if entry.get("phase") == "apply":
        calls[0] += 1
        if calls[0] == limit:
            os.kill(os.getpid(), signal.SIGKILL)
erasure.AuditLog.append = dying_append
from piiscan.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_an_apply_killed_half_way_resumes_to_the_same_end_state(sqlite_estate: Estate) -> None:
    """The process is SIGKILLed right after its 20th action's audit entry (a real kill, mid-plan)."""
    estate = sqlite_estate
    before, footprint = estate.dump(), _footprint(estate)
    path, plan = estate.plan("--email", EMAIL)
    env = os.environ | {"PYTHONPATH": str(REPO)}
    args = ["erase", "--apply", str(path), "--yes", "--index", str(estate.index), "--format", "json"]
    killed = subprocess.run([sys.executable, "-c", KILLER, "20", *args], capture_output=True, text=True, env=env)
    assert killed.returncode == -signal.SIGKILL
    assert len([e for e in estate.audit() if e["phase"] == "apply"]) == 20

    resumed = estate.cli("erase", "--apply", str(path), "--yes", "--format", "json")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    # the 38 invoice lines were one transaction, committed before the kill: the 18 not yet in the audit log
    # are found in their planned end state and logged as already done
    assert out["apply"]["counts"] == {"already_done": 38, "done": 8}
    assert out["verify"]["counts"] == {"erased": 46}
    assert estate.dump() == _without(estate, before, footprint)
    finished = {
        e["action_id"] for e in estate.audit() if e["phase"] == "apply" and e["result"] in ("done", "already_done")
    }
    assert finished == {a["action_id"] for a in plan["actions"]}
