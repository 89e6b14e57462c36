import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.uk_driving_licence import UkDrivingLicenceDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UkDrivingLicenceDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised", "score"),
    [
        ("MORGA753116SM9IJ", None, "MORGA753116SM9IJ", "MORGA753116SM9IJ", 0.5),  # alone: the shape is specific
        ("Driving licence no: MORGA753116SM9IJ 35", None, "MORGA753116SM9IJ", "MORGA753116SM9IJ", 0.85),
        ("DVLA MORGA 753116 SM9IJ", None, "MORGA 753116 SM9IJ", "MORGA753116SM9IJ", 0.85),
        ("licence number LEE99757116A99AB", None, "LEE99757116A99AB", "LEE99757116A99AB", 0.85),  # woman, July
        ("SMITH702296AB9CD", "driving_licence", "SMITH702296AB9CD", "SMITH702296AB9CD", 0.85),  # 29 Feb 1976
        ("DVLA: morga607054sm9ij", None, "morga607054sm9ij", "MORGA607054SM9IJ", 0.85),
        ("FO999512018AA1AB", None, "FO999512018AA1AB", "FO999512018AA1AB", 0.5),  # a short surname, 9-padded
        ("licence number ONO99812319A99XY", None, "ONO99812319A99XY", "ONO99812319A99XY", 0.85),  # 31 Dec, one initial
    ],
)
def test_found(text: str, field: str | None, value: str, normalised: str, score: float) -> None:
    assert_single_match(
        DETECTOR, text, value, normalised=normalised, score=score, entity="UK_DRIVING_LICENCE", field=field
    )


@pytest.mark.parametrize(
    "text",
    [
        "driving licence MORGA702306SM9IJ",  # 30 February
        "driving licence MORGA704316SM9IJ",  # 31 April
        "driving licence SMITH702297AB9CD",  # 29 February 1977: no leap year
        "driving licence MORGA713116SM9IJ",  # month 13
        "driving licence MORGA763116SM9IJ",  # month 63 (13 for a woman)
        "driving licence MORGA750016SM9IJ",  # day 00
        "driving licence MO9GA753116SM9IJ",  # a 9 inside the surname: only padding
        "driving licence 99999753116SM9IJ",  # no surname
        "driving licence MORGA7531169J9IJ",  # a second initial without a first
        "driving licence MORGA753116SM9I1",  # the check characters are letters
        "morga753116sm9ij",  # typed in lower case: only with a context word
        "driving licence XMORGA753116SM9IJ",  # inside a longer word
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("MORGA753116SM9IJ", Validation.NO_OPINION),
        ("MORGA702306SM9IJ", Validation.REJECT),
        ("MORGA753116SM9I", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_mask_and_canonical() -> None:
    assert_mask_hides(DETECTOR, "MORGA753116SM9IJ", "M*************IJ")
    assert DETECTOR.canonical("morga 753116 sm9ij") == "MORGA753116SM9IJ"
    assert DETECTOR.canonical("MORGA702306SM9IJ") is None
