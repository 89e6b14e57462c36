import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.columns import resolve_overlaps
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.identifiers.date_of_birth import DateOfBirthDetector
from piiscan.detectors.identifiers.date_time import DateTimeDetector, parse_date_time
from piiscan.detectors.settings import DetectorSettings
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = DateTimeDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        ("On 7 March 1989 the applicant left", "7 March 1989", "1989-03-07", 0.6),
        ("on 3rd of Feb. 2001,", "3rd of Feb. 2001", "2001-02-03", 0.6),
        ("Signed February 3, 2001.", "February 3, 2001", "2001-02-03", 0.6),
        ("Tuesday, 3 March 2020 at 10:30 pm", "Tuesday, 3 March 2020 at 10:30 pm", "2020-03-03T22:30", 0.6),
        ("in March 1989 they", "March 1989", "1989-03", 0.6),
        ("filed 2001-02-03.", "2001-02-03", "2001-02-03", 0.6),
        ("at 2020-06-20 14:11:22 he", "2020-06-20 14:11:22", "2020-06-20T14:11:22", 0.6),
        ("logged at 2026-11-01T00:00:07Z by", "2026-11-01T00:00:07Z", "2026-11-01T00:00:07", 0.6),
        ("2026-11-01 INFO expires 2026-12-01", "2026-12-01", "2026-12-01", 0.6),  # the line's own stamp is not
        ("7 March 1989: the applicant", "7 March 1989", "1989-03-07", 0.6),  # a written date opening a line is
        ("seen 2026-11-29 13:33:14,123 by", "2026-11-29 13:33:14,123", "2026-11-29T13:33:14", 0.6),
        ("visit 25/12/2001 ok", "25/12/2001", "2001-12-25", 0.6),
        ("visit 03/02/2001 ok", "03/02/2001", "2001-02-03", 0.6),  # day first
        ("visit 9/25/1945 ok", "9/25/1945", "1945-09-25", 0.6),  # only month first is a date
        ("at 12.10.2020 10:11 meeting", "12.10.2020 10:11", "2020-10-12T10:11", 0.6),
        ("date: 4 June 2019", "4 June 2019", "2019-06-04", 0.8),  # context word
        # no year
        ("Until 7 March the", "7 March", "--03-07", 0.5),
        ("due March 7.", "March 7", "--03-07", 0.5),
        ("29 February is rare", "29 February", "--02-29", 0.5),
        # years, decades and weekdays after a word that makes them dates
        ("in 1989 the house", "1989", "1989", 0.5),
        ("lived there since 2004.", "2004", "2004", 0.5),
        ("music of the 1990s", "1990s", "1990s", 0.5),
        ("see you on Tuesday.", "Tuesday", "tuesday", 0.5),
        ("closed last Friday", "Friday", "friday", 0.5),
    ],
)
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="DATE_TIME")


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2001",  # no 31 February
        "2001-13-01",  # no month 13
        "13/25/2001",  # neither order is a date
        "30 February 2001",
        "2001-02-03 25:00",  # 25 o'clock: no date-time (and not the date alone)
        "version 1.2.2001",
        "v 2.3.2004",
        "a total of 2000 cases",  # a number, not a year
        "room 1989",
        "May I come in?",  # a month name alone
        "march 1989",  # lower case, no day: not written as a month
        "see you next friday",  # a weekday in lower case
        "Friday Street",
        "03/02/01",  # two-digit years are not looked for
        "at 10:30",  # nor times of day alone
        "1.2.3.4",
        "ISBN 978-3-16-148410-0",
        # the stamp opening a line: when the line was written, not a date about anyone
        "2026-11-01T08:00:02Z INFO login ok user=x",
        "first line\n2026-11-29 13:33:14,123 INFO request id=1",
        "[01/12/2026 10:00] Alice: hi",
        "  2026/11/01 13:33 DEBUG cache hit",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7 March 1989", Validation.NO_OPINION),
        ("2001-02-29", Validation.REJECT),
        ("2000-02-29", Validation.NO_OPINION),
        ("Tuesday", Validation.NO_OPINION),
        ("10:30 pm", Validation.REJECT),  # a time alone is no value this detector reports
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


def test_month_first_when_told() -> None:
    us = DateTimeDetector.from_settings(DetectorSettings(extra={"dob_day_first": False}))
    assert [m.normalised for m in us.find("on 03/02/2001")] == ["2001-03-02"]
    assert parse_date_time("03/02/2001", day_first=False) == "2001-03-02"


@pytest.mark.parametrize(
    ("value", "mask"),
    [("3 February 2001", "* F******* ****"), ("Tuesday", "T******"), ("2020-06-20 14:11:22", "****-**-** **:**:**")],
)
def test_mask(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


def test_a_date_of_birth_wins_over_a_date() -> None:
    text = "date of birth: 3 February 1962"
    kept = resolve_overlaps([m for d in (DETECTOR, DateOfBirthDetector()) for m in d.find(text)])
    assert [(m.entity_type, text[m.start : m.end]) for m in kept] == [("DATE_OF_BIRTH", "3 February 1962")]


def test_only_where_free_text_is_analysed() -> None:
    assert "DATE_TIME" in {d.entity for d in build_identifier_detectors(DetectorSettings())}
    assert "DATE_TIME" not in {d.entity for d in build_identifier_detectors(DetectorSettings(ner=False))}
