"""One Hyperscan pass over a batch of texts that tells each detector which texts to look at.

Why: every identifier detector searches with Python ``re``, 20-130 ms per MB
per pattern, and there are about 25 patterns.  On log lines full of
timestamps and ids almost no line holds an identifier, yet every pattern
scanned every line.  Here each detector's *triggers*
(:attr:`detectors.base.Detector.triggers`: loose regexes that match wherever
the detector could) and, for detectors that report only with a context word,
its context words, are compiled into one Hyperscan database.  One scan of the
batch (texts joined by line breaks) finds which texts each trigger hits; a
detector then runs its own exact patterns on those texts only.

A detector can also declare *spanned* triggers with *exceptions*: a hit
counts only when it is not inside a span one of the exceptions matches.  The
phone detector uses this for dates and IPv4 addresses: any seven digits might
be a phone number, but the seven digits of "2026-11-01 13:33" (on every log
line) are a date its scanner skips whole.

What a detector finds does not change: a trigger must match wherever the
detector's patterns can (the tests check this against every detector's test
cases, phonenumbers' example numbers in every format and the pii-eval
sentences), and everything is compiled in Hyperscan's prefilter mode, which
widens what it cannot express exactly (look-arounds, back-references) instead
of failing.  A text that cannot be encoded as UTF-8 (a lone surrogate), or a
machine without the ``hyperscan`` package, gets every detector on every text.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors.base import Detector

log = logging.getLogger(__name__)

try:  # wheels for x86-64 Linux, macOS and Windows; a platform without one scans without the pre-filter
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None

#: Separates texts in the scanned buffer, and stands before the first and after the last (so an
#: exception's one character of left context always exists).  A hit belongs to the text its last byte is in.
_JOIN = "\n"
#: How an expression is compiled: loosely (prefilter mode, Unicode classes) or exactly with start offsets.
_LOOSE, _SPANNED = "loose", "spanned"


def available() -> bool:
    """Whether the Hyperscan pre-filter can run here."""
    return hyperscan is not None


@dataclass
class _Gate:
    """The expressions that gate one detector (ids into :attr:`Prefilter._expressions`)."""

    values: list[int] = field(default_factory=list)
    spanned: list[int] = field(default_factory=list)
    exceptions: list[int] = field(default_factory=list)
    context: list[int] | None = None  # None: no context gate

    @property
    def open(self) -> bool:
        """No value trigger at all: the value gate lets every text through."""
        return not (self.values or self.spanned)


@dataclass
class _Hits:
    """Where the expressions matched in one batch."""

    matrix: np.ndarray  # (expression, text) -> matched
    ids: np.ndarray  # spanned and exception hits: expression id, start, end (bytes), text
    starts: np.ndarray
    ends: np.ndarray
    rows: np.ndarray


class Prefilter:
    """Which texts of a batch each detector needs to see (``None``: all of them).

    Built once per detection engine; the Hyperscan database is compiled on first
    use and not pickled (a worker process compiles its own).
    """

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)
        self._expressions: list[tuple[str, bool, str]] = []  # (regex, case-insensitive, how)
        self._owners: list[int] = []  # the detector each expression gates
        #: detectors whose expressions Hyperscan could not compile: they see every text
        self._ungated: set[int] = set()
        self._gates: list[_Gate] = []
        for k, detector in enumerate(self.detectors):
            gate = _Gate(
                values=[self._add(k, t, False, _LOOSE) for t in detector.triggers],
                spanned=[self._add(k, t, False, _SPANNED) for t in detector.spanned_triggers],
                exceptions=[self._add(k, t, False, _SPANNED) for t in detector.trigger_exceptions],
            )
            if detector.requires_context:
                pattern = detector.context_regex
                caseless = bool(pattern and pattern.flags & re.IGNORECASE)
                gate.context = [self._add(k, pattern.pattern, caseless, _LOOSE)] if pattern else []
            self._gates.append(gate)
        self._database: Any = None

    def _add(self, owner: int, regex: str, caseless: bool, how: str) -> int:
        self._expressions.append((regex, caseless, how))
        self._owners.append(owner)
        return len(self._expressions) - 1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_database": None}

    @property
    def active(self) -> bool:
        """Whether any detector is gated (else :meth:`gates` always answers "all texts")."""
        return available() and bool(self._expressions)

    def _compiled(self) -> Any:
        """The database, compiled on first use.  An expression Hyperscan rejects (a deny list of
        thousands of terms can be "too large") leaves its detector ungated rather than failing the scan."""
        if self._database is None:
            wanted = [i for i, owner in enumerate(self._owners) if owner not in self._ungated]
            try:
                self._database = _compile([self._expressions[i] for i in wanted], wanted)
            except hyperscan.error:
                for i in wanted:
                    try:
                        _compile([self._expressions[i]], [i])
                    except hyperscan.error as exc:
                        name = self.detectors[self._owners[i]].name  # never the expression: deny terms are data
                        log.warning("pre-filter: detector %s runs on every text (%s)", name, exc)
                        self._ungated.add(self._owners[i])
                wanted = [i for i, owner in enumerate(self._owners) if owner not in self._ungated]
                self._database = _compile([self._expressions[i] for i in wanted], wanted) if wanted else False
        return self._database

    def hits(self, texts: Sequence[str]) -> _Hits | None:
        """Where each expression matched in ``texts``; None if that cannot be known here."""
        if not self.active or not texts:
            return None
        try:
            data = (_JOIN + _JOIN.join(texts) + _JOIN).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: Hyperscan needs valid UTF-8
            return None
        database = self._compiled()
        if database is False:
            return None
        lengths = [len(t) for t in texts] if data.isascii() else [len(t.encode("utf-8")) for t in texts]
        text_starts = np.cumsum([len(_JOIN), *(n + len(_JOIN) for n in lengths[:-1])])
        found: list[tuple[int, int, int]] = []
        database.scan(data, match_event_handler=lambda i, start, end, _f, _c: found.append((i, start, end)))
        matrix = np.zeros((len(self._expressions), len(texts)), dtype=bool)
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return _Hits(matrix, empty, empty, empty, empty)
        ids, starts, ends = (np.asarray(column, dtype=np.int64) for column in zip(*found, strict=True))
        rows = np.clip(np.searchsorted(text_starts, ends - 1, side="right") - 1, 0, len(texts) - 1)
        matrix[ids, rows] = True
        return _Hits(matrix, ids, starts, ends, rows)

    def gates(self, texts: Sequence[str], field: str | None = None) -> list[np.ndarray | None]:
        """Per detector: which of ``texts`` it must search (a boolean array), or None for all of them.

        ``field`` is the column or JSON path the texts come from: a field name
        holding a detector's context word satisfies its context gate, and a
        detector whose find() reads a field's whole value loosely
        (:meth:`Detector.trigger_exempt`) sees every text of that field.
        """
        hits = self.hits(texts)
        if hits is None:
            return [None] * len(self.detectors)
        out: list[np.ndarray | None] = []
        for k, (detector, gate) in enumerate(zip(self.detectors, self._gates, strict=True)):
            if k in self._ungated or detector.trigger_exempt(field):
                out.append(None)
                continue
            allowed = None if gate.open else hits.matrix[gate.values].any(axis=0)
            if gate.spanned:
                spanned = _uncovered(hits, gate.spanned, gate.exceptions, len(texts))
                allowed = spanned if allowed is None else allowed | spanned
            if gate.context is not None and not detector.field_has_context(field):
                hit = hits.matrix[gate.context].any(axis=0) if gate.context else np.zeros(len(texts), dtype=bool)
                allowed = hit if allowed is None else allowed & hit
            out.append(allowed)
        return out


def _uncovered(hits: _Hits, spanned: list[int], exceptions: list[int], count: int) -> np.ndarray:
    """Per text: whether a hit of ``spanned`` starts outside every span an exception matched.

    Both start with one character of left context, which is not part of their span.
    A hit that starts inside a span the detector skips whole cannot be the start of what it reads;
    whatever follows the span and is long enough to count has a hit of its own that starts there.
    """
    mine = np.isin(hits.ids, spanned)
    starts, rows = hits.starts[mine] + 1, hits.rows[mine]  # after the left context
    out = np.zeros(count, dtype=bool)
    void = np.isin(hits.ids, exceptions)
    if void.any() and len(starts):
        order = np.argsort(hits.starts[void], kind="stable")
        span_starts = hits.starts[void][order] + 1
        reach = np.maximum.accumulate(hits.ends[void][order])
        last = np.searchsorted(span_starts, starts, side="right") - 1  # the last span starting at or before
        covered = (last >= 0) & (reach[np.maximum(last, 0)] > starts)
        rows = rows[~covered]
    out[rows] = True
    return out


def _compile(expressions: Sequence[tuple[str, bool, str]], ids: Sequence[int]) -> Any:
    """A block-mode database: loose expressions in prefilter mode with Unicode classes, spanned ones
    exactly (ASCII classes, start offsets reported).  Compiling takes about half a second, so every
    engine of a process with the same detectors shares one (scans in a process run one at a time)."""
    return _compile_cached(tuple(expressions), tuple(ids))


@functools.lru_cache(maxsize=16)
def _compile_cached(expressions: tuple[tuple[str, bool, str], ...], ids: tuple[int, ...]) -> Any:
    loose = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
    flags = [
        (loose if how == _LOOSE else hyperscan.HS_FLAG_SOM_LEFTMOST) | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        for _, caseless, how in expressions
    ]
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[regex.encode("utf-8") for regex, _, _ in expressions],
        ids=list(ids),
        elements=len(expressions),
        flags=flags,
    )
    return database


def texts_to_search(gate: np.ndarray | None, count: int) -> Sequence[int]:
    """The indices a gate lets through."""
    return range(count) if gate is None else np.flatnonzero(gate).tolist()
