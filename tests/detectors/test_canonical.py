"""One canonical form per identifier (detectors/canonical.py): every written form of one identifier gives
one value, for a whole value typed into a lookup and for a match found in text alike; other identifiers
and non-identifiers do not."""

import pytest

from piiscan.detectors import canonical
from piiscan.detectors.canonical import canonical_value
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.settings import DetectorSettings

GB = DetectorSettings(default_region="GB")
ENGINE = DetectionEngine(DetectorSettings(default_region="GB", ner=False))

#: (entity type, canonical form, written forms that must all give it)
SAME = [
    # the Ofcom drama mobile range: invalid for GB in phonenumbers, valid for DE, and still British
    ("PHONE_NUMBER", "+447700900000", ["07700 900000", "+44 7700 900000", "0044 7700 900000", "07700900000"]),
    ("PHONE_NUMBER", "+447700900999", ["07700 900999", "+447700900999", "(07700) 900-999", "+44 (0)7700 900999"]),
    ("PHONE_NUMBER", "+447700902977", ["07700 902977", "+44 7700 902977", "0044 7700 902977", "(07700) 902-977"]),
    ("PHONE_NUMBER", "+442079460123", ["020 7946 0123", "+44 20 7946 0123", "(020) 7946 0123", "02079460123"]),
    ("PHONE_NUMBER", "+441614960555", ["0161 496 0555", "+44 161 496 0555", "0044 161 496 0555", "(0161) 496-0555"]),
    # a German number that is not a possible British one: the fallback, by its own national format
    ("PHONE_NUMBER", "+49301234567", ["030 1234567", "+49 30 1234567", "0049 30 1234567"]),
    ("EMAIL_ADDRESS", "alice.smith@example.com", ["alice.smith@example.com", "Alice.Smith@EXAMPLE.COM"]),
    ("EMAIL_ADDRESS", "jörg@xn--bcher-kva.de", ["jörg@bücher.de", "JÖRG@BÜCHER.DE", "jörg@xn--bcher-kva.de"]),
    ("EMAIL_ADDRESS", "émile@example.com", ["\u00e9mile@example.com", "e\u0301mile@example.com", "ÉMILE@example.com"]),
    ("EMAIL_ADDRESS", "ivan@xn--e1afmkfd.xn--p1ai", ["ivan@пример.рф", "Ivan@ПРИМЕР.РФ"]),
    ("IBAN_CODE", "GB82WEST12345698765432", ["GB82 WEST 1234 5698 7654 32", "gb82west12345698765432"]),
    ("CREDIT_CARD", "4111111111111111", ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111"]),
    ("UK_NINO", "AB123456C", ["AB123456C", "AB 12 34 56 C", "ab 12 34 56 c"]),
    ("UK_NHS", "9434765919", ["9434765919", "943 476 5919"]),
    ("US_SSN", "536906789", ["536-90-6789", "536 90 6789"]),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "expected", "forms"), SAME, ids=[f"{e}-{c}" for e, c, _ in SAME])
def test_every_written_form_gives_one_canonical_value(entity: str, expected: str, forms: list[str]) -> None:
    assert {form: canonical_value(entity, form, GB) for form in forms} == dict.fromkeys(forms, expected)


#: (entity type, words before, the identifier as written, its canonical form): what a scan hashes is what a
#: lookup by the same written form hashes
FOUND = [
    ("PHONE_NUMBER", "mobile: ", "07700 902977", "+447700902977"),
    ("PHONE_NUMBER", "call ", "+44 7700 900123", "+447700900123"),
    ("PHONE_NUMBER", "call ", "(07700) 900-123", "+447700900123"),
    ("PHONE_NUMBER", "tel ", "020 7946 0958", "+442079460958"),
    ("PHONE_NUMBER", "Leeds ", "0161 496 0123", "+441614960123"),
    ("PHONE_NUMBER", "Berlin office ", "030 1234567", "+49301234567"),
    ("PHONE_NUMBER", "Paris ", "06 12 34 56 78", "+33612345678"),  # grouped as France writes it: French
    ("EMAIL_ADDRESS", "mail ", "Alice.Smith@Example.COM", "alice.smith@example.com"),
    ("EMAIL_ADDRESS", "write to ", "jörg@xn--BCHER-kva.de", "jörg@xn--bcher-kva.de"),
    ("IBAN_CODE", "IBAN ", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
    ("CREDIT_CARD", "card ", "4111-1111-1111-1111", "4111111111111111"),
    ("UK_NINO", "NI number ", "HK 45 52 76 B", "HK455276B"),  # AB123456C is filtered: HMRC's example
]  # fmt: skip


@pytest.mark.parametrize(("entity", "before", "value", "expected"), FOUND, ids=[v for _, _, v, _ in FOUND])
def test_a_scan_finds_the_canonical_value(entity: str, before: str, value: str, expected: str) -> None:
    table = ENGINE.detect_texts([f"{before}{value} today"])
    pairs = zip(table["entity_type"].to_pylist(), table["normalised"].to_pylist(), strict=True)
    assert [n for e, n in pairs if e == entity] == [expected]
    assert canonical_value(entity, value, GB) == expected


def test_only_the_key_of_a_drama_number_changed_not_its_score() -> None:
    """Alone in text, "07700 900123" scores as it did (valid in DE, grouped as DE writes it: 0.75), but is
    keyed in GB; a GB-only configuration and the "+44" form (invalid for GB) need a context word."""
    gb_only = DetectionEngine(DetectorSettings(default_region="GB", phone_regions=("GB",), ner=False))
    table = ENGINE.detect_texts(["see 07700 900123 today"])
    assert table.select(["normalised", "score"]).to_pylist() == [{"normalised": "+447700900123", "score": 0.75}]
    assert gb_only.detect_texts(["see 07700 900123 today"]).num_rows == 0
    assert ENGINE.detect_texts(["see +44 7700 900123 today"]).num_rows == 0


#: different identifiers stay apart; a value that is no identifier has no canonical form
DIFFERENT = [
    ("PHONE_NUMBER", "07700 900123", "07700 900124"),
    ("PHONE_NUMBER", "+447700900123", "+497700900123"),  # the same digits in two countries
    ("PHONE_NUMBER", "020 7946 0123", "+33 20 7946 0123"),
    ("EMAIL_ADDRESS", "alice@example.com", "alice@example.org"),
    ("EMAIL_ADDRESS", "jörg@bücher.de", "jorg@bucher.de"),  # an accent is a different mailbox and domain
    ("IBAN_CODE", "GB82WEST12345698765432", "GB33BUKB20201555555555"),
    ("UK_NINO", "AB123456C", "AB123456D"),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "a", "b"), DIFFERENT, ids=[f"{a}|{b}" for _, a, b in DIFFERENT])
def test_different_identifiers_stay_apart(entity: str, a: str, b: str) -> None:
    ca, cb = canonical_value(entity, a, GB), canonical_value(entity, b, GB)
    assert ca is not None and cb is not None
    assert ca != cb


@pytest.mark.parametrize(
    ("entity", "value"),
    [
        ("PHONE_NUMBER", "hello"),
        ("PHONE_NUMBER", "12345"),
        ("PHONE_NUMBER", "call 07700 900123"),  # not a whole value
        ("PHONE_NUMBER", "1234567890123456"),
        ("EMAIL_ADDRESS", "alice"),
        ("EMAIL_ADDRESS", "alice@localhost"),
        ("EMAIL_ADDRESS", "a@@example.com"),
        ("EMAIL_ADDRESS", "alice@"),
        ("IBAN_CODE", "GB00WEST12345698765432"),  # bad check digits
        ("CREDIT_CARD", "4111111111111112"),  # fails Luhn
        ("UK_NINO", "QQ123456C"),  # no such prefix
        ("NOT_A_TYPE", "anything"),
    ],
)
def test_not_an_identifier(entity: str, value: str) -> None:
    assert canonical_value(entity, value, GB) is None


def test_the_default_region_decides_a_national_number() -> None:
    """The same national digits are British in a GB estate and German in a DE one; international forms
    are the same everywhere."""
    de = DetectorSettings(default_region="DE")
    assert canonical_value("PHONE_NUMBER", "07700 900123", GB) == "+447700900123"
    assert canonical_value("PHONE_NUMBER", "07700 900123", de) == "+497700900123"
    assert canonical_value("PHONE_NUMBER", "+44 7700 900123", de) == "+447700900123"
    assert canonical.phone("07700 900123", GB) == "+447700900123"


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (canonical.email, "  Bob@Example.Org ", "bob@example.org"),
        (canonical.email, "straße@example.com", "strasse@example.com"),  # case-folded, as before
        (canonical.email, "x@bücher.de.", "x@xn--bcher-kva.de"),  # a trailing root dot is dropped
        (canonical.email_domain, "EXAMPLE.com", "example.com"),
        (canonical.email_domain, "under_score.ü.example", "under_score.ü.example"),  # no IDNA name: case-folded
        (canonical.iban, "de89 3704-0044 0532 0130 00", "DE89370400440532013000"),
        (canonical.digits, "4111 1111-1111.1111", "4111111111111111"),
        (canonical.national_id, "ab-12-34-56-c", "AB123456C"),
        (canonical.national_id, "D123 4567 8901", "D12345678901"),
    ],
)
def test_rules(function, value: str, expected: str) -> None:
    assert function(value) == expected
