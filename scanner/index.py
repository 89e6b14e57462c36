"""The subject index: plain Parquet files, laid out so a lookup reads little.

Layout (``INDEX`` defaults to ``./.piiscan``)::

    INDEX/piiscan-index.json                 layout version, HMAC key id
    INDEX/occurrences/prefix=X/SCAN-NNNN.parquet   one row per occurrence
    INDEX/links/prefix=X/SCAN-NNNN.parquet         identifier co-occurrence links
    INDEX/references/prefix=X/SCAN-NNNN.parquet    foreign-key references between rows
    INDEX/items/SCAN-NNNN.parquet                  item status per scan
    INDEX/scans/SCAN.json                          scan record (counts, failures)

``X`` is the first hex digit of the subject key (16 partitions), and rows are
sorted by subject key inside each file, so a lookup opens one partition and
reads only row groups whose min/max statistics admit the key.  Segments are
immutable: a scan only adds files.  An occurrence is *live* when the items
table says its item's current scan is the occurrence's scan; so a rescan of one
item (or an interrupted scan) never rewrites or corrupts older segments, and
``compact`` later drops dead rows and merges small files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scanner.keys import key_id

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
    ]
)


class IndexLayoutError(Exception):
    """The index is missing, from another layout version, or built with another key."""


def new_scan_id() -> str:
    """Sortable by start time, unique across machines."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{secrets.token_hex(3)}"


def prefix_of(subject_key: str) -> str:
    return subject_key[:PREFIX_CHARS]


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Write then rename, so readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP_SIZE, compression="zstd", write_statistics=True)
    os.replace(tmp, path)


@dataclass
class Index:
    """An index directory; open with :func:`open_index` or :func:`create_index`."""

    root: Path
    manifest: dict[str, Any]

    def check_key(self, key: bytes) -> None:
        expected = self.manifest.get("key_id")
        if expected and expected != key_id(key):
            raise IndexLayoutError(
                f"{self.root}: index was built with a different HMAC key "
                f"(index key id {expected}, this key {key_id(key)}); set PIISCAN_HMAC_KEY or --key-file"
            )

    # -- reading ---------------------------------------------------------
    def _files(self, kind: str, prefix: str | None = None) -> list[Path]:
        base = self.root / kind
        if prefix is not None:
            base = base / f"prefix={prefix}"
        if not base.exists():
            return []
        return sorted(p for p in base.rglob("*.parquet") if not p.name.startswith("."))

    def item_states(self) -> pa.Table:
        """All item status rows ever written (small: one row per item per scan)."""
        files = self._files("items")
        if not files:
            return ITEM_SCHEMA.empty_table()
        return pa.concat_tables([pq.read_table(f, schema=ITEM_SCHEMA) for f in files])

    def current_items(self) -> dict[tuple[str, str], dict[str, Any]]:
        """For each (source, item): its latest non-failed status row.

        A failed rescan does not hide what an earlier scan found.
        """
        current: dict[tuple[str, str], dict[str, Any]] = {}
        rows = self.item_states().to_pylist()
        rows.sort(key=lambda r: r["scan_id"])
        for row in rows:
            if row["status"] == "failed" and (row["source"], row["item"]) in current:
                continue
            current[(row["source"], row["item"])] = row
        return current

    def live_scan_by_item(self) -> dict[tuple[str, str], str]:
        """(source, item) -> the scan whose occurrences of that item are live.

        "partial" items (reading failed part-way) keep what was found before the failure.
        """
        return {k: v["scan_id"] for k, v in self.current_items().items() if v["status"] in ("ok", "partial")}

    def _read_matching(self, kind: str, schema: pa.Schema, column: str, keys: set[str]) -> pa.Table:
        tables = []
        by_prefix: dict[str, list[str]] = {}
        for key in keys:
            by_prefix.setdefault(prefix_of(key), []).append(key)
        for prefix, group in by_prefix.items():
            for path in self._files(kind, prefix):
                table = pq.read_table(path, schema=schema, filters=[(column, "in", group)])
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
        if not table.num_rows:
            return table
        live = self.live_scan_by_item()
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

    def scans(self) -> list[dict[str, Any]]:
        base = self.root / "scans"
        if not base.exists():
            return []
        records = [json.loads(p.read_text()) for p in sorted(base.glob("*.json"))]
        return sorted(records, key=lambda r: r["scan_id"])


def create_index(root: Path, key: bytes) -> Index:
    """Open the index at ``root``, creating it (bound to this key) if absent."""
    root = Path(root)
    manifest_path = root / MANIFEST
    if manifest_path.exists():
        index = open_index(root)
        index.check_key(key)
        return index
    root.mkdir(parents=True, exist_ok=True)
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "key_id": key_id(key),
        "prefix_chars": PREFIX_CHARS,
        "hash": "HMAC-SHA256(key, ENTITY_TYPE + '\\x1f' + normalised value), first 128 bits, hex",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    _atomic_write_bytes(manifest_path, json.dumps(manifest, indent=2).encode())
    return Index(root, manifest)


def open_index(root: Path) -> Index:
    root = Path(root)
    manifest_path = root / MANIFEST
    if not manifest_path.exists():
        raise IndexLayoutError(f"{root}: no piiscan index here (run 'piiscan scan' first or pass --index)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise IndexLayoutError(f"{manifest_path}: unreadable index manifest ({type(exc).__name__})") from exc
    if manifest.get("layout_version") != LAYOUT_VERSION:
        raise IndexLayoutError(f"{root}: index layout version {manifest.get('layout_version')} is not supported")
    return Index(root, manifest)


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
        seq = f"{self.scan_id}-{self._seq:04d}"
        if self._occurrences:
            self._write_partitioned("occurrences", pa.concat_tables(self._occurrences), seq)
        if self._links:
            self._write_partitioned("links", pa.concat_tables(self._links), seq)
        if self._references:
            self._write_partitioned("references", pa.concat_tables(self._references), seq, "target_key")
        if self._items:
            table = pa.Table.from_pylist(self._items, schema=ITEM_SCHEMA)
            _write_parquet(table, self.index.root / "items" / f"{seq}.parquet")
        if self._occurrences or self._links or self._references or self._items:
            self._seq += 1
        self._occurrences, self._links, self._references, self._items = [], [], [], []
        self._buffered = 0

    def _write_partitioned(self, kind: str, table: pa.Table, seq: str, key: str = "subject_key") -> None:
        # Sort indices, not the table: each prefix's rows are then taken (copied)
        # one partition at a time, so a flush never holds a second full copy.
        order = pc.sort_indices(table, sort_keys=[(key, "ascending")])
        prefixes = pc.utf8_slice_codeunits(pc.take(table.column(key), order), 0, PREFIX_CHARS)
        runs = pc.run_end_encode(prefixes.combine_chunks() if isinstance(prefixes, pa.ChunkedArray) else prefixes)
        start = 0
        for prefix, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
            part = table.take(order.slice(start, end - start))
            _write_parquet(part, self.index.root / kind / f"prefix={prefix}" / f"{seq}.parquet")
            start = end

    def write_scan_record(self, record: dict[str, Any]) -> Path:
        path = self.index.root / "scans" / f"{self.scan_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_bytes(path, json.dumps(record, indent=2, default=str).encode())
        return path


def compact(index: Index) -> dict[str, int]:
    """Rewrite each partition keeping only live rows; return rows kept/dropped.

    Items that are failed/skipped keep their status rows; item tables are
    reduced to one (current) row per item plus the latest failure, if newer.
    """
    stats = {"kept": 0, "dropped": 0}
    stamp = f"compact-{new_scan_id()}"
    kinds = (("occurrences", OCCURRENCE_SCHEMA, "subject_key"), ("links", LINK_SCHEMA, "subject_key"))
    for kind, schema, key in (*kinds, ("references", REFERENCE_SCHEMA, "target_key")):
        base = index.root / kind
        if not base.exists():
            continue
        for part_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            files = sorted(p for p in part_dir.glob("*.parquet") if not p.name.startswith("."))
            if not files:
                continue
            table = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
            keep = index._live(table).sort_by(key)
            stats["kept"] += keep.num_rows if kind == "occurrences" else 0
            stats["dropped"] += (table.num_rows - keep.num_rows) if kind == "occurrences" else 0
            if keep.num_rows:
                _write_parquet(keep, part_dir / f"{stamp}.parquet")
            for f in files:
                f.unlink()
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
        _write_parquet(pa.Table.from_pylist(keep_rows, schema=ITEM_SCHEMA), index.root / "items" / f"{stamp}.parquet")
    for f in files:
        f.unlink()
    return stats
