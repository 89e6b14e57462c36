"""Plan a scan, run it on a pool of worker processes, and write the index.

One concurrency model: a ``ProcessPoolExecutor`` (fork start method, so worker
logging goes through multiprocessing-logging) whose initializer builds the
detectors once per process.  The parent plans, submits a bounded window of
units (so results never pile up in memory), and is the only index writer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from piiscan._version import __version__
from piiscan.connectors.base import Connector, ForeignKey, ItemProblem, ItemRef, SourceError, WorkUnit
from piiscan.connectors.globs import selected
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.registry import open_source, redact_spec
from piiscan.detectors.engine import DetectionEngine
from piiscan.index.keys import SubjectHasher
from piiscan.index.sanitise import Sanitiser, item_label, one_line
from piiscan.index.storage import Store
from piiscan.index.store import Index, IndexWriter, acquire_lock, create_index, new_scan_id
from piiscan.scanner.config import ScanConfig
from piiscan.scanner.dask_executor import dask_results
from piiscan.scanner.plan import Plan, failed_result
from piiscan.scanner.worker import UnitResult, WorkerSetupError, init_worker, scan_unit

log = logging.getLogger("piiscan.scan")

#: a unit in flight when this many worker pools died is reported failed, not retried
MAX_UNIT_DEATHS = 2
#: finished items are written to the index every CHECKPOINT_SECONDS, or every CHECKPOINT_SHARE of the time
#: run so far if longer (a long scan does not litter the index with tiny files), so a rerun after a kill skips them
CHECKPOINT_SECONDS = 5.0
CHECKPOINT_SHARE = 0.1


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
    #: items no longer in their source (enumerated completely, or rescanned by name): status ``gone``
    items_gone: int = 0
    #: incremental scan: items skipped as unchanged (their status row is not rewritten), new, changed
    items_unchanged: int = 0
    items_new: int = 0
    items_changed: int = 0
    #: every item scanned whatever the index holds (``--full``, ``scan.full``, or items named by ``only_items``)
    full: bool = False
    #: hash of the effective configuration (sources redacted, no secrets): tells which scans are comparable
    config_hash: str = ""
    items_failed: int = 0
    #: items reached by more than one source or path (a folder and the database in it, nested folders,
    #: a file named twice): scanned once, under the first source that reached them
    items_reached_twice: int = 0
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


def build_plan(
    config: ScanConfig,
    sources: list[str],
    only_items: dict[str, set[str]] | None = None,
    unchanged: Callable[[ItemRef], bool] | None = None,
) -> Plan:
    """Open every source, enumerate its items and split them into units.

    With ``only_items`` (source -> item ids, as the index names them) a source is not enumerated: just those
    items are looked up (``Connector.current``), and those no longer there are listed in ``plan.gone``.
    Items for which ``unchanged`` says so are listed in ``plan.unchanged`` and get no units (never read).
    An item reached again (same ``Connector.item_identity``) through a later source or path is left to
    its first reach and listed in ``plan.reached_twice``, so every executor scans and records it once.
    """

    plan = Plan()
    # (spec, parent source, item id): databases found inside a folder fail as items of that folder
    pending: list[tuple[str, str | None, str | None]] = [(spec, None, None) for spec in sources]
    while pending:
        spec, parent, parent_item = pending.pop(0)
        try:
            connector = open_source(spec, **config.source_options(spec))  # scan-wide + its [sources.NAME] options
            for entry in _entries(connector, only_items, plan):
                if isinstance(entry, ItemProblem):
                    entry = entry if entry.source else _with_source(entry, connector.source)
                    if _first_reach(plan, connector, entry.source, entry.item_id, problem=True):
                        plan.problems.append(entry)
                    continue
                # a database file inside a local folder: scan it as its own source (in a bucket or share it is
                # listed, then skipped with a note, as it cannot be opened in place)
                if entry.fmt == "sqlite" and isinstance(connector, LocalConnector):
                    path = os.path.join(connector.root_path, entry.item_id)
                    plan.folder_databases.setdefault(connector.source, (connector.root_path, set()))[1].add(
                        entry.item_id
                    )
                    pending.append((f"sqlite:///{path}", connector.source, entry.item_id))
                    continue
                if not _first_reach(plan, connector, entry.source, entry.item_id):
                    continue
                plan.items[(entry.source, entry.item_id)] = entry
                if unchanged is not None and unchanged(entry):
                    plan.unchanged.append(entry)
                    continue
                plan.units.extend(connector.plan(entry, config.unit_bytes))
            if only_items is None:
                globs = (tuple(getattr(connector, "include", ())), tuple(getattr(connector, "exclude", ())))
                plan.complete_sources[connector.source] = globs
            plan.connectors.setdefault(connector.source, connector)  # the same source named twice: its first
            _relationships(plan, plan.connectors[connector.source], config.infer_relationships)
        except (SourceError, ValueError, OSError) as exc:
            if parent is not None and parent_item is not None:
                reason = one_line(exc).replace(spec, "").strip(" :") or "cannot open database"
                plan.problems.append(ItemProblem(parent_item, "failed", reason, parent))
            else:
                plan.source_errors.append((redact_spec(spec), one_line(exc)))
    plan.units.sort(key=lambda u: u.size, reverse=True)  # biggest first: better load balance
    return plan


def _first_reach(plan: Plan, connector: Connector, source: str, item_id: str, problem: bool = False) -> bool:
    """Whether this is the first reach of the item's identity in the plan (else it is counted as reached twice).

    A problem met while listing (skipped, failed) is a reach only among problems: a file skipped through
    one source (a link out of a folder's root) is still scanned when another source reaches it itself.
    """
    try:
        identity = connector.item_identity(item_id)
    except (OSError, ValueError):  # an id that cannot be resolved is its own item
        identity = f"{source}\x1f{item_id}"
    if problem:
        identity = "problem\x1f" + identity
    first = plan.identities.get(identity)
    if first is None:
        plan.identities[identity] = (source, item_id)
        return True
    plan.reached_twice += 1
    if first != (source, item_id):
        plan.superseded.add((source, item_id))
    return False


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
        records: int | None = None,
    ) -> None:
        failed = [p for p in problems if p.severity == "failed"]
        skipped = [p for p in problems if p.severity == "skipped"]
        notes = [p for p in problems if p.severity == "note"]
        label = self.label(problem_item)
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
                "mtime": dt.datetime.fromtimestamp(item.mtime, dt.UTC) if item and item.mtime is not None else None,
                "records": records,
            }
        )

    def gone(self, source: str, item_id: str) -> None:
        """An item that no longer exists: its status row makes its earlier entries dead."""
        self.gone_label(source, self.label(item_id), self.hasher.token("item", item_id))

    def label(self, item_id: str) -> str:
        """The name the index stores for an item (masked, with a token, when it holds personal data)."""
        return item_label(self.sanitiser, item_id, self.hasher.token("item", item_id))[0]

    def gone_label(self, source: str, label: str, item_key: str, reason: str = "no longer in the source") -> None:
        """``gone`` for an item known only from the index (its masked label and keyed hash)."""
        self.summary.items_gone += 1
        self.writer.item_done(
            {
                "source": source,
                "item": label,
                "item_key": item_key,
                "status": "gone",
                "reason": reason,
                "settings_fingerprint": self.settings_fingerprint,
                "occurrences": 0,
            }
        )


class _ItemTracker:
    """Collects unit results per item and reports an item once all its units are in.

    Every executor's results go through it: a unit's result is taken once (a cluster may finish a unit
    twice after a worker loss), and an item is done when each of its planned units is in.
    """

    def __init__(self, plan: Plan) -> None:
        self.pending: dict[tuple[str, str], set[str]] = defaultdict(set)
        for unit in plan.units:
            self.pending[(unit.item.source, unit.item.item_id)].add(unit.unit_id)
        self.taken: set[str] = set()
        self.problems: dict[tuple[str, str], list[ItemProblem]] = defaultdict(list)
        self.occurrences: Counter[tuple[str, str]] = Counter()
        self.records: Counter[tuple[str, str]] = Counter()

    def take(self, result: UnitResult) -> bool:
        """Whether the result is the first for its unit (a repeat is dropped, never written twice)."""
        if result.unit_id in self.taken:
            return False
        self.taken.add(result.unit_id)
        return True

    def add(self, result: UnitResult) -> bool:
        """Count a taken result; True when it was its item's last unit."""
        key = (result.source, result.item_id)
        self.pending[key].discard(result.unit_id)
        self.problems[key].extend(result.problems)
        self.occurrences[key] += result.occurrences.num_rows
        self.records[key] += result.records
        if self.pending[key]:
            return False
        del self.pending[key]
        return True


def run_scan(
    config: ScanConfig,
    key: bytes,
    sources: list[str] | None = None,
    only_items: dict[str, set[str]] | None = None,
) -> ScanSummary:
    """Scan ``sources`` (default: the configured ones) into the configured index, holding its lock.

    Incremental unless ``config.full``: an item whose fingerprint and settings fingerprint equal those of its
    latest status row is not read and its row not rewritten; changed, new and previously failed items are
    scanned; items of a completely enumerated source that are no longer there get status ``gone``.
    ``only_items`` (source -> item ids) rescans just those items, always (an erasure's verification must
    read the data again: table statistics can lag behind a write); one no longer there becomes ``gone``.
    Raises IndexLockedError when another live process is writing the index.
    """
    sources = list(sources or config.scan_targets())
    store = Store(config.index, config.endpoint_url)
    # the default index folder in the working directory, if this scan brings it into being, is removed
    # again when no source could be read (an index named with --index keeps the failed scan's record)
    default_here = not store.remote and Path(config.index) == ScanConfig().index
    new_folder = store.base if default_here and not os.path.lexists(store.base) else None
    index = create_index(store, key)
    scan_id = new_scan_id()
    with acquire_lock(index.store, scan_id):
        summary = _scan(config, key, sources, only_items, index, scan_id)
    if summary.status == "failed" and new_folder is not None:
        shutil.rmtree(new_folder, ignore_errors=True)
        log.info("%s: no index created: no source could be read", new_folder)
    return summary


def scan_settings_fingerprint(config: ScanConfig, detector_versions: dict[str, str]) -> str:
    """What decides an item's findings besides its content: detector settings and versions, followed
    relationships.  An item scanned under another value is rescanned."""
    blob = json.dumps(
        {
            "detectors": config.detectors.fingerprint(),
            "versions": detector_versions,
            "infer_relationships": config.infer_relationships,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def config_hash(config: ScanConfig, sources: list[str]) -> str:
    """Hash of the effective configuration, sources and endpoint redacted, minus display-only settings."""
    data = asdict(config)
    # how and where the scan runs, not what it finds
    for display_only in ("quiet", "key_file", "workers", "executor", "scheduler", "log_format", "full"):
        data.pop(display_only, None)
    data["sources"] = [redact_spec(spec) for spec in sources]
    if data.get("endpoint_url"):
        data["endpoint_url"] = redact_spec(data["endpoint_url"])
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


class _ChangeDetector:
    """Sorts enumerated items into new / changed / unchanged against the index's latest row for each.

    Keyed by (source, keyed hash of the item id).  Only an item whose latest row is ok or skipped, with the
    same item fingerprint and settings fingerprint, is unchanged: failed, partial and gone items are
    scanned again.  With ``force`` (a full scan) nothing is unchanged, but new and changed are still told apart.
    """

    def __init__(self, index: Index, hasher: SubjectHasher, settings_fingerprint: str, force: bool) -> None:
        self.previous = index.latest_item_rows()
        self.hasher = hasher
        self.settings_fingerprint = settings_fingerprint
        self.force = force
        self.counts: Counter[str] = Counter()

    def __call__(self, item: ItemRef) -> bool:
        row = self.previous.get((item.source, self.hasher.token("item", item.item_id)))
        if row is None or row["status"] == "gone":
            kind = "new"
        elif (
            not self.force
            and row["status"] in ("ok", "skipped")
            and row["fingerprint"] == item.fingerprint
            and row["settings_fingerprint"] == self.settings_fingerprint
        ):
            kind = "unchanged"
        else:
            kind = "changed"
        self.counts[kind] += 1
        return kind == "unchanged"

    def same_skip(self, problem: ItemProblem, sanitiser: Sanitiser) -> bool:
        """Whether an item skipped while listing (unsupported format) was skipped last time for the same
        reason: counted unchanged and its row not rewritten.  A failure is always recorded (and retried)."""
        if self.force or problem.severity != "skipped":
            return False
        row = self.previous.get((problem.source, self.hasher.token("item", problem.item_id)))
        same = (
            row is not None
            and row["status"] == "skipped"
            and row["settings_fingerprint"] == self.settings_fingerprint
            and row.get("reason") == sanitiser(problem.reason)
        )
        self.counts["unchanged"] += same
        return same


def _record_gone(plan: Plan, changes: _ChangeDetector, recorder: _Recorder) -> None:
    """Give status ``gone`` to index items that a complete enumeration no longer lists.

    Only sources enumerated to the end count (a source that failed to open lists nothing, and that
    proves nothing), and only items the current include/exclude globs would have listed: narrowing a
    scan with ``--include`` leaves what it no longer covers as it was.  The globs are matched against
    the item's label in the index, which is masked where the path held an identifier.  A SQLite
    database found in a folder is its own source: its tables are gone when the folder was enumerated
    completely and the database file is no longer in it.  A rescanned item whose label masks
    differently now (new detector settings) has its old label retired the same way.  An item this scan
    reached through an earlier source or path (``plan.superseded``) has the rows of its later name retired
    too: the index holds each item once, under the name it was scanned by.
    """
    token = changes.hasher.token
    superseded = {(source, token("item", item_id)) for source, item_id in plan.superseded}
    present: defaultdict[str, set[str]] = defaultdict(set)
    for source, item_id in plan.items:
        present[source].add(token("item", item_id))
    for problem in plan.problems:
        present[problem.source].add(token("item", problem.item_id))
    skipped = {(item.source, item.item_id) for item in plan.unchanged}
    new_labels = {
        (source, token("item", item_id)): recorder.label(item_id)
        for source, item_id in plan.items
        if (source, item_id) not in skipped
        and changes.previous.get((source, token("item", item_id)), {}).get("status") not in (None, "gone")
    }
    for (source, item_key), row in changes.previous.items():
        if row["status"] == "gone":
            continue
        if (source, item_key) in superseded and item_key not in present[source]:
            recorder.gone_label(source, row["item"], item_key, "scanned through another source that reaches it")
            continue
        if item_key in present[source]:
            if new_labels.get((source, item_key), row["item"]) != row["item"]:
                recorder.gone_label(source, row["item"], item_key)
            continue
        if source in plan.complete_sources:
            include, exclude = plan.complete_sources[source]
            if selected(row["item"], include, exclude):
                recorder.gone_label(source, row["item"], item_key)
        elif _database_removed_from_folder(plan, source):
            recorder.gone_label(source, row["item"], item_key)


def _database_removed_from_folder(plan: Plan, source: str) -> bool:
    """Whether ``source`` is a SQLite database of a completely enumerated folder that no longer holds it."""
    if not source.startswith("sqlite:///"):
        return False
    path = source.removeprefix("sqlite:///")
    for folder, (root, found) in plan.folder_databases.items():
        if folder != "file://" + root or not path.startswith(root.rstrip("/") + "/"):
            continue
        rel = path[len(root.rstrip("/")) + 1 :]
        include, exclude = plan.complete_sources.get(folder, ((), ()))
        if folder in plan.complete_sources and rel not in found and selected(rel, include, exclude):
            return True
    return False


def _scan(
    config: ScanConfig,
    key: bytes,
    sources: list[str],
    only_items: dict[str, set[str]] | None,
    index: Index,
    scan_id: str,
) -> ScanSummary:
    summary = ScanSummary(
        scan_id=scan_id,
        started=_now(),
        workers=config.workers,
        sources=[redact_spec(spec) for spec in sources],
        full=config.full or only_items is not None,
        config_hash=config_hash(config, sources),
    )
    started = time.perf_counter()
    # Building the engine here is cheap (models load lazily in workers) and fails
    # fast, in one line, when e.g. the configured spaCy model is not installed.

    engine = DetectionEngine(config.detectors)
    summary.detector_versions = engine.detector_versions()
    summary.settings_fingerprint = scan_settings_fingerprint(config, summary.detector_versions)
    writer = IndexWriter(index, scan_id)
    writer.write_scan_record(summary_dict(summary))  # "running": a scan killed outright still shows in history
    changes = _ChangeDetector(index, SubjectHasher(key), summary.settings_fingerprint, force=summary.full)
    plan = build_plan(config, sources, only_items, changes if only_items is None else None)
    summary.source_errors = [{"source": s, "reason": r} for s, r in plan.source_errors]
    summary.items_reached_twice = plan.reached_twice
    if plan.reached_twice:
        log.info("%d item(s) reached twice, scanned once", plan.reached_twice)
    summary.relationships = plan.relationships
    summary.inferred_relationships = plan.inferred_relationships
    for spec, reason in plan.source_errors:
        log.error("%s", reason if spec in reason or "://" in reason else f"{spec}: {reason}")
    recorder = _Recorder(
        writer, summary, SubjectHasher(key), Sanitiser(config.detectors, engine.detectors), summary.settings_fingerprint
    )
    for problem in plan.problems:
        if only_items is None and changes.same_skip(problem, recorder.sanitiser):
            continue
        recorder.record(None, problem.item_id, problem.source, [problem], problem.size)
    for source, item_id in plan.gone:
        recorder.gone(source, item_id)
    if only_items is None:
        _record_gone(plan, changes, recorder)
    summary.items_unchanged = changes.counts["unchanged"]
    summary.items_new = changes.counts["new"]
    summary.items_changed = changes.counts["changed"]
    log.info(
        "%d item(s) unchanged, %d new, %d changed, %d gone",
        summary.items_unchanged,
        summary.items_new,
        summary.items_changed,
        summary.items_gone,
    )
    tracker = _ItemTracker(plan)
    findings: Counter[str] = Counter()
    summary.units = len(plan.units)
    progress = _progress_bar(plan, config)
    results = (dask_results if config.executor == "dask" else _execute)(plan, config, key, scan_id)
    try:
        last_checkpoint = time.perf_counter()
        for result in results:
            if not tracker.take(result):
                continue
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
                    tracker.records.pop(item_key, 0),
                )
                now = time.perf_counter()
                if now - last_checkpoint >= max(CHECKPOINT_SECONDS, CHECKPOINT_SHARE * (now - started)):
                    writer.flush()  # a scan killed outright (SIGKILL) keeps the items finished so far
                    last_checkpoint = time.perf_counter()
            if progress is not None:
                progress.update(result.bytes_scanned)
                progress.set_postfix_str(f"{summary.items_scanned + summary.items_failed}/{len(plan.items)} items")
        # every source failed to open: nothing was scanned, and "completed" would hide it
        summary.status = "failed" if plan.source_errors and not plan.connectors else "completed"
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


def _execute(plan: Plan, config: ScanConfig, key: bytes, scan_id: str) -> Generator[UnitResult, None, None]:
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
            initargs=(plan.connectors, settings, key, scan_id, os.getpid()),  # workers end with this process
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
                        result = failed_result(in_flight[future], f"worker error: {type(exc).__name__}")
                    in_flight.pop(future)
                    yield result
        except BrokenProcessPool:
            for unit in in_flight.values():
                deaths[unit.unit_id] += 1
                if deaths[unit.unit_id] >= MAX_UNIT_DEATHS:
                    yield failed_result(unit, "worker process died while scanning (killed or out of memory)")
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
