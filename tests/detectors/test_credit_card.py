import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.credit_card import CreditCardDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = CreditCardDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised"),
    [
        ("4111 1111 1111 1111", "4111 1111 1111 1111", "4111111111111111"),  # Visa test card
        ("card: 4111-1111-1111-1111.", "4111-1111-1111-1111", "4111111111111111"),
        ("pan=4111111111111111;", "4111111111111111", "4111111111111111"),
        ("MC 5500 0000 0000 0004 exp 12/29", "5500 0000 0000 0004", "5500000000000004"),
        ("Amex 3782 822463 10005", "3782 822463 10005", "378282246310005"),
        ("Diners 3056 930902 5904", "3056 930902 5904", "30569309025904"),
        ("Discover 6011 1111 1111 1117 2029", "6011 1111 1111 1117", "6011111111111117"),
        ("old Visa 4222222222222", "4222222222222", "4222222222222"),  # 13 digits
        ("4012 8888 8888 1881", "4012 8888 8888 1881", "4012888888881881"),
    ],
)
def test_found(text: str, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=1.0, entity="CREDIT_CARD")


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1234567812345678",  # Luhn fails
        "0000 0000 0000 0000",  # passes Luhn, one repeated digit
        "4111 1111-1111 1111",  # mixed separators are no printed card
        "412345678901",  # 12 digits
        "41111111111111111111",  # 20 digits
        "ref 94111111111111111",  # a card number inside a longer number
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4111 1111 1111 1111", Validation.CONFIRM),
        ("4111 1111 1111 1112", Validation.REJECT),
        ("5555555555555555", Validation.REJECT),
        ("411111111111", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    ("value", "mask"),
    [
        ("4111 1111 1111 1111", "**** **** **** 1111"),
        ("3782-822463-10005", "*** **** **** 0005"),
        ("4222222222222", "* **** **** 2222"),
    ],
)
def test_mask_keeps_last_four(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("What is the limit for card 501864667909?", True),  # 12-digit Maestro, Luhn-valid, card word
        ("cc 503802053770 on my e-mail", True),
        ("order 501864667909 shipped", False),  # no card word: too common a shape
        ("card 501864667908", False),  # Luhn fails
        ("card 5018646679091", False),  # 13 digits failing Luhn
    ],
)
def test_twelve_digit_maestro_needs_a_card_word(text: str, found: bool) -> None:
    assert bool(list(CreditCardDetector().find(text))) is found
