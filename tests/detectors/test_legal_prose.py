"""End to end on legal prose written for this test: the engine (rules, model, context rules) finds the
people and places of a judgment-like text and none of its legal vocabulary, States or institutions."""

from __future__ import annotations

import pytest

from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.settings import DetectorSettings

TEXT = (
    "The complaint was brought against the Republic of Turkey before the Court under "
    "Article 34 of the Convention by a Turkish national, Mr Orhan Yavuzkan, on 4 March 2009. "
    "The applicant was represented by Ms A.-M. Kovalenko, a notary working in İzmir. "
    "The Turkish Government were represented by their Agent. "
    "The complaint was sent to the Fourth Section of the Court (Rule 12 § 3). "
    "On 2 June 2011 the Izmir Administrative Court refused her claim under Law no. 4411. "
    "She lives in Bremen, Germany, with her son, K.D., and works in Stradom Prison. "
    "The Kalisz District Court (Sąd Rejonowy) extended her detention; Harwood LJ agreed."
)


@pytest.fixture(scope="module")
def found() -> set[tuple[str, str]]:
    table = DetectionEngine(DetectorSettings()).detect_texts([TEXT])
    rows = table.to_pylist()
    return {(r["entity_type"], TEXT[r["start"] : r["end"]]) for r in rows if r["entity_type"] in ("PERSON", "LOCATION")}


@pytest.mark.parametrize(
    ("entity", "value"),
    [
        ("PERSON", "Orhan Yavuzkan"),  # the title outside the name
        ("PERSON", "A.-M. Kovalenko"),
        ("PERSON", "K.D."),
        ("PERSON", "Harwood"),
        ("LOCATION", "İzmir"),
        ("LOCATION", "Bremen, Germany"),
    ],
)
def test_people_and_places_are_found(found: set[tuple[str, str]], entity: str, value: str) -> None:
    assert (entity, value) in found


@pytest.mark.parametrize(
    "word",
    [
        "Republic",
        "Turkey",
        "Turkish",
        "Article",
        "March",
        "Fourth",
        "Section",
        "Izmir",
        "Law",
        "Stradom",
        "Sąd",
        "Mr",
        "Ms",
    ],
)
def test_no_legal_vocabulary_state_or_institution_is_a_name(found: set[tuple[str, str]], word: str) -> None:
    assert not [value for _, value in found if word in value.split()], found
