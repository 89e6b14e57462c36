"""The request register: deadlines (Art. 12(3)), append-only storage beside the index (a folder or S3),
no plain identifier at rest, and a request worked end to end through the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from piiscan.app.request_kinds import RequestError
from piiscan.app.requests import Register
from piiscan.index.keys import SubjectHasher
from piiscan.index.lookup import Query
from piiscan.index.storage import Store
from tests.conftest import REPO, run_cli

HASHER = SubjectHasher(b"k" * 32)
ALICE = "alice.smith@example.com"
SUBJECT = [Query("EMAIL_ADDRESS", ALICE, "a**********@e******.com")]


def register_at(tmp_path: Path) -> Register:
    return Register(Store(tmp_path / "index" / "requests"))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-11-03", "2026-12-03"),
        ("2026-01-31", "2026-02-28"),
        ("2024-01-31", "2024-02-29"),
        ("2025-12-15", "2026-01-15"),
    ],
)
def test_a_request_is_due_one_calendar_month_after_receipt(tmp_path: Path, received: str, due: str) -> None:
    request = register_at(tmp_path).open(HASHER, SUBJECT, "access", received=dt.date.fromisoformat(received))
    assert request.due == dt.date.fromisoformat(due)
    assert request.status == "open" and request.request_id.startswith("REQ-" + received.replace("-", ""))


def test_an_extension_adds_two_months_once_with_a_reason_within_the_first_month(tmp_path: Path) -> None:
    register = register_at(tmp_path)
    request = register.open(HASHER, SUBJECT, "erasure", received=dt.date(2026, 11, 20), request_id="T-1")
    with pytest.raises(RequestError, match="needs a reason"):
        register.extend("T-1", "  ", today=dt.date(2026, 11, 25))
    with pytest.raises(RequestError, match="within the first month"):
        register.extend("T-1", "many systems", today=dt.date(2026, 12, 21))
    extended = register.extend("T-1", "many systems", today=dt.date(2026, 12, 1))
    assert (extended.status, extended.due) == ("extended", request.due + dt.timedelta(days=62))
    assert extended.due == dt.date(2027, 2, 20)
    with pytest.raises(RequestError, match="already extended"):
        register.extend("T-1", "again", today=dt.date(2026, 12, 2))


def test_overdue_requests(tmp_path: Path) -> None:
    register = register_at(tmp_path)
    register.open(HASHER, SUBJECT, "access", received=dt.date(2026, 1, 5), request_id="OLD")
    register.open(HASHER, SUBJECT, "access", request_id="NEW")
    register.open(HASHER, SUBJECT, "objection", received=dt.date(2026, 1, 6), request_id="DONE")
    register.close("DONE", "completed")
    today = dt.date.today()
    assert [r.request_id for r in register.all() if r.overdue(today)] == ["OLD"]


def test_the_register_is_append_only_and_holds_no_plain_identifier(tmp_path: Path) -> None:
    register = register_at(tmp_path)
    register.open(HASHER, SUBJECT, "erasure", request_id="T-2")
    folder = tmp_path / "index" / "requests" / "T-2"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    register.record("T-2", "erasure_plan", {"plan_id": "p-1", "actions": 3})
    register.close("T-2", "completed", note="done by the privacy team")
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["000001-opened.json", "000002-action.json", "000003-closed.json"]
    assert {p.name: p.read_bytes() for p in files if p.name in first} == first  # nothing rewritten
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    stored = b"".join(p.read_bytes() for p in files)
    assert ALICE.encode() not in stored and b"alice" not in stored
    assert HASHER.subject_key("EMAIL_ADDRESS", ALICE).encode() in stored
    with pytest.raises(RequestError, match="closed"):
        register.record("T-2", "erasure_apply", {})


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda r: r.open(HASHER, SUBJECT, "erasure", note="call her on +44 20 7946 0018"), "PHONE_NUMBER"),
        (lambda r: r.open(HASHER, SUBJECT, "deletion"), "unknown request type"),
        (lambda r: r.open(HASHER, [], "erasure"), "identifiers"),
        (lambda r: r.open(HASHER, SUBJECT, "erasure", request_id="../x"), "request id"),
        (lambda r: r.open(HASHER, SUBJECT, "access", received=dt.date.today() + dt.timedelta(days=2)), "future"),
        (lambda r: r.load("NOPE"), "no request NOPE"),
    ],
)
def test_steps_that_cannot_be_taken_are_one_line_errors(tmp_path: Path, step: Any, message: str) -> None:
    with pytest.raises(RequestError, match=message) as caught:
        step(register_at(tmp_path))
    assert "\n" not in str(caught.value) and "7946" not in str(caught.value)


def test_the_register_lives_beside_an_index_on_s3(endpoint: str, bucket: str) -> None:
    register = Register.of_index(f"s3://{bucket}/index", endpoint)
    register.open(HASHER, SUBJECT, "portability", request_id="S3-1")
    register.close("S3-1", "withdrawn")
    again = Register.of_index(f"s3://{bucket}/index", endpoint).load("S3-1")
    assert (again.status, again.outcome, len(again.events)) == ("closed", "withdrawn", 2)


# -- through the command line -----------------------------------------------------------------------------
def cli(index: Path, *args: str) -> tuple[int, str, str]:
    proc = run_cli(*args, "--index", str(index))
    return proc.returncode, proc.stdout, proc.stderr


def test_a_request_opened_worked_and_closed_through_the_command_line(tmp_path: Path) -> None:
    estate, index = tmp_path / "E", tmp_path / "index"
    shutil.copytree(REPO / "examples" / "estate", estate)
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    code, out, err = cli(index, "request", "open", "--type", "erasure", "--email", ALICE, "--id", "TICKET-9")
    assert code == 0 and out.startswith("TICKET-9: erasure, open;"), err
    answer = str(tmp_path / "answer")
    code, _, err = cli(index, "dsar", "--email", ALICE, "--out", answer, "--request", "TICKET-9")
    assert code == 0, err
    code, _, err = cli(
        index, "dsar", "--email", "bob@example.com", "--out", str(tmp_path / "b"), "--request", "TICKET-9"
    )
    assert code == 1 and "not those of request TICKET-9's subject" in err
    plan = tmp_path / "plan.json"
    code, _, err = cli(index, "erase", "--email", ALICE, "--plan", str(plan), "--request", "TICKET-9")
    assert code == 0, err
    assert json.loads(plan.read_text())["request_id"] == "TICKET-9"
    code, _, err = cli(index, "erase", "--apply", str(plan), "--yes")
    assert code == 0, err
    code, _, err = cli(index, "request", "extend", "TICKET-9")
    assert code == 2 and "--reason" in err  # an extension needs a reason
    code, out, err = cli(index, "request", "close", "TICKET-9", "--outcome", "completed")
    assert code == 0 and "closed (completed)" in out, err
    code, out, err = cli(index, "request", "show", "TICKET-9", "--format", "json")
    shown = json.loads(out)
    steps = [e.get("action") or e["event"] for e in shown["events"]]
    assert steps == ["opened", "access_report", "erasure_plan", "erasure_apply", "erasure_verify", "closed"]
    apply_step = next(e for e in shown["events"] if e.get("action") == "erasure_apply")
    assert apply_step["details"]["ok"] is True and apply_step["details"]["plan_id"]
    assert ALICE not in out

    code, out, _ = cli(index, "request", "list", "--overdue")
    assert code == 0 and "TICKET-9" not in out
    cli(index, "request", "open", "--type", "access", "--email", ALICE, "--id", "LATE-1", "--received", "2026-01-02")
    code, out, _ = cli(index, "request", "list", "--overdue")
    assert code == 3 and "LATE-1" in out and "TICKET-9" not in out  # for cron: non-zero when something is overdue


# -- restriction (Art. 18) and legal holds ----------------------------------------------------------------
def test_a_restriction_stands_until_lifted_and_needs_a_reason(tmp_path: Path) -> None:
    register = register_at(tmp_path)
    with pytest.raises(RequestError, match="needs a reason"):
        register.restrict(HASHER, SUBJECT, "")
    with pytest.raises(RequestError, match="unknown kind"):
        register.restrict(HASHER, SUBJECT, "audit", kind="freeze")
    (standing,) = register.restrict(HASHER, SUBJECT, "accuracy contested")
    assert (standing["kind"], standing["reason"], standing["preview"]) == (
        "restriction",
        "accuracy contested",
        "a**********@e******.com",
    )
    register.restrict(HASHER, SUBJECT, "litigation", kind="legal_hold")
    assert [s["kind"] for s in register.standing(HASHER, SUBJECT)] == ["legal_hold"]  # the latest stands
    assert register.lift(HASHER, SUBJECT, reason="settled")[0]["kind"] == "legal_hold"
    assert register.standing(HASHER, SUBJECT) == []
    with pytest.raises(RequestError, match="no restriction"):
        register.lift(HASHER, SUBJECT)
    stored = b"".join(p.read_bytes() for p in (tmp_path / "index" / "requests").rglob("*.json"))
    assert b"alice" not in stored
    assert register.all() == []  # restrictions are not requests


def test_erasure_waits_while_a_restriction_stands(tmp_path: Path) -> None:
    estate, index = tmp_path / "E", tmp_path / "index"
    shutil.copytree(REPO / "examples" / "estate", estate)
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    early = tmp_path / "early.json"
    assert cli(index, "erase", "--email", ALICE, "--plan", str(early))[0] == 0  # planned before the restriction
    code, out, err = cli(index, "restrict", "--email", ALICE, "--reason", "accuracy contested")
    assert code == 0 and out.startswith("restriction stands: EMAIL_ADDRESS a"), err
    plan = tmp_path / "plan.json"
    code, _, err = cli(index, "erase", "--email", ALICE, "--plan", str(plan))
    assert code == 1 and "erasure refused: a restriction stands" in err and ALICE not in err
    assert not plan.exists()
    code, _, err = cli(index, "erase", "--apply", str(early), "--yes")
    assert code == 1 and "erasure refused" in err  # a plan made before the restriction is refused too
    code, out, _ = cli(index, "lookup", "--email", ALICE, "--format", "json")
    assert [r["reason"] for r in json.loads(out)["restrictions"]] == ["accuracy contested"]
    code, _, err = cli(index, "erase", "--email", ALICE, "--plan", str(plan), "--override-restriction", "court order")
    assert code == 0, err
    assert json.loads(plan.read_text())["restriction_override"]["reason"] == "court order"
    assert cli(index, "restrict", "--email", ALICE, "--lift")[0] == 0
    assert cli(index, "erase", "--email", ALICE, "--plan", str(tmp_path / "after.json"))[0] == 0


def test_the_access_report_shows_a_restriction(tmp_path: Path) -> None:
    estate, index = tmp_path / "E", tmp_path / "index"
    shutil.copytree(REPO / "examples" / "estate", estate)
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    out = tmp_path / "answer"
    assert cli(index, "dsar", "--email", ALICE, "--out", str(out))[0] == 0
    assert json.loads((out / "report.json").read_text())["restrictions"] == []
    assert 'id="restrictions"' not in (out / "report.html").read_text()
    assert cli(index, "restrict", "--email", ALICE, "--reason", "litigation 2026-14", "--legal-hold")[0] == 0
    assert cli(index, "dsar", "--email", ALICE, "--out", str(out), "--export")[0] == 0
    (standing,) = json.loads((out / "report.json").read_text())["restrictions"]
    with zipfile.ZipFile(out / "export.zip") as bundle:
        assert json.loads(bundle.read("manifest.json"))["restrictions"] == [standing]
    assert (standing["kind"], standing["reason"]) == ("legal_hold", "litigation 2026-14")
    page = (out / "report.html").read_text()
    assert 'id="restrictions"' in page and "legal hold" in page and "litigation 2026-14" in page


def test_the_audit_lists_a_restricted_subjects_data_written_after_the_restriction(tmp_path: Path) -> None:
    estate, index = tmp_path / "E", tmp_path / "index"
    shutil.copytree(REPO / "examples" / "estate", estate)
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    out = tmp_path / "audit"
    assert cli(index, "audit", "--out", str(out), "--fail-on", "restricted-processing>0")[0] == 0
    assert json.loads((out / "audit.json").read_text())["restricted_processing"] == []
    assert cli(index, "restrict", "--email", ALICE, "--reason", "accuracy contested")[0] == 0
    # after the restriction, a marketing export is written with her address in it, and rescanned
    (estate / "files" / "marketing.csv").write_text(f"email,segment\n{ALICE},spring\nzed@example.org,spring\n")
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    code, _, err = cli(index, "audit", "--out", str(out), "--fail-on", "restricted-processing>0")
    assert code == 3, err  # for cron, like every other --fail-on metric
    audit = json.loads((out / "audit.json").read_text())
    places = {r["item"] for r in audit["restricted_processing"]}
    assert "files/marketing.csv" in places
    assert all(r["restricted_since"] == dt.date.today().isoformat() for r in audit["restricted_processing"])
    assert "files/marketing.csv" in (out / "audit.html").read_text() and ALICE not in (out / "audit.json").read_text()


# -- objection (Art. 21): the suppression list ------------------------------------------------------------
def test_an_objection_makes_a_suppression_list_of_hashes_and_the_audit_lists_who_still_holds_it(
    tmp_path: Path,
) -> None:
    estate, index = tmp_path / "E", tmp_path / "index"
    shutil.copytree(REPO / "examples" / "estate", estate)
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    assert cli(index, "request", "open", "--type", "objection", "--email", ALICE, "--id", "OBJ-1")[0] == 0
    listed = tmp_path / "suppress.jsonl"
    code, out, err = cli(index, "suppress", "export", "--out", str(listed))
    assert code == 0 and "1 identifier(s)" in out, err
    (entry,) = [json.loads(line) for line in listed.read_text().splitlines()]
    assert (entry["entity_type"], entry["request_id"]) == ("EMAIL_ADDRESS", "OBJ-1") and len(entry["key"]) == 32
    assert b"alice" not in listed.read_bytes().lower() and listed.stat().st_mode & 0o777 == 0o600

    mailing = tmp_path / "mailing.csv"  # the mailing system's list, matched where it is
    mailing.write_text("name,email\nA,Alice.Smith@Example.com\nB,bob.jones@example.net\nC,not an address\n")
    marked = tmp_path / "marked.csv"
    code, out, err = cli(index, "suppress", "match", str(mailing), "--column", "email", "--out", str(marked))
    assert code == 0 and "1 of 3 row(s) to suppress (1 without a valid EMAIL_ADDRESS)" in out, err
    assert [line.rsplit(",", 1)[1] for line in marked.read_text().splitlines()] == ["suppressed", "true", "false", ""]

    out_dir = tmp_path / "audit"
    code, _, err = cli(index, "audit", "--out", str(out_dir), "--fail-on", "objections-held>0")
    assert code == 3, err
    held = json.loads((out_dir / "audit.json").read_text())["objections_held"]
    assert "files/crm/customers.csv" in {h["item"] for h in held}
    assert all(h["subjects"] == 1 for h in held)
    assert cli(index, "request", "close", "OBJ-1", "--outcome", "withdrawn")[0] == 0
    assert cli(index, "audit", "--out", str(out_dir), "--fail-on", "objections-held>0")[0] == 0
