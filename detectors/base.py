"""Core detector types, modelled on presidio-analyzer's recognizers.

A detector declares the entity types it finds, finds candidates in text, and
runs a ``validate`` step with three outcomes (confirm / no opinion / reject).
Every accepted candidate is normalised to a canonical value (what is hashed
into the subject key) and masked (what the index may show).  Matches carry the
raw value only inside a worker process; they never reach the index.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar, Self

import regex

from piiscan.detectors.text_tables import column_header

if TYPE_CHECKING:  # settings import custom recognizers, which are detectors: for type hints only
    from piiscan.detectors.settings import DetectorSettings

#: Upper-case letters of the Latin, Greek and Cyrillic scripts, for regex classes: a capitalised
#: word starts with one ("Árnþórsson", "ΠΑΦΟΣ"); Python's ``re`` has no \p{Lu}.
UPPER_LETTERS = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽΆΈ-ΏΑ-ΩЀ-Я"


#: A compiled pattern: Python's ``re`` for built-in detectors; the ``regex`` module (which can stop a
#: search after a timeout) for patterns a user wrote (:mod:`piiscan.detectors.custom`).
CompiledPattern = re.Pattern[str] | regex.Pattern[str]
PatternMatch = re.Match[str] | regex.Match[str]


class Validation(Enum):
    """Outcome of a detector's validate step (presidio: True / None / False)."""

    CONFIRM = "confirm"  # checksum or library says valid: score raised
    NO_OPINION = "no_opinion"  # keep the pattern score
    REJECT = "reject"  # drop the candidate


@dataclass(frozen=True)
class Match:
    """One detected value inside a piece of text (worker-internal).

    ``start``/``end`` are character offsets into the analysed text;
    ``normalised`` is the canonical identifier that gets HMAC-hashed;
    ``preview`` is the masked form safe to store.
    """

    entity_type: str
    start: int
    end: int
    score: float
    detector: str
    normalised: str
    preview: str


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: str
    score: float


#: Score a confirmed (validated) match is raised to.
CONFIRMED_SCORE = 1.0


#: Distinct candidate values a detector remembers the verdict on (cleared when full).
VERDICT_CACHE_SIZE = 65_536


class Detector:
    """A pattern detector for one entity type.

    Subclasses set ``name``, ``version``, ``entity``, ``patterns`` and
    ``keywords`` (cheap pre-filter: the detector only runs on text containing
    one of them; empty means always run), and override ``validate``,
    ``normalise`` and ``mask`` as needed; one that reads more of the settings
    than its threshold overrides :meth:`from_settings`, the one way workers
    build it.  ``context`` words raise the score of a NO_OPINION match when they occur near it or in the field name;
    ``negative_context`` words ("order", "invoice" ...) lower it when no
    context word is there.  Both match whole words and their common
    inflections (:func:`context_pattern`), so "call" also finds "called" and
    "caller", and "date of birth" finds "date_of_birth" and "dates of birth".
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    entity: ClassVar[str] = ""
    patterns: ClassVar[tuple[Pattern, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()
    context: ClassVar[tuple[str, ...]] = ()
    #: how much a context word adds to a NO_OPINION score
    context_boost: ClassVar[float] = 0.35
    #: words that say a nearby value is something else (e.g. :data:`REFERENCE_WORDS`)
    negative_context: ClassVar[tuple[str, ...]] = ()
    #: how much a negative context word (and no context word) takes from a NO_OPINION score
    negative_penalty: ClassVar[float] = 0.3
    #: characters either side of a match searched for context words
    context_window: ClassVar[int] = 40
    #: report only matches with a context word nearby or in the field name,
    #: for shapes too common to stand alone (NHS numbers, dates of birth)
    requires_context: ClassVar[bool] = False
    #: minimum score to report (per instance: settings.score_threshold)
    threshold: float = 0.5
    #: Whether no pattern can match across a line break or see past one differently from the
    #: start or end of a text, so :meth:`find_many` may search many texts joined by line breaks.
    batch_safe: ClassVar[bool] = False
    #: Loose regexes that match wherever ``patterns`` can (a superset, in the syntax Hyperscan
    #: compiles): :mod:`piiscan.detectors.prefilter` hands the detector only texts where one matches.
    #: Empty: every text (a ``requires_context`` detector is still gated on its context words).
    triggers: ClassVar[tuple[str, ...]] = ()
    #: Whether the pre-filter may keep this detector's compiled triggers on disk between processes
    #: (:func:`piiscan.detectors.prefilter.cache_dir`): true for built-in detectors, whose triggers are
    #: fixed regexes; false where a user's patterns or terms (a deny list may hold names) are compiled in.
    triggers_cacheable: ClassVar[bool] = True
    #: Triggers matched exactly (ASCII classes) whose hits count only when they start outside the
    #: spans of ``trigger_exceptions``: shapes the detector skips whole (dates for phone numbers).
    #: Both start with one character of left context, which is not part of their span.
    #: Texts are scanned with a line break before the first and between and after them, so a
    #: trigger may also start with a character of left context ("[^a-z0-9]" for a look-behind).
    spanned_triggers: ClassVar[tuple[str, ...]] = ()
    trigger_exceptions: ClassVar[tuple[str, ...]] = ()
    #: A literal every match of every pattern holds, fewer than ``anchor_reach`` characters after
    #: its start and with no space before it ("@" in an e-mail address): the patterns are then
    #: tried only just before each occurrence (:func:`anchored_finditer`), not at every character.
    anchor: ClassVar[str] = ""
    anchor_reach: ClassVar[int] = 0
    #: A quasi-identifier of free text (DATE_TIME): searched only where free text is analysed
    #: (``settings.ner``), in texts and free-text columns; never a column's type, never looked for in
    #: the values of other columns, and never masked out of item names and locators.
    free_text_only: ClassVar[bool] = False

    def __init__(self, threshold: float | None = None) -> None:
        if threshold is not None:
            self.threshold = threshold
        self._compiled = [(p, self._compile(p.regex)) for p in self.patterns]
        self._context_re = context_pattern(tuple(self.context))
        self._negative_re = context_pattern(tuple(self.negative_context))
        #: value -> (validation, normalised, mask): the same email or IP address recurs on many lines
        self._seen: dict[str, tuple[Validation, str, str]] = {}
        #: the field (column, key path) of the match being accepted: :meth:`plausible` is asked without it,
        #: and a detector whose plausibility reads the field's words (IMEI vs card) finds it here
        self._field: str | None = None

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> Self:
        """The detector as a worker builds it (once per process, never at import time): thresholded at
        ``settings.score_threshold``.  A subclass that reads other settings (regions, date order) overrides
        this, so builders never need to know which class wants what."""
        return cls(threshold=settings.score_threshold)

    @property
    def entities(self) -> tuple[str, ...]:
        return (self.entity,)

    def take_problems(self) -> list[str]:
        """One-line problems since the last call (a user's pattern that timed out), reported per item by
        the scanner; never the text searched.  Built-in detectors have none."""
        return []

    def might_match(self, text: str) -> bool:
        """Cheap pre-filter before running regexes."""
        if not self.keywords:
            return True
        return any(k in text for k in self.keywords)

    def validate(self, value: str) -> Validation:
        """CONFIRM (a checksum or library says valid: score raised to :data:`CONFIRMED_SCORE`),
        NO_OPINION (the pattern score stands, context adjusts it) or REJECT (the candidate is dropped)."""
        return Validation.NO_OPINION

    def normalise(self, value: str) -> str:
        return value.strip()

    def mask(self, value: str) -> str:
        return mask_middle(value)

    @property
    def context_regex(self) -> re.Pattern[str] | None:
        """The compiled context words (None without any)."""
        return self._context_re

    def trigger_exempt(self, field: str | None) -> bool:
        """Whether find() may match in this field's values where no trigger does (the pre-filter then passes all)."""
        return False

    def field_has_context(self, field: str | None) -> bool:
        """Whether the column name / JSON path holds a context word ("NHSNumber", "date_of_birth")."""
        return bool(field and self._context_re and self._context_re.search(field_words(field)))

    def field_has_negative_context(self, field: str | None) -> bool:
        """Whether the column name / JSON path holds a negative context word ("order_no", "InvoiceNumber")."""
        return bool(field and self._negative_re and self._negative_re.search(field_words(field)))

    def has_context(self, text: str, start: int, end: int, field: str | None = None) -> bool:
        """A context word in the field name, within ``context_window`` characters of the match, or in the
        header of the text-table column the match is in ("NHS Number" above "943 476 5919":
        :func:`piiscan.detectors.text_tables.column_header`)."""
        if self._context_re is None:
            return False
        return (
            self.field_has_context(field)
            or _near(self._context_re, text, start, end, self.context_window)
            or self.field_has_context(column_header(text, start, end))
        )

    def has_negative_context(self, text: str, start: int, end: int, field: str | None = None) -> bool:
        """A negative context word in the field name, within ``context_window`` characters of the match,
        or in its text-table column's header ("Order No")."""
        if self._negative_re is None:
            return False
        return (
            self.field_has_negative_context(field)
            or _near(self._negative_re, text, start, end, self.context_window)
            or self.field_has_negative_context(column_header(text, start, end))
        )

    def context_score(self, text: str, start: int, end: int, field: str | None = None) -> int:
        """+1: a context word near the match or in the field name; -1: no context word but a
        negative one; 0: neither.  (A context word wins: "call 020 7946 0000 about order 1234".)"""
        if self.has_context(text, start, end, field):
            return 1
        return -1 if self.has_negative_context(text, start, end, field) else 0

    def adjust_score(self, score: float, context: int) -> float:
        """``score`` raised by ``context_boost`` (context +1) or lowered by ``negative_penalty`` (-1)."""
        if context > 0:
            return min(CONFIRMED_SCORE, score + self.context_boost)
        if context < 0:
            return max(0.0, score - self.negative_penalty)
        return score

    def plausible(self, text: str, start: int, end: int) -> bool:
        """Named filters on a candidate in its text (e.g. "version 1.2.3.4" is no IP address)."""
        return True

    def value_score(self, value: str, score: float) -> float:
        """The score of a candidate that validated, before context: ``score`` (its pattern's) unless the value
        itself says more (a loopback IP address names no one's device; a URL with a profile path names someone)."""
        return score

    def spans(self, m: PatternMatch) -> Iterator[tuple[int, int]]:
        """Candidate spans of one regex match, best first: the first one not rejected is used.

        The span is the ``value`` group when the pattern has one, else the whole match;
        a detector can add shorter fallbacks (a greedy pattern that took a word too many).
        """
        yield m.span("value") if "value" in m.re.groupindex else m.span()

    def canonical(self, value: str) -> str | None:
        """Normalised form of a whole value (a lookup query), or None if it is not one identifier."""
        value = " ".join(value.split())
        for candidate in dict.fromkeys((value, value.upper())):
            for _, compiled in self._compiled:
                m = self._fullmatch(compiled, candidate)
                if m and self.validate(candidate) is not Validation.REJECT:
                    return self.normalise(candidate)
        return None

    def _context_anywhere(self, text: str, field: str | None) -> bool:
        """Whether a context word is in the field name or anywhere in the text."""
        return self._context_re is not None and (self.field_has_context(field) or bool(self._context_re.search(text)))

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        """All accepted matches in ``text`` (``field`` names the column/JSON path, for context).

        Patterns are tried in order; a candidate overlapping one already accepted is skipped.
        """
        if not self.might_match(text):
            return
        if self.requires_context and not self._context_anywhere(text, field):
            return  # one search over the text instead of one per candidate (log lines are full of dates)
        taken: list[tuple[int, int]] = []  # sorted, non-overlapping
        for pattern, compiled in self._compiled:
            for m in self._finditer(compiled, text):
                found = self._accept(pattern, m, text, 0, field, taken)
                if found is not None:
                    yield found

    def find_many(self, texts: Sequence[str], field: str | None = None) -> list[list[Match]]:
        """``find`` over many texts; the same matches, in the same order.

        Detectors that keep the base ``find`` and declare ``batch_safe`` search the
        texts joined by line breaks, one regex pass per pattern instead of one per
        text (most of the cost of a short text was the call, not the search).
        """
        if type(self).find is not Detector.find or not self.batch_safe or self.requires_context:
            return [list(self.find(t, field)) for t in texts]
        selected = [i for i, t in enumerate(texts) if self.might_match(t)]
        out: list[list[Match]] = [[] for _ in texts]
        if not selected:
            return out
        starts, offset = [], 0
        for i in selected:
            starts.append(offset)
            offset += len(texts[i]) + 1
        joined = "\n".join(texts[i] for i in selected)
        taken: list[list[tuple[int, int]]] = [[] for _ in selected]
        for pattern, compiled in self._compiled:
            for m in self._finditer(compiled, joined):
                k = bisect.bisect_right(starts, m.start()) - 1
                i = selected[k]
                found = self._accept(pattern, m, texts[i], starts[k], field, taken[k])
                if found is not None:
                    out[i].append(found)
        return out

    def _compile(self, source: str) -> CompiledPattern:
        """A pattern of :attr:`patterns`, compiled (built-in patterns: with ``re``)."""
        return re.compile(source)

    def _finditer(self, compiled: CompiledPattern, text: str) -> Iterator[PatternMatch]:
        """``compiled.finditer(text)``, searched from each :attr:`anchor` when the detector has one."""
        if self.anchor:
            return anchored_finditer(compiled, text, self.anchor, self.anchor_reach)
        return compiled.finditer(text)

    def _fullmatch(self, compiled: CompiledPattern, text: str) -> PatternMatch | None:
        """``compiled.fullmatch(text)`` (:meth:`canonical` asks whether a whole value is one identifier)."""
        return compiled.fullmatch(text)

    def _accept(
        self,
        pattern: Pattern,
        m: PatternMatch,
        text: str,
        offset: int,
        field: str | None,
        taken: list[tuple[int, int]],
    ) -> Match | None:
        """The match for one regex match ``m`` (found at ``offset`` before ``text``), or None.

        The first of its candidate spans (:meth:`spans`) that overlaps nothing in
        ``taken``, is plausible and validates is scored; it is reported (and added
        to ``taken``) if the score reaches the threshold.
        """
        self._field = field
        for span_start, span_end in self.spans(m):
            start, end = span_start - offset, span_end - offset
            if end > len(text):
                return None  # ran into the next text (find_many): no detector that can is batch_safe
            if overlaps(taken, start, end) or not self.plausible(text, start, end):
                continue
            outcome, normalised, masked = self._verdict(text[start:end])
            if outcome is Validation.REJECT:
                continue
            score = self.value_score(text[start:end], pattern.score)
            if self.requires_context or outcome is Validation.NO_OPINION:
                context = self.context_score(text, start, end, field)
                if self.requires_context and context <= 0:
                    return None
                if outcome is Validation.NO_OPINION:
                    score = self.adjust_score(score, context)
            if outcome is Validation.CONFIRM:
                score = CONFIRMED_SCORE
            if score < self.threshold:
                return None
            bisect.insort(taken, (start, end))
            return Match(self.entity, start, end, round(score, 3), self.name, normalised, masked)
        return None

    def _verdict(self, value: str) -> tuple[Validation, str, str]:
        """``validate``, ``normalise`` and ``mask`` of a candidate value, computed once per distinct value."""
        try:
            return self._seen[value]
        except KeyError:
            pass
        outcome = self.validate(value)
        verdict = (
            (outcome, "", "") if outcome is Validation.REJECT else (outcome, self.normalise(value), self.mask(value))
        )
        if len(self._seen) >= VERDICT_CACHE_SIZE:
            self._seen.clear()
        self._seen[value] = verdict
        return verdict


def anchored_finditer(compiled: CompiledPattern, text: str, anchor: str, reach: int) -> Iterator[PatternMatch]:
    """The matches ``compiled.finditer(text)`` gives, for a pattern whose every match holds ``anchor``
    fewer than ``reach`` characters after its start, with no space before it.

    The next match holds the next occurrence of ``anchor`` or a later one, so it starts after
    ``reach`` characters before that occurrence and after the last space before it: searching
    from there finds it without trying the pattern at every character of the text.
    """
    pos, find, rfind, search = 0, text.find, text.rfind, compiled.search
    while (at := find(anchor, pos)) >= 0:
        start = max(pos, at - reach + 1, rfind(" ", pos, at) + 1)
        m = search(text, start)
        if m is None:
            return
        yield m
        pos = m.end()


def overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps a span of ``taken`` (sorted, non-overlapping spans)."""
    i = bisect.bisect_left(taken, (start, end))
    return (i > 0 and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end)


def _near(pattern: re.Pattern[str], text: str, start: int, end: int, window: int) -> bool:
    """``pattern`` within ``window`` characters before or after ``[start, end)``.

    The match itself is no context ("mail" in "bob@mail.example.com")."""
    return bool(pattern.search(text, max(0, start - window), start) or pattern.search(text, end, end + window))


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@lru_cache(maxsize=4096)
def field_words(field: str) -> str:
    """A column name or JSON path as words, so context words match in it ("dateOfBirth" -> "date Of Birth")."""
    return _CAMEL.sub(" ", field).replace("_", " ").replace("-", " ")


#: Words that label a number as a reference rather than a person's identifier
#: ("order no. 0207946001", "invoice 123-45-6789"): a ready-made
#: ``negative_context`` for detectors of bare digit runs, and the labels
#: :class:`piiscan.detectors.filters.OrderNumber` looks for.
REFERENCE_WORDS: tuple[str, ...] = (
    "order", "invoice", "ref", "reference", "ticket", "tracking", "case", "po", "sku", "part", "serial",
    "transaction", "receipt", "booking", "confirmation",
)  # fmt: skip

_VOWELS = frozenset("aeiou")
#: What a context word may end with besides itself and its plural: past, -ing, agent noun.
_SUFFIXES = ("ed", "ing", "er", "ers")
#: Separators between the words of a context phrase ("date of birth", "date_of_birth", "date-of-birth").
_PHRASE_GAP = r"[\s_\-]+"
#: Word edges: letters and digits are word characters, "_" is not ("phone_number", "dob_").
_WORD_START = r"(?<![^\W_])"
_WORD_END = r"(?![^\W_])"


def inflections(word: str) -> tuple[str, ...]:
    """The forms of one lower-case word a context word stands for: itself plus
    s/es/ed/ing/er/ers, with the usual spelling rules ("phone" -> "phoned",
    "phoning"; "reply" -> "replies"; "dial" -> "dialled").  Words of one or two
    letters ("ip", "ni") only take a plural "s", three-letter words no -er(s)
    ("ref" is not "refer"), and words that are not all letters ("d.o.b", "ipv4") nothing."""
    if not word.isalpha():
        return (word,)
    if len(word) <= 2:
        return (word, word + "s")
    if word.endswith("e"):  # phone: phones, phoned, phoner(s), phoning
        forms = [word, word + "s", word + "d", word + "r", word + "rs", word[:-1] + "ing"]
    elif word.endswith("y") and word[-2] not in _VOWELS:  # reply: replies, replied, replying, replier(s)
        forms = [word, word + "ing", word[:-1] + "ies", word[:-1] + "ied", word[:-1] + "ier", word[:-1] + "iers"]
    else:  # call: calls, called, calling, caller(s); box: boxes
        plural = "es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s"
        forms = [word, word + plural, *(word + s for s in _SUFFIXES[: 2 if len(word) == 3 else None])]
    if len(word) >= 4 and word[-1] == "l" and word[-2] in _VOWELS:  # British doubling: dialled, labelling
        forms += [word + "l" + s for s in ("ed", "ing", "er", "ers")]
    return tuple(dict.fromkeys(forms))


def _word_regex(word: str) -> str:
    """One word of a context phrase: its inflections, inner hyphens optional ("e-mail": "email", "e mail")."""
    *head, last = word.split("-")
    prefix = "".join(re.escape(h) + r"[\s_\-]?" for h in head if h)
    forms = sorted(inflections(last), key=len, reverse=True)
    return prefix + "(?:" + "|".join(re.escape(f) for f in forms) + ")"


@lru_cache(maxsize=256)
def context_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive regex finding any of ``words`` (words or phrases) as
    whole words, in their common inflections, phrase words separated by spaces,
    "_" or "-"; None for no words.

    Whole-word: "tel" does not match "hotel" or "telling", "mob" not "mobile".
    No lemmatiser runs: the inflections are spelled out once, here.
    """
    phrases = sorted(
        {w.strip().lower() for w in words if w.strip()}, key=lambda p: (-len(p), p)
    )  # longest first, then stable
    if not phrases:
        return None
    alternatives = (_PHRASE_GAP.join(_word_regex(part) for part in re.split(r"[\s_]+", p)) for p in phrases)
    return re.compile(_WORD_START + "(?:" + "|".join(alternatives) + ")" + _WORD_END, re.IGNORECASE)


def fixed_context_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """:func:`context_pattern` of a fixed word list that is never empty (a module's constant)."""
    pattern = context_pattern(words)
    if pattern is None:
        raise ValueError("a fixed context word list must hold at least one word")
    return pattern


def context_words_in(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` holds any of ``words`` the way :func:`context_pattern` matches them."""
    pattern = context_pattern(tuple(words))
    return bool(pattern and pattern.search(text))


_ASCII_DIGITS = "0123456789"


class _DigitCounter:
    """Counts ASCII digits, remembering the last text: every detector's
    pre-filter asks about the same text in turn."""

    __slots__ = ("count", "text")

    def __init__(self) -> None:
        self.text: str | None = None
        self.count = 0

    def __call__(self, text: str) -> int:
        if text is not self.text:
            self.text, self.count = text, sum(map(text.count, _ASCII_DIGITS))
        return self.count


_digit_count = _DigitCounter()


def has_min_digits(text: str, n: int) -> bool:
    """Cheap pre-filter: at least ``n`` ASCII digits anywhere in ``text`` (C-speed counting)."""
    return _digit_count(text) >= n


def mask_compact(value: str, keep_start: int = 0, keep_end: int = 4, group: int = 4, fill: str = "*") -> str:
    """Mask a compact identifier but its first/last characters, in groups counted from the right.

    ``mask_compact("4111111111111111")`` -> ``"**** **** **** 1111"``.  At least half of the
    characters are always masked, so a short value never comes back whole.
    """
    n = len(value)
    keep_end = min(keep_end, n // 2)
    keep_start = min(keep_start, n // 2 - keep_end)
    masked = value[:keep_start] + fill * (n - keep_start - keep_end) + value[n - keep_end :]
    if group <= 0:
        return masked
    head = n % group
    parts = ([masked[:head]] if head else []) + [masked[i : i + group] for i in range(head, n, group)]
    return " ".join(parts)


_NON_WORD_RUNS = re.compile(r"(\W+)")


def mask_middle(value: str, keep_start: int = 1, keep_end: int = 1, fill: str = "*") -> str:
    """Mask all but the first/last characters of each word-ish run.

    Keeps separators so the shape stays readable ("J*** S***h").
    """
    out = []
    for k, token in enumerate(_NON_WORD_RUNS.split(value)):
        if k % 2 or not token:  # odd pieces are the separators split on
            out.append(token)
            continue
        if len(token) <= keep_start + keep_end:
            out.append(token[:1] + fill * (len(token) - 1))
        else:
            hidden = len(token) - keep_start - keep_end
            out.append(token[:keep_start] + fill * hidden + token[len(token) - keep_end :])
    return "".join(out)


#: Columnar form of matches, as returned by the detection engine for a batch of
#: texts or a table: ``row`` indexes the text / table row, ``field`` is the
#: column or JSON path (null for plain text).  Raw values live only in
#: ``normalised`` and never leave the worker.
def match_schema():  # function so importing this module does not import pyarrow eagerly
    import pyarrow as pa

    return pa.schema(
        [
            ("row", pa.int64()),
            ("field", pa.string()),
            ("entity_type", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("score", pa.float32()),
            ("detector", pa.string()),
            ("normalised", pa.string()),
            ("preview", pa.string()),
        ]
    )
