"""Named false-positive filters: shapes that look like an identifier but are something else.

A detector finds a candidate; a filter looks at the match *and its
surroundings* and says whether it is a known false-positive shape (a version
number, an order number, a timestamp, a run of one digit, a placeholder).
Each filter is a small class with a ``name`` (what settings and the index
call it), a ``version`` (bumped when its rules change; the engine records
``filter.<name>`` versions with its detector versions), the ``entities`` it
applies to, and ``rejects(text, start, end, entity_type)``.

Which matches are filtered: the engine (:class:`piiscan.detectors.engine.DetectionEngine`)
runs every enabled filter on every match of the entity types it lists, in
text and in table cells, except matches from the deny list (always
reported).  *Checksum-confirmed* entity types (:data:`CHECKSUM_ENTITIES`:
cards, IBANs, NHS numbers — their detectors drop whatever fails the check) are
listed by a filter only where the checksum cannot tell (a 13-digit epoch
timestamp passes Luhn one time in ten); a phone number scored up by a
context word is *not* checksum-confirmed and is filtered like any other.

Filters are cheap: a few regular expressions over a window of at most
:data:`WINDOW` characters either side of the match.  They never log or
return the matched text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from piiscan.detectors.base import REFERENCE_WORDS, fixed_context_pattern

#: Entity types whose detectors report only checksum-valid values.
CHECKSUM_ENTITIES = frozenset({"CREDIT_CARD", "IBAN_CODE", "UK_NHS"})
#: Characters either side of a match a filter may look at.
WINDOW = 40
#: Words that make a number near them a person's identifier, whatever label precedes it.
PERSONAL_WORDS = (
    "phone", "telephone", "tel", "mobile", "mob", "cell", "fax", "call", "landline", "whatsapp", "contact",
    "nhs", "ssn", "social security", "national insurance", "nino", "dob", "d.o.b", "born", "birth", "birthday",
)  # fmt: skip

_NOT_DIGIT = re.compile(r"\D+")
_PERSONAL = fixed_context_pattern(PERSONAL_WORDS)


class Filter:
    """A named false-positive filter (see the module docstring)."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    entities: ClassVar[frozenset[str]] = frozenset()
    #: a regex (RE2 syntax, for ``pyarrow.compute.match_substring_regex``) that a table cell
    #: must contain for this filter to reject a match in it; None: no such cheap test
    hint: ClassVar[str | None] = None

    def applies_to(self, entity_type: str) -> bool:
        return entity_type in self.entities

    def cell_hint(self, entity_type: str) -> str | None:
        """:attr:`hint` for matches of ``entity_type`` (the engine skips cells without it)."""
        return self.hint

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        """Whether the match ``text[start:end]`` of ``entity_type`` is this filter's false-positive shape."""
        raise NotImplementedError


# -- version numbers -----------------------------------------------------------
_VERSION_LABEL = re.compile(
    r"(?:(?<![^\W_])(?:versions?|ver|v|releases?|rel|build|revision|rev|firmware|fw|patch)\s*[.:=#]?\s*v?"
    r"|==|>=|<=|~=|!=|\^|~)$",
    re.IGNORECASE,
)
#: Semantic-version pre-release / build metadata after the number: "-beta", "-rc.1", "+build.5", "-SNAPSHOT".
_VERSION_SUFFIX = re.compile(
    r"[-+.]?(?:alpha|beta|rc|pre|preview|dev|snapshot|final|release|build|nightly|canary|post|ga|lts|[ab]\d)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"[\d.]")


class VersionNumber(Filter):
    """Version numbers: "v1.2.3.4", "version 10.0.19041.1", "1.2.3.4-beta", "pkg==2.0.1.3".

    A dotted quad is a valid IPv4 address, a dotted date-like run can parse as a
    date, and a long dotted run can pass the phone matcher.  The dotted run
    holding the match is a version when a version word ("version", "v", "build",
    "release", "rev", "firmware" ...) or a version operator ("==", ">=", "^")
    comes right before it, or a pre-release / build suffix ("-beta", "-rc1",
    "+build") right after it.
    """

    name = "version_number"
    entities = frozenset({"IP_ADDRESS", "PHONE_NUMBER", "DATE_OF_BIRTH"})
    hint = (
        r"(?i)v|rel|build|firmware|fw|patch|[=<>~!]=|\^|~|alpha|beta|rc|pre|dev|snapshot|final|nightly|canary|"
        r"post|ga|lts|[ab][0-9]"
    )

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        # widen to the whole dotted run ("10.0.19041.1" when the match is a part of it)
        while start > 0 and _DOTTED.match(text, start - 1):
            start -= 1
        while end < len(text) and _DOTTED.match(text, end):
            end += 1
        if _VERSION_LABEL.search(text, max(0, start - 20), start):
            return True
        return "." in text[start:end] and bool(_VERSION_SUFFIX.match(text, end, end + 20))


# -- order and reference numbers -------------------------------------------------
_LABELS = "|".join(re.escape(w) for w in sorted(REFERENCE_WORDS, key=len, reverse=True))
#: A reference label right before the number: "order 1234", "Invoice No. 1234", "ref: 1234",
#: "ticket #1234", "PO-1234", "order date 01/02/1990", or a bare "#".
_ORDER_LABEL = re.compile(
    rf"(?:(?<![^\W_])(?P<label>{_LABELS})s?[ \t]*"
    r"(?:(?:no|nr|num|number|id|code|date|dated|ref|reference)(?![^\W_])\.?[ \t]*)?(?:[#:=.\-][ \t]*){0,2}"
    r"|(?<![\w#])#)[ \t]*$",
    re.IGNORECASE,
)

#: How the text before a labelled number ends, once separators are stripped (a cheap test before
#: :data:`_ORDER_LABEL`): a label, a plural label or the word after one ("no", "id").
_LABEL_ENDINGS = tuple(
    {*REFERENCE_WORDS, *(w + "s" for w in REFERENCE_WORDS), "no", "nr", "num", "number", "id", "code", "date", "dated"}
)


class OrderNumber(Filter):
    """Reference numbers: a digit run right after "order", "invoice", "ref",
    "ticket", "tracking", "case", "PO", "SKU", "part", "serial",
    "transaction", "receipt", "booking", "confirmation" (optionally "no.",
    "number", "#", ":") or a bare "#": "Order #0207946001", "invoice no. 123-45-6789",
    "ticket 9434765919", "Order date 03/02/1990".

    Order numbers have as many digits as phone numbers, SSNs and NHS numbers
    (an NHS number's mod-11 check passes one random number in eleven).  A
    personal word ("phone", "NHS", "SSN", "born" ...) just before the label
    keeps the match ("NHS ref 943 476 5919", "mobile #: 07700 900123").
    """

    name = "order_number"
    entities = frozenset({"PHONE_NUMBER", "US_SSN", "UK_NHS", "DATE_OF_BIRTH"})
    hint = "(?i)#|" + _LABELS

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        if not start:
            return False
        lo = max(0, start - WINDOW)
        before = text[lo:start]
        stripped = before.rstrip(" \t#:=.-")
        if "#" not in before[len(stripped) :] and not stripped.lower().endswith(_LABEL_ENDINGS):
            return False  # neither a bare "#" nor a label's last word right before the number
        m = _ORDER_LABEL.search(text, lo, start)
        if m is None:
            return False
        return not _PERSONAL.search(text, max(0, m.start() - 24), m.end())


# -- timestamps ------------------------------------------------------------------
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIMESTAMPS = re.compile(
    "|".join(
        (
            # ISO 8601 / SQL: 2023-11-02T10:11:12.123Z, 2023-11-02 10:11:12,123
            rf"(?<!\d)\d{{4}}-\d{{2}}-\d{{2}}[T ](?P<iso>{_TIME}){_ZONE}",
            # compact ISO 8601: 20231102T101112Z
            r"(?<!\d)\d{8}T(?P<compact>\d{4}(?:\d{2})?)Z?(?!\d)",
            # Apache / nginx: 02/Nov/2023:10:11:12 +0000
            rf"(?<!\d)\d{{2}}/{_MONTH_ABBR}/\d{{4}}:(?P<clf>{_TIME})(?:\s[+-]\d{{4}})?",
            # syslog: Nov  2 10:11:12
            rf"(?<![^\W_]){_MONTH_ABBR}\s{{1,2}}\d{{1,2}}\s(?P<syslog>{_TIME})",
            # a date then a time: 02/11/2023 10:11:12, 2.11.2023 10:11
            rf"(?<!\d)\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}},?\s(?P<dmy>{_TIME})",
            # time of day with seconds: 10:11:12, 10:11:12.123
            r"(?<![\d:])(?P<clock>\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?)(?![\d:])",
        )
    ),
)
_CLOCK = re.compile(r"\d[:T]\d")
_MIDNIGHT = re.compile(r"0?0:00(?::00(?:[.,]0+)?)?|0000(?:00)?")
#: Unix time in seconds (10 digits) or milliseconds (13 digits) from 2001-09-09 to 2033-05-18.
_EPOCH = re.compile(r"1\d{9}(?:\d{3})?")
_TIMESTAMP_ENTITIES = frozenset({"PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "DATE_OF_BIRTH"})


class Timestamp(Filter):
    """Timestamps: Unix epoch seconds/milliseconds ("1700000000", "1700000000123"),
    ISO-8601 and SQL timestamps ("2023-11-02T10:11:12Z"), times of day with
    seconds ("10:11:12") and log-line stamps ("02/Nov/2023:10:11:12 +0000",
    "Nov  2 10:11:12").

    A 10-digit epoch second looks like a national phone number without its
    trunk 0, a 13-digit epoch millisecond passes Luhn one time in ten (no card
    issuer uses a 13-digit number starting with 1), and the digits around a
    time can be read as a phone number or an SSN.  The match is rejected when it
    is a whole epoch number or overlaps a timestamp.  For DATE_OF_BIRTH only a
    timestamp with a time of day counts: databases print dates of birth as
    "1962-02-18 00:00:00", and midnight is kept.
    """

    name = "timestamp"
    entities = _TIMESTAMP_ENTITIES
    hint = r"[:T]|1[0-9]{9}"

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        if _EPOCH.fullmatch(text, start, end) and entity_type != "DATE_OF_BIRTH":
            return True
        lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
        if not _CLOCK.search(text, lo, hi):  # every timestamp shape has a digit, ":" or "T", a digit
            return False
        for m in _TIMESTAMPS.finditer(text, lo, hi):
            if m.start() >= end:
                break
            if m.end() <= start:
                continue
            if entity_type != "DATE_OF_BIRTH":
                return True
            time = next(g for g in m.groups() if g is not None)
            if not _MIDNIGHT.fullmatch(time):
                return True
        return False


# -- repeated or sequential digits ---------------------------------------------
_ASCENDING = "01234567890123456789"
_DESCENDING = _ASCENDING[::-1]
MIN_FILLER_DIGITS = 6


def _filler_runs() -> str:
    """RE2 regex: the last :data:`MIN_FILLER_DIGITS` digits of any filler run, non-digits allowed between."""
    runs = {d * MIN_FILLER_DIGITS for d in "0123456789"}
    for i in range(10):
        runs |= {_ASCENDING[i : i + MIN_FILLER_DIGITS], _DESCENDING[i : i + MIN_FILLER_DIGITS]}
    return "|".join("[^0-9]*".join(run) for run in sorted(runs))


def is_filler_digits(digits: str) -> bool:
    """A run of one digit ("1111111"), or counting up or down ("123456789", "0123456789", "987654321")."""
    return len(digits) >= MIN_FILLER_DIGITS and (len(set(digits)) == 1 or digits in _ASCENDING or digits in _DESCENDING)


def _national_numbers(digits: str) -> list[str]:
    """The digits after the country code that ``digits`` (an international number without its "+" or "00")
    starts with.  Country codes are prefix-free, so at most one of its first 1-3 digits is one: "+34 912 345
    678" is Spain's 912345678, not the filler "12345678" after a three-digit code "349".  Digits that start
    with no country code are read after each length of code."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE  # on first need: settings import this module

    for n in (1, 2, 3):
        if int(digits[:n] or 0) in COUNTRY_CODE_TO_REGION_CODE:
            return [digits[n:]]
    return [digits[n:] for n in (1, 2, 3)]


class RepeatedOrSequentialDigits(Filter):
    """Dummy numbers: one digit repeated ("000-00-0000", "1111111111",
    "07777 777777") or digits counting up or down ("123-45-6789",
    "01234 567890", "AB 12 34 56 C", "9876543210").

    Forms, test data and masked exports fill identifier fields with these.
    Only the digits count; a leading country code ("+44"), "00" prefix or
    trunk "0" may come first ("+44 7777 777777").  The country code is the
    one the number starts with (phonenumbers' list), so the national number
    is never cut short: "+33 6 98 76 54 32" is France's 698765432, no filler.  At least six digits must
    be filler.  Checksum-confirmed types are not listed: their checksum
    already decides.
    """

    name = "repeated_or_sequential_digits"
    entities = frozenset({"PHONE_NUMBER", "US_SSN", "UK_NINO"})
    hint = _filler_runs()

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        value = text[start:end].lstrip()
        digits = _NOT_DIGIT.sub("", value)
        if not is_filler_digits(digits[-MIN_FILLER_DIGITS:]):  # every candidate below ends with these
            return False
        # the prefix may not be filler: a country code ("+44", "0044"), then a trunk "0" ("+44 (0)")
        if value.startswith("+"):
            national = _national_numbers(digits)
        elif value.startswith("00"):
            national = _national_numbers(digits[2:])
        else:
            national = [digits]
        candidates = [digits, *national, *(d[1:] for d in national if d.startswith("0"))]
        return any(is_filler_digits(d) for d in candidates)


# -- placeholders ----------------------------------------------------------------
_FILLER_LOCAL = re.compile(
    r"x+|test(?:ing|er)?\d*|user(?:name)?\d*|name|your[._-]?(?:name|email|mail)|e?mail|me|you|someone|somebody|"
    r"nobody|anybody|anyone|foo|bar|foobar|baz|dummy|fake|sample|example|abc|asdf|qwerty|"
    r"first(?:name)?[._-]?last(?:name)?|firstname|lastname",
    re.IGNORECASE,
)
_FILLER_DOMAIN_WORDS = (
    r"x+|test|example|domain|yourdomain|mydomain|yourcompany|company|foo|bar|sample|dummy|fake|invalid|localhost|email"
)
_FILLER_DOMAIN = re.compile(rf"(?:{_FILLER_DOMAIN_WORDS})\.[a-z.]+", re.IGNORECASE)
_FILLER_CHARS = re.compile(r"[xX*#?_.\-\s]+|[xX]{2,}(?:[\s\-.][xX]{2,})*")
PLACEHOLDER_NAMES = frozenset({
    "n/a", "na", "none", "null", "nil", "unknown", "tbc", "tba", "test", "test user", "testuser", "anonymous",
    "redacted", "withheld", "john doe", "jane doe", "joe bloggs", "joe public", "john q public", "john q. public",
    "firstname lastname", "first name last name", "first last", "your name", "name surname", "anytown",
})  # fmt: skip


class Placeholder(Filter):
    """Obvious placeholders: e-mail addresses made of filler words on both sides
    ("test@test.com", "user@example.com", "your.name@domain.com", "xxx@xxx.com"),
    and names or places that are fillers ("N/A", "XXXX", "John Doe", "Joe
    Bloggs", "Test User", "Anytown").

    Templates, form hints and test data hold these.  A real address is kept
    when either side is real: "alice@example.com", "test@gmail.com", and so
    is a mailbox named like a person ("jane.doe@example.com").
    """

    name = "placeholder"
    entities = frozenset({"EMAIL_ADDRESS", "PERSON", "LOCATION"})

    def cell_hint(self, entity_type: str) -> str | None:
        return rf"(?i)@(?:{_FILLER_DOMAIN_WORDS})\." if entity_type == "EMAIL_ADDRESS" else None

    def rejects(self, text: str, start: int, end: int, entity_type: str) -> bool:
        value = text[start:end].strip()
        if entity_type == "EMAIL_ADDRESS":
            local, _, domain = value.rpartition("@")
            return bool(_FILLER_LOCAL.fullmatch(local) and _FILLER_DOMAIN.fullmatch(domain))
        return bool(_FILLER_CHARS.fullmatch(value)) or " ".join(value.split()).casefold() in PLACEHOLDER_NAMES


#: Every filter, in the order they run.
FILTERS: tuple[type[Filter], ...] = (VersionNumber, OrderNumber, Timestamp, RepeatedOrSequentialDigits, Placeholder)
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in FILTERS)


def build_filters(names: Iterable[str]) -> list[Filter]:
    """The filters named (settings ``filters``), in :data:`FILTERS` order; an unknown name is a ValueError."""
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in FILTER_NAMES]
    if unknown:
        raise ValueError(f"unknown filter(s): {', '.join(unknown)}; known: {', '.join(FILTER_NAMES)}")
    return [cls() for cls in FILTERS if cls.name in wanted]


class FilterSet:
    """Enabled filters, indexed by entity type (the engine asks per match)."""

    def __init__(self, filters: Sequence[Filter]) -> None:
        self.filters = list(filters)
        self._by_entity: dict[str, list[Filter]] = {}
        for f in self.filters:
            for entity in f.entities:
                self._by_entity.setdefault(entity, []).append(f)

    @property
    def entities(self) -> tuple[str, ...]:
        """Entity types some filter applies to."""
        return tuple(sorted(self._by_entity))

    def cell_hint(self, entity_type: str) -> str | None:
        """A regex a table cell must contain for some filter to reject a match of ``entity_type``
        in it: "" when no filter applies (nothing to check), None when some filter has no cheap test."""
        hints = [f.cell_hint(entity_type) for f in self._by_entity.get(entity_type, ())]
        if any(h is None for h in hints):
            return None
        return "|".join(f"(?:{h})" for h in hints)

    def versions(self) -> dict[str, str]:
        """``filter.<name>`` -> version, for the engine's detector versions."""
        return {f"filter.{f.name}": f.version for f in self.filters}

    def rejecting(self, text: str, start: int, end: int, entity_type: str) -> str | None:
        """The name of the first filter that rejects the match, or None."""
        for f in self._by_entity.get(entity_type, ()):
            if f.rejects(text, start, end, entity_type):
                return f.name
        return None

    def text_hints(self, texts: Sequence[str]) -> TextHints:
        """Which of ``texts`` hold each filter's hint, for :meth:`TextHints.rejecting` over matches in them."""
        return TextHints(self, texts)


class TextHints:
    """The filters of a :class:`FilterSet` over a batch of texts, each run only on texts holding its hint.

    A filter's hint (:meth:`Filter.cell_hint`) is a regex a text must contain
    for the filter to reject anything in it; it is searched once per filter and
    entity type over all the texts (pyarrow's RE2 kernel, no Python per text),
    on first need.
    """

    def __init__(self, filters: FilterSet, texts: Sequence[str]) -> None:
        self.filters = filters
        self.texts = texts
        self._array: pa.Array | None = None
        self._plans: dict[str, list[tuple[Filter, np.ndarray | None]]] = {}

    def _plan(self, entity_type: str) -> list[tuple[Filter, np.ndarray | None]]:
        """The filters of ``entity_type``, each with which texts hold its hint (None: no hint, every text)."""
        plan: list[tuple[Filter, np.ndarray | None]] = []
        for f in self.filters._by_entity.get(entity_type, ()):
            hint = f.cell_hint(entity_type)
            if hint is None:
                plan.append((f, None))
                continue
            if self._array is None:
                self._array = pa.array(self.texts, pa.string())
            found = pc.match_substring_regex(self._array, hint)
            hits = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
            if hits.any():
                plan.append((f, hits))
        self._plans[entity_type] = plan
        return plan

    def rejecting(self, text: str, start: int, end: int, entity_type: str, row: int) -> str | None:
        """:meth:`FilterSet.rejecting` for a match in ``text``, the ``row``-th of the texts."""
        plan = self._plans.get(entity_type)
        for f, hits in self._plan(entity_type) if plan is None else plan:
            if (hits is None or hits[row]) and f.rejects(text, start, end, entity_type):
                return f.name
        return None
