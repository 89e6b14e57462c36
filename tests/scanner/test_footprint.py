"""The subject footprint through foreign keys (``lookup --related``) on Chinook in SQLite, PostgreSQL and MariaDB.

Issue 4's acceptance: looking up luisg@embraer.com.br with related rows returns
the customer row (customer 1), all 7 of that customer's invoices and every line
of those invoices, each with its foreign-key path -- the same on all three
databases.  The expected rows come from SQL queries on the database itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from piiscan.index.store import open_index
from tests.conftest import lookup_json, run_cli, shared_dataset
from tests.db_support import (
    my_connect,
    my_database,
    my_load_chinook,
    my_query,
    my_url,
    pg_connect,
    pg_database,
    pg_load_chinook,
    pg_query,
    pg_url,
)

EMAIL = "luisg@embraer.com.br"


@dataclass
class Chinook:
    """A scanned Chinook: the index, and the table/column names of this dialect."""

    index: Path
    customer: str
    invoice: str
    invoice_line: str
    customer_id: str
    invoice_id: str
    invoice_line_id: str
    query: Callable[[str], list[tuple[Any, ...]]]


def _scan(url: str, index: Path) -> None:
    proc = run_cli("scan", url, "--index", str(index), "--workers", "2", "--no-ner", "--quiet", check=True)
    assert "completed" in proc.stdout


def _sqlite(tmp: Path) -> Iterator[Chinook]:
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    _scan(f"sqlite:///{database}", tmp / "index")

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            return db.execute(sql).fetchall()

    yield Chinook(
        tmp / "index", "Customer", "Invoice", "InvoiceLine", "CustomerId", "InvoiceId", "InvoiceLineId", query
    )


def _postgres(tmp: Path) -> Iterator[Chinook]:
    with pg_database("piiscan_chinook") as name:
        pg_load_chinook(name)
        _scan(pg_url(name), tmp / "index")

        query = partial(pg_query, name)

        yield Chinook(
            tmp / "index",
            "public.customer",
            "public.invoice",
            "public.invoice_line",
            "customer_id",
            "invoice_id",
            "invoice_line_id",
            query,
        )


def _mariadb(tmp: Path) -> Iterator[Chinook]:
    with my_database("piiscan_chinook") as name:
        my_load_chinook(name)
        _scan(my_url(name), tmp / "index")

        query = partial(my_query, name)

        yield Chinook(
            tmp / "index",
            f"{name}.Customer",
            f"{name}.Invoice",
            f"{name}.InvoiceLine",
            "CustomerId",
            "InvoiceId",
            "InvoiceLineId",
            query,
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def chinook(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chinook]:
    make = {"sqlite": _sqlite, "postgresql": _postgres, "mariadb": _mariadb}[request.param]
    yield from make(tmp_path_factory.mktemp(f"footprint-{request.param}"))


def _key(locator: dict[str, Any], column: str) -> Any:
    (value,) = locator["primary_key"].values()
    assert list(locator["primary_key"]) == [column]
    return value


def test_related_rows_are_the_customers_invoices_and_their_lines(chinook: Chinook) -> None:
    c = chinook
    result = lookup_json(c.index, "--email", EMAIL, "--related")
    customer_rows = {(loc["item"], _key(loc["locator"], c.customer_id)) for loc in result["locations"]}
    assert customer_rows == {(c.customer, 1)}
    invoices = {
        r[0] for r in c.query(f"SELECT {c.invoice_id} FROM {c.invoice.split('.')[-1]} WHERE {c.customer_id} = 1")
    }
    lines = {
        r[0]
        for r in c.query(
            f"SELECT l.{c.invoice_line_id} FROM {c.invoice_line.split('.')[-1]} l"
            f" JOIN {c.invoice.split('.')[-1]} i ON i.{c.invoice_id} = l.{c.invoice_id} WHERE i.{c.customer_id} = 1"
        )
    }
    assert len(invoices) == 7 and len(lines) == 38
    related = result["related"]
    by_item: dict[str, set[Any]] = {}
    for row in related:
        column = c.invoice_id if row["item"] == c.invoice else c.invoice_line_id
        by_item.setdefault(row["item"], set()).add(_key(row["locator"], column))
    assert by_item == {c.invoice: invoices, c.invoice_line: lines}
    to_customer = f"{c.invoice}.{c.customer_id} → {c.customer}.{c.customer_id}"
    to_invoice = f"{c.invoice_line}.{c.invoice_id} → {c.invoice}.{c.invoice_id}"
    for row in related:
        assert not row["third_party"]
        if row["item"] == c.invoice:
            assert row["depth"] == 1 and row["via"] == {"foreign_key": to_customer, "path": [to_customer]}
        else:
            assert row["depth"] == 2 and row["via"] == {"foreign_key": to_invoice, "path": [to_customer, to_invoice]}
    assert result["counts"]["related"] == 45 and result["query"]["related"] and result["query"]["depth"] == 3


def test_depth_limits_the_walk_and_table_output_lists_related_rows(chinook: Chinook) -> None:
    one_hop = lookup_json(chinook.index, "--email", EMAIL, "--depth", "1")
    assert {row["item"] for row in one_hop["related"]} == {chinook.invoice} and len(one_hop["related"]) == 7
    plain = lookup_json(chinook.index, "--email", EMAIL)
    assert "related" not in plain and not plain["query"]["related"]
    proc = run_cli("lookup", "--index", str(chinook.index), "--email", EMAIL, "--related", check=True)
    assert "45 related row(s) through foreign keys" in proc.stdout


def test_rows_naming_the_subject_as_someone_elses_contact_are_third_party(chinook: Chinook) -> None:
    """Jane Peacock is support rep of 21 customers: their rows reference her, but they are the customers'
    records -- reported as third party and not walked through (their invoices are not hers)."""
    (employee_id,) = chinook.query(
        "SELECT "
        + ("employee_id FROM employee" if "public." in chinook.customer else "EmployeeId FROM Employee")
        + " WHERE email = 'jane@chinookcorp.com'"
    )[0]
    rep = "support_rep_id" if "public." in chinook.customer else "SupportRepId"
    customers = chinook.query(f"SELECT COUNT(*) FROM {chinook.customer.split('.')[-1]} WHERE {rep} = {employee_id}")
    result = lookup_json(chinook.index, "--email", "jane@chinookcorp.com", "--related")
    assert {row["item"] for row in result["related"]} == {chinook.customer}
    assert len(result["related"]) == customers[0][0] == 21
    assert all(row["third_party"] and row["third_party_identifiers"] >= 1 for row in result["related"])
    assert result["counts"]["related_third_party"] == 21


def test_the_scan_records_the_declared_foreign_keys(chinook: Chinook) -> None:
    (record,) = open_index(chinook.index).scans()
    (fks,) = record["relationships"].values()
    labels = {fk["label"] for fk in fks}
    assert len(fks) == 11
    assert f"{chinook.invoice}.{chinook.customer_id} → {chinook.customer}.{chinook.customer_id}" in labels
    assert all(fk["ref_kind"] == "primary_key" for fk in fks)


SHOP = [
    "CREATE TABLE customers (id integer PRIMARY KEY, email text, name text)",
    "CREATE TABLE orders (order_id integer PRIMARY KEY, customer_id integer, total real)",
    "CREATE TABLE order_notes (id integer PRIMARY KEY, order_id integer, note text)",
    "INSERT INTO customers VALUES (1, 'ann.lee@example.com', 'Ann Lee'), (2, 'bo.ng@example.com', 'Bo Ng')",
    "INSERT INTO orders VALUES (10, 1, 9.5), (11, 1, 20), (12, 2, 5)",
    "INSERT INTO order_notes VALUES (1, 10, 'gift wrap'), (2, 99, 'lost')",
]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A shop database that declares no foreign keys: orders.customer_id points at customers.id by name only,
    and order_notes.order_id holds one value no order has (so it is not a relationship).  (URL, table prefix)."""
    if request.param == "sqlite":
        with sqlite3.connect(tmp_path / "shop.db") as db:
            for statement in SHOP:
                db.execute(statement)
        yield f"sqlite:///{tmp_path / 'shop.db'}", ""
    elif request.param == "postgresql":
        with pg_database("piiscan_shop") as name:
            with pg_connect(name) as db:
                for statement in SHOP:
                    db.execute(statement)
            yield pg_url(name), "public."
    else:
        with my_database("piiscan_shop") as name:
            conn = my_connect(name)
            with conn.cursor() as cur:
                for statement in SHOP:
                    cur.execute(statement)
            conn.close()
            yield my_url(name), f"{name}."


def test_undeclared_relationships_are_suggested_and_followed_only_when_enabled(
    shop: tuple[str, str], tmp_path: Path
) -> None:
    url, prefix = shop
    label = f"{prefix}orders.customer_id → {prefix}customers.id"
    plain = run_cli("scan", url, "--index", str(tmp_path / "a"), "--workers", "1", "--no-ner", check=True)
    assert f"relationship suggested (scan with --infer-relationships to follow): {url}: {label}" in plain.stdout
    assert "order_notes.order_id" not in plain.stdout  # 99 is no order
    (record,) = open_index(tmp_path / "a").scans()
    (suggested,) = record["inferred_relationships"].values()
    assert [(fk["label"], fk["followed"]) for fk in suggested] == [(label, False)]
    assert lookup_json(tmp_path / "a", "--email", "ann.lee@example.com", "--related")["related"] == []

    args = ["--workers", "2", "--no-ner", "--infer-relationships"]
    followed = run_cli("scan", url, "--index", str(tmp_path / "b"), *args, check=True)
    assert "relationship followed: " in followed.stdout
    related = lookup_json(tmp_path / "b", "--email", "ann.lee@example.com", "--related")["related"]
    assert [(r["item"], r["locator"], r["via"]["foreign_key"]) for r in related] == [
        (f"{prefix}orders", {"primary_key": {"order_id": 10}}, label),
        (f"{prefix}orders", {"primary_key": {"order_id": 11}}, label),
    ]


def test_references_survive_a_rescan_and_compaction(tmp_path: Path) -> None:
    """Rescanning supersedes the old references (no duplicates) and compact keeps only the live ones."""
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    index = tmp_path / "index"
    for _ in range(2):
        run_cli("scan", f"sqlite:///{database}", "--index", str(index), "--workers", "1", "--no-ner", check=True)
    assert len(lookup_json(index, "--email", EMAIL, "--related")["related"]) == 45
    before = sum(1 for _ in (index / "references").rglob("*.parquet"))
    run_cli("compact", "--index", str(index), check=True)
    after = sum(1 for _ in (index / "references").rglob("*.parquet"))
    assert after <= before
    assert len(lookup_json(index, "--email", EMAIL, "--related")["related"]) == 45
