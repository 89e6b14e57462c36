"""A lookup by any written form of an identifier finds every place it is written (issue 15): a real scan
through the CLI of a folder holding a TSV, a SQLite table and a text file, and of a copy of the bundled
example estate.

With default region GB, the Ofcom drama mobile ``07700 902977`` is invalid for GB and valid for DE in
phonenumbers; it was indexed as ``+497700902977`` and a lookup by ``+447700902977`` missed the payroll
row, so an erasure left the person's NINO, IBAN and phone there.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import lookup_json, run_cli, scan_folder
from tests.estate_test_support import EXAMPLES_ESTATE

MOBILE = "07700 902977"
#: every written form a person might type or a file might hold
FORMS = ["07700 902977", "+44 7700 902977", "0044 7700 902977", "(07700) 902-977", "+447700902977", "07700902977"]
#: not a possible British number: the German reading is the fallback
BERLIN = "030 1234567"


def _places(result: dict) -> set[tuple[str, str]]:
    """(item name, locator) of each phone location: where the number was found."""
    return {
        (Path(loc["item"]).name, json.dumps(loc["locator"], sort_keys=True))
        for loc in result["locations"]
        if loc["entity_type"] == "PHONE_NUMBER"
    }


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("canonical") / "estate"
    (root / "hr").mkdir(parents=True)
    with (root / "hr" / "staff.tsv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n")
        out.writerow(["employee_id", "name", "nino", "iban", "mobile"])
        out.writerow(["E1", "Dana Whitfield", "HK 45 52 76 B", "GB90EXMP40123412345678", MOBILE])
        out.writerow(["E2", "Omar Lindqvist", "JG 10 37 58 B", "GB52WEST30405060708090", "07700 900461"])
    with sqlite3.connect(root / "crm.sqlite") as db:
        db.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT, mobile TEXT)")
        db.executemany(
            "INSERT INTO contacts VALUES (?, ?, ?)",
            [(1, "Dana Whitfield", "(07700) 902-977"), (2, "Omar Lindqvist", "+44 7700 900461")],
        )
    (root / "notes.txt").write_text(
        "Dana asked for a callback on +447700902977 after lunch.\n"
        f"Supplier in Berlin, phone {BERLIN}, about the invoice.\n",
        encoding="utf-8",
    )
    index, summary = scan_folder(root)
    assert summary, summary
    return index


def test_every_written_form_finds_every_place(mixed_index: Path) -> None:
    found = {form: _places(lookup_json(mixed_index, "--phone", form)) for form in FORMS}
    expected = {
        ("staff.tsv", json.dumps({"row": 1}, sort_keys=True)),
        ("notes.txt", json.dumps({"line": 1}, sort_keys=True)),
    }
    for form, places in found.items():
        items = {item for item, _ in places}
        assert {"staff.tsv", "notes.txt"} <= items, (form, places)
        assert any(item == "contacts" or "contacts" in item for item in items), (form, places)
        assert expected <= places, (form, places)
        assert len(places) == 3, (form, places)  # the other person's mobile is not among them
    assert len({frozenset(p) for p in found.values()}) == 1  # one answer whatever the form


def test_the_lookup_reaches_the_rest_of_the_payroll_row(mixed_index: Path) -> None:
    """The erasure's input: ``--linked`` from the E.164 form reaches the NINO and IBAN of the same row."""
    result = lookup_json(mixed_index, "--phone", "+447700902977", "--linked")
    held = {
        loc["entity_type"]
        for loc in result["locations"]
        if Path(loc["item"]).name == "staff.tsv" and loc["locator"] == {"row": 1}
    }
    assert {"PHONE_NUMBER", "UK_NINO", "IBAN_CODE"} <= held, result["locations"]


def test_a_german_number_in_a_gb_estate_is_found_by_its_plus_49_form(mixed_index: Path) -> None:
    for form in ("+49 30 1234567", "0049 30 1234567", "+49301234567"):
        places = _places(lookup_json(mixed_index, "--phone", form))
        assert places == {("notes.txt", json.dumps({"line": 2}, sort_keys=True))}, form
    # read in GB it is not a possible number: its national form is the German one too
    assert _places(lookup_json(mixed_index, "--phone", BERLIN)) == {("notes.txt", json.dumps({"line": 2}))}


def test_the_index_records_the_fallback_region_not_the_number(mixed_index: Path) -> None:
    result = lookup_json(mixed_index, "--phone", "+49 30 1234567")
    (loc,) = result["locations"]
    assert loc["preview"] == "+49 ******* 67 (read as DE)"
    assert "1234567" not in json.dumps(result)
    for form in FORMS:
        for loc in lookup_json(mixed_index, "--phone", form)["locations"]:
            assert "read as" not in loc["preview"]  # the default region: nothing to record
            assert "902977" not in loc["preview"]


def test_the_bundled_estate_payroll_row_is_found_by_the_e164_mobile(tmp_path: Path) -> None:
    """A copy of examples/estate whose payroll extract gains a ``mobile`` column and Alice's row, written
    nationally; the CRM holds the same mobile internationally."""
    estate = tmp_path / "estate"
    shutil.copytree(EXAMPLES_ESTATE, estate)
    payroll = estate / "files" / "hr" / "payroll.tsv"
    with payroll.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    rows[0].append("mobile")
    for row in rows[1:]:
        row.append("")
    rows.append(["E1999", "Alice Smith", "SW 41 27 63 C", "GB56DEMO60161331926801", "", "1940-04-17", "Sales", MOBILE])
    with payroll.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="\t", lineterminator="\n").writerows(rows)
    with sqlite3.connect(estate / "crm.sqlite") as db:
        db.execute("UPDATE customers SET phone = '+447700902977' WHERE email = 'alice.smith@example.com'")
    index, _ = scan_folder(estate)
    payroll_row = {"row": len(rows) - 1}
    for form in ("+447700902977", "+44 7700 902977", MOBILE):
        result = lookup_json(index, "--phone", form)
        at = [
            loc
            for loc in result["locations"]
            if loc["item"].endswith("hr/payroll.tsv") and loc["locator"] == payroll_row
        ]
        assert [loc["entity_type"] for loc in at] == ["PHONE_NUMBER"], (form, result["locations"])
        assert any("customers" in loc["item"] for loc in result["locations"]), (form, result["locations"])
    linked = lookup_json(index, "--email", "alice.smith@example.com", "--linked")
    held = {
        loc["entity_type"]
        for loc in linked["locations"]
        if loc["item"].endswith("hr/payroll.tsv") and loc["locator"] == payroll_row
    }
    assert {"PHONE_NUMBER", "UK_NINO", "IBAN_CODE"} <= held, linked["locations"]
    # the erasure plan of the person reached by e-mail covers the payroll row
    plan = tmp_path / "plan.json"
    proc = run_cli("erase", "--index", str(index), "--email", "alice.smith@example.com", "--plan", str(plan))
    assert proc.returncode == 0, proc.stderr
    text = plan.read_text(encoding="utf-8")
    assert "hr/payroll.tsv" in text
    assert "902977" not in text  # masked previews and keyed hashes only
