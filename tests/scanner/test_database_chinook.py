"""Issue 4's first acceptance line: scanning Chinook in PostgreSQL and MariaDB indexes every customer's and
employee's e-mail, phone number and name -- through the real command line, with the default detectors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from piiscan.detectors.identifiers import normalise_value
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import Query, lookup
from piiscan.index.store import open_index
from tests.conftest import TEST_KEY_HEX, run_cli
from tests.db_support import (
    my_connect,
    my_database,
    my_load_chinook,
    my_url,
    pg_connect,
    pg_database,
    pg_load_chinook,
    pg_url,
)


@dataclass
class Scanned:
    index: Path
    people: list[tuple[str, str, Any, str | None, str | None]]  # (item, key column, key, email, phone)
    names: tuple[str, str]  # first and last name columns


def _scan(url: str, index: Path) -> None:
    proc = run_cli("scan", url, "--index", str(index), "--workers", "2", "--quiet", check=True)
    assert "completed" in proc.stdout and "0 failed" in proc.stdout


def _postgres(tmp: Path) -> Iterator[Scanned]:
    with pg_database("piiscan_chinook") as name:
        pg_load_chinook(name)
        _scan(pg_url(name), tmp / "index")
        with pg_connect(name) as db:
            people = [
                ("public.customer", "customer_id", *r)
                for r in db.execute("SELECT customer_id, email, phone FROM customer")
            ]
            people += [
                ("public.employee", "employee_id", *r)
                for r in db.execute("SELECT employee_id, email, phone FROM employee")
            ]
        yield Scanned(tmp / "index", people, ("first_name", "last_name"))


def _mariadb(tmp: Path) -> Iterator[Scanned]:
    with my_database("piiscan_chinook") as name:
        my_load_chinook(name)
        _scan(my_url(name), tmp / "index")
        conn = my_connect(name)
        with conn.cursor() as cur:
            cur.execute("SELECT CustomerId, Email, Phone FROM Customer")
            people = [(f"{name}.Customer", "CustomerId", *r) for r in cur.fetchall()]
            cur.execute("SELECT EmployeeId, Email, Phone FROM Employee")
            people += [(f"{name}.Employee", "EmployeeId", *r) for r in cur.fetchall()]
        conn.close()
        yield Scanned(tmp / "index", people, ("FirstName", "LastName"))


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def scanned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    make = {"postgresql": _postgres, "mariadb": _mariadb}[request.param]
    yield from make(tmp_path_factory.mktemp(f"chinook-{request.param}"))


def test_every_customer_and_employee_email_and_phone_is_found_by_lookup(scanned: Scanned) -> None:
    index = open_index(scanned.index)
    hasher = SubjectHasher(bytes.fromhex(TEST_KEY_HEX))
    settings = DetectorSettings()
    assert len(scanned.people) == 67
    missing = []
    for item, key_column, key, email, phone in scanned.people:
        for entity, raw in (("EMAIL_ADDRESS", email), ("PHONE_NUMBER", phone)):
            if raw is None:
                continue
            normalised = normalise_value(entity, raw, settings)
            assert normalised is not None, f"{item} {key}: {entity} not normalisable"
            found = lookup(index, hasher, [Query(entity, normalised, "")]).locations
            if not any(loc["item"] == item and loc["locator"] == {"primary_key": {key_column: key}} for loc in found):
                missing.append((item, key, entity))
    assert missing == []


def test_every_customer_and_employee_name_is_indexed(scanned: Scanned) -> None:
    occurrences = ds.dataset(scanned.index / "occurrences", format="parquet", partitioning="hive").to_table()
    people = occurrences.filter(pc.equal(occurrences["entity_type"], "PERSON"))
    found = {
        (i, loc, f) for i, loc, f in zip(*(people[c].to_pylist() for c in ("item", "locator", "field")), strict=True)
    }
    missing = []
    for item, key_column, key, _, _ in scanned.people:
        locator = f'{{"primary_key":{{"{key_column}":{key}}}}}'
        missing += [(item, key, column) for column in scanned.names if (item, locator, column) not in found]
    assert missing == []


@pytest.mark.parametrize("url", ["postgresql://postgres:s3cretpw@127.0.0.1:1/x", "mysql://root:s3cretpw@127.0.0.1:1/x"])
def test_a_source_that_fails_never_shows_its_password(url: str, tmp_path: Path) -> None:
    proc = run_cli("scan", url, "--index", str(tmp_path / "index"), "--format", "json")
    assert proc.returncode == 1
    (record,) = open_index(tmp_path / "index").scans()
    everything = proc.stdout + proc.stderr + json.dumps(record)
    assert "s3cretpw" not in everything
    assert record["source_errors"][0]["reason"].startswith(url.replace(":s3cretpw", ""))
