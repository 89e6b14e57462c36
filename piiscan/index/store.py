"""The subject index: plain Parquet files, laid out so a lookup reads little.

Layout (``INDEX`` defaults to ``./.piiscan``; it may also be ``s3://bucket/prefix``, see
:mod:`piiscan.index.storage`)::

    INDEX/piiscan-index.json                 layout version, HMAC key id
    INDEX/occurrences/prefix=X/SCAN-NNNN.parquet   one row per occurrence
    INDEX/links/prefix=X/SCAN-NNNN.parquet         identifier co-occurrence links
    INDEX/references/prefix=X/SCAN-NNNN.parquet    foreign-key references between rows
    INDEX/items/SCAN-NNNN.parquet                  item status per scan
    INDEX/scans/SCAN.json                          scan record (counts, failures, config hash)
    INDEX/lock                                     held by the one writer (scan, compact)

``X`` is the first hex digit of the subject key (16 partitions), and rows are
sorted by subject key inside each file, so a lookup opens one partition and
reads only row groups whose min/max statistics admit the key.  Segments are
immutable: a scan only adds files.  An occurrence is *live* when the items
table says its item's current scan is the occurrence's scan; so a rescan of one
item (or an interrupted scan) never rewrites or corrupts older segments, and
``compact`` later drops dead rows and merges small files.  A scan killed after
writing segments but before its item rows leaves only dead rows (``compact``
drops them and any half-written temp file).  Item statuses: ok, partial,
skipped, failed, and ``gone`` (the item left its source).  One writer at a
time holds ``INDEX/lock`` (see :func:`acquire_lock`); readers need no lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from piiscan.index.keys import key_id
from piiscan.index.storage import Store, StoreError

LAYOUT_VERSION = 1
MANIFEST = "piiscan-index.json"
PREFIX_CHARS = 1
ROW_GROUP_SIZE = 16_384

OCCURRENCE_SCHEMA = pa.schema(
    [
        ("subject_key", pa.string()),
        ("entity_type", pa.string()),
        ("source", pa.string()),
        ("item", pa.string()),
        ("item_key", pa.string()),
        ("locator", pa.string()),
        ("field", pa.string()),
        ("span_start", pa.int32()),
        ("span_end", pa.int32()),
        ("detector", pa.string()),
        ("detector_version", pa.string()),
        ("score", pa.float32()),
        ("preview", pa.string()),
        ("scan_id", pa.string()),
        ("fingerprint", pa.string()),
        #: the row's value of its first date column named by a retention rule (``column:NAME``); null
        #: for text, for rows without one and in indexes written before it existed (read back as null)
        ("record_date", pa.date32()),
    ]
)

LINK_SCHEMA = pa.schema(
    [
        ("subject_key", pa.string()),
        ("linked_key", pa.string()),
        ("entity_type", pa.string()),
        ("linked_entity_type", pa.string()),
        ("linked_preview", pa.string()),
        ("linkable", pa.bool_()),
        ("linked_field", pa.string()),
        ("linked_span_start", pa.int32()),
        ("linked_span_end", pa.int32()),
        ("linked_detector", pa.string()),
        ("linked_score", pa.float32()),
        ("source", pa.string()),
        ("item", pa.string()),
        ("locator", pa.string()),
        ("scan_id", pa.string()),
    ]
)

#: One row per foreign-key reference of a scanned row: the row at ``locator`` of ``item`` references the
#: row at ``target_locator`` of ``target_item`` through ``foreign_key``.  ``target_key`` is a keyed hash
#: of (source, target item, target locator) -- the partition key a footprint lookup reads by -- and
#: ``subject_keys`` are the identifiers found in the referencing row (another person's, in a DSAR).
REFERENCE_SCHEMA = pa.schema(
    [
        ("target_key", pa.string()),
        ("source", pa.string()),
        ("item", pa.string()),
        ("locator", pa.string()),
        ("foreign_key", pa.string()),
        ("target_item", pa.string()),
        ("target_locator", pa.string()),
        ("subject_keys", pa.list_(pa.string())),
        ("scan_id", pa.string()),
    ]
)

ITEM_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("item", pa.string()),
        ("item_key", pa.string()),
        ("scan_id", pa.string()),
        ("status", pa.string()),  # ok | partial | skipped | failed
        ("reason", pa.string()),
        ("fmt", pa.string()),
        ("size", pa.int64()),
        ("fingerprint", pa.string()),
        ("settings_fingerprint", pa.string()),
        ("occurrences", pa.int64()),
        ("notes", pa.string()),
        ("scanned_at", pa.timestamp("s", tz="UTC")),
        #: when the item last changed in its source (file mtime, S3 LastModified, table update time), if known
        ("mtime", pa.timestamp("s", tz="UTC")),
        #: records read (rows, lines) in the scan; null in older indexes
        ("records", pa.int64()),
    ]
)


class IndexLayoutError(Exception):
    """The index is missing, from another layout version, or built with another key."""


def new_scan_id() -> str:
    """Sortable by start time (to the microsecond: back-to-back scans must not tie), unique across machines."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{now}-{secrets.token_hex(3)}"


def prefix_of(subject_key: str) -> str:
    return subject_key[:PREFIX_CHARS]


@dataclass
class Index:
    """An index (a local folder or an object-store prefix); open with :func:`open_index` or :func:`create_index`."""

    store: Store
    manifest: dict[str, Any]

    @property
    def root(self) -> Path:
        """The index folder of a local index (remote ones have ``store.location`` only)."""
        if self.store.remote:
            raise ValueError(f"{self.store.location}: a remote index has no local folder")
        return Path(self.store.base)

    @property
    def location(self) -> str:
        """Where the index is, for messages and records: a path or ``s3://bucket/prefix``."""
        return self.store.location

    def check_key(self, key: bytes) -> None:
        expected = self.manifest.get("key_id")
        if expected and expected != key_id(key):
            raise IndexLayoutError(
                f"{self.location}: index was built with a different HMAC key "
                f"(index key id {expected}, this key {key_id(key)}); set PIISCAN_HMAC_KEY or --key-file"
            )

    # -- reading ---------------------------------------------------------
    def _files(self, kind: str, prefix: str | None = None) -> list[str]:
        """Segment files of a dataset (one partition with ``prefix``), full paths in ``store.fs``."""
        return self.store.files(kind, *([f"prefix={prefix}"] if prefix is not None else []), suffix=".parquet")

    def read_segment(
        self, path: str, schema: pa.Schema, filters: Any = None, columns: list[str] | None = None
    ) -> pa.Table:
        """One segment file, read with ``schema`` (columns added since it was written come back as nulls)."""
        return self.store.read_parquet(path, schema, filters=filters, columns=columns)

    def segments(self, kind: str) -> list[str]:
        """All segment files of ``occurrences``, ``links``, ``references`` or ``items``."""
        return self._files(kind)

    def item_states(self) -> pa.Table:
        """All item status rows ever written (small: one row per item per scan)."""
        files = self._files("items")
        if not files:
            return ITEM_SCHEMA.empty_table()
        return pa.concat_tables([self.read_segment(f, ITEM_SCHEMA) for f in files])

    def current_items(self, until: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """For each (source, item): its latest non-failed status row (as of scan ``until``, if given).

        A failed rescan does not hide what an earlier scan found.
        """
        current: dict[tuple[str, str], dict[str, Any]] = {}
        rows = self.item_states().to_pylist()
        rows.sort(key=lambda r: r["scan_id"])
        for row in rows:
            if until is not None and row["scan_id"] > until:
                break
            if row["status"] == "failed" and (row["source"], row["item"]) in current:
                continue
            current[(row["source"], row["item"])] = row
        return current

    def live_scan_by_item(self, until: str | None = None) -> dict[tuple[str, str], str]:
        """(source, item) -> the scan whose occurrences of that item are live (as of scan ``until``).

        "partial" items (reading failed part-way) keep what was found before the failure.
        """
        current = self.current_items(until)
        return {k: v["scan_id"] for k, v in current.items() if v["status"] in ("ok", "partial")}

    def latest_item_rows(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(source, item_key) -> the item's latest status row of any status: what an incremental scan compares.

        Keyed by the keyed hash of the raw item id, not the masked label, so two items whose labels mask
        alike stay apart and a label that masks differently under new settings still finds its item.
        """
        table = self.item_states().select(
            ["source", "item", "item_key", "scan_id", "status", "reason", "fingerprint", "settings_fingerprint"]
        )
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for row in sorted(table.to_pylist(), key=lambda r: r["scan_id"]):
            latest[(row["source"], row["item_key"])] = row
        return latest

    def live_occurrences(self, live: dict[tuple[str, str], str], columns: list[str] | None = None) -> pa.Table:
        """Every occurrence whose (source, item) maps to its scan in ``live`` (e.g. ``live_scan_by_item(X)``)."""
        wanted_scans = sorted(set(live.values()))
        columns = list(columns or OCCURRENCE_SCHEMA.names)
        needed = list(dict.fromkeys([*columns, "source", "item", "scan_id"]))
        tables = []
        if wanted_scans:
            for path in self._files("occurrences"):
                table = self.read_segment(
                    path, OCCURRENCE_SCHEMA, columns=needed, filters=[("scan_id", "in", wanted_scans)]
                )
                if table.num_rows:
                    tables.append(table)
        if not tables:
            return OCCURRENCE_SCHEMA.empty_table().select(columns)
        return _rows_of_live_scans(pa.concat_tables(tables), live).select(columns)

    def _read_matching(self, kind: str, schema: pa.Schema, column: str, keys: set[str]) -> pa.Table:
        tables = []
        by_prefix: dict[str, list[str]] = {}
        for key in keys:
            by_prefix.setdefault(prefix_of(key), []).append(key)
        for prefix, group in by_prefix.items():
            for path in self._files(kind, prefix):
                table = self.read_segment(path, schema, filters=[(column, "in", group)])
                if table.num_rows:
                    tables.append(table)
        if not tables:
            return schema.empty_table()
        return pa.concat_tables(tables)

    def occurrences_for(self, subject_keys: Iterable[str], live_only: bool = True) -> pa.Table:
        table = self._read_matching("occurrences", OCCURRENCE_SCHEMA, "subject_key", set(subject_keys))
        return self._live(table) if live_only else table

    def links_for(self, subject_keys: Iterable[str], live_only: bool = True) -> pa.Table:
        table = self._read_matching("links", LINK_SCHEMA, "subject_key", set(subject_keys))
        return self._live(table) if live_only else table

    def references_to(self, target_keys: Iterable[str], live_only: bool = True) -> pa.Table:
        """Rows that reference the rows with these ``target_key`` hashes (see REFERENCE_SCHEMA)."""
        table = self._read_matching("references", REFERENCE_SCHEMA, "target_key", set(target_keys))
        return self._live(table) if live_only else table

    def _live(self, table: pa.Table) -> pa.Table:
        return _rows_of_live_scans(table, self.live_scan_by_item()) if table.num_rows else table

    def scans(self) -> list[dict[str, Any]]:
        records = [
            json.loads(self.store.read_bytes(self.store.relative(p))) for p in self.store.files("scans", suffix=".json")
        ]
        return sorted(records, key=lambda r: r["scan_id"])


def _rows_of_live_scans(table: pa.Table, live: dict[tuple[str, str], str]) -> pa.Table:
    """The rows of ``table`` (with source, item, scan_id columns) written by their item's live scan."""
    mask = [
        live.get((s, i)) == scan
        for s, i, scan in zip(
            table.column("source").to_pylist(),
            table.column("item").to_pylist(),
            table.column("scan_id").to_pylist(),
            strict=True,
        )
    ]
    return table.filter(pa.array(mask, pa.bool_()))


def _store(location: Store | str | Path, endpoint_url: str | None = None) -> Store:
    return location if isinstance(location, Store) else Store(location, endpoint_url)


def create_index(location: Store | str | Path, key: bytes, endpoint_url: str | None = None) -> Index:
    """Open the index at ``location`` (a folder or ``s3://bucket/prefix``), creating it (bound to this key) if
    absent."""
    store = _store(location, endpoint_url)
    if store.exists(MANIFEST):
        index = open_index(store)
        index.check_key(key)
        return index
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "key_id": key_id(key),
        "prefix_chars": PREFIX_CHARS,
        "hash": "HMAC-SHA256(key, ENTITY_TYPE + '\\x1f' + normalised value), first 128 bits, hex",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if not store.create_exclusive(json.dumps(manifest, indent=2).encode(), MANIFEST):  # another writer won
        return create_index(store, key)
    return Index(store, manifest)


def open_index(location: Store | str | Path, endpoint_url: str | None = None) -> Index:
    """The index at ``location``; IndexLayoutError when there is none or it is of another layout."""
    store = _store(location, endpoint_url)
    try:
        raw = store.read_bytes(MANIFEST)
    except FileNotFoundError:
        raise IndexLayoutError(f"{store}: no piiscan index here (run 'piiscan scan' first or pass --index)") from None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise IndexLayoutError(f"{store.display(MANIFEST)}: unreadable index manifest ({type(exc).__name__})") from exc
    if manifest.get("layout_version") != LAYOUT_VERSION:
        raise IndexLayoutError(f"{store}: index layout version {manifest.get('layout_version')} is not supported")
    return Index(store, manifest)


class IndexWriter:
    """Buffers a scan's results and writes immutable segments; the only writer.

    Occurrences and links of a unit are buffered; when an item has all its
    units done, its status row is queued.  ``flush`` writes occurrence and link
    segments first and the item rows last, so an item is only ever marked
    current after its occurrences are on disk (crash-safe).
    """

    def __init__(self, index: Index, scan_id: str, flush_rows: int = 250_000) -> None:
        self.index = index
        self.scan_id = scan_id
        self.flush_rows = flush_rows
        self._occurrences: list[pa.Table] = []
        self._links: list[pa.Table] = []
        self._references: list[pa.Table] = []
        self._items: list[dict[str, Any]] = []
        self._buffered = 0
        self._seq = 0
        #: the one-line message of a failed index write (a full disk): the scan record says the scan failed
        self.error: str | None = None

    def add(self, occurrences: pa.Table, links: pa.Table, references: pa.Table | None = None) -> None:
        if occurrences.num_rows:
            self._occurrences.append(occurrences)
        if links.num_rows:
            self._links.append(links)
        if references is not None and references.num_rows:
            self._references.append(references)
        self._buffered += occurrences.num_rows + links.num_rows + (references.num_rows if references else 0)
        if self._buffered >= self.flush_rows:
            self.flush()

    def item_done(self, row: dict[str, Any]) -> None:
        row = {**row, "scan_id": self.scan_id}
        row.setdefault("scanned_at", dt.datetime.now(dt.UTC))
        self._items.append(row)

    def flush(self) -> None:
        """Write what is buffered.  A write that fails (a full disk) drops the buffers, whose items are then
        not marked done, so a rerun scans them again; the error is kept for the scan record and later
        flushes do nothing, so the scan can still end and record the failure."""
        if self.error is not None:
            self._drop()
            return
        try:
            self._write_buffers()
        except StoreError as exc:
            self.error = str(exc)
            self._drop()
            self._record_failure()
            raise

    def _record_failure(self) -> None:
        """Mark this scan's record failed at once (the scan may end on this error before it writes its
        own); best effort: on a full disk even that small write may fail, and the error is reported anyway."""
        with contextlib.suppress(OSError, ValueError):
            record = self.index.store.read_json("scans", f"{self.scan_id}.json")
            if isinstance(record, dict):
                self.write_scan_record(record)

    def _drop(self) -> None:
        self._occurrences, self._links, self._references, self._items = [], [], [], []
        self._buffered = 0

    def _write_buffers(self) -> None:
        seq = f"{self.scan_id}-{self._seq:04d}"
        if self._occurrences:
            self._write_partitioned("occurrences", pa.concat_tables(self._occurrences), seq)
        if self._links:
            self._write_partitioned("links", pa.concat_tables(self._links), seq)
        if self._references:
            self._write_partitioned("references", pa.concat_tables(self._references), seq, "target_key")
        if self._items:
            table = pa.Table.from_pylist(self._items, schema=ITEM_SCHEMA)
            self.index.store.write_parquet(table, "items", f"{seq}.parquet")
        if self._occurrences or self._links or self._references or self._items:
            self._seq += 1
        self._drop()

    def _write_partitioned(self, kind: str, table: pa.Table, seq: str, key: str = "subject_key") -> None:
        # Sort indices, not the table: each prefix's rows are then taken (copied)
        # one partition at a time, so a flush never holds a second full copy.
        order = pc.sort_indices(table, sort_keys=[(key, "ascending")])
        prefixes = pc.utf8_slice_codeunits(pc.take(table.column(key), order), 0, PREFIX_CHARS)
        runs = pc.run_end_encode(prefixes.combine_chunks() if isinstance(prefixes, pa.ChunkedArray) else prefixes)
        start = 0
        for prefix, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
            part = table.take(order.slice(start, end - start))
            self.index.store.write_parquet(part, kind, f"prefix={prefix}", f"{seq}.parquet")
            start = end

    def write_scan_record(self, record: dict[str, Any]) -> str:
        """Write (or replace) ``scans/SCAN.json``; where it went, for messages.  After a failed index write
        the record says the scan failed, and why."""
        if self.error is not None:
            record = {**record, "status": "failed", "error": self.error}
        self.index.store.write_bytes(
            json.dumps(record, indent=2, default=str).encode(), "scans", f"{self.scan_id}.json"
        )
        return self.index.store.display("scans", f"{self.scan_id}.json")


def compact(index: Index) -> dict[str, int]:
    """Compact under the index lock (a scan writing meanwhile would lose its segments); see ``_compact``."""
    with acquire_lock(index.store, purpose="compact"):
        # half-written ``.NAME.tmp-PID`` files of a killed local writer (never read: readers skip dot-files)
        for path in index.store.temporaries():
            index.store.delete(path)
        return _compact(index)


def _compact(index: Index) -> dict[str, int]:
    """Rewrite each partition keeping only live rows; return rows kept/dropped.

    Items that are failed/skipped keep their status rows; item tables are
    reduced to one (current) row per item plus the latest failure, if newer.
    """
    stats = {"kept": 0, "dropped": 0}
    stamp = f"compact-{new_scan_id()}"
    kinds = (("occurrences", OCCURRENCE_SCHEMA, "subject_key"), ("links", LINK_SCHEMA, "subject_key"))
    for kind, schema, key in (*kinds, ("references", REFERENCE_SCHEMA, "target_key")):
        partitions: dict[str, list[str]] = {}
        for path in index.segments(kind):
            partitions.setdefault(index.store.relative(path).split("/")[1], []).append(path)
        for partition, files in sorted(partitions.items()):
            table = pa.concat_tables([index.read_segment(f, schema) for f in files])
            keep = index._live(table).sort_by(key)
            stats["kept"] += keep.num_rows if kind == "occurrences" else 0
            stats["dropped"] += (table.num_rows - keep.num_rows) if kind == "occurrences" else 0
            if keep.num_rows:
                index.store.write_parquet(keep, kind, partition, f"{stamp}.parquet")
            for f in files:
                index.store.delete(f)
    states = index.item_states().to_pylist()
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(states, key=lambda r: r["scan_id"]):
        latest[(row["source"], row["item"])] = row
    current = index.current_items()
    keep_rows = list(current.values()) + [
        r for k, r in latest.items() if r["status"] == "failed" and current.get(k) is not r
    ]
    files = index._files("items")
    if keep_rows:
        index.store.write_parquet(pa.Table.from_pylist(keep_rows, schema=ITEM_SCHEMA), "items", f"{stamp}.parquet")
    for f in files:
        index.store.delete(f)
    return stats


# -- the writer lock ------------------------------------------------------------
LOCK_FILE = "lock"


class IndexLockedError(BlockingIOError):
    """Another live process is writing this index (one-line message naming it)."""


@dataclass
class IndexLock:
    """``INDEX/lock``, held by the one process writing the index (a scan or ``compact``); readers take none."""

    store: Store
    info: dict[str, Any]

    def release(self) -> None:
        """Remove the lock if it is still ours (a takeover by someone else is left alone)."""
        if _read_lock(self.store) == self.info:
            self.store.delete(self.store.path(LOCK_FILE))

    def __enter__(self) -> IndexLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_holder(where: Store | str | Path, live_only: bool = False) -> dict[str, Any] | None:
    """What the lock file says (pid, host, started, scan_id, purpose), or None when the index is not locked
    (with ``live_only``, also when the lock is stale: its process is gone)."""
    import socket

    holder = _read_lock(_store(where))
    if live_only and holder is not None and _is_stale(holder, socket.gethostname()):
        return None
    return holder


def acquire_lock(where: Store | str | Path, scan_id: str | None = None, purpose: str = "scan") -> IndexLock:
    """Create ``INDEX/lock`` atomically (O_CREAT|O_EXCL locally, a conditional PUT on S3), taking over a
    stale one.

    A lock is stale when it names this host and a process that no longer runs (a scan killed with
    SIGKILL, a crashed machine's leftover is another matter: a lock of another host is never presumed
    dead).  Local stale takeovers are serialised by ``flock`` on ``INDEX/lock.takeover``, so two processes
    finding the same stale lock cannot both win.
    """
    import contextlib
    import logging
    import socket

    store = _store(where)
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scan_id": scan_id,
        "purpose": purpose,
    }
    if store.create_exclusive(json.dumps(info).encode(), LOCK_FILE):
        return IndexLock(store, info)
    with _takeover_guard(store) if not store.remote else contextlib.nullcontext():
        holder = _read_lock(store)
        if holder is not None and not _is_stale(holder, str(info["host"])):
            raise IndexLockedError(f"{store}: index is locked by {_describe(holder)}; try again when it ends")
        if holder is not None:
            logging.getLogger("piiscan.index").warning(
                "%s: taking over a stale lock left by %s (that process is gone)", store, _describe(holder)
            )
        store.delete(store.path(LOCK_FILE))
        if not store.create_exclusive(json.dumps(info).encode(), LOCK_FILE):
            raise IndexLockedError(f"{store}: index is locked by {_describe(_read_lock(store) or {})}")
    return IndexLock(store, info)


@contextlib.contextmanager
def _takeover_guard(store: Store) -> Iterator[None]:
    import fcntl

    with open(store.path(f"{LOCK_FILE}.takeover"), "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def _read_lock(store: Store) -> dict[str, Any] | None:
    try:
        data = json.loads(store.read_bytes(LOCK_FILE))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # being written this instant, or garbage: not ours, and not provably stale
    return data if isinstance(data, dict) else {}


def _is_stale(holder: dict[str, Any], host: str) -> bool:
    pid = holder.get("pid")
    if holder.get("host") != host or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _describe(holder: dict[str, Any]) -> str:
    what = holder.get("purpose") or "a writer"
    scan = f" {holder['scan_id']}" if holder.get("scan_id") else ""
    where = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}"
    return f"{what}{scan} ({where}, since {holder.get('started', '?')})"
