import pytest

from detectors.base import Detector, Pattern, Validation, field_words, has_min_digits, mask_compact, overlaps


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
