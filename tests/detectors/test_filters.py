"""Named false-positive filters: each one rejects its shapes and keeps look-alikes (table-driven)."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from piiscan.detectors.filters import (
    CHECKSUM_ENTITIES,
    FILTER_NAMES,
    FILTERS,
    Filter,
    FilterSet,
    OrderNumber,
    Placeholder,
    RepeatedOrSequentialDigits,
    Timestamp,
    VersionNumber,
    build_filters,
    is_filler_digits,
)


def span(text: str) -> tuple[str, int, int]:
    """``text`` with the match marked ``[...]`` -> (plain text, start, end)."""
    start = text.index("[")
    end = text.index("]") - 1
    return text.replace("[", "", 1).replace("]", "", 1), start, end


def check(f: Filter, marked: str, entity: str, rejected: bool) -> None:
    text, start, end = span(marked)
    assert f.applies_to(entity)
    assert f.rejects(text, start, end, entity) is rejected


# -- VersionNumber ---------------------------------------------------------------
VERSION_CASES = [
    ("Installed version [10.0.0.1] today", "IP_ADDRESS", True),
    ("ver: [1.2.3.4]", "IP_ADDRESS", True),
    ("Firmware [2.4.1.10] flashed", "IP_ADDRESS", True),
    ("build [3.1.0.7]", "IP_ADDRESS", True),
    ("rev [1.0.0.2]", "IP_ADDRESS", True),
    ("requires pkg==[1.2.3.4]", "IP_ADDRESS", True),
    ("upgrade to [1.2.3.4]-beta now", "IP_ADDRESS", True),
    ("release [2.0.1.0]-rc1", "IP_ADDRESS", True),
    ("tagged [4.2.0.1]+build.7", "IP_ADDRESS", True),
    ("Windows version [10.0.19041].1", "PHONE_NUMBER", True),  # the match is part of the dotted run
    ("version [2023.11.02]", "DATE_OF_BIRTH", True),
    # negatives: addresses, versus, words that only end in "v", a dash that is no pre-release
    ("client [10.0.0.1] connected", "IP_ADDRESS", False),
    ("IP 10.0.0.1 vs [10.0.0.2]", "IP_ADDRESS", False),
    ("ssh admin@[10.0.0.1]", "IP_ADDRESS", False),
    ("dev [192.168.1.10] up", "IP_ADDRESS", False),
    ("from [192.168.1.10]-192.168.1.20", "IP_ADDRESS", False),
    ("host [10.1.2.3]-betamax", "IP_ADDRESS", False),
    ("call [020 7946 0000] about the 1.2 release", "PHONE_NUMBER", False),
    ("born [1990.01.02]", "DATE_OF_BIRTH", False),
]


@pytest.mark.parametrize(("marked", "entity", "rejected"), VERSION_CASES)
def test_version_number(marked: str, entity: str, rejected: bool) -> None:
    check(VersionNumber(), marked, entity, rejected)


# -- OrderNumber -----------------------------------------------------------------
ORDER_CASES = [
    ("Order [02079460001] shipped", "PHONE_NUMBER", True),
    ("Order #[02079460001]", "PHONE_NUMBER", True),
    ("order no. [0161 496 0000]", "PHONE_NUMBER", True),
    ("Invoice Number: [123-45-6789]", "US_SSN", True),
    ("ref: [943 476 5919] (NHS supplies)", "UK_NHS", True),
    ("Tracking [07700900123]", "PHONE_NUMBER", True),
    ("PO-[20794600]", "PHONE_NUMBER", True),
    ("SKU [0207946000]", "PHONE_NUMBER", True),
    ("ticket #: [07700 900123]", "PHONE_NUMBER", True),
    ("transaction id [123456789]", "US_SSN", True),
    ("see #[07700900123]", "PHONE_NUMBER", True),
    ("Orders [07700900123]", "PHONE_NUMBER", True),
    ("Order date [03/02/1990] (dob on file)", "DATE_OF_BIRTH", True),
    # negatives: a personal word before the label, the label not right before, no label
    ("NHS ref [943 476 5919]", "UK_NHS", False),
    ("mobile #: [07700 900123]", "PHONE_NUMBER", False),
    ("phone order line [020 7946 0000]", "PHONE_NUMBER", False),
    ("Tel # [07700 900123]", "PHONE_NUMBER", False),
    ("order placed, call [020 7946 0000]", "PHONE_NUMBER", False),
    ("Call [020 7946 0000] to order", "PHONE_NUMBER", False),
    ("reorder [020 7946 0000]", "PHONE_NUMBER", False),  # not the whole word "order"
    ("recorded at [020 7946 0000]", "PHONE_NUMBER", False),
    ("C#[07700900123]", "PHONE_NUMBER", False),  # "#" glued to a word
    ("SSN [123-45-6789]", "US_SSN", False),
    ("born [03/02/1990]", "DATE_OF_BIRTH", False),
]


@pytest.mark.parametrize(("marked", "entity", "rejected"), ORDER_CASES)
def test_order_number(marked: str, entity: str, rejected: bool) -> None:
    check(OrderNumber(), marked, entity, rejected)


# -- Timestamp -------------------------------------------------------------------
TIMESTAMP_CASES = [
    ("ts=[1700000000] login", "PHONE_NUMBER", True),
    ("created [1700000000123]", "CREDIT_CARD", True),  # epoch milliseconds that pass Luhn
    ("2023-11-[02T10:11]:12Z", "PHONE_NUMBER", True),
    ("at [2023-11-02 10]:11:12,123 INFO", "PHONE_NUMBER", True),
    ("10:11:12 job [123 45 6789] done", "PHONE_NUMBER", False),  # the time is elsewhere
    ("stamp 20231102T[101112]Z", "PHONE_NUMBER", True),
    ('"GET /" 02/Nov/[2023:10:11:12] +0000', "PHONE_NUMBER", True),
    ("Nov  2 [10:11:12] host", "US_SSN", True),
    ("02/11/2023 [10:11:12]", "US_SSN", True),
    ("born [1990-01-02] 10:11:12", "DATE_OF_BIRTH", True),  # a time of day: an event
    ("logged [2023-11-02]T10:11:12Z", "DATE_OF_BIRTH", True),
    # negatives: numbers that are no epoch, midnight after a date of birth, no timestamp near
    ("call [2079460000]", "PHONE_NUMBER", False),  # starts with 2: not 2001-2033 epoch
    ("call [017000000001]", "PHONE_NUMBER", False),  # 12 digits
    ("card [4111111111111]", "CREDIT_CARD", False),
    ("SSN [123-45-6789] at 10:11", "US_SSN", False),
    ("dob [1962-02-18] 00:00:00", "DATE_OF_BIRTH", False),
    ("dob [1962-02-18 00:00]", "DATE_OF_BIRTH", False),
    ("born [1990-01-02], seen 10:11:12 later on that day", "DATE_OF_BIRTH", False),
    ("born [1700000000]", "DATE_OF_BIRTH", False),  # epochs are for numbers only
    ("tel [01632 960000]", "PHONE_NUMBER", False),
]


@pytest.mark.parametrize(("marked", "entity", "rejected"), TIMESTAMP_CASES)
def test_timestamp(marked: str, entity: str, rejected: bool) -> None:
    check(Timestamp(), marked, entity, rejected)


# -- RepeatedOrSequentialDigits ----------------------------------------------------
REPEATED_CASES = [
    ("SSN [111-11-1111]", "US_SSN", True),
    ("ssn [123-45-6789]", "US_SSN", True),
    ("[987-65-4321]", "US_SSN", True),
    ("tel [1111111111]", "PHONE_NUMBER", True),
    ("tel [01234 567890]", "PHONE_NUMBER", True),
    ("tel [07777 777777]", "PHONE_NUMBER", True),  # trunk 0, then filler
    ("tel [+44 7777 777777]", "PHONE_NUMBER", True),  # country code, then filler
    ("tel [+44 (0) 7777 777777]", "PHONE_NUMBER", True),
    ("tel [0044 7777 777777]", "PHONE_NUMBER", True),
    ("tel [+1 234 567 8901]", "PHONE_NUMBER", True),
    ("[9876543210]", "PHONE_NUMBER", True),
    ("NI [AB 12 34 56 C]", "UK_NINO", True),
    ("NI [AB111111C]", "UK_NINO", True),
    # negatives
    ("SSN [219-09-9990]", "US_SSN", False),
    ("tel [020 7946 0000]", "PHONE_NUMBER", False),  # four zeros are not six
    ("tel [+44 20 7123 4567]", "PHONE_NUMBER", False),  # counting only at the end
    ("tel [07700 900123]", "PHONE_NUMBER", False),
    ("tel [+44 7000 000001]", "PHONE_NUMBER", False),
    ("NI [AB 12 34 57 C]", "UK_NINO", False),
    ("NI [JG103759A]", "UK_NINO", False),
]


@pytest.mark.parametrize(("marked", "entity", "rejected"), REPEATED_CASES)
def test_repeated_or_sequential_digits(marked: str, entity: str, rejected: bool) -> None:
    check(RepeatedOrSequentialDigits(), marked, entity, rejected)


@pytest.mark.parametrize(
    ("digits", "filler"),
    [("000000", True), ("123456", True), ("7890123", True), ("654321", True), ("12345", False), ("123457", False)],
)
def test_is_filler_digits(digits: str, filler: bool) -> None:
    assert is_filler_digits(digits) is filler


# -- Placeholder -------------------------------------------------------------------
PLACEHOLDER_CASES = [
    ("write to [test@test.com]", "EMAIL_ADDRESS", True),
    ("e.g. [user@example.com]", "EMAIL_ADDRESS", True),
    ("[your.name@domain.com]", "EMAIL_ADDRESS", True),
    ("[xxx@xxx.com]", "EMAIL_ADDRESS", True),
    ("[firstname.lastname@yourcompany.co.uk]", "EMAIL_ADDRESS", True),
    ("Name: [N/A]", "PERSON", True),
    ("Name: [XXXX XXXX]", "PERSON", True),
    ("Dear [John Doe],", "PERSON", True),
    ("[Joe  Bloggs]", "PERSON", True),
    ("City: [Anytown]", "LOCATION", True),
    # negatives: one side real is enough
    ("[alice@example.com]", "EMAIL_ADDRESS", False),
    ("[test@gmail.com]", "EMAIL_ADDRESS", False),
    ("[john.smith@test.com]", "EMAIL_ADDRESS", False),
    ("[testimony@test.com]", "EMAIL_ADDRESS", False),
    ("[jane.doe@example.com]", "EMAIL_ADDRESS", False),
    ("Dear [John Dorey],", "PERSON", False),
    ("[Malcolm X]", "PERSON", False),
    ("[Xavier Xu]", "PERSON", False),
    ("[Leeds]", "LOCATION", False),
]


@pytest.mark.parametrize(("marked", "entity", "rejected"), PLACEHOLDER_CASES)
def test_placeholder(marked: str, entity: str, rejected: bool) -> None:
    check(Placeholder(), marked, entity, rejected)


# -- the set ---------------------------------------------------------------------
def test_every_filter_is_named_documented_and_scoped() -> None:
    assert len(FILTER_NAMES) == len(set(FILTER_NAMES)) == len(FILTERS) >= 5
    for cls in FILTERS:
        assert re.fullmatch(r"[a-z_]+", cls.name) and cls.version
        assert cls.__doc__ and len(cls.__doc__.split()) > 20  # says why
        assert cls.entities
    # checksum-confirmed types only where a checksum cannot tell (epoch milliseconds pass Luhn)
    assert {e for cls in FILTERS for e in cls.entities} & CHECKSUM_ENTITIES == {"CREDIT_CARD", "UK_NHS"}


@pytest.mark.parametrize(
    ("entity", "applies"),
    [("PHONE_NUMBER", True), ("US_SSN", True), ("IBAN_CODE", False), ("EMAIL_ADDRESS", False)],
)
def test_applies_to(entity: str, applies: bool) -> None:
    assert RepeatedOrSequentialDigits().applies_to(entity) is applies


def test_build_filters_by_name_in_fixed_order() -> None:
    assert [f.name for f in build_filters(["timestamp", "version_number", "timestamp"])] == [
        "version_number",
        "timestamp",
    ]
    assert build_filters([]) == []
    with pytest.raises(ValueError, match="unknown filter"):
        build_filters(["timestamps"])


def test_filter_set_names_the_rejecting_filter_and_only_asks_relevant_filters() -> None:
    filters = FilterSet(build_filters(FILTER_NAMES))
    text = "order 123-45-6789 and SSN 111-11-1111 and test@test.com"

    def at(value: str) -> tuple[int, int]:
        return text.index(value), text.index(value) + len(value)

    assert filters.rejecting(text, *at("123-45-6789"), "US_SSN") == "order_number"  # the first that rejects
    assert filters.rejecting(text, *at("111-11-1111"), "US_SSN") == "repeated_or_sequential_digits"
    assert filters.rejecting(text, *at("111-11-1111"), "IBAN_CODE") is None  # no filter for that type
    assert filters.rejecting(text, *at("test@test.com"), "EMAIL_ADDRESS") == "placeholder"
    assert set(filters.versions()) == {f"filter.{n}" for n in FILTER_NAMES}
    assert "PHONE_NUMBER" in filters.entities and "IBAN_CODE" not in filters.entities
    assert FilterSet([]).rejecting(text, *at("123-45-6789"), "US_SSN") is None


@pytest.mark.parametrize(
    ("cls", "cases"),
    [
        (VersionNumber, VERSION_CASES),
        (OrderNumber, ORDER_CASES),
        (Timestamp, TIMESTAMP_CASES),
        (RepeatedOrSequentialDigits, REPEATED_CASES),
        (Placeholder, PLACEHOLDER_CASES),
    ],
)
def test_cell_hints_admit_every_rejected_case(cls: type[Filter], cases: list[tuple[str, str, bool]]) -> None:
    """The engine skips table cells without a filter's hint: the hint must hold wherever the filter rejects."""
    f = cls()
    for marked, entity, rejected in cases:
        text = span(marked)[0]
        hint = f.cell_hint(entity)
        if rejected and hint is not None:
            assert pc.match_substring_regex(pa.array([text]), hint)[0].as_py(), marked


def test_filter_set_cell_hints() -> None:
    filters = FilterSet(build_filters(FILTER_NAMES))
    assert filters.cell_hint("IBAN_CODE") == ""  # nothing to check
    assert filters.cell_hint("PERSON") is None  # placeholders of names have no cheap test
    ssn = filters.cell_hint("US_SSN")
    assert pc.match_substring_regex(pa.array(["219-09-9990", "111-11-1111", "at 10:11"]), ssn).to_pylist() == [
        False,
        True,
        True,
    ]
