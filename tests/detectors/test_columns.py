"""Column classification (name + sampled values) and vectorised extraction."""

from __future__ import annotations

import datetime
import sqlite3
from contextlib import closing

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from piiscan.detectors.base import Detector, Match, Validation, match_schema
from piiscan.detectors.columns import (
    ColumnPlan,
    classify_column,
    extract_columns,
    name_tokens,
    resolve_overlaps,
)
from piiscan.detectors.identifiers import build_identifier_detectors
from piiscan.detectors.identifiers.email import EmailDetector
from piiscan.detectors.nlp import NerDetector
from piiscan.detectors.settings import DetectorSettings
from tests.conftest import shared_dataset

SETTINGS = DetectorSettings()


class CountingEmail(EmailDetector):
    """Counts validate() calls, to prove work happens once per distinct value."""

    calls = 0

    def validate(self, value: str) -> Validation:
        type(self).calls += 1
        return super().validate(value)


def detectors() -> list[Detector]:
    return build_identifier_detectors(SETTINGS)


# -- names -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "tokens"),
    [
        ("email", ("email",)),
        ("e_mail", ("e", "mail")),
        ("EMail", ("e", "mail")),
        ("$.contact.email", ("email",)),
        ("$.contacts[0].Phone", ("phone",)),
        ("FirstName", ("first", "name")),
        ("date_of_birth", ("date", "of", "birth")),
        ("BirthDate", ("birth", "date")),
        ("AddressLine1", ("address", "line", "1")),
        ("NINumber", ("ni", "number")),
        ("customer-name", ("customer", "name")),
    ],
)
def test_name_tokens(column: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(column) == tokens


# -- classification ----------------------------------------------------------------
EMAILS = [f"user{i}@example.com" for i in range(10)]
PHONES = [f"020 7946 {i:04d}" for i in range(10)]
DATES = [f"19{60 + i}-0{1 + i % 9}-1{i}" for i in range(10)]
NAMES = ["Alice Smith", "Bob Jones", "Carol de la Cruz", "Dev Patel", "Eve O'Neil"] * 2
WORDS = ["Rock", "Jazz", "Metal", "Blues", "Latin", "Pop", "Soul", "Reggae", "Punk", "Folk"]
NOTES = ["Customer called about a late delivery to her home", "Refund issued after the complaint was upheld"] * 5


@pytest.mark.parametrize(
    ("column", "values", "kind", "entity"),
    [
        # the name says it and the values agree
        ("email", EMAILS, "identifier", "EMAIL_ADDRESS"),
        ("E_Mail", EMAILS[:4] + ["n/a"] * 6, "identifier", "EMAIL_ADDRESS"),  # 40% is enough with the name
        ("Phone", PHONES, "identifier", "PHONE_NUMBER"),
        ("fax", PHONES, "identifier", "PHONE_NUMBER"),
        ("PostalCode", ["SW1V 3EN", "WC2H 9JQ", "T6G 2C7", "2010", "14700"], "identifier", "UK_POSTCODE"),
        ("zip", ["90210", "10001", "60601"], "identifier", "POSTAL_CODE"),  # not UK postcodes
        ("NINumber", ["AB 12 34 56 C", "JG103759A"], "identifier", "UK_NINO"),
        ("nhs_no", ["943 476 5919", "9434765870"], "identifier", "UK_NHS"),
        ("iban", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"], "identifier", "IBAN_CODE"),
        ("card_number", ["4111 1111 1111 1111", "5500005555555559"], "identifier", "CREDIT_CARD"),
        ("ssn", ["536-90-4399", "536-90-4400"], "identifier", "US_SSN"),
        # values alone decide when the name says nothing (or something else)
        ("contact", EMAILS, "identifier", "EMAIL_ADDRESS"),
        ("col7", PHONES[:7] + ["x"] * 3, "identifier", "PHONE_NUMBER"),
        ("col7", PHONES[:5] + ["x"] * 5, "mixed", None),  # 50% without a name hint is not enough
        ("address", EMAILS, "identifier", "EMAIL_ADDRESS"),
        # dates of birth need the name; a date column with another name identifies no one
        ("dob", DATES, "date_of_birth", "DATE_OF_BIRTH"),
        ("BirthDate", DATES, "date_of_birth", "DATE_OF_BIRTH"),
        ("BirthDate", ["1962-02-18 00:00:00", "1958-12-08 00:00:00"], "date_of_birth", "DATE_OF_BIRTH"),
        ("hire_date", DATES, "mixed", None),
        # people and places from the name
        ("FirstName", ["Alice", "Bob", "Carol"], "name", "PERSON"),
        ("surname", ["Smith", "Jones"], "name", "PERSON"),
        ("contact_name", NAMES, "name", "PERSON"),
        ("name", NAMES, "name", "PERSON"),  # bare "name": values look like people
        ("name", WORDS, "mixed", None),  # bare "name" of genres, tracks, products...
        ("company_name", NAMES, "mixed", None),
        ("address_line_1", ["1 High Street", "22 Acacia Avenue"], "location", "LOCATION"),
        ("BillingCity", ["Leeds", "York"], "location", "LOCATION"),
        ("email_address", ["not an email"] * 3, "mixed", None),
        ("ip_address", ["81.2.69.160"] * 3, "identifier", "IP_ADDRESS"),
        # free text by name or by shape
        ("notes", ["ok", "call back"], "free_text", None),
        ("feedback", NOTES, "free_text", None),
        ("status", ["open", "closed"], "mixed", None),
        ("empty", [None, None, "  "], "skip", None),
    ],
)
def test_classify_column(column: str, values: list[str | None], kind: str, entity: str | None) -> None:
    plan = classify_column(column, pa.array(values, pa.string()), detectors(), SETTINGS)
    assert (plan.kind, plan.entity) == (kind, entity)


def test_classify_typed_columns() -> None:
    dates = pa.array([datetime.date(1980, 1, 2), datetime.date(1975, 3, 4)], pa.date32())
    assert classify_column("BirthDate", dates, detectors(), SETTINGS).kind == "date_of_birth"
    assert classify_column("created", dates, detectors(), SETTINGS) == ColumnPlan("skip", reason="type")
    assert classify_column("photo", pa.array([b"\x00"], pa.binary()), detectors(), SETTINGS).kind == "skip"
    assert classify_column("CustomerId", pa.array([1, 2, 3]), detectors(), SETTINGS).kind == "mixed"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            "Employee",
            {"FirstName": "name", "LastName": "name", "BirthDate": "date_of_birth", "HireDate": "mixed",
             "Address": "location", "City": "location", "Phone": "identifier", "Fax": "identifier",
             "Email": "identifier", "Title": "mixed", "EmployeeId": "mixed"},
        ),
        ("Customer", {"Company": "mixed", "PostalCode": "identifier", "Country": "mixed", "Email": "identifier"}),
        ("Invoice", {"BillingAddress": "location", "BillingCity": "location", "InvoiceDate": "mixed"}),
        ("Artist", {"Name": "mixed"}),
        ("Track", {"Name": "mixed", "Composer": "mixed"}),
    ],
)  # fmt: skip
def test_classify_chinook(table: str, expected: dict[str, str]) -> None:
    chinook = shared_dataset("chinook", "Chinook_Sqlite.sqlite")
    with closing(sqlite3.connect(chinook)) as con:
        cursor = con.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    batch = pa.record_batch({c: pa.array([r[i] for r in rows]) for i, c in enumerate(names)})
    plans = {c: classify_column(c, batch.column(c), detectors(), SETTINGS).kind for c in expected}
    assert plans == expected


def test_classification_follows_wanted_entities() -> None:
    settings = DetectorSettings(entities=("EMAIL_ADDRESS",))
    plan = classify_column("FirstName", pa.array(["Alice"]), [EmailDetector()], settings)
    assert plan.kind != "name"


def test_empty_sample_is_not_settled() -> None:
    assert not classify_column("email", pa.array([None], pa.string()), detectors(), SETTINGS).settled
    assert classify_column("photo", pa.array([b"x"]), detectors(), SETTINGS).settled


# -- extraction --------------------------------------------------------------------
def rows_of(table: pa.Table) -> list[tuple]:
    return sorted(
        (r["row"], r["field"], r["entity_type"], r["start"], r["end"], r["normalised"]) for r in table.to_pylist()
    )


def plan_and_extract(batch: pa.RecordBatch, dets=None, ner=None) -> pa.Table:
    dets = dets if dets is not None else detectors()
    plans = {c: classify_column(c, batch.column(c), dets, SETTINGS) for c in batch.schema.names}
    return extract_columns(batch, plans, dets, SETTINGS, ner)


def test_identifier_column_runs_once_per_distinct_value_over_100k_rows() -> None:
    distinct = [f"Person.{i}@Example.com" for i in range(500)]
    values = [distinct[i % 500] if i % 7 else None for i in range(100_000)]  # 7 and 500 coprime: all appear
    values[1] = "  " + distinct[1] + " "  # same value after trimming, offsets shift by 2
    batch = pa.record_batch({"email": values})
    counting = CountingEmail()
    plan = classify_column("email", batch.column("email"), [counting], SETTINGS)
    assert (plan.kind, plan.detector) == ("identifier", "email")
    CountingEmail.calls = 0
    table = extract_columns(batch, {"email": plan}, [counting], SETTINGS)
    assert CountingEmail.calls == 500
    assert table.num_rows == sum(v is not None for v in values) == 85_714
    assert table.schema == match_schema()
    by_row = {r["row"]: r for r in table.filter(pc.less(table["row"], 3)).to_pylist()}
    assert sorted(by_row) == [1, 2]
    assert (by_row[1]["start"], by_row[1]["end"], by_row[1]["normalised"]) == (
        2,
        2 + len(distinct[1]),
        "person.1@example.com",
    )
    assert by_row[2]["preview"] == EmailDetector().mask(distinct[2])


def test_identifier_column_value_that_is_not_one_identifier_falls_back_to_find() -> None:
    batch = pa.record_batch({"phone": ["020 7946 0123", "home: 020 7946 0124, or a@b.com", "none", "020 7946 0123"]})
    assert rows_of(plan_and_extract(batch)) == [
        (0, "phone", "PHONE_NUMBER", 0, 13, "+442079460123"),
        (1, "phone", "EMAIL_ADDRESS", 24, 31, "a@b.com"),
        (1, "phone", "PHONE_NUMBER", 6, 19, "+442079460124"),
        (3, "phone", "PHONE_NUMBER", 0, 13, "+442079460123"),
    ]


def test_name_location_and_date_of_birth_columns() -> None:
    batch = pa.record_batch(
        {
            "FirstName": [" Alice ", "BOB", "n/a", None],
            "City": ["Leeds", "", "York", "Leeds"],
            "dob": ["1980-01-02", "02/03/1975", "born 1990-05-06", "31/02/1990"],
        }
    )
    table = plan_and_extract(batch)
    assert rows_of(table) == [
        (0, "City", "LOCATION", 0, 5, "leeds"),
        (0, "FirstName", "PERSON", 1, 6, "alice"),
        (0, "dob", "DATE_OF_BIRTH", 0, 10, "1980-01-02"),
        (1, "FirstName", "PERSON", 0, 3, "bob"),
        (1, "dob", "DATE_OF_BIRTH", 0, 10, "1975-03-02"),
        (2, "City", "LOCATION", 0, 4, "york"),
        (2, "dob", "DATE_OF_BIRTH", 5, 15, "1990-05-06"),  # fallback: the detector with the column as context
        (3, "City", "LOCATION", 0, 5, "leeds"),
    ]
    person = next(r for r in table.to_pylist() if r["entity_type"] == "PERSON")
    assert (person["detector"], person["preview"], person["score"]) == ("column_name", "A***e", pytest.approx(0.85))


def test_typed_date_of_birth_column() -> None:
    batch = pa.record_batch({"BirthDate": pa.array([datetime.date(1980, 1, 2), None], pa.date32())})
    assert rows_of(plan_and_extract(batch)) == [(0, "BirthDate", "DATE_OF_BIRTH", 0, 10, "1980-01-02")]


def test_mixed_column_prefilters_rows_then_finds() -> None:
    values = ["open", "see a@b.com", "closed", "ring 020 7946 0123 today", "pending"] * 1000
    batch = pa.record_batch({"status": values, "ref": pa.array(range(5000), pa.int64())})
    table = plan_and_extract(batch)
    assert table.num_rows == 2000
    assert set(table["field"].to_pylist()) == {"status"}


def test_free_text_column_goes_through_ner() -> None:
    ner = NerDetector(SETTINGS)
    notes = ["Spoke to Alice Smith in Manchester about her refund", "Bob Jones asked us to email bob@example.com"] * 3
    batch = pa.record_batch({"notes": notes})
    found = {
        (r["row"], r["entity_type"], notes[r["row"]][r["start"] : r["end"]])
        for r in plan_and_extract(batch, ner=ner).to_pylist()
    }
    assert {(0, "PERSON", "Alice Smith"), (0, "LOCATION", "Manchester"), (1, "PERSON", "Bob Jones")} <= found
    assert (1, "EMAIL_ADDRESS", "bob@example.com") in found
    assert {r for r in found if r[0] == 2} == {(2, e, v) for _, e, v in found if _ == 0}


# -- overlaps ----------------------------------------------------------------------
def m(entity: str, start: int, end: int, score: float, detector: str = "d") -> Match:
    return Match(entity, start, end, score, detector, "x", "x")


@pytest.mark.parametrize(
    ("matches", "kept"),
    [
        ([m("EMAIL_ADDRESS", 6, 29, 1.0), m("PERSON", 0, 29, 0.85)], [("EMAIL_ADDRESS", 6, 29)]),
        ([m("PERSON", 0, 5, 0.85), m("PHONE_NUMBER", 3, 9, 0.4)], [("PHONE_NUMBER", 3, 9)]),  # identifier beats NER
        ([m("PHONE_NUMBER", 0, 9, 0.6), m("UK_NHS", 0, 9, 1.0)], [("UK_NHS", 0, 9)]),  # higher score
        ([m("PERSON", 0, 5, 0.85), m("PERSON", 0, 5, 0.85, "other")], [("PERSON", 0, 5)]),  # identical spans
        ([m("PERSON", 0, 5, 0.85), m("LOCATION", 6, 9, 0.85)], [("PERSON", 0, 5), ("LOCATION", 6, 9)]),
        ([m("PERSON", 0, 5, 0.85), m("PERSON", 0, 11, 0.85)], [("PERSON", 0, 11)]),  # longer on a tie
    ],
)
def test_resolve_overlaps(matches, kept) -> None:
    assert [(x.entity_type, x.start, x.end) for x in resolve_overlaps(matches)] == kept


def test_confident_rules_overrule_the_other_ner_type() -> None:
    from piiscan.detectors.base import Match
    from piiscan.detectors.columns import overrule_ner

    ner_person = Match("PERSON", 10, 17, 0.85, "spacy_ner", "loeches", "L*****s")
    cued_place = Match("LOCATION", 10, 17, 0.7, "place_name", "loeches", "L*****s")
    weak_name = Match("PERSON", 30, 36, 0.65, "person_name", "sandra", "S****a")
    ner_place = Match("LOCATION", 30, 36, 0.85, "spacy_ner", "sandra", "S****a")
    kept = overrule_ner([ner_person, cued_place, weak_name, ner_place])
    assert kept == [cued_place, weak_name, ner_place]  # a 0.65 single first name overrules nothing
