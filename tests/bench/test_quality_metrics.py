"""The quality benchmark's scoring (``bench/quality.py``): matching, metrics, scope rules, and that its
piiscan side is the command line's ``detect --jsonl``.

``bench/`` is not a package, so the script is loaded by path (tests.conftest.load_bench_module).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from tests.conftest import load_bench_module, run_cli, shared_dataset

quality = load_bench_module("quality.py")


@pytest.mark.parametrize(
    ("gold", "predicted", "exact", "overlap", "one_to_one"),
    [
        # (tp, fp, fn, gold found): tp/fp count predictions, fn/found count gold spans
        pytest.param([], [], (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), id="nothing"),
        pytest.param([(0, 5)], [], (0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 1, 0), id="missed"),
        pytest.param([], [(0, 5)], (0, 1, 0, 0), (0, 1, 0, 0), (0, 1, 0, 0), id="spurious"),
        pytest.param([(0, 5)], [(0, 5)], (1, 0, 0, 1), (1, 0, 0, 1), (1, 0, 0, 1), id="same span"),
        pytest.param([(0, 5)], [(1, 5)], (0, 1, 1, 0), (1, 0, 0, 1), (1, 0, 0, 1), id="shifted start"),
        pytest.param([(0, 40)], [(30, 38)], (0, 1, 1, 0), (1, 0, 0, 1), (1, 0, 0, 1), id="postcode inside an address"),
        pytest.param([(0, 5)], [(5, 9)], (0, 1, 1, 0), (0, 1, 1, 0), (0, 1, 1, 0), id="touching is not overlapping"),
        pytest.param(
            [(0, 10)], [(0, 4), (5, 10)], (0, 2, 1, 0), (1, 1, 0, 1), (1, 1, 0, 1), id="two predictions over one gold"
        ),
        pytest.param([(0, 5)], [(0, 5), (0, 5)], (1, 1, 0, 1), (1, 1, 0, 1), (1, 1, 0, 1), id="duplicate prediction"),
        pytest.param(
            [(0, 4), (6, 10)], [(0, 10)], (0, 1, 2, 0), (1, 0, 0, 2), (1, 0, 1, 1), id="one prediction over two golds"
        ),
        pytest.param(
            [(0, 4), (6, 10), (12, 15)], [(0, 10)], (0, 1, 3, 0), (1, 0, 1, 2), (1, 0, 2, 1), id="address in pieces"
        ),
        pytest.param(
            [(0, 4), (6, 10)], [(0, 4), (6, 10)], (2, 0, 0, 2), (2, 0, 0, 2), (2, 0, 0, 2), id="two clean matches"
        ),
        # greedy by largest overlap, not a maximum matching: (5, 11) takes (0, 10), so (0, 4) goes unmatched
        pytest.param(
            [(0, 10), (10, 12)],
            [(5, 11), (0, 4)],
            (0, 2, 2, 0),
            (1, 1, 0, 2),
            (1, 1, 1, 1),
            id="greedy largest overlap",
        ),
    ],
)
def test_match_spans(gold, predicted, exact, overlap, one_to_one):
    assert quality.match_spans(gold, predicted, "exact") == exact
    assert quality.match_spans(gold, predicted, "overlap") == overlap
    assert quality.match_spans(gold, predicted, "overlap_1to1") == one_to_one


def test_match_spans_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        quality.match_spans([], [], "fuzzy")


@pytest.mark.parametrize(
    ("counts", "beta", "expected"),
    [
        pytest.param((0, 0, 0), 2, (None, None, None), id="no gold, no predictions"),
        pytest.param((0, 0, 5), 2, (None, 0.0, 0.0), id="predicted nothing"),
        pytest.param((0, 3, 0), 2, (0.0, None, 0.0), id="no gold spans"),
        pytest.param((0, 3, 3), 2, (0.0, 0.0, 0.0), id="all wrong"),
        pytest.param((4, 0, 0), 2, (1.0, 1.0, 1.0), id="perfect"),
        pytest.param((1, 1, 0), 1, (0.5, 1.0, 2 / 3), id="F1 is the harmonic mean"),
        pytest.param((1, 1, 0), 2, (0.5, 1.0, 5 / 6), id="F2 favours recall"),
        pytest.param((1, 0, 1), 2, (1.0, 0.5, 5 / 9), id="F2 penalises missed spans"),
        pytest.param((1, 0, 1), 1, (1.0, 0.5, 2 / 3), id="F1 is symmetric"),
        pytest.param((1, 0, 1, 3), 1, (1.0, 0.75, 6 / 7), id="recall counts gold spans found"),
    ],
)
def test_prf(counts, beta, expected):
    assert quality.prf(*counts, beta=beta) == pytest.approx(expected)


def doc(text: str, *spans: tuple[int, int, str]):
    return quality.Doc(id=text[:8], text=text, spans=spans)


def test_score_keeps_out_of_scope_types_and_excluded_types_out_of_the_overall():
    docs = [doc("Ann Lee, NI AB123456C, on 1 May", (0, 7, "PERSON"), (26, 31, "DATE_TIME"))]
    predictions = [[(0, 3, "PERSON"), (12, 21, "UK_NINO"), (26, 31, "DATE_TIME"), (12, 14, "DATE_TIME")]]
    result = quality.score(docs, predictions, {"PERSON", "DATE_TIME"})
    assert result["out_of_scope"] == {"UK_NINO": 1}
    person = result["per_type"]["PERSON"]
    assert person["predicted"] == 1
    assert (person["exact"]["tp"], person["exact"]["fp"], person["exact"]["fn"]) == (0, 1, 1)
    assert (person["overlap"]["tp"], person["overlap"]["fp"], person["overlap"]["fn"]) == (1, 0, 0)
    assert result["per_type"]["DATE_TIME"]["overlap"]["fp"] == 1
    overall = result["overall"]  # PERSON only: DATE_TIME is not in OVERALL_TYPES
    assert [overall["exact"][k] for k in ("tp", "fp", "fn")] == [0, 1, 1]
    assert [overall["overlap"][k] for k in ("tp", "fp", "fn", "precision", "recall", "f2")] == [1, 0, 0, 1.0, 1.0, 1.0]


def test_score_counts_predictions_on_another_types_gold_span():
    docs = [doc("Lives at 1 High St, Leeds LS1 4AB", (9, 33, "LOCATION"))]
    result = quality.score(docs, [[(26, 33, "ZIP_CODE")]], {"LOCATION", "ZIP_CODE"})
    assert result["per_type"]["ZIP_CODE"]["overlap"]["fp"] == 1
    assert result["per_type"]["ZIP_CODE"]["overlap"]["fp_on_other_type"] == 1
    assert result["per_type"]["LOCATION"]["overlap"]["fn"] == 1  # the postcode earns nothing for the address


def test_every_gold_type_is_either_in_or_out_of_the_overall_with_a_reason():
    docs = quality.load_docs(shared_dataset("pii-eval", "presidio_synth_v2.jsonl"))
    gold_types = {t for d in docs for _, _, t in d.spans}
    assert not set(quality.OVERALL_TYPES) & set(quality.NOT_OVERALL)
    assert gold_types == set(quality.OVERALL_TYPES) | set(quality.NOT_OVERALL)


def test_markdown_has_a_row_per_gold_type_and_an_overall_row():
    docs = [doc("Ann Lee at ann@example.com", (0, 7, "PERSON"), (11, 26, "EMAIL_ADDRESS"))]
    gold_types = {"PERSON", "EMAIL_ADDRESS"}
    run = quality.Run(predictions=[[(11, 26, "EMAIL_ADDRESS"), (0, 3, "URL")]], timings=[0.5], info={})
    results = {
        "dataset": {"file": "x.jsonl", "texts": 1, "chars": 26, "gold_spans": {"PERSON": 1, "EMAIL_ADDRESS": 1}},
        "tools": {name: quality.tool_result(docs, run, gold_types) for name in ("piiscan", "presidio")},
    }
    table = quality.markdown(results)
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| EMAIL_ADDRESS", "| PERSON", "| **overall**"]
    assert "| **overall** | 2 | 1.000 | 0.500 | 0.556 |" in table
    assert "URL 1" in table and "52 chars/s" in table
    assert "Ann" not in table and "example.com" not in table  # offsets and counts only


def test_load_docs_rejects_spans_outside_the_text(tmp_path: Path):
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"id": "1", "text": "short", "spans": [{"start": 2, "end": 9, "type": "PERSON"}]}))
    with pytest.raises(ValueError, match="outside"):
        quality.load_docs(data)


def test_batch_size_is_the_command_lines():
    from piiscan.cli import cmd_detect

    assert f"batch = {quality.CLI_BATCH}\n" in inspect.getsource(cmd_detect), "bench/quality.py: update CLI_BATCH"


def test_piiscan_side_equals_piiscan_detect_jsonl(tmp_path: Path):
    """Same findings as the real command line (default settings: run where no piiscan.toml is)."""
    docs = quality.load_docs(shared_dataset("pii-eval", "presidio_synth_v2.jsonl"))[:60]
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in docs))
    proc = run_cli("detect", str(data), "--jsonl", "-q", cwd=tmp_path, check=True)
    by_id = {d.id: i for i, d in enumerate(docs)}
    cli = sorted(
        (by_id[f["id"]], f["start"], f["end"], quality.PIISCAN_TO_BENCH.get(f["entity_type"], f["entity_type"]))
        for f in map(json.loads, proc.stdout.splitlines())
    )
    run = quality.run_piiscan([d.text for d in docs])
    ours = sorted((i, s, e, t) for i, spans in enumerate(run.predictions) for s, e, t in spans)
    assert cli, "expected findings in the first 60 sentences"
    assert ours == cli


def test_score_counts_false_positives_per_detector():
    docs = [doc("Ann Lee met Bob in March", (0, 7, "PERSON"), (12, 15, "PERSON"))]
    predictions = [[(0, 3, "PERSON"), (4, 7, "PERSON"), (12, 15, "PERSON"), (19, 24, "LOCATION"), (0, 3, "UK_NINO")]]
    sources = [["person_name", "spacy_ner", "spacy_ner", "town_name", "uk_nino"]]
    result = quality.score(docs, predictions, {"PERSON", "LOCATION"}, sources=sources)
    # (4, 7) is a second prediction over the gold span (0, 7): a false positive; UK_NINO is out of scope
    assert result["by_detector"] == {
        "spacy_ner": {"predicted": 2, "fp": 1, "fp_by_type": {"PERSON": 1}},
        "town_name": {"predicted": 1, "fp": 1, "fp_by_type": {"LOCATION": 1}},
        "person_name": {"predicted": 1, "fp": 0, "fp_by_type": {}},
    }
    assert quality.score(docs, predictions, {"PERSON", "LOCATION"})["by_detector"] == {}


def test_overall_row_uses_the_data_sets_overall_types():
    docs = [doc("Ann Lee, no. 1520/06", (0, 7, "PERSON"), (13, 20, "ID_CODE"))]
    result = quality.score(docs, [[(0, 7, "PERSON")]], {"PERSON", "ID_CODE"}, quality.TAB_OVERALL_TYPES)
    assert [result["overall"]["overlap"][k] for k in ("tp", "fp", "fn")] == [1, 0, 1]
    assert quality.score(docs, [[(0, 7, "PERSON")]], {"PERSON", "ID_CODE"})["overall"]["overlap"]["fn"] == 0


def test_runs_map_tool_types_and_keep_detector_names():
    found = [[(0, 3, "PHONE_NUMBER", "phone"), (5, 9, "PERSON", "spacy_ner")], []]
    run = quality.to_run(found, [0.1], {}, quality.TAB_PREDICTED)
    assert run.predictions == [[(0, 3, "ID_CODE"), (5, 9, "PERSON")], []]
    assert run.sources == [["phone", "spacy_ner"], []]


def test_mapping_text_groups_sources_by_target():
    assert (
        quality.mapping_text(quality.PIISCAN_TO_BENCH)
        == "DATE_OF_BIRTH → DATE_TIME; UK_POSTCODE, POSTAL_CODE → ZIP_CODE"
    )


@pytest.mark.parametrize("name", ["tab-dev", "tab-train"])
def test_tab_gold_types_are_mapped_and_each_in_or_out_of_the_overall(name: str):
    dataset = quality.DATASETS[name]
    for path in dataset.files:
        shared_dataset("tab", path.name)
    docs = quality.load_dataset(dataset)
    gold_types = {t for d in docs for _, _, t in d.spans}
    assert "DEM" not in gold_types and "NRP" in gold_types  # TAB's demographic attributes score as NRP
    assert not set(dataset.overall_types) & set(dataset.not_overall)
    assert gold_types == set(dataset.overall_types) | set(dataset.not_overall)


def test_tab_both_splits_are_one_set_of_distinct_texts():
    for name in ("tab_dev.jsonl", "tab_train.jsonl"):
        shared_dataset("tab", name)
    both = quality.load_dataset(quality.DATASETS["tab"])
    parts = [quality.load_dataset(quality.DATASETS[name]) for name in ("tab-dev", "tab-train")]
    assert [d.id for d in both] == [d.id for part in parts for d in part]


def test_every_type_piiscan_reports_scores_on_tab():
    """No piiscan type falls out of scope on TAB unnoticed: each maps to a TAB type or has one's name."""
    from piiscan.detectors.engine import DetectionEngine
    from piiscan.detectors.nlp import NER_ENTITIES
    from piiscan.detectors.settings import DetectorSettings

    engine = DetectionEngine(DetectorSettings())
    types = {t for d in engine.detectors for t in d.entities} | set(NER_ENTITIES)
    tab_types = set(quality.TAB_OVERALL_TYPES) | set(quality.TAB_NOT_OVERALL)
    assert {quality.TAB_PREDICTED.get(t, t) for t in types} <= tab_types


def test_load_dataset_rejects_duplicate_ids(tmp_path: Path):
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"id": "1", "text": "short", "spans": []}) + "\n")
    with pytest.raises(ValueError, match="duplicate"):
        quality.load_dataset(quality.PII_EVAL, [data, data])
