"""The Python API (scanner.api.Workspace): the request workflows a ticketing system calls, on SQLite Chinook."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from piiscan.app.erasure import PlanError
from piiscan.app.workspace import EXIT_INCOMPLETE, Workspace
from tests.conftest import run_cli, shared_dataset

EMAIL = "luisg@embraer.com.br"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    database = tmp_path / "chinook.sqlite"
    shutil.copy(shared_dataset("chinook", "Chinook_Sqlite.sqlite"), database)
    run_cli("scan", f"sqlite:///{database}", "--index", str(tmp_path / "index"), "--no-ner", "--quiet", check=True)
    return Workspace.open(index=tmp_path / "index", **{"detectors.ner": False})


def _count(workspace: Workspace, sql: str) -> int:
    (source,) = {s for s, _ in workspace.index.current_items()}
    with sqlite3.connect(source.removeprefix("sqlite:///")) as db:
        return db.execute(sql).fetchone()[0]


def test_access_report_with_export(workspace: Workspace, tmp_path: Path) -> None:
    subject = workspace.subject(email=[EMAIL.upper()])
    assert workspace.lookup(subject, related=True)["counts"]["related"] == 45
    answer = workspace.access_report(subject, tmp_path / "out", export=True)
    assert answer.report["summary"]["related_rows"] == 45
    assert json.loads(answer.paths["json"].read_text())["export"]["records"] >= 46
    assert answer.export is not None and not answer.export.fetched_nothing
    with zipfile.ZipFile(answer.export.path) as bundle:
        assert "manifest.json" in bundle.namelist()


def test_erasure_plan_apply_verify(workspace: Workspace, tmp_path: Path) -> None:
    subject = workspace.subject(email=[EMAIL])
    plan = workspace.plan_erasure(subject, request_id="T-9", path=tmp_path / "plan.json")
    assert plan["summary"]["delete_row"] == 46
    dry = workspace.apply_erasure(tmp_path / "plan.json")
    assert dry["ok"] and "verify" not in dry and dry["apply"]["counts"] == {"dry_run": 46}
    assert _count(workspace, "SELECT COUNT(*) FROM Invoice WHERE CustomerId = 1") == 7

    done = workspace.apply_erasure(plan, yes=True)
    assert done["ok"] and done["verify"]["counts"] == {"erased": 46}
    assert _count(workspace, "SELECT COUNT(*) FROM Invoice WHERE CustomerId = 1") == 0
    assert workspace.verify_erasure(plan)["ok"]
    assert EXIT_INCOMPLETE == 3


def test_bad_identifiers_and_foreign_plans_are_one_line_errors(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PHONE_NUMBER"):
        workspace.subject(phone=["not a phone"])
    with pytest.raises(ValueError, match="at least one identifier"):
        workspace.subject()
    (tmp_path / "plan.json").write_text(json.dumps({"plan_version": "1", "key_id": "0000"}))
    with pytest.raises(PlanError, match="another HMAC key"):
        workspace.apply_erasure(tmp_path / "plan.json")
