"""Erasers for files: :class:`LocalFileEraser` (``file://`` sources) and :class:`S3Eraser` (``s3://``).

Both share one rewrite, :func:`redact_bytes`: the item's bytes are read again by the very format
readers a scan uses (:mod:`piiscan.connectors.files`), so the text each span indexes is known exactly (a
decoded line for text/log files, a parsed cell for CSV/TSV, the newline-joined values of a JSON
path for JSONL and JSON documents).  Each span is then mapped to its characters in the raw file by
a small positional tokenizer of that format, and the value the tokenizer finds must equal the
reader's value, or the span is declared manual.  The file is decoded in the encoding the readers
chose (UTF-8, else the cp1252 fallback; a UTF-8 BOM is kept), the matched characters are replaced
by :data:`~piiscan.connectors.erasers.REDACTION` and the text is encoded back: both decodings are one
character per byte sequence and reversible, so every byte outside the matched values stays as it
was (line endings, quoting of other cells, escapes elsewhere in a JSON line).

Text, log, CSV, TSV, JSONL/NDJSON and JSON files are rewritten so; Parquet files cell by cell through
pyarrow (:func:`_redact_parquet`: the same schema, key-value metadata, row groups and codecs, every
other cell checked equal); any of them gzip-compressed by decompressing, rewriting the content and
compressing again with the original header's time stamp and name (:func:`_redact_gzip`).  Any other
format (PDF, workbooks, Word documents, e-mail, archives, HTML) gets a manual reason.

A redact action's ``after`` is the hash of the file with the spans of *all* the redact actions
passed to :meth:`inspect` together applied, so an item's redact actions must be inspected and
executed as the same group (normally one action per file).  ``execute`` checks that its rewrite
hashes to that value before writing, and refuses otherwise.

The whole item is held in memory while it is inspected or rewritten.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import re
import stat
import tempfile
import zlib
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.parquet as pq

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, TableBatch, TextChunk, WorkUnit, locator_json
from piiscan.connectors.erasers import REDACTION, ActionResult, Digest, EraseAction, Eraser, Inspection, Outcome, Span
from piiscan.connectors.files import InMemoryFile
from piiscan.connectors.formats.common import BOM, CP1252, UTF8, decode, failure_reason, plural
from piiscan.connectors.formats.delimited import DELIMITERS, read_header
from piiscan.connectors.formats.jsondoc import records
from piiscan.connectors.formats.jsonpath import ROOT, child, scalar_text
from piiscan.connectors.local import path_from_url

#: Formats whose files are rewritten (as they are, or gzip-compressed); everything else is erased by hand.
REWRITABLE = frozenset({"text", "csv", "tsv", "jsonl", "json", "parquet"})
_LABELS = {
    "pdf": "PDF",
    "xlsx": "Excel workbook",
    "docx": "Word document",
    "eml": "E-mail message",
    "mbox": "Mailbox",
    "html": "HTML",
    "zip": "ZIP archive",
    "tar": "TAR archive",
    "sqlite": "SQLite database",
}
#: Work-unit size of a scan (``unit_mb`` 4.0): above it a file was read in parts, which matters for
#: CSV values spanning lines and for files in the cp1252 fallback.
DEFAULT_UNIT_BYTES = 4 << 20
# bytes 0x80-0x9F: the inverse of the cp1252 fallback's translation in formats.common.decode
_TO_LATIN1 = str.maketrans({decode(bytes([b]), CP1252): chr(b) for b in range(0x80, 0xA0)})
_PRECONDITION = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class Unredactable(Exception):
    """A span or file cannot be rewritten safely; the message is a one-line reason without personal data."""


# -- the rewrite ------------------------------------------------------------------------------------


def redact_bytes(data: bytes, name: str, spans: Sequence[Span], unit_bytes: int = DEFAULT_UNIT_BYTES) -> bytes:
    """``data`` (a file called ``name``) with every span replaced by REDACTION; Unredactable if any
    span cannot be mapped safely or the format cannot be rewritten."""
    entry = _classify(data, name)
    if not spans:
        return data
    if entry.compression == "gzip":
        return _redact_gzip(data, name, spans)
    if entry.fmt == "parquet":
        return _redact_parquet(data, entry, spans)
    bom = len(BOM) if data.startswith(BOM) else 0
    try:
        text, encoding = data[bom:].decode(UTF8), UTF8
    except UnicodeDecodeError:
        text, encoding = decode(data[bom:], CP1252), CP1252
    seen = _seen_values(data, entry, spans)
    layout = _Layout(text, entry.fmt, data[bom:], split=len(data) > unit_bytes, cp1252=encoding == CP1252)
    ranges: list[tuple[int, int]] = []
    for span in spans:
        key = locator_json(span.locator)
        if (key, span.field) not in seen:
            raise Unredactable(f"finding at {_where(span)} not found in the file any more; re-scan and re-plan")
        value, chars = layout.value(span.locator, span.field)
        if value != seen[key, span.field]:
            raise Unredactable(f"cannot map the finding at {_where(span)} to the file's bytes; erase by hand")
        ranges.append(_raw_range(chars, span))
    new = _replace_ranges(text, ranges)
    body = new.encode(UTF8) if encoding == UTF8 else new.translate(_TO_LATIN1).encode("latin-1")
    return data[:bom] + body


def _where(span: Span) -> str:
    """A span's location for a reason: the locator's kind and number, the field (no values)."""
    parts = [f"{k} {v}" if isinstance(v, (int, float)) else k for k, v in sorted(span.locator.items())]
    return ", ".join(parts) + (f", field {span.field}" if span.field else "")


def _raw_range(chars: list[tuple[int, int] | None], span: Span) -> tuple[int, int]:
    start, end = span.start, span.end
    if not 0 <= start < end <= len(chars):
        raise Unredactable(f"span of the finding at {_where(span)} is outside its value; re-scan and re-plan")
    picked = chars[start:end]
    if any(c is None for c in picked) or any(a[1] != b[0] for a, b in itertools.pairwise(picked)):  # type: ignore[index]
        raise Unredactable(f"finding at {_where(span)} is not one string in the file; erase by hand")
    return picked[0][0], picked[-1][1]  # type: ignore[index]


def _classify(data: bytes, name: str) -> ItemRef:
    """The item as a scan classifies it, if it is a format this module rewrites."""
    entry = next(iter(InMemoryFile(name, data).enumerate()))
    if isinstance(entry, ItemProblem):
        raise Unredactable(f"file is not read as text ({entry.reason}); erase by hand")
    if entry.fmt not in REWRITABLE:
        label = _LABELS.get(entry.fmt, entry.fmt.upper() + " file")
        raise Unredactable(f"{label} cannot be rewritten safely; erase by hand")
    return entry


# -- compressed and columnar files ------------------------------------------------------------------

#: gzip header flags (RFC 1952): a file name (FNAME) and extra fields (FEXTRA) are kept on rewrite.
_FEXTRA, _FNAME = 0x04, 0x08


def _gzip_header(data: bytes) -> tuple[int, bytes | None]:
    """(mtime, original file name) of a gzip member's header, kept so a rewrite changes only the content."""
    if len(data) < 10 or data[:2] != b"\x1f\x8b":
        raise Unredactable("not a gzip file; erase by hand")
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    pos = 10
    if flags & _FEXTRA:
        pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
    name = None
    if flags & _FNAME:
        end = data.find(b"\0", pos)
        name = data[pos:end] if end >= 0 else None
    return mtime, name


def _redact_gzip(data: bytes, name: str, spans: Sequence[Span]) -> bytes:
    """Decompress, redact the content as the format inside (``name`` without ``.gz``), compress again with
    the original header's time stamp and file name.  A gzip item is never split into units by a scan."""
    mtime, stored_name = _gzip_header(data)
    try:
        inner = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise Unredactable(f"gzip file cannot be decompressed ({type(exc).__name__}); erase by hand") from None
    redacted = redact_bytes(inner, name[: -len(".gz")], spans, unit_bytes=len(inner) + 1)
    out = io.BytesIO()
    filename = stored_name.decode("latin-1") if stored_name else ""
    with gzip.GzipFile(filename=filename, mode="wb", fileobj=out, mtime=mtime) as zipped:
        zipped.write(redacted)
    return out.getvalue()


def _redact_parquet(data: bytes, entry: ItemRef, spans: Sequence[Span]) -> bytes:
    """The Parquet file with each span's characters in its string cell replaced by REDACTION, written
    again with the same Arrow schema (and its key-value metadata), the same row groups (each of the
    same rows) and each column's codec; every other cell is compared with the original before the
    bytes are returned.  A span in a column that is not a plain string column (a number, a nested or
    flattened struct field) cannot be redacted in place and is manual."""
    seen = _seen_values(data, entry, spans)
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        original = table = parquet.read(use_threads=False)
    except (pa.ArrowException, OSError):
        raise Unredactable("Parquet file cannot be read; erase by hand") from None
    cuts: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for span in spans:
        key = locator_json(span.locator)
        row, column = span.locator.get("row"), span.field
        if (key, column) not in seen or not isinstance(row, int) or column is None:
            raise Unredactable(f"finding at {_where(span)} not found in the file any more; re-scan and re-plan")
        index = table.schema.get_field_index(column)
        kind = table.schema.field(index).type if index >= 0 else None
        if kind is not None and pa.types.is_dictionary(kind):
            kind = kind.value_type
        if kind is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise Unredactable(f"finding at {_where(span)} is not in a string column; erase by hand")
        value = table.column(index)[row - 1].as_py()
        if value != seen[key, column] or not 0 <= span.start < span.end <= len(value):
            raise Unredactable(f"cannot map the finding at {_where(span)} to the file's cells; erase by hand")
        cuts.setdefault(column, {}).setdefault(row - 1, []).append((span.start, span.end))
    for column, rows in cuts.items():
        index = table.schema.get_field_index(column)
        values = table.column(index).to_pylist()
        for row, ranges in rows.items():
            values[row] = _replace_ranges(values[row], ranges)
        table = table.set_column(
            index, table.schema.field(index), pa.array(values, type=table.schema.field(index).type)
        )
    metadata = parquet.metadata
    codecs: dict[str, str] = {}
    if metadata.num_row_groups:
        group = metadata.row_group(0)
        for c in range(group.num_columns):
            chunk = group.column(c)
            codecs[chunk.path_in_schema] = "none" if chunk.compression == "UNCOMPRESSED" else chunk.compression.lower()
    out = io.BytesIO()
    with pq.ParquetWriter(out, table.schema, compression=codecs or "snappy", version=metadata.format_version) as writer:
        offset = 0
        for g in range(metadata.num_row_groups):
            group_rows = metadata.row_group(g).num_rows
            writer.write_table(table.slice(offset, group_rows), row_group_size=max(group_rows, 1))
            offset += group_rows
    written = out.getvalue()
    _check_parquet(parquet.metadata, original, written, cuts)
    return written


def _check_parquet(
    metadata: pq.FileMetaData, before: pa.Table, written: bytes, cuts: dict[str, dict[int, list[tuple[int, int]]]]
) -> None:
    """The rewrite holds the same schema, row groups and cells as the original but for the redacted ones."""
    again = pq.ParquetFile(io.BytesIO(written))
    after = again.read(use_threads=False)
    same_groups = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [
        again.metadata.row_group(g).num_rows for g in range(again.metadata.num_row_groups)
    ]
    if not same_groups or before.schema != after.schema or before.num_rows != after.num_rows:
        raise Unredactable("Parquet rewrite does not keep the file's schema and row groups; erase by hand")
    for name in before.schema.names:
        if name not in cuts and not before.column(name).equals(after.column(name)):
            raise Unredactable("Parquet rewrite changed another column; erase by hand")
    for name, rows in cuts.items():
        old, new = before.column(name).to_pylist(), after.column(name).to_pylist()
        if any(o != n for r, (o, n) in enumerate(zip(old, new, strict=True)) if r not in rows):
            raise Unredactable("Parquet rewrite changed another row; erase by hand")


def _replace_ranges(value: str, ranges: list[tuple[int, int]]) -> str:
    """``value`` with the (merged) character ranges replaced by REDACTION."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, pos = [], 0
    for start, end in merged:
        pieces += [value[pos:start], REDACTION]
        pos = end
    pieces.append(value[pos:])
    return "".join(pieces)


def _seen_values(data: bytes, entry: ItemRef, spans: Sequence[Span]) -> dict[tuple[str, str | None], str]:
    """The text the detectors saw at each span's locator and field, read by the scan's own readers."""
    wanted: dict[str, set[str | None]] = {}
    for span in spans:
        wanted.setdefault(locator_json(span.locator), set()).add(span.field)
    seen: dict[tuple[str, str | None], str] = {}
    for result in InMemoryFile(entry.item_id, data).read(WorkUnit(entry)):
        if isinstance(result, ItemProblem):
            if result.severity == "failed":
                raise Unredactable(f"file cannot be read as {entry.fmt} ({result.reason}); erase by hand")
        elif isinstance(result, TextChunk):
            for index, line in enumerate(result.lines):
                key = locator_json(result.locator(index))
                if result.field in wanted.get(key, ()):
                    seen[key, result.field] = line
        elif isinstance(result, TableBatch):
            names = set(result.batch.schema.names)
            columns: dict[str, list[Any]] = {}
            for index in range(result.batch.num_rows):
                key = locator_json(result.locator(index))
                for name in wanted.get(key, ()):
                    if name is not None and name in names:
                        if name not in columns:
                            columns[name] = result.batch.column(name).to_pylist()
                        if columns[name][index] is not None:
                            seen[key, name] = columns[name][index]
    return seen


# -- where each value sits in the raw text ------------------------------------------------------------

Chars = list[tuple[int, int] | None]  # per character of a value: its (start, end) in the raw text, or None


class _Layout:
    """Positions of the values of one decoded file (without its BOM), per format."""

    def __init__(self, text: str, fmt: str, body: bytes, split: bool, cp1252: bool) -> None:
        self.text = text
        self.fmt = fmt
        self.split = split  # the file was scanned in several work units
        self.cp1252 = cp1252
        self._lines: list[int] | None = None
        self._records: list[tuple[int, int, list[tuple[str, Chars]]]] | None = None
        self._columns: list[str] = []
        self._document: dict[str, dict[str, list[_Leaf]]] | None = None
        self._body = body

    def value(self, locator: dict[str, Any], field: str | None) -> tuple[str, Chars]:
        if self.fmt == "text":
            number = _number(locator, "line")
            if field is not None:
                raise Unredactable("finding in a text file has a field; erase by hand")
            start, end = self._line(number)
            return self.text[start:end], [(i, i + 1) for i in range(start, end)]
        if self.fmt == "jsonl":
            start, end = self._line(_number(locator, "row"))
            node = _JsonParser(self.text, end).parse(start)
            return _joined(_flatten(node).get(field or "", []))
        if self.fmt == "json":
            path = locator.get("json_path") if len(locator) == 1 else None
            if not isinstance(path, str):
                raise Unredactable("finding in a JSON document has no record path; erase by hand")
            records = self._json_records()
            return _joined(records.get(path, {}).get(field or "", []))
        return self._cell(_number(locator, "row"), field)

    def _line(self, number: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        if not 1 <= number <= len(self._lines) or self._lines[number - 1] >= len(self.text):
            raise Unredactable(f"line {number} is not in the file any more; re-scan and re-plan")
        start = self._lines[number - 1]
        end = self._lines[number] - 1 if number < len(self._lines) else len(self.text)
        if end > start and self.text[end - 1] == "\r":
            end -= 1
        self._check_encoding(start, end)
        return start, end

    def _check_encoding(self, start: int, end: int) -> None:
        """A file in the cp1252 fallback read in parts may have had this part read as UTF-8."""
        if self.cp1252 and self.split and not self.text[start:end].isascii():
            raise Unredactable("file mixes encodings and was scanned in parts; erase by hand")

    def _cell(self, number: int, field: str | None) -> tuple[str, Chars]:
        if self._records is None:
            self._read_records()
        assert self._records is not None
        if field not in self._columns:
            raise Unredactable(f"column {field} is not in the file's header any more; re-scan and re-plan")
        if not 1 <= number <= len(self._records):
            raise Unredactable(f"row {number} is not in the file any more; re-scan and re-plan")
        start, end, cells = self._records[number - 1]
        if len(cells) != len(self._columns):
            raise Unredactable(f"row {number} does not have one value per column; erase by hand")
        self._check_encoding(start, end)
        return cells[self._columns.index(field)]

    def _read_records(self) -> None:
        columns, header_bytes = read_header(io.BytesIO(self._body), self.fmt)
        self._columns = columns
        start = len(decode(self._body[:header_bytes], CP1252 if self.cp1252 else UTF8))
        records = []
        multiline = False
        for record in _delimited_records(self.text, start, DELIMITERS[self.fmt], quoting=self.fmt == "csv"):
            rec_start, rec_end, _cells = record
            multiline = multiline or any(c in "\r\n" for c in self.text[rec_start:rec_end].rstrip("\r\n"))
            records.append(record)
        if multiline and self.split:
            raise Unredactable("CSV values span lines in a file scanned in parts; row numbers are ambiguous")
        self._records = records

    def _json_records(self) -> dict[str, dict[str, list[_Leaf]]]:
        if self._document is None:
            self._document = _records(_JsonParser(self.text, len(self.text)).parse(0))
        return self._document


def _number(locator: dict[str, Any], kind: str) -> int:
    number = locator.get(kind)
    if len(locator) != 1 or not isinstance(number, int) or isinstance(number, bool):
        raise Unredactable(f"unexpected locator for this format (want {kind}); erase by hand")
    return number


def _delimited_records(
    text: str, pos: int, delimiter: str, quoting: bool
) -> Iterator[tuple[int, int, list[tuple[str, Chars]]]]:
    """(start, end, cells) of each record from ``pos``, as pyarrow splits them: a field starting with a
    quote (CSV only) runs to the matching quote, ``""`` inside is one quote; records end at \\n, \\r\\n or \\r."""
    size = len(text)
    while pos < size:
        start = pos
        cells: list[tuple[str, Chars]] = []
        while True:
            value: list[str] = []
            chars: Chars = []
            if quoting and pos < size and text[pos] == '"':
                pos += 1
                while pos < size:
                    if text[pos] == '"':
                        if text[pos + 1 : pos + 2] == '"':
                            value.append('"')
                            chars.append((pos, pos + 2))
                            pos += 2
                            continue
                        pos += 1
                        break
                    value.append(text[pos])
                    chars.append((pos, pos + 1))
                    pos += 1
            while pos < size and text[pos] not in (delimiter, "\n", "\r"):
                value.append(text[pos])
                chars.append((pos, pos + 1))
                pos += 1
            cells.append(("".join(value), chars))
            if pos < size and text[pos] == delimiter:
                pos += 1
                continue
            break
        if text[pos : pos + 2] == "\r\n":
            pos += 2
        elif pos < size:
            pos += 1
        yield start, pos, cells


@dataclass
class _Leaf:
    """A JSON scalar: its value and, for a string, where each of its characters is in the raw text."""

    value: Any
    chars: Chars | None = field(default=None)


_WHITESPACE = " \t\n\r"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_CONSTANTS = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _JsonParser:
    """JSON as :func:`json.loads` reads it (objects as dicts: a repeated key keeps its first place and its
    last value), with the raw position of every string character."""

    def __init__(self, text: str, end: int) -> None:
        self.text = text
        self.end = end

    def parse(self, pos: int) -> Any:
        try:
            node, pos = self._value(pos)
            if self._skip(pos) != self.end:
                raise ValueError("trailing data")
        except (ValueError, IndexError, KeyError, RecursionError):
            raise Unredactable("cannot parse the JSON around a finding; erase by hand") from None
        return node

    def _skip(self, pos: int) -> int:
        while pos < self.end and self.text[pos] in _WHITESPACE:
            pos += 1
        return pos

    def _char(self, pos: int) -> str:
        if pos >= self.end:
            raise ValueError("unexpected end")
        return self.text[pos]

    def _value(self, pos: int) -> tuple[Any, int]:
        pos = self._skip(pos)
        char = self._char(pos)
        if char == "{":
            obj: dict[str, Any] = {}
            pos = self._skip(pos + 1)
            if self._char(pos) == "}":
                return obj, pos + 1
            while True:
                pos = self._skip(pos)
                if self._char(pos) != '"':
                    raise ValueError("key expected")
                key, pos = self._string(pos)
                pos = self._skip(pos)
                if self._char(pos) != ":":
                    raise ValueError("colon expected")
                obj[key.value], pos = self._value(pos + 1)
                pos = self._skip(pos)
                if self._char(pos) == "}":
                    return obj, pos + 1
                if self._char(pos) != ",":
                    raise ValueError("comma expected")
                pos += 1
        if char == "[":
            items: list[Any] = []
            pos = self._skip(pos + 1)
            if self._char(pos) == "]":
                return items, pos + 1
            while True:
                item, pos = self._value(pos)
                items.append(item)
                pos = self._skip(pos)
                if self._char(pos) == "]":
                    return items, pos + 1
                if self._char(pos) != ",":
                    raise ValueError("comma expected")
                pos += 1
        if char == '"':
            return self._string(pos)
        for word, value in _CONSTANTS.items():
            if self.text.startswith(word, pos) and pos + len(word) <= self.end:
                return _Leaf(value), pos + len(word)
        match = _NUMBER.match(self.text, pos, self.end)
        if not match:
            raise ValueError("value expected")
        return _Leaf(json.loads(match.group())), match.end()

    def _string(self, pos: int) -> tuple[_Leaf, int]:
        text = self.text
        pos += 1
        value: list[str] = []
        chars: Chars = []
        while True:
            char = self._char(pos)
            if char == '"':
                return _Leaf("".join(value), chars), pos + 1
            if char != "\\":
                value.append(char)
                chars.append((pos, pos + 1))
                pos += 1
                continue
            kind = self._char(pos + 1)
            if kind != "u":
                value.append(_ESCAPES[kind])
                chars.append((pos, pos + 2))
                pos += 2
                continue
            code, stop = _hex4(text, pos + 2, self.end), pos + 6
            if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", stop) and stop + 6 <= self.end:
                low = _hex4(text, stop + 2, self.end)
                if 0xDC00 <= low <= 0xDFFF:
                    code, stop = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), stop + 6
            value.append(chr(code))
            chars.append((pos, stop))
            pos = stop


def _hex4(text: str, pos: int, end: int) -> int:
    digits = text[pos : pos + 4]
    if pos + 4 > end or len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError("bad \\u escape")
    return int(digits, 16)


def _flatten(node: Any) -> dict[str, list[_Leaf]]:
    """:func:`piiscan.connectors.formats.jsonpath.flatten` over parsed nodes: leaves by wildcard path."""
    fields: dict[str, list[_Leaf]] = {}
    stack = [(ROOT, node)]
    while stack:
        here, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((child(here, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((f"{here}[*]", v) for v in reversed(item))
        else:
            fields.setdefault(here, []).append(item)
    return fields


def _records(document: Any) -> dict[str, dict[str, list[_Leaf]]]:
    """:func:`piiscan.connectors.formats.jsondoc.records` over parsed nodes: concrete record path -> leaves by field."""
    found = records(document, leaf=lambda node: node)
    return {concrete: cast(dict[str, list[_Leaf]], fields) for _, concrete, fields in found}


def _joined(leaves: list[_Leaf]) -> tuple[str, Chars]:
    """The field's text as the readers build it (non-null values joined by newlines) and its positions;
    non-string values and the separators have none."""
    parts: list[str] = []
    chars: Chars = []
    for leaf in leaves:
        if leaf.value is None:
            continue
        if parts:
            parts.append("\n")
            chars.append(None)
        text = scalar_text(leaf.value) or ""
        parts.append(text)
        chars.extend(leaf.chars if isinstance(leaf.value, str) and leaf.chars is not None else [None] * len(text))
    return "".join(parts), chars


# -- erasers ----------------------------------------------------------------------------------------


class _Refused(Exception):
    """An item that must not be touched (e.g. a symlink out of the root); the message is one line."""


class _Failed(Exception):
    """An item that could not be read or written; the message is one line."""


@dataclass
class _Current:
    """An item's bytes as read now, with backend details (S3 ETag and version)."""

    data: bytes
    extra: dict[str, Any] = field(default_factory=dict)


class _FileEraser(Eraser):
    """Plan checks and the apply sequence shared by files and objects; backends read, write and delete."""

    delete_kind = "delete_file"

    def __init__(self, source: str, digest: Digest, *, unit_mb: float | None = None, **options: Any) -> None:
        super().__init__(source, digest, **options)
        self.unit_bytes = max(1, int(unit_mb * 1024 * 1024)) if unit_mb else DEFAULT_UNIT_BYTES

    # backend core
    @abstractmethod
    def _fetch(self, item: str) -> _Current | None:
        """The item's bytes now, or None when it is gone."""

    @abstractmethod
    def _write(self, item: str, current: _Current, data: bytes) -> tuple[str, dict[str, Any]]:
        """Replace the item's content (atomically); a detail line and extras for the result."""

    @abstractmethod
    def _delete(self, item: str, current: _Current) -> tuple[str, dict[str, Any]]:
        """Remove the item; a detail line and extras for the result."""

    def _name(self, item: str) -> str:
        return item

    def _location(self, item: str) -> str:
        return f"{self.source}: {item}"

    # shared logic
    def inspect(self, item: str, actions: Sequence[EraseAction]) -> dict[str, Inspection]:
        try:
            current = self._fetch(item)
        except (_Refused, _Failed) as exc:
            return {a.action_id: Inspection(None, None, str(exc)) for a in actions}
        before = self.digest(current.data) if current is not None else None
        out: dict[str, Inspection] = {}
        redacts = []
        for action in actions:
            if action.action == self.delete_kind:
                out[action.action_id] = Inspection(before, None)
            elif action.action != "redact_spans":
                out[action.action_id] = Inspection(before, None, f"{action.action} does not apply to {self._what}")
            elif current is None:
                out[action.action_id] = Inspection(None, None)
            else:
                try:
                    redact_bytes(current.data, self._name(item), action.spans, self.unit_bytes)
                except Unredactable as exc:
                    out[action.action_id] = Inspection(before, None, str(exc))
                else:
                    redacts.append(action)
        if redacts and current is not None:
            spans = [s for a in redacts for s in a.spans]
            try:
                after = self.digest(redact_bytes(current.data, self._name(item), spans, self.unit_bytes))
            except Unredactable as exc:  # spans fine one action at a time but not together
                out.update({a.action_id: Inspection(before, None, str(exc)) for a in redacts})
            else:
                out.update({a.action_id: Inspection(before, after) for a in redacts})
        return out

    @property
    def _what(self) -> str:
        return "files"

    def execute(self, item: str, actions: Sequence[EraseAction], dry_run: bool = False) -> list[ActionResult]:
        try:
            current = self._fetch(item)
        except _Refused as exc:
            return [ActionResult(a.action_id, "refused", detail=str(exc)) for a in actions]
        except _Failed as exc:
            return [ActionResult(a.action_id, "failed", detail=str(exc)) for a in actions]
        now = self.digest(current.data) if current is not None else None
        results: dict[str, ActionResult] = {}
        deletes: list[EraseAction] = []
        redacts: list[EraseAction] = []
        changed = f"{self._location(item)} changed since the plan; re-plan"
        for action in actions:
            result = ActionResult(action.action_id, "refused", before=now, after=action.after)
            results[action.action_id] = result
            if action.action == self.delete_kind:
                if current is None:
                    result.outcome, result.detail = "already_done", "already gone"
                elif now == action.before:
                    deletes.append(action)
                else:
                    result.detail = changed
            elif action.action != "redact_spans":
                result.detail = f"{action.action} does not apply to {self._what}"
            elif current is None:
                if action.before is None:
                    result.outcome, result.detail = "already_done", "already gone"
                else:
                    result.detail = f"{self._location(item)} no longer exists; re-plan"
            elif now == action.after:
                result.outcome = "already_done"
            elif now != action.before:
                result.detail = changed
            else:
                redacts.append(action)
        assert current is not None or not (deletes or redacts)
        if deletes:
            self._apply_delete(item, current, deletes, redacts, results, dry_run)  # type: ignore[arg-type]
        elif redacts:
            self._apply_redact(item, current, redacts, results, dry_run)  # type: ignore[arg-type]
        return [results[a.action_id] for a in actions]

    def _apply_delete(
        self,
        item: str,
        current: _Current,
        deletes: list[EraseAction],
        redacts: list[EraseAction],
        results: dict[str, ActionResult],
        dry_run: bool,
    ) -> None:
        outcome: Outcome = "dry_run"
        detail, extra = "", dict(current.extra)
        if not dry_run:
            try:
                detail, more = self._delete(item, current)
                outcome = "done"
                extra.update(more)
            except _Refused as exc:
                outcome, detail = "refused", str(exc)
            except _Failed as exc:
                outcome, detail = "failed", str(exc)
        for action in deletes:
            before = results[action.action_id].before
            results[action.action_id] = ActionResult(action.action_id, outcome, before, None, detail, dict(extra))
        for action in redacts:
            before, note = results[action.action_id].before, f"deleted with the item by action {deletes[0].action_id}"
            results[action.action_id] = ActionResult(
                action.action_id, outcome, before, None, detail or note, dict(extra)
            )

    def _apply_redact(
        self,
        item: str,
        current: _Current,
        redacts: list[EraseAction],
        results: dict[str, ActionResult],
        dry_run: bool,
    ) -> None:
        spans = [s for a in redacts for s in a.spans]
        try:
            new = redact_bytes(current.data, self._name(item), spans, self.unit_bytes)
        except Unredactable as exc:
            for action in redacts:
                results[action.action_id].outcome = "failed"
                results[action.action_id].detail = f"{self._location(item)}: {exc}"
            return
        after = self.digest(new)
        if any(a.after != after for a in redacts):
            detail = (
                f"{self._location(item)}: the rewrite differs from the plan (actions grouped differently?); re-plan"
            )
            for action in redacts:
                results[action.action_id].detail = detail
            return
        outcome: Outcome = "dry_run"
        detail, extra = "", dict(current.extra)
        if not dry_run:
            try:
                detail, more = self._write(item, current, new)
                outcome = "done"
                extra.update(more)
            except _Refused as exc:
                outcome, detail = "refused", str(exc)
            except _Failed as exc:
                outcome, detail = "failed", str(exc)
        for action in redacts:
            result = results[action.action_id]
            result.outcome, result.after, result.detail, result.extra = outcome, after, detail, dict(extra)


def _within(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


class LocalFileEraser(_FileEraser):
    """Files under ``file:///root`` (or one file): rewritten through a temp file and a rename in the same
    directory (mode kept; owner and group too when run as root), deleted by unlink.  A path that leads out
    of the root through a symlink is refused; a symlink inside the root is followed to its file."""

    def __init__(self, source: str, digest: Digest, **options: Any) -> None:
        super().__init__(source, digest, **options)
        self.root = Path(os.path.abspath(os.path.expanduser(path_from_url(source))))

    def _paths(self, item: str) -> tuple[str, str] | None:
        """(path of the item, real path of its file), or None when a single-file source is gone."""
        parts = item.split("/")
        if not item or ".." in parts or "" in parts:
            raise _Refused(f"{self._location(item)}: item id must name a file inside the root")
        if not os.path.lexists(self.root):
            if item == self.root.name:
                return None
            raise SourceError(f"{self.source}: does not exist")
        if self.root.is_dir():
            path, top = str(self.root.joinpath(*parts)), str(self.root)
        elif item == self.root.name:
            path, top = str(self.root), str(self.root.parent)
        else:
            raise _Refused(f"{self._location(item)}: not the file this source names")
        real = os.path.realpath(path)
        if not _within(real, os.path.realpath(top)):
            raise _Refused(f"{self._location(item)}: leads out of the root through a symlink; refused")
        return path, real

    def _fetch(self, item: str) -> _Current | None:
        paths = self._paths(item)
        if paths is None:
            return None
        path, real = paths
        try:
            info = os.stat(real)
            if not stat.S_ISREG(info.st_mode):
                raise _Refused(f"{self._location(item)}: not a regular file")
            with open(real, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _Failed(f"{self._location(item)}: {failure_reason(exc)}") from None
        return _Current(data, {"path_is_symlink": path != real} if path != real else {})

    def _write(self, item: str, current: _Current, data: bytes) -> tuple[str, dict[str, Any]]:
        paths = self._paths(item)
        if paths is None:
            raise _Refused(f"{self._location(item)}: no longer exists; re-plan")
        real = paths[1]
        folder = os.path.dirname(real)
        temp = None
        try:
            info = os.stat(real)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(real)}.", suffix=".piiscan")
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fchmod(stream.fileno(), stat.S_IMODE(info.st_mode))
                if os.geteuid() == 0:
                    with contextlib.suppress(OSError):
                        os.fchown(stream.fileno(), info.st_uid, info.st_gid)
                os.fsync(stream.fileno())
            with open(real, "rb") as stream:  # last check against a change since this item was read
                if stream.read() != current.data:
                    raise _Refused(f"{self._location(item)} changed while erasing; re-plan")
            os.replace(temp, real)
            temp = None
            _sync_folder(folder)
        except OSError as exc:
            raise _Failed(f"{self._location(item)}: {failure_reason(exc)}") from None
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        if info.st_nlink > 1:
            links = info.st_nlink - 1
            detail = f"{plural(links, 'other hard link')} to the old file still hold the old content"
            return detail, {"other_hard_links": links}
        return "", {}

    def _delete(self, item: str, current: _Current) -> tuple[str, dict[str, Any]]:
        paths = self._paths(item)
        if paths is None:
            return "", {}
        path, real = paths
        try:
            os.unlink(real)
            if path != real and os.path.islink(path):
                os.unlink(path)
            _sync_folder(os.path.dirname(real))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _Failed(f"{self._location(item)}: {failure_reason(exc)}") from None
        return "", {}


def _sync_folder(folder: str) -> None:
    """Make a rename or unlink in ``folder`` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: head_object fields a rewrite keeps, mapped to put_object parameters
_KEPT = {
    "ContentType": "ContentType",
    "ContentEncoding": "ContentEncoding",
    "ContentDisposition": "ContentDisposition",
    "ContentLanguage": "ContentLanguage",
    "CacheControl": "CacheControl",
    "Expires": "Expires",
    "Metadata": "Metadata",
    "StorageClass": "StorageClass",
    "ServerSideEncryption": "ServerSideEncryption",
    "SSEKMSKeyId": "SSEKMSKeyId",
    "BucketKeyEnabled": "BucketKeyEnabled",
}


class S3Eraser(_FileEraser):
    """Objects under ``s3://bucket/prefix``: rewritten by a conditional PUT (If-Match on the ETag read)
    keeping the object's content type, encoding, metadata, storage class and server-side encryption;
    deleted by DELETE.  In a versioned bucket the earlier versions stay: results say how many.

    Options as :class:`~piiscan.connectors.s3.S3Connector` (``endpoint_url``, ``region``, ``profile``), whose
    client (credential chain, retries) is reused."""

    delete_kind = "delete_object"

    def __init__(
        self,
        source: str,
        digest: Digest,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(source, digest, endpoint_url=endpoint_url, region=region, profile=profile, **options)
        from piiscan.connectors.s3 import S3Connector, parse_s3_url  # boto3 is optional: imported for S3 sources only

        self.bucket, self.prefix = parse_s3_url(source)
        self._connector = S3Connector(source, endpoint_url=endpoint_url, region=region, profile=profile)

    @property
    def _what(self) -> str:
        return "objects"

    def close(self) -> None:
        self._connector.close()

    def _client(self) -> Any:
        from botocore.exceptions import BotoCoreError

        try:
            return self._connector._client()
        except (BotoCoreError, ValueError) as exc:
            raise SourceError(f"{self.source}: {self._connector._listing_reason(exc)}") from None

    def _problem(self, item: str, exc: BaseException, doing: str) -> Exception:
        """SourceError for the whole source (credentials, endpoint), else a failure naming the key."""
        from botocore.exceptions import ClientError, NoCredentialsError, ProfileNotFound

        from piiscan.connectors.s3 import error_code

        code = error_code(exc)
        if isinstance(exc, (NoCredentialsError, ProfileNotFound)) or not isinstance(exc, ClientError):
            return SourceError(f"{self.source}: {self._connector._listing_reason(exc)}")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
            return SourceError(f"{self.source}: credentials rejected ({code})")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return _Failed(f"{self._location(item)}: access denied {doing} ({code})")
        if code == "NoSuchBucket":
            return _Failed(f"{self._location(item)}: bucket does not exist ({code})")
        if code == "InvalidObjectState":
            return _Failed(f"{self._location(item)}: object is archived and needs a restore ({code})")
        return _Failed(f"{self._location(item)}: {doing} failed ({code})")

    def _keys(self, item: str) -> list[str]:
        """Keys the item may be: under the prefix as a folder, else the prefix itself (a one-object source)."""
        folder = self._connector.folder
        keys = [folder + item]
        if self.prefix and folder != self.prefix and item == self.prefix.rpartition("/")[2]:
            keys.append(self.prefix)
        return keys

    def _fetch(self, item: str) -> _Current | None:
        from botocore.exceptions import BotoCoreError, ClientError

        from piiscan.connectors.s3 import error_code

        client = self._client()
        for key in self._keys(item):
            try:
                response = client.get_object(Bucket=self.bucket, Key=key)
                data = response["Body"].read()
            except ClientError as exc:
                if error_code(exc) in _MISSING:
                    continue
                raise self._problem(item, exc, "reading the object") from None
            except BotoCoreError as exc:
                raise self._problem(item, exc, "reading the object") from None
            extra = {"key": key, "etag": str(response.get("ETag", "")).strip('"')}
            if response.get("VersionId") and response["VersionId"] != "null":
                extra["version_id"] = response["VersionId"]
            return _Current(data, extra)
        return None

    def _write(self, item: str, current: _Current, data: bytes) -> tuple[str, dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        from piiscan.connectors.s3 import error_code

        client, key, etag = self._client(), current.extra["key"], current.extra["etag"]
        try:
            head = client.head_object(Bucket=self.bucket, Key=key)
            if str(head.get("ETag", "")).strip('"') != etag:
                raise _Refused(f"{self._location(item)} changed while erasing; re-plan")
            kept = {put: head[name] for name, put in _KEPT.items() if head.get(name) not in (None, "")}
            if kept.get("StorageClass") == "STANDARD":
                del kept["StorageClass"]
            response = client.put_object(Bucket=self.bucket, Key=key, Body=data, IfMatch=f'"{etag}"', **kept)
        except ClientError as exc:
            if error_code(exc) in _PRECONDITION:
                raise _Refused(f"{self._location(item)} changed while erasing; re-plan") from None
            raise self._problem(item, exc, "writing the object") from None
        except BotoCoreError as exc:
            raise self._problem(item, exc, "writing the object") from None
        extra: dict[str, Any] = {"new_etag": str(response.get("ETag", "")).strip('"')}
        if response.get("VersionId") and response["VersionId"] != "null":
            extra["new_version_id"] = response["VersionId"]
        return self._versions(client, key, extra)

    def _delete(self, item: str, current: _Current) -> tuple[str, dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        from piiscan.connectors.s3 import error_code

        client, key = self._client(), current.extra["key"]
        try:
            head = client.head_object(Bucket=self.bucket, Key=key)
            if str(head.get("ETag", "")).strip('"') != current.extra["etag"]:
                raise _Refused(f"{self._location(item)} changed while erasing; re-plan")
            client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return "", {}
            raise self._problem(item, exc, "deleting the object") from None
        except BotoCoreError as exc:
            raise self._problem(item, exc, "deleting the object") from None
        return self._versions(client, key, {})

    def _versions(self, client: Any, key: str, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """How many non-current versions of ``key`` still hold data, when the bucket keeps versions."""
        from botocore.exceptions import BotoCoreError, ClientError

        from piiscan.connectors.s3 import error_code

        try:
            status = client.get_bucket_versioning(Bucket=self.bucket).get("Status")
            if status not in ("Enabled", "Suspended"):
                return "", extra
            count = 0
            pages = client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key)
            for page in pages:
                count += sum(1 for v in page.get("Versions", ()) if v["Key"] == key and not v.get("IsLatest"))
        except (ClientError, BotoCoreError) as exc:
            return f"could not count earlier versions of the object ({error_code(exc)})", extra
        extra = {**extra, "noncurrent_versions": count}
        if not count:
            return "", extra
        verb = "remains" if count == 1 else "remain"
        detail = f"{plural(count, 'earlier version')} {verb} in the bucket; delete them or let lifecycle expire them"
        return detail, extra


__all__ = ["REWRITABLE", "LocalFileEraser", "S3Eraser", "Unredactable", "redact_bytes"]
