"""UK_DRIVING_LICENCE: DVLA driving licence numbers, checked by the date of birth and the name they encode."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

#: SSSSS (surname, 9-padded) D MM DD Y (birth date; month + 50 for women) II (initials) N (digit) CC
#: (check letters): 16 characters, printed whole or in three groups ("MORGA 753116 SM9IJ").
LICENCE = (
    r"(?i)(?<![A-Za-z0-9])[A-Z][A-Z9]{4} ?\d(?:[05][1-9]|[16][0-2])(?:0[1-9]|[12]\d|3[01])\d ?[A-Z9]{2}\d[A-Z]{2}"
    r"(?![A-Za-z0-9])"
)


class UkDrivingLicenceDetector(Detector):
    """Licence numbers of the DVLA's 16-character layout (0.5, as Presidio scores it; "driving licence",
    "DVLA" ... nearby raise it), kept only when the date of birth they encode exists and the surname and
    initials are written the DVLA's way (:func:`identifier_rules.validate_uk_driving_licence`).

    The check letters are not public, so a well-formed number gets no opinion rather than a
    confirmation.  Licences print them in upper case; one typed in lower case needs a context word.
    """

    name = "uk_driving_licence"
    version = "1"
    entity = "UK_DRIVING_LICENCE"
    patterns = (Pattern("dvla licence", LICENCE, 0.5),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[a-z][a-z9]{4} ?\d{6} ?[a-z9]{2}\d[a-z]{2}",)
    context: ClassVar[tuple[str, ...]] = (
        "driving licence", "driving license", "driver's licence", "driver's license", "drivers licence",
        "drivers license", "driver licence", "driver number", "licence number", "licence no", "license number",
        "dl number", "dvla", "photocard",
    )  # fmt: skip

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 7)

    def plausible(self, text: str, start: int, end: int) -> bool:
        value = text[start:end]
        return value.isupper() or self.has_context(text, start, end)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_uk_driving_licence(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """The first letter and the last two only: ``M*************IJ``."""
        number = self.normalise(value)
        return f"{number[0]}{'*' * (len(number) - 3)}{number[-2:]}"
