"""PHONE_NUMBER through Google's libphonenumber metadata (the ``phonenumbers`` port)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import ClassVar

import phonenumbers
from phonenumbers import Leniency, PhoneNumber, PhoneNumberFormat, PhoneNumberMatcher

from detectors.base import Detector, Match, Validation, has_min_digits, overlaps
from detectors.settings import DetectorSettings

#: The shortest national numbers we care about have 7 digits; E.164 allows 15.
MIN_DIGITS = 7
MAX_DIGITS = 15
#: Score of a number that is not valid but is the whole value of a phone field.
LOOSE_SCORE = 0.85
#: A whole value made only of a phone number's characters.
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-/]+")
#: Runs of digits and phone punctuation that could hold a number: the matcher
#: (slow, ~100 kB/s) only looks at windows around these, not at whole texts.
_CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]{5,}\d")
#: characters of context either side of a candidate given to the matcher
#: (it checks the neighbours of a match, e.g. letters glued to digits)
_WINDOW_CONTEXT = 12
#: Digit runs that are dates, times or IPv4 addresses, never phone numbers
#: ("2026-11-02", "10:11:12", "192.168.1.10", "02/11/2026"): skipped before the matcher.
_NOT_A_NUMBER = re.compile(r"\d{4}-\d\d-\d\d|\d\d?[/.]\d\d?[/.]\d{2,4}|\d\d?:\d\d(?::\d\d)?|\d{1,3}(?:\.\d{1,3}){3}")
#: distinct values whose parse is remembered per detector (tables repeat values)
_PARSE_CACHE_SIZE = 50_000


class PhoneDetector(Detector):
    """Phone numbers that phonenumbers finds and calls valid in one of the configured regions.

    No regex of ours: the matcher knows every numbering plan, international
    prefixes and national formats.  Validity there means "in an allocated
    range", not a checksum, so an order number can pass: a valid number scores
    0.75 and a context word ("tel", "mobile" ...) raises it to 1.0.

    Real tables also hold numbers that are no longer valid (Chile's 2016
    renumbering), mistyped ("+453 3331 9991") or missing their "+"
    ("1 (780) 836-9987").  Where the field name says phone, a whole value made
    of phone characters with 7-15 digits is still reported (0.85), read by
    :meth:`parse_loose`; lookups read values the same way.
    """

    name = "phone"
    version = "1"
    entity = "PHONE_NUMBER"
    score: ClassVar[float] = 0.75
    context: ClassVar[tuple[str, ...]] = (
        "phone", "telephone", "tel", "mobile", "mob", "cell", "fax", "call", "landline", "contact", "whatsapp",
    )  # fmt: skip

    def __init__(self, settings: DetectorSettings | None = None, threshold: float | None = None) -> None:
        super().__init__(threshold)
        settings = settings or DetectorSettings()
        self.default_region = settings.default_region
        self.regions = tuple(dict.fromkeys((settings.default_region, *settings.phone_regions)))
        self._parsed: dict[str, PhoneNumber | None] = {}

    def _read(self, value: str) -> PhoneNumber | None:
        """parse() else parse_loose(), remembered per value: canonical and mask both need it."""
        try:
            return self._parsed[value]
        except KeyError:
            pass
        number = self.parse(value) or self.parse_loose(value)
        if len(self._parsed) >= _PARSE_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[value] = number
        return number

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, MIN_DIGITS)

    def parse(self, value: str) -> PhoneNumber | None:
        """``value`` as a valid number, national formats read in the configured regions in order."""
        for region in self.regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return number
        return None

    def validate(self, value: str) -> Validation:
        """CONFIRM when valid read with the default region, else REJECT."""
        try:
            number = phonenumbers.parse(value, self.default_region)
        except phonenumbers.NumberParseException:
            return Validation.REJECT
        return Validation.CONFIRM if phonenumbers.is_valid_number(number) else Validation.REJECT

    def parse_loose(self, value: str) -> PhoneNumber | None:
        """A plausible number that is not valid: only phone characters and 7-15 digits.

        A leading digit may be a country code without its "+" ("1 (780) 836-9987");
        otherwise the number is read in the default region, "(0)" trunk prefix dropped.
        """
        value = value.strip()
        if not _PHONE_CHARS.fullmatch(value) or not MIN_DIGITS <= sum(c.isdigit() for c in value) <= MAX_DIGITS:
            return None
        candidates = [(f"+{value}", None)] if value[0].isdigit() else []
        candidates.append((value.replace("(0)", ""), self.default_region))
        for candidate, region in candidates:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if region is not None or phonenumbers.is_valid_number(number):
                return number
        return None

    def normalise(self, value: str) -> str:
        number = self._read(value)
        return e164(number) if number is not None else value.strip()

    def canonical(self, value: str) -> str | None:
        """E.164 of a lookup value: valid in a configured region, else read loosely (the user says it is a phone)."""
        value = value.strip()
        if not _PHONE_CHARS.fullmatch(value):
            return None
        number = self._read(value)
        return e164(number) if number is not None else None

    def mask(self, value: str) -> str:
        number = self._read(value)
        return mask_number(number) if number is not None else "*" * len(value)

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        if not self.might_match(text):
            return
        if self.field_has_context(field) and self.parse(text.strip()) is None:
            number = self.parse_loose(text)
            if number is not None:
                start = len(text) - len(text.lstrip())
                end = len(text.rstrip())
                yield Match(self.entity, start, end, LOOSE_SCORE, self.name, e164(number), mask_number(number))
                return
        found: list[tuple[int, int, PhoneNumber]] = []
        for w_start, w_end in candidate_windows(text):
            window = text[w_start:w_end]
            for region in self.regions:
                matcher = PhoneNumberMatcher(window, region, leniency=Leniency.VALID, max_tries=len(window))
                found.extend((m.start + w_start, m.end + w_start, m.number) for m in matcher)
        # overlapping finds from several regions: the longest wins, then the earliest region
        found.sort(key=lambda f: f[0] - f[1])
        taken: list[tuple[int, int]] = []
        kept: list[tuple[int, int, PhoneNumber]] = []
        for start, end, number in found:
            if not overlaps(taken, start, end):
                bisect.insort(taken, (start, end))
                kept.append((start, end, number))
        for start, end, number in sorted(kept, key=lambda k: k[0]):
            score = self.score
            if self.has_context(text, start, end, field):
                score = min(1.0, score + self.context_boost)
            if score >= self.threshold:
                yield Match(self.entity, start, end, round(score, 3), self.name, e164(number), mask_number(number))


def looks_like_date_time_or_ip(candidate: str) -> bool:
    """Filter: a digit run that is only a date, a time or an IPv4 address."""
    return _NOT_A_NUMBER.fullmatch(candidate.strip(" \t().-/")) is not None


def candidate_windows(text: str) -> list[tuple[int, int]]:
    """Merged windows around digit runs with at least 7 digits (where a number can be)."""
    windows: list[tuple[int, int]] = []
    for m in _CANDIDATE.finditer(text):
        if not has_min_digits(m.group(), MIN_DIGITS) or looks_like_date_time_or_ip(m.group()):
            continue
        start, end = max(0, m.start() - _WINDOW_CONTEXT), min(len(text), m.end() + _WINDOW_CONTEXT)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask_number(number: PhoneNumber) -> str:
    """Country code and the last two digits only: ``+44 ******** 58``."""
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code} {'*' * (len(national) - 2)} {national[-2:]}"
