"""Erasure never harms anyone else: records shared by two subjects are cleared, never deleted (issue 15).

A generated estate where table rows, cells, log lines, JSON Lines records and JSON documents are shared by
two subjects (A: erase7@…, B: erase9@…), on SQLite, PostgreSQL, MariaDB, local files and S3 (moto's server).
Erasing A leaves every byte of B's data as it was (rows compared value by value, files byte by byte against
the original with only A's values replaced), A's traces are 0 on rescan, and B's lookup is unchanged.  Also:
the bundled example's erasure completes on the first apply (FK order over the whole closure), the agent named
next to Alice's phone number is a third party for lookup, export and erasure, and the audit log is written
ahead (an intent before every action, reconciled after a crash between the change and its outcome).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, lookup_json, run_cli
from tests.db_support import my_database, my_execute, my_query, my_url, pg_database, pg_execute, pg_query, pg_url

A, A_PHONE = "erase7@example.com", "+441614960701"
B, B_PHONE = "erase9@example.com", "+441614960909"
ERASED = "[erased]"

SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100), phone VARCHAR(40))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, item VARCHAR(40),"
    " FOREIGN KEY (customer_id) REFERENCES customers (id))",
    "CREATE TABLE support_notes (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, body VARCHAR(200),"
    " FOREIGN KEY (customer_id) REFERENCES customers (id))",
    f"INSERT INTO customers VALUES (1, '{A}', '{A_PHONE}'), (2, '{B}', '{B_PHONE}')",
    "INSERT INTO orders VALUES (10, 1, 'parcel'), (11, 2, 'letter')",
    f"INSERT INTO support_notes VALUES (100, 2, '{A} and {B} shared thread'),"
    f" (101, 1, 'refund asked by {A}'), (102, 2, 'delivery asked by {B}')",
]


def _expected_rows() -> dict[str, set[tuple[str, ...]]]:
    """Every row after erasing A: A's own rows gone, the shared note cleared of A's address only."""
    return {
        "customers": {("2", B, B_PHONE)},
        "orders": {("11", "2", "letter")},
        "support_notes": {("100", "2", f"{ERASED} and {B} shared thread"), ("102", "2", f"delivery asked by {B}")},
    }


@dataclass
class Database:
    url: str
    query: Callable[[str], list[tuple[Any, ...]]]

    def dump(self) -> dict[str, set[tuple[str, ...]]]:
        return {
            t: {tuple("" if v is None else str(v) for v in row) for row in self.query(f"SELECT * FROM {t}")}
            for t in ("customers", "orders", "support_notes")
        }


@contextmanager
def _sqlite(tmp: Path) -> Iterator[Database]:
    path = tmp / "shop.sqlite"
    with sqlite3.connect(path) as db:
        for sql in SCHEMA:
            db.execute(sql)

    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchall()

    yield Database(f"sqlite:///{path}", query)


@contextmanager
def _postgres(tmp: Path) -> Iterator[Database]:
    with pg_database("piiscan_shared") as name:
        for sql in SCHEMA:
            pg_execute(name, sql)
        yield Database(pg_url(name), partial(pg_query, name))


@contextmanager
def _mariadb(tmp: Path) -> Iterator[Database]:
    with my_database("piiscan_shared") as name:
        for sql in SCHEMA:
            my_execute(
                name,
                sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
                + (" ENGINE=InnoDB" if sql.startswith("CREATE") else ""),
            )
            if not sql.startswith("CREATE"):
                my_execute(name, "COMMIT")
        yield Database(my_url(name), partial(my_query, name))


def _cli(index: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = run_cli(*args, "--index", str(index), "--format", "json")
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError:
        out = {}
    return proc.returncode, out, proc.stderr + proc.stdout


def _erase(index: Path, tmp: Path, *extra: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plan and apply (with verification) the erasure of A; (plan, apply output)."""
    plan_path = tmp / "plan.json"
    code, _, text = _cli(index, "erase", "--email", A, "--plan", str(plan_path), *extra)
    assert code == 0, text
    plan = json.loads(plan_path.read_text())
    code, out, text = _cli(index, "erase", "--apply", str(plan_path), "--yes", *extra)
    assert code == 0, text
    return plan, out


def _places(index: Path, *args: str) -> set[tuple[Any, ...]]:
    """Where lookup finds someone: item, record, field, type and masked value (spans may shift in a shared
    record once the other subject's value is replaced by the shorter or longer mark)."""
    result = lookup_json(index, *args)
    return {
        (loc["item"], json.dumps(loc["locator"], sort_keys=True), loc["field"], loc["entity_type"], loc["preview"])
        for loc in result["locations"]
    }


@pytest.mark.parametrize("maker", [_sqlite, _postgres, _mariadb], ids=["sqlite", "postgresql", "mariadb"])
def test_a_shared_row_and_cell_are_cleared_and_the_other_subjects_data_stays(maker, tmp_path: Path) -> None:
    with maker(tmp_path) as db:
        index = tmp_path / "index"
        run_cli("scan", db.url, "--index", str(index), "--no-ner", "--quiet", check=True)
        b_before = _places(index, "--email", B)
        plan, out = _erase(index, tmp_path)

        assert B not in json.dumps(plan) and A not in json.dumps(plan)
        ambiguous = set(plan["subject"]["ambiguous_keys"])
        shared = [
            a for a in plan["actions"] if a["item"].endswith("support_notes") and "100" in json.dumps(a["locator"])
        ]
        assert len(shared) == 1 and shared[0]["action"] == "redact_cells", shared
        assert ambiguous, "the other address of the shared note is ambiguous"
        assert not [a for a in plan["actions"] if a["action"] == "delete_row" and "100" in json.dumps(a["locator"])]
        # dependants before what they reference: the order and the note of A before A's customer row
        order = {
            (a["item"].split(".")[-1], json.dumps(a["locator"], sort_keys=True)): a["order"] for a in plan["actions"]
        }
        customer = next(v for (t, loc), v in order.items() if t == "customers")
        assert all(v < customer for (t, _), v in order.items() if t in ("orders", "support_notes") and v is not None)

        assert set(out["apply"]["counts"]) == {"done"}, out["apply"]
        assert out["verify"]["counts"] == {"erased": len(plan["actions"])}
        assert db.dump() == _expected_rows()
        assert lookup_json(index, "--email", A, "--linked")["locations"] == []
        assert lookup_json(index, "--phone", A_PHONE)["locations"] == []
        assert _places(index, "--email", B) == b_before


def _files() -> dict[str, str]:
    return {
        "logs/app.log": (
            "2026-11-01T08:00:01Z INFO service started\n"
            f"2026-11-01T08:00:02Z INFO mail from {A} to {B} shared thread\n"
            f"2026-11-01T08:00:03Z INFO password reset sent to {A}\n"
            f"2026-11-01T08:00:04Z INFO login ok user={B}\n"
        ),
        "crm/contacts.csv": f"id,email,phone\n1,{A},{A_PHONE}\n2,{B},{B_PHONE}\n",
        "events/tickets.jsonl": (
            json.dumps({"id": 1, "from": A, "to": B, "text": "shared ticket"})
            + "\n"
            + json.dumps({"id": 2, "from": B, "text": "hello"})
            + "\n"
        ),
        "support/threads.json": json.dumps(
            {"threads": [{"customer": {"email": A}, "cc": B, "body": "thread"}, {"customer": {"email": B}}]},
            indent=2,
        ),
    }


def _after_erasing_a(text: str) -> str:
    return text.replace(A, ERASED).replace(A_PHONE, ERASED)


def _check_files(read: Callable[[str], str], originals: dict[str, str]) -> None:
    for name, text in originals.items():
        assert read(name) == _after_erasing_a(text), name  # every byte of B's data as it was


def test_shared_lines_records_and_documents_in_files_keep_the_other_subjects_data(tmp_path: Path) -> None:
    root = tmp_path / "estate"
    originals = _files()
    for name, text in originals.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    index = tmp_path / "index"
    run_cli("scan", str(root), "--index", str(index), "--no-ner", "--quiet", check=True)
    b_before = _places(index, "--email", B)
    plan, out = _erase(index, tmp_path)
    assert {a["action"] for a in plan["actions"]} == {"redact_spans"}
    assert out["verify"]["counts"] == {"erased": len(plan["actions"])}
    _check_files(lambda name: (root / name).read_text(encoding="utf-8"), originals)
    assert lookup_json(index, "--email", A, "--linked")["locations"] == []
    assert _places(index, "--email", B) == b_before


@pytest.mark.usefixtures("aws_env")
def test_shared_objects_on_s3_keep_the_other_subjects_data(tmp_path: Path, endpoint: str, client: Any) -> None:
    bucket = f"piiscan-shared-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    originals = _files()
    for name, text in originals.items():
        client.put_object(Bucket=bucket, Key=f"estate/{name}", Body=text.encode())
    index = tmp_path / "index"
    url = f"s3://{bucket}/estate/"
    run_cli("scan", url, "--index", str(index), "--no-ner", "--quiet", "--endpoint-url", endpoint, check=True)
    b_before = _places(index, "--email", B)
    plan, out = _erase(index, tmp_path, "--endpoint-url", endpoint)
    assert out["verify"]["counts"] == {"erased": len(plan["actions"])}

    def read(name: str) -> str:
        return client.get_object(Bucket=bucket, Key=f"estate/{name}")["Body"].read().decode()

    _check_files(read, originals)
    assert lookup_json(index, "--email", A, "--linked")["locations"] == []
    assert _places(index, "--email", B) == b_before


# -- the bundled example -----------------------------------------------------------------------------------------
ALICE = "alice.smith@example.com"
TOM_LINE = 'agent=Tom text="Caller asked for a callback on'


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of examples/estate, scanned as the README says (with names): (estate, index)."""
    tmp = tmp_path_factory.mktemp("bundled")
    estate = tmp / "E"
    shutil.copytree(REPO / "examples" / "estate", estate)
    index = tmp / "index"
    run_cli("scan", str(estate), "--index", str(index), "--quiet", check=True)
    return estate, index


def test_the_agent_named_next_to_alices_phone_is_a_third_party(bundled: tuple[Path, Path], tmp_path: Path) -> None:
    _estate, index = bundled
    result = lookup_json(index, "--email", ALICE, "--linked")
    log = [loc for loc in result["locations"] if loc["item"] == "files/logs/app-2026-11-02.log"]
    names = [loc for loc in log if loc["entity_type"] == "PERSON"]
    assert names and all(loc["third_party"] and loc["attribution"] == "third_party" for loc in names)
    phones = [loc for loc in log if loc["entity_type"] == "PHONE_NUMBER"]
    assert phones and not any(loc["third_party"] for loc in phones)
    # Alice's own names (her row, her ticket's signature) stay hers
    assert not any(
        loc["third_party"]
        for loc in result["locations"]
        if loc["item"].endswith("customers") and loc["entity_type"] == "PERSON"
    )

    out = tmp_path / "dsar"
    proc = run_cli("dsar", "--index", str(index), "--email", ALICE, "--out", str(out), "--export")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["third_party_locations"] == len([loc for loc in result["locations"] if loc["third_party"]])
    with zipfile.ZipFile(out / "export.zip") as bundle:
        (name,) = [n for n in bundle.namelist() if n.endswith("app-2026-11-02.log.jsonl")]
        (record,) = [json.loads(line) for line in bundle.read(name).decode().splitlines()]
    assert "agent=Tom" not in record["text"] and "[redacted: THIRD PARTY PERSON]" in record["text"]
    assert "+441614960123" in record["text"]  # Alice's own phone number is hers to see


def test_the_bundled_example_is_erased_on_the_first_apply(bundled: tuple[Path, Path], tmp_path: Path) -> None:
    estate, index = bundled
    plan_path = tmp_path / "plan.json"
    files_before = {p.relative_to(estate).as_posix(): p.read_bytes() for p in estate.rglob("*") if p.is_file()}
    newsletter = pq.read_table(estate / "files/analytics/newsletter.parquet")
    export_lines = gzip.decompress((estate / "files/crm/customers_export.jsonl.gz").read_bytes()).splitlines()
    code, _, text = _cli(index, "erase", "--email", ALICE, "--plan", str(plan_path))
    assert code == 0, text
    plan = json.loads(plan_path.read_text())
    assert [a for a in plan["actions"] if a["action"] == "manual"] == []  # Parquet and gzip are rewritten too
    code, out, text = _cli(index, "erase", "--apply", str(plan_path), "--yes")
    assert code == 0, text
    assert out["apply"]["counts"] == {"done": len(plan["actions"])}, out["apply"]
    assert {r["status"] for r in out["verify"]["results"]} == {"erased"}
    # every file the plan does not name is byte-identical (crm.sqlite's tables are the plan's rows)
    planned_items = {a["item"] for a in plan["actions"]} | {"crm.sqlite"}
    for name, data in files_before.items():
        if name not in planned_items:
            assert (estate / name).read_bytes() == data, name
    # in the rewritten files, every row or line but Alice's is equal
    after = pq.read_table(estate / "files/analytics/newsletter.parquet")
    assert after.schema == newsletter.schema and after.num_rows == newsletter.num_rows
    changed = [i for i, (a, b) in enumerate(zip(newsletter.to_pylist(), after.to_pylist(), strict=True)) if a != b]
    assert [newsletter.column("email")[i].as_py().casefold() for i in changed] == [ALICE]
    assert after.column("email")[changed[0]].as_py() == "[erased]"
    lines = gzip.decompress((estate / "files/crm/customers_export.jsonl.gz").read_bytes()).splitlines()
    differing = [(a, b) for a, b in zip(export_lines, lines, strict=True) if a != b]
    assert len(differing) == 1 and ALICE.encode() in differing[0][0].lower() and ALICE.encode() not in differing[0][1]
    line = next(
        text for text in (estate / "files/logs/app-2026-11-02.log").read_text().splitlines() if "chat-37647" in text
    )
    assert TOM_LINE in line and "+441614960123" not in line  # the agent's name stays, Alice's phone is gone
    with sqlite3.connect(estate / "crm.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM customers WHERE customer_id = 33").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM orders WHERE customer_id = 33").fetchone() == (0,)


# -- write-ahead audit log ---------------------------------------------------------------------------------------
CRASHER = """
import sys
import piiscan.app.erasure as erasure
append = erasure.AuditLog.append
def crashing_append(self, entry):
    if entry.get("phase") == "apply" and not entry.get("reconciled"):
        raise SystemExit(9)  # the change is committed, the process dies before its outcome is logged
    append(self, entry)
erasure.AuditLog.append = crashing_append
from piiscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_audit_log_is_written_ahead_and_reconciled_after_a_crash(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    with _sqlite(tmp_path) as db:
        index = tmp_path / "index"
        run_cli("scan", db.url, "--index", str(index), "--no-ner", "--quiet", check=True)
        plan_path = tmp_path / "plan.json"
        code, _, text = _cli(index, "erase", "--email", A, "--plan", str(plan_path))
        assert code == 0, text
        plan = json.loads(plan_path.read_text())
        first = min(plan["actions"], key=lambda a: (a["order"], a["action_id"]))
        env = os.environ | {"PYTHONPATH": str(REPO)}
        args = ["erase", "--apply", str(plan_path), "--yes", "--no-verify", "--index", str(index)]
        crashed = subprocess.run([sys.executable, "-c", CRASHER, *args], capture_output=True, text=True, env=env)
        assert crashed.returncode == 9, crashed.stderr
        log = index / "audit" / "erasure.jsonl"
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        assert [e["phase"] for e in entries] == ["apply-start", "apply-intent"]
        assert entries[1]["action_id"] == first["action_id"]
        # the first action's change was committed though its outcome never reached the log
        assert db.query("SELECT COUNT(*) FROM orders WHERE id = 10") == [(0,)]

        code, _out, text = _cli(index, "erase", "--apply", str(plan_path), "--yes")
        assert code == 0, text
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        (reconciled,) = [e for e in entries if e.get("reconciled")]
        assert reconciled["action_id"] == first["action_id"] and reconciled["result"] == "done"
        # every action's outcome is preceded by its intent
        for entry in entries:
            if entry["phase"] == "apply" and not entry.get("reconciled") and entry["result"] in ("done", "failed"):
                position = entries.index(entry)
                assert any(
                    e["phase"] == "apply-intent" and e["action_id"] == entry["action_id"] for e in entries[:position]
                ), entry
        assert db.dump() == _expected_rows()
