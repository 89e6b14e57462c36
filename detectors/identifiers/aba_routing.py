"""ABA_ROUTING_NUMBER: US bank routing transit numbers, confirmed by their 3-7-1 check digit."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits, mask_compact

#: Nine digits, plain or printed 4-4-1 ("0110-0001-5"), not inside a longer number.
PLAIN = r"\d(?<!\d\d)\d{8}(?!\d)"
DASHED = r"\d(?<![\d-]\d)\d{3}-\d{4}-\d(?![\d]|-\d)"


class AbaRoutingDetector(Detector):
    """Routing numbers next to "routing", "ABA", "RTN" ... (or in such a column), confirmed by the
    checksum and the Federal Reserve's prefix ranges (:func:`identifier_rules.validate_routing_number`).

    The checksum passes one nine-digit number in ten, and nine digits are everywhere (SSNs, phone
    numbers, order numbers): as in Presidio, the shape alone scores too low to report, so a context
    word is required; with it a checksum-valid number is confirmed.
    """

    name = "aba_routing"
    version = "1"
    entity = "ABA_ROUTING_NUMBER"
    patterns = (Pattern("routing dashed", DASHED, 0.4), Pattern("routing plain", PLAIN, 0.4))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"\d{4}-?\d{4}-?\d",)
    context: ClassVar[tuple[str, ...]] = (
        "aba", "aba number", "routing", "routing number", "routing no", "rtn", "abarouting", "bankrouting",
        "routing transit", "transit number", "bank routing", "wire routing", "ach routing",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 9)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_routing_number(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """The first two digits (the Federal Reserve district) and the last two: ``02*****21``."""
        return mask_compact(self.normalise(value), keep_start=2, keep_end=2, group=0)
