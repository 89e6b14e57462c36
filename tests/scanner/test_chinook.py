"""Acceptance on a real relational estate: the Chinook SQLite database."""

from __future__ import annotations

import json
import sqlite3

import pytest

from piiscan.detectors.identifiers import normalise_value
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import Query, lookup
from piiscan.index.store import open_index
from tests.conftest import TEST_KEY_HEX, lookup_json, run_cli, shared_dataset


@pytest.fixture(scope="module")
def chinook(tmp_path_factory):
    database = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    before = (database.stat().st_mtime_ns, database.read_bytes())
    index = tmp_path_factory.mktemp("chinook") / "index"
    proc = run_cli("scan", f"sqlite:///{database}", "--index", str(index), "--workers", "2", "--quiet", check=True)
    assert "completed" in proc.stdout
    assert (database.stat().st_mtime_ns, database.read_bytes()) == before, "a scan must never modify the database"
    return database, index


def people(database):
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    rows = [("Customer", "CustomerId", *r) for r in db.execute("SELECT CustomerId, Email, Phone FROM Customer")]
    rows += [("Employee", "EmployeeId", *r) for r in db.execute("SELECT EmployeeId, Email, Phone FROM Employee")]
    db.close()
    return rows


def test_every_customer_and_employee_email_and_phone_is_indexed(chinook):
    database, index_dir = chinook
    index = open_index(index_dir)
    hasher = SubjectHasher(bytes.fromhex(TEST_KEY_HEX))
    settings = DetectorSettings()
    rows = people(database)
    assert len(rows) == 67
    missing = []
    for table, key_column, key, email, phone in rows:
        for entity, raw, column in (("EMAIL_ADDRESS", email, "Email"), ("PHONE_NUMBER", phone, "Phone")):
            if raw is None:
                continue
            normalised = normalise_value(entity, raw, settings)
            assert normalised is not None, f"{table} {key}: {entity} not normalisable"
            found = lookup(index, hasher, [Query(entity, normalised, "")]).locations
            expected = {"primary_key": {key_column: key}}
            if not any(loc["item"] == table and loc["locator"] == expected and loc["field"] == column for loc in found):
                missing.append((table, key, entity))
    assert not missing


def test_lookup_cli_returns_customer_row_case_insensitively(chinook):
    _, index = chinook
    for query in ("luisg@embraer.com.br", "LuisG@Embraer.COM.br"):
        result = lookup_json(index, "--email", query)
        customer = [loc for loc in result["locations"] if loc["item"] == "Customer"]
        assert customer and customer[0]["locator"] == {"primary_key": {"CustomerId": 1}}
        assert customer[0]["field"] == "Email"
        assert "luisg@embraer.com.br" not in json.dumps(result).lower(), "lookup output shows only masked values"


def test_employee_birth_dates_are_indexed(chinook):
    _, index = chinook
    result = lookup_json(index, "--value", "DATE_OF_BIRTH=1962-02-18")
    assert any(loc["item"] == "Employee" and loc["field"] == "BirthDate" for loc in result["locations"])
