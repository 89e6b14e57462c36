"""US_PASSPORT: US passport book and card numbers (no checksum), reported only next to words that name them."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, has_min_digits, mask_compact
from piiscan.detectors.identifiers.uk_passport import british_near

#: Nine digits (books before 2021), or one letter and eight digits (next-generation books, passport cards "C...").
DIGITS = r"\d(?<![A-Za-z0-9]\d)\d{8}(?![A-Za-z0-9])"
LETTER = r"(?<![A-Za-z0-9])[A-Z]\d{8}(?![A-Za-z0-9])"


class UsPassportDetector(Detector):
    """Only with "passport", "travel document", "passport card" ... nearby or in the field name: nine
    digits are also SSNs, phone numbers and order numbers.  Presidio scores these shapes 0.05 and 0.1 and
    lets "us", "united" or "states" raise them; here the passport word is required, and nine digits next to
    a British word are :class:`~piiscan.detectors.identifiers.uk_passport.UkPassportDetector`'s."""

    name = "us_passport"
    version = "1"
    entity = "US_PASSPORT"
    patterns = (Pattern("passport letter", LETTER, 0.4), Pattern("passport digits", DIGITS, 0.4))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"\d{9}|[A-Z]\d{8}",)
    context: ClassVar[tuple[str, ...]] = (
        "passport", "passports", "passport number", "passport no", "passport card", "travel document",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 8)

    def plausible(self, text: str, start: int, end: int) -> bool:
        return not text[start].isdigit() or not british_near(text, start, end)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """Last three characters only: ``******789``."""
        return mask_compact(self.normalise(value), keep_end=3, group=0)
