"""UK_PASSPORT: UK passport numbers (no checksum outside the MRZ), reported only next to words that name them."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, fixed_context_pattern, has_min_digits, mask_compact

#: Two letters and seven digits (issued since 2015 ...), or nine digits (the older books).
LETTERS = r"(?<![A-Za-z0-9])[A-Z]{2}\d{7}(?![A-Za-z0-9])"
DIGITS = r"\d(?<![A-Za-z0-9]\d)\d{8}(?![A-Za-z0-9])"
#: Words that make a passport British: nine digits are a US passport number too.
BRITISH_WORDS: tuple[str, ...] = (
    "uk", "u.k", "british", "united kingdom", "gb", "gbr", "great britain", "hmpo", "hm passport", "her majesty",
    "his majesty", "england", "scotland", "wales", "northern ireland",
)  # fmt: skip
_BRITISH = fixed_context_pattern(BRITISH_WORDS)
#: Characters either side of a nine-digit number searched for a British word.
BRITISH_WINDOW = 60


def british_near(text: str, start: int, end: int) -> bool:
    """A British word within :data:`BRITISH_WINDOW` characters of ``text[start:end]``."""
    lo, hi = max(0, start - BRITISH_WINDOW), end + BRITISH_WINDOW
    return bool(_BRITISH.search(text, lo, start) or _BRITISH.search(text, end, hi))


class UkPassportDetector(Detector):
    """No check digit and shapes shared with other numbers, so only with "passport", "travel document",
    "HMPO" ... nearby or in the field name, as Presidio's recognizer scores it (a weak pattern raised by
    context): two letters and seven digits; nine digits only with a British word near too ("UK
    passport 123456789"), else they are :class:`~piiscan.detectors.identifiers.us_passport.UsPassportDetector`'s."""

    name = "uk_passport"
    version = "1"
    entity = "UK_PASSPORT"
    patterns = (Pattern("passport letters", LETTERS, 0.4), Pattern("passport digits", DIGITS, 0.4))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"[A-Z]{2}\d{7}|\d{9}",)
    context: ClassVar[tuple[str, ...]] = (
        "passport", "passports", "passport number", "passport no", "travel document", "hmpo", "hm passport office",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 7)

    def plausible(self, text: str, start: int, end: int) -> bool:
        return not text[start].isdigit() or british_near(text, start, end)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """Last three characters only: ``******567``."""
        return mask_compact(self.normalise(value), keep_end=3, group=0)
