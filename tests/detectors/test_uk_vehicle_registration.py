import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.uk_vehicle_registration import UkVehicleRegistrationDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UkVehicleRegistrationDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("Vehicle registration AB51 ABC", None, "AB51 ABC", "AB51ABC", 0.75),  # current, September 2001
        ("reg: LK02XYZ", None, "LK02XYZ", "LK02XYZ", 0.75),  # March 2002
        ("my car is YR75 KDZ", None, "YR75 KDZ", "YR75KDZ", 0.75),
        ("number plate A123 BCD", None, "A123 BCD", "A123BCD", 0.65),  # prefix, 1983
        ("old VRN ABC 123D", None, "ABC 123D", "ABC123D", 0.65),  # suffix, 1966
        ("car reg LN14-HGT", None, "LN14-HGT", "LN14HGT", 0.75),
        ("vehicle K1 ABC", None, "K1 ABC", "K1ABC", 0.65),
        ("vehicle ABC 1D", None, "ABC 1D", "ABC1D", 0.65),
        ("AB51 ABC", "vehicle_reg", "AB51 ABC", "AB51ABC", 0.75),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(
        DETECTOR, text, value, normalised=normalised, score=score, entity="UK_VEHICLE_REGISTRATION", field=field
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("AB51 ABC", None),  # no context: model names and codes have these shapes too
        ("the B747 MAX", None),
        ("vehicle AB30 ABC", None),  # age identifier 30: never issued
        ("vehicle AB01 ABC", None),  # 01: never issued
        ("vehicle AB80 ABC", None),
        ("vehicle AB51 AIB", None),  # I is no random letter
        ("vehicle AQ51 ABC", None),  # nor a memory tag's second letter
        ("vehicle IB51 ABC", None),  # no memory tag starts with I
        ("vehicle AB51 ABQ", None),  # Q is no random letter
        ("vehicle O123 BCD", None),  # O is no year letter
        ("vehicle ab51 abc", None),  # printed in upper case
        ("vehicle XAB51 ABC", None),  # inside a longer word
        ("vehicle AB51 ABCD", None),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AB51 ABC", Validation.NO_OPINION), ("AB30ABC", Validation.REJECT), ("A123 BCD", Validation.NO_OPINION)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "AB51 ABC", "A*****C")
    assert DETECTOR.canonical("ab51 abc") == "AB51ABC"
    assert DETECTOR.canonical("AB30 ABC") is None
