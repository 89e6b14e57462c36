"""IBAN_CODE: international bank account numbers, confirmed by the ISO 7064 mod-97 check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, PatternMatch, Validation, has_min_digits, mask_compact

#: Country code, two check digits, then the BBAN's 11-30 characters, grouped any way: in fours (the
#: printed form), as the national account is written ("BE68 539-0075470-34", "DE89 37040044 0532013000")
#: or not at all, with single spaces or dashes between groups.  Uppercase only, as IBANs are printed:
#: case-insensitive, runs of four-letter words would become candidates.
IBAN_REGEX = r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30}(?![A-Za-z0-9])"

#: Typed in lower case ("my iban is gb42nawi0445..."): only next to "IBAN".
IBAN_ANY_CASE = r"(?i)(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30}(?![A-Za-z0-9])"
#: The shortest IBAN (Norway) has 15 characters.
MIN_LENGTH = 15
_SEPARATOR = re.compile(r"[ \-]")


class IbanDetector(Detector):
    """IBANs whose country format and mod-97 check digits python-stdnum accepts.

    A grouped IBAN may be followed by an unrelated token after one space ("... 7034 AND", "... 32 1"),
    which the greedy pattern takes too; shorter candidates, each ending a group earlier, are then tried
    until one validates.
    """

    name = "iban"
    version = "2"  # 2: any grouping, dashes; a national part of a bank the registry lacks
    entity = "IBAN_CODE"
    patterns = (Pattern("iban", IBAN_REGEX, 0.5), Pattern("iban lower case", IBAN_ANY_CASE, 0.5))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"(?i)[^a-z0-9][a-z]{2}\d\d(?:[ \-]?[a-z0-9]){4}",)
    context: ClassVar[tuple[str, ...]] = ("iban", "bank", "account")

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 2)

    def spans(self, m: PatternMatch) -> Iterator[tuple[int, int]]:
        start, end = m.span()
        yield start, end
        value = m.group()
        cuts = [c.start() for c in _SEPARATOR.finditer(value)]
        for cut in reversed(cuts):  # drop trailing groups, one at a time, while an IBAN can remain
            if cut - value.count(" ", 0, cut) - value.count("-", 0, cut) < MIN_LENGTH:
                break
            yield start, start + cut

    def plausible(self, text: str, start: int, end: int) -> bool:
        """Lower-case candidates need "IBAN" (or "bank", "account") nearby: mod-97 passes 1 in 97."""
        value = text[start:end]
        return value == value.upper() or self.has_context(text, start, end)

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_iban(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.iban(value)

    def mask(self, value: str) -> str:
        """Country code and last four: ``GB **** **** **** **** 5432``."""
        return mask_compact(self.normalise(value), keep_start=2, keep_end=4)
