"""EU_VAT: VAT identification numbers of the EU member states (and Northern Ireland), python-stdnum ``eu.vat``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from stdnum import iban as stdnum_iban
from stdnum.eu import vat

from piiscan.detectors.base import REFERENCE_WORDS, Detector, Pattern, PatternMatch, Validation, mask_compact
from piiscan.detectors.identifiers.iban import IBAN_REGEX

#: The prefixes VAT numbers are written with (Greece: EL; Northern Ireland: XI).
PREFIXES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
)  # fmt: skip
_PREFIX = "(?:" + "|".join(PREFIXES) + ")"
#: A group of the number: up to two letters, a digit, then letters and digits, at most 16 in all (a group
#: holds a digit, so a following word is never taken; bounded, so a long run costs no backtracking).
_GROUP = r"[A-Z]{0,2}\d[0-9A-Z]{0,13}"
#: Prefix, an optional space or dash, Austria's "U", then up to five groups of letters and digits separated
#: by one space, "." or "-" ("FR 61 954 506 077", "NL 0044.95.445.B01", "BE 0697.449.992").
VAT_REGEX = rf"(?<![\w])(?P<cc>{_PREFIX})[ \-]?(?:U ?)?{_GROUP}(?:[ .\-]{_GROUP}){{0,4}}(?![\w])"
_IBAN = re.compile(IBAN_REGEX)

SCORE = 0.6
CONTEXT_SCORE = 1.0


class EuVatDetector(Detector):
    """VAT numbers with their country prefix, kept only if python-stdnum's check for that country passes.

    The prefix and a country check (check digits for most states) make a candidate specific, but a business
    reference with a country code can pass one: a valid number scores 0.6 alone and 1.0 next to a VAT word
    ("USt-IdNr.", "TVA", "BTW", "partita IVA" ...), and a reference word nearby ("order", "invoice") without
    one takes it below the threshold.  A candidate that begins a valid IBAN ("BE68 5390 0754 7034") is not a
    VAT number.  A number written with separators may run into a following number; shorter candidates
    without the trailing groups are then tried.
    """

    name = "eu_vat"
    version = "1"
    entity = "EU_VAT"
    patterns = (Pattern("vat", VAT_REGEX, SCORE),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"[^0-9A-Za-z]" + _PREFIX + r"[ \-]?[0-9A-Z]{0,2}\d\d",)
    context: ClassVar[tuple[str, ...]] = (
        "vat", "vat number", "vat no", "vat id", "vat reg", "ust-id", "ust-idnr", "ust-id-nr", "ustid",
        "umsatzsteuer-identifikationsnummer", "umsatzsteuer-id", "uid", "uid-nummer", "tva", "numéro de tva",
        "tva intracommunautaire", "btw", "btw-nummer", "btw-id", "iva", "partita iva", "p.iva", "nif-iva",
        "cif", "moms", "momsnummer", "momsregistreringsnummer", "alv", "alv-numero", "arvonlisävero", "dph",
        "ič dph", "dič", "dic", "pvm", "pvn", "kmkr", "ddv", "áfa", "φπα", "αφμ", "nip", "cui", "vies",
    )  # fmt: skip
    negative_context: ClassVar[tuple[str, ...]] = REFERENCE_WORDS

    def might_match(self, text: str) -> bool:
        return any(p in text for p in PREFIXES)

    def adjust_score(self, score: float, context: int) -> float:
        return CONTEXT_SCORE if context > 0 else super().adjust_score(score, context)

    def spans(self, m: PatternMatch) -> Iterator[tuple[int, int]]:
        """The whole match, then without each trailing group in turn ("DE 136 695 976 2024")."""
        start, end = m.span()
        yield start, end
        value = m.group()
        while True:
            cut = max(value.rfind(" "), value.rfind("."), value.rfind("-"))
            if cut <= 2:
                return
            value = value[:cut]
            yield start, start + len(value)

    def plausible(self, text: str, start: int, end: int) -> bool:
        """Not the start of a longer, valid IBAN ("BE68 5390 0754 7034"); a year after the number is no IBAN."""
        iban = _IBAN.match(text, start)
        return iban is None or iban.end() <= end or not stdnum_iban.is_valid(iban.group())

    def validate(self, value: str) -> Validation:
        return Validation.NO_OPINION if value.isascii() and vat.is_valid(value) else Validation.REJECT

    def normalise(self, value: str) -> str:
        """python-stdnum's form: prefix and number, no separators (``BE 697.449.992`` -> ``BE0697449992``)."""
        return str(vat.validate(value)) if vat.is_valid(value) else str(vat.compact(value))

    def mask(self, value: str) -> str:
        """Country prefix and last three: ``DE******976``."""
        return mask_compact(self.normalise(value), keep_start=2, keep_end=3, group=0)
