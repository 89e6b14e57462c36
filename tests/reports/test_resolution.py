"""Subject resolution (``lookup --linked --max-hops N``) keeps identifiers shared by several people apart.

On Chinook in SQLite, Jane Peacock shares her office phone with another
employee: looking her up with linking must list her own row and nothing of the
other employee's, report the shared number as ambiguous, and still follow her
fax, which no other record holds.  A small hand-made estate adds a shared
mailbox and switchboard number, a second e-mail address found only with the
first, and a chain of two hops (e-mail -> mobile -> IBAN).  Expected rows and
counts come from SQL on the database or from the files written here.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from piiscan.detectors.identifiers import normalise_value
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from tests.conftest import TEST_KEY_HEX, lookup_json, run_cli, shared_dataset

JANE = "jane@chinookcorp.com"
JANE_ID = 3
#: an employee row added to the copy: reports to Jane, holds her (shared) phone and her name, nothing else
ASSISTANT_ID = 9


def _key(entity_type: str, value: str) -> str:
    normalised = normalise_value(entity_type, value, DetectorSettings())
    assert normalised is not None, value
    return SubjectHasher(bytes.fromhex(TEST_KEY_HEX)).subject_key(entity_type, normalised)


def _rows(locations: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(loc["item"], _where(loc["locator"])) for loc in locations}


def _where(locator: dict[str, Any]) -> str:
    if "primary_key" in locator:
        return ",".join(f"{k}={v}" for k, v in locator["primary_key"].items())
    return ",".join(f"{k}={v}" for k, v in sorted(locator.items()))


# -- Chinook ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of Chinook with one more employee row, scanned: (database, index)."""
    tmp = tmp_path_factory.mktemp("resolution-chinook")
    database = tmp / "chinook.sqlite"
    shutil.copyfile(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), database)
    with sqlite3.connect(database) as db:
        (phone,) = db.execute("SELECT Phone FROM Employee WHERE EmployeeId = ?", (JANE_ID,)).fetchone()
        db.execute(
            "INSERT INTO Employee (EmployeeId, LastName, FirstName, Title, ReportsTo, Phone)"
            " SELECT ?, LastName, FirstName, 'Assistant', ?, ? FROM Employee WHERE EmployeeId = ?",
            (ASSISTANT_ID, JANE_ID, phone, JANE_ID),
        )
    index = tmp / "index"
    run_cli("scan", f"sqlite:///{database}", "--index", str(index), "--no-ner", "--quiet", check=True)
    return database, index


def _sql(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def test_jane_resolves_to_her_own_row_only_and_her_shared_phone_is_ambiguous(chinook: tuple[Path, Path]) -> None:
    database, index = chinook
    ((phone, fax),) = _sql(database, "SELECT Phone, Fax FROM Employee WHERE EmployeeId = ?", JANE_ID)
    # who else holds each of her numbers, in a record with another identifier (an e-mail, another number)
    sharing = {
        value: _sql(
            database,
            "SELECT 'Employee', EmployeeId FROM Employee WHERE EmployeeId != ? AND ? IN (Phone, Fax)"
            " AND (Email IS NOT NULL OR Fax IS NOT NULL AND Phone != Fax)"
            " UNION ALL SELECT 'Customer', CustomerId FROM Customer WHERE ? IN (Phone, Fax)",
            JANE_ID,
            value,
            value,
        )
        for value in (phone, fax)
    }
    assert len(sharing[phone]) >= 1 and sharing[fax] == []  # the phone is shared, the fax is hers alone

    result = lookup_json(index, "--email", JANE, "--linked")
    assert result["query"]["linked"] is True and result["query"]["max_hops"] == 1
    assert _rows(result["locations"]) == {("Employee", f"EmployeeId={JANE_ID}")}
    # the shared phone is still shown where it sits in her own row
    fields = {loc["field"]: loc for loc in result["locations"]}
    assert {"Email", "Phone", "Fax"} <= set(fields)
    assert fields["Phone"]["via"]["entity_type"] == "EMAIL_ADDRESS" and fields["Phone"]["via"]["hop"] == 0

    (ambiguous,) = result["ambiguous_identifiers"]
    assert ambiguous["subject_key"] == _key("PHONE_NUMBER", phone)
    assert ambiguous["entity_type"] == "PHONE_NUMBER" and ambiguous["preview"] == fields["Phone"]["preview"]
    assert ambiguous["shared_records"] == len(sharing[phone])
    assert ambiguous["other_subjects"] == len(sharing[phone])
    assert ambiguous["subject_records"] == 1
    assert "EMAIL_ADDRESS" in ambiguous["reason"]

    (linked,) = result["linked_identifiers"]
    assert linked["subject_key"] == _key("PHONE_NUMBER", fax) and linked["hop"] == 1
    assert linked["via"] == {
        "subject_key": _key("EMAIL_ADDRESS", JANE),
        "entity_type": "EMAIL_ADDRESS",
        "preview": result["query"]["identifiers"][0]["preview"],
        "source": f"sqlite:///{database}",
        "item": "Employee",
        "locator": {"primary_key": {"EmployeeId": JANE_ID}},
    }


def test_a_row_holding_only_the_shared_phone_is_someone_elses_in_the_footprint(chinook: tuple[Path, Path]) -> None:
    """The assistant's row references Jane and holds her name and the shared phone: third party, not hers."""
    database, index = chinook
    reports_to = {r[0] for r in _sql(database, "SELECT EmployeeId FROM Employee WHERE ReportsTo = ?", JANE_ID)}
    customers = {r[0] for r in _sql(database, "SELECT CustomerId FROM Customer WHERE SupportRepId = ?", JANE_ID)}
    assert ASSISTANT_ID in reports_to and len(customers) == 21
    result = lookup_json(index, "--email", JANE, "--linked", "--related")
    related = {(r["item"], _where(r["locator"])): r for r in result["related"]}
    assert {("Customer", f"CustomerId={c}") for c in customers} <= set(related)
    assistant = related[("Employee", f"EmployeeId={ASSISTANT_ID}")]
    assert assistant["third_party"] and assistant["third_party_identifiers"] == 1
    assert all(r["third_party"] for r in result["related"])


def test_no_linking_and_max_hops_zero_follow_nothing(chinook: tuple[Path, Path]) -> None:
    _, index = chinook
    for args in ((), ("--max-hops", "0")):
        result = lookup_json(index, "--email", JANE, *args)
        assert result["linked_identifiers"] == [] and result["ambiguous_identifiers"] == []
        assert result["query"]["max_hops"] == 0 and result["query"]["linked"] is False
        assert all(loc["via"] is None for loc in result["locations"])
    proc = run_cli("lookup", "--index", str(index), "--email", JANE, "--max-hops", "-1")
    assert proc.returncode == 2 and "--max-hops" in proc.stderr


def test_dsar_reports_ambiguous_identifiers_and_hops(chinook: tuple[Path, Path], tmp_path: Path) -> None:
    import json

    _, index = chinook
    run_cli("dsar", "--index", str(index), "--email", JANE, "--out", str(tmp_path), check=True)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["query"]["max_hops"] == 1 and data["summary"]["ambiguous_identifiers"] == 1
    (ambiguous,) = data["ambiguous_identifiers"]
    assert ambiguous["entity_type"] == "PHONE_NUMBER" and ambiguous["shared_records"] == 1
    (linked,) = data["linked_identifiers"]
    assert linked["hop"] == 1 and linked["via"]["item"] == "Employee"
    page = (tmp_path / "report.html").read_text()
    assert "Shared identifiers not followed" in page and ambiguous["reason"] in page
    assert page.count('class="ambiguous"') == 1
    proc = run_cli(
        "dsar", "--index", str(index), "--email", JANE, "--out", str(tmp_path), "--no-linked", "--max-hops", "2"
    )
    assert proc.returncode == 2 and "contradict" in proc.stderr


# -- a hand-made estate ----------------------------------------------------------------------------------------

ANN = "ann@example.com"
ANN_HOME = "ann.home@example.org"
ANN_MOBILE = "07700 900111"
BOB = "bob@example.com"
BOB_MOBILE = "07700 900222"
SWITCHBOARD = "+44 20 7946 0000"
TEAM = "team@example.net"
IBAN = "GB82WEST12345698765432"

CRM = f"""name,email,alt_email,mobile,office_phone
Ann Example,{ANN},{ANN_HOME},{ANN_MOBILE},{SWITCHBOARD}
Bob Sample,{BOB},,{BOB_MOBILE},{SWITCHBOARD}
"""
LOG = f"""2026-01-02 ticket 11 opened by {ANN} via {TEAM}
2026-01-03 ticket 12 opened by {BOB} via {TEAM}
2026-01-04 payment received from {ANN_MOBILE} for account {IBAN}
2026-01-05 refund sent to {IBAN}
2026-01-06 newsletter signup {ANN_HOME}
2026-01-07 call back {BOB_MOBILE}
"""


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resolution-estate") / "estate"
    root.mkdir()
    (root / "crm.csv").write_text(CRM)
    (root / "support.log").write_text(LOG)
    index = root.parent / "index"
    run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet", check=True)
    return index


def _log_lines(locations: list[dict[str, Any]]) -> set[int]:
    return {loc["locator"]["line"] for loc in locations if loc["item"] == "support.log"}


def _crm_rows(locations: list[dict[str, Any]]) -> set[str]:
    return {_where(loc["locator"]) for loc in locations if loc["item"] == "crm.csv"}


def test_shared_mailbox_and_switchboard_are_ambiguous_and_a_second_email_is_followed(estate: Path) -> None:
    result = lookup_json(estate, "--email", ANN, "--linked")
    ambiguous = {a["subject_key"]: a for a in result["ambiguous_identifiers"]}
    assert set(ambiguous) == {_key("EMAIL_ADDRESS", TEAM), _key("PHONE_NUMBER", SWITCHBOARD)}
    assert all(a["shared_records"] == 1 and a["other_subjects"] == 1 for a in ambiguous.values())
    linked = {i["subject_key"]: i for i in result["linked_identifiers"]}
    assert set(linked) == {_key("EMAIL_ADDRESS", ANN_HOME), _key("PHONE_NUMBER", ANN_MOBILE)}
    home = linked[_key("EMAIL_ADDRESS", ANN_HOME)]
    assert home["hop"] == 1 and home["via"]["subject_key"] == _key("EMAIL_ADDRESS", ANN)
    assert home["via"]["item"] == "crm.csv"
    # Ann's row and lines only: the ticket line, the payment line (her mobile), the newsletter line (her home
    # address); never Bob's row, Bob's ticket (the shared mailbox) or Bob's call-back line
    ann_row = {_where(loc["locator"]) for loc in result["locations"] if loc["field"] == "email"}
    assert len(ann_row) == 1 and _crm_rows(result["locations"]) == ann_row
    assert _log_lines(result["locations"]) == {1, 3, 5}
    bob = {_key("EMAIL_ADDRESS", BOB), _key("PHONE_NUMBER", BOB_MOBILE)}
    assert not bob & set(linked) and not bob & set(ambiguous)
    # the shared identifiers are shown where they sit in Ann's own records
    previews = {(loc["entity_type"], loc["preview"]) for loc in result["locations"]}
    assert {(a["entity_type"], a["preview"]) for a in ambiguous.values()} <= previews


def test_max_hops_two_follows_a_chain_that_one_hop_stops(estate: Path) -> None:
    one = lookup_json(estate, "--email", ANN, "--max-hops", "1")
    two = lookup_json(estate, "--email", ANN, "--max-hops", "2")
    iban = _key("IBAN_CODE", IBAN)
    assert iban not in {i["subject_key"] for i in one["linked_identifiers"]}
    assert iban not in {a["subject_key"] for a in one["ambiguous_identifiers"]}  # specific, just beyond the limit
    assert 4 not in _log_lines(one["locations"])  # the refund line holds only the IBAN
    assert 3 in _log_lines(one["locations"])  # ... which shows, in the payment line, as found with the mobile
    (chained,) = [i for i in two["linked_identifiers"] if i["subject_key"] == iban]
    assert chained["hop"] == 2
    assert chained["via"]["subject_key"] == _key("PHONE_NUMBER", ANN_MOBILE)
    assert (chained["via"]["item"], chained["via"]["locator"]) == ("support.log", {"line": 3})
    assert _log_lines(two["locations"]) == {1, 3, 4, 5}
    refund = [loc for loc in two["locations"] if loc["item"] == "support.log" and loc["locator"] == {"line": 4}]
    assert [loc["via"]["hop"] for loc in refund] == [2]
    assert two["query"]["max_hops"] == 2 and two["query"]["linked"] is True


def test_bob_is_resolved_the_same_way(estate: Path) -> None:
    """Symmetric: from Bob's side, Ann's identifiers never appear and the same two identifiers are shared."""
    result = lookup_json(estate, "--email", BOB, "--max-hops", "3")
    assert {a["subject_key"] for a in result["ambiguous_identifiers"]} == {
        _key("EMAIL_ADDRESS", TEAM),
        _key("PHONE_NUMBER", SWITCHBOARD),
    }
    assert {i["subject_key"] for i in result["linked_identifiers"]} == {_key("PHONE_NUMBER", BOB_MOBILE)}
    assert _log_lines(result["locations"]) == {2, 6}
