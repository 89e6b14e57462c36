"""US_SSN: US Social Security numbers (no checksum; area/group/serial rules)."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

#: AAA-GG-SSSS with one separator throughout (dash or space).
#: (The first digit comes before the look-behind, which spans it: the regex engine then skips to digits.)
SEPARATED = r"\d(?<![\d-]\d)\d{2}(?P<s>[- ])\d{2}(?P=s)\d{4}(?![\d]|-\d)"
#: Nine plain digits: too common to stand alone, reported only with context.
PLAIN = r"\d(?<!\d\d)\d{8}(?!\d)"


class UsSsnDetector(Detector):
    """SSNs in the printed AAA-GG-SSSS layout (0.5), or nine plain digits next to "SSN" (0.3 + context).

    python-stdnum rejects never-issued areas (000, 666, 9xx), group 00, serial
    0000 and well-known published numbers; anything else gets no opinion, as
    there is no check digit.
    """

    name = "us_ssn"
    version = "2"  # 2: a text-table column header is context
    entity = "US_SSN"
    patterns = (Pattern("ssn separated", SEPARATED, 0.5), Pattern("ssn plain", PLAIN, 0.3))
    batch_safe: ClassVar[bool] = True
    #: the patterns' shapes with their edges, so that digits inside a longer number ("+44 161 49 6001")
    #: send no text to the patterns
    triggers: ClassVar[tuple[str, ...]] = (
        r"(?:^|[^\d\-])\d{3}(?:-\d\d-|[ ]\d\d[ ])\d{4}(?:[^\d]|$)|(?:^|[^\d])\d{9}(?:[^\d]|$)",
    )
    context: ClassVar[tuple[str, ...]] = ("ssn", "ssns", "social security", "social security number", "ss no")

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 9)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_ssn(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last four digits only: ``***-**-6789``."""
        return f"***-**-{self.normalise(value)[-4:]}"
