import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.aba_routing import AbaRoutingDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = AbaRoutingDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised"),
    [
        ("routing number 021000021", None, "021000021", "021000021"),
        ("ABA: 0110-0001-5", None, "0110-0001-5", "011000015"),
        ("wire to RTN 111000025 today", None, "111000025", "111000025"),
        ("021000021", "routing_number", "021000021", "021000021"),
        ("021000021", "ABARouting", "021000021", "021000021"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str) -> None:
    assert_single_match(
        DETECTOR, text, value, normalised=normalised, score=1.0, entity="ABA_ROUTING_NUMBER", field=field
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("021000021", None),  # checksum-valid, but nine digits without context could be anything
        ("routing number 021000022", None),  # check digit fails
        ("routing number 991000025", None),  # prefix 99: no Federal Reserve range
        ("routing number 0210000210", None),  # inside a longer number
        ("routing number 021-000-021", None),  # not the 4-4-1 layout
        ("021000021", "phone"),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("021000021", Validation.CONFIRM), ("021000022", Validation.REJECT), ("02100002", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "021000021", "02*****21")
    assert DETECTOR.canonical("0210-0002-1") == "021000021"  # a lookup needs no context
    assert DETECTOR.canonical("021000022") is None
