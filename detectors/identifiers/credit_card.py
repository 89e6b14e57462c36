"""CREDIT_CARD: payment card numbers (PANs), confirmed by the Luhn checksum."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import (
    Detector,
    Pattern,
    PatternMatch,
    Validation,
    field_words,
    fixed_context_pattern,
    has_min_digits,
    mask_compact,
)
from piiscan.detectors.text_tables import column_header

#: Not inside a longer number: no digit (or digit + separator) right before, no digit right after.
#: The first digit is matched before the look-behinds (which then span it): a pattern that starts
#: with a digit lets the regex engine skip to the next digit instead of trying every character.
_FIRST_DIGIT = r"\d(?<!\d\d)(?<!\d[ -]\d)"
_EDGE_END = r"(?!\d)"
#: 4-4-4(-4)(-1..3) groups: Visa, Mastercard, Discover, 13/19-digit cards; one separator throughout.
GROUPS_OF_4 = _FIRST_DIGIT + r"\d{3}(?P<s>[ -])\d{4}(?:(?P=s)\d{4}){1,2}(?:(?P=s)\d{1,3})?" + _EDGE_END
#: 4-6-4/5 groups: American Express (15), Diners Club (14).
GROUPS_4_6_5 = _FIRST_DIGIT + r"\d{3}(?P<s>[ -])\d{6}(?P=s)\d{4,5}" + _EDGE_END
PLAIN = r"\d(?<!\d\d)\d{12,18}" + _EDGE_END
#: Maestro issues 12-digit cards too; that shape is common, so it needs a card word nearby.
PLAIN_12 = _FIRST_DIGIT + r"\d{11}" + _EDGE_END

_IMEI_WORDS = fixed_context_pattern(identifier_rules.IMEI_WORDS)


def words_near(pattern: re.Pattern[str], text: str, start: int, end: int, window: int) -> bool:
    """``pattern`` within ``window`` characters either side of ``text[start:end]`` or in the header of its
    text-table column (:func:`piiscan.detectors.text_tables.column_header`)."""
    if pattern.search(text, max(0, start - window), start) or pattern.search(text, end, end + window):
        return True
    header = column_header(text, start, end)
    return bool(header and pattern.search(field_words(header)))


class CreditCardDetector(Detector):
    """Card numbers of 13-19 digits (12 for Maestro, next to a card word), plain or in the usual
    groups, kept only if Luhn-valid.

    Luhn passes one random number in ten, so the shape matters too: separators
    must form the printed groups, and a run of one repeated digit is rejected
    (``0000 0000 0000 0000`` passes Luhn).  A short last group may be a number of its own
    ("1) 5500 0000 0000 0004 2) ..."): the number without it is tried next.

    A device's IMEI is 15 Luhn-valid digits too: :meth:`is_imei` (an IMEI word nearby, or a phone
    reporting body in its first two digits and no card word) leaves it to the IMEI detector.
    """

    name = "credit_card"
    version = "2"  # 2: IMEIs left to the IMEI detector; a short last group may be a number of its own
    entity = "CREDIT_CARD"
    patterns = (
        Pattern("card grouped 4", GROUPS_OF_4, 0.5),
        Pattern("card grouped 4-6-5", GROUPS_4_6_5, 0.5),
        Pattern("card plain", PLAIN, 0.5),
        Pattern("card plain 12", PLAIN_12, 0.5),
    )
    batch_safe: ClassVar[bool] = True
    #: every pattern above holds one of these: 4-4-4 groups, 4-6-4 groups or 12 digits in a row
    #: (a looser trigger sends every phone number in a log to the four card patterns)
    triggers: ClassVar[tuple[str, ...]] = (r"\d{4}[ \-]\d{4}[ \-]\d{4}|\d{4}[ \-]\d{6}[ \-]\d{4}|\d{12}",)
    context: ClassVar[tuple[str, ...]] = (
        "card",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "maestro",
        "pan",
        "cc",
    )

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 12)

    def spans(self, m: PatternMatch) -> Iterator[tuple[int, int]]:
        """The whole match, then (grouped numbers) without a last group of 1-3 digits."""
        start, end = m.span()
        yield start, end
        if "s" in m.re.groupindex and m.group("s"):
            head, sep, last = m.group().rpartition(m.group("s"))
            if sep and len(last) < 4 and head.count(sep) >= 3:
                yield start, start + len(head)

    def plausible(self, text: str, start: int, end: int) -> bool:
        """A 12-digit (Maestro) number only with a card word nearby ("my card 501864667909"); not an IMEI."""
        if end - start == 12:
            return self.has_context(text, start, end)
        return not self.is_imei(text, start, end, self._field)

    def is_imei(self, text: str, start: int, end: int, field: str | None, imei_context: bool | None = None) -> bool:
        """Whether the digits ``text[start:end]`` (in ``field``) are an IMEI (:func:`identifier_rules.is_imei`):
        IMEI words near them or in the field (``imei_context``, when the caller knows), card words near them."""
        number = identifier_rules.digits(text[start:end])
        if len(number) not in (15, 16):
            return False
        if imei_context is None:
            imei_context = words_near(_IMEI_WORDS, text, start, end, self.context_window) or bool(
                field and _IMEI_WORDS.search(field_words(field))
            )
        return identifier_rules.is_imei(number, imei_context, self.has_context(text, start, end, field))

    def validate(self, value: str) -> Validation:
        return identifier_rules.validate_card(value)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last four digits only: ``**** **** **** 1111``."""
        return mask_compact(self.normalise(value), keep_end=4)
