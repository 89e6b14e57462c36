"""Identifiers in names are findings, and an item stored under a masked name can still be opened.

A file named after a person, an object key holding an e-mail, an archive member, a sheet, an e-mail
attachment, a SQLite table and column: each name is a record of its own located ``{"name": kind, ...}``,
found through the real command line (or S3 on moto's local server).  The erasure of the contents of
``exports/john.smith@example.com.txt`` works on the real file although the index knows it only masked,
and nothing plain is at rest in the index or the plan.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from piiscan.app.erasure import state_digest
from piiscan.app.items import find_item, item_ref, real_item, real_items
from piiscan.connectors.erasers import open_eraser
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher
from piiscan.index.store import open_index
from piiscan.scanner.names import detect_names, readings
from tests.conftest import TEST_KEY_HEX, lookup_json, run_cli, scan_folder

KEY = bytes.fromhex(TEST_KEY_HEX)
JOHN = "john.smith@example.com"
JOHN_PHONE = "020 7946 0555"
NAME = f"{JOHN}.txt"
#: how the index names it: masked, then " #" and the start of its keyed token (jane.smith@... masks the same,
#: so the token keeps the two files apart)
MASKED = "exports/j*********@e******.c**.txt"


# -- reading a name ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(DetectorSettings.from_dict({"ner": False}))


@pytest.mark.parametrize(
    ("name", "kind", "entity", "value"),
    [
        (f"exports/{NAME}", "path", "EMAIL_ADDRESS", JOHN),  # not john.smith@example.com.txt
        ("users/jan@example.pl", "path", "EMAIL_ADDRESS", "jan@example.pl"),  # .pl is a TLD, kept
        ("backup/ann.lee@example.co.uk.csv.gz", "member", "EMAIL_ADDRESS", "ann.lee@example.co.uk"),
        ("reports_07700_900123_q3.csv", "attachment", "PHONE_NUMBER", "07700_900123"),  # _ is a word break
        ("public.iban_GB82WEST12345698765432", "table", "IBAN_CODE", "GB82WEST12345698765432"),
        ("ann.lee@example.com", "sheet", "EMAIL_ADDRESS", "ann.lee@example.com"),
    ],
)
def test_identifiers_in_names(engine: DetectionEngine, name: str, kind: str, entity: str, value: str) -> None:
    found = detect_names(engine, [name], [kind]).to_pylist()
    spans = [(m["entity_type"], name[m["start"] : m["end"]]) for m in found]
    assert spans == [(entity, value)]
    assert all(len(text) == len(name) for text in readings(name, kind))  # offsets are the name's


def test_a_plain_name_has_no_finding(engine: DetectionEngine) -> None:
    assert detect_names(engine, ["exports/customers_2026.csv"], ["path"]).num_rows == 0


# -- the bug as filed: a file named after a person -------------------------------------------------------
def write_estate(root: Path) -> None:
    (root / "exports").mkdir(parents=True)
    (root / "exports" / NAME).write_text(f"contact: {JOHN_PHONE}\n")
    (root / "exports" / "jane.smith@example.com.txt").write_text("contact: 020 7946 0777\n")  # the same mask
    (root / "notes.txt").write_text("nothing personal here\n")
    # a sheet named after a person, in a workbook that holds nothing else
    book = Workbook()
    book.active.title = "ann.lee@example.com"
    book.active.append(["status"])
    book.active.append(["open"])
    book.save(root / "tracker.xlsx")
    # a zip member named after a person
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("people/bob.jones@example.org.csv", "id,status\n1,open\n")
    (root / "bundle.zip").write_bytes(buffer.getvalue())
    # an e-mail attachment named after a person
    message = EmailMessage()
    message["From"] = "ops@example.net"
    message["Subject"] = "weekly"
    message.set_content("see attached")
    message.add_attachment(b"id\n1\n", maintype="text", subtype="csv", filename="carl.west@example.com.csv")
    (root / "weekly.eml").write_bytes(message.as_bytes())


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("names") / "estate"
    write_estate(root)
    index, summary = scan_folder(root)
    assert summary["status"] == "completed"
    return root, index


def locations(index: Path, *args: str) -> list[dict]:
    return lookup_json(index, *args)["locations"]


def test_a_file_named_after_a_person_is_found_by_the_email(estate: tuple[Path, Path]) -> None:
    _, index = estate
    found = locations(index, "--email", JOHN)
    assert [(loc["locator"], loc["span"]) for loc in found] == [({"name": "path"}, [8, 8 + len(JOHN)])]
    assert re.fullmatch(re.escape(MASKED) + r" #[0-9a-f]{8}", found[0]["item"])


def test_the_phone_inside_it_is_located_and_the_item_found_from_its_token(estate: tuple[Path, Path]) -> None:
    root, index = estate
    answer = lookup_json(index, "--phone", JOHN_PHONE)
    assert [loc["locator"] for loc in answer["locations"]] == [{"line": 1}]
    label = answer["locations"][0]["item"]
    assert label.startswith(MASKED + " #")
    # the unmasked folder says where to look; the occurrence's item token says which file it is
    keys = [q["subject_key"] for q in answer["query"]["identifiers"]]
    (item_key,) = {r["item_key"] for r in open_index(index).occurrences_for(keys).to_pylist()}
    hasher = SubjectHasher(KEY)
    real = find_item(f"file://{root}", label, lambda i: hasher.token("item", i) == item_key, {})
    assert real == f"exports/{NAME}"  # told apart from jane's file, whose masked label is the same


def test_the_name_is_one_record_linked_like_any_other(tmp_path: Path) -> None:
    root = tmp_path / "estate"
    root.mkdir()
    (root / f"{JOHN}_07700_900123.txt").write_text("nothing\n")
    index, _ = scan_folder(root)
    found = lookup_json(index, "--email", JOHN, "--linked")
    assert {loc["entity_type"] for loc in found["locations"]} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}


@pytest.mark.parametrize(
    ("email", "locator"),
    [
        ("ann.lee@example.com", {"name": "sheet"}),
        ("bob.jones@example.org", {"name": "member"}),
        ("carl.west@example.com", {"name": "attachment", "message": 1}),
    ],
)
def test_sheet_member_and_attachment_names_are_findings(estate: tuple[Path, Path], email: str, locator: dict) -> None:
    _, index = estate
    found = locations(index, "--email", email)
    assert len(found) == 1
    kind = locator["name"]
    assert {k: v for k, v in found[0]["locator"].items() if k != kind} == locator
    assert found[0]["locator"][kind]["masked"] != email  # the name is stored masked, with a keyed token
    assert len(found[0]["locator"][kind]["token"]) == 32


def test_a_name_is_found_once_however_many_units_the_item_is_cut_into(tmp_path: Path) -> None:
    root = tmp_path / "estate"
    root.mkdir()
    (root / NAME).write_text("".join(f"line {i} of nothing in particular\n" for i in range(80_000)))
    index, summary = scan_folder(root, "--unit-mb", "1")
    assert summary["units"] > 1, summary
    assert len(locations(index, "--email", JOHN)) == 1


def test_nothing_plain_at_rest(estate: tuple[Path, Path]) -> None:
    _, index = estate
    plain = [JOHN, "jane.smith@example.com", "ann.lee@example.com", "bob.jones@example.org", "carl.west@example.com"]
    for path in index.rglob("*"):
        if not path.is_file():
            continue
        text = str(pq.read_table(path).to_pylist()) if path.suffix == ".parquet" else path.read_text("utf-8")
        assert not [p for p in plain if p in text or p.split("@")[0] in text], path


# -- databases --------------------------------------------------------------------------------------------
def test_sqlite_table_and_column_names_are_findings(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TABLE "export_dora.kent@example.com" (id INTEGER PRIMARY KEY, status TEXT)')
        conn.execute("INSERT INTO \"export_dora.kent@example.com\" VALUES (1, 'open')")
        conn.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, "eve.north@example.org" TEXT)')
        conn.execute("INSERT INTO orders VALUES (1, 'yes')")
    index = tmp_path / "index"
    run_cli("scan", f"sqlite:///{db}", "--index", str(index), "--no-ner", check=True)
    table = locations(index, "--email", "dora.kent@example.com")
    assert [loc["locator"] for loc in table] == [{"name": "table"}]
    column = locations(index, "--email", "eve.north@example.org")
    assert [(loc["item"], loc["locator"]["name"]) for loc in column] == [("orders", "column")]
    assert column[0]["locator"]["column"]["masked"].startswith("e")


# -- S3 ---------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("aws_env")
def test_an_object_key_holding_an_email_is_a_finding(client, bucket: str, endpoint: str, tmp_path: Path) -> None:
    client.put_object(Bucket=bucket, Key=f"exports/{NAME}", Body=f"contact: {JOHN_PHONE}\n".encode())
    index = tmp_path / "index"
    run_cli("scan", f"s3://{bucket}", "--index", str(index), "--no-ner", "--endpoint-url", endpoint, check=True)
    found = locations(index, "--email", JOHN)
    assert [loc["locator"] for loc in found] == [{"name": "path"}]
    # the object is found again from its masked label, listed under its unmasked folder
    label, item_key = next(
        (r["item"], r["item_key"]) for r in open_index(index).item_states().to_pylist() if r["item"] == found[0]["item"]
    )
    hasher = SubjectHasher(KEY)
    match = lambda i: hasher.token("item", i) == item_key  # noqa: E731
    assert find_item(f"s3://{bucket}", label, match, {"endpoint_url": endpoint}) == f"exports/{NAME}"


# -- erasure of the contents of an item stored under a masked name ------------------------------------------
def erase(tmp_path: Path, root: Path) -> tuple[Path, dict, str]:
    """Scan ``root``, plan john's erasure (e-mail and phone) and apply it: (index, plan, apply output)."""
    index, _ = scan_folder(root)
    plan_path = tmp_path / "plan.json"
    run_cli(
        "erase", "--index", str(index), "--email", JOHN, "--phone", JOHN_PHONE, "--plan", str(plan_path), check=True
    )
    plan_text = plan_path.read_text()
    assert JOHN not in plan_text and "john.smith" not in plan_text  # nothing plain in the plan
    proc = run_cli("erase", "--index", str(index), "--apply", str(plan_path), "--yes")
    assert "Traceback" not in proc.stderr
    return index, json.loads(plan_text), proc.stdout


def test_erasure_redacts_the_contents_and_leaves_the_name_to_a_rename(
    estate: tuple[Path, Path], tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(estate[0], root)
    (root / "exports" / "jane.smith@example.com.txt").unlink()
    index, plan, output = erase(tmp_path, root)
    actions = {a["action"]: a for a in plan["actions"]}
    assert set(actions) == {"redact_spans", "manual"}
    assert actions["manual"]["locator"] == {"name": "path"} and "rename" in actions["manual"]["reason"]
    assert actions["redact_spans"]["item_ref"]  # how the apply finds the real file again
    assert "outcomes: 1 done, 1 manual" in output
    assert (root / "exports" / NAME).read_text() == "contact: [erased]\n"
    assert locations(index, "--phone", JOHN_PHONE) == []
    assert len(locations(index, "--email", JOHN)) == 1  # the name stays until renamed


def test_two_items_masked_alike_are_never_mistaken_for_each_other(estate: tuple[Path, Path], tmp_path: Path) -> None:
    """john.smith@... and jane.smith@... mask alike; their labels differ by token, so erasing John's file
    resolves and changes John's file only."""
    root = tmp_path / "copy"
    shutil.copytree(estate[0], root)
    index, plan, output = erase(tmp_path, root)
    labels = {a["item"] for a in plan["actions"]}
    assert len(labels) == 1 and next(iter(labels)).startswith(MASKED + " #")
    assert all(a.get("item_ref") for a in plan["actions"] if a["action"] != "manual")
    assert "outcomes: 1 done, 1 manual" in output
    assert (root / "exports" / "jane.smith@example.com.txt").read_text() == "contact: 020 7946 0777\n"
    assert (root / "exports" / NAME).read_text() == "contact: [erased]\n"
    states = [r["item"] for r in open_index(index).item_states().to_pylist() if r["item"].startswith("exports/")]
    assert len(set(states)) == 2  # two items (each with its history of status rows), not one


def test_real_item_resolution_without_the_cli(estate: tuple[Path, Path], tmp_path: Path) -> None:
    source, index = estate
    states = [r for r in open_index(index).item_states().to_pylist() if r["item"].startswith("exports/")]
    digest = state_digest(KEY)
    eraser = open_eraser(f"file://{source}", digest)
    try:
        resolved = {}
        for row in states:
            entries = [{"source": row["source"], "item": row["item"], "item_key": row["item_key"]}]
            resolved[row["item_key"]] = (real_item(eraser, row["item"], entries, KEY), entries[0])
    finally:
        eraser.close()
    assert sorted(real for real, _ in resolved.values()) == ["exports/jane.smith@example.com.txt", f"exports/{NAME}"]
    entries = [entry for _, entry in resolved.values()]
    assert all(e["item_ref"] == item_ref(digest, real) for real, e in resolved.values())
    # at apply and verify time only the plan's item_ref is at hand
    assert real_items(entries, digest, {}) == {f"file://{source}": {real for real, _ in resolved.values()}}
