"""One Hyperscan pass over a batch of texts that tells each detector which texts to look at.

Why: every identifier detector searches with Python ``re``, 20-130 ms per MB
per pattern, and there are about 25 patterns.  On log lines full of
timestamps and ids almost no line holds an identifier, yet every pattern
scanned every line.  Here each detector's *triggers*
(:attr:`piiscan.detectors.base.Detector.triggers`: loose regexes that match wherever
the detector could) and, for detectors that report only with a context word,
its context words, are compiled into one Hyperscan database.  One scan of the
batch (texts joined by line breaks) finds which texts each trigger hits; a
detector then runs its own exact patterns on those texts only.

A detector can also declare *spanned* triggers with *exceptions*: a hit
counts only when it is not inside a span one of the exceptions matches.  The
phone detector uses this for dates and IPv4 addresses: any seven digits might
be a phone number, but the seven digits of "2026-11-01 13:33" (on every log
line) are a date its scanner skips whole.

Cost: Hyperscan calls back into Python once per match (about 0.2 microseconds), which
costs more than the scan itself on log lines, so the callback only extends a flat
list and everything after it is numpy.  ASCII texts (most of them) are scanned apart
from the others with ASCII classes, which Hyperscan matches several times faster than
Unicode ones (the same matches on ASCII text); the others get Unicode classes.

What a detector finds does not change: a trigger must match wherever the
detector's patterns can (the tests check this against every detector's test
cases, phonenumbers' example numbers in every format and the pii-eval
sentences), and everything is compiled in Hyperscan's prefilter mode, which
widens what it cannot express exactly (look-arounds, back-references) instead
of failing.  A text that cannot be encoded as UTF-8 (a lone surrogate), or a
machine without the ``hyperscan`` package, gets every detector on every text.
"""

from __future__ import annotations

import array
import functools
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from piiscan.detectors.base import Detector

log = logging.getLogger(__name__)

try:  # wheels for x86-64 Linux, macOS and Windows; a platform without one scans without the pre-filter
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    _HYPERSCAN = False  # nothing below touches the name hyperscan unless available()
else:
    _HYPERSCAN = True

#: Separates texts in the scanned buffer, and stands before the first and after the last (so an
#: exception's one character of left context always exists).  A hit belongs to the text its last byte is in.
#: Every text has it on both sides whatever its neighbours, so which texts a buffer holds, and in which
#: order, changes no match within a text.
_JOIN = "\n"
#: How an expression is compiled: loosely (prefilter mode) or exactly with start offsets (:func:`_flags`).
_LOOSE, _SPANNED = "loose", "spanned"


def available() -> bool:
    """Whether the Hyperscan pre-filter can run here."""
    return _HYPERSCAN


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

    def any_of(self, expressions: list[int]) -> np.ndarray:
        """Per text: whether any of ``expressions`` matched it."""
        return np.asarray(self.matrix[expressions].any(axis=0), dtype=bool)


class Prefilter:
    """Which texts of a batch each detector needs to see (``None``: all of them).

    Built once per detection engine; the Hyperscan databases are compiled on first
    use and not pickled (a worker process compiles its own).
    """

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = list(detectors)
        self._expressions: list[tuple[str, bool, str]] = []  # (regex, case-insensitive, how)
        self._owners: list[int] = []  # the detector each expression gates
        #: detectors whose expressions Hyperscan could not compile: they see every text
        self._ungated: set[int] = set()
        #: loose expressions Hyperscan rejects in ASCII mode: the ASCII database takes them in UTF-8 mode
        self._utf8_only: set[int] = set()
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
        #: expression id -> whether its hits' positions are needed (spanned triggers and exceptions)
        self._positional = np.array([how == _SPANNED for _, _, how in self._expressions], dtype=bool)
        #: ASCII texts (True) or the others -> (the expressions compiled in, the database or False)
        self._databases: dict[bool, tuple[tuple[int, ...], Any]] = {}

    def _add(self, owner: int, regex: str, caseless: bool, how: str) -> int:
        self._expressions.append((regex, caseless, how))
        self._owners.append(owner)
        return len(self._expressions) - 1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_databases": {}}

    @property
    def active(self) -> bool:
        """Whether any detector is gated (else :meth:`gates` always answers "all texts")."""
        return available() and bool(self._expressions)

    def _compiled(self, ascii_texts: bool = False) -> Any:
        """The database for ASCII texts or for the others, compiled on first use (False: every
        detector is ungated; None: no expression can match such texts).  An expression Hyperscan
        rejects (a deny list of thousands of terms can be "too large") leaves its detector ungated
        rather than failing the scan; one it rejects only in ASCII mode goes in in UTF-8 mode."""
        wanted = tuple(i for i, owner in enumerate(self._owners) if owner not in self._ungated)
        cached = self._databases.get(ascii_texts)
        if cached is not None and cached[0] == wanted:
            return cached[1]
        try:
            database = self._compile_wanted(wanted, ascii_texts)
        except hyperscan.error:
            for i in wanted:
                error = self._rejected(i, ascii_texts)
                if error is not None and ascii_texts and self._expressions[i][2] == _LOOSE:
                    self._utf8_only.add(i)
                    error = self._rejected(i, ascii_texts)
                if error is not None:
                    name = self.detectors[self._owners[i]].name  # never the expression: deny terms are data
                    log.warning("pre-filter: detector %s runs on every text (%s)", name, error)
                    self._ungated.add(self._owners[i])
            wanted = tuple(i for i, owner in enumerate(self._owners) if owner not in self._ungated)
            try:
                database = self._compile_wanted(wanted, ascii_texts)
            except hyperscan.error:
                if not ascii_texts:
                    raise
                database = self._compiled(False)  # reads ASCII texts as well, only slower
        self._databases[ascii_texts] = (wanted, database)
        return database

    def _rejected(self, i: int, ascii_texts: bool) -> Exception | None:
        """Hyperscan's error compiling expression ``i`` alone, if any."""
        try:
            self._compile_wanted((i,), ascii_texts)
        except hyperscan.error as exc:
            return exc
        return None

    def _compile_wanted(self, wanted: tuple[int, ...], ascii_texts: bool) -> Any:
        if not wanted:
            return False
        chosen = []
        for i in wanted:
            regex, caseless, how = self._expressions[i]
            flag = _flags(regex, caseless, how, ascii_texts and i not in self._utf8_only)
            if flag is not None:
                chosen.append((regex.encode("utf-8"), flag, i))
        if not chosen:  # only expressions that cannot match ASCII text
            return None
        regexes, flags, ids = zip(*chosen, strict=True)
        cacheable = all(self.detectors[self._owners[i]].triggers_cacheable for i in ids)
        return _compile_cached(regexes, flags, ids, cacheable)

    def hits(self, texts: Sequence[str]) -> _Hits | None:
        """Where each expression matched in ``texts``; None if that cannot be known here.

        ASCII texts are scanned apart from the others, with a database whose loose expressions use
        ASCII classes: Hyperscan scans Unicode classes (\\d, \\w, [^a-z]) several times slower, and on
        ASCII text they match exactly what ASCII classes match.  Each text keeps its separators, so
        what matters -- the matches in a text and its one character of context each side -- is the same.
        """
        if not self.active or not texts:
            return None
        count = len(texts)
        plain = np.fromiter(map(str.isascii, texts), dtype=bool, count=count)  # a flag Python keeps: no scan
        buffers = []  # (ASCII texts?, their indices, the buffer, their lengths in bytes)
        for ascii_part in (True, False):
            rows = np.flatnonzero(plain if ascii_part else ~plain)
            if not len(rows):
                continue
            part = texts if len(rows) == count else [texts[i] for i in rows.tolist()]
            if ascii_part:  # joined then encoded: several times faster than one by one
                data = _JOIN.join(["", *part, ""]).encode("ascii")
                lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(rows))
            else:
                try:
                    encoded = [text.encode("utf-8") for text in part]
                except UnicodeEncodeError:  # a lone surrogate: Hyperscan needs valid UTF-8
                    return None
                data = _JOIN.encode().join([b"", *encoded, b""])
                lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(rows))
            buffers.append((ascii_part, rows, data, lengths))
        # both on first use, whatever the texts: a batch can bring the first non-ASCII text at any time
        # (UTF-8 first: an expression it rejects leaves its detector ungated in both)
        databases = {ascii_part: self._compiled(ascii_part) for ascii_part in (False, True)}
        if False in databases.values():
            return None
        matrix = np.zeros((len(self._expressions), count), dtype=bool)
        positional: list[tuple[np.ndarray, ...]] = []
        offset = 0  # the second buffer's positions follow the first's, so spans never meet across them
        for ascii_part, rows, data, lengths in buffers:
            database = databases[ascii_part]
            found = _scan(database, data) if database is not None else None  # None: nothing can match
            if found is not None and len(found):
                ids, ends = found[:, 0], found[:, 2]
                text_starts = np.cumsum(lengths + len(_JOIN)) - lengths
                local = np.searchsorted(text_starts, ends - 1, side="right") - 1
                texts_hit = rows[np.clip(local, 0, len(rows) - 1)]
                matrix[ids, texts_hit] = True
                keep = self._positional[ids]
                if keep.any():
                    positional.append((ids[keep], found[keep, 1] + offset, ends[keep] + offset, texts_hit[keep]))
            offset += len(data)
        if positional:
            ids, starts, ends, rows = (np.concatenate(column) for column in zip(*positional, strict=True))
        else:
            ids = starts = ends = rows = np.zeros(0, dtype=np.int64)
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
            allowed = None if gate.open else hits.any_of(gate.values)
            if gate.spanned:
                spanned = _uncovered(hits, gate.spanned, gate.exceptions, len(texts))
                allowed = spanned if allowed is None else allowed | spanned
            if gate.context is not None and not detector.field_has_context(field):
                hit = hits.any_of(gate.context) if gate.context else np.zeros(len(texts), dtype=bool)
                allowed = hit if allowed is None else allowed & hit
            out.append(allowed)
        return out


def _scan(database: Any, data: bytes) -> np.ndarray:
    """(expression, start, end) of every match, one row each.  A Python call per match is most of the
    cost of a scan, so the callback does as little as it can: extend one flat list of ints."""
    found: list[int] = []
    record = found.extend
    database.scan(data, match_event_handler=lambda i, start, end, _flags, _context: record((i, start, end)))
    return np.frombuffer(array.array("q", found), dtype=np.int64).reshape(-1, 3)


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


#: A loose expression that is one class of code points beyond ASCII (non-ASCII digits) matches no ASCII text.
_NON_ASCII_CLASS = re.compile(r"\[(?:\\x\{[0-9A-Fa-f]+\}(?:-\\x\{[0-9A-Fa-f]+\})?)+\]")
#: What may match differently in ASCII mode even on ASCII text: code points and bytes beyond ASCII
#: (a case-insensitive one can fold to an ASCII letter) and Unicode properties.
_UNICODE_SYNTAX = re.compile(r"\\(?:x\{|x[89a-fA-F]|o\{|[pPXNCRhHvV])")


def _flags(regex: str, caseless: bool, how: str, ascii_texts: bool = False) -> int | None:
    """Hyperscan flags of an expression; None when it cannot match any ASCII text (``ascii_texts``).

    Loose expressions: prefilter mode, with Unicode classes (UTF-8 mode) unless the texts are ASCII and
    the expression is ASCII with no Unicode syntax.  Spanned ones: exactly, ASCII classes, start offsets.
    """
    flags = hyperscan.HS_FLAG_CASELESS if caseless else 0
    if how != _LOOSE:
        return flags | hyperscan.HS_FLAG_SOM_LEFTMOST
    flags |= hyperscan.HS_FLAG_PREFILTER
    if ascii_texts:
        if _never_ascii(regex, caseless):
            return None
        if regex.isascii() and not _UNICODE_SYNTAX.search(regex):
            return flags
    return flags | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP


def _never_ascii(regex: str, caseless: bool) -> bool:
    """Whether ``regex`` is one class of code points beyond ASCII only (a case-insensitive one could
    hold the Kelvin sign, which folds to an ASCII "k")."""
    codes = re.findall(r"\\x\{([0-9A-Fa-f]+)\}", regex)
    return not caseless and bool(_NON_ASCII_CLASS.fullmatch(regex)) and all(int(code, 16) > 0x7F for code in codes)


def _compile(expressions: Sequence[tuple[str, bool, str]], ids: Sequence[int]) -> Any:
    """A block-mode database of ``(regex, case-insensitive, how)`` expressions for texts of any kind
    (:func:`_flags`).  Compiling takes up to about a second, so every engine of a process with the same
    detectors shares one (scans in a process run one at a time)."""
    flags = tuple(_flags(regex, caseless, how) for regex, caseless, how in expressions)
    return _compile_cached(tuple(regex.encode("utf-8") for regex, _, _ in expressions), flags, tuple(ids))


def cache_dir() -> Path:
    """Where compiled databases of built-in triggers are kept: ``$XDG_CACHE_HOME/piiscan/prefilter``
    (``~/.cache`` without it).  Why: compiling the triggers of every detector takes seconds, in every
    worker process of every scan; loading a compiled one takes milliseconds.  A file holds compiled
    regexes only, is named by the hash of what was compiled, and is written 0600; a database with a
    user's pattern or term in it is never written (:attr:`Detector.triggers_cacheable`)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "piiscan" / "prefilter"


@functools.lru_cache(maxsize=32)
def _compile_cached(
    regexes: tuple[bytes, ...], flags: tuple[int, ...], ids: tuple[int, ...], cacheable: bool = False
) -> Any:
    """A block-mode database, compiled, or loaded from :func:`cache_dir` when ``cacheable`` and compiled
    there before; an unreadable, stale or unwritable cache only means compiling."""
    path = None
    if cacheable:
        key = repr((metadata.version("hyperscan"), regexes, flags, ids)).encode("utf-8")
        path = cache_dir() / f"{hashlib.sha256(key).hexdigest()}.hsdb"
        try:
            database = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
            database.scratch = hyperscan.Scratch(database)
            return database
        except (OSError, hyperscan.error):
            pass
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=list(regexes), ids=list(ids), elements=len(regexes), flags=list(flags))
    if path is not None:
        _store(path, hyperscan.dumpb(database))
    return database


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, 0600 (a temporary file beside it, then a rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        log.debug("pre-filter cache not written (%s): compiling in each process", type(exc).__name__)


def texts_to_search(gate: np.ndarray | None, count: int) -> Sequence[int]:
    """The indices a gate lets through."""
    return range(count) if gate is None else np.flatnonzero(gate).tolist()
