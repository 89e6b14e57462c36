import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.us_itin import UsItinDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UsItinDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("912-70-1234", None, "912-70-1234", "912701234", 0.5),  # printed like an SSN: reported alone
        ("ITIN: 912-70-1234", None, "912-70-1234", "912701234", 0.85),
        ("taxpayer id 945 88 0000 on the form", None, "945 88 0000", "945880000", 0.85),
        ("Individual Taxpayer Identification Number 999501234", None, "999501234", "999501234", 0.65),
        ("912651234", "itin", "912651234", "912651234", 0.65),
        ("ITIN 900-94-1234", None, "900-94-1234", "900941234", 0.85),
    ],
)
def test_found(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="US_ITIN", field=field)


@pytest.mark.parametrize(
    "text",
    [
        "912701234",  # nine plain digits need context
        "ITIN 912-93-1234",  # group 93 is never issued
        "ITIN 912-49-1234",  # group below 50
        "ITIN 912-66-1234",  # group 66-69
        "ITIN 912-89-1234",  # group 89
        "ITIN 812-70-1234",  # area not 9XX: an SSN's
        "ITIN 912-70 1234",  # mixed separators
        "ITIN 1912-70-1234",  # inside a longer number
        "ITIN 912-70-12345",
        "invoice 912-70-1234",  # a reference label lowers it below the threshold
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("912-70-1234", Validation.NO_OPINION), ("912931234", Validation.REJECT), ("123-45-6789", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "912-70-1234", "9**-**-1234")
    assert DETECTOR.canonical("912 70 1234") == "912701234"
    assert DETECTOR.canonical("912-93-1234") is None
