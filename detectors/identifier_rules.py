"""The rules of identifier values that need no detector: canonical forms and validity checks.

Below every detector module (it imports only :mod:`piiscan.detectors.base`), so the
identifier detectors (:mod:`piiscan.detectors.identifiers`) and the named validators of
custom recognizers (:mod:`piiscan.detectors.custom`) share one definition of each rule.

* **Canonical forms** whose form is a plain function of the value (e-mail, IBAN, card and
  national numbers): what is HMAC-hashed into the subject key.  :mod:`piiscan.detectors.canonical`
  says how every identifier type is canonicalised (the phone rules live with the phone
  detector) and names these functions too.
* **Validity checks** of the checksum- and rule-backed identifiers (IBAN, NHS number, card,
  NINO, SSN): each is what its detector's ``validate`` returns for a candidate.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import idna
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.gb import nhs
from stdnum.us import ssn

from piiscan.detectors.base import Validation

_NOT_DIGIT = re.compile(r"\D")
#: What people write between the characters of an identifier: blanks, "-", ".", "/".
_SEPARATORS = re.compile(r"[\s\-./]+")


# -- canonical forms ---------------------------------------------------------------
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


# -- validity checks -----------------------------------------------------------------
#: HMRC allocation rules for the two-letter prefix of a National Insurance number.
INVALID_FIRST = frozenset("DFIQUV")
INVALID_SECOND = frozenset("DFIOQUV")
INVALID_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def valid_nino_prefix(prefix: str) -> bool:
    """Whether HMRC can allocate a NINO starting with ``prefix`` (uppercase)."""
    return prefix[0] not in INVALID_FIRST and prefix[1] not in INVALID_SECOND and prefix not in INVALID_PREFIXES


def validate_iban(value: str) -> Validation:
    """Country format and mod-97 check digits (python-stdnum): confirmed or rejected."""
    return Validation.CONFIRM if stdnum_iban.is_valid(value.upper()) else Validation.REJECT


def validate_nhs(value: str) -> Validation:
    """The NHS number's mod-11 check digit: confirmed or rejected."""
    return Validation.CONFIRM if nhs.is_valid(value) else Validation.REJECT


def validate_card(value: str) -> Validation:
    """12-19 digits, not one repeated digit (``0000 0000 0000 0000`` passes Luhn), Luhn-valid."""
    number = digits(value)
    if not 12 <= len(number) <= 19 or len(set(number)) == 1:
        return Validation.REJECT
    return Validation.CONFIRM if luhn.is_valid(number) else Validation.REJECT


def validate_nino(value: str) -> Validation:
    """No check digit: a prefix HMRC allocates gets no opinion, any other is rejected."""
    return Validation.NO_OPINION if valid_nino_prefix(national_id(value)[:2]) else Validation.REJECT


def validate_ssn(value: str) -> Validation:
    """No check digit: python-stdnum's area/group/serial rules give no opinion or a rejection."""
    return Validation.NO_OPINION if ssn.is_valid(digits(value)) else Validation.REJECT
