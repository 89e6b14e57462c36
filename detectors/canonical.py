"""The canonical form of each identifier: what is HMAC-hashed into its subject key.

One place for the rule of every identifier type, called by the detectors when they
normalise a match (scan), by :func:`canonical_value` for a whole value a person typed
(``lookup``/``dsar``/``erase`` ``--email``, ``--phone``, ``--value TYPE=VALUE``), and so by
linking and erasure, which only ever compare keys.  Two written forms of one identifier
give one canonical form, so a lookup by any of them finds every other.

* **Phone** (``PHONE_NUMBER``): E.164.  International forms ("+44 7700 900123",
  "0044 7700 900123", "+44 (0)7700 900123") as phonenumbers parses them.  A national form
  ("07700 900123", "(07700) 900-123") is read in the configured default region whenever it
  is a possible number there (its number pattern holds and phonenumbers says
  ``IS_POSSIBLE``) and written with its trunk prefix, valid or not: phonenumbers calls the
  Ofcom drama range invalid for GB and valid for DE, and it is still British.  Another
  configured region is read only as a fallback (not possible in the default region, or
  grouped exactly as a valid number of that region is: "01.84.17.61.18" is French); the
  finding's preview then names it ("+33 ******* 18 (read as FR)").  The rules and their cache
  live with the detector (:meth:`piiscan.detectors.identifiers.phone.PhoneDetector.parse_national`),
  which this module asks.
* **E-mail** (``EMAIL_ADDRESS``): the local part in Unicode NFC and case-folded (as before:
  providers treat it case-insensitively in practice, and existing keys stay as they were),
  the domain lower-cased and, when it is not ASCII, in its IDNA (punycode) form by UTS #46
  ("jörg@Bücher.de" -> ``jörg@xn--bcher-kva.de``, the way mail software writes it).
* **IBAN** (``IBAN_CODE``): no spaces or other separators, upper case.
* **Card** (``CREDIT_CARD``): the digits.
* **National numbers**: NHS number and US SSN: the digits; NINO and US driving licence:
  separators (spaces, "-", ".", "/") removed, upper case.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

import idna

from piiscan.detectors.settings import DetectorSettings

if TYPE_CHECKING:
    from piiscan.detectors.identifiers.phone import PhoneDetector

_NOT_DIGIT = re.compile(r"\D")
#: What people write between the characters of an identifier: blanks, "-", ".", "/".
_SEPARATORS = re.compile(r"[\s\-./]+")


def email(value: str) -> str:
    """``Alice.Smith@Example.COM`` -> ``alice.smith@example.com``; a Unicode domain in its IDNA form."""
    local, at, domain = value.strip().rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", value.strip()).casefold()
    local = unicodedata.normalize("NFC", unicodedata.normalize("NFC", local).casefold())
    return f"{local}@{email_domain(domain)}"


@functools.lru_cache(maxsize=4096)
def email_domain(domain: str) -> str:
    """An e-mail domain lower-cased; a non-ASCII one as IDNA A-labels (UTS #46 mapping), or, if it is no
    valid IDNA name, NFC and case-folded (still one key for one spelling)."""
    domain = domain.rstrip(".")
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return unicodedata.normalize("NFC", domain).casefold()


def iban(value: str) -> str:
    """``gb82 west 1234-5698 7654 32`` -> ``GB82WEST12345698765432``."""
    return _SEPARATORS.sub("", value).upper()


def digits(value: str) -> str:
    """Card, NHS and SSN numbers: the digits only (``4111-1111 1111 1111`` -> ``4111111111111111``)."""
    return _NOT_DIGIT.sub("", value)


def national_id(value: str) -> str:
    """NINO, driving licence and the like: separators removed, upper case (``ab 12 34 56 c`` -> ``AB123456C``)."""
    return _SEPARATORS.sub("", value).upper()


def phone(value: str, settings: DetectorSettings | None = None) -> str | None:
    """A whole value that is one phone number in E.164 (see the module docstring), else None."""
    settings = settings or DetectorSettings()
    return _phone_detector(settings.default_region, tuple(settings.phone_regions)).canonical(value)


@functools.lru_cache(maxsize=16)
def _phone_detector(default_region: str, regions: tuple[str, ...]) -> PhoneDetector:
    """One detector per region setting: its readings are cached (the import is deferred: phone.py is a detector)."""
    from piiscan.detectors.identifiers.phone import PhoneDetector

    return PhoneDetector(DetectorSettings(default_region=default_region, phone_regions=regions))


#: The rule of each entity type whose canonical form is a plain function of the value.
RULES = {
    "EMAIL_ADDRESS": email,
    "IBAN_CODE": iban,
    "CREDIT_CARD": digits,
    "UK_NHS": digits,
    "US_SSN": digits,
    "UK_NINO": national_id,
    "US_DRIVER_LICENSE": national_id,
}


def canonical_value(entity_type: str, value: str, settings: DetectorSettings) -> str | None:
    """The canonical form of a whole value someone typed (a lookup, an erasure, an allow-list term), checked
    the way detection checks it; None when it is not one ``entity_type`` identifier (or the type is unknown).

    ``"LuisG@Embraer.com.br"`` -> ``"luisg@embraer.com.br"``; national ``"07700 900123"`` (region GB) ->
    ``"+447700900123"``, as are ``"+44 7700 900123"``, ``"0044 7700 900123"`` and ``"(07700) 900-123"``.
    """
    from piiscan.detectors.identifiers import normalise_value

    return normalise_value(entity_type, value, settings)
