"""The rules of identifier values that need no detector: canonical forms and validity checks.

Below every detector module (it imports only :mod:`piiscan.detectors.base`), so the
identifier detectors (:mod:`piiscan.detectors.identifiers`) and the named validators of
custom recognizers (:mod:`piiscan.detectors.custom`) share one definition of each rule.

* **Canonical forms** whose form is a plain function of the value (e-mail, IBAN, card and
  national numbers): what is HMAC-hashed into the subject key.  :mod:`piiscan.detectors.canonical`
  says how every identifier type is canonicalised (the phone rules live with the phone
  detector) and names these functions too.
* **Validity checks** of the checksum- and rule-backed identifiers (IBAN, NHS number, card,
  NINO, SSN, and the US/UK identifiers: ITIN, routing number, NPI, DEA number, IMEI, DVLA
  driving licence): each is what its detector's ``validate`` returns for a candidate.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import idna
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import InvalidComponent, ValidationError
from stdnum.gb import nhs
from stdnum.us import itin, rtn, ssn

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


def imei(value: str) -> str:
    """An IMEI or IMEISV as the 15-digit IMEI of the device: its 14 identifying digits and their Luhn check
    digit (``35-686800-004141-20``, the IMEISV, and ``356868000041418``, the IMEI, are one device)."""
    number = digits(value)
    return number[:14] + luhn.calc_check_digit(number[:14]) if len(number) >= 14 else number


#: The rule of each entity type whose canonical form is a plain function of the value.
RULES = {
    "EMAIL_ADDRESS": email,
    "IBAN_CODE": iban,
    "CREDIT_CARD": digits,
    "UK_NHS": digits,
    "US_SSN": digits,
    "UK_NINO": national_id,
    "US_DRIVER_LICENSE": national_id,
    "US_ITIN": digits,
    "US_BANK_NUMBER": digits,
    "ABA_ROUTING_NUMBER": digits,
    "US_NPI": digits,
    "US_MBI": national_id,
    "US_PASSPORT": national_id,
    "MEDICAL_LICENSE": national_id,
    "UK_PASSPORT": national_id,
    "UK_DRIVING_LICENCE": national_id,
    "UK_VEHICLE_REGISTRATION": national_id,
    "IMEI": imei,
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
    """Country format, mod-97 check digits and the national check digits where python-stdnum knows them:
    confirmed or rejected.

    A national part python-stdnum rejects only as an unknown component is still confirmed when the IBAN's own
    checks hold: its Belgian rule also looks the bank code up in a registry ("BE68 5390 0754 7034", a
    well-formed account of a bank code the registry lacks), and a registry that lags behind the banks is
    no reason to miss an account number.  Wrong national check digits still reject.
    """
    value = value.upper()
    try:
        stdnum_iban.validate(value)
    except InvalidComponent:
        return Validation.CONFIRM if stdnum_iban.is_valid(value, check_country=False) else Validation.REJECT
    except ValidationError:
        return Validation.REJECT
    return Validation.CONFIRM


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


# -- US and UK identifiers ----------------------------------------------------------------
#: ITIN groups the IRS added in 2011 that python-stdnum's rule (70-88, 90-92, 94-99) does not list yet.
_ITIN_GROUPS_2011 = frozenset(f"{g}" for g in range(50, 66))


def validate_itin(value: str) -> Validation:
    """No check digit: the ITIN's area (9XX) and group (50-65, 70-88, 90-92, 94-99, as the IRS issues
    them: python-stdnum's rule, and the 50-65 range it lacks) give no opinion or a rejection."""
    number = digits(value)
    valid = itin.is_valid(number) or (len(number) == 9 and number[0] == "9" and number[3:5] in _ITIN_GROUPS_2011)
    return Validation.NO_OPINION if valid else Validation.REJECT


#: First two digits of a routing number the Federal Reserve assigns: 00-12 (banks), 21-32 (thrifts),
#: 61-72 (electronic), 80 (traveller's cheques).
_ROUTING_PREFIXES = frozenset({*range(0, 13), *range(21, 33), *range(61, 73), 80})


def validate_routing_number(value: str) -> Validation:
    """An ABA routing transit number: its prefix range and its 3-7-1 check digit (python-stdnum)."""
    number = digits(value)
    if len(number) != 9 or int(number[:2]) not in _ROUTING_PREFIXES:
        return Validation.REJECT
    return Validation.CONFIRM if rtn.is_valid(number) else Validation.REJECT


#: The NPI's check digit is the Luhn check digit of the number prefixed with 80840 (the ISO card issuer
#: prefix of US health, as the CMS standard says).
NPI_LUHN_PREFIX = "80840"


def validate_npi(value: str) -> Validation:
    """A National Provider Identifier: 10 digits starting 1 or 2, Luhn-valid after the 80840 prefix; nine
    repeated digits before the check digit are a dummy ("1111111112")."""
    number = digits(value)
    if len(number) != 10 or number[0] not in "12" or len(set(number[:-1])) == 1:
        return Validation.REJECT
    return Validation.CONFIRM if luhn.is_valid(NPI_LUHN_PREFIX + number) else Validation.REJECT


#: First letters of a DEA registration: the registrant type (A, B, F, G: practitioners of old and new
#: series; M: mid-level practitioners; P-U: distributors and manufacturers; X: opioid treatment ...).
DEA_REGISTRANT_TYPES = "ABCDEFGHJKLMPRSTUX"


def validate_dea(value: str) -> Validation:
    """A DEA registration number: a registrant type letter, the registrant's initial (or 9), six digits
    and a check digit.  python-stdnum has no module for it; the rule is the DEA's own: the last digit of
    (1st + 3rd + 5th digit) + 2 x (2nd + 4th + 6th digit)."""
    number = national_id(value)
    if (
        len(number) != 9
        or number[0] not in DEA_REGISTRANT_TYPES
        or not (number[1].isalpha() or number[1] == "9")
        or not number[2:].isdigit()
    ):
        return Validation.REJECT
    d = [int(c) for c in number[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return Validation.CONFIRM if check == d[6] else Validation.REJECT


#: The first two digits of an IMEI (its TAC's reporting body) that GSMA's reporting bodies use for phones:
#: 01 (PTCRB, North America), 30, 33, 35 (BABT and others), 44, 45, 49, 50-54, 86 (TAF, China), 91 (MSAI,
#: India), 98, 99 (GSMA).  No 15-digit payment card starts with one: American Express uses 34 and 37, JCB's
#: 15-digit cards 1800 and 2131, enRoute 2014 and 2149.
IMEI_REPORTING_BODIES = frozenset({"01", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54", "86", "91",
                                   "98", "99"})  # fmt: skip
#: Words that say a number is a device's IMEI (matched as :func:`piiscan.detectors.base.context_pattern` does).
IMEI_WORDS: tuple[str, ...] = (
    "imei", "imeisv", "imei number", "handset", "mobile device", "device serial", "phone serial", "device id",
    "equipment identity", "*#06#",
)  # fmt: skip


def is_imei(number: str, imei_context: bool, card_context: bool) -> bool:
    """Whether a Luhn-valid run of digits the card detector could read is a device's IMEI instead.

    15 digits: an IMEI word near it says so; without one, a reporting body of phones in its first two
    digits does, unless a card word is near ("card 356938035643809").  16 digits (an IMEISV has no check
    digit; one in ten passes Luhn): only an IMEI word near it and no card word.
    """
    if len(number) == 15 and luhn.is_valid(number):
        return imei_context or (not card_context and number[:2] in IMEI_REPORTING_BODIES)
    return len(number) == 16 and imei_context and not card_context


def validate_imei(value: str) -> Validation:
    """15 digits (an IMEI): Luhn-valid and not one repeated digit, else rejected; 16 digits (an IMEISV, no
    check digit): no opinion."""
    number = digits(value)
    if len(set(number)) == 1:
        return Validation.REJECT
    if len(number) == 16:
        return Validation.NO_OPINION
    return Validation.CONFIRM if len(number) == 15 and luhn.is_valid(number) else Validation.REJECT


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_LICENCE_SURNAME = re.compile(r"[A-Z]+9*")


def validate_uk_driving_licence(value: str) -> Validation:
    """A DVLA driving licence number (16 characters, no public check digit): no opinion when its parts
    hold, else rejected.

    * 1-5: the surname's first five letters, padded with 9s (letters, then only 9s);
    * 6 and 11: the decade and the year of birth;
    * 7-8: the month of birth, plus 50 for a woman (01-12, 51-62);
    * 9-10: the day of birth, which must exist in that month (29 February in a leap year: the century is
      not encoded, so a year that is a multiple of 4 passes);
    * 12-13: the initials, a 9 for none (a second initial only after a first);
    * 14: a digit; 15-16: two check letters.
    """
    number = national_id(value)
    if len(number) != 16 or not _LICENCE_SURNAME.fullmatch(number[:5]):
        return Validation.REJECT
    if not (number[5:11].isdigit() and number[13].isdigit() and number[14:].isalpha()):
        return Validation.REJECT
    month, day, year = int(number[6:8]) % 50, int(number[8:10]), int(number[5] + number[10])
    if int(number[6:8]) not in (*range(1, 13), *range(51, 63)) or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return Validation.REJECT
    if month == 2 and day == 29 and year % 4:
        return Validation.REJECT
    first, second = number[11], number[12]
    if not (first.isalpha() or first == "9") or not (second.isalpha() or second == "9") or (first == "9" != second):
        return Validation.REJECT
    return Validation.NO_OPINION
