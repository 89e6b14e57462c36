"""EMAIL_ADDRESS: the most common personal identifier in files and tables."""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from piiscan.detectors import identifier_rules
from piiscan.detectors.base import Detector, Pattern, Validation

#: Local part at most 64 characters (RFC 5321), starting where a run of
#: local-part characters starts: each start is scanned at most ~64 + 580
#: characters ahead, so the pattern is linear in the text.  An apostrophe may
#: occur inside ("o'neil@") but not first (a quote).  Domains are ASCII labels;
#: ``validate`` decides whether the domain is plausible.
#: A top-level domain in IDNA form ("xn--p1ai": .рф).
_IDNA_TLD = re.compile(r"xn--[a-z0-9-]+", re.IGNORECASE)
EMAIL_REGEX = r"(?<![\w.%+-])[\w.%+-][\w.%+'-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"


class EmailDetector(Detector):
    """Emails by regex, kept only when the domain has a dot and an alphabetic TLD.

    A regex finds the shape; the domain check drops ``user@localhost`` and
    ``name@host.123``-style noise.  The canonical form is :func:`piiscan.detectors.canonical.email`:
    case-folded whole (providers in practice treat local parts case-insensitively), the local
    part in NFC, a Unicode domain in its IDNA form (a lookup by ``jörg@bücher.de`` finds
    ``jörg@xn--bcher-kva.de``).
    """

    name = "email"
    #: 2: the local part in NFC; IDNA top-level domains ("xn--p1ai") accepted
    version = "2"
    entity = "EMAIL_ADDRESS"
    patterns = (Pattern("email", EMAIL_REGEX, 0.85),)
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"[\w.%+'-]@[A-Za-z0-9-]",)
    anchor: ClassVar[str] = "@"
    anchor_reach: ClassVar[int] = 65  # a local part of at most 64 characters, then the "@"
    keywords = ("@",)
    context: ClassVar[tuple[str, ...]] = ("email", "e-mail", "mail")

    def validate(self, value: str) -> Validation:
        local, _, domain = value.strip().rpartition("@")
        labels = domain.split(".")
        if not local or local[0] == "." or local[-1] == "." or ".." in local or len(labels) < 2:
            return Validation.REJECT
        if any(not label or label[0] == "-" or label[-1] == "-" for label in labels):
            return Validation.REJECT
        tld = labels[-1]
        if len(tld) < 2 or not (tld.isascii() and (tld.isalpha() or _IDNA_TLD.fullmatch(tld))):
            return Validation.REJECT
        return Validation.NO_OPINION

    def canonical(self, value: str) -> str | None:
        """A whole value that is one address, its local part in NFC and its domain in IDNA form first (a
        Unicode domain, which the scanning regex does not take, is checked as mail software writes it)."""
        local, at, domain = " ".join(value.split()).rpartition("@")
        if not at or not domain:
            return None
        return super().canonical(f"{unicodedata.normalize('NFC', local)}@{identifier_rules.email_domain(domain)}")

    def normalise(self, value: str) -> str:
        return identifier_rules.email(value)

    def mask(self, value: str) -> str:
        """``alice@example.com`` -> ``a****@e******.com``; one-letter parts are masked whole."""
        local, _, domain = value.strip().rpartition("@")
        *labels, tld = domain.split(".")
        return "@".join((_mask_part(local), ".".join([*(_mask_part(x) for x in labels), tld])))


def _mask_part(part: str) -> str:
    return part[0] + "*" * (len(part) - 1) if len(part) > 1 else "*" * len(part)
