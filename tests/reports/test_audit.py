"""``piiscan audit`` end to end: real files with set mtimes, a SQLite table with dated rows, the bundled
example estate with its policy, the HTML page in headless Chromium, the CSVs against the JSON, --fail-on
exit codes, and no raw identifier in anything written."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from piiscan.reports.audit import near_copies
from piiscan.reports.audit_render import CSV_FILES
from tests.conftest import REPO, run_cli
from tests.estate_test_support import estate_module, generate_examples, iter_planted_values
from tests.reports.test_render_browser import _chromium, _render, _Tags

AS_OF = "2026-11-29"
OUTPUTS = ("audit.html", "audit.json", *CSV_FILES)
CONFIG = """
[[retention.rules]]
name = "logs"
match = {{ item = "logs/*.log" }}
max_age = "30d"
date = "mtime"

[[retention.rules]]
name = "contacts"
match = {{ source = "sqlite:*", table = "customers" }}
max_age = "4y"
date = "column:last_purchase"

[audit]
expected = ["logs/*"]
min_sources = 3
"""


def _stamp(path: Path, day: str) -> None:
    seconds = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (seconds, seconds))


def _emails(prefix: str, n: int) -> list[str]:
    return [f"{prefix}.{i:02d}@example.org" for i in range(n)]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two folders and a SQLite database scanned with a retention policy, audited as of 2026-11-29."""
    tmp = tmp_path_factory.mktemp("audit")
    root, other = tmp / "share", tmp / "other"
    (root / "logs").mkdir(parents=True)
    (root / "crm").mkdir()
    (root / "tmp").mkdir()
    (root / "hr").mkdir()
    other.mkdir()
    old_users, new_users, copied = _emails("old", 5), _emails("new", 5), _emails("copy", 25)
    (root / "logs" / "old.log").write_text("".join(f"INFO login ok user={e}\n" for e in old_users) + "INFO idle\n")
    (root / "logs" / "new.log").write_text("".join(f"INFO login ok user={e}\n" for e in new_users))
    _stamp(root / "logs" / "old.log", "2026-09-01")  # 89 days before the audit: over 30 days
    _stamp(root / "logs" / "new.log", "2026-11-20")
    with (root / "crm" / "contacts.csv").open("w", newline="") as f:  # old, but no rule covers it
        out = csv.writer(f)
        out.writerow(["id", "email", "notes"])
        out.writerow([1, "carla.contact@example.com", "call back on 0161 496 0999"])
        out.writerow([2, "dan.contact@example.com", "prefers post"])
    _stamp(root / "crm" / "contacts.csv", "2010-01-01")
    for folder, name in ((root / "tmp", "dump.csv"), (other, "copy.csv")):
        with (folder / name).open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["email"])
            out.writerows([e] for e in copied)
    (root / "hr" / "medical_leave.csv").write_text("employee,email\nE1,erin.staff@example.com\n")
    (root / "broken.parquet").write_bytes(b"PAR1 not parquet")
    (root / "photo.bin").write_bytes(b"\x00\x01binary")
    database = tmp / "crm.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, last_purchase)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [
                (1, "ann.buyer@example.com", "2020-01-01"),  # over four years
                (2, "bob.buyer@example.com", "2026-06-01T10:00:00Z"),
                (3, "cat.buyer@example.com", 1_500_000_000),  # epoch seconds: 2017
                (4, "dee.buyer@example.com", "soon"),  # unparseable: undated
                (5, "eve.buyer@example.com", None),  # undated
                (6, copied[0], "2025-01-01"),  # in a third source
            ],
        )
    config = tmp / "piiscan.toml"
    config.write_text(CONFIG.format())
    index = tmp / "index"
    for source in (str(root), str(other), f"sqlite:///{database}"):
        run_cli("scan", source, "--config", str(config), "--index", str(index), "--no-ner", "--quiet", check=True)
    out = tmp / "out"
    proc = run_cli("audit", "--config", str(config), "--index", str(index), "--out", str(out), "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr
    raw = [*old_users, *new_users, *copied, "carla.contact@example.com", "dan.contact@example.com"]
    raw += ["erin.staff@example.com", "0161 496 0999", "01614960999", "+441614960999"]
    raw += [f"{n}.buyer@example.com" for n in ("ann", "bob", "cat", "dee", "eve")]
    return {
        "tmp": tmp,
        "config": config,
        "index": index,
        "out": out,
        "stdout": proc.stdout,
        "audit": json.loads((out / "audit.json").read_text()),
        "raw": raw,
    }


def _audit(estate: dict[str, Any], *args: str) -> Any:
    return run_cli("audit", "--config", str(estate["config"]), "--index", str(estate["index"]), *args)


def test_retention_flags_old_files_by_mtime_and_old_rows_by_their_date_column(estate: dict[str, Any]) -> None:
    audit = estate["audit"]
    violations = {(v["rule"], v["item"]): v for v in audit["retention"]["violations"]}
    assert set(violations) == {("logs", "logs/old.log"), ("contacts", "customers")}
    log = violations[("logs", "logs/old.log")]
    assert (log["records"], log["subjects"], log["oldest"], log["cutoff"]) == (5, 5, "2026-09-01", "2026-10-30")
    rows = violations[("contacts", "customers")]
    assert (rows["records"], rows["oldest"], rows["newest"]) == (2, "2017-07-14", "2020-01-01")
    assert rows["fields"] == ["email"] and rows["entity_types"] == ["EMAIL_ADDRESS"]
    rules = {r["name"]: r for r in audit["retention"]["rules"]}
    assert (rules["logs"]["matched_records"], rules["logs"]["violating_records"]) == (10, 5)
    contacts = rules["contacts"]
    assert (contacts["matched_records"], contacts["violating_records"], contacts["undated_records"]) == (6, 2, 2)
    assert audit["summary"]["retention_violations"] == 7 and audit["summary"]["retention_items"] == 2
    modified = {i["item"]: i["modified"] for i in audit["inventory"]}
    assert modified["logs/old.log"] == "2026-09-01T00:00:00+00:00"
    assert modified["crm/contacts.csv"] == "2010-01-01T00:00:00+00:00"  # no rule: old but not flagged


def test_unexpected_places_special_categories_duplication_and_coverage(estate: dict[str, Any]) -> None:
    audit = estate["audit"]
    unexpected = {(u["item"], u["field"], u["reason"], u["matched"]) for u in audit["unexpected"]}
    assert unexpected == {
        ("tmp/dump.csv", None, "unexpected place", "tmp/*"),
        ("crm/contacts.csv", "notes", "free-text field", "notes"),
    }
    assert audit["summary"]["exempted_locations"] == 2  # the two logs, by expected = ["logs/*"]
    special = [(h["category"], h["word"], h["where"], h["item"]) for h in audit["special_categories"]]
    assert special == [("health", "medical", "item path", "hr/medical_leave.csv")]
    dup = audit["duplication"]
    assert dup["subjects_in_many_sources"] == 1 and dup["by_source_count"] == {"3": 1}
    assert dup["examples"][0] == {
        "entity_type": "EMAIL_ADDRESS",
        "preview": "c******@e******.org",
        "sources": 3,
        "items": 3,
    }
    pairs = [(p["a"]["item"], p["b"]["item"], p["jaccard"]) for p in dup["near_copies"]]
    assert pairs == [("copy.csv", "tmp/dump.csv", 1.0)] or pairs == [("tmp/dump.csv", "copy.csv", 1.0)]
    problems = {(p["item"], p["status"]) for p in audit["problems"]}
    assert problems == {("broken.parquet", "failed"), ("photo.bin", "skipped")}
    assert audit["stale"] == []
    inventory = {i["item"]: i for i in audit["inventory"]}
    assert inventory["logs/old.log"]["records"] == 6 and inventory["logs/old.log"]["share"] == round(5 / 6, 4)
    assert inventory["customers"]["subjects"] == 6 and inventory["customers"]["fmt"] == "table"


def test_fail_on_exit_codes(estate: dict[str, Any], tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "retention-violations>0").returncode == 3
    proc = _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "retention-violations>7", "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["fail_on"][0]["triggered"] is False
    assert _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "failed-items>0").returncode == 3
    assert _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "failed-items>5").returncode == 0
    assert _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "special-categories>0").returncode == 3
    assert _audit(estate, "--out", out, "--as-of", AS_OF, "--fail-on", "stale-items>0").returncode == 0
    later = _audit(estate, "--out", out, "--as-of", "2099-01-01", "--fail-on", "stale-items>0")
    assert later.returncode == 3 and "--fail-on stale-items>0: FAIL" in later.stdout
    bad = _audit(estate, "--out", out, "--fail-on", "leaks>0")
    assert bad.returncode == 2 and "unknown metric 'leaks'" in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert _audit(estate, "--out", out, "--as-of", "29/11/2026").returncode == 2
    missing = run_cli("audit", "--index", str(tmp_path / "nothing"), "--out", out)
    assert missing.returncode == 1 and "no piiscan index here" in missing.stderr


def test_csv_files_parse_and_match_the_json(estate: dict[str, Any]) -> None:
    audit, out = estate["audit"], estate["out"]

    def rows(name: str) -> list[dict[str, str]]:
        with (out / name).open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames or ()) == CSV_FILES[name][1]
            return list(reader)

    inventory = rows("inventory.csv")
    assert len(inventory) == sum(len(i["fields"]) for i in audit["inventory"])
    assert sum(int(r["occurrences"]) for r in inventory) == audit["summary"]["occurrences"]
    retention = rows("retention.csv")
    assert [(r["rule"], r["item"], int(r["records"])) for r in retention] == [
        (v["rule"], v["item"], v["records"]) for v in audit["retention"]["violations"]
    ]
    unexpected = rows("unexpected.csv")
    assert [(r["item"], r["field"] or None, int(r["occurrences"])) for r in unexpected] == [
        (u["item"], u["field"], u["occurrences"]) for u in audit["unexpected"]
    ]
    special = rows("special_categories.csv")
    assert [(r["category"], r["item"]) for r in special] == [
        (h["category"], h["item"]) for h in audit["special_categories"]
    ]
    duplication = rows("duplication.csv")
    assert sum(r["kind"] == "near-copy" for r in duplication) == len(audit["duplication"]["near_copies"])
    assert sum(r["kind"] == "multi-source-subject" for r in duplication) == len(audit["duplication"]["examples"])
    problems = rows("problems.csv")
    assert {(r["kind"], r["item"]) for r in problems} == {(p["status"], p["item"]) for p in audit["problems"]}


def test_no_raw_identifier_in_any_output(estate: dict[str, Any]) -> None:
    texts = [estate["stdout"].lower()] + [(estate["out"] / name).read_text().lower() for name in OUTPUTS]
    for value in estate["raw"]:
        assert not any(value.lower() in text for text in texts), "a raw identifier was written"
    assert "c******@e******.org" in texts[2]  # masked previews are there (the check above is not vacuous)


def test_audit_html_renders_in_chromium_and_matches_the_json(estate: dict[str, Any], tmp_path: Path) -> None:
    _chromium()
    page, audit = estate["out"] / "audit.html", estate["audit"]
    rendered = _render(page, tmp_path)
    assert rendered.returncode == 0
    assert rendered.console == [] and rendered.requests == []
    dom = rendered.dom
    assert "<h1>Data-minimisation audit</h1>" in dom
    for section in ("Summary", "Charts", "Retention", "Personal data in unexpected places", "Duplication",
                    "Inventory", "Coverage: failed, skipped and stale items"):  # fmt: skip
        assert f"<h2>{section}</h2>" in dom, section
    s = audit["summary"]
    for label, value in (
        ("Items holding personal data", s["items_with_personal_data"]),
        ("Findings", s["occurrences"]),
        ("Records kept past a retention rule", s["retention_violations"]),
        ("Personal data in unexpected places", s["unexpected"]),
        ("Special-category hints to review", s["special_categories"]),
        ("Near-copy item pairs", s["near_copies"]),
        ("Failed items", s["failed_items"]),
    ):
        assert re.search(f'<td>{re.escape(label)}</td><td class="num">{value}</td>', dom), label
    assert dom.count("<svg") >= 3 and "<rect" in dom
    broken_rules = sum(r["violating_records"] > 0 for r in audit["retention"]["rules"])
    flagged = broken_rules + len(audit["retention"]["violations"]) + len(audit["unexpected"])
    assert dom.count('<tr class="flag">') == flagged == 6
    html = page.read_text()
    assert "http://" not in html and "https://" not in html and "url(" not in html
    tags = _Tags()
    tags.feed(html)
    assert not [t for t, _ in tags.tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    assert all(not attrs.get("src") and not attrs.get("href") for _, attrs in tags.tags)


def test_near_copies_are_exact_on_the_candidates_minhash_finds() -> None:
    def keys(prefix: str, n: int) -> list[str]:
        return [f"{hash((prefix, i)) & (2**64 - 1):016x}" + "0" * 16 for i in range(n)]

    base = keys("base", 100)
    items = {
        "a.csv": base,
        "b.csv": base[:97] + keys("b", 3),  # Jaccard 97/103 = 0.94
        "c.csv": base[:80] + keys("c", 20),  # 80/120: not a near-copy
        "small.csv": base[:10],  # under min_subjects
    }
    table = pa.table(
        {
            "source": ["file:///x"] * sum(map(len, items.values())),
            "item": [name for name, ks in items.items() for _ in ks],
            "subject_key": [k for ks in items.values() for k in ks],
        }
    )
    pairs = near_copies(table, 0.9, 20)
    assert [(p["a"]["item"], p["b"]["item"], p["common_subjects"], p["jaccard"]) for p in pairs] == [
        ("a.csv", "b.csv", 97, round(97 / 103, 4))
    ]


def test_near_copies_stay_fast_on_many_items() -> None:
    """20,000 items of 30 subjects (600k keys), five planted copies: found in seconds, not minutes."""
    items, keys = [], []
    for i in range(20_000):
        members = [(i * 7919 + j * 104729) % 10_000_000 for j in range(30)]
        if i >= 19_995:  # copies of items 0..4
            members = [((i - 19_995) * 7919 + j * 104729) % 10_000_000 for j in range(30)]
        items += [f"item-{i:05d}"] * 30
        keys += [f"{m:032x}" for m in members]
    table = pa.table({"source": ["s3://bucket/"] * len(keys), "item": items, "subject_key": keys})
    started = time.perf_counter()
    pairs = near_copies(table, 0.9, 20)
    elapsed = time.perf_counter() - started
    assert {(p["a"]["item"], p["b"]["item"]) for p in pairs} == {
        (f"item-{i:05d}", f"item-{19_995 + i:05d}") for i in range(5)
    }
    assert elapsed < 30


# -- the bundled example ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """examples/estate scanned (NER on, as documented) and audited with examples/piiscan.toml."""
    tmp = tmp_path_factory.mktemp("example")
    index, out = tmp / "index", tmp / "out"
    config = "examples/piiscan.toml"
    run_cli("scan", "--config", config, "--index", str(index), "--quiet", check=True)
    proc = run_cli("audit", "--config", config, "--index", str(index), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    generated = generate_examples(tmp / "estate", seed=1)  # the planted cases, in memory
    return {"audit": json.loads((out / "audit.json").read_text()), "cases": generated.audit, "out": out,
            "stdout": proc.stdout, "estate": generated}  # fmt: skip


def test_the_example_audit_flags_exactly_the_planted_cases(example: dict[str, Any]) -> None:
    audit, cases = example["audit"], example["cases"]
    assert audit["as_of"] == AS_OF == estate_module.AUDIT_AS_OF.isoformat()  # [audit] as_of of the example
    retention = {v["item"]: v for v in audit["retention"]["violations"]}
    assert set(retention) == set(cases.retention)
    old_log = (REPO / "examples" / "estate" / "files" / "logs" / "app-2019-03-02.log").read_text().splitlines()
    assert retention["files/logs/app-2019-03-02.log"]["records"] == sum("user=" in line for line in old_log)
    assert retention["customers"]["records"] == len(cases.retention["customers"])
    assert retention["customers"]["rule"] == "CRM contacts" and retention["customers"]["oldest"] < "2022-11-29"
    assert [u["item"] for u in audit["unexpected"]] == cases.unexpected
    assert [h["item"] for h in audit["special_categories"]] == cases.special
    assert audit["duplication"]["near_copies"] == [] and audit["duplication"]["subjects_in_many_sources"] == 0
    assert [(p["item"], p["status"]) for p in audit["problems"]] == [("files/misc/photo.bin", "skipped")]
    rules = {r["name"]: r for r in audit["retention"]["rules"]}
    assert rules["chats"]["matched_records"] > 0 and rules["chats"]["violating_records"] == 0
    assert rules["support data"]["matched_records"] > 0 and rules["support data"]["violating_records"] == 0
    assert rules["web logs"]["matched_records"] > rules["web logs"]["violating_records"]


def test_the_example_estate_is_what_the_generator_writes(example: dict[str, Any]) -> None:
    """``python bench/estate.py --out examples/estate --seed 1 --examples`` reproduces the committed files."""
    generated: Path = example["estate"].root
    committed = REPO / "examples" / "estate"
    names = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    for name in names:
        if name != "crm.sqlite":  # SQLite's bytes depend on its version; its rows are compared instead
            assert (generated / name).read_bytes() == (committed / name).read_bytes(), name

    def dump(path: Path) -> list[str]:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return list(db.iterdump())

    assert dump(generated / "crm.sqlite") == dump(committed / "crm.sqlite")


def test_the_example_outputs_hold_no_raw_identifier(example: dict[str, Any]) -> None:
    texts = [example["stdout"].lower()] + [(example["out"] / name).read_text().lower() for name in OUTPUTS]
    values = {v.lower() for v in iter_planted_values(example["estate"]) if len(v) > 6}
    leaked = [v for v in values if any(v in text for text in texts)]
    assert not leaked, f"{len(leaked)} raw identifier value(s) written"


@pytest.mark.usefixtures("aws_env")
def test_s3_objects_are_dated_by_last_modified(tmp_path: Path, endpoint: str, client: Any, bucket: str) -> None:
    """An S3 object's LastModified is the item's mtime: a ``last_modified`` rule judges it."""
    client.put_object(Bucket=bucket, Key="crm/export.csv", Body=b"email\nfay.export@example.com\n")
    modified = client.head_object(Bucket=bucket, Key="crm/export.csv")["LastModified"]
    config = tmp_path / "piiscan.toml"
    config.write_text(
        '[[retention.rules]]\nname = "exports"\nmatch = { source = "s3://*" }\nmax_age = "90d"\n'
        'date = "last_modified"\n'
    )
    index, out = tmp_path / "index", tmp_path / "out"
    args = ("--config", str(config), "--index", str(index))
    run_cli("scan", f"s3://{bucket}/", *args, "--endpoint-url", endpoint, "--no-ner", "--quiet", check=True)
    day = modified.astimezone(dt.UTC).date()
    recent = run_cli("audit", *args, "--out", str(out), "--as-of", day.isoformat(), "--format", "json")
    audit = json.loads(recent.stdout)
    assert audit["inventory"][0]["modified"] == modified.astimezone(dt.UTC).isoformat(timespec="seconds")
    assert audit["retention"]["violations"] == [] and audit["retention"]["rules"][0]["matched_records"] == 1
    later = (day + dt.timedelta(days=91)).isoformat()
    late = json.loads(run_cli("audit", *args, "--out", str(out), "--as-of", later, "--format", "json").stdout)
    assert [(v["item"], v["records"], v["oldest"]) for v in late["retention"]["violations"]] == [
        ("crm/export.csv", 1, day.isoformat())
    ]
