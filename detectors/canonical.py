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
* **EU/EEA national identifiers, EU VAT numbers** (:mod:`piiscan.detectors.identifiers.eu_national_ids`,
  :mod:`~piiscan.detectors.identifiers.eu_vat`): python-stdnum's ``compact()`` of the number
  ("1112.22.333" -> ``111222333``; a Swedish personnummer: its ten digits); VAT numbers with their
  country prefix.  **MRZ**: the zone's lines joined without separators.

The forms that are a plain function of the value (:data:`RULES`: e-mail, IBAN, card and national
numbers) are defined in :mod:`piiscan.detectors.identifier_rules`, below the detectors that apply
them, and are named here too; this module sits above the detectors, whose rules it asks.
"""

from __future__ import annotations

import functools

from piiscan.detectors.identifier_rules import RULES, digits, email, email_domain, iban, national_id
from piiscan.detectors.identifiers import normalise_value
from piiscan.detectors.identifiers.phone import PhoneDetector
from piiscan.detectors.settings import DetectorSettings

__all__ = ["RULES", "canonical_value", "digits", "email", "email_domain", "iban", "national_id", "phone"]


def phone(value: str, settings: DetectorSettings | None = None) -> str | None:
    """A whole value that is one phone number in E.164 (see the module docstring), else None."""
    settings = settings or DetectorSettings()
    return _phone_detector(settings.default_region, tuple(settings.phone_regions)).canonical(value)


@functools.lru_cache(maxsize=16)
def _phone_detector(default_region: str, regions: tuple[str, ...]) -> PhoneDetector:
    """One detector per region setting: its readings are cached."""
    return PhoneDetector(DetectorSettings(default_region=default_region, phone_regions=regions))


def canonical_value(entity_type: str, value: str, settings: DetectorSettings) -> str | None:
    """The canonical form of a whole value someone typed (a lookup, an erasure, an allow-list term), checked
    the way detection checks it; None when it is not one ``entity_type`` identifier (or the type is unknown).

    ``"LuisG@Embraer.com.br"`` -> ``"luisg@embraer.com.br"``; national ``"07700 900123"`` (region GB) ->
    ``"+447700900123"``, as are ``"+44 7700 900123"``, ``"0044 7700 900123"`` and ``"(07700) 900-123"``.
    """
    return normalise_value(entity_type, value, settings)
