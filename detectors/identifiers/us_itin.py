"""US_ITIN: US Individual Taxpayer Identification Numbers (no checksum; python-stdnum's range rules)."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import REFERENCE_WORDS, Detector, Pattern, Validation, has_min_digits

#: 9XX-GG-SSSS with one separator throughout (dash or space), as the SSN is printed; the group digits
#: python-stdnum allows (50-65, 70-88, 90-92, 94-99) are checked in validate.
SEPARATED = r"9(?<![\d-]9)\d{2}(?P<s>[- ])[5-9]\d(?P=s)\d{4}(?![\d]|-\d)"
#: Nine plain digits starting 9: reported only with a context word.
PLAIN = r"9(?<!\d9)\d{2}[5-9]\d{5}(?!\d)"


class UsItinDetector(Detector):
    """ITINs printed like an SSN (0.5, as Presidio's "medium" pattern), or nine plain digits next to
    "ITIN", "taxpayer" ... (0.3 + context).  An ITIN's area is 9XX, which no SSN has, so the two never
    claim the same number."""

    name = "us_itin"
    version = "1"
    entity = "US_ITIN"
    patterns = (Pattern("itin separated", SEPARATED, 0.5), Pattern("itin plain", PLAIN, 0.3))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?:^|[^\d\-])9\d\d[\- ]?[5-9]\d[\- ]?\d{4}(?:[^\d]|$)",)
    context: ClassVar[tuple[str, ...]] = (
        "itin", "itins", "individual taxpayer", "taxpayer", "taxpayer id", "taxpayer identification",
        "tax id", "tax identification", "tin", "tax number", "taxid",
    )  # fmt: skip
    negative_context: ClassVar[tuple[str, ...]] = REFERENCE_WORDS

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 9)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_itin(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last four digits only: ``9**-**-1234``."""
        return f"9**-**-{self.normalise(value)[-4:]}"
