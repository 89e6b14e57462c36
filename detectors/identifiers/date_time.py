"""DATE_TIME: dates and times in free text, as Presidio's DATE_TIME entity (a quasi-identifier).

A date on its own identifies no one, but with other facts it can (an admission date and a town,
an IP address and the time it was seen).  So dates are reported where free text is analysed, but
never linked (not in ``LINKABLE_ENTITIES``), never taken as a table column's type (a date column
stays unreported, as typed date columns always were) and never masked out of item names
(``free_text_only``).  A date next to "born" or "date of birth" is a DATE_OF_BIRTH, which scores
higher and so wins the span (:func:`piiscan.detectors.columns.resolve_overlaps`).

Rules, not the NER model: Presidio takes DATE_TIME from spaCy's DATE and TIME labels, which also
tag durations and ages ("three years", "25 years old"; on pii-eval 670 of Presidio's 1,978 spaCy
predictions are false DATE_TIMEs) and run only on texts the NER gate sends to the model.  The forms
found, each parsed to a real calendar date (31/02/2001 and month 13 are rejected):

* ISO and numeric dates, a time of day may follow: ``2001-02-03``, ``2026-11-01T00:00:07Z``,
  ``2020-06-20 14:11:22``, ``03/02/2001``, ``3.2.2001 10:30``: 0.6.  Numeric dates are read
  day-first unless only the other order is a date (``settings.extra["dob_day_first"]`` false: US order).
* Written dates: ``3 February 2001``, ``3rd of Feb. 2001``, ``February 3, 2001``, ``Tuesday,
  3 March 2020``, ``March 1989``: 0.6; without a year (``7 March``, ``March 7``, full month names,
  capitalised): 0.5.
* A year after a word that makes it one (``in 1989``, ``since 2004``, ``until 2021``; 1900-2099) and
  decades (``the 1990s``): 0.5.
* A weekday after such a word (``on Tuesday``, ``last Friday``): 0.5.

Not reported: the stamp that opens a line (an ISO or numeric date, a time may follow, at the start of
a line that goes on: "2026-11-01T08:00:02Z INFO login ok ..."), which says when a log line or a chat
message was written, not a date about anyone (:func:`is_line_stamp`); without this every log line
would be a finding, counted by audits and redacted by erasure.  Two-digit years ("03/02/01") and
times of day alone ("at 10:30") are not looked for: both are too
easily other numbers.  Context words ("date", "time" ...) add 0.2, so a DATE_TIME never outscores a
DATE_OF_BIRTH (0.85).

Canonical forms: ``YYYY-MM-DD`` (``THH:MM[:SS]`` when a time is written), ``YYYY-MM``, ``--MM-DD``
(no year, as ISO 8601 writes it), ``YYYY``, ``1990s``, a weekday's English name in lower case.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from piiscan.detectors.base import Pattern, Validation, has_min_digits
from piiscan.detectors.identifiers.date_of_birth import MONTHS, DayFirstDateDetector
from piiscan.detectors.identifiers.ip_address import looks_like_version

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")  # fmt: skip


def _title_or_upper(words: tuple[str, ...] | list[str]) -> str:
    """Alternatives for ``words`` capitalised or upper case, longest first ("March|MARCH|Mar|MAR")."""
    return "|".join(f"{w.capitalize()}|{w.upper()}" for w in sorted(words, key=len, reverse=True))


#: Any month name or abbreviation in any case (a day or year goes with it, so "may" is a month there).
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
#: A month name or abbreviation, capitalised or upper case (before a year: "March 1989", "Feb. 2001").
_CAPITAL_MONTH = rf"(?P<mon>{_title_or_upper(list(MONTHS))})\.?"
#: A full month name, capitalised or upper case (with a day only: "7 March").
_FULL_MONTH = rf"(?P<mon>{_title_or_upper(_FULL_MONTHS)})"
_WEEKDAY = _title_or_upper(WEEKDAYS)
#: "Tuesday, " before a written date.
_WEEKDAY_PREFIX = rf"(?:(?:{_WEEKDAY}),?\s{{1,3}}(?:the\s{{1,3}})?)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
#: A time of day: 10:30, 10:30:15.123, 10:30 pm, 00:00:07Z, 13:33:14,123 +01:00.
TIME = (
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d{1,9})?)?"
    r"(?:\s?(?P<ampm>[AaPp]\.?[Mm]\b\.?))?(?:\s?(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)\b)?"
)
_THEN_TIME = rf"(?:(?:T|,?\s{{1,2}}(?:at\s{{1,2}})?){TIME})?"
#: Words after which a four-digit number or a weekday is a date ("in 1989", "on Tuesday").
_YEAR_WORDS = "in|since|until|till|from|during|before|after|by|around|circa|early|late|spring|summer|autumn|winter"
_DAY_WORDS = "on|last|next|this|every|until|since|by|from|each|that|before|after"

ISO = (
    rf"(?<![\w./-])(?P<y>\d{{4}})(?P<s>[-/.])(?P<m>\d{{1,2}})(?P=s)(?P<d>\d{{1,2}}){_THEN_TIME}"
    r"(?![\w/-]|[.:]\d)"
)
NUMERIC = (
    rf"(?<![\w./-])(?P<a>\d{{1,2}})(?P<s>[-/.])(?P<b>\d{{1,2}})(?P=s)(?P<y>\d{{4}}){_THEN_TIME}"
    r"(?![\w/-]|[.:]\d)"
)
DAY_MONTH_YEAR = (
    rf"(?i)(?<!\w){_WEEKDAY_PREFIX}(?P<d>\d{{1,2}}){_ORDINAL}(?:\s{{1,3}}of)?[\s-]{{1,3}}{_MONTH},?[\s-]{{1,3}}"
    rf"(?P<y>\d{{4}})(?!\d){_THEN_TIME}(?!\w|:\d)"
)
MONTH_DAY_YEAR = (
    rf"(?i)(?<!\w){_WEEKDAY_PREFIX}{_MONTH}\s{{1,3}}(?P<d>\d{{1,2}}){_ORDINAL},?\s{{1,3}}(?P<y>\d{{4}})(?!\d)"
    rf"{_THEN_TIME}(?!\w|:\d)"
)
#: Not after a day ("30 February 2001" is no date, and "February 2001" is not found in it).
_NO_DAY_BEFORE = r"(?<!\d[\s-])(?<!\dst\s)(?<!\dnd\s)(?<!\drd\s)(?<!\dth\s)"
MONTH_YEAR = rf"(?<!\w){_NO_DAY_BEFORE}{_CAPITAL_MONTH},?\s{{1,3}}(?P<y>\d{{4}})(?!\w|[.,/:-]\d)"
DAY_MONTH = rf"(?<!\w){_WEEKDAY_PREFIX}(?P<d>\d{{1,2}}){_ORDINAL}(?:\s{{1,3}}of)?\s{{1,3}}{_FULL_MONTH}(?!\w)"
MONTH_DAY = rf"(?<!\w){_WEEKDAY_PREFIX}{_FULL_MONTH}\s{{1,3}}(?P<d>\d{{1,2}}){_ORDINAL}(?!\w|[.,/:-]?\d)"
YEAR = rf"(?<!\w)(?i:{_YEAR_WORDS})\s{{1,3}}(?P<value>(?:19|20)\d{{2}})(?![\w%/-]|[.,:]\d)"
DECADE = r"(?<![\w'])(?P<value>(?:19|20)\d0(?:'s|s))(?!\w)"
WEEKDAY = rf"(?<!\w)(?i:{_DAY_WORDS})\s{{1,3}}(?P<value>(?:{_WEEKDAY})s?)(?!\w)"

#: Whole values (a match's span), to parse: the patterns above, and the spans of those with a ``value`` group.
_VALUE_FORMS = tuple(
    re.compile(p)
    for p in (
        ISO, NUMERIC, DAY_MONTH_YEAR, MONTH_DAY_YEAR, MONTH_YEAR, DAY_MONTH, MONTH_DAY,
        r"(?P<y>(?:19|20)\d{2})", r"(?P<decade>(?:19|20)\d0)(?:'s|s)", rf"(?P<wd>{_WEEKDAY})s?",
    )
)  # fmt: skip
EARLIEST_YEAR = 1000


def parse_date_time(value: str, day_first: bool = True) -> str | None:
    """The canonical form of one whole date or time (see the module docstring), or None if it is not a real one."""
    value = " ".join(value.split())
    for form in _VALUE_FORMS:
        m = form.fullmatch(value)
        if m is not None:
            try:
                return _canonical(m.groupdict(""), day_first)
            except ValueError:  # no such day, month or time of day
                return None
    return None


def _canonical(groups: dict[str, str], day_first: bool) -> str:
    """The canonical form of one parsed value (groups missing from its form are ""); ValueError if not real."""
    if groups.get("wd"):
        return groups["wd"].lower()
    if groups.get("decade"):
        return f"{groups['decade']}s"
    year = int(groups["y"]) if groups.get("y") else None
    if year is not None and year < EARLIEST_YEAR:
        raise ValueError("year")
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        orders = [(b, a), (a, b)] if day_first else [(a, b), (b, a)]
    elif groups.get("mon") or groups.get("m"):
        month = MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
        orders = [(month, int(groups["d"]) if groups.get("d") else 0)]
    elif year is not None:
        return f"{year:04d}"
    else:
        raise ValueError("no date")
    for month, day in orders:
        if not 1 <= month <= 12:
            continue
        if not day:
            return f"{year:04d}-{month:02d}"
        try:
            date = dt.date(year if year is not None else 2000, month, day)  # 2000: 29 February is a date
        except ValueError:
            continue
        return (date.isoformat() if year is not None else f"--{month:02d}-{day:02d}") + _clock(groups)
    raise ValueError("date")


def _clock(groups: dict[str, str]) -> str:
    """``THH:MM[:SS]`` of a written time ("" without one); ValueError when it is no time of day."""
    if not groups.get("H"):
        return ""
    hour, minute = int(groups["H"]), int(groups["M"])
    second = int(groups["S"]) if groups.get("S") else None
    ampm = groups.get("ampm", "").lower()[:1]
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("hour")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59 or (second is not None and second > 60):
        raise ValueError("time")
    return f"T{hour:02d}:{minute:02d}" + (f":{second:02d}" if second is not None else "")


#: A date written the way machines write them: ISO or numeric ("2026-11-01T08:00:02Z", "01/12/2026 10:00").
_NUMERIC_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def is_line_stamp(text: str, start: int, end: int) -> bool:
    """Whether the date at ``text[start:end]`` is its line's own stamp: an ISO or numeric date (a time may
    follow) opening a line (after blanks or "[" at most) that goes on after it.  That is when a log line,
    a chat export or a journal entry was written ("2026-11-01T08:00:02Z INFO login ok user=..."), the
    record's metadata, not a date written about someone: it is not reported.  A written date opening a
    line ("7 March 1989: ...") is."""
    if not _NUMERIC_DATE.match(text, start):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t[("):
        return False
    line_end = text.find("\n", end)
    return bool(text[end : len(text) if line_end < 0 else line_end].strip(" \t]),;:-|"))


_DIGIT = re.compile(r"\d")
#: Letters after a word's first character (a letter or a digit: "3rd").
_WORD_TAIL = re.compile(r"(?<=[^\W_])[^\W\d_]+")
#: The first three letters of each month, either case, for the pre-filter ("[Mm][Aa][Rr]").
_MONTH3 = "|".join("".join(f"[{c.upper()}{c}]" for c in m[:3]) for m in _FULL_MONTHS)


class DateTimeDetector(DayFirstDateDetector):
    """Dates and times in free text by rule, each parsed to a real calendar date (see the module docstring)."""

    name = "date_time"
    version = "1"
    entity = "DATE_TIME"
    patterns = (
        Pattern("iso date", ISO, 0.6),
        Pattern("numeric date", NUMERIC, 0.6),
        Pattern("day month year", DAY_MONTH_YEAR, 0.6),
        Pattern("month day year", MONTH_DAY_YEAR, 0.6),
        Pattern("month year", MONTH_YEAR, 0.6),
        Pattern("day month", DAY_MONTH, 0.5),
        Pattern("month day", MONTH_DAY, 0.5),
        Pattern("year", YEAR, 0.5),
        Pattern("decade", DECADE, 0.5),
        Pattern("weekday", WEEKDAY, 0.5),
    )
    context: ClassVar[tuple[str, ...]] = ("date", "dated", "time", "timestamp", "datetime", "day", "when")
    context_boost: ClassVar[float] = 0.2
    free_text_only: ClassVar[bool] = True
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (
        r"[0-9][-/.][0-9]{1,2}[-/.][0-9]",
        rf"[0-9][A-Za-z ,.-]{{0,8}}(?:{_MONTH3})",
        rf"(?:{_MONTH3})[A-Za-z .,-]{{0,10}}[0-9]",
        r"(?:19|20)[0-9]{2}",
        r"[Dd][Aa][Yy]",
    )

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 1) or "day" in text or "DAY" in text

    def plausible(self, text: str, start: int, end: int) -> bool:
        return not (looks_like_version(text, start) or is_line_stamp(text, start, end))

    def validate(self, value: str) -> Validation:
        return Validation.NO_OPINION if parse_date_time(value, self.day_first) else Validation.REJECT

    def normalise(self, value: str) -> str:
        return parse_date_time(value, self.day_first) or " ".join(value.split()).casefold()

    def canonical(self, value: str) -> str | None:
        return parse_date_time(value, self.day_first)

    def mask(self, value: str) -> str:
        """Every digit, and every letter but a word's first: ``* F******* ****``, ``T******``."""
        return _DIGIT.sub("*", _WORD_TAIL.sub(lambda m: "*" * len(m.group()), value.strip()))
