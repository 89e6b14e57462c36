"""Custom recognizers ([[detectors.custom]]): definitions, scoring, validators, the pre-filter, the engine
and a real scan + lookup (table-driven, with negatives)."""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pytest

from piiscan.detectors import prefilter as prefilter_module
from piiscan.detectors.columns import scan_texts
from piiscan.detectors.custom import (
    NORMALISERS,
    VALIDATORS,
    CustomDetector,
    CustomRecognizer,
    _validator_table,
    literal_prefix,
    prefilter_triggers,
)
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import mask_value, normalise_value
from piiscan.detectors.settings import DetectorSettings
from piiscan.scanner.config import ConfigError, load_config
from tests.conftest import lookup_json, run_cli

EMPLOYEE = {"entity": "EMPLOYEE_ID", "pattern": r"\bEMP-\d{6}\b", "score": 0.3, "context": ["employee", "staff id"]}
LUHN_EMPLOYEE = {**EMPLOYEE, "validator": "luhn"}


def engine(*custom: dict, **settings) -> DetectionEngine:
    return DetectionEngine(DetectorSettings(ner=False, custom=custom, **settings))


def found(engine: DetectionEngine, text: str) -> list[tuple[str, str, float]]:
    rows = engine.detect_texts([text]).to_pylist()
    return [(r["entity_type"], text[r["start"] : r["end"]], round(r["score"], 2)) for r in rows]


# -- scoring, context and validators ------------------------------------------------------------
@pytest.mark.parametrize(
    ("definition", "text", "expected"),
    [
        # base score 0.3 is below the 0.5 threshold: reported only with a context word nearby
        (EMPLOYEE, "employee EMP-123456 joined", [("EMPLOYEE_ID", "EMP-123456", 0.65)]),
        (EMPLOYEE, "our Staff ID is EMP-123456", [("EMPLOYEE_ID", "EMP-123456", 0.65)]),
        (EMPLOYEE, "employees: EMP-123456", [("EMPLOYEE_ID", "EMP-123456", 0.65)]),  # inflections count
        (EMPLOYEE, "ticket EMP-123456 closed", []),  # no context: 0.3 < 0.5
        (EMPLOYEE, "EMP-123456", []),
        (EMPLOYEE, "semployee EMP-123456", []),  # context is whole words only
        (EMPLOYEE, "employee EMP-1234567", []),  # the pattern's \b: not a longer number
        (EMPLOYEE, "employee XEMP-123456", []),
        ({**EMPLOYEE, "score": 0.6}, "ticket EMP-123456", [("EMPLOYEE_ID", "EMP-123456", 0.6)]),
        # a checksum confirms (score 1.0) whatever the context, and rejects values failing it
        (LUHN_EMPLOYEE, "ticket EMP-123455", [("EMPLOYEE_ID", "EMP-123455", 1.0)]),
        (LUHN_EMPLOYEE, "employee EMP-482919", [("EMPLOYEE_ID", "EMP-482919", 1.0)]),
        (LUHN_EMPLOYEE, "employee EMP-123456", []),  # Luhn fails: rejected even with context
        (LUHN_EMPLOYEE, "employee EMP-482916", []),
        # requires_context: never without a context word, even when the checksum passes
        ({**LUHN_EMPLOYEE, "requires_context": True}, "ticket EMP-123455", []),
        ({**LUHN_EMPLOYEE, "requires_context": True}, "staff id EMP-123455", [("EMPLOYEE_ID", "EMP-123455", 1.0)]),
        # a value group: the label is context for the match, not part of it
        (
            {"entity": "BADGE", "pattern": r"badge no\.? ?(?P<value>\d{5})\b", "score": 0.7},
            "badge no. 12345 issued",
            [("BADGE", "12345", 0.7)],
        ),
        (
            {"entity": "ORCID", "pattern": r"\b\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b", "score": 0.5, "validator": "mod11"},
            "orcid 0000-0001-2150-090X and 0000-0001-2150-0901",
            [("ORCID", "0000-0001-2150-090X", 1.0)],
        ),
        (
            {"entity": "LEI", "pattern": r"\b[0-9A-Z]{18}\d{2}\b", "score": 0.4, "validator": "mod97"},
            "LEI 5493001KJTIIGC8Y1R12 / 5493001KJTIIGC8Y1R13",
            [("LEI", "5493001KJTIIGC8Y1R12", 1.0)],
        ),
        (
            {"entity": "MEMBER_NO", "pattern": r"(?i)\bmem\d{4}\b", "score": 0.55},
            "MEM2363, mem7777 and Mem1234",
            [("MEMBER_NO", "MEM2363", 0.55), ("MEMBER_NO", "mem7777", 0.55), ("MEMBER_NO", "Mem1234", 0.55)],
        ),
    ],
)
def test_custom_recognizer_findings(definition: dict, text: str, expected: list) -> None:
    assert found(engine(definition), text) == expected


@pytest.mark.parametrize(
    ("validator", "valid", "invalid"),
    [
        ("luhn", "EMP-123455", "EMP-123456"),
        ("verhoeff", "2363", "2364"),
        ("damm", "5724", "5723"),
        ("mod97", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R13"),
        ("mod11", "0000-0001-2150-090X", "0000-0001-2150-0901"),
        ("iban", "GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"),
        ("nhs", "943 476 5919", "943 476 5918"),
        ("credit_card", "4111 1111 1111 1111", "4111 1111 1111 1112"),
        ("uk_nino", "AB123456C", "QQ123456C"),
        ("us_ssn", "536-22-1234", "000-22-1234"),
    ],
)
def test_named_validators_reuse_the_identifier_rules(validator: str, valid: str, invalid: str) -> None:
    validate = _validator_table()[validator]
    assert validate(valid).value in ("confirm", "no_opinion")
    assert validate(invalid).value == "reject"


def test_every_documented_validator_exists() -> None:
    assert set(_validator_table()) == set(VALIDATORS)


@pytest.mark.parametrize(
    ("normalise", "value", "stored"),
    [("text", " EMP-1234  56 ", "EMP-1234 56"), ("upper", "emp-9", "EMP-9"), ("digits", "EMP-12 34", "1234")],
)
def test_normalisers(normalise: str, value: str, stored: str) -> None:
    assert NORMALISERS[normalise](value) == stored


# -- thresholds and disabled entities ---------------------------------------------------------
def test_per_entity_threshold_raises_and_lowers_the_bar() -> None:
    text = "employee EMP-123456 joined in March.  Much later, without a word of context: EMP-654321"
    assert [f[1] for f in found(engine(EMPLOYEE), text)] == ["EMP-123456"]
    lowered = engine(EMPLOYEE, thresholds={"EMPLOYEE_ID": 0.3})
    assert [f[1] for f in found(lowered, text)] == ["EMP-123456", "EMP-654321"]
    raised = engine(EMPLOYEE, thresholds={"EMPLOYEE_ID": 0.7})
    assert found(raised, text) == []
    # other entity types keep the global threshold
    assert found(raised, "mail bob@example.com") == [("EMAIL_ADDRESS", "bob@example.com", 1.0)]


def test_disabled_entities_are_not_reported_in_text_or_tables() -> None:
    custom = {**EMPLOYEE, "score": 0.8}
    on = engine(custom)
    off = engine(custom, disabled_entities=["employee_id", "EMAIL_ADDRESS"])
    text = "EMP-123456 bob@example.com +44 20 7946 0958"
    assert {f[0] for f in found(on, text)} == {"EMPLOYEE_ID", "EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert {f[0] for f in found(off, text)} == {"PHONE_NUMBER"}
    batch = pa.record_batch({"staff": ["EMP-123456", "EMP-222222"], "mail": ["a@example.com", "b@example.com"]})
    assert set(on.detect_table(batch, ["staff", "mail"])["entity_type"].to_pylist()) == {
        "EMPLOYEE_ID",
        "EMAIL_ADDRESS",
    }
    assert off.detect_table(batch, ["staff", "mail"]).num_rows == 0


def test_custom_ids_in_table_columns_with_the_column_name_as_context() -> None:
    batch = pa.record_batch({"employee_id": ["EMP-123456", "EMP-222222", None], "ref": ["EMP-1", "x", "y"]})
    table = engine(EMPLOYEE).detect_table(batch, ["employee_id", "ref"])
    assert table["entity_type"].to_pylist() == ["EMPLOYEE_ID", "EMPLOYEE_ID"]
    assert table["normalised"].to_pylist() == ["EMP-123456", "EMP-222222"]
    assert all("123456" not in p for p in table["preview"].to_pylist())  # masked


# -- definitions and settings ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"entity": "EMPLOYEE_ID", "pattern": r"EMP-(\d{6}"}, "recognizer EMPLOYEE_ID: 'pattern' is not a valid"),
        ({"entity": "EMPLOYEE_ID", "pattern": r"\d*"}, "matches the empty string"),
        ({**EMPLOYEE, "validator": "sha256"}, "custom recognizer EMPLOYEE_ID: unknown validator 'sha256'"),
        ({**EMPLOYEE, "score": 1.5}, "'score' must be a number from 0 to 1"),
        ({**EMPLOYEE, "context": "employee", "requires_context": "yes"}, "'requires_context' must be true or false"),
        ({**EMPLOYEE, "context": [], "requires_context": True}, "'requires_context' needs 'context' words"),
        ({**EMPLOYEE, "colour": "blue"}, "unknown key(s) colour"),
        ({"entity": "employee id!", "pattern": "x"}, "'entity' must be a name like EMPLOYEE_ID"),
        ({"pattern": "x"}, "custom recognizer #1: missing 'entity'"),
        ({**EMPLOYEE, "normalise": "soundex"}, "'normalise' must be one of"),
    ],
)
def test_bad_definitions_name_the_recognizer(definition: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        DetectorSettings(custom=[definition])
    assert message in str(caught.value)


def test_two_recognizers_of_one_entity_need_distinct_names() -> None:
    second = {**EMPLOYEE, "pattern": r"\bSTF\d{5}\b"}
    with pytest.raises(ValueError, match="used twice; set 'name'"):
        DetectorSettings(custom=[EMPLOYEE, second])
    settings = DetectorSettings(ner=False, custom=[EMPLOYEE, {**second, "name": "custom_employee_id_old"}])
    text = "employee EMP-123456 was employee STF12345"
    assert [f[1] for f in found(DetectionEngine(settings), text)] == ["EMP-123456", "STF12345"]


def test_config_file_errors_name_the_file_and_the_recognizer(tmp_path: Path) -> None:
    path = tmp_path / "piiscan.toml"
    path.write_text('[[detectors.custom]]\nentity = "STAFF_NO"\npattern = "STF-[0-9"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: detectors: custom recognizer STAFF_NO: 'pattern' is not a valid")
    assert "\n" not in message
    path.write_text('[[detectors.custom]]\nentity = "STAFF_NO"\npattern = "STF-[0-9]+"\nvalidator = "crc32"\n')
    with pytest.raises(ConfigError, match=r"custom recognizer STAFF_NO: unknown validator 'crc32' \(known: luhn"):
        load_config(path)


def test_settings_stay_plain_data_and_the_version_follows_the_definition() -> None:
    settings = DetectorSettings(custom=[LUHN_EMPLOYEE], thresholds={"EMPLOYEE_ID": 0.4}, disabled_entities=["IP"])
    assert DetectorSettings.from_dict(asdict(settings)) == settings
    assert DetectorSettings.from_dict(json.loads(json.dumps(asdict(settings)))) == settings
    assert pickle.loads(pickle.dumps(settings)) == settings
    changed = DetectorSettings(custom=[{**LUHN_EMPLOYEE, "context": ["employee"]}], thresholds={"EMPLOYEE_ID": 0.4})
    assert changed.fingerprint() != settings.fingerprint()
    a, b = (CustomRecognizer.from_value(d, 1) for d in (LUHN_EMPLOYEE, {**LUHN_EMPLOYEE, "score": 0.31}))
    assert a.version != b.version and a.version == CustomRecognizer.from_value(dict(LUHN_EMPLOYEE), 1).version
    versions = DetectionEngine(DetectorSettings(ner=False, custom=[LUHN_EMPLOYEE])).detector_versions()
    assert versions["custom_employee_id"] == a.version
    detector = CustomDetector(a, threshold=0.5)
    clone = pickle.loads(pickle.dumps(detector))
    assert list(clone.find("employee EMP-123455")) == list(detector.find("employee EMP-123455"))


def test_lookup_values_normalise_like_detection() -> None:
    settings = DetectorSettings(custom=[{**LUHN_EMPLOYEE, "normalise": "upper"}])
    assert normalise_value("EMPLOYEE_ID", " emp-123455 ", settings) == "EMP-123455"
    assert normalise_value("EMPLOYEE_ID", "EMP-123456", settings) is None  # fails Luhn
    assert normalise_value("EMPLOYEE_ID", "EMP-123455 and more", settings) is None
    assert normalise_value("NOT_CONFIGURED", "EMP-123455", settings) is None
    assert mask_value("EMPLOYEE_ID", "EMP-123455", settings) == "E*P-1****5"


# -- the pre-filter ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("regex", "prefix", "caseless"),
    [
        (r"\bEMP-\d{6}\b", "EMP-", False),
        (r"(?i)emp-\d", "emp-", True),
        (r"^STAFF\d+$", "STAFF", False),
        (r"EMP|STF", "", False),
        (r"\d{6}", "", False),
        (r"(?:EMP)-\d", "EMP-", False),  # the parser flattens a plain group
        (r"(?i:EMP)-\d", "", False),  # a scoped flag: no literal prefix to rely on
    ],
)
def test_literal_prefix(regex: str, prefix: str, caseless: bool) -> None:
    assert literal_prefix(regex) == (prefix, caseless)


@pytest.mark.skipif(not prefilter_module.available(), reason="hyperscan is not installed here")
@pytest.mark.parametrize(
    ("regex", "trigger"),
    [
        (r"\bEMP-\d{6}\b", r"(?m)\bEMP-\d{6}\b"),  # the whole regex
        (r"^EMP-\d{6}$", r"(?m)^EMP-\d{6}$"),  # ^ and $ at each text of the batch
        (r"\AEMP-\d{6}", r"EMP\-"),  # whole-text anchors: the literal prefix
        ("(?x) EMP - \\d+ # comment", r"EMP\-"),  # Hyperscan cannot parse it: the literal prefix
        (r"(?x) \d+ # comment", None),  # neither: every text
    ],
)
def test_triggers_with_a_safe_fallback(regex: str, trigger: str | None) -> None:
    triggers, _ = prefilter_triggers(regex)
    assert triggers == ((trigger,) if trigger else ())


PREFILTER_DEFINITIONS = [
    EMPLOYEE,
    {**LUHN_EMPLOYEE, "name": "custom_luhn_employee"},
    {"entity": "STAFF", "pattern": r"^STF\d{4}$", "score": 0.9},
    {"entity": "ROOM", "pattern": r"\AR-\d{3}", "score": 0.9},
    {"entity": "BADGE", "pattern": r"(?x) badge \s no\.? \s? (?P<value>\d{5}) \b  # comment", "score": 0.7},
    {"entity": "CODE", "pattern": r"(?i)(?<![a-z])cx-[a-z]{2}\d\d", "score": 0.8, "context": ["code"]},
    {"entity": "ANY_DIGITS", "pattern": r"\b\d{9}\b", "score": 0.2, "context": ["member"], "requires_context": True},
]
PREFILTER_TEXTS = [
    "employee EMP-123456 joined",
    "ticket EMP-123455 and EMP-654321",
    "STF1234",
    "see STF1234",
    "R-101 is booked",
    "room R-101",
    "badge no. 12345 issued",
    "code CX-ab12, cx-CD34 and xcx-ef56",
    "member 123456789, not 12345678",
    "123456789",
    "nothing to see",
    "bob@example.com EMP-000000",
    "",
]


@pytest.mark.skipif(not prefilter_module.available(), reason="hyperscan is not installed here")
def test_prefilter_on_and_off_find_the_same() -> None:
    eng = engine(*PREFILTER_DEFINITIONS)
    assert eng.prefilter.active
    with_prefilter = scan_texts(PREFILTER_TEXTS, eng.detectors, None, None, eng.prefilter)
    without = scan_texts(PREFILTER_TEXTS, eng.detectors, None, None, None)
    assert with_prefilter == without
    custom = {m.entity_type for matches in without for m in matches}
    assert custom >= {"EMPLOYEE_ID", "STAFF", "ROOM", "BADGE", "CODE", "ANY_DIGITS"}
    gates = eng.prefilter.gates(PREFILTER_TEXTS)
    staff = next(i for i, d in enumerate(eng.detectors) if d.entity == "STAFF")
    assert gates[staff] is not None and gates[staff].tolist().count(True) == 1  # gated: only "STF1234"


# -- a real scan and lookup ---------------------------------------------------------------------
def test_custom_findings_are_indexed_linked_and_looked_up(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "staff.csv").write_text(
        "employee_id,email\nEMP-123455,alice.smith@example.com\nEMP-100008,bob.jones@example.com\n"
    )
    (estate / "badge.log").write_text("10:01 door 3 opened for staff id EMP-123455\n10:05 door 3 closed\n")
    (estate / "typo.log").write_text("employee EMP-123456 (fails Luhn)\n")
    config = tmp_path / "piiscan.toml"
    config.write_text(
        "[scan]\n"
        f'index = "{tmp_path / "index"}"\n'
        "[detectors]\nner = false\n"
        "[[detectors.custom]]\n"
        'entity = "EMPLOYEE_ID"\npattern = "\\\\bEMP-\\\\d{6}\\\\b"\nscore = 0.3\n'
        'context = ["employee", "staff id"]\nvalidator = "luhn"\nlinkable = true\n'
    )
    proc = run_cli("scan", str(estate), "--config", str(config), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["findings_by_entity"]["EMPLOYEE_ID"] == 3
    assert summary["detector_versions"]["custom_employee_id"].startswith("1-")

    index = str(tmp_path / "index")
    answer = lookup_json(Path(index), "--config", str(config), "--value", "EMPLOYEE_ID=emp-123455")
    places = sorted((Path(loc["item"]).name, loc["field"]) for loc in answer["locations"])
    assert places == [("badge.log", None), ("staff.csv", "employee_id")]
    assert answer["query"]["identifiers"][0]["preview"] == "E*P-1****5"
    assert "123455" not in json.dumps(answer)  # previews and keys only
    # linkable: the badge log line holds only the employee id, yet the e-mail address finds it
    linked = lookup_json(Path(index), "--config", str(config), "--email", "alice.smith@example.com", "--linked")
    assert "badge.log" in {Path(loc["item"]).name for loc in linked["locations"]}
    rejected = run_cli("lookup", "--config", str(config), "--value", "EMPLOYEE_ID=EMP-123456")
    assert rejected.returncode == 2 and "not a valid EMPLOYEE_ID value" in rejected.stderr
