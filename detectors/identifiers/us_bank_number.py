"""US_BANK_NUMBER: US bank account numbers (no checksum, no shape of their own), reported only next to
words that name them."""

from __future__ import annotations

from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, has_min_digits, mask_compact

#: 8 to 17 plain digits, not inside a longer number, not glued to a word or after a currency sign.
ACCOUNT = r"\d(?<![\w\-$£€¥]\d)\d{7,16}(?![\w]|[-.,]\d)"
#: Words that make a nearby run of digits a bank account number.
ACCOUNT_WORDS: tuple[str, ...] = (
    "bank account", "account number", "account no", "acct", "acct no", "checking account", "savings account",
    "deposit account", "bank acct", "beneficiary account", "direct deposit",
)  # fmt: skip


class UsBankNumberDetector(Detector):
    """8-17 digits next to "bank account", "account number", "checking account" ... (or in such a
    column), at 0.3 raised by the context word to 0.65 -- below a checksum-confirmed number over the same
    digits (a card, an IBAN, a routing number) and a valid phone number, which keep them.

    Presidio's recognizer scores the shape 0.05 and lets "account", "bank", "check", "save" or "debit"
    raise it; the bare "account" names customer and login accounts too, so here the words name a bank
    account.
    """

    name = "us_bank_number"
    version = "1"
    entity = "US_BANK_NUMBER"
    patterns = (Pattern("bank account", ACCOUNT, 0.3),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"\d{8}",)
    context: ClassVar[tuple[str, ...]] = ACCOUNT_WORDS
    requires_context: ClassVar[bool] = True

    def might_match(self, text: str) -> bool:
        return has_min_digits(text, 8)

    def normalise(self, value: str) -> str:
        return identifier_rules.digits(value)

    def mask(self, value: str) -> str:
        """Last four digits only: ``********1234``."""
        return mask_compact(self.normalise(value), keep_end=4, group=0)
