import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.uk_nhs import UkNhsDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UkNhsDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised"),
    [
        ("NHS number 943 476 5919", None, "943 476 5919", "9434765919"),
        ("NHS No: 943-476-5919.", None, "943-476-5919", "9434765919"),
        ("nhs no 9434765919", None, "9434765919", "9434765919"),
        ("patient 401 023 2137 (NHS)", None, "401 023 2137", "4010232137"),
        ("9434765919", "nhs_number", "9434765919", "9434765919"),
        ("943 476 5919", "NHSNumber", "943 476 5919", "9434765919"),
        ("943 476 5919", "patient.nhsNo", "943 476 5919", "9434765919"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=1.0, entity="UK_NHS", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("943 476 5919", None),  # checksum-valid but no context: could be a phone number
        ("9434765919", None),
        ("943 476 5919", "phone"),
        ("NHS number 943 476 5918", None),  # mod 11 fails
        ("NHS number 943 476 5910", None),
        ("NHS number 943 476-5919", None),  # mixed separators
        ("NHS number 1943 476 5919", None),  # inside a longer number
        ("NHS number +44 943 476 5919", None),
        ("NHS number 94347659190", None),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("943 476 5919", Validation.CONFIRM), ("9434765918", Validation.REJECT), ("943476591", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "943 476 5919", "*** *** 5919")
    assert DETECTOR.canonical("943-476-5919") == "9434765919"  # a lookup needs no context
    assert DETECTOR.canonical("943 476 5918") is None
