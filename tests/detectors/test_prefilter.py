"""The Hyperscan pre-filter and batched find: faster, never different.

The pre-filter may only skip texts where a detector finds nothing.  The main
check runs every string of every detector test table (positives and
negatives), phonenumbers' example numbers in every format for every region,
log lines and, when ../shared is present, the pii-eval sentences, through the
detectors with and without the pre-filter and compares.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest

import tests.detectors
from piiscan.detectors import prefilter as prefilter_module
from piiscan.detectors.base import Detector, Pattern
from piiscan.detectors.columns import detect_each
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.identifiers.phone import PhoneDetector
from piiscan.detectors.lists import DenyListDetector
from piiscan.detectors.prefilter import Prefilter
from piiscan.detectors.settings import DetectorSettings
from tests.conftest import REPO, shared_dataset

pytestmark = pytest.mark.skipif(not prefilter_module.available(), reason="hyperscan is not installed here")

LOG_LINES = [
    '2026-11-01T00:00:07Z INFO crm.note id=1 text="Refund issued for ORD-809476, customer happy."',
    "2026-11-29 13:33:14,123 INFO request id=req-2d31f6c6fbf785ea path=/api/v2/basket/47052 status=201",
    "01/12/2026 10:00 WARN slow query table=orders duration_ms=5207 rows=120",
    "2026/11/01 13:33 DEBUG cache hit ratio=0.93 keys=120934",
]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "values"):  # pytest.param(...)
        yield from _strings(value.values)


def detector_test_strings() -> list[str]:
    """Every string in the parametrize tables of the detector tests."""
    found: dict[str, None] = {}
    for info in pkgutil.iter_modules(tests.detectors.__path__):
        if not info.name.startswith("test_") or info.name == "test_prefilter":
            continue
        module = importlib.import_module(f"tests.detectors.{info.name}")
        for item in vars(module).values():
            for mark in getattr(item, "pytestmark", []):
                if mark.name == "parametrize":
                    found.update(dict.fromkeys(_strings(mark.args[1])))
    return list(found)


def phone_examples() -> list[tuple[str, str]]:
    """(region, text) for every region's example numbers of every type in every format."""
    formats = (
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.E164,
    )
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out += [(region, f"Call me on {phonenumbers.format_number(number, f)} today.") for f in formats]
    return out


def _same_with_and_without(
    detectors: list[Detector], texts: list[str], field: str | None = None, prefilter: Prefilter | None = None
) -> None:
    gated = detect_each(texts, detectors, field, prefilter or Prefilter(detectors))
    plain = [[m for d in detectors for m in d.find(t, field=field)] for t in texts]
    for text, ours, theirs in zip(texts, gated, plain, strict=True):
        assert ours == theirs, text


@pytest.fixture(scope="module")
def identifier_detectors() -> list[Detector]:
    return build_identifier_detectors(DetectorSettings())


def test_detector_test_strings_find_the_same(identifier_detectors: list[Detector]) -> None:
    texts = detector_test_strings()
    assert len(texts) > 500  # the tables were found
    prefilter = Prefilter(identifier_detectors)
    _same_with_and_without(identifier_detectors, texts, prefilter=prefilter)  # one batch: text boundaries
    for text in texts:
        _same_with_and_without(identifier_detectors, [text], prefilter=prefilter)


@pytest.mark.parametrize("field", ["phone", "nhs_number", "date_of_birth", "zip", "notes"])
def test_field_names_open_the_gates_they_should(identifier_detectors: list[Detector], field: str) -> None:
    texts = ["12345", "943 476 5919", "1980-02-29", "90210", "0113 496 0000", "4 March 1961"]
    _same_with_and_without(identifier_detectors, texts, field)


def test_every_example_phone_number_passes_the_gate() -> None:
    by_region: dict[str, list[str]] = {}
    for region, text in phone_examples():
        by_region.setdefault(region, []).append(text)
    assert len(by_region) > 200
    missed = []
    for region, texts in by_region.items():
        detector = PhoneDetector(DetectorSettings(default_region=region, phone_regions=(region,)))
        (gate,) = Prefilter([detector]).gates(texts)
        assert gate is not None
        missed += [text for text, passed in zip(texts, gate, strict=True) if list(detector.find(text)) and not passed]
    assert missed == []


def test_pii_eval_sentences_find_the_same(identifier_detectors: list[Detector]) -> None:
    path = shared_dataset("pii-eval", "presidio_synth_v2.jsonl")
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    _same_with_and_without(identifier_detectors, texts)


def test_timestamps_and_ids_open_no_gate() -> None:
    detectors = build_identifier_detectors(DetectorSettings(ner=False))
    gates = Prefilter(detectors).gates(LOG_LINES)
    assert {d.name for d, g in zip(detectors, gates, strict=True) if g is None or g.any()} == set()
    _same_with_and_without(detectors, LOG_LINES)
    lines = [f"{line} call 020 7946 0123" for line in LOG_LINES]
    assert Prefilter(detectors).gates(lines)[[d.name for d in detectors].index("phone")].all()


def test_context_gate_and_values_gate_per_text(identifier_detectors: list[Detector]) -> None:
    names = [d.name for d in identifier_detectors]
    texts = ["born 1961-03-04", "updated 1961-03-04", "email bob@example.com", "NHS 943 476 5919", "943 476 5919"]
    gates = dict(zip(names, Prefilter(identifier_detectors).gates(texts), strict=True))
    assert gates["date_of_birth"].tolist() == [True, False, False, False, False]
    assert gates["email"].tolist() == [False, False, True, False, False]
    assert gates["uk_nhs"].tolist() == [False, False, False, True, False]
    # a field named for the context opens the context gate; the value gate still applies
    gates = dict(zip(names, Prefilter(identifier_detectors).gates(texts, "nhs_number"), strict=True))
    assert gates["uk_nhs"].tolist() == [False, False, False, True, True]
    # a phone field's whole value is read loosely: no gate
    gates = dict(zip(names, Prefilter(identifier_detectors).gates(texts, "mobile"), strict=True))
    assert gates["phone"] is None


def test_texts_hyperscan_cannot_take_run_every_detector(identifier_detectors: list[Detector]) -> None:
    texts = ["bob@example.com \ud800", "nothing"]  # a lone surrogate is not UTF-8
    assert Prefilter(identifier_detectors).gates(texts) == [None] * len(identifier_detectors)
    _same_with_and_without(identifier_detectors, texts)
    texts = ["Zoë Ångström: zoë@exämple.com, 020 7946 0123", "ünïcödé 07700 900123"]  # offsets are bytes inside
    _same_with_and_without(identifier_detectors, texts)


class _Unsupported(Detector):
    """A detector with a trigger Hyperscan rejects (an unknown Unicode property)."""

    name = "unsupported"
    entity = "TEST"
    patterns = (Pattern("word", r"\bsecret\b", 0.9),)
    triggers = (r"\p{NoSuchProperty}",)


def test_a_trigger_hyperscan_rejects_leaves_only_its_detector_ungated(caplog: pytest.LogCaptureFixture) -> None:
    email = build_identifier_detectors(DetectorSettings(entities=("EMAIL_ADDRESS",)))
    detectors = [_Unsupported(), *email]
    gates = Prefilter(detectors).gates(["a secret", "bob@example.com"])
    assert gates[0] is None and gates[1].tolist() == [False, True]
    assert "detector unsupported runs on every text" in caplog.text
    assert "NoSuchProperty" not in caplog.text.split("(")[0]


def test_deny_list_terms_are_triggers() -> None:
    settings = DetectorSettings(deny_list={"PERSON": ("Project Nightingale",)})
    (deny,) = [d for d in DetectionEngine(settings).detectors if isinstance(d, DenyListDetector)]
    texts = ["about project   nightingale today", "about the nightingale"]
    assert Prefilter([deny]).gates(texts)[0].tolist() == [True, False]
    _same_with_and_without([deny], texts)


def test_find_many_keeps_texts_apart(identifier_detectors: list[Detector]) -> None:
    card = next(d for d in identifier_detectors if d.name == "credit_card")
    email = next(d for d in identifier_detectors if d.name == "email")
    texts = ["4111 1111", "1111 1111", "bob", "@example.com", "x 4111 1111 1111 1111", "a.b@example.com"]
    for detector in (card, email):
        assert detector.find_many(texts) == [list(detector.find(t)) for t in texts]
    assert [len(m) for m in card.find_many(texts)] == [0, 0, 0, 0, 1, 0]


def test_example_estate_lines_find_the_same(identifier_detectors: list[Detector]) -> None:
    """The bundled estate's logs, CSV, TSV and JSON, line by line, in batches like a scan's."""
    root = REPO / "examples" / "estate" / "files"
    lines = [
        line
        for pattern in ("logs/*.log", "crm/*.csv", "hr/*.tsv", "support/*.json")
        for path in sorted(root.glob(pattern))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) > 1000
    prefilter = Prefilter(identifier_detectors)
    for offset in range(0, len(lines), 1000):
        _same_with_and_without(identifier_detectors, lines[offset : offset + 1000], prefilter=prefilter)


def _matches(database: Any, data: bytes) -> list[tuple[int, int, int]]:
    return [tuple(row) for row in prefilter_module._scan(database, data).tolist()]


def test_built_in_triggers_are_compiled_once_and_then_loaded_from_the_cache(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    compile_database = prefilter_module._compile_cached.__wrapped__  # the on-disk cache, not the in-process one
    expressions = ((rb"\d{3}-\d{4}", rb"[Mm]ail"), (0, 0), (0, 1))
    compiled = compile_database(*expressions, True)
    (stored,) = (tmp_path / "piiscan" / "prefilter").iterdir()
    assert stored.stat().st_mode & 0o777 == 0o600
    loaded = compile_database(*expressions, True)  # a new process would do this: read, not compile
    text = b"call 555-1234 or mail me"
    assert _matches(loaded, text) == _matches(compiled, text) != []
    stored.write_bytes(b"not a database")  # a damaged cache only means compiling again
    assert _matches(compile_database(*expressions, True), text) == _matches(compiled, text)


def test_a_deny_list_is_never_written_to_the_cache(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    deny = DenyListDetector("PERSON", ["Zorblax Quint"], DetectorSettings())
    prefilter = Prefilter([deny, PhoneDetector()])
    assert prefilter.gates(["Zorblax Quint called 020 7946 0018", "nothing here"])[0] is not None
    assert not (tmp_path / "piiscan").exists()


def test_the_triggers_compile_to_the_same_expressions_in_every_process() -> None:
    # the cache is keyed by the expressions: a set's order leaking into them would miss it every time
    script = (
        "from piiscan.detectors.engine import DetectionEngine\n"
        "from piiscan.detectors.settings import DetectorSettings\n"
        "print(repr(DetectionEngine(DetectorSettings()).prefilter._expressions))\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert len(runs) == 1
