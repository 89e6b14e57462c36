"""UK_PASSPORT and US_PASSPORT: one table, since nine digits are either and only the words near them tell."""

import pytest

from piiscan.detectors.identifiers.uk_passport import UkPassportDetector
from piiscan.detectors.identifiers.us_passport import UsPassportDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match

UK = UkPassportDetector()
US = UsPassportDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "entity"),
    [
        ("passport number AB1234567", None, "AB1234567", "UK_PASSPORT"),
        ("HMPO issued 123456789 in 2012 (passport)", None, "123456789", "UK_PASSPORT"),
        ("British passport no. 123456789", None, "123456789", "UK_PASSPORT"),
        ("AB1234567", "passport_number", "AB1234567", "UK_PASSPORT"),
        ("passport 123456789", None, "123456789", "US_PASSPORT"),
        ("US passport A12345678", None, "A12345678", "US_PASSPORT"),
        ("passport card C03005988", None, "C03005988", "US_PASSPORT"),
        ("A12345678", "PassportNo", "A12345678", "US_PASSPORT"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, entity: str) -> None:
    found, other = (UK, US) if entity == "UK_PASSPORT" else (US, UK)
    assert_single_match(found, text, value, normalised=value, score=0.75, entity=entity, field=field)
    assert_no_match(other, text, field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("AB1234567", None),  # no passport word: a reference, a DEA number ...
        ("123456789", None),
        ("A12345678", None),
        ("order AB1234567", None),
        ("passport ab1234567", None),  # printed in upper case
        ("passport AB12345678", None),  # too long for either
        ("passport ABC1234567", None),
        ("passport 1234567890", None),
        ("AB1234567", "order_no"),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(UK, text, field)
    assert_no_match(US, text, field)


def test_mask_and_canonical() -> None:
    assert_mask_hides(UK, "AB1234567", "******567")
    assert_mask_hides(US, "A12345678", "******678")
    assert UK.canonical("ab1234567") == "AB1234567"  # a lookup needs no context
    assert US.canonical("123456789") == "123456789"
    assert UK.canonical("AB123456") is None
