"""Base for file-like sources (local disk now; S3 and SMB later).

A subclass implements a small core, as fsspec backends do: ``_walk`` lists
files (relative path, size, mtime, fingerprint) and ``_open`` opens one as a
seekable binary file.  This base does the rest the same way for every
backend: include/exclude patterns, format detection, work-unit planning and
reading through :mod:`piiscan.connectors.formats`.

Work units: uncompressed text/csv/tsv/jsonl bigger than ``unit_bytes`` are
split into byte ranges that start right after a newline; Parquet is split by
row groups; gzip, whole JSON and HTML documents, workbooks (xlsx), Word
documents (docx) and PDFs are one unit.  Line and row
numbers stay absolute: a unit counts the newlines before its start (a
sequential read of the bytes before it, cheap next to detection).  CSV row
numbers count lines, so they are exact unless quoted values contain
newlines (a split point inside such a value also breaks that unit's parse).

SQLite databases inside the tree (by magic bytes, for .sqlite/.sqlite3/.db and
files without an extension) are listed with fmt "sqlite" so that the caller can
scan them as ``sqlite://`` sources; reading one here only says so.

Documents (xlsx, docx, pdf; :mod:`piiscan.connectors.formats.office`, :mod:`piiscan.connectors.formats.pdf`)
and e-mail (eml, mbox; :mod:`piiscan.connectors.formats.mail`) are handed whole to their reader as a
binary stream; an attachment is read as a file of its name (:func:`read_attachment`).  Archives
(zip, tar, tar.gz/tgz; :mod:`piiscan.connectors.formats.archive`) are one unit whose members are read the
same way, each as a file of its name.  HTML goes
through the text checks and decoding below, then :mod:`piiscan.connectors.formats.html`.

Encoding: a unit is checked for UTF-8 first and, if invalid anywhere, read
entirely as cp1252 (bytes cp1252 leaves undefined as latin-1) with one note,
so a unit is never decoded two ways.
UTF-16/32 text (a byte-order mark, or BOM-less UTF-16 by its NUL pattern:
``common.wide_encoding``) is one unit, transcoded to UTF-8 for the same readers,
with a note naming the encoding.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import itertools
import shutil
import tempfile
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from piiscan.connectors.base import Connector, ConnectorOptions, ItemProblem, ItemRef, ReadResult, Severity, WorkUnit
from piiscan.connectors.formats.archive import ARCHIVE_FORMATS, read_archive
from piiscan.connectors.formats.common import (
    BLOCK_BYTES,
    BOM,
    CP1252_NOTE,
    READ_ERRORS,
    SNIFF_BYTES,
    UTF8,
    RangeStream,
    ShortReads,
    Utf8Stream,
    WideEncoding,
    count_newlines,
    failure_reason,
    find_newline,
    looks_like_utf8_text,
    read_head,
    skip_bytes,
    sniff_encoding,
    wide_encoding,
)
from piiscan.connectors.formats.delimited import DELIMITERS, read_delimited, read_header
from piiscan.connectors.formats.html import read_html
from piiscan.connectors.formats.jsondoc import read_json
from piiscan.connectors.formats.jsonl import read_jsonl
from piiscan.connectors.formats.mail import read_eml, read_mbox
from piiscan.connectors.formats.office import read_docx, read_xlsx
from piiscan.connectors.formats.parquet import read_parquet, row_group_sizes
from piiscan.connectors.formats.pdf import read_pdf
from piiscan.connectors.formats.text import read_text
from piiscan.connectors.globs import prune_directory, selected
from piiscan.connectors.registry import SQLITE_MAGIC, SQLITE_SUFFIXES

EXTENSIONS = {
    ".txt": "text",
    ".log": "text",
    ".md": "text",
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".eml": "eml",
    ".mbox": "mbox",
    ".zip": "zip",
    ".tar": "tar",
}
LINE_FORMATS = frozenset({"text", "csv", "tsv", "jsonl"})  # splittable at newlines
#: Whole-file readers of binary documents (one unit each), given a seekable stream.
DOCUMENT_READERS: dict[str, Callable[[BinaryIO], Iterator[ReadResult]]] = {
    "xlsx": read_xlsx,
    "docx": read_docx,
    "pdf": read_pdf,
    "eml": lambda stream: read_eml(stream, read_attachment, is_supported_name),
    "mbox": lambda stream: read_mbox(stream, read_attachment, is_supported_name),
}
#: Readers of the line formats other than CSV/TSV, given a UTF-8 or cp1252 stream and its encoding.
_TEXT_READERS: dict[str, Callable[[BinaryIO, str], Iterator[ReadResult]]] = {
    "text": read_text,
    "jsonl": read_jsonl,
    "json": read_json,
    "html": read_html,
}
SQLITE = "sqlite"  # a database file: listed so the caller can scan it as a sqlite:// source
_SPOOL_BYTES = 64 << 20


@dataclass(frozen=True)
class FileInfo:
    """One file found by ``_walk``; ``path`` is relative, POSIX-style, and becomes the item id."""

    path: str
    size: int
    mtime: float
    fingerprint: str


def guess_format(path: str) -> tuple[str | None, str | None, str]:
    """(fmt, compression, extension) from the name, case-insensitively.

    ``fmt`` is None for an unsupported extension and "" when there is none
    (the content is sniffed).
    """
    name = PurePosixPath(path.lower())
    compression = None
    extension = name.suffix
    if extension == ".tgz":
        return "tar", "gzip", extension
    if extension == ".gz":
        compression, name = "gzip", PurePosixPath(name.stem)
        extension = name.suffix + ".gz"
        if not name.suffix:
            return None, compression, extension
    if not name.suffix:
        return "", None, ""
    return EXTENSIONS.get(name.suffix), compression, extension


@dataclass(frozen=True)
class FileOptions(ConnectorOptions):
    """What every source of files takes: which files to scan (glob patterns, :mod:`piiscan.connectors.globs`)."""

    include: tuple[str, ...] = field(
        default=(), metadata={"doc": "glob patterns of the files to scan, relative to the root (default: all)"}
    )
    exclude: tuple[str, ...] = field(
        default=(), metadata={"doc": "glob patterns of files and folders to leave out (a folder is not entered)"}
    )


class FileConnector(Connector):
    """Formats, planning and reading for any source of files; see the module doc."""

    options_class: type[FileOptions] = FileOptions
    options: FileOptions

    def __init__(self, url: str, options: FileOptions | None = None, **values: Any) -> None:
        super().__init__(url, options, **values)
        self.include = self.options.include
        self.exclude = self.options.exclude

    # -- the core a backend implements -------------------------------------

    @abstractmethod
    def _walk(self) -> Iterator[FileInfo | ItemProblem]:
        """Every file under the root, plus problems met while listing."""

    @abstractmethod
    def _open(self, rel_path: str) -> BinaryIO:
        """A seekable binary file for ``rel_path`` (an item id from ``_walk``)."""

    def _prune(self, rel_dir: str) -> bool:
        """Whether a backend should not descend into ``rel_dir`` (excluded)."""
        return prune_directory(rel_dir, self.exclude)

    # -- enumerate ----------------------------------------------------------

    def enumerate(self) -> Iterator[ItemRef | ItemProblem]:
        for entry in self._walk():
            if isinstance(entry, ItemProblem):
                if not selected(entry.item_id, (), self.exclude):
                    continue
                yield dataclasses.replace(entry, source=entry.source or self.source)
            elif selected(entry.path, self.include, self.exclude):
                yield self._classify(entry)

    def _classify(self, info: FileInfo) -> ItemRef | ItemProblem:
        fmt, compression, extension = guess_format(info.path)
        maybe_sqlite = fmt is None and compression is None and extension in SQLITE_SUFFIXES
        if info.size and (fmt == "" or maybe_sqlite):
            sniffed = self._sniff(info, text=fmt == "")
            if isinstance(sniffed, ItemProblem):
                return sniffed
            fmt = sniffed
        if fmt is None:
            return self._file_problem(info, "skipped", f"unsupported format {extension}")
        if info.size == 0:
            return self._file_problem(info, "skipped", "empty file")
        return ItemRef(
            source=self.source,
            item_id=info.path,
            fmt=fmt,
            size=info.size,
            fingerprint=info.fingerprint,
            compression=compression,
            mtime=info.mtime,
        )

    def _sniff(self, info: FileInfo, text: bool) -> str | ItemProblem | None:
        """SQLITE by its magic bytes; if ``text`` is allowed, "text" when the first 8 KiB
        have no NUL byte and are valid UTF-8.  None: neither."""
        try:
            with self._open(info.path) as stream:
                head = read_head(stream, SNIFF_BYTES)
        except READ_ERRORS as exc:
            return self._file_problem(info, "failed", failure_reason(exc))
        if head.startswith(SQLITE_MAGIC):
            return SQLITE
        if not text:
            return None
        if wide_encoding(head) is not None:
            return "text"
        if b"\0" in head:
            return self._file_problem(info, "skipped", "binary content")
        if looks_like_utf8_text(head, complete=len(head) >= info.size):
            return "text"
        return self._file_problem(info, "skipped", "unsupported format (no extension, not UTF-8 text)")

    def _file_problem(self, info: FileInfo, severity: Severity, reason: str) -> ItemProblem:
        return ItemProblem(info.path, severity, reason, source=self.source, size=info.size)

    # -- plan -----------------------------------------------------------------

    def plan(self, item: ItemRef, unit_bytes: int) -> list[WorkUnit]:
        unit_bytes = max(1, unit_bytes)
        if item.compression or item.size <= unit_bytes or item.fmt not in LINE_FORMATS | {"parquet"}:
            return [WorkUnit(item)]
        try:
            if item.fmt == "parquet":
                ranges = self._row_group_ranges(item, unit_bytes)
            else:
                ranges = self._line_ranges(item, unit_bytes)
        except READ_ERRORS:
            ranges = []  # reading the whole item will report the problem
        if len(ranges) <= 1:
            return [WorkUnit(item)]
        return [
            WorkUnit(item, part=part, parts=len(ranges), start=start, stop=stop)
            for part, (start, stop) in enumerate(ranges)
        ]

    def _line_ranges(self, item: ItemRef, unit_bytes: int) -> list[tuple[int, int]]:
        """Byte ranges of about ``unit_bytes``, each starting right after a newline."""
        cuts = [0]
        with self._open(item.item_id) as stream:
            if wide_encoding(read_head(stream)) is not None:
                return []  # UTF-16/32: a b"\n" byte is not a line end; read whole
            stream.seek(0)
            while cuts[-1] + unit_bytes < item.size:
                stream.seek(cuts[-1] + unit_bytes - 1)
                newline = find_newline(stream)
                if newline is None or newline + 1 >= item.size:
                    break
                cuts.append(newline + 1)
        cuts.append(item.size)
        return list(itertools.pairwise(cuts))

    def _row_group_ranges(self, item: ItemRef, unit_bytes: int) -> list[tuple[int, int]]:
        """Consecutive row groups of at most ``unit_bytes`` of stored data (a bigger group alone).

        A unit closes before the group that would take it past ``unit_bytes``:
        two 3.5 MB groups under a 4 MB limit are two units, not one 7 MB unit
        that a second worker could not share.
        """
        with self._open(item.item_id) as stream:
            sizes = row_group_sizes(stream)
        ranges: list[tuple[int, int]] = []
        begin, stored = 0, 0
        for index, (_rows, size) in enumerate(sizes):
            if index > begin and stored + size > unit_bytes:
                ranges.append((begin, index))
                begin, stored = index, 0
            stored += size
        if begin < len(sizes):
            ranges.append((begin, len(sizes)))
        return ranges

    # -- read -----------------------------------------------------------------

    def read(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        try:
            for result in self._read_unit(unit):
                if isinstance(result, ItemProblem):
                    result = dataclasses.replace(result, item_id=item.item_id, source=self.source, size=item.size)
                yield result
        except READ_ERRORS as exc:
            yield ItemProblem(item.item_id, "failed", failure_reason(exc), source=self.source, size=item.size)

    def _read_unit(self, unit: WorkUnit) -> Iterator[ReadResult]:
        if unit.item.fmt == SQLITE:
            yield ItemProblem("", "skipped", "SQLite database: scan it as a sqlite:// source")
        elif unit.item.fmt == "parquet":
            yield from self._read_parquet(unit)
        elif unit.item.fmt in DOCUMENT_READERS:
            yield from self._read_document(unit)
        elif unit.item.fmt in ARCHIVE_FORMATS:
            item = unit.item
            with self._open(item.item_id) as raw:
                yield from read_archive(raw, item.fmt, item.compression, read_attachment, guess_format)
        else:
            yield from self._read_lines(unit)

    def _read_parquet(self, unit: WorkUnit) -> Iterator[ReadResult]:
        item = unit.item
        with self._open(item.item_id) as raw:
            if item.compression != "gzip":
                yield from read_parquet(raw, unit.start, unit.stop)
                return
            with tempfile.SpooledTemporaryFile(_SPOOL_BYTES) as spool, gzip.GzipFile(fileobj=raw) as unzipped:
                shutil.copyfileobj(unzipped, spool, BLOCK_BYTES)
                yield from read_parquet(spool, unit.start, unit.stop)  # type: ignore[arg-type]

    def _read_document(self, unit: WorkUnit) -> Iterator[ReadResult]:
        """xlsx/docx/pdf: the whole file to its reader (a gzipped one decompressed to a spool file)."""
        item = unit.item
        reader = DOCUMENT_READERS[item.fmt]
        with self._open(item.item_id) as raw:
            if item.compression != "gzip":
                yield from reader(raw)
                return
            with tempfile.SpooledTemporaryFile(_SPOOL_BYTES) as spool, gzip.GzipFile(fileobj=raw) as unzipped:
                shutil.copyfileobj(unzipped, spool, BLOCK_BYTES)
                spool.seek(0)
                yield from reader(spool)  # type: ignore[arg-type]

    def _read_lines(self, unit: WorkUnit) -> Iterator[ReadResult]:
        """Text-like formats: checks (empty, binary, encoding), then the format reader."""
        item = unit.item
        head = self._head(item)
        wide = wide_encoding(head)
        if wide is not None:
            yield from self._read_wide(unit, wide)
            return
        if not head or b"\0" in head:
            if unit.part == 0:  # reported once per item, not once per unit
                yield ItemProblem("", "skipped", "binary content" if head else "empty file")
            return
        content_start = len(BOM) if head.startswith(BOM) else 0
        start, stop = max(unit.start or 0, content_start), unit.stop
        header_end = content_start
        columns: list[str] = []
        if item.fmt in DELIMITERS:
            with self._content(item, content_start) as stream:
                columns, header_bytes = read_header(stream, item.fmt)
            header_end += header_bytes
            start = max(start, header_end)
        if (stop is not None and start >= stop) or (item.fmt in DELIMITERS and not columns):
            return
        with self._content(item, start, stop) as stream:
            encoding = sniff_encoding(stream)
        if encoding != UTF8:
            yield ItemProblem("", "note", CP1252_NOTE)
        first_line = 1 if start <= header_end else self._lines_before(item, start) + 1
        with self._content(item, start, stop) as stream:
            if item.fmt == "text":
                yield from read_text(stream, encoding, first_line)
            elif item.fmt == "jsonl":
                yield from read_jsonl(stream, encoding, first_line)
            elif item.fmt == "json":
                yield from read_json(stream, encoding)
            elif item.fmt == "html":
                yield from read_html(stream, encoding)
            else:
                header_lines = 0 if first_line == 1 else self._lines_before(item, header_end)
                yield from read_delimited(stream, item.fmt, columns, encoding, first_line - header_lines)

    def _read_wide(self, unit: WorkUnit, wide: WideEncoding) -> Iterator[ReadResult]:
        """UTF-16/32 text, one unit (see ``_line_ranges``), transcoded to UTF-8 for the same readers."""
        item = unit.item
        if unit.part:  # planned as parts before the file became UTF-16/32: the first part reads it all
            return
        yield ItemProblem("", "note", wide.note)
        with (
            self._content(item, len(wide.bom)) as raw,
            io.BufferedReader(Utf8Stream(raw, wide.codec), BLOCK_BYTES) as stream,
        ):
            if item.fmt in DELIMITERS:
                columns, _ = read_header(stream, item.fmt)
                if columns:
                    yield from read_delimited(stream, item.fmt, columns, UTF8)
            elif item.fmt in _TEXT_READERS:
                yield from _TEXT_READERS[item.fmt](stream, UTF8)

    # -- byte access ------------------------------------------------------------

    @contextmanager
    def _content(self, item: ItemRef, start: int = 0, stop: int | None = None) -> Iterator[BinaryIO]:
        """The item's (decompressed) bytes from ``start`` to ``stop``."""
        with self._open(item.item_id) as raw:
            if item.compression == "gzip":
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    skip_bytes(unzipped, start)  # gzip items are never split; start is the BOM/header
                    yield ShortReads(unzipped)  # type: ignore[misc]
            else:
                raw.seek(start)
                length = None if stop is None else stop - start
                with io.BufferedReader(RangeStream(raw, length), BLOCK_BYTES) as stream:
                    yield stream

    def _head(self, item: ItemRef) -> bytes:
        with self._content(item) as stream:
            return read_head(stream, SNIFF_BYTES)

    def _lines_before(self, item: ItemRef, offset: int) -> int:
        with self._content(item) as stream:
            return count_newlines(stream, offset)


# -- files inside files (e-mail attachments) ---------------------------------------------------------


def is_supported_name(name: str) -> bool:
    """Whether a file of this name would be read by its extension (not sniffed, not a database) as an
    e-mail attachment: archives are not opened inside messages."""
    fmt = guess_format(name)[0]
    return bool(fmt) and fmt not in ARCHIVE_FORMATS


def read_attachment(data: bytes, name: str) -> Iterator[ReadResult]:
    """``data`` read exactly as a file called ``name`` would be: the same format detection, checks
    and readers, as one work unit (an e-mail attachment).  Problems carry no item id."""
    files = InMemoryFile(name, data)
    for entry in files.enumerate():
        if isinstance(entry, ItemProblem):
            yield dataclasses.replace(entry, item_id="", source="", size=0)
        else:
            for result in files.read(WorkUnit(entry)):
                if isinstance(result, ItemProblem):
                    result = dataclasses.replace(result, item_id="", source="", size=0)
                yield result


class InMemoryFile(FileConnector):
    """One file held in memory, read exactly as a scan reads a file of that name (only its extension
    matters): an e-mail attachment, or a file an eraser is about to rewrite."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(PurePosixPath(name).name or "file")
        self._data = data

    @property
    def source(self) -> str:
        return "memory"

    def _walk(self) -> Iterator[FileInfo | ItemProblem]:
        yield FileInfo(self.url, len(self._data), 0.0, "")

    def _open(self, rel_path: str) -> BinaryIO:
        return io.BytesIO(self._data)
