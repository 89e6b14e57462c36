import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.credit_card import CreditCardDetector
from piiscan.detectors.identifiers.imei import ImeiDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = ImeiDetector()
CARD = CreditCardDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("35-209900-176148-1", None, "35-209900-176148-1", "352099001761481", 1.0),  # grouped: Luhn confirms
        ("IMEI 35 209900 176148 1", None, "35 209900 176148 1", "352099001761481", 1.0),
        ("35209900-176148-1", None, "35209900-176148-1", "352099001761481", 1.0),  # the whole TAC first
        ("IMEISV 35-686800-004141-20", None, "35-686800-004141-20", "356868000041418", 0.85),  # SV: no check digit
        ("IMEI: 490154203237518", None, "490154203237518", "490154203237518", 0.95),
        ("device 356938035643809 reported stolen", None, "356938035643809", "356938035643809", 0.6),  # TAC 35
        ("860123456789014", None, "860123456789014", "860123456789014", 0.6),  # TAC 86
        ("handset 123456789012347", None, "123456789012347", "123456789012347", 0.95),  # an IMEI word decides
        ("imeisv 3568680000414120", None, "3568680000414120", "356868000041418", 0.95),
        ("123456789012347", "imei", "123456789012347", "123456789012347", 0.95),
    ],
)
def test_found(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="IMEI", field=field)


@pytest.mark.parametrize(
    "text",
    [
        "IMEI 35-209900-176148-2",  # Luhn fails
        "IMEI 352099001761482",
        "123456789012347",  # Luhn-valid, but no IMEI word and no phone TAC: a card's
        "card 356938035643809",  # a card word keeps it a card
        "35-686800-004141-20",  # an IMEISV has no check digit: only with an IMEI word
        "3568680000414120",
        "IMEI 35-209900 176148-1",  # mixed separators
        "IMEI 13520990017614812",  # a longer number
        "IMEI 000000000000000",  # one repeated digit
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("IMEI 490154203237518", False),  # an IMEI word: the IMEI detector's
        ("device 356938035643809", False),  # a phone reporting body and no card word
        ("card 356938035643809", True),
        ("Amex 378282246310005", True),  # American Express: 34, 37
        ("378282246310005", True),
        ("180012345678905", True),  # JCB's 15-digit cards: 1800, 2131
        ("imeisv 3568680000414120 (Luhn-valid)", False),
        ("JCB 3530111333300000", True),  # 16 digits: a card unless an IMEI word is near
    ],
)
def test_card_detector_leaves_imeis(text: str, card: bool) -> None:
    assert bool(list(CARD.find(text))) is card


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35-209900-176148-1", Validation.CONFIRM),
        ("35-209900-176148-2", Validation.REJECT),
        ("490154203237518", Validation.NO_OPINION),  # plain: context raises it
        ("35-686800-004141-20", Validation.NO_OPINION),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "35-209900-176148-1", "35***********81")
    assert DETECTOR.canonical("35-209900-176148-1") == "352099001761481"
    assert DETECTOR.canonical("35-686800-004141-20") == DETECTOR.canonical("356868000041418")  # IMEISV: one device
    assert DETECTOR.canonical("352099001761482") is None
