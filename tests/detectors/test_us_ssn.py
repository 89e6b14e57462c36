import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.us_ssn import UsSsnDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UsSsnDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "score"),
    [
        ("123-45-6789", None, "123-45-6789", 0.5),
        ("id 123 45 6789.", None, "123 45 6789", 0.5),
        ("SSN: 123-45-6789", None, "123-45-6789", 0.85),
        ("social security number 123456789", None, "123456789", 0.65),
        ("123456789", "ssn", "123456789", 0.65),
        ("123-45-6789", "SocialSecurityNumber", "123-45-6789", 0.85),
    ],
)
def test_found(text: str, field: str | None, value: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised="123456789", score=score, entity="US_SSN", field=field)


@pytest.mark.parametrize(
    "text",
    [
        "123456789",  # nine plain digits need context
        "SSN 000-12-3456",  # area 000
        "SSN 666-12-3456",  # area 666
        "SSN 900-12-3456",  # area 9xx (ITINs, advertising)
        "SSN 123-00-4567",  # group 00
        "SSN 123-45-0000",  # serial 0000
        "SSN 078-05-1120",  # the Woolworth wallet number
        "SSN 123-45 6789",  # mixed separators
        "SSN 1123-45-6789",  # inside a longer number
        "SSN 123-45-67890",
        "SSN 1234567890",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("123-45-6789", Validation.NO_OPINION), ("666-12-3456", Validation.REJECT), ("987-65-4321", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "123 45 6789", "***-**-6789")
    assert DETECTOR.canonical("123-45-6789") == "123456789"
    assert DETECTOR.canonical("666-12-3456") is None
