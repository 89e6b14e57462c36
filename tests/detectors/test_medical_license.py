import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.medical_license import MedicalLicenseDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = MedicalLicenseDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised"),
    [
        ("DEA number AB1234563", None, "AB1234563", "AB1234563"),
        ("prescriber: BJ6125341.", None, "BJ6125341", "BJ6125341"),
        ("DEA# M91234563", None, "M91234563", "M91234563"),  # a business: 9 for the initial
        ("FS6443117", "dea_no", "FS6443117", "FS6443117"),
        ("DEA Gn2494932", None, "Gn2494932", "GN2494932"),  # any case: the context word is required anyway
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=1.0, entity="MEDICAL_LICENSE", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("AB1234563", None),  # checksum-valid, but also the shape of a UK passport number
        ("passport AB1234563", None),
        ("DEA number AB1234564", None),  # check digit fails
        ("DEA number IB1234563", None),  # I is no registrant type
        ("DEA number A11234563", None),  # the second character is a letter or 9
        ("DEA number AB12345630", None),  # inside a longer word
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AB1234563", Validation.CONFIRM), ("AB1234564", Validation.REJECT), ("ZB1234563", Validation.REJECT)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "AB1234563", "A******63")
    assert DETECTOR.canonical("ab1234563") == "AB1234563"
    assert DETECTOR.canonical("AB1234564") is None
