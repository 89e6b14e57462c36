import pytest

from piiscan.detectors.identifiers.us_bank_number import UsBankNumberDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match

DETECTOR = UsBankNumberDetector()


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("bank account number 12345678901", None, "12345678901"),
        ("Checking account: 000123456789.", None, "000123456789"),
        ("acct 87654321", None, "87654321"),
        ("direct deposit to 12345678901234567", None, "12345678901234567"),
        ("40001234567", "bank_account", "40001234567"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=value, score=0.65, entity="US_BANK_NUMBER", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("12345678901", None),  # no shape of its own: the words must say bank account
        ("account 12345678901", None),  # customer, login and utility accounts too
        ("bank account 1234567", None),  # too short
        ("bank account 123456789012345678", None),  # too long
        ("bank account $12345678", None),  # an amount
        ("bank account 12345678.50", None),
        ("bank account X12345678", None),  # glued to a word
        ("12345678901", "order_id"),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "12345678901", "*******8901")
    assert DETECTOR.canonical("12345678901") == "12345678901"
    assert DETECTOR.canonical("1234") is None
