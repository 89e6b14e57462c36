import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.us_npi import UsNpiDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UsNpiDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised"),
    [
        ("NPI 1234567893", None, "1234567893", "1234567893"),  # CMS's published example
        ("National Provider Identifier: 1234 567 893", None, "1234 567 893", "1234567893"),
        ("prescriber 2234-567-891 signed", None, "2234-567-891", "2234567891"),
        ("1003000126", "npi", "1003000126", "1003000126"),
        ("1003000126", "RenderingProviderId", "1003000126", "1003000126"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=1.0, entity="US_NPI", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("1234567893", None),  # checksum-valid, but ten digits alone are a phone number as much
        ("call the provider on 1234567893", None),  # "provider" alone is no NPI word
        ("NPI 1234567890", None),  # check digit fails
        ("NPI 3234567891", None),  # starts with neither 1 nor 2
        ("NPI 1111111112", None),  # one repeated digit
        ("NPI 11234567893", None),  # inside a longer number
        ("NPI 1234 567-893", None),  # mixed separators
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1234567893", Validation.CONFIRM), ("1234567894", Validation.REJECT), ("123456789", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "1234 567 893", "*******893")
    assert DETECTOR.canonical("1234-567-893") == "1234567893"
    assert DETECTOR.canonical("1234567890") is None
