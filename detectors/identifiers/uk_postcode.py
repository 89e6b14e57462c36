"""UK_POSTCODE: UK postcodes (with a name or house number they locate a household)."""

from __future__ import annotations

import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, has_min_digits

#: Outward code: area + district (A9, A99, A9A, AA9, AA99, AA9A), letters as Royal Mail allocates them.
OUTWARD = r"[A-PR-UWYZ](?:[0-9][0-9A-HJKPS-UW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
#: Inward code: sector digit + unit letters (never C, I, K, M, O, V).
INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_EDGES = r"(?<![A-Za-z0-9])(?:{})(?![A-Za-z0-9])"
#: Uppercase, with or without the space: "SW1A 1AA", "SW1A1AA".
CANONICAL = _EDGES.format(rf"GIR ?0AA|{OUTWARD} ?{INWARD}")
#: Any case but with exactly one space: "sw1a 1aa".
SPACED_ANY_CASE = "(?i)" + _EDGES.format(rf"GIR 0AA|{OUTWARD} {INWARD}")

_ORDINAL_INWARD = re.compile(r"\d(?:st|nd|rd|th)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def looks_like_ordinal(value: str) -> bool:
    """Filter: lowercase "a1 1st", "b2 2nd" are text, not postcodes."""
    inward = value[-3:]
    return not value.isupper() and bool(_ORDINAL_INWARD.fullmatch(inward))


class UkPostcodeDetector(Detector):
    """UK postcodes by the Royal Mail pattern: uppercase (space optional) or any case with the space.

    No check exists (only the PAF knows which codes are live), so NO_OPINION
    and 0.6; "postcode", "address" ... nearby raise it.  Requiring the space
    for non-uppercase text keeps words and codes in prose out.
    """

    name = "uk_postcode"
    version = "1"
    entity = "UK_POSTCODE"
    patterns = (Pattern("postcode", CANONICAL, 0.6), Pattern("postcode any case", SPACED_ANY_CASE, 0.6))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[^a-z0-9](?:gir ?0aa|[a-z]{1,2}\d[a-z0-9]? ?\d[a-z]{2})",)
    context: ClassVar[tuple[str, ...]] = ("postcode", "post code", "postal code", "address", "addr")

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 1)  # "GIR 0AA" has one

    def plausible(self, text: str, start: int, end: int) -> bool:
        return not looks_like_ordinal(text[start:end])

    def normalise(self, value: str) -> str:
        compact = _SPACE.sub("", value).upper()
        return f"{compact[:-3]} {compact[-3:]}"

    def mask(self, value: str) -> str:
        """Outward code only: ``SW1A ***``."""
        return self.normalise(value)[:-3] + "***"
