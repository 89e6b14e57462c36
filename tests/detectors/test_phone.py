import pytest

from detectors.base import Validation
from detectors.identifiers.phone import PhoneDetector
from detectors.settings import DetectorSettings
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

GB = PhoneDetector(DetectorSettings(default_region="GB", phone_regions=("GB",)))
GB_US = PhoneDetector(DetectorSettings(default_region="GB", phone_regions=("US", "GB")))


@pytest.mark.parametrize(
    ("detector", "text", "value", "normalised", "score"),
    [
        (GB, "ring 020 7946 0958 today", "020 7946 0958", "+442079460958", 0.75),
        (GB, "tel: 020 7946 0958", "020 7946 0958", "+442079460958", 1.0),
        (GB, "(+44) 20 7946 0958", "(+44) 20 7946 0958", "+442079460958", 0.75),
        (GB, "+44 20 7946 0958", "+44 20 7946 0958", "+442079460958", 0.75),
        (GB, "Leeds office 0113 496 0000.", "0113 496 0000", "+441134960000", 0.75),
        (GB, "US desk +1 202-555-0143", "+1 202-555-0143", "+12025550143", 0.75),
        (GB, "mobile +61 491 570 006", "+61 491 570 006", "+61491570006", 1.0),
        (GB_US, "office (212) 555-0123", "(212) 555-0123", "+12125550123", 0.75),
        (GB_US, "ring 020 7946 0958 today", "020 7946 0958", "+442079460958", 0.75),
    ],
)
def test_found(detector: PhoneDetector, text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(detector, text, value, normalised=normalised, score=score, entity="PHONE_NUMBER")


@pytest.mark.parametrize(
    ("detector", "text"),
    [
        (GB, "07700 900123"),  # Ofcom drama range: phonenumbers says invalid
        (GB, "+44 7700 900999"),
        (GB, "020 7946 095"),  # too short
        (GB, "(212) 555-0123"),  # US national format, US not configured
        (GB, "call 12345"),  # fewer than 7 digits: pre-filter
        (GB_US, "4111 1111 1111 1111"),
        (GB_US, "born 2001-02-03"),
    ],
)
def test_not_found(detector: PhoneDetector, text: str) -> None:
    assert_no_match(detector, text)


def test_regions_merge_overlapping_matches() -> None:
    text = "+1 202-555-0143 and 020 7946 0958"
    matches = list(GB_US.find(text))
    assert [m.normalised for m in matches] == ["+12025550143", "+442079460958"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("020 7946 0958", Validation.CONFIRM),
        ("+1 202-555-0143", Validation.CONFIRM),
        ("07700 900123", Validation.REJECT),
        ("(212) 555-0123", Validation.REJECT),  # national US number read as GB
        ("not a number", Validation.REJECT),
    ],
)
def test_validate_uses_default_region(value: str, expected: Validation) -> None:
    assert_validation(GB_US, value, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0123456", True), ("tel 012 34 56", True), ("012345", False), ("", False)],
)
def test_might_match_needs_seven_digits(text: str, expected: bool) -> None:
    assert GB.might_match(text) is expected


@pytest.mark.parametrize(
    ("value", "mask"),
    [("020 7946 0958", "+44 ******** 58"), ("+1 202-555-0143", "+1 ******** 43")],
)
def test_mask_keeps_country_code_and_last_two(value: str, mask: str) -> None:
    assert_mask_hides(GB, value, mask)
    (match,) = GB.find(value)
    assert match.preview == mask


@pytest.mark.parametrize(
    ("detector", "value", "canonical"),
    [
        (GB, "+55 (12) 3923-5555", "+551239235555"),
        (GB, "020 7946 0958", "+442079460958"),
        (GB_US, "(212) 555-0123", "+12125550123"),
        (GB_US, "(201) 555-0123", "+442015550123"),  # also a valid London number: the default region wins
        # not valid anywhere configured: read loosely, as detection reads a phone field
        (GB, "(212) 555-0123", "+442125550123"),
        (GB, "07700 900123", "+447700900123"),
        (GB, "1 (780) 836-9987", "+17808369987"),
        (GB, "hello", None),
        (GB, "12345", None),
        (GB, "1234567890123456", None),  # more than 15 digits
        (GB, "call 07700 900123", None),
    ],
)
def test_canonical(detector: PhoneDetector, value: str, canonical: str | None) -> None:
    assert detector.canonical(value) == canonical


@pytest.mark.parametrize(
    ("field", "value", "normalised", "score"),
    [
        ("Phone", "+453 3331 9991", "+45333319991", 0.85),  # a stray digit: not even possible
        ("Phone", "+56 (0)2 635 4444", "+5626354444", 0.85),  # Chile before the 2016 renumbering
        ("Phone", " 1 (780) 836-9987", "+17808369987", 0.85),  # "+" missing
        ("mobile_no", "07700 900123", "+447700900123", 0.85),
        ("Fax", "020 7946 0958", "+442079460958", 1.0),  # valid: the ordinary path
    ],
)
def test_phone_field_accepts_plausible_invalid_numbers(field: str, value: str, normalised: str, score: float) -> None:
    # value.lstrip(): the match runs from the first non-blank character to the end of the value
    assert_single_match(
        GB, value, value.lstrip(), normalised=normalised, score=score, entity="PHONE_NUMBER", field=field
    )
    assert GB.canonical(value) == normalised  # a lookup finds it


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (None, "+453 3331 9991"),  # no phone field: valid numbers only
        ("notes", "07700 900123"),
        ("Phone", "call me on 07700 900123"),  # not only phone characters
        ("Phone", "123-456"),  # too few digits
    ],
)
def test_invalid_numbers_need_a_phone_field(field: str | None, value: str) -> None:
    assert_no_match(GB, value, field)
