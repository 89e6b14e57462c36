"""DATE_OF_BIRTH: dates reported only where a field name or nearby words say "birth".

A date on its own identifies no one and dates are everywhere (invoices, logs),
so every format requires context.  Dates are parsed to real calendar dates:
31/02/2001, dates in the future and dates before 1900 are rejected.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import TYPE_CHECKING, ClassVar, Self

from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

if TYPE_CHECKING:  # settings import custom recognizers, which are detectors: for type hints only
    from piiscan.detectors.settings import DetectorSettings

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
EARLIEST_YEAR = 1900

_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
#: 2001-02-03 (also / or .), a time may follow: "1962-02-18 00:00:00", "2001-02-03T10:00".
ISO = r"(?<![\w./-])(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d/-]|\.\d)"
#: 03/02/2001, 03.02.2001, 3-2-2001: day or month first (see ``day_first``).
NUMERIC = r"(?<![\w./-])(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})(?![\w/-]|\.\d)"
#: 3 February 2001, 3rd of Feb. 2001, 03-Feb-2001.
DAY_MONTH_YEAR = rf"(?i)(?<!\w)(?P<d>\d{{1,2}}){_ORDINAL}(?: of)?[\s-]{{1,3}}{_MONTH},?[\s-]{{1,3}}(?P<y>\d{{4}})(?!\d)"
#: Feb 3, 2001; February 3rd 2001.
MONTH_DAY_YEAR = rf"(?i)(?<!\w){_MONTH}\s{{1,3}}(?P<d>\d{{1,2}}){_ORDINAL},?\s{{1,3}}(?P<y>\d{{4}})(?!\d)"

_PATTERNS = tuple(re.compile(p) for p in (ISO, NUMERIC, DAY_MONTH_YEAR, MONTH_DAY_YEAR))
#: Time of day (and zone) after a date, as databases print timestamps.
_TIME_SUFFIX = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?$")


def parse_date_of_birth(value: str, day_first: bool = True, today: dt.date | None = None) -> dt.date | None:
    """The calendar date ``value`` (one whole date) stands for, if it can be a date of birth.

    Numeric dates are read day-first (``day_first``) unless only the other
    order gives a real date (``02/13/2001``).
    """
    text = _TIME_SUFFIX.sub("", value.strip())
    for pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["y"])
        if "a" in groups:
            a, b = int(groups["a"]), int(groups["b"])
            orders = [(b, a), (a, b)] if day_first else [(a, b), (b, a)]
        else:
            month = MONTHS[groups["mon"].lower()] if "mon" in groups else int(groups["m"])
            orders = [(month, int(groups["d"]))]
        for month, day in orders:
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            return date if could_be_birth_date(date, today) else None
    return None


def could_be_birth_date(date: dt.date, today: dt.date | None = None) -> bool:
    """Filter: not in the future and not before 1900."""
    return date.year >= EARLIEST_YEAR and date <= (today or _today())


_today_cache: list[tuple[float, dt.date]] = []


def _today() -> dt.date:
    """``date.today()``, asked of the clock at most once a minute (tables hold a date per row)."""
    now = time.monotonic()
    if not _today_cache or now - _today_cache[0][0] > 60:
        _today_cache[:] = [(now, dt.date.today())]
    return _today_cache[0][1]


def normalise_date_of_birth(value: str | dt.date, day_first: bool = True) -> str | None:
    """ISO ``YYYY-MM-DD`` for a whole column value holding a date of birth, else None.

    Accepts every format the detector finds, plus timestamps as databases
    store them ("1962-02-18 00:00:00") and ``date``/``datetime`` objects.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat() if could_be_birth_date(value) else None
    date = parse_date_of_birth(value, day_first)
    return date.isoformat() if date else None


class DayFirstDateDetector(Detector):
    """A detector of dates whose numeric form is ambiguous: day-first by default (GB), month-first for US
    data; the one setting, ``dob_day_first``, serves every date detector so they never read 03/02 apart."""

    def __init__(self, day_first: bool = True, threshold: float | None = None) -> None:
        super().__init__(threshold)
        self.day_first = day_first

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> Self:
        """Day-first unless ``settings.extra["dob_day_first"]`` is false (US data: 03/02/2001 is 2 March)."""
        return cls(day_first=settings.extra.get("dob_day_first", True), threshold=settings.score_threshold)


class DateOfBirthDetector(DayFirstDateDetector):
    """Dates next to "born", "DOB", "date of birth" ... or in a field named like ``dob``/``BirthDate``.

    Every pattern requires that context; the score is then 0.85.  Ambiguous
    numeric dates are day-first by default (GB); pass ``day_first=False`` for US data.
    """

    name = "date_of_birth"
    version = "1"
    entity = "DATE_OF_BIRTH"
    patterns = (
        Pattern("iso date", ISO, 0.5),
        Pattern("numeric date", NUMERIC, 0.5),
        Pattern("day month year", DAY_MONTH_YEAR, 0.5),
        Pattern("month day year", MONTH_DAY_YEAR, 0.5),
    )
    context: ClassVar[tuple[str, ...]] = (
        "born", "birth", "dob", "d.o.b", "birthday", "birthdate", "date of birth",
    )  # fmt: skip
    requires_context = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 4)

    def validate(self, value: str) -> Validation:
        return Validation.NO_OPINION if parse_date_of_birth(value, self.day_first) else Validation.REJECT

    def normalise(self, value: str) -> str:
        return normalise_date_of_birth(value, self.day_first) or value.strip()

    def canonical(self, value: str) -> str | None:
        return normalise_date_of_birth(value, self.day_first)

    def mask(self, value: str) -> str:
        """The century only: ``19**-**-**``."""
        iso = normalise_date_of_birth(value, self.day_first)
        return (iso[:2] if iso else "**") + "**-**-**"
