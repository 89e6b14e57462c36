"""The index layout: immutable segments, live entries per item, compaction, key binding."""

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from piiscan.index.keys import SubjectHasher
from piiscan.index.store import (
    LINK_SCHEMA,
    OCCURRENCE_SCHEMA,
    IndexLayoutError,
    IndexWriter,
    compact,
    create_index,
    open_index,
)

KEY = b"k" * 32
HASHER = SubjectHasher(KEY)


def occurrences(scan_id: str, item: str, values: list[str]) -> pa.Table:
    rows = [
        {
            "subject_key": HASHER.subject_key("EMAIL_ADDRESS", v),
            "entity_type": "EMAIL_ADDRESS",
            "source": "file:///estate",
            "item": item,
            "item_key": "ik",
            "locator": f'{{"line":{n}}}',
            "field": None,
            "span_start": 0,
            "span_end": 5,
            "detector": "email",
            "detector_version": "1",
            "score": 1.0,
            "preview": "m***",
            "scan_id": scan_id,
            "fingerprint": "fp",
        }
        for n, v in enumerate(values, 1)
    ]
    return pa.Table.from_pylist(rows, schema=OCCURRENCE_SCHEMA)


def item_row(item: str, status: str = "ok") -> dict:
    return {
        "source": "file:///estate",
        "item": item,
        "item_key": "ik",
        "status": status,
        "reason": None if status == "ok" else "truncated gzip stream",
        "fmt": "text",
        "size": 10,
        "fingerprint": "fp",
        "settings_fingerprint": "sf",
        "occurrences": 1,
        "notes": None,
    }


def write_scan(index, scan_id: str, item: str, values: list[str], status: str = "ok") -> None:
    writer = IndexWriter(index, scan_id)
    writer.add(occurrences(scan_id, item, values), LINK_SCHEMA.empty_table())
    writer.item_done(item_row(item, status))
    writer.flush()


def key_of(value: str) -> str:
    return HASHER.subject_key("EMAIL_ADDRESS", value)


def test_partitioned_sorted_layout_readable_as_plain_parquet(tmp_path):
    index = create_index(tmp_path / "idx", KEY)
    values = [f"user{n}@example.com" for n in range(200)]
    write_scan(index, "20260101T000000Z-aaaaaa", "a.log", values)
    partitions = sorted(p.name for p in (tmp_path / "idx" / "occurrences").iterdir())
    assert partitions and all(p.startswith("prefix=") for p in partitions)
    table = ds.dataset(tmp_path / "idx" / "occurrences", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 200
    for part in (tmp_path / "idx" / "occurrences").iterdir():
        keys = ds.dataset(part, format="parquet").to_table().column("subject_key").to_pylist()
        assert keys == sorted(keys)
        assert all(k.startswith(part.name.removeprefix("prefix=")) for k in keys)


def test_rescan_replaces_an_items_entries_without_rewriting_segments(tmp_path):
    index = create_index(tmp_path / "idx", KEY)
    write_scan(index, "20260101T000000Z-aaaaaa", "a.log", ["old@example.com"])
    write_scan(index, "20260101T000000Z-aaaaaa", "b.log", ["keep@example.com"])
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "idx").rglob("*.parquet")}
    write_scan(index, "20260102T000000Z-bbbbbb", "a.log", ["new@example.com"])
    assert all(p.stat().st_mtime_ns == m for p, m in before.items())
    assert index.occurrences_for([key_of("old@example.com")]).num_rows == 0
    assert index.occurrences_for([key_of("old@example.com")], live_only=False).num_rows == 1
    assert index.occurrences_for([key_of("new@example.com")]).num_rows == 1
    assert index.occurrences_for([key_of("keep@example.com")]).num_rows == 1


def test_failed_rescan_keeps_what_was_found_before(tmp_path):
    index = create_index(tmp_path / "idx", KEY)
    write_scan(index, "20260101T000000Z-aaaaaa", "a.log", ["old@example.com"])
    write_scan(index, "20260102T000000Z-bbbbbb", "a.log", ["partial@example.com"], status="failed")
    assert index.occurrences_for([key_of("old@example.com")]).num_rows == 1
    assert index.occurrences_for([key_of("partial@example.com")]).num_rows == 0


def test_unfinished_item_is_not_live(tmp_path):
    """Occurrences flushed before an item completes (crash, Ctrl-C) stay invisible."""
    index = create_index(tmp_path / "idx", KEY)
    writer = IndexWriter(index, "20260101T000000Z-aaaaaa")
    writer.add(occurrences("20260101T000000Z-aaaaaa", "a.log", ["x@example.com"]), LINK_SCHEMA.empty_table())
    writer.flush()
    assert index.occurrences_for([key_of("x@example.com")]).num_rows == 0


def test_compact_drops_dead_rows_and_keeps_answers(tmp_path):
    index = create_index(tmp_path / "idx", KEY)
    write_scan(index, "20260101T000000Z-aaaaaa", "a.log", ["old@example.com", "both@example.com"])
    write_scan(index, "20260102T000000Z-bbbbbb", "a.log", ["both@example.com"])
    stats = compact(index)
    assert stats == {"kept": 1, "dropped": 2}
    assert index.occurrences_for([key_of("both@example.com")]).num_rows == 1
    assert index.occurrences_for([key_of("old@example.com")], live_only=False).num_rows == 0
    assert len(list((tmp_path / "idx" / "items").glob("*.parquet"))) == 1


def test_index_is_bound_to_its_key(tmp_path):
    create_index(tmp_path / "idx", KEY)
    with pytest.raises(IndexLayoutError, match="different HMAC key"):
        create_index(tmp_path / "idx", b"j" * 32)
    with pytest.raises(IndexLayoutError, match="no piiscan index"):
        open_index(tmp_path / "elsewhere")
