"""Allow and deny lists (settings ``allow_list`` and ``deny_list``): values never reported, terms always reported.

The allow list compares a match's normalised value with what the detectors make
of each term, so it sits above every detector (:mod:`piiscan.detectors.identifiers`,
:mod:`piiscan.detectors.nlp`); a deny-list term is normalised and masked like a
value of its entity type.  The engine (:class:`piiscan.detectors.engine.DetectionEngine`)
builds both; the false-positive filters (:mod:`piiscan.detectors.filters`) never
drop a deny-list match.  Neither logs or returns a term.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar

from piiscan.detectors.base import CONFIRMED_SCORE, Detector, Match, mask_middle
from piiscan.detectors.identifiers import mask_value, normalise_value
from piiscan.detectors.nlp import normalise_name
from piiscan.detectors.settings import DetectorSettings

#: Detector names of deny-list matches start with this (one detector per entity type).
DENY_LIST_DETECTOR = "deny_list"
#: Entity types normalised like NER names.
_NAME_ENTITIES = ("PERSON", "LOCATION")


def term_key(value: str) -> str:
    """How list terms and matched text compare as text: case-folded, whitespace collapsed."""
    return " ".join(value.split()).casefold()


def list_version(data: object) -> str:
    """A short, stable hash of a list's contents (a detector version that changes with the list)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


class AllowList:
    """Values never reported (settings ``allow_list``).

    A match is allowed (dropped) when its normalised value is what some
    detector makes of a term ("+44 20 7946 0000" and "020 7946 0000" are both
    ``+442079460000``; for names: case-folded, spaces collapsed), or when its
    text is a term, ignoring case and spacing.  Normalised values are compared
    whatever the entity type: a term is meant never to be reported.
    """

    def __init__(self, terms: Sequence[str], detectors: Sequence[Detector]) -> None:
        self.terms = tuple(terms)
        self.text_keys = frozenset(term_key(t) for t in terms)
        normalised = set(self.text_keys)
        for term in terms:
            normalised.add(normalise_name(term))
            for d in detectors:
                value = d.canonical(term)
                if value:
                    normalised.add(value)
        self.normalised = frozenset(normalised)
        self.version = list_version(sorted(self.terms))
        #: RE2 regex a table cell must contain for its text to be a term: some term's first word, any case
        firsts = sorted({w for t in self.terms for w in (t.split()[0], term_key(t).split(" ")[0])})
        self.cell_hint = "(?i)" + "|".join(re.escape(w) for w in firsts) if firsts else ""

    def __bool__(self) -> bool:
        return bool(self.terms)

    def allows(self, normalised: str, text: str) -> bool:
        """Whether a match with this normalised value and matched text is on the list."""
        return normalised in self.normalised or term_key(text) in self.text_keys


class DenyListDetector(Detector):
    """Terms always reported as one entity type (settings ``deny_list``), like
    presidio's deny-list PatternRecognizer: internal codenames, known staff names.

    A term matches as a whole word (no letter, digit or "_" glued on either
    side), ignoring case, any run of whitespace standing for a space.  Its
    normalised value is the term's, normalised like the entity type (E.164 for
    a phone number, case-folded for PERSON/LOCATION and for types no detector
    knows), so every spelling counts for the same subject.  Score 1.0; the
    false-positive filters never drop these (the allow list still does).
    ``version`` is a hash of the terms: changing the list triggers rescans.
    """

    triggers_cacheable: ClassVar[bool] = False  # a user's pattern or terms: never kept on disk

    patterns = ()

    def __init__(self, entity: str, terms: Sequence[str], settings: DetectorSettings) -> None:
        super().__init__(threshold=0.0)
        self.entity = entity  # type: ignore[misc]  # per instance: one detector per entity type
        self.name = f"{DENY_LIST_DETECTOR}_{entity.lower()}"  # type: ignore[misc]
        self.version = list_version([entity, sorted(terms)])  # type: ignore[misc]
        self._values = {term_key(t): self._normalise_term(t, settings) for t in terms}
        words = sorted(self._values, key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(re.escape(w) for w in key.split(" ")) for key in words)
        self._terms_re = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if words else None
        self.triggers = ("(?i)" + self._terms_re.pattern,) if self._terms_re else ()  # type: ignore[misc]

    def _normalise_term(self, term: str, settings: DetectorSettings) -> tuple[str, str]:
        """(normalised, preview) of a term."""
        normalised = normalise_value(self.entity, term, settings)
        if normalised is None or self.entity in _NAME_ENTITIES:
            return normalised or term_key(term), mask_middle(term)
        return normalised, mask_value(self.entity, normalised, settings)

    def normalise(self, value: str) -> str:
        found = self._values.get(term_key(value))
        return found[0] if found else term_key(value)

    def canonical(self, value: str) -> str | None:
        found = self._values.get(term_key(value))
        return found[0] if found else None

    def mask(self, value: str) -> str:
        found = self._values.get(term_key(value))
        return found[1] if found else mask_middle(value)

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        if self._terms_re is None:
            return
        for m in self._terms_re.finditer(text):
            normalised, preview = self._values[term_key(m.group())]
            yield Match(self.entity, m.start(), m.end(), CONFIRMED_SCORE, self.name, normalised, preview)


def build_deny_list_detectors(settings: DetectorSettings) -> list[DenyListDetector]:
    """One :class:`DenyListDetector` per entity type of ``settings.deny_list`` that settings want."""
    return [DenyListDetector(e, terms, settings) for e, terms in settings.deny_list if settings.wants(e)]
