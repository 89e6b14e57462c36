"""US_MBI: Medicare Beneficiary Identifiers (no checksum; CMS's character-class rules)."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, has_min_digits, mask_compact

#: CMS's letters: A-Z but S, L, O, I, B and Z (they read as digits).
LETTER = "[AC-HJKMNP-RT-Y]"
DIGIT = "[0-9]"
ALNUM = "[0-9AC-HJKMNP-RT-Y]"
#: Positions 1-11: digit (1-9), letter, letter or digit, digit, letter, letter or digit, digit, letter,
#: letter, digit, digit.  Printed with dashes after the 4th and the 7th character, or plain.
_PARTS = ("[1-9]" + LETTER + ALNUM + DIGIT, LETTER + ALNUM + DIGIT, LETTER + LETTER + DIGIT + DIGIT)
_EDGES = ("(?<![A-Za-z0-9-])", "(?![A-Za-z0-9]|-[A-Za-z0-9])")
DASHED = "(?i)" + _EDGES[0] + "-".join(_PARTS) + _EDGES[1]
PLAIN = "(?i)" + _EDGES[0] + "".join(_PARTS) + _EDGES[1]


class UsMbiDetector(Detector):
    """MBIs by their position rules: printed with dashes (0.5, as Presidio's "medium" pattern) or plain
    (0.3, so only with "Medicare", "MBI", "beneficiary" ... nearby).

    There is no check digit; the shape is what CMS allows at each of the 11 positions.  Cards print it
    in upper case; one typed in lower case needs a context word.
    """

    name = "us_mbi"
    version = "1"
    entity = "US_MBI"
    patterns = (Pattern("mbi dashed", DASHED, 0.5), Pattern("mbi plain", PLAIN, 0.3))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[1-9][a-z][0-9a-z]\d-?[a-z][0-9a-z]\d-?[a-z][a-z]\d\d",)
    context: ClassVar[tuple[str, ...]] = (
        "medicare", "mbi", "medicare beneficiary", "beneficiary id", "beneficiary identifier",
        "medicare number", "medicare id", "medicare card", "cms", "medicaid", "hicn", "hic",
    )  # fmt: skip

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 5)

    def plausible(self, text: str, start: int, end: int) -> bool:
        value = text[start:end]
        return value.isupper() or self.has_context(text, start, end)

    def normalise(self, value: str) -> str:
        return identifier_rules.national_id(value)

    def mask(self, value: str) -> str:
        """Last two characters only: ``*********73``."""
        return mask_compact(self.normalise(value), keep_end=2, group=0)
