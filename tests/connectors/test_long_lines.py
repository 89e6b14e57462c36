"""Long lines are scanned in bounded pieces: honest locators, every value once, bounded worker memory."""

from __future__ import annotations

import io
import itertools
import json
import random
import zipfile
from pathlib import Path

import pytest

from piiscan.connectors.base import TextChunk
from piiscan.connectors.formats import jsondoc, jsonl
from piiscan.connectors.formats.common import (
    LINE_OVERLAP_CHARS,
    LINE_PIECE_CHARS,
    iter_line_parts,
    iter_lines,
)
from piiscan.connectors.formats.text import LineChunk, read_text
from tests.conftest import load_bench_module
from tests.connectors.conformance import reasons, scan_file

WHOLE = LINE_PIECE_CHARS + LINE_OVERLAP_CHARS  # the longest line still read as one text

#: Peak RSS allowed to the one worker scanning a 30 MB line.  A line read whole took about 30 times its
#: size (6 GB for 200 MB), so 30 MB held whole would take some 900 MB; in pieces a worker stays near its
#: empty size (about 100 MB here).
WORKER_RSS_BOUND_MB = 400


def texts(data: bytes, encoding: str = "utf-8") -> list[tuple[dict, str, tuple[int, int] | None]]:
    out = []
    for chunk in read_text(io.BytesIO(data), encoding):
        for i, line in enumerate(chunk.lines):
            owned = chunk.owned[i] if isinstance(chunk, LineChunk) else None
            out.append((chunk.locator(i), line, owned))
    return out


@pytest.mark.parametrize("length", [0, 1, WHOLE - 1, WHOLE])
def test_lines_up_to_the_bound_keep_their_locators(length: int) -> None:
    line = ("é" * length)[:length]  # two bytes a character: a line of WHOLE characters comes in several parts
    data = f"first\r\n{line}\r\nlast".encode()
    assert texts(data) == [({"line": 1}, "first", None), ({"line": 2}, line, None), ({"line": 3}, "last", None)]
    chunks = list(read_text(io.BytesIO(data), "utf-8"))
    assert all(type(c) is TextChunk for c in chunks)


@pytest.mark.parametrize("length", [WHOLE + 1, 3 * LINE_PIECE_CHARS, 5 * LINE_PIECE_CHARS + 17])
@pytest.mark.parametrize("alphabet", ["ab c", "aé€😀 "])  # 1- to 4-byte characters across part cuts
def test_a_long_line_is_cut_into_overlapping_pieces_that_tile_it(length: int, alphabet: str) -> None:
    rng = random.Random(length)
    line = "".join(rng.choice(alphabet) for _ in range(length))
    found = texts(f"before\n{line}\r\nafter\n".encode())
    assert found[0] == ({"line": 1}, "before", None) and found[-1] == ({"line": 3}, "after", None)
    pieces = found[1:-1]
    owned = []
    for locator, text, own in pieces:
        assert set(locator) == {"line", "offset"} and locator["line"] == 2
        assert line[locator["offset"] : locator["offset"] + len(text)] == text  # the offset finds it again
        assert len(text) <= LINE_PIECE_CHARS + 2 * LINE_OVERLAP_CHARS
        assert own is not None
        owned.append((locator["offset"] + own[0], locator["offset"] + own[1]))
    assert owned[0][0] == 0 and owned[-1][1] == len(line)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(owned)), "owned ranges tile the line"
    for (_locator, _text, own), (start, _end) in zip(pieces, owned, strict=True):
        if start:  # every piece but the first has the full overlap before what it owns
            assert own[0] == LINE_OVERLAP_CHARS


def test_line_parts_are_bounded_and_rejoin_to_the_lines() -> None:
    rng = random.Random(5)
    data = b"".join(rng.choice([b"a", b"\xc3\xa9", b"\r", b"\r\n", b"\n", b"\xf0\x9f\x98\x80"]) for _ in range(20_000))
    lines, current = [], b""
    for part, ends in iter_line_parts(io.BytesIO(data), limit=16):
        assert len(part) <= 16
        current += part
        if ends:
            lines.append(current)
            current = b""
    assert current == b""
    assert lines == list(iter_lines(io.BytesIO(data)))


def test_one_long_line_through_a_scan_bounded_and_each_value_once(tmp_path: Path) -> None:
    """A 30 MB file without a newline, scanned by one worker: the planted identifiers (a third of them
    across, on or next to the cuts between pieces) are each found exactly once, at their own offset."""
    bench = load_bench_module("long_line.py")
    path = tmp_path / "dump.log"
    planted = bench.write_long_line(path, 30_000_000, count=240)
    index = tmp_path / "index"
    summary, _wall = bench.scan(path, index, workers=1)
    assert summary["status"] == "completed"
    found = bench.check_index(index, planted, bench.BENCH_KEY)
    assert found["missing"] == [] and found["twice"] == []
    assert found["found_once"] == found["at_their_offset"] == len(planted)
    assert sum(summary["findings_by_entity"].values()) == len(planted), "no partial values at the cuts"
    assert 0 < summary["peak_rss_mb"]["largest_worker"] <= WORKER_RSS_BOUND_MB


def test_json_document_over_the_limit_is_skipped_with_a_note(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(jsondoc, "MAX_JSON_BYTES", 1_000)
    path = tmp_path / "dump.json"
    path.write_text(json.dumps([{"email": f"u{i}@example.com"} for i in range(100)]))
    assert reasons(scan_file(path, 1 << 20)) == [("skipped", jsondoc.JSON_TOO_LARGE)]


def test_json_line_over_the_limit_is_skipped_and_the_rest_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(jsonl, "MAX_JSON_BYTES", 1_000)
    path = tmp_path / "events.jsonl"
    huge = json.dumps({"blob": "x" * 5_000})
    path.write_text("\n".join([json.dumps({"email": "a@example.com"}), huge, json.dumps({"email": "b@example.com"})]))
    results = scan_file(path, 1 << 20)
    assert reasons(results) == [("note", f"1 JSON line skipped: {jsonl.JSON_TOO_LARGE}")]
    rows = [(b.locator(i), r) for b in results if hasattr(b, "batch") for i, r in enumerate(b.batch.to_pylist())]
    assert rows == [({"row": 1}, {"$.email": "a@example.com"}), ({"row": 3}, {"$.email": "b@example.com"})]


def test_csv_row_over_the_block_size_is_named(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(b"a,b\n1,2\n" + b"x" * (9 << 20) + b",y\n")
    (reason,) = reasons(scan_file(path, 64 << 20))
    assert reason == ("failed", "CSV row after data row 1 is over 4 MB: too large to parse")


def test_a_long_line_inside_an_archive_member_is_reported_once(tmp_path: Path) -> None:
    bench = load_bench_module("long_line.py")
    member = tmp_path / "dump.log"
    planted = bench.write_long_line(member, 3_000_000, count=60)
    root = tmp_path / "estate"
    root.mkdir()
    with zipfile.ZipFile(root / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(member, "logs/dump.log")
    index = tmp_path / "index"
    summary, _wall = bench.scan(root, index, workers=1)
    found = bench.check_index(index, planted, bench.BENCH_KEY)
    assert found["missing"] == [] and found["twice"] == [] and found["found_once"] == len(planted)
    assert sum(summary["findings_by_entity"].values()) == len(planted)
