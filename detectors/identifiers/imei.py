"""IMEI: mobile device identities, confirmed by the Luhn check digit and told apart from card numbers."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation, has_min_digits, mask_compact
from piiscan.detectors.identifiers.credit_card import CreditCardDetector

#: As GSMA prints them: 2-6-6-1 (IMEI) or 2-6-6-2 (IMEISV), the TAC split as reporting body and type;
#: 8-6-1 / 8-6-2 (the whole TAC first).  One separator throughout (dash or space).
GROUPED = r"\d(?<![\d\-]\d)\d(?P<s>[- ])\d{6}(?P=s)\d{6}(?P=s)\d{1,2}(?![\d]|[- ]\d)"
GROUPED_TAC = r"\d(?<![\d\-]\d)\d{7}(?P<s>[- ])\d{6}(?P=s)\d{1,2}(?![\d]|[- ]\d)"
#: 15 plain digits (IMEI) or 16 (IMEISV), not inside a longer number.
PLAIN = r"\d(?<![\d\-]\d)\d{14,15}(?![\d]|-\d)"


class ImeiDetector(Detector):
    """IMEIs and IMEISVs.

    * Grouped the way handsets and GSMA print them: a 15-digit IMEI is confirmed by its Luhn check digit
      (1.0); a 16-digit IMEISV (no check digit) only with an IMEI word nearby.
    * Plain: 15 digits that pass Luhn are also the shape of a card number, so the two detectors share
      one rule (:func:`identifier_rules.is_imei`): an IMEI word nearby ("IMEI", "handset", "device id" ...)
      makes it an IMEI; without one, a phone reporting body in its first two digits does (35, 86, 01, 99
      ...: no 15-digit card starts so), unless a card word is near.  Such a number scores 0.6 (no word)
      or 0.95 (an IMEI word); the card detector leaves it.  16 plain digits: only with an IMEI word.

    The canonical form is the device's 15-digit IMEI (:func:`identifier_rules.imei`), so an IMEISV
    and its IMEI are one device.
    """

    name = "imei"
    version = "1"
    entity = "IMEI"
    patterns = (
        Pattern("imei grouped", GROUPED, 0.5),
        Pattern("imei grouped tac", GROUPED_TAC, 0.5),
        Pattern("imei plain", PLAIN, 0.6),
    )
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"\d\d[ \-]?\d{6}[ \-]?\d{6}[ \-]?\d",)
    context: ClassVar[tuple[str, ...]] = identifier_rules.IMEI_WORDS

    def __init__(self, threshold: float | None = None) -> None:
        super().__init__(threshold)
        #: asks the card detector's own question, so the two never both claim (or both leave) a number
        self._card = CreditCardDetector()

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 15)

    def plausible(self, text: str, start: int, end: int) -> bool:
        """A plain run is an IMEI by :meth:`CreditCardDetector.is_imei`; a grouped IMEISV needs an IMEI word."""
        context = self.has_context(text, start, end, self._field)
        if text[start:end].isdigit():
            return self._card.is_imei(text, start, end, self._field, context)
        return len(identifier_rules.digits(text[start:end])) == 15 or context

    def validate(self, value: str) -> Validation:
        """Grouped: confirmed by Luhn (an IMEISV: no opinion).  Plain: no opinion (context raises it), as
        :meth:`plausible` already asked Luhn."""
        outcome = identifier_rules.validate_imei(value)
        return Validation.NO_OPINION if outcome is Validation.CONFIRM and value.isdigit() else outcome

    def normalise(self, value: str) -> str:
        return identifier_rules.imei(value)

    def mask(self, value: str) -> str:
        """The reporting body (two digits: a type of approval, not the device) and the last two digits."""
        return mask_compact(self.normalise(value), keep_start=2, keep_end=2, group=0)
