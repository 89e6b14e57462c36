"""Worker side of a scan: one top-level function per work unit.

Worker processes are set up once by :func:`init_worker` (detectors, NLP model,
connectors, HMAC key) and then run :func:`scan_unit` on many units.  A unit's
matches are turned into index rows here — subject keys are keyed hashes and
only masked previews travel back to the parent, so raw personal data never
leaves the worker.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.connectors.base import Connector, ItemProblem, TableBatch, TextChunk, WorkUnit, locator_json
from piiscan.connectors.formats.office import NameText
from piiscan.connectors.formats.text import owned_matches
from piiscan.detectors.custom import linkable_custom_entities
from piiscan.detectors.engine import DetectionEngine
from piiscan.detectors.identifiers import LINKABLE_ENTITIES
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.keys import SubjectHasher, row_key
from piiscan.index.retention import record_dates
from piiscan.index.sanitise import Sanitiser, one_line
from piiscan.index.sanitise import item_label as item_label_of
from piiscan.index.store import LINK_SCHEMA, OCCURRENCE_SCHEMA, REFERENCE_SCHEMA
from piiscan.scanner.names import detect_names, name_kind

log = logging.getLogger("piiscan.worker")

#: a record with more distinct identifiers than this (a mailing-list line, a
#: CC header) is not one person's record: its identifiers are not linked
MAX_IDENTIFIERS_PER_RECORD = 12
#: rows of a table batch analysed at a time
TABLE_SLICE_ROWS = 8_192
#: findings of one record linked from each of its identifiers
MAX_LINKS_PER_RECORD = 64


@dataclass
class UnitResult:
    """What a worker sends back for one unit: index rows and problems, no raw values."""

    unit_id: str
    source: str
    item_id: str
    part: int
    occurrences: pa.Table
    links: pa.Table
    problems: list[ItemProblem] = field(default_factory=list)
    references: pa.Table = field(default_factory=REFERENCE_SCHEMA.empty_table)
    bytes_scanned: int = 0
    records: int = 0
    elapsed: float = 0.0


class UnitScanner:
    """Scans units with one engine, one hasher and a set of connectors (per process)."""

    def __init__(
        self,
        connectors: dict[str, Connector],
        settings: DetectorSettings,
        key: bytes,
        scan_id: str = "",
        engine_factory: Callable[[DetectorSettings], Any] | None = None,
    ) -> None:
        self.connectors = connectors
        self.scan_id = scan_id
        self.settings = settings
        self.engine = (engine_factory or DetectionEngine)(settings)
        self.hasher = SubjectHasher(key)
        self.linkable = frozenset(LINKABLE_ENTITIES) | linkable_custom_entities(settings)
        #: what makes a referenced row hold someone's personal data (a town or a date alone does not)
        self.identifying = self.linkable | {"PERSON"}
        self._sanitiser = Sanitiser(settings, self.engine.detectors)
        self._versions = self.engine.detector_versions()

    def sanitise(self, text: str) -> tuple[str, bool]:
        return self._sanitiser.mask(text)

    def _safe_locator(self, locator: dict[str, Any]) -> str:
        """Locator JSON with any string value holding an identifier replaced by a keyed token."""

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, str):
                masked, changed = self.sanitise(value)
                return {"masked": masked, "token": self.hasher.token("locator", value)} if changed else value
            return value

        return locator_json(clean(locator))

    # -- scanning -----------------------------------------------------------
    def scan(self, unit: WorkUnit) -> UnitResult:
        started = time.perf_counter()
        item = unit.item
        connector = self.connectors[item.source]
        item_key = self.hasher.token("item", item.item_id)
        item_label, item_changed = item_label_of(self._sanitiser, item.item_id, item_key)
        occ_parts: list[pa.Table] = []
        link_parts: list[pa.Table] = []
        ref_parts: list[pa.Table] = []
        problems: list[ItemProblem] = []
        records = 0
        context = {
            "source": item.source,
            "item": item_label,
            "item_key": item_key,
            "fingerprint": item.fingerprint,
        }
        try:
            for chunk in self._with_names(unit, connector.read(unit)):
                if isinstance(chunk, ItemProblem):
                    problems.append(chunk)
                    if chunk.severity == "failed":
                        break
                    continue
                if isinstance(chunk, NameText):
                    kinds = [name_kind(chunk.locator(i)) for i in range(len(chunk.lines))]
                    matches = [detect_names(self.engine, chunk.lines, kinds)]
                elif isinstance(chunk, TextChunk):
                    matches = [owned_matches(chunk, self.engine.detect_texts(chunk.lines, field=chunk.field))]
                    records += len(chunk.lines)
                elif isinstance(chunk, TableBatch):
                    matches = list(self._detect_table(chunk, (item.source, item.item_id)))
                    records += chunk.batch.num_rows
                else:  # pragma: no cover - connector contract violation
                    raise TypeError(f"connector yielded {type(chunk).__name__}")
                keys_by_row: dict[int, set[str]] = {}
                dates = self._record_dates(chunk, matches)
                for part in matches:
                    if part.num_rows:
                        occ, links = self._rows(part, chunk, context, keys_by_row, dates)
                        occ_parts.append(occ)
                        if links.num_rows:
                            link_parts.append(links)
                if isinstance(chunk, TableBatch) and chunk.foreign_keys:
                    refs = self._references(chunk, context, keys_by_row)
                    if refs.num_rows:
                        ref_parts.append(refs)
        except Exception as exc:  # a bug or unexpected library error: fail this unit, keep the scan going
            log.debug("%s: %s: unit %d failed", item.source, item_label, unit.part, exc_info=True)
            problems.append(
                # the type only: an exception's message may quote the data being scanned
                ItemProblem(item_label, "failed", f"{type(exc).__name__} while scanning (see -vv)", item.source)
            )
        problems = [replace(p, item_id=item_label, reason=self.sanitise(p.reason)[0]) for p in problems]
        if item_changed:
            problems.append(
                ItemProblem(item_label, "note", "item path holds personal data; stored masked", item.source)
            )
        return UnitResult(
            unit_id=unit.unit_id,
            source=item.source,
            item_id=item.item_id,
            part=unit.part,
            occurrences=pa.concat_tables(occ_parts) if occ_parts else OCCURRENCE_SCHEMA.empty_table(),
            links=pa.concat_tables(link_parts) if link_parts else LINK_SCHEMA.empty_table(),
            references=pa.concat_tables(ref_parts) if ref_parts else REFERENCE_SCHEMA.empty_table(),
            problems=problems,
            bytes_scanned=unit.size,
            records=records,
            elapsed=time.perf_counter() - started,
        )

    def _with_names(self, unit: WorkUnit, results: Iterator[Any]) -> Iterator[Any]:
        """A unit's read results with the names they hold, once per item (its first unit): the item's own
        name (a file's path, an object key, a table), a table's column names before its first batch, and
        the names a reader yields (sheets, archive members, attachments); see :mod:`piiscan.scanner.names`."""
        item = unit.item
        first = unit.part == 0
        table = item.fmt == "table"
        if first:
            yield NameText(lines=[item.item_id], first_line=0, locators=[{"name": "table" if table else "path"}])
        columns: set[str] = set()
        for result in results:
            if isinstance(result, NameText) and not first:
                continue
            if first and table and isinstance(result, TableBatch):
                new = [c for c in result.scan_columns() if c not in columns]
                if new:
                    columns.update(new)
                    yield NameText(lines=new, first_line=0, locators=[{"name": "column", "column": c} for c in new])
            yield result

    def _record_dates(self, chunk: TextChunk | TableBatch, matches: list[pa.Table]) -> list[Any] | None:
        """Each row's date from the first configured date column the batch has (None: no such column).

        Retention rules dated ``column:NAME`` judge a row by it; only batches with findings pay for it."""
        if not self.settings.date_columns or not isinstance(chunk, TableBatch):
            return None
        if not any(part.num_rows for part in matches):
            return None
        return record_dates(chunk.batch, self.settings.date_columns)

    def _detect_table(self, chunk: TableBatch, plan_key: tuple[str, str]) -> Iterator[pa.Table]:
        """Matches of a batch in slices of rows, ``row`` relative to the whole batch.

        Index rows of a slice are built before the next slice is analysed, which
        bounds the worker's memory whatever batch size a connector yields."""
        columns = chunk.scan_columns()
        for offset in range(0, chunk.batch.num_rows, TABLE_SLICE_ROWS):
            part = self.engine.detect_table(chunk.batch.slice(offset, TABLE_SLICE_ROWS), columns, plan_key=plan_key)
            if offset and part.num_rows:
                part = part.set_column(0, "row", pc.add(part.column("row"), offset))
            yield part

    def _references(self, chunk: TableBatch, ctx: dict[str, str], keys_by_row: dict[int, set[str]]) -> pa.Table:
        """One row per foreign-key reference of each row of the batch (:data:`REFERENCE_SCHEMA`), with the
        identifying findings of the row (identifiers and names) for third-party marking.

        Target locators are made exactly as the referenced table's own locators
        (:meth:`_safe_locator`), so a footprint lookup can match them by hash.
        """
        out: dict[str, list] = {name: [] for name in REFERENCE_SCHEMA.names}
        labels = {fk: (fk.label, self.sanitise(fk.ref_table)[0]) for fk in chunk.foreign_keys}
        for row in range(chunk.batch.num_rows):
            references = chunk.references(row)
            if not references:
                continue
            locator = self._safe_locator(chunk.locator(row))
            keys = sorted(keys_by_row.get(row, ()))
            for fk, target in references:
                label, target_item = labels[fk]
                target_locator = self._safe_locator(target)
                out["target_key"].append(self.row_key(ctx["source"], target_item, target_locator))
                out["source"].append(ctx["source"])
                out["item"].append(ctx["item"])
                out["locator"].append(locator)
                out["foreign_key"].append(label)
                out["target_item"].append(target_item)
                out["target_locator"].append(target_locator)
                out["subject_keys"].append(keys)
                out["scan_id"].append(self.scan_id)
        return pa.table(out, schema=REFERENCE_SCHEMA)

    def row_key(self, source: str, item: str, locator: str) -> str:
        """The keyed hash a row is found by in the references dataset."""
        return row_key(self.hasher, source, item, locator)

    def _rows(
        self,
        matches: pa.Table,
        chunk: TextChunk | TableBatch,
        ctx: dict[str, str],
        keys_by_row: dict[int, set[str]] | None = None,
        dates: list[Any] | None = None,
    ) -> tuple[pa.Table, pa.Table]:
        cols = matches.to_pydict()
        n = matches.num_rows
        locators: dict[int, str] = {}
        keys: list[str] = []
        hashed: dict[tuple[str, str], str] = {}
        fields: list[str | None] = []
        for i in range(n):
            row = cols["row"][i]
            if row not in locators:
                locators[row] = self._safe_locator(chunk.locator(row))
            pair = (cols["entity_type"][i], cols["normalised"][i])
            key = hashed.get(pair)
            if key is None:
                key = hashed[pair] = self.hasher.subject_key(*pair)
            keys.append(key)
            if keys_by_row is not None and pair[0] in self.identifying:
                keys_by_row.setdefault(row, set()).add(key)
            fld = cols["field"][i] if cols["field"][i] is not None else getattr(chunk, "field", None)
            fields.append(self.sanitise(fld)[0] if fld else None)
        occ = pa.table(
            {
                "subject_key": keys,
                "entity_type": cols["entity_type"],
                "source": [ctx["source"]] * n,
                "item": [ctx["item"]] * n,
                "item_key": [ctx["item_key"]] * n,
                "locator": [locators[r] for r in cols["row"]],
                "field": fields,
                "span_start": cols["start"],
                "span_end": cols["end"],
                "detector": cols["detector"],
                "detector_version": [self._versions.get(d, "") for d in cols["detector"]],
                "score": cols["score"],
                "preview": cols["preview"],
                "scan_id": [self.scan_id] * n,
                "fingerprint": [ctx["fingerprint"]] * n,
                "record_date": [dates[r] for r in cols["row"]] if dates is not None else [None] * n,
            },
            schema=OCCURRENCE_SCHEMA,
        )
        return occ, self._links(cols, keys, fields, locators, ctx)

    def _links(
        self, cols: dict[str, list], keys: list[str], fields: list[str | None], locators: dict[int, str], ctx: dict
    ) -> pa.Table:
        """Links from each linkable identifier to every other finding of its record.

        A record is a row, JSON object or text line.  Links to other linkable
        identifiers are followed by ``lookup --linked``; links to anything else
        (a name, a date of birth, an address in the same row) tell a lookup what
        else that record holds about the person.
        """
        by_record: dict[int, list[int]] = {}
        for i, row in enumerate(cols["row"]):
            by_record.setdefault(row, []).append(i)
        out: dict[str, list] = {name: [] for name in LINK_SCHEMA.names}
        for row, members in by_record.items():
            anchors = {keys[i]: i for i in members if cols["entity_type"][i] in self.linkable}
            if not anchors or len(members) < 2 or len(anchors) > MAX_IDENTIFIERS_PER_RECORD:
                continue
            for anchor_key, a in anchors.items():
                for b in members[:MAX_LINKS_PER_RECORD]:
                    if keys[b] == anchor_key:
                        continue
                    out["subject_key"].append(anchor_key)
                    out["linked_key"].append(keys[b])
                    out["entity_type"].append(cols["entity_type"][a])
                    out["linked_entity_type"].append(cols["entity_type"][b])
                    out["linked_preview"].append(cols["preview"][b])
                    out["linkable"].append(cols["entity_type"][b] in self.linkable)
                    out["linked_field"].append(fields[b])
                    out["linked_span_start"].append(cols["start"][b])
                    out["linked_span_end"].append(cols["end"][b])
                    out["linked_detector"].append(cols["detector"][b])
                    out["linked_score"].append(cols["score"][b])
                    out["source"].append(ctx["source"])
                    out["item"].append(ctx["item"])
                    out["locator"].append(locators[row])
                    out["scan_id"].append(self.scan_id)
        return pa.table(out, schema=LINK_SCHEMA)


# -- process-pool plumbing (top-level so it pickles) ------------------------
_scanner: UnitScanner | None = None
_init_error: str | None = None
#: how often a worker's watch thread checks that the process that started it is still its parent
PARENT_POLL_S = 0.5
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_watched_parent: int | None = None


def die_with_parent(parent_pid: int) -> None:
    """End this worker process within a second of the death of ``parent_pid``, the process that started it.

    A scan killed outright (SIGKILL from a cron timeout, the OOM killer) cannot shut its workers down, and a
    worker left behind holds its memory and blocks writing results to a pipe nobody reads.  On Linux the
    kernel sends SIGKILL when the parent goes (``prctl(PR_SET_PDEATHSIG)``); a daemon thread watching
    ``os.getppid()`` covers what that misses (other platforms, a parent thread other than the one that
    forked).  A worker whose parent is already gone exits at once.  Idempotent per process.
    """
    global _watched_parent
    if _watched_parent == parent_pid:
        return
    _watched_parent = parent_pid
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the watch thread alone
            pass
    if os.getppid() != parent_pid:  # the parent died before the kernel could be told
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="piiscan-parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)  # reparented: the scan that wanted this worker's results is gone


class WorkerSetupError(Exception):
    """Detectors could not be built in a worker (e.g. the spaCy model is missing)."""


def init_worker(
    connectors: dict[str, Connector],
    settings: dict[str, Any],
    key: bytes,
    scan_id: str,
    parent_pid: int | None = None,
) -> None:
    """Pool initializer: ignore Ctrl-C (the parent handles it), end with the parent, build heavy objects once.

    A failure is remembered, not raised: a raising initializer only shows up
    as an anonymous broken pool, while this way every task reports the cause.
    """
    global _scanner, _init_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        die_with_parent(parent_pid)
    for connector in connectors.values():  # forked: drop (never close) any session still shared with the parent
        connector.__dict__.update(connector.__getstate__())
    try:
        _scanner = UnitScanner(connectors, DetectorSettings.from_dict(settings), key, scan_id)
    except Exception as exc:
        _init_error = f"cannot set up detectors: {one_line(exc)}"


def scan_unit(unit: WorkUnit) -> UnitResult:
    """Pool task: scan one unit with this process's scanner."""
    if _scanner is None:
        raise WorkerSetupError(_init_error or "worker was not initialised")
    return _scanner.scan(unit)
