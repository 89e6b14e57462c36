import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.us_mbi import UsMbiDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UsMbiDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("1EG4-TE5-MK73", None, "1EG4-TE5-MK73", "1EG4TE5MK73", 0.5),  # CMS's example, printed: alone
        ("Medicare number 1EG4-TE5-MK73", None, "1EG4-TE5-MK73", "1EG4TE5MK73", 0.85),
        ("MBI: 1EG4TE5MK73", None, "1EG4TE5MK73", "1EG4TE5MK73", 0.65),
        ("9AA0-AA0-AA00", None, "9AA0-AA0-AA00", "9AA0AA0AA00", 0.5),
        ("Medicare ID: 3CD5-FG7-HJ89", None, "3CD5-FG7-HJ89", "3CD5FG7HJ89", 0.85),
        ("medicare 1eg4-te5-mk73", None, "1eg4-te5-mk73", "1EG4TE5MK73", 0.85),
        ("5K29MN3XY47", "medicare_beneficiary_id", "5K29MN3XY47", "5K29MN3XY47", 0.65),
    ],
)
def test_found(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="US_MBI", field=field)


@pytest.mark.parametrize(
    "text",
    [
        "1EG4TE5MK73",  # plain: needs context
        "Medicare 0EG4-TE5-MK73",  # the first character is 1-9
        "Medicare 1SG4-TE5-MK73",  # S, L, O, I, B, Z are never used
        "Medicare 1EG4-TO5-MK73",
        "Medicare 1EG4-TE5-MKZ3",
        "Medicare 13G4-TE5-MK73",  # position 2 is a letter
        "Medicare 1EG4-TE5-M773",  # position 9 is a letter
        "Medicare 1EG4-TE5MK73",  # dashes both or neither
        "1eg4-te5-mk73",  # typed in lower case: only with a context word
        "Medicare 1EG4-TE5-MK73-9",  # inside a longer code
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


def test_validate_has_no_checksum() -> None:
    assert_validation(DETECTOR, "1EG4-TE5-MK73", Validation.NO_OPINION)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "1EG4-TE5-MK73", "*********73")
    assert DETECTOR.canonical("1eg4-te5-mk73") == "1EG4TE5MK73"
    assert DETECTOR.canonical("1SG4-TE5-MK73") is None
