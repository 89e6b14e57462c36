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
