import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.uk_nino import UkNinoDetector, valid_prefix
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UkNinoDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("AB 12 34 56 C", None, "AB 12 34 56 C", "AB123456C", 0.5),
        ("ref AB123456C.", None, "AB123456C", "AB123456C", 0.5),
        ("NI number: AB 12 34 56 C", None, "AB 12 34 56 C", "AB123456C", 0.85),
        ("National Insurance JG 10 37 59 A", None, "JG 10 37 59 A", "JG103759A", 0.85),
        ("NINO ce123456d", None, "ce123456d", "CE123456D", 0.85),
        ("AB123456C", "employee_nino", "AB123456C", "AB123456C", 0.85),
    ],
)
def test_found(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="UK_NINO", field=field)


@pytest.mark.parametrize(
    "text",
    [
        "QQ123456C",  # Q never first (HMRC's specimen number)
        "DA123456A",  # D never first
        "FA123456A",
        "IA123456A",
        "UA123456A",
        "VA123456A",
        "AO123456A",  # O never second
        "AD123456A",
        "AQ123456A",
        "BG123456A",  # reserved prefixes
        "GB123456A",
        "KN123456A",
        "NK123456A",
        "NT123456A",
        "TN123456A",
        "ZZ123456A",
        "AB123456E",  # suffix A-D only
        "AB12345C",  # five digits
        "XAB123456C",  # inside a longer token
        "AB123456CD",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AB 12 34 56 C", Validation.NO_OPINION), ("QQ 12 34 56 C", Validation.REJECT), ("tn123456a", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(("prefix", "valid"), [("AB", True), ("JG", True), ("ZY", True), ("OA", True), ("NT", False)])
def test_valid_prefix(prefix: str, valid: bool) -> None:
    assert valid_prefix(prefix) is valid


def test_mask() -> None:
    assert_mask_hides(DETECTOR, "ab 12 34 56 c", "AB ** ** ** C")
    assert DETECTOR.canonical("ab 12 34 56 c") == "AB123456C"
    assert DETECTOR.canonical("QQ123456C") is None
