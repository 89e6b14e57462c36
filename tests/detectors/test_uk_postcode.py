import pytest

from piiscan.detectors.identifiers.uk_postcode import UkPostcodeDetector, looks_like_ordinal
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match

DETECTOR = UkPostcodeDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        ("London SW1A 1AA", "SW1A 1AA", "SW1A 1AA", 0.6),
        ("M1 1AE", "M1 1AE", "M1 1AE", 0.6),
        ("Birmingham B33 8TH.", "B33 8TH", "B33 8TH", 0.6),
        ("CR2 6XH", "CR2 6XH", "CR2 6XH", 0.6),
        ("DN55 1PT", "DN55 1PT", "DN55 1PT", 0.6),
        ("GIR 0AA", "GIR 0AA", "GIR 0AA", 0.6),
        ("EC1A1BB", "EC1A1BB", "EC1A 1BB", 0.6),
        ("w1a 1aa", "w1a 1aa", "W1A 1AA", 0.6),
        ("Postcode: SW1A 1AA", "SW1A 1AA", "SW1A 1AA", 0.95),
        ("address: 1 High St, Leeds, LS1 4AP", "LS1 4AP", "LS1 4AP", 0.95),
    ],
)
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="UK_POSTCODE")


@pytest.mark.parametrize(
    "text",
    [
        "sw1a1aa",  # lowercase needs the space
        "take the a1 1st exit",  # ordinal, not an inward code
        "b2 2nd floor",
        "QA1 1AA",  # Q never starts a postcode
        "SW1A 1CA",  # C never in the inward code
        "XSW1A 1AA",
        "SW1A 1AAB",
        "ABC 123",
        "M1 1AE2",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(("value", "expected"), [("a1 1st", True), ("B2 2ND", False), ("m1 1ae", False)])
def test_looks_like_ordinal(value: str, expected: bool) -> None:
    assert looks_like_ordinal(value) is expected


@pytest.mark.parametrize(("value", "mask"), [("SW1A 1AA", "SW1A ***"), ("ec1a1bb", "EC1A ***")])
def test_mask_keeps_outward_code(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


@pytest.mark.parametrize(
    ("value", "canonical"), [("sw1a1aa", "SW1A 1AA"), ("sw1a  1aa", "SW1A 1AA"), ("SW1A 1CA", None)]
)
def test_canonical(value: str, canonical: str | None) -> None:
    assert DETECTOR.canonical(value) == canonical
