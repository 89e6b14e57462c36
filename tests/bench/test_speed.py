"""The throughput benchmark (``bench/speed.py``): deterministic data, planted spans, recall counting, and a tiny
end-to-end run of its main() that must produce every scenario with positive throughputs.

``bench/`` is not a package, so the script is loaded by path (tests.conftest.load_bench_module).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import load_bench_module

speed = load_bench_module("speed.py")


def test_generator_is_deterministic_and_a_prefix_of_bigger_tables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(speed, "CHUNK_ROWS", 7)  # cross several chunk boundaries cheaply
    rows = speed.generate_rows(1, 30)
    assert rows == speed.generate_rows(1, 30)
    assert rows[:12] == speed.generate_rows(1, 12)
    assert [r.id for r in rows] == list(range(1, 31))
    assert rows != speed.generate_rows(2, 30)
    assert len({r.email for r in rows}) == 30


def test_planted_spans_cover_the_planted_values():
    rows = speed.generate_rows(3, 400)
    spans = [(r.note[s:e], t) for r in rows for s, e, t in r.spans]
    assert {t for _, t in spans} == set(speed.NOTE_TYPES)
    for value, entity in spans:
        assert value and value == value.strip()
        if entity == "EMAIL_ADDRESS":
            assert "@" in value
        if entity == "PHONE_NUMBER":
            assert sum(c.isdigit() for c in value) >= 10
    assert any(not r.spans for r in rows), "some notes hold no personal data"


def test_recall_counts_same_type_overlaps_only():
    row = speed.Row(1, "A B", "a@b", "0", date(2000, 1, 1), "x", "Call Ann Lee in Leeds", ((5, 12, "PERSON"),))
    found = speed.recall([row], [[(5, 8, "PERSON"), (16, 21, "LOCATION")]])
    assert found["overall"] == 1.0
    person = found["per_type"]["PERSON"]
    assert (person["planted"], person["found"], person["predicted"], person["predicted_not_planted"]) == (1, 1, 1, 0)
    assert found["per_type"]["LOCATION"]["predicted_not_planted"] == 1
    assert speed.recall([row], [[(5, 12, "LOCATION")]])["overall"] == 0.0


def test_table_files_are_reused_when_rows_and_seed_match(tmp_path: Path):
    first = speed.write_table(tmp_path / "t", 40, 5)
    again = speed.write_table(tmp_path / "t", 40, 5)
    assert not first[2]["reused"] and again[2]["reused"]
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from_csv, from_parquet = pacsv.read_csv(first[0]), pq.read_table(first[1])
    assert from_csv.num_rows == from_parquet.num_rows == 40
    assert from_csv.column_names == from_parquet.column_names == list(speed.COLUMNS)
    assert from_parquet.column("note").to_pylist() == [r.note for r in speed.generate_rows(5, 40)]


def test_main_runs_every_scenario_on_tiny_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "speed.json"
    args = ["--rows", "200", "--presidio-rows", "10", "--text-rows", "60", "--presidio-text-rows", "20"]
    args += [
        "--log-mb",
        "0.02",
        "--app-log-mb",
        "0.1",
        "--workers",
        "1",
        "--work",
        str(tmp_path / "work"),
        "--out",
        str(out),
    ]
    assert speed.main(args) == 0
    results = json.loads(out.read_text())
    s = results["scenarios"]
    assert results["complete"] and set(s) == {"table", "ner", "ids"}
    for fmt in ("csv", "parquet"):
        scan = s["table"]["piiscan"][fmt]["1"]
        assert scan["records"] == 200 and scan["rows_per_s"] > 0 and scan["mb_per_s"] > 0 and scan["findings"] > 0
        assert s["table"]["raw"][f"{fmt}_threads"]["mb_per_s"] > 0
        assert s["table"]["ratios"][fmt]["piiscan_1w_vs_presidio_per_cell"] > 0
    for p in s["table"]["presidio"].values():
        assert p["rows"] == 10 and p["rows_per_s"] > 0 and p["extrapolated_table_s"] > 0
    for key in ("piiscan", "presidio_batch", "presidio_per_text"):
        assert s["ner"][key]["chars_per_s"] > 0
    assert s["ner"]["piiscan"]["texts"] == 60 and s["ner"]["presidio_per_text"]["texts"] == 20
    assert 0 < s["ner"]["recall"]["piiscan"]["overall"] <= 1
    assert 0 < s["ner"]["recall"]["presidio"]["overall"] <= 1
    assert s["ids"]["piiscan_notes"]["mb_per_s"] > 0 and s["ids"]["piiscan_log"]["mb_per_s"] > 0
    assert s["ids"]["scan_log"]["1"]["records"] == s["ids"]["piiscan_log"]["texts"] <= results["data"]["log"]["lines"]
    assert s["ids"]["presidio_per_text"]["chars_per_s"] > 0
    assert s["ids"]["piiscan_app_log"]["texts"] > 100 and s["ids"]["piiscan_app_log"]["mb_per_s"] > 0
    assert set(results["acceptance"]) == {
        "table_vs_presidio_per_cell",
        "ner_vs_presidio_batch_per_core",
        "ids_mb_per_s_per_core",
    }
    assert results["environment"]["cpus"] and results["environment"]["presidio-analyzer"]

    printed = capsys.readouterr().out
    assert "| scenario | piiscan |" in printed and "| free text with NER" in printed
    assert "application log lines" in printed
    rows = speed.generate_rows(1, 200)
    assert not any(value in printed for r in rows for value in (r.email, r.phone, r.name, r.address))
