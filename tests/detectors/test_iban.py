import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.iban import IbanDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = IbanDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised"),
    [
        ("IBAN GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("GB82WEST12345698765432", "GB82WEST12345698765432", "GB82WEST12345698765432"),
        ("to DE89 3704 0044 0532 0130 00 by Friday", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
        ("NO93 8601 1117 947", "NO93 8601 1117 947", "NO9386011117947"),  # shortest: 15
        # the greedy pattern also takes "2024"; the shorter candidate is tried next
        ("pay AT61 1904 3002 3457 3201 2024 invoice", "AT61 1904 3002 3457 3201", "AT611904300234573201"),
    ],
)
def test_found(text: str, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=1.0, entity="IBAN_CODE")


@pytest.mark.parametrize(
    "text",
    [
        "GB82 WEST 1234 5698 7654 33",  # mod-97 fails
        "GB00WEST12345698765432",
        "GB82 WEST 1234 5698 7654",  # too short for GB
        "gb82 west 1234 5698 7654 32",  # IBANs are printed in capitals
        "XX82WEST12345698765432",  # no such country
        "ISBN 9780306406157",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GB82 WEST 1234 5698 7654 32", Validation.CONFIRM),
        ("GB82 WEST 1234 5698 7654 33", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_keeps_country_and_last_four() -> None:
    assert_mask_hides(DETECTOR, "GB82 WEST 1234 5698 7654 32", "GB **** **** **** **** 5432")
    assert DETECTOR.normalise("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("gb82 west 1234 5698 7654 32", "GB82WEST12345698765432"),
        (" GB82WEST12345698765432 ", "GB82WEST12345698765432"),
        ("GB82WEST12345698765433", None),
    ],
)
def test_canonical(value: str, canonical: str | None) -> None:
    assert DETECTOR.canonical(value) == canonical


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("my iban is gb82west12345698765432", True),  # lower case, with "iban"
        ("ref gb82west12345698765432", False),  # lower case needs the word
        ("my iban is gb82west12345698765433", False),  # mod-97 fails
    ],
)
def test_lower_case_iban_needs_context(text: str, found: bool) -> None:
    matches = list(IbanDetector().find(text))
    assert bool(matches) is found
    assert all(m.normalised == "GB82WEST12345698765432" for m in matches)
