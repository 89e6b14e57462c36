import pytest

from piiscan.detectors.identifiers.postal_code import PostalCodeDetector
from piiscan.detectors.identifiers.us_driver_license import UsDriverLicenseDetector
from tests.detectors.support import assert_no_match, assert_single_match

POSTAL = PostalCodeDetector()
LICENSE = UsDriverLicenseDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised"),
    [
        ("My zip code is 90010-170", "90010-170", "90010-170"),
        ("ZIP: 7412 SL", "7412 SL", "7412 SL"),
        ("zip 90210", "90210", "90210"),
        ("postal code 00-950", "00-950", "00-950"),
        ("postcode: h3z 2y7", None, None),  # lower-case Canadian code: not taken
        ("Postcode 114 55", "114 55", "114 55"),
        ("PLZ 10115", "10115", "10115"),
    ],
)
def test_postal_codes_with_context(text: str, value: str | None, normalised: str | None) -> None:
    if value is None:
        assert_no_match(POSTAL, text)
    else:
        assert_single_match(POSTAL, text, value, normalised=normalised, score=0.75, entity="POSTAL_CODE")


@pytest.mark.parametrize(
    "text",
    [
        "90210",  # no context: every short number looks like this
        "call 90210 now",
        "zip file of 2.5 MB",  # a decimal
        "zip 12/34",  # a fraction
        "postal code: none",
    ],
)
def test_postal_codes_need_context(text: str) -> None:
    assert_no_match(POSTAL, text)


def test_postal_code_field_is_context() -> None:
    assert_single_match(
        POSTAL, "75001", "75001", normalised="75001", score=0.75, field="postal_code", entity="POSTAL_CODE"
    )


@pytest.mark.parametrize(
    ("text", "value", "normalised"),
    [
        ("My driver's license number is F162823540116", "F162823540116", "F162823540116"),
        ("driver's license: 2270-66-1551", "2270-66-1551", "2270661551"),
        ("DL number D12-345-678", "D12-345-678", "D12345678"),
        ("driving licence 6940579", "6940579", "6940579"),
    ],
)
def test_driver_licenses(text: str, value: str, normalised: str) -> None:
    assert_single_match(LICENSE, text, value, normalised=normalised, score=0.65, entity="US_DRIVER_LICENSE")


@pytest.mark.parametrize(
    "text",
    [
        "F162823540116",  # no context
        "license key 1234",  # too short
        "software license 2270-66-1551",  # a license, but not a driver's ("license number" missing)
    ],
)
def test_driver_licenses_need_context(text: str) -> None:
    assert_no_match(LICENSE, text)
