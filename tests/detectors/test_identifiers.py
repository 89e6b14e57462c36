import pytest

from piiscan.detectors.identifiers import (
    IDENTIFIER_ENTITIES,
    LINKABLE_ENTITIES,
    build_identifier_detectors,
    normalise_value,
)
from piiscan.detectors.settings import DetectorSettings

GB = DetectorSettings()
GB_US = DetectorSettings(phone_regions=("GB", "US"))
GB_ONLY = DetectorSettings(phone_regions=("GB",))

#: (entity, text to detect in, field, raw value inside the text, a differently written lookup value)
SAMPLES = [
    ("EMAIL_ADDRESS", "mail Alice@Example.com now", None, "Alice@Example.com", " alice@EXAMPLE.com "),
    ("PHONE_NUMBER", "tel 020 7946 0958", None, "020 7946 0958", "+44 (0)20 7946 0958"),
    ("CREDIT_CARD", "card 4111-1111-1111-1111", None, "4111-1111-1111-1111", "4111 1111 1111 1111"),
    ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32", None, "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432"),
    ("UK_NINO", "NINO AB 12 34 56 C", None, "AB 12 34 56 C", "ab123456c"),
    ("UK_NHS", "NHS 943 476 5919", None, "943 476 5919", "943-476-5919"),
    ("US_SSN", "SSN 123-45-6789", None, "123-45-6789", "123 45 6789"),
    ("IP_ADDRESS", "from 2001:0db8::0001", None, "2001:0db8::0001", "2001:DB8:0:0:0:0:0:1"),
    ("DATE_OF_BIRTH", "born 3 February 1962", None, "3 February 1962", "1962-02-03 00:00:00"),
    ("UK_POSTCODE", "SW1A 1AA", "address", "SW1A 1AA", "sw1a1aa"),
    ("POSTAL_CODE", "zip code 90010-170", None, "90010-170", " 90010-170"),
    ("US_DRIVER_LICENSE", "driver's license F1628-2354", None, "F1628-2354", "f16282354"),
]


def test_build_all_in_stable_order() -> None:
    detectors = build_identifier_detectors(GB)
    # identifiers, then the address, place-name and town (LOCATION) and name-list (PERSON) recognizers
    assert tuple(d.entity for d in detectors) == (*IDENTIFIER_ENTITIES, "LOCATION", "LOCATION", "LOCATION", "PERSON")
    assert len({d.name for d in detectors}) == len(detectors)
    assert all(d.version for d in detectors)
    assert [d.name for d in build_identifier_detectors(GB)] == [d.name for d in detectors]
    assert set(LINKABLE_ENTITIES) <= set(IDENTIFIER_ENTITIES)
    assert {e for e, *_ in SAMPLES} == set(IDENTIFIER_ENTITIES)


def test_build_respects_wanted_entities_and_threshold() -> None:
    settings = DetectorSettings(entities=("PHONE_NUMBER", "US_SSN", "PERSON"), score_threshold=0.8)
    detectors = build_identifier_detectors(settings)
    assert [d.entity for d in detectors] == ["US_SSN", "PHONE_NUMBER", "PERSON"]
    assert [d.threshold for d in detectors] == [0.8, 0.8, settings.ner_threshold]
    assert list(detectors[0].find("123-45-6789")) == []  # 0.5 without context


def test_dob_day_first_from_settings() -> None:
    settings = DetectorSettings(entities=("DATE_OF_BIRTH",), extra={"dob_day_first": False})
    (detector,) = build_identifier_detectors(settings)
    assert [m.normalised for m in detector.find("DOB 03/02/2001")] == ["2001-03-02"]
    assert normalise_value("DATE_OF_BIRTH", "03/02/2001", settings) == "2001-03-02"


@pytest.mark.parametrize(("entity", "text", "field", "raw", "lookup"), SAMPLES)
def test_lookup_normalises_like_detection(entity: str, text: str, field: str | None, raw: str, lookup: str) -> None:
    (detector,) = build_identifier_detectors(DetectorSettings(entities=(entity,)))
    (match,) = detector.find(text, field=field)
    assert text[match.start : match.end] == raw
    assert normalise_value(entity, raw, GB) == match.normalised
    assert normalise_value(entity, lookup, GB) == match.normalised
    assert normalise_value(entity, match.normalised, GB) == match.normalised  # idempotent


@pytest.mark.parametrize(("entity", "text", "field", "raw", "lookup"), SAMPLES)
def test_preview_never_holds_the_value(entity: str, text: str, field: str | None, raw: str, lookup: str) -> None:
    (detector,) = build_identifier_detectors(DetectorSettings(entities=(entity,)))
    (match,) = detector.find(text, field=field)
    squeezed = match.preview.replace(" ", "").casefold()
    assert "*" in match.preview
    assert raw.casefold() not in match.preview.casefold()
    assert match.normalised.replace(" ", "").casefold() not in squeezed


@pytest.mark.parametrize(
    ("entity", "value", "settings", "expected"),
    [
        ("EMAIL_ADDRESS", "LuisG@Embraer.com.br", GB, "luisg@embraer.com.br"),
        ("PHONE_NUMBER", "+55 (12) 3923-5555", GB, "+551239235555"),
        ("PHONE_NUMBER", "020 7946 0958", GB, "+442079460958"),
        ("PHONE_NUMBER", "(212) 555-0123", GB, "+12125550123"),  # US is among the default regions
        ("PHONE_NUMBER", "(212) 555-0123", GB_ONLY, "+442125550123"),  # invalid in GB, read loosely as GB
        ("PHONE_NUMBER", "phone 020 7946 0958", GB, None),
        ("PHONE_NUMBER", "(212) 555-0123", GB_US, "+12125550123"),
        ("PERSON", "  Alice   SMITH ", GB, "alice smith"),
        ("LOCATION", "New\tYork", GB, "new york"),
        ("EMAIL_ADDRESS", "user@localhost", GB, None),
        ("EMAIL_ADDRESS", "write to alice@example.com", GB, None),  # must be the whole value
        ("CREDIT_CARD", "4111 1111 1111 1112", GB, None),
        ("IBAN_CODE", "GB82 WEST 1234 5698 7654 33", GB, None),
        ("UK_NHS", "943 476 5918", GB, None),
        ("US_SSN", "666-12-3456", GB, None),
        ("UK_NINO", "QQ 12 34 56 C", GB, None),
        ("IP_ADDRESS", "999.1.1.1", GB, None),
        ("DATE_OF_BIRTH", "31/02/2001", GB, None),
        ("NOT_A_TYPE", "x", GB, None),
    ],
)
def test_normalise_value(entity: str, value: str, settings: DetectorSettings, expected: str | None) -> None:
    assert normalise_value(entity, value, settings) == expected
