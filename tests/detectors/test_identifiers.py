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
    # EU/EEA national identifiers (tests/detectors/test_eu_national_ids.py), EU VAT numbers, passport MRZ
    ("DE_TAX_ID", "Steuer-ID 36 574 261 809", None, "36 574 261 809", "36574261809"),
    ("FR_NIR", "NIR 2 85 06 75 123 456 39", None, "2 85 06 75 123 456 39", "285067512345639"),
    ("FR_NIF", "numéro fiscal 30 23 217 600 053", None, "30 23 217 600 053", "3023217600053"),
    ("ES_NIF", "DNI 54362315-K", None, "54362315-K", "54362315k"),
    ("ES_NIE", "NIE X-2482300-W", None, "X-2482300-W", "x2482300w"),
    ("IT_FISCAL_CODE", "codice fiscale RCCMNL83S18D969H", None, "RCCMNL83S18D969H", "rccmnl83s18d969h"),
    ("NL_BSN", "BSN 1112.22.333", None, "1112.22.333", "111 222 333"),
    ("BE_NATIONAL_NUMBER", "85.07.30-033.28", "rijksregisternummer", "85.07.30-033.28", "85073003328"),
    ("PL_PESEL", "PESEL 44051401359", None, "44051401359", " 44051401359 "),
    ("SE_PERSONNUMMER", "personnummer 880320-0016", None, "880320-0016", "19880320-0016"),
    ("FI_PERSONAL_IDENTITY_CODE", "hetu 131052-308T", None, "131052-308T", "131052-308t"),
    ("DK_CPR", "CPR 211062-5629", None, "211062-5629", "2110625629"),
    ("NO_FODSELSNUMMER", "fødselsnummer 151086 95088", None, "151086 95088", "15108695088"),
    ("AT_SOCIAL_SECURITY", "SV-Nr 1237 010180", None, "1237 010180", "1237010180"),
    ("IE_PPS", "PPS 6433435F", None, "6433435F", "6433435f"),
    ("PT_NIF", "NIF 123 456 789", None, "123 456 789", "123456789"),
    ("PT_CC", "cartão de cidadão 12345678 9 ZZ1", None, "12345678 9 ZZ1", "123456789zz1"),
    ("BG_EGN", "ЕГН 8032056031", None, "8032056031", "8032056031"),
    ("BG_PNF", "ЛНЧ 7111042925", None, "7111042925", "7111042925"),
    ("CZ_SK_BIRTH_NUMBER", "rodné číslo 710319/2745", None, "710319/2745", "7103192745"),
    ("EE_PERSONAL_CODE", "isikukood 36805280109", None, "36805280109", "36805280109"),
    ("LT_PERSONAL_CODE", "asmens kodas 33309240064", None, "33309240064", "33309240064"),
    ("LV_PERSONAL_CODE", "personas kods 161175-19997", None, "161175-19997", "16117519997"),
    ("HR_OIB", "OIB 33392005961", None, "33392005961", "33392005961"),
    ("RO_CNP", "CNP 1630615123457", None, "1630615123457", "1630615123457"),
    ("SI_EMSO", "EMŠO 0101006500006", None, "0101006500006", "0101006500006"),
    ("IS_KENNITALA", "kennitala 120174-3399", None, "120174-3399", "1201743399"),
    ("GR_AMKA", "ΑΜΚΑ 01013099997", None, "01013099997", "01013099997"),
    ("EU_VAT", "USt-IdNr. DE 136 695 976", None, "DE 136 695 976", "de136695976"),
    (
        "MRZ",
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
        None,
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<< L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ),
    ("US_ITIN", "ITIN 912-70-1234", None, "912-70-1234", "912 70 1234"),
    ("ABA_ROUTING_NUMBER", "routing number 0210-0002-1", None, "0210-0002-1", "021000021"),
    ("US_NPI", "NPI 1234 567 893", None, "1234 567 893", "1234567893"),
    ("MEDICAL_LICENSE", "DEA number AB1234563", None, "AB1234563", "ab1234563"),
    ("US_MBI", "Medicare 1EG4-TE5-MK73", None, "1EG4-TE5-MK73", "1eg4te5mk73"),
    ("US_PASSPORT", "passport A12345678", None, "A12345678", "a12345678"),
    ("US_BANK_NUMBER", "bank account 000123456789", None, "000123456789", " 000123456789"),
    ("UK_PASSPORT", "passport AB1234567", None, "AB1234567", "ab1234567"),
    ("UK_DRIVING_LICENCE", "driving licence MORGA753116SM9IJ", None, "MORGA753116SM9IJ", "morga 753116 sm9ij"),
    ("UK_VEHICLE_REGISTRATION", "registration AB51 ABC", None, "AB51 ABC", "ab51abc"),
    ("IMEI", "IMEI 35-209900-176148-1", None, "35-209900-176148-1", "352099001761481"),
    (
        "CRYPTO",
        "wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        None,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ),
    ("MAC_ADDRESS", "mac 00-1A-2B-3C-4D-5E", None, "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e"),
    (
        "URL",
        "see https://Example.com/users/jsmith",
        None,
        "https://Example.com/users/jsmith",
        "http://example.com:80/users/jsmith",
    ),
    ("DATE_TIME", "on 3 February 1962", None, "3 February 1962", "1962-02-03"),
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
