import pytest

from piiscan.detectors.base import Validation
from piiscan.detectors.columns import resolve_overlaps
from piiscan.detectors.identifiers.email import EmailDetector
from piiscan.detectors.identifiers.url import UrlDetector
from tests.detectors.support import assert_mask_hides, assert_no_match, assert_single_match, assert_validation

DETECTOR = UrlDetector()


@pytest.mark.parametrize(
    ("text", "value", "normalised", "score"),
    [
        # a web site: Presidio's score for a URL with a scheme, 0.5 without one
        ("see https://www.example.com/.", "https://www.example.com/", "www.example.com/", 0.6),
        ("go to http://Example.co.uk/about, then", "http://Example.co.uk/about", "example.co.uk/about", 0.6),
        ("Visit www.example.org/help!", "www.example.org/help", "www.example.org/help", 0.5),
        ("(https://en.wikipedia.org/wiki/Mercury_(planet))", "https://en.wikipedia.org/wiki/Mercury_(planet)",
         "en.wikipedia.org/wiki/Mercury_(planet)", 0.6),
        ("https://example.com:443/a?q=cats#top", "https://example.com:443/a?q=cats#top",
         "example.com/a?q=cats#top", 0.6),
        ("http://192.0.2.10:8080/admin", "http://192.0.2.10:8080/admin", "192.0.2.10:8080/admin", 0.6),
        ("http://[2001:db8::1]/status", "http://[2001:db8::1]/status", "[2001:db8::1]/status", 0.6),
        ("https://bücher.de/x", "https://bücher.de/x", "xn--bcher-kva.de/x", 0.6),
        ("ftp://files.example.org/pub/a.txt", "ftp://files.example.org/pub/a.txt",
         "ftp://files.example.org/pub/a.txt", 0.6),
        ("website: https://example.com", "https://example.com", "example.com/", 0.8),  # context word
        # personal: a profile path, a handle, a user name, a person's identifier in the query
        ("https://www.linkedin.com/in/jane-doe-123/", "https://www.linkedin.com/in/jane-doe-123/",
         "www.linkedin.com/in/jane-doe-123/", 0.85),
        ("https://api.example.com/users/jsmith", "https://api.example.com/users/jsmith",
         "api.example.com/users/jsmith", 0.85),
        ("http://www.example.ac.uk/~jsmith/", "http://www.example.ac.uk/~jsmith/", "www.example.ac.uk/~jsmith/", 0.85),
        ("https://mastodon.social/@jsmith", "https://mastodon.social/@jsmith", "mastodon.social/@jsmith", 0.85),
        ("https://github.com/octocat", "https://github.com/octocat", "github.com/octocat", 0.85),
        ("https://app.example.com/reset?email=jane@example.com", "https://app.example.com/reset?email=jane@example.com",
         "app.example.com/reset?email=jane@example.com", 0.85),
        ("https://example.com/track?uid=8841", "https://example.com/track?uid=8841",
         "example.com/track?uid=8841", 0.85),
        ("ftp://jsmith:s3cret@files.example.org/home", "ftp://jsmith:s3cret@files.example.org/home",
         "ftp://jsmith@files.example.org/home", 0.85),  # the password is no part of the canonical form
    ],
)  # fmt: skip
def test_found(text: str, value: str, normalised: str, score: float) -> None:
    assert_single_match(DETECTOR, text, value, normalised=normalised, score=score, entity="URL")


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost:8080/x",  # no public suffix
        "https://intranet/wiki",
        "www.example.invalid/x",
        "https://example.com:99999/",  # no such port
        "mailto:jane@example.com",
        "example.com",  # no scheme, no www: a file name or an abbreviation as often as a site
        "config.py and setup.cfg",
        "jane@www.example.com",  # an e-mail address
        "s3://bucket/key",
        "https://",
        "file:///etc/passwd",
    ],
)
def test_not_found(text: str) -> None:
    assert_no_match(DETECTOR, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/", Validation.NO_OPINION),
        ("www.example.com", Validation.NO_OPINION),
        ("http://localhost/", Validation.REJECT),
        ("https://example.notatld/", Validation.REJECT),
    ],
)
def test_validate(value: str, expected: Validation) -> None:
    assert_validation(DETECTOR, value, expected)


@pytest.mark.parametrize(
    ("value", "mask"),
    [
        ("https://www.example.com/users/jsmith?x=1", "https://w**.e******.com/u****/j*****?***"),
        ("ftp://jsmith:pw@files.example.org/home", "ftp://***@f****.e******.org/h***"),
        ("www.example.co.uk/in/jane", "w**.e******.co.uk/i*/j***"),
    ],
)
def test_mask(value: str, mask: str) -> None:
    assert_mask_hides(DETECTOR, value, mask)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("HTTPS://Example.COM:443", "example.com/"),
        ("http://example.com/", "example.com/"),
        ("example.com/", "example.com/"),  # the canonical form itself
        ("https://example.com/Path?Q=1", "example.com/Path?Q=1"),  # path and query keep their case
        ("http://localhost/", None),
    ],
)
def test_canonical(value: str, canonical: str | None) -> None:
    assert DETECTOR.canonical(value) == canonical


def test_an_identifier_inside_a_url_is_still_found() -> None:
    text = "reset link: https://app.example.com/reset?email=jane@example.com"
    matches = [m for d in (DETECTOR, EmailDetector()) for m in d.find(text)]
    kept = resolve_overlaps(matches)
    assert sorted((m.entity_type, text[m.start : m.end]) for m in kept) == [
        ("EMAIL_ADDRESS", "jane@example.com"),
        ("URL", "https://app.example.com/reset?email=jane@example.com"),
    ]
