import datetime as dt

import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.date_of_birth import (
    DateOfBirthDetector,
    normalise_date_of_birth,
    parse_date_of_birth,
)
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = DateOfBirthDetector()


@pytest.mark.parametrize(
    ("text", "field", "value", "normalised"),
    [
        ("Date of birth: 03/02/2001", None, "03/02/2001", "2001-02-03"),
        ("born 2001-02-03 in Leeds", None, "2001-02-03", "2001-02-03"),
        ("DOB 3 February 2001", None, "3 February 2001", "2001-02-03"),
        ("birthday: Feb 3, 2001", None, "Feb 3, 2001", "2001-02-03"),
        ("born 03.02.2001", None, "03.02.2001", "2001-02-03"),
        ("born on the 3rd of Feb. 1962", None, "3rd of Feb. 1962", "1962-02-03"),
        ("born 18-Feb-1962", None, "18-Feb-1962", "1962-02-18"),
        ("born on February 18th, 1962", None, "February 18th, 1962", "1962-02-18"),
        ("born 02/13/2001", None, "02/13/2001", "2001-02-13"),  # only month-first is a date
        ("03/02/2001", "dob", "03/02/2001", "2001-02-03"),
        ("1962-02-18 00:00:00", "birth_date", "1962-02-18", "1962-02-18"),
        ("1962-02-18T00:00:00Z", "BirthDate", "1962-02-18", "1962-02-18"),
        ("18 Feb 1962", "date_of_birth", "18 Feb 1962", "1962-02-18"),
        ("18 Feb 1962", "person.dateOfBirth", "18 Feb 1962", "1962-02-18"),
    ],
)
def test_found_with_context(text: str, field: str | None, value: str, normalised: str) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=0.85, entity="DATE_OF_BIRTH", field=field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Invoice date 03/02/2001", None),  # no birth context
        ("2001-02-03", None),
        ("3 February 2001", "created_at"),
        ("DOB 31/02/2001", None),  # impossible date
        ("DOB 2001-13-01", None),
        ("DOB 29/02/2001", None),  # not a leap year
        ("DOB 1899-12-31", None),  # before 1900
        ("DOB 2999-01-01", None),  # in the future
        ("DOB 03/02/01", None),  # two-digit years are not read
        ("DOB 12.30.45.2001", None),
    ],
)
def test_not_found(text: str, field: str | None) -> None:
    assert_no_match(DETECTOR, text, field)


@pytest.mark.parametrize(
    ("day_first", "text", "normalised"),
    [
        (True, "DOB 03/02/2001", "2001-02-03"),
        (False, "DOB 03/02/2001", "2001-03-02"),
        (False, "DOB 13/02/2001", "2001-02-13"),
    ],
)
def test_day_first_flag(day_first: bool, text: str, normalised: str) -> None:
    (match,) = DateOfBirthDetector(day_first=day_first).find(text)
    assert match.normalised == normalised


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1962-02-18 00:00:00", "1962-02-18"),
        ("1962-02-18T00:00:00.000+01:00", "1962-02-18"),
        (" 18/02/1962 ", "1962-02-18"),
        ("18.02.1962", "1962-02-18"),
        ("18 February 1962", "1962-02-18"),
        ("February 18, 1962", "1962-02-18"),
        ("1962/2/18", "1962-02-18"),
        (dt.date(1962, 2, 18), "1962-02-18"),
        (dt.datetime(1962, 2, 18, 0, 0), "1962-02-18"),
        (dt.date(1850, 1, 1), None),
        ("31/02/2001", None),
        ("born 18/02/1962", None),  # a whole value, not text
        ("", None),
        ("not a date", None),
    ],
)
def test_normalise_date_of_birth(value: str | dt.date, expected: str | None) -> None:
    assert normalise_date_of_birth(value) == expected


def test_future_is_relative_to_today() -> None:
    assert parse_date_of_birth("2020-05-01", today=dt.date(2020, 5, 1)) == dt.date(2020, 5, 1)
    assert parse_date_of_birth("2020-05-02", today=dt.date(2020, 5, 1)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("03/02/2001", Validation.NO_OPINION), ("31/02/2001", Validation.REJECT), ("1962-02-18", Validation.NO_OPINION)],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    ("value", "mask"),
    [("1962-02-18 00:00:00", "19**-**-**"), ("3 February 2001", "20**-**-**"), ("nonsense", "****-**-**")],
)
def test_mask_keeps_century_only(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)
