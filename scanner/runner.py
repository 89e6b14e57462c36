"""Plan a scan, run it on a pool of worker processes, and write the index.

One concurrency model: a ``ProcessPoolExecutor`` (fork start method, so worker
logging goes through multiprocessing-logging) whose initializer builds the
detectors once per process.  The parent plans, submits a bounded window of
units (so results never pile up in memory), and is the only index writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.base import Connector, ForeignKey, ItemProblem, ItemRef, SourceError, WorkUnit
from connectors.registry import redact_spec
from scanner import __version__
from scanner.config import ScanConfig
from scanner.index import IndexWriter, create_index, new_scan_id
from scanner.keys import SubjectHasher
from scanner.sanitise import Sanitiser, one_line
from scanner.worker import UnitResult, WorkerSetupError, init_worker, scan_unit

log = logging.getLogger("piiscan.scan")

#: a unit in flight when this many worker pools died is reported failed, not retried
MAX_UNIT_DEATHS = 2


@dataclass
class Plan:
    """Everything a scan will do, decided before any worker starts."""

    connectors: dict[str, Connector] = field(default_factory=dict)
    units: list[WorkUnit] = field(default_factory=list)
    items: dict[tuple[str, str], ItemRef] = field(default_factory=dict)
    problems: list[ItemProblem] = field(default_factory=list)
    source_errors: list[tuple[str, str]] = field(default_factory=list)
    #: source -> its declared foreign keys (ForeignKey.to_dict()), recorded with the scan
    relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: source -> relationships its data suggests (same-named *_id columns), followed or not
    inferred_relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: (source, item id) of items asked for by name that no longer exist (see ``build_plan``)
    gone: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(u.size for u in self.units)


@dataclass
class ScanSummary:
    scan_id: str
    status: str = "running"
    started: str = ""
    finished: str = ""
    elapsed: float = 0.0
    workers: int = 1
    sources: list[str] = field(default_factory=list)
    items_scanned: int = 0
    items_skipped: int = 0
    #: items rescanned by name (``only_items``) that no longer exist
    items_gone: int = 0
    items_failed: int = 0
    units: int = 0
    bytes_scanned: int = 0
    records: int = 0
    findings_by_entity: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    source_errors: list[dict[str, str]] = field(default_factory=list)
    settings_fingerprint: str = ""
    detector_versions: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    #: source -> declared foreign keys between its tables (followed by ``lookup --related``)
    relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: source -> undeclared relationships the data supports (suggestions; followed with --infer-relationships)
    inferred_relationships: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    piiscan_version: str = __version__

    @property
    def mb_per_s(self) -> float:
        return self.bytes_scanned / 1e6 / self.elapsed if self.elapsed else 0.0


def build_plan(config: ScanConfig, sources: list[str], only_items: dict[str, set[str]] | None = None) -> Plan:
    """Open every source, enumerate its items and split them into units.

    With ``only_items`` (source -> item ids, as the index names them) a source is not enumerated: just those
    items are looked up (``Connector.current``), and those no longer there are listed in ``plan.gone``.
    """
    from connectors.registry import open_source

    plan = Plan()
    # (spec, parent source, item id): databases found inside a folder fail as items of that folder
    pending: list[tuple[str, str | None, str | None]] = [(spec, None, None) for spec in sources]
    while pending:
        spec, parent, parent_item = pending.pop(0)
        try:
            options: dict[str, Any] = {"endpoint_url": config.endpoint_url} if config.endpoint_url else {}
            connector = open_source(
                spec,
                include=list(config.include),
                exclude=list(config.exclude),
                follow_symlinks=config.follow_symlinks,
                **options,
            )
            for entry in _entries(connector, only_items, plan):
                if isinstance(entry, ItemProblem):
                    plan.problems.append(entry if entry.source else _with_source(entry, connector.source))
                    continue
                if entry.fmt == "sqlite":  # a database file inside a folder: scan it as its own source
                    path = os.path.join(connector.root_path, entry.item_id)
                    pending.append((f"sqlite:///{path}", connector.source, entry.item_id))
                    continue
                plan.items[(entry.source, entry.item_id)] = entry
                plan.units.extend(connector.plan(entry, config.unit_bytes))
            plan.connectors[connector.source] = connector
            _relationships(plan, connector, config.infer_relationships)
        except (SourceError, ValueError, OSError) as exc:
            if parent is not None and parent_item is not None:
                reason = one_line(exc).replace(spec, "").strip(" :") or "cannot open database"
                plan.problems.append(ItemProblem(parent_item, "failed", reason, parent))
            else:
                plan.source_errors.append((redact_spec(spec), one_line(exc)))
    plan.units.sort(key=lambda u: u.size, reverse=True)  # biggest first: better load balance
    return plan


def _entries(
    connector: Connector, only_items: dict[str, set[str]] | None, plan: Plan
) -> Iterator[ItemRef | ItemProblem]:
    """The source's items: all of them, or only the named ones (recording those that are gone)."""
    if only_items is None:
        yield from connector.enumerate()
        return
    for item_id in sorted(only_items.get(connector.source, ())):
        entry = connector.current(item_id)
        if entry is None:
            plan.gone.append((connector.source, item_id))
        else:
            yield entry


def _relationships(plan: Plan, connector: Connector, follow_inferred: bool) -> None:
    """Record the source's declared foreign keys and the relationships its data suggests; the inferred
    ones are followed (handed to the connector before it goes to the workers) only when asked."""
    scanned = {item for source, item in plan.items if source == connector.source}

    def touches(fk: ForeignKey) -> bool:
        return fk.table in scanned or fk.ref_table in scanned

    declared = [fk for fk in connector.foreign_keys() if touches(fk)]
    inferred = [fk for fk in connector.inferred_foreign_keys() if fk.table in scanned and fk.ref_table in scanned]
    if declared:
        plan.relationships[connector.source] = [fk.to_dict() for fk in declared]
    if inferred:
        plan.inferred_relationships[connector.source] = [
            fk.to_dict() | {"followed": follow_inferred} for fk in inferred
        ]
        if follow_inferred:
            connector.extra_foreign_keys = tuple(inferred)


def _with_source(problem: ItemProblem, source: str) -> ItemProblem:
    return ItemProblem(problem.item_id, problem.severity, problem.reason, source, problem.size)


@dataclass
class _Recorder:
    """Turns item outcomes into item rows and summary entries, masking item paths."""

    writer: IndexWriter
    summary: ScanSummary
    hasher: SubjectHasher
    sanitiser: Sanitiser
    settings_fingerprint: str

    def record(
        self,
        item: ItemRef | None,
        problem_item: str,
        source: str,
        problems: list[ItemProblem],
        size: int,
        occurrences: int = 0,
    ) -> None:
        failed = [p for p in problems if p.severity == "failed"]
        skipped = [p for p in problems if p.severity == "skipped"]
        notes = [p for p in problems if p.severity == "note"]
        label = self.sanitiser(problem_item)
        if failed:
            status, reason = "failed", "; ".join(dict.fromkeys(self.sanitiser(p.reason) for p in failed))
            if occurrences:  # keep what was found before the failure
                status, reason = "partial", f"{reason} (kept {occurrences} finding(s) read before the failure)"
            self.summary.items_failed += 1
            self.summary.failures.append({"source": source, "item": label, "reason": reason})
            log.error("%s: %s: %s", source, label, reason)
        elif skipped:
            status, reason = "skipped", "; ".join(dict.fromkeys(self.sanitiser(p.reason) for p in skipped))
            self.summary.items_skipped += 1
            self.summary.skipped.append({"source": source, "item": label, "reason": reason})
            log.info("%s: %s: skipped: %s", source, label, reason)
        else:
            status, reason = "ok", None
            self.summary.items_scanned += 1
        note_text = "; ".join(dict.fromkeys(self.sanitiser(n.reason) for n in notes)) or None
        if note_text:
            self.summary.notes.append({"source": source, "item": label, "reason": note_text})
        self.writer.item_done(
            {
                "source": source,
                "item": label,
                "item_key": self.hasher.token("item", problem_item),
                "status": status,
                "reason": reason,
                "fmt": item.fmt if item else None,
                "size": item.size if item else size,
                "fingerprint": item.fingerprint if item else None,
                "settings_fingerprint": self.settings_fingerprint,
                "occurrences": occurrences,
                "notes": note_text,
            }
        )

    def gone(self, source: str, item_id: str) -> None:
        """An item that no longer exists: its status row makes its earlier entries dead."""
        self.summary.items_gone += 1
        self.writer.item_done(
            {
                "source": source,
                "item": self.sanitiser(item_id),
                "item_key": self.hasher.token("item", item_id),
                "status": "gone",
                "reason": "no longer in the source",
                "settings_fingerprint": self.settings_fingerprint,
                "occurrences": 0,
            }
        )


class _ItemTracker:
    """Collects unit results per item and reports an item once all its units are in."""

    def __init__(self, plan: Plan) -> None:
        self.expected = Counter((u.item.source, u.item.item_id) for u in plan.units)
        self.done: Counter[tuple[str, str]] = Counter()
        self.problems: dict[tuple[str, str], list[ItemProblem]] = defaultdict(list)
        self.occurrences: Counter[tuple[str, str]] = Counter()

    def add(self, result: UnitResult) -> bool:
        key = (result.source, result.item_id)
        self.done[key] += 1
        self.problems[key].extend(result.problems)
        self.occurrences[key] += result.occurrences.num_rows
        return self.done[key] == self.expected[key]


def run_scan(
    config: ScanConfig,
    key: bytes,
    sources: list[str] | None = None,
    only_items: dict[str, set[str]] | None = None,
) -> ScanSummary:
    """Scan ``sources`` (default: the configured ones) into the configured index.

    ``only_items`` (source -> item ids) rescans just those items, e.g. the ones an erasure touched; an item
    no longer in its source gets status ``gone``, so its old entries stop being live.
    """
    sources = list(sources or config.sources)
    index = create_index(config.index, key)
    scan_id = new_scan_id()
    summary = ScanSummary(
        scan_id=scan_id,
        started=_now(),
        workers=config.workers,
        sources=[redact_spec(spec) for spec in sources],
        settings_fingerprint=config.detectors.fingerprint(),
    )
    started = time.perf_counter()
    # Building the engine here is cheap (models load lazily in workers) and fails
    # fast, in one line, when e.g. the configured spaCy model is not installed.
    from detectors.engine import DetectionEngine

    engine = DetectionEngine(config.detectors)
    summary.detector_versions = engine.detector_versions()
    writer = IndexWriter(index, scan_id)
    plan = build_plan(config, sources, only_items)
    summary.source_errors = [{"source": s, "reason": r} for s, r in plan.source_errors]
    summary.relationships = plan.relationships
    summary.inferred_relationships = plan.inferred_relationships
    for spec, reason in plan.source_errors:
        log.error("%s", reason if spec in reason or "://" in reason else f"{spec}: {reason}")
    recorder = _Recorder(
        writer, summary, SubjectHasher(key), Sanitiser(config.detectors, engine.detectors), summary.settings_fingerprint
    )
    for problem in plan.problems:
        recorder.record(None, problem.item_id, problem.source, [problem], problem.size)
    for source, item_id in plan.gone:
        recorder.gone(source, item_id)
    tracker = _ItemTracker(plan)
    findings: Counter[str] = Counter()
    summary.units = len(plan.units)
    progress = _progress_bar(plan, config)
    results = _execute(plan, config, key, scan_id)
    try:
        for result in results:
            writer.add(result.occurrences, result.links, result.references)
            findings.update(result.occurrences.column("entity_type").to_pylist())
            summary.bytes_scanned += result.bytes_scanned
            summary.records += result.records
            if tracker.add(result):
                item_key = (result.source, result.item_id)
                recorder.record(
                    plan.items[item_key],
                    result.item_id,
                    result.source,
                    tracker.problems.pop(item_key, []),
                    0,
                    tracker.occurrences.pop(item_key, 0),
                )
            if progress is not None:
                progress.update(result.bytes_scanned)
                progress.set_postfix_str(f"{summary.items_scanned + summary.items_failed}/{len(plan.items)} items")
        summary.status = "completed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        log.warning("interrupted: keeping the %d items already finished", summary.items_scanned)
    finally:
        results.close()
        if progress is not None:
            progress.close()
        writer.flush()
        summary.findings_by_entity = dict(sorted(findings.items()))
        summary.elapsed = time.perf_counter() - started
        summary.finished = _now()
        summary.peak_rss_mb = _peak_rss_mb()
        writer.write_scan_record(asdict(summary) | {"mb_per_s": round(summary.mb_per_s, 3)})
    return summary


def _execute(plan: Plan, config: ScanConfig, key: bytes, scan_id: str):
    """Yield UnitResults as workers finish them, keeping a bounded window in flight.

    A worker process that dies (killed, out of memory) breaks the pool, and
    which in-flight unit killed it is unknown: all of them are queued again
    for a fresh pool and rerun one at a time, and a unit that was in flight at
    two deaths is reported failed.  The culprit fails; its neighbours are rescanned.
    """
    if not plan.units:
        return
    settings = asdict(config.detectors)
    queue = list(reversed(plan.units))  # pop() from the end = biggest first
    window = max(2, 2 * config.workers)
    deaths: Counter[str] = Counter()
    context = multiprocessing.get_context("fork")
    while queue:
        for connector in plan.connectors.values():
            connector.close()  # a forked worker must not share the planner's database sessions
        executor = ProcessPoolExecutor(
            max_workers=min(config.workers, len(queue)),
            mp_context=context,
            initializer=init_worker,
            initargs=(plan.connectors, settings, key, scan_id),
        )
        in_flight: dict[Future, WorkUnit] = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < window:
                    # a unit that was in flight at a pool death runs alone, so a crash is pinned on it
                    suspect_next = deaths[queue[-1].unit_id] > 0
                    if in_flight and (suspect_next or any(deaths[u.unit_id] for u in in_flight.values())):
                        break
                    unit = queue.pop()
                    in_flight[executor.submit(scan_unit, unit)] = unit
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        result = future.result()
                    except (BrokenProcessPool, WorkerSetupError):
                        raise
                    except Exception as exc:  # the task itself blew up outside the scanner's own guard
                        result = _failed_result(in_flight[future], f"worker error: {type(exc).__name__}")
                    in_flight.pop(future)
                    yield result
        except BrokenProcessPool:
            for unit in in_flight.values():
                deaths[unit.unit_id] += 1
                if deaths[unit.unit_id] >= MAX_UNIT_DEATHS:
                    yield _failed_result(unit, "worker process died while scanning (killed or out of memory)")
                else:
                    queue.append(unit)
        except BaseException:
            _kill_workers(executor)
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def _failed_result(unit: WorkUnit, reason: str) -> UnitResult:
    from scanner.index import LINK_SCHEMA, OCCURRENCE_SCHEMA

    return UnitResult(
        unit_id=unit.unit_id,
        source=unit.item.source,
        item_id=unit.item.item_id,
        part=unit.part,
        occurrences=OCCURRENCE_SCHEMA.empty_table(),
        links=LINK_SCHEMA.empty_table(),
        problems=[ItemProblem(unit.item.item_id, "failed", reason, unit.item.source)],
        bytes_scanned=unit.size,
    )


def _progress_bar(plan: Plan, config: ScanConfig):
    if config.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=plan.total_bytes, unit="B", unit_scale=True, unit_divisor=1024, desc="scanning", file=sys.stderr)


def _peak_rss_mb() -> dict[str, float]:
    """Peak memory of this (writer) process and of the largest finished worker (Linux: KiB)."""
    import resource

    return {
        "parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def summary_dict(summary: ScanSummary) -> dict[str, Any]:
    return asdict(summary) | {"mb_per_s": round(summary.mb_per_s, 3)}
