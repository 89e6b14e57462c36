"""Allow lists and deny lists: settings, matching, and both engine paths (table-driven, with negatives)."""

from __future__ import annotations

from dataclasses import asdict

import pyarrow as pa
import pytest

from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.lists import AllowList, DenyListDetector, build_deny_list_detectors
from piiscan.detectors.settings import DetectorSettings
from piiscan.scanner.config import ConfigError, load_config

ALLOW = (
    "+44 20 7946 0000",  # the switchboard
    "4111 1111 1111 1111",  # a test card
    "support@example.com",
    "Acme Helpdesk",
)
DENY = {"PERSON": ["Zorblax Quint"], "PROJECT_CODENAME": ["Blue Heron", "KESTREL"], "PHONE_NUMBER": ["020 7946 0999"]}


def engine(**settings) -> DetectionEngine:
    s = DetectorSettings(ner=False, **settings)
    return DetectionEngine(s, detectors=build_identifier_detectors(s))


def found(table: pa.Table, texts: list[str]) -> list[tuple[str, str]]:
    return [(r["entity_type"], texts[r["row"]][r["start"] : r["end"]]) for r in table.to_pylist()]


# -- settings --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"PERSON": ["Bob  Smith", "Alice"]}, (("PERSON", ("Alice", "Bob Smith")),)),
        ({"codename": "Falcon"}, (("CODENAME", ("Falcon",)),)),
        ([("PERSON", ["A"]), ("PERSON", ["B", "A"])], (("PERSON", ("A", "B")),)),
        ({"PERSON": []}, ()),
        ((), ()),
    ],
)
def test_deny_list_settings_are_sorted_tuples(given: object, stored: tuple) -> None:
    settings = DetectorSettings(deny_list=given)
    assert settings.deny_list == stored
    assert DetectorSettings.from_dict(asdict(settings)) == settings


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deny_list": {"PERSON": [1.5]}}, "deny_list.PERSON: must be a list of strings"),
        ({"deny_list": {"not a type": ["x"]}}, "entity types are names"),
        ({"deny_list": "PERSON"}, "must map entity types"),
        ({"allow_list": [{"a": 1}]}, "allow_list: must be a list of strings"),
        ({"filters": ["nope"]}, "unknown filter"),
    ],
)
def test_invalid_lists_are_rejected_without_quoting_terms(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        DetectorSettings(**kwargs)
    assert "1.5" not in str(err.value)


def test_lists_change_the_fingerprint_deterministically() -> None:
    a = DetectorSettings(allow_list=["x"], deny_list={"PERSON": ["B", "A"]})
    b = DetectorSettings(allow_list=("x",), deny_list=(("PERSON", ("A", "B")),))
    assert a == b and a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != DetectorSettings().fingerprint()
    assert DetectorSettings(filters=()).fingerprint() != DetectorSettings().fingerprint()


def test_lists_load_from_piiscan_toml(tmp_path) -> None:
    path = tmp_path / "piiscan.toml"
    path.write_text(
        "[detectors]\n"
        'allow_list = ["+44 20 7946 0000", "support@example.com"]\n'
        'filters = ["timestamp", "version_number"]\n'
        "[detectors.deny_list]\n"
        'PERSON = ["Zorblax Quint"]\n'
        'project_codename = ["Blue Heron"]\n'
    )
    settings = load_config(path).detectors
    assert settings.allow_list == ("+44 20 7946 0000", "support@example.com")
    assert settings.filters == ("timestamp", "version_number")
    assert settings.deny_list == (("PERSON", ("Zorblax Quint",)), ("PROJECT_CODENAME", ("Blue Heron",)))
    path.write_text('[detectors]\nfilters = ["timestamps"]\n')
    with pytest.raises(ConfigError, match="unknown filter") as err:
        load_config(path)
    assert str(path) in str(err.value)


# -- allow list ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Switchboard +44 20 7946 0000", []),
        ("Switchboard 020 7946 0000", []),  # same E.164 value, written nationally
        ("Switchboard (020) 7946-0000", []),
        ("test card 4111111111111111", []),
        ("mail SUPPORT@Example.com", []),  # case-folded like the detector does
        # negatives: close but different values stay
        ("Direct line 020 7946 0001", [("PHONE_NUMBER", "020 7946 0001")]),
        ("card 4012 8888 8888 1881", [("CREDIT_CARD", "4012 8888 8888 1881")]),
        ("mail support2@example.com", [("EMAIL_ADDRESS", "support2@example.com")]),
    ],
)
def test_allow_list_in_text(text: str, kept: list[tuple[str, str]]) -> None:
    assert found(engine(allow_list=ALLOW).detect_texts([text]), [text]) == kept


def test_allow_list_compares_normalised_values_and_matched_text() -> None:
    detectors = build_identifier_detectors(DetectorSettings())
    allow = AllowList(ALLOW, detectors)
    assert allow.allows("+442079460000", "whatever")  # the phone's E.164 form
    assert allow.allows("4111111111111111", "")
    assert allow.allows("acme helpdesk", "")  # names: case-folded, spaces collapsed
    assert allow.allows("-", "ACME   helpdesk")  # the matched text, ignoring case and spacing
    assert not allow.allows("+442079460001", "020 7946 0001")
    assert not AllowList((), detectors)


# -- deny list -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Met Zorblax Quint today", [("PERSON", "Zorblax Quint", "zorblax quint")]),
        ("met ZORBLAX   quint", [("PERSON", "ZORBLAX   quint", "zorblax quint")]),
        ("Zorblax\nQuint", [("PERSON", "Zorblax\nQuint", "zorblax quint")]),
        ("the blue heron launch", [("PROJECT_CODENAME", "blue heron", "blue heron")]),
        (
            "Kestrel, Blue Heron.",
            [("PROJECT_CODENAME", "Kestrel", "kestrel"), ("PROJECT_CODENAME", "Blue Heron", "blue heron")],
        ),
        ("ring 020 7946 0999", [("PHONE_NUMBER", "020 7946 0999", "+442079460999")]),  # normalised as a phone
        # negatives: whole words only
        ("Zorblax Quintana", []),
        ("Kestrels", []),
        ("kestrel_2", []),
        ("blue-heron", []),
        ("020 7946 09990", []),
    ],
)
def test_deny_list_detectors(text: str, expected: list[tuple[str, str, str]]) -> None:
    detectors = build_deny_list_detectors(DetectorSettings(deny_list=DENY))
    matches = sorted((m for d in detectors for m in d.find(text)), key=lambda m: m.start)
    assert [(m.entity_type, text[m.start : m.end], m.normalised) for m in matches] == expected
    for m in matches:
        assert m.score == 1.0 and m.detector == f"deny_list_{m.entity_type.lower()}"
        assert m.preview != text[m.start : m.end] and "*" in m.preview


def test_deny_list_detector_versions_follow_the_terms() -> None:
    settings = DetectorSettings()
    a = DenyListDetector("PERSON", ["Zorblax Quint"], settings)
    b = DenyListDetector("PERSON", ["Zorblax Quint", "Other Name"], settings)
    assert a.version == DenyListDetector("PERSON", ["Zorblax Quint"], settings).version != b.version
    assert a.canonical("zorblax quint") == "zorblax quint" and a.canonical("someone else") is None
    wanted = DetectorSettings(deny_list=DENY, entities=("PERSON",))
    assert [d.entity for d in build_deny_list_detectors(wanted)] == ["PERSON"]


# -- both engine paths -------------------------------------------------------------
def test_deny_list_terms_appear_in_text_and_tables_and_are_never_filtered() -> None:
    e = engine(deny_list={**DENY, "US_SSN": ["111-11-1111"]})
    texts = ["Zorblax Quint runs Blue Heron; SSN 111-11-1111"]
    assert found(e.detect_texts(texts), texts) == [
        ("PERSON", "Zorblax Quint"),
        ("PROJECT_CODENAME", "Blue Heron"),
        ("US_SSN", "111-11-1111"),  # repeated digits, but deny-listed
    ]
    batch = pa.record_batch(
        {
            "project": ["Blue Heron", "Kestrel", "Other", None],  # a short-value column: not free text
            "notes": ["Zorblax Quint asked about the blue heron budget and the rest", None, None, "x"],
            "phone": ["020 7946 0999", "020 7946 0123", "020 7946 0999", None],
        }
    )
    rows = {
        (r["row"], r["field"], r["entity_type"], r["normalised"], r["detector"])
        for r in e.detect_table(batch, ["project", "notes", "phone"]).to_pylist()
    }
    assert {
        (0, "project", "PROJECT_CODENAME", "blue heron", "deny_list_project_codename"),
        (1, "project", "PROJECT_CODENAME", "kestrel", "deny_list_project_codename"),
        (0, "notes", "PERSON", "zorblax quint", "deny_list_person"),
        (0, "notes", "PROJECT_CODENAME", "blue heron", "deny_list_project_codename"),
    } <= rows
    # the deny-listed phone number is found once per cell, not twice
    phones = sorted((r, n) for r, f, t, n, _ in rows if f == "phone")
    assert phones == [(0, "+442079460999"), (1, "+442079460123"), (2, "+442079460999")]
    assert not any(f == "project" and r == 2 for r, f, *_ in rows)
    versions = e.detector_versions()
    assert {"deny_list_person", "deny_list_project_codename", "deny_list_us_ssn"} <= set(versions)


def test_allow_list_in_tables() -> None:
    e = engine(allow_list=ALLOW)
    batch = pa.record_batch(
        {
            "phone": ["020 7946 0000", "+44 20 7946 0000", "020 7946 0123"],
            "email": ["support@example.com", "alice@example.com", "SUPPORT@EXAMPLE.COM"],
            "notes": ["call the desk on 02079460000 today", "card 4111-1111-1111-1111 please", "Ring 020 7946 0124"],
        }
    )
    rows = [
        (r["row"], r["field"], r["normalised"]) for r in e.detect_table(batch, ["phone", "email", "notes"]).to_pylist()
    ]
    assert rows == [(1, "email", "alice@example.com"), (2, "notes", "+442079460124"), (2, "phone", "+442079460123")]
    assert "allow_list" in e.detector_versions()
    assert "allow_list" not in engine().detector_versions()


def test_the_allow_list_wins_over_the_deny_list() -> None:
    e = engine(deny_list={"PROJECT_CODENAME": ["Blue Heron", "Kestrel"]}, allow_list=["blue  HERON"])
    texts = ["Blue Heron and Kestrel"]
    assert found(e.detect_texts(texts), texts) == [("PROJECT_CODENAME", "Kestrel")]
    batch = pa.record_batch({"project": ["Blue Heron", "Kestrel"]})
    assert [r["normalised"] for r in e.detect_table(batch, ["project"]).to_pylist()] == ["kestrel"]
