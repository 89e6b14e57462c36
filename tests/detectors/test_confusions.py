"""Confusions between identifier types, fixed by their cause, through the whole engine (no NER):
what each text is reported as, after overlaps are resolved and the false-positive filters ran."""

import pyarrow as pa
import pytest

from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.settings import DetectorSettings

ENGINE = DetectionEngine(DetectorSettings(ner=False))


def reported(text: str) -> list[tuple[str, str]]:
    table = ENGINE.detect_texts([text])
    return [(text[r["start"] : r["end"]], r["entity_type"]) for r in table.to_pylist()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # SSN shape vs a loose phone parse: 3-2-4 is how SSNs and ITINs are printed, not phone numbers
        ("Employee 078-05-1123 joined.", [("078-05-1123", "US_SSN")]),
        ("id 078 05 1123 on file", [("078 05 1123", "US_SSN")]),
        ("Employee 912-70-1234 joined.", [("912-70-1234", "US_ITIN")]),
        ("Call me on 078-05-1123", [("078-05-1123", "PHONE_NUMBER")]),  # a phone word says phone
        ("Employee 212-555-0123 joined.", [("212-555-0123", "PHONE_NUMBER")]),  # 3-3-4: a US number
        # 15 Luhn-valid digits: an IMEI, not a card, when an IMEI word or a phone TAC says so
        ("The IMEI of my phone is 490154203237518.", [("490154203237518", "IMEI")]),
        ("Device 356938035643809 reported stolen.", [("356938035643809", "IMEI")]),
        ("Amex 378282246310005", [("378282246310005", "CREDIT_CARD")]),
        ("card 356938035643809", [("356938035643809", "CREDIT_CARD")]),
        # NINO with spaces (and dashes); HMRC's example digits 123456 stay a placeholder (filter)
        ("National insurance number JG 10 37 59 A is on file", [("JG 10 37 59 A", "UK_NINO")]),
        ("NI number: HK-45-52-76-B", [("HK-45-52-76-B", "UK_NINO")]),
        ("NINO AB 12 34 57 C", [("AB 12 34 57 C", "UK_NINO")]),
        # IBANs with dashes or spaces in any grouping, and Belgian ones
        ("Account: BE68 5390 0754 7034", [("BE68 5390 0754 7034", "IBAN_CODE")]),
        ("IBAN BE68539007547034.", [("BE68539007547034", "IBAN_CODE")]),
        ("IBAN: DE89-3704-0044-0532-0130-00", [("DE89-3704-0044-0532-0130-00", "IBAN_CODE")]),
        ("IBAN DE89 37040044 0532013000 paid", [("DE89 37040044 0532013000", "IBAN_CODE")]),
        ("IBAN GB82-WEST-1234-5698-7654-32", [("GB82-WEST-1234-5698-7654-32", "IBAN_CODE")]),
        ("IBAN GB82 WEST 1234 5698 7654 32 AND MORE", [("GB82 WEST 1234 5698 7654 32", "IBAN_CODE")]),
        ("iban: gb82 west 1234 5698 7654 32", [("gb82 west 1234 5698 7654 32", "IBAN_CODE")]),
        ("IBAN BE68 5390 0754 7035", []),  # mod-97 fails
        ("IBAN BE69 5390 0754 7034", []),
        # a card written three ways, and followed by a short number
        (
            "Card 4111 1111 1111 1111, also 4111-1111-1111-1111 and 4111111111111111.",
            [("4111 1111 1111 1111", "CREDIT_CARD"), ("4111-1111-1111-1111", "CREDIT_CARD"),
             ("4111111111111111", "CREDIT_CARD")],
        ),
        (
            "1) 5500 0000 0000 0004 2) 5500-0000-0000-0004 3) 5500000000000004",
            [("5500 0000 0000 0004", "CREDIT_CARD"), ("5500-0000-0000-0004", "CREDIT_CARD"),
             ("5500000000000004", "CREDIT_CARD")],
        ),
    ],
)  # fmt: skip
def test_reported_as(text: str, expected: list[tuple[str, str]]) -> None:
    assert reported(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Name,NHS Number,DOB\nJane Doe,943 476 5919,x\nJohn Roe,401 023 2137,y",
            [("943 476 5919", "UK_NHS"), ("401 023 2137", "UK_NHS")],
        ),
        ("| Name | SSN |\n|---|---|\n| Ann | 536221234 |\n| Bob | 536-22-1235 |",
         [("536221234", "US_SSN"), ("536-22-1235", "US_SSN")]),
        ("Name\tIMEI\nAnn\t123456789012347", [("123456789012347", "IMEI")]),
    ],
)  # fmt: skip
def test_a_text_table_header_names_bare_values(text: str, expected: list[tuple[str, str]]) -> None:
    assert reported(text) == expected


def test_a_column_name_names_bare_values() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "NHS Number": ["943 476 5919", "4010232137"],
            "SSN": ["536221234", "536-22-1235"],
            "imei": ["123456789012347", "490154203237518"],
            "routing_number": ["021000021", "011000015"],
        }
    )
    table = ENGINE.detect_table(batch, batch.schema.names)
    found = {(r["field"], r["row"]): r["entity_type"] for r in table.to_pylist()}
    assert found == {
        ("NHS Number", 0): "UK_NHS", ("NHS Number", 1): "UK_NHS",
        ("SSN", 0): "US_SSN", ("SSN", 1): "US_SSN",
        ("imei", 0): "IMEI", ("imei", 1): "IMEI",
        ("routing_number", 0): "ABA_ROUTING_NUMBER", ("routing_number", 1): "ABA_ROUTING_NUMBER",
    }  # fmt: skip
