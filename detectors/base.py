"""Core detector types, modelled on presidio-analyzer's recognizers.

A detector declares the entity types it finds, finds candidates in text, and
runs a ``validate`` step with three outcomes (confirm / no opinion / reject).
Every accepted candidate is normalised to a canonical value (what is hashed
into the subject key) and masked (what the index may show).  Matches carry the
raw value only inside a worker process; they never reach the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar


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


class Detector:
    """A pattern detector for one entity type.

    Subclasses set ``name``, ``version``, ``entity``, ``patterns`` and
    ``keywords`` (cheap pre-filter: the detector only runs on text containing
    one of them; empty means always run), and override ``validate``,
    ``normalise`` and ``mask`` as needed.  ``context`` words raise the score of
    a NO_OPINION match when they occur near it or in the field name.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    entity: ClassVar[str] = ""
    patterns: ClassVar[tuple[Pattern, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()
    context: ClassVar[tuple[str, ...]] = ()
    #: how much a context word adds to a NO_OPINION score
    context_boost: ClassVar[float] = 0.35
    #: characters either side of a match searched for context words
    context_window: ClassVar[int] = 40
    #: minimum score to report
    threshold: ClassVar[float] = 0.5

    def __init__(self) -> None:
        self._compiled = [(p, re.compile(p.regex)) for p in self.patterns]
        self._context_re = (
            re.compile(r"\b(?:" + "|".join(re.escape(w) for w in self.context) + r")\b", re.IGNORECASE)
            if self.context
            else None
        )

    @property
    def entities(self) -> tuple[str, ...]:
        return (self.entity,)

    def might_match(self, text: str) -> bool:
        """Cheap pre-filter before running regexes."""
        if not self.keywords:
            return True
        return any(k in text for k in self.keywords)

    def validate(self, value: str) -> Validation:
        return Validation.NO_OPINION

    def normalise(self, value: str) -> str:
        return value.strip()

    def mask(self, value: str) -> str:
        return mask_middle(value)

    def has_context(self, text: str, start: int, end: int, field: str | None = None) -> bool:
        if self._context_re is None:
            return False
        if field and self._context_re.search(field.replace("_", " ")):
            return True
        window = text[max(0, start - self.context_window) : end + self.context_window]
        return bool(self._context_re.search(window))

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        """All accepted matches in ``text`` (``field`` names the column/JSON path, for context)."""
        if not self.might_match(text):
            return
        seen: set[tuple[int, int]] = set()
        for pattern, compiled in self._compiled:
            for m in compiled.finditer(text):
                start, end = m.span(m.lastindex or 0) if m.lastindex else m.span()
                if (start, end) in seen:
                    continue
                value = text[start:end]
                outcome = self.validate(value)
                if outcome is Validation.REJECT:
                    continue
                score = pattern.score
                if outcome is Validation.CONFIRM:
                    score = CONFIRMED_SCORE
                elif self.has_context(text, start, end, field):
                    score = min(CONFIRMED_SCORE, score + self.context_boost)
                if score < self.threshold:
                    continue
                seen.add((start, end))
                yield Match(
                    self.entity, start, end, round(score, 3), self.name, self.normalise(value), self.mask(value)
                )


def mask_middle(value: str, keep_start: int = 1, keep_end: int = 1, fill: str = "*") -> str:
    """Mask all but the first/last characters of each word-ish run.

    Keeps separators so the shape stays readable ("J*** S***h").
    """
    out = []
    for token in re.split(r"(\W+)", value):
        if not token or re.fullmatch(r"\W+", token):
            out.append(token)
            continue
        if len(token) <= keep_start + keep_end:
            out.append(token[:1] + fill * (len(token) - 1))
        else:
            out.append(token[:keep_start] + fill * (len(token) - keep_start - keep_end) + token[len(token) - keep_end :])
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
