import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.identifiers.email import EmailDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = EmailDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "min_score", "max_score"),
    [
        ("alice@example.com", "alice@example.com", "alice@example.com", 0.85, 0.85),
        ("write to (Alice.Smith@Example.com).", "Alice.Smith@Example.com", "alice.smith@example.com", 0.85, 0.85),
        (
            "Bob.Smith+news@Mail.Example.co.uk",
            "Bob.Smith+news@Mail.Example.co.uk",
            "bob.smith+news@mail.example.co.uk",
            0.85,
            0.85,
        ),
        ("email: carol.o'neil@example.org", "carol.o'neil@example.org", "carol.o'neil@example.org", 1.0, 1.0),
        ("'alice@example.com'", "alice@example.com", "alice@example.com", 0.85, 0.85),
        ("mailto:dave@sub.example.com,", "dave@sub.example.com", "dave@sub.example.com", 0.85, 1.0),
        ("e-mail x9@example.net", "x9@example.net", "x9@example.net", 1.0, 1.0),
    ],
)
def test_found(text: str, value: str, normalised: str, min_score: float, max_score: float) -> None:
    assert_single_match(
        DETECTOR, text, value, normalised=normalised, score=(min_score, max_score), entity="EMAIL_ADDRESS"
    )


@pytest.mark.parametrize(
    "text",
    [
        "user@localhost",  # no dot in the domain
        "x@host.123",  # numeric TLD
        "a@b.c",  # one-letter TLD
        "alice@-example.com",  # label starting with a hyphen
        "alice..bob@example.com",
        "alice.@example.com",
        "no at sign here example.com",
        "@example.com",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", Validation.NO_OPINION),
        ("user@localhost", Validation.REJECT),
        ("user@example.c0m", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    ("value", "mask"),
    [
        ("alice@example.com", "a****@e******.com"),
        ("bob@mail.example.co.uk", "b**@m***.e******.c*.uk"),
        ("a@b.co", "*@*.co"),
    ],
)
def test_mask(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


def test_many_in_one_text() -> None:
    text = "cc: a@example.com; b@example.org, c@example.net"
    assert [m.normalised for m in DETECTOR.find(text)] == ["a@example.com", "b@example.org", "c@example.net"]


@pytest.mark.parametrize(
    "text",
    [
        "a@b.co c@d.co",  # two addresses, one space apart
        "x" * 64 + "@example.com",  # the longest local part
        "x" * 65 + "@example.com",  # one too long: the pattern starts after the 65th-last character
        "y" * 200 + "@example.com and z@example.org",  # a long run, then a real address
        "it's o'neil@example.com",  # an apostrophe inside, a quote before
        "a@@b.example.com @x.example.com x@ @",  # anchors with no address around them
        "a@b.example.com@c.example.com",  # two anchors in one run
        "first.last@example.com\nsecond@example.org",  # texts joined by a line break (find_many)
        "%+-.@example.com .x@example.com x.@example.com",
    ],
)
def test_anchored_search_finds_what_the_pattern_finds(text: str) -> None:
    """The "@"-anchored search gives exactly the pattern's own finditer (same spans, same order)."""
    from piiscan.detectors.base import anchored_finditer

    (_, compiled), *_ = DETECTOR._compiled
    expected = [m.span() for m in compiled.finditer(text)]
    assert [m.span() for m in anchored_finditer(compiled, text, "@", DETECTOR.anchor_reach)] == expected
