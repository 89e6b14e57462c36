"""URL: web addresses, as Presidio's URL entity, scored higher where they carry a person's identifier.

Most URLs name a web site, not a person; a URL is personal data when it holds someone's
identifier: a profile path (``/users/jsmith``, ``/in/jane-doe``, ``/~jsmith``, ``/@jsmith``, a
handle on a social network's host), a user name before the host (``ftp://jsmith@host``), or a
person's identifier in the query (``?email=...``, ``?user=...``, any value that is an e-mail
address).  Every URL is reported, as Presidio does: with a scheme (http, https, ftp) at the
pattern score 0.6, one starting ``www.`` without a scheme at 0.5, and one with a personal
identifier at :data:`PERSONAL_SCORE`.  Bare domains (``example.com``) are not looked for: without a
scheme or ``www`` they cannot be told from file names (``config.py``: Paraguay) and abbreviations.

Parsing is the standard library's (``urllib.parse``); the host must be an IP address or end in a
public suffix (``tldextract`` with its bundled Public Suffix List snapshot, never fetched).  An
identifier inside the URL (an e-mail address in the query, an IP address as the host) is still
found by its own detector: the scanner keeps both (:func:`piiscan.detectors.columns.resolve_overlaps`).

The canonical form is what one resource is written as anywhere: host lower case (a Unicode host in
its IDNA form), no default port, no password, ``http`` and ``https`` alike (no scheme), an empty
path as ``/``; path, query and fragment as written.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from piiscan.detectors.base import Detector, Pattern, PatternMatch, Validation
from piiscan.detectors.identifier_rules import email_domain

#: Characters a URL runs to (RFC 3986 and what people paste: non-ASCII, "%"); an IPv6 host in brackets.
_URL_BODY = r"(?:\[[0-9A-Fa-f:.]+\])?[^\s<>\"'`{}|\\^\[\]]*"
SCHEME_URL_REGEX = r"(?i)(?<![\w@.+-])(?:https?|ftp)://" + _URL_BODY
WWW_URL_REGEX = r"(?i)(?<![\w@./:-])www\d{0,3}\.[^\s<>\"'`{}|\\^\[\]]+"
#: Score of a URL that holds a person's identifier.
PERSONAL_SCORE = 0.85
_SCHEMES = frozenset({"http", "https", "ftp"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
#: What ends a URL in prose but is not part of it ("see https://example.com/a.").
_TRAILING = ".,;:!?'\"*"
_CLOSING = {")": "(", "]": "[", "}": "{"}

# fmt: off
#: Path segments after which the next segment names a person (``/users/jsmith``, ``/in/jane-doe``).
PROFILE_SEGMENTS = frozenset({
    "user", "users", "u", "profile", "profiles", "people", "person", "persons", "member", "members",
    "author", "authors", "customer", "customers", "patient", "patients", "account", "accounts", "in",
    "staff", "employee", "employees", "student", "students", "contact", "contacts", "id",
})
#: Query parameters (lower case, "_" and "-" removed) whose value names or reaches a person.
PERSON_PARAMETERS = frozenset({
    "user", "username", "userid", "uid", "usr", "login", "email", "mail", "emailaddress", "name", "firstname",
    "lastname", "fullname", "surname", "account", "accountid", "customer", "customerid", "member", "memberid",
    "patient", "patientid", "profile", "profileid", "person", "personid", "phone", "mobile", "tel", "msisdn",
    "dob", "birthdate", "ssn", "nino", "nhs", "employee", "employeeid", "student", "studentid", "handle",
})
#: Social networks whose first path segment is a member's handle (``github.com/jsmith``).
SOCIAL_HOSTS = frozenset({
    "facebook.com", "instagram.com", "twitter.com", "x.com", "github.com", "gitlab.com", "tiktok.com",
    "t.me", "vk.com", "threads.net", "pinterest.com", "soundcloud.com", "twitch.tv", "medium.com",
    "youtube.com", "linkedin.com", "reddit.com", "flickr.com", "bitbucket.org", "keybase.io",
})
#: First path segments of those hosts that are pages of the site, not members.
SITE_PAGES = frozenset({
    "about", "help", "login", "logout", "signup", "register", "search", "explore", "settings", "home", "share",
    "sharer", "sharer.php", "intent", "hashtag", "watch", "pages", "groups", "events", "orgs", "features",
    "pricing", "marketplace", "topics", "trending", "privacy", "terms", "policies", "legal", "jobs", "careers",
    "blog", "news", "docs", "developers", "api", "static", "assets", "i", "r", "p", "c", "channel", "playlist",
    "results", "feed", "notifications", "messages", "status", "company", "school", "showcase", "learning",
    "sponsors", "enterprise", "security", "collections", "discover", "tag", "tags", "reel", "reels", "stories",
    "embed", "oauth", "auth", "download", "downloads", "support", "contact", "shorts", "live",
})
# fmt: on
_EMAIL_VALUE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_KEY_NOISE = re.compile(r"[_\-.\s]")
_HANDLE = re.compile(r"[@~]?[\w.\-]{2,}")


class _Url(NamedTuple):
    parts: SplitResult
    scheme: str
    host: str  # lower case, brackets of an IPv6 literal removed
    port: int | None
    written_scheme: bool  # False for a "www." URL without one


@functools.cache
def _extractor() -> Any:
    """tldextract on its bundled Public Suffix List snapshot: no fetch, no cache on disk."""
    import tldextract  # about 60 ms to build: on first use, in the worker

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _parse(value: str) -> _Url | None:
    """The parts of a URL, or None when it is none (no host, a bad port, an unknown scheme)."""
    written = "://" in value
    try:
        parts = urlsplit(value if written else "http://" + value)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _SCHEMES or not host:
        return None
    return _Url(parts, scheme, host, port, written)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _split_host(host: str) -> tuple[str, str] | None:
    """(the labels before the public suffix, the suffix) of a host name, or None without a public suffix."""
    result = _extractor()(host)
    if not result.suffix or not result.domain:
        return None
    before = ".".join(p for p in (result.subdomain, result.domain) if p)
    return before, result.suffix


def is_personal(url: _Url) -> bool:
    """Whether the URL carries a person's identifier (see the module docstring)."""
    parts = url.parts
    if parts.username:
        return True
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if _EMAIL_VALUE.fullmatch(value.strip()):
            return True
        if _KEY_NOISE.sub("", key.lower()) in PERSON_PARAMETERS:
            return True
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for i, segment in enumerate(segments):
        if segment[0] in "~@" and len(segment) > 1:
            return True
        if segment.lower() in PROFILE_SEGMENTS and i + 1 < len(segments):
            return True
    if segments and not _is_ip(url.host):
        split = _split_host(url.host)
        site = None
        if split is not None:
            site = f"{split[0].rpartition('.')[2]}.{split[1]}"
        first = segments[0]
        if site in SOCIAL_HOSTS and first.lower() not in SITE_PAGES and _HANDLE.fullmatch(first):
            return True
    return False


def _trim(value: str) -> str:
    """``value`` without the punctuation that ends a sentence around it; a closing bracket stays when the URL
    opened it ("https://en.wikipedia.org/wiki/Mercury_(planet)")."""
    while value:
        last = value[-1]
        if last in _TRAILING or (last in _CLOSING and value.count(_CLOSING[last]) < value.count(last)):
            value = value[:-1]
        else:
            break
    return value


class UrlDetector(Detector):
    """URLs with a scheme or ``www.``, host checked against the Public Suffix List, scored by what they carry."""

    name = "url"
    version = "1"
    entity = "URL"
    patterns = (Pattern("url", SCHEME_URL_REGEX, 0.6), Pattern("www url", WWW_URL_REGEX, 0.5))
    batch_safe: ClassVar[bool] = True
    triggers: ClassVar[tuple[str, ...]] = (r"[Hh][Tt][Tt][Pp][Ss]?://|[Ff][Tt][Pp]://|[Ww][Ww][Ww][0-9]{0,3}\.",)
    context: ClassVar[tuple[str, ...]] = ("url", "website", "web site", "link", "homepage", "profile", "site", "page")
    context_boost: ClassVar[float] = 0.2

    def might_match(self, text: str) -> bool:
        return "://" in text or "www" in text or "WWW" in text

    def spans(self, m: PatternMatch) -> Iterator[tuple[int, int]]:
        start = m.start()
        yield start, start + len(_trim(m.group()))

    def validate(self, value: str) -> Validation:
        url = _parse(value)
        if url is None:
            return Validation.REJECT
        if not _is_ip(url.host) and _split_host(url.host) is None:
            return Validation.REJECT  # "http://localhost/", "www.example.invalid"
        return Validation.NO_OPINION

    def value_score(self, value: str, score: float) -> float:
        url = _parse(value)
        return PERSONAL_SCORE if url is not None and is_personal(url) else score

    def canonical(self, value: str) -> str | None:
        """A whole value that is one URL; the canonical form (no scheme for http and https) is accepted too."""
        value = value.strip()
        if "://" not in value and not value.lower().startswith("www"):
            value = "http://" + value
        return super().canonical(value)

    def normalise(self, value: str) -> str:
        url = _parse(value.strip())
        if url is None:
            return value.strip()
        parts = url.parts
        host = f"[{ipaddress.ip_address(url.host).compressed}]" if ":" in url.host else email_domain(url.host)
        port = "" if url.port in (None, _DEFAULT_PORTS[url.scheme]) else f":{url.port}"
        user = f"{parts.username}@" if parts.username else ""
        out = ("ftp://" if url.scheme == "ftp" else "") + user + host + port + (parts.path or "/")
        if parts.query:
            out += "?" + parts.query
        if parts.fragment:
            out += "#" + parts.fragment
        return out

    def mask(self, value: str) -> str:
        """Scheme and public suffix kept, every other label and path segment masked but its first character,
        user, query and fragment hidden: ``https://w**.e******.com/u****/j*****?***``."""
        value = value.strip()
        url = _parse(value) if "://" in value or value.lower().startswith("www") else _parse("http://" + value)
        if url is None:
            return "*" * len(value)
        parts = url.parts
        split = None if _is_ip(url.host) else _split_host(url.host)
        host = "***" if split is None else ".".join(map(_mask_word, split[0].split("."))) + "." + split[1]
        out = f"{url.scheme}://" if url.written_scheme else ""
        out += ("***@" if parts.username else "") + host
        out += "".join("/" + _mask_word(s) for s in parts.path.split("/")[1:])
        out += "?***" if parts.query else ""
        out += "#***" if parts.fragment else ""
        return out


def _mask_word(word: str) -> str:
    return word[:1] + "*" * (len(word) - 1) if len(word) > 1 else "*" * len(word)
