"""US_NPI: US National Provider Identifiers, confirmed by the Luhn check digit over the 80840 prefix."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits, mask_compact

#: Ten digits starting 1 (a person) or 2 (an organisation), plain or printed 4-3-3 with one separator.
PLAIN = r"[12](?<!\d[12])\d{9}(?!\d)"
GROUPED = r"[12](?<![\d-][12])(?<!\d [12])\d{3}(?P<s>[ -])\d{3}(?P=s)\d{3}(?![\d]|[ -]\d)"


class UsNpiDetector(Detector):
    """NPIs next to "NPI", "national provider", "provider id", "prescriber" ... (or in such a column),
    confirmed by the checksum (:func:`identifier_rules.validate_npi`).

    Ten digits starting 1 or 2 are also US phone numbers and order numbers, and the check digit passes
    one in ten: Presidio's recognizer confirms any such number; here a context word is required, and the
    bare "provider" (an internet or a care provider, near a phone number) is not one.
    """

    name = "us_npi"
    version = "1"
    entity = "US_NPI"
    patterns = (Pattern("npi grouped", GROUPED, 0.4), Pattern("npi plain", PLAIN, 0.4))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"[12]\d{3}[ \-]?\d{3}[ \-]?\d{3}",)
    context: ClassVar[tuple[str, ...]] = (
        "npi", "npis", "npi number", "national provider", "national provider identifier", "provider id",
        "provider identifier", "provider number", "provider no", "prescriber", "prescriber id",
        "rendering provider", "billing provider", "referring provider", "attending provider",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 10)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_npi(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last three digits only: ``*******893``."""
        return mask_compact(self.normalise(value), keep_end=3, group=0)
