"""Validated identifier detectors, one module each, and the lookup normaliser.

Every detector here is regex- or library-based and cheap enough to run over
all text; PERSON and LOCATION come from NER (:mod:`piiscan.detectors.nlp`).
"""

from __future__ import annotations

from piiscan.detectors.address import AddressDetector, PlaceNameDetector
from piiscan.detectors.base import Detector, mask_middle
from piiscan.detectors.custom import canonical_custom_value, mask_custom_value
from piiscan.detectors.identifiers.aba_routing import AbaRoutingDetector
from piiscan.detectors.identifiers.credit_card import CreditCardDetector
from piiscan.detectors.identifiers.crypto import CryptoDetector
from piiscan.detectors.identifiers.date_of_birth import DateOfBirthDetector, normalise_date_of_birth
from piiscan.detectors.identifiers.date_time import DateTimeDetector
from piiscan.detectors.identifiers.email import EmailDetector
from piiscan.detectors.identifiers.eu_national_ids import NATIONAL_ID_DETECTORS
from piiscan.detectors.identifiers.eu_vat import EuVatDetector
from piiscan.detectors.identifiers.iban import IbanDetector
from piiscan.detectors.identifiers.imei import ImeiDetector
from piiscan.detectors.identifiers.ip_address import IpAddressDetector
from piiscan.detectors.identifiers.mac_address import MacAddressDetector
from piiscan.detectors.identifiers.medical_license import MedicalLicenseDetector
from piiscan.detectors.identifiers.mrz import MrzDetector
from piiscan.detectors.identifiers.phone import PhoneDetector
from piiscan.detectors.identifiers.postal_code import PostalCodeDetector
from piiscan.detectors.identifiers.uk_driving_licence import UkDrivingLicenceDetector
from piiscan.detectors.identifiers.uk_nhs import UkNhsDetector
from piiscan.detectors.identifiers.uk_nino import UkNinoDetector
from piiscan.detectors.identifiers.uk_passport import UkPassportDetector
from piiscan.detectors.identifiers.uk_postcode import UkPostcodeDetector
from piiscan.detectors.identifiers.uk_vehicle_registration import UkVehicleRegistrationDetector
from piiscan.detectors.identifiers.url import UrlDetector
from piiscan.detectors.identifiers.us_bank_number import UsBankNumberDetector
from piiscan.detectors.identifiers.us_driver_license import UsDriverLicenseDetector
from piiscan.detectors.identifiers.us_itin import UsItinDetector
from piiscan.detectors.identifiers.us_mbi import UsMbiDetector
from piiscan.detectors.identifiers.us_npi import UsNpiDetector
from piiscan.detectors.identifiers.us_passport import UsPassportDetector
from piiscan.detectors.identifiers.us_ssn import UsSsnDetector
from piiscan.detectors.names import NameDetector
from piiscan.detectors.nlp import normalise_name
from piiscan.detectors.settings import DetectorSettings
from piiscan.detectors.towns import TownDetector

__all__ = [
    "IDENTIFIER_ENTITIES",
    "LINKABLE_ENTITIES",
    "build_identifier_detectors",
    "mask_value",
    "normalise_date_of_birth",
    "normalise_value",
]

#: Detector classes in report order (most specific first, so a checksum-backed
#: match is listed before a looser shape over the same digits).
_DETECTORS: tuple[type[Detector], ...] = (
    EmailDetector,
    CreditCardDetector,
    ImeiDetector,
    IbanDetector,
    CryptoDetector,
    UkNhsDetector,
    UkNinoDetector,
    UsSsnDetector,
    *NATIONAL_ID_DETECTORS,  # EU/EEA national identifiers, one per row of their table
    EuVatDetector,
    MrzDetector,
    UsItinDetector,
    AbaRoutingDetector,
    UsNpiDetector,
    MedicalLicenseDetector,
    UsMbiDetector,
    UkDrivingLicenceDetector,
    PhoneDetector,
    IpAddressDetector,
    MacAddressDetector,
    UrlDetector,
    DateOfBirthDetector,
    DateTimeDetector,
    UkPostcodeDetector,
    PostalCodeDetector,
    UsDriverLicenseDetector,
    UkPassportDetector,
    UsPassportDetector,
    UkVehicleRegistrationDetector,
    UsBankNumberDetector,
)
IDENTIFIER_ENTITIES: tuple[str, ...] = tuple(d.entity for d in _DETECTORS)
#: entity types specific enough to one person to link records by (used for --linked).  A wallet address
#: (CRYPTO) is one owner's, like an account number; an IP or MAC address is a device's (shared, reassigned,
#: randomised), a URL mostly a site's, and a date (DATE_TIME, DATE_OF_BIRTH) is shared by many people.
LINKABLE_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "UK_NINO", "UK_NHS", "US_SSN", "CRYPTO",
    *(d.entity for d in NATIONAL_ID_DETECTORS), "MRZ",
    "US_ITIN", "US_MBI", "UK_PASSPORT", "US_PASSPORT", "UK_DRIVING_LICENCE",
)  # fmt: skip
#: NER entity types: normalised like :func:`piiscan.detectors.nlp.normalise_name`.
_NAME_ENTITIES = ("PERSON", "LOCATION")


#: Rule recognizers for the NER entity types (built with settings.ner_threshold).
_NAME_RECOGNIZERS: tuple[type[Detector], ...] = (AddressDetector, PlaceNameDetector, TownDetector, NameDetector)


def build_identifier_detectors(settings: DetectorSettings) -> list[Detector]:
    """All pattern detectors enabled by settings (settings.wants(entity)), in a stable order.

    The identifier detectors, then (when ``settings.ner``: PERSON and LOCATION
    wanted in free text) the street-address and name-list recognizers, the rules
    that work beside the NER model.  Each is built by its class's ``from_settings``.
    The quasi-identifiers of free text (``free_text_only``: DATE_TIME) are built only with
    ``settings.ner`` too: an identifier-only scan looks for identifiers.
    """
    classes: tuple[type[Detector], ...]
    if settings.ner:
        classes = (*_DETECTORS, *_NAME_RECOGNIZERS)
    else:
        classes = tuple(c for c in _DETECTORS if not c.free_text_only)
    return [cls.from_settings(settings) for cls in classes if settings.wants(cls.entity)]


def normalise_value(entity_type: str, value: str, settings: DetectorSettings) -> str | None:
    """Normalise a user-supplied identifier (for lookups) the same way detection does; None if invalid.

    The canonical forms are defined in :mod:`piiscan.detectors.canonical` (its ``canonical_value`` is this);
    each detector's ``canonical`` checks the whole value and applies them.

    The whole value must be one identifier: ``"LuisG@Embraer.com.br"`` ->
    ``"luisg@embraer.com.br"``, national ``"020 7946 0958"`` (region GB) ->
    ``"+442079460958"``.  Unknown entity types give None.
    """
    if entity_type in _NAME_ENTITIES:
        return normalise_name(value) or None
    cls = next((c for c in _DETECTORS if c.entity == entity_type), None)
    if cls is None:  # the organisation's own identifiers ([[detectors.custom]])
        return canonical_custom_value(entity_type, value, settings)
    return cls.from_settings(settings).canonical(value)


def mask_value(entity_type: str, normalised: str, settings: DetectorSettings) -> str:
    """The masked preview of a normalised value, as the index shows it (for echoing queries)."""
    cls = next((c for c in _DETECTORS if c.entity == entity_type), None)
    if cls is None:
        return mask_custom_value(entity_type, normalised, settings) or mask_middle(normalised)
    return cls.from_settings(settings).mask(normalised)
