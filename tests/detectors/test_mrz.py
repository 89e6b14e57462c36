"""Machine-readable zones: the ICAO Doc 9303 specimens (parts 4-6) and zones with a broken check digit."""

from __future__ import annotations

import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.mrz import MrzDetector, check_digit, valid_zone
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match

DETECTOR = MrzDetector()

#: Doc 9303 part 4 (TD3, passport), part 6 (TD2) and part 5 (TD1, identity card) specimens.
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
TD1 = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
#: TD3 without the optional personal number (its check digit a filler)
TD3_EMPTY = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159<<<<<<<<<<<<<<<8"


def _broken(zone: str, position: int) -> str:
    """``zone`` with the digit at ``position`` changed (a check digit no longer holds)."""
    digit = zone[position]
    return zone[:position] + str((int(digit) + 1) % 10) + zone[position + 1 :]


@pytest.mark.parametrize(
    ("text", "zone", "normalised"),
    [
        (f"Passport scan:\n{TD3}\nend", TD3, TD3.replace("\n", "")),
        (f"{TD2}", TD2, TD2.replace("\n", "")),
        (f"ID card\n{TD1}\n", TD1, TD1.replace("\n", "")),
        (f"MRZ: {TD3.replace(chr(10), ' ')}", TD3.replace("\n", " "), TD3.replace("\n", "")),  # copied flat
        (f"{TD3.replace(chr(10), chr(13) + chr(10))}", TD3.replace("\n", "\r\n"), TD3.replace("\n", "")),
        (f"zone\n{TD3_EMPTY}", TD3_EMPTY, TD3_EMPTY.replace("\n", "")),
        (f"mrz={TD1.replace(chr(10), '')};", TD1.replace("\n", ""), TD1.replace("\n", "")),  # stored as one string
    ],
)
def test_found(text: str, zone: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, zone, normalised=normalised, score=1.0, entity="MRZ")


@pytest.mark.parametrize(
    "text",
    [
        _broken(TD3, 45 + 9),  # document number check digit
        _broken(TD3, 45 + 19),  # birth date check digit
        _broken(TD3, 45 + 27),  # expiry check digit
        _broken(TD3, 45 + 42),  # personal number check digit
        _broken(TD3, 45 + 43),  # composite check digit
        _broken(TD3, 45 + 2),  # a document number digit: its check and the composite fail
        _broken(TD2, 37 + 35),
        _broken(TD1, 31 + 6),
        _broken(TD1, 14),
        TD3[:45] + TD3[45:].replace("7408122", "7413122"),  # month 13 (check digits recomputed would not help)
        TD3.replace("\n", "\n\n"),  # lines apart
        TD3[:-1],  # a line short
        TD3.lower(),
        "<" * 44 + "\n" + "<" * 44,
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("field", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("D23145890", "7")],
)
def test_check_digit(field: str, digit: str) -> None:
    assert check_digit(field) == digit


def test_validate_canonical_and_mask() -> None:
    assert DETECTOR.validate(TD3) is Validation.CONFIRM
    assert DETECTOR.validate(_broken(TD3, 45 + 43)) is Validation.REJECT
    assert valid_zone(TD1) and valid_zone(TD2)
    joined = TD3.replace("\n", "")
    assert DETECTOR.canonical(TD3) == DETECTOR.canonical(TD3.replace("\n", " ")) == DETECTOR.canonical(joined) == joined
    assert_mask_hides(DETECTOR, TD3, "P<UTO************ (TD3)")
    assert_mask_hides(DETECTOR, TD1, "I<UTO************ (TD1)")
