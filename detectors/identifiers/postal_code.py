"""POSTAL_CODE: postcodes and ZIP codes outside the UK, reported only next to a word that says so."""

from __future__ import annotations

import re
from typing import ClassVar

from piiscan.detectors.base import Detector, Pattern, has_min_digits, mask_middle

#: Common national layouts, most specific first: US ZIP+4, Brazil, Portugal, Poland, Netherlands,
#: Canada, Sweden/Czechia/Slovakia/Greece ("123 45"), then 3-6 plain digits.
PATTERNS = (
    r"\d{5}-\d{4}",
    r"\d{5}-\d{3}",
    r"\d{4}-\d{3}",
    r"\d{2}-\d{3}",
    r"\d{4} ?[A-Z]{2}",
    r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    r"\d{3} \d{2}",
    r"\d{3,6}",
)
_EDGES = r"(?<![\w\-.,/:])(?:{})(?![\w\-/:]|[.,]\d)"
_SPACE = re.compile(r"\s+")


class PostalCodeDetector(Detector):
    """A postal code's shape is every short number's shape, so it counts only with a context word
    ("ZIP: 7412 SL", "my zip code is 90010-170", column ``postal_code``).  UK postcodes have their
    own detector (their shape stands alone)."""

    name = "postal_code"
    version = "1"
    entity = "POSTAL_CODE"
    patterns = (Pattern("postal code", _EDGES.format("|".join(PATTERNS)), 0.4),)
    context: ClassVar[tuple[str, ...]] = (
        "zip", "zipcode", "zip code", "postcode", "post code", "postal code", "postal", "plz", "cep", "cap",
    )  # fmt: skip
    context_window: ClassVar[int] = 25
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 3)

    def normalise(self, value: str) -> str:
        return _SPACE.sub(" ", value).strip().upper()

    def mask(self, value: str) -> str:
        return mask_middle(self.normalise(value), keep_start=1, keep_end=0)
