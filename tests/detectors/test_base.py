import pytest

from piiscan.detectors.base import (
    REFERENCE_WORDS,
    Detector,
    Pattern,
    Validation,
    context_pattern,
    context_words_in,
    field_words,
    has_min_digits,
    inflections,
    mask_compact,
    overlaps,
)


class Digits(Detector):
    """Test detector: runs of digits, a ``value`` group, context word "code"."""

    name = "digits"
    entity = "DIGITS"
    patterns = (
        Pattern("tagged", r"#(?P<value>\d{3,})", 0.4),
        Pattern("bare", r"\d{3,}", 0.5),
    )
    context = ("code",)

    def validate(self, value: str) -> Validation:
        return Validation.REJECT if value.startswith("0") else Validation.NO_OPINION


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("#123", None, [(1, 4, 0.5)]),  # tagged: 0.4 < threshold 0.5, then bare
        ("code #123", None, [(6, 9, 0.75)]),  # the value group, raised by context
        ("123 and 0456", None, [(0, 3, 0.5)]),  # rejected by validate
        ("#123 45678", "postCode", [(1, 4, 0.75), (5, 10, 0.85)]),  # camelCase field gives context
        ("code 12345 #678", None, [(12, 15, 0.75), (5, 10, 0.85)]),
    ],
)
def test_find(text: str, field: str | None, expected: list[tuple[int, int, float]]) -> None:
    assert [(m.start, m.end, m.score) for m in Digits().find(text, field=field)] == expected


def test_later_patterns_skip_overlaps_and_threshold_is_per_instance() -> None:
    # "bare" would also match 123 inside "#123": the overlap with the tagged match is skipped
    assert [(m.start, m.end) for m in Digits(threshold=0.3).find("#123")] == [(1, 4)]


def test_match_itself_is_no_context() -> None:
    class Words(Detector):
        entity = "WORD"
        patterns = (Pattern("w", r"code\d+", 0.3),)
        context = ("code",)

    assert list(Words().find("code1")) == []
    assert len(list(Words().find("code: code1"))) == 1


def test_requires_context() -> None:
    class NeedsContext(Digits):
        requires_context = True

    assert list(NeedsContext().find("12345")) == []
    assert len(list(NeedsContext().find("code 12345"))) == 1


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("dateOfBirth", "date Of Birth"),
        ("NHSNumber", "NHS Number"),
        ("date_of_birth", "date of birth"),
        ("customer.nhs-no", "customer.nhs no"),
        ("ip4Address", "ip4 Address"),
    ],
)
def test_field_words(field: str, words: str) -> None:
    assert field_words(field) == words


@pytest.mark.parametrize(
    ("args", "masked"),
    [
        (("4111111111111111",), "**** **** **** 1111"),
        (("GB82WEST12345698765432", 2, 4), "GB **** **** **** **** 5432"),
        (("1234", 0, 4), "**34"),  # half is always masked
        (("ab", 2, 0), "a*"),
        (("abc", 0, 0, 0), "***"),
    ],
)
def test_mask_compact(args: tuple, masked: str) -> None:
    assert mask_compact(*args) == masked


@pytest.mark.parametrize(("text", "n", "expected"), [("a1b2c3", 3, True), ("a1b2c3", 4, False), ("", 1, False)])
def test_has_min_digits(text: str, n: int, expected: bool) -> None:
    assert has_min_digits(text, n) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"), [(0, 2, False), (0, 3, True), (4, 5, True), (6, 10, False), (9, 11, True)]
)
def test_overlaps(start: int, end: int, expected: bool) -> None:
    assert overlaps([(2, 6), (10, 12)], start, end) is expected


# -- context words: whole words, inflected, phrases ------------------------------------
@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (("call",), "she calls", True),
        (("call",), "he called back", True),
        (("call",), "calling now", True),
        (("call",), "the caller said", True),
        (("call",), "two callers", True),
        (("message",), "messages", True),
        (("message",), "messaged me", True),
        (("message",), "messaging", True),
        (("phone",), "Phones", True),
        (("phone",), "phoned", True),
        (("phone",), "phoning", True),
        (("phone",), "phone_number:", True),  # "_" separates words
        (("phone",), "PHONE", True),
        (("birth",), "births", True),
        (("reply",), "replied", True),
        (("dial",), "dialled", True),
        (("box",), "boxes", True),
        (("ip",), "IPs", True),
        (("date of birth",), "Date of Birth:", True),
        (("date of birth",), "date_of_birth", True),
        (("date of birth",), "date-of-birth", True),
        (("date of birth",), "date  of\tbirth", True),
        (("date of birth",), "dates of birth", True),
        (("e-mail",), "email", True),
        (("e-mail",), "E-Mail", True),
        (("e-mail",), "e mail", True),
        (("d.o.b",), "D.O.B:", True),
        # negatives: whole words only, and only the listed suffixes
        (("tel",), "hotel", False),
        (("tel",), "telling", False),
        (("tel",), "telephone", False),
        (("mob",), "mobile", False),
        (("ref",), "refer to", False),  # three-letter words take no -er
        (("ref",), "reference", False),
        (("call",), "recall", False),
        (("call",), "callous", False),
        (("phone",), "phonetic", False),
        (("phone",), "phone2", False),
        (("ip",), "zip", False),
        (("ip",), "ipsum", False),
        (("birth",), "birthday", False),
        (("date of birth",), "date birth", False),
        (("d.o.b",), "dob", False),
        ((), "anything", False),
    ],
)
def test_context_pattern(words: tuple[str, ...], text: str, found: bool) -> None:
    assert context_words_in(text, words) is found


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("call", ("call", "calls", "called", "calling", "caller", "callers")),
        ("phone", ("phone", "phones", "phoned", "phoner", "phoners", "phoning")),
        ("reply", ("reply", "replying", "replies", "replied", "replier", "repliers")),
        ("ref", ("ref", "refs", "refed", "refing")),
        ("ni", ("ni", "nis")),
        ("ipv4", ("ipv4",)),
    ],
)
def test_inflections(word: str, forms: tuple[str, ...]) -> None:
    assert inflections(word) == forms


def test_context_pattern_is_shared_and_none_without_words() -> None:
    assert context_pattern(("call", "phone")) is context_pattern(("call", "phone"))
    assert context_pattern(()) is None
    assert context_pattern((" ",)) is None


class Ref(Detector):
    """Test detector: 8-digit runs; context "code", negative context the reference words."""

    name = "ref"
    entity = "REF"
    patterns = (Pattern("digits", r"\d{8}", 0.6),)
    context = ("code",)
    negative_context = REFERENCE_WORDS


@pytest.mark.parametrize(
    ("text", "field", "context", "score"),
    [
        ("12345678", None, 0, 0.6),
        ("code 12345678", None, 1, 0.95),
        ("codes: 12345678", None, 1, 0.95),
        ("order 12345678", None, -1, None),  # 0.6 - 0.3 < threshold 0.5
        ("12345678 on the invoices", None, -1, None),
        ("order code 12345678", None, 1, 0.95),  # a context word wins
        ("12345678", "order_no", -1, None),  # field names lower the score too
        ("12345678", "OrderNumber", -1, None),
        ("12345678", "postCode", 1, 0.95),
        ("order 12345678", "zip_code", 1, 0.95),
        ("reorder 12345678", None, 0, 0.6),  # whole words only
        ("border 12345678", "recorder", 0, 0.6),
    ],
)
def test_context_score_and_negative_context(text: str, field: str | None, context: int, score: float | None) -> None:
    detector = Ref()
    start = text.index("12345678")
    assert detector.context_score(text, start, start + 8, field) == context
    assert [m.score for m in detector.find(text, field=field)] == ([] if score is None else [score])


def test_negative_context_lowers_only_no_opinion_matches() -> None:
    class Confirmed(Ref):
        def validate(self, value: str) -> Validation:
            return Validation.CONFIRM

    assert [m.score for m in Confirmed().find("order 12345678")] == [1.0]
    assert [m.score for m in Ref(threshold=0.1).find("order 12345678")] == [0.3]


def test_helpers_for_detectors_with_their_own_find() -> None:
    detector = Ref()
    assert detector.field_has_negative_context("invoice_id") and not detector.field_has_negative_context("mobile")
    assert detector.has_negative_context("ticket 12345678", 7, 15)
    assert not detector.has_negative_context("12345678", 0, 8, None)
    assert detector.adjust_score(0.6, 1) == 0.95 and detector.adjust_score(0.6, -1) == 0.3
    assert detector.adjust_score(0.9, 1) == 1.0 and detector.adjust_score(0.2, -1) == 0.0
    assert Digits().context_score("order 12345", 6, 11) == 0  # no negative context declared
