"""UK_NINO: UK National Insurance numbers (no checksum; prefix rules only)."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits

#: Two letters, three digit pairs (optionally spaced or dashed: "AB-12-34-56-C"), suffix A-D; any case.
NINO_REGEX = r"(?i)(?<![A-Za-z0-9])[A-Z]{2}[ \-]?\d{2}[ \-]?\d{2}[ \-]?\d{2}[ \-]?[A-D](?![A-Za-z0-9])"

#: Whether HMRC can allocate a NINO starting with a (two-letter, uppercase) prefix: the allocation
#: rules are :func:`piiscan.detectors.identifier_rules.valid_nino_prefix`, shared with custom recognizers.
valid_prefix = identifier_rules.valid_nino_prefix


class UkNinoDetector(Detector):
    """National Insurance numbers by shape and prefix rules.

    There is no check digit, so a well-formed value gets no opinion and a
    moderate score (0.5); "national insurance", "NINO" ... nearby raise it.
    Prefixes HMRC never allocates (e.g. ``QQ`` of the specimen ``QQ123456C``) are rejected.
    """

    name = "uk_nino"
    version = "2"  # 2: dashes between the parts
    entity = "UK_NINO"
    patterns = (Pattern("nino", NINO_REGEX, 0.5),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[^a-z0-9][a-z]{2}[ \-]?\d\d[ \-]?\d\d[ \-]?\d\d[ \-]?[a-d]",)
    context: ClassVar[tuple[str, ...]] = ("national insurance", "ni number", "ni no", "nino", "ni")

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 6)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_nino(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """Prefix and suffix letters only: ``AB ** ** ** C``."""
        nino = self.normalise(value)
        return f"{nino[:2]} ** ** ** {nino[-1]}"
