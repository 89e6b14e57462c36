"""UK_NHS: NHS numbers (England, Wales, Isle of Man), mod-11 check digit."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

#: 3-3-4 digits with one separator throughout (space, dash) or none, not inside a longer number.
NHS_REGEX = r"(?<![\d+])(?<!\d[ -])\d{3}(?P<s>[ -]?)\d{3}(?P=s)\d{4}(?!\d)"


class UkNhsDetector(Detector):
    """NHS numbers, reported only with context: "NHS" near the number or in the field name.

    The mod-11 check passes about one random 10-digit number in eleven, and
    10-digit strings are everywhere: UK national phone numbers without the 0,
    US phone numbers (printed 3-3-4, like NHS numbers), order and account
    numbers.  The checksum alone, even in the 3-3-4 layout, would report
    thousands of phone numbers, so context is required for every format; with
    it a checksum-valid number is confirmed.
    """

    name = "uk_nhs"
    version = "2"  # 2: a text-table column header is context
    entity = "UK_NHS"
    patterns = (Pattern("nhs", NHS_REGEX, 0.4),)
    triggers: ClassVar[tuple[str, ...]] = (r"\d{3}[ \-]?\d{3}[ \-]?\d{4}",)
    context: ClassVar[tuple[str, ...]] = ("nhs", "nhsno", "nhsnumber", "nhs_number", "nhs_no")
    requires_context = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 10)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_nhs(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last four digits only: ``*** *** 5919``."""
        return f"*** *** {self.normalise(value)[-4:]}"
