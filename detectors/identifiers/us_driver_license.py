"""US_DRIVER_LICENSE: US driver's license numbers, reported only next to words that name them."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, has_min_digits, mask_compact

#: The states' layouts vary from 1 letter + 4 digits to 13+ characters with dashes
#: ("F162823540116", "2270-66-1551", "D12-345-678-901"): one letter or two at most, then digits.
LICENSE = r"(?<![\w\-])(?:[A-Z]{1,2}[\- ]?\d[\d\-]{3,15}\d|\d[\d\-]{5,15}\d)(?![\w\-])"


class UsDriverLicenseDetector(Detector):
    """No check digit and no shape of its own, so only with context ("driver's license",
    "DL number", column ``drivers_license``) — as Presidio's recognizer does."""

    name = "us_driver_license"
    version = "1"
    entity = "US_DRIVER_LICENSE"
    patterns = (Pattern("license number", LICENSE, 0.3),)
    context: ClassVar[tuple[str, ...]] = (
        "driver's license", "drivers license", "driver license", "driver's licence", "driving license",
        "driving licence", "driver licence", "license number", "licence number", "dl", "dln", "dl number",
    )  # fmt: skip
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 5)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        return mask_compact(self.normalise(value), keep_end=3, group=0)
