"""MEDICAL_LICENSE: US DEA registration numbers, confirmed by their check digit."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

#: A registrant type letter, the registrant's initial (or 9 for a business), seven digits; one word, any
#: case ("Gn2494932": the context word is required anyway).
DEA = rf"(?i)(?<![A-Za-z0-9])[{identifier_rules.DEA_REGISTRANT_TYPES}][A-Z9]\d{{7}}(?![A-Za-z0-9])"


class MedicalLicenseDetector(Detector):
    """DEA numbers next to "DEA", "prescriber", "medical licence" ... (or in such a column), confirmed by
    the check digit (:func:`identifier_rules.validate_dea`).

    Two letters and seven digits is also the shape of a UK passport number and of many references, and
    the check digit passes one in ten: Presidio's recognizer confirms any such word near nothing at all;
    here a context word is required.
    """

    name = "medical_license"
    version = "1"
    entity = "MEDICAL_LICENSE"
    patterns = (Pattern("dea number", DEA, 0.4),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[a-z][a-z9]\d{7}",)
    context: ClassVar[tuple[str, ...]] = (
        "dea", "dea number", "dea no", "dea registration", "dea license", "dea licence", "medical license",
        "medical licence", "medical license number", "prescriber", "registrant", "controlled substance",
        "controlled substances",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 7)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_dea(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """The registrant type and the last two digits: ``A********63``."""
        number = self.normalise(value)
        return f"{number[0]}{'*' * (len(number) - 3)}{number[-2:]}"
