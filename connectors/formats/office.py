"""Office Open XML documents: Excel workbooks (openpyxl) and Word documents (python-docx).

Both readers take a binary stream and read the whole file as one work unit.
The libraries need random access (a zip's directory is at its end), so a
stream that cannot seek is first read into memory, up to
:data:`MAX_BUFFER_BYTES`; a bigger one is skipped with a reason
(:func:`seekable_stream`).

Workbooks (``.xlsx``, ``.xlsm``) are read with ``read_only=True,
data_only=True``: cached formula results, never the formulas, and rows
streamed.  Each worksheet is a table like a CSV file: its first non-empty row
is the header when it looks like one (text cells only, short, no "@", few
digits), otherwise every column is named by its letter.  Rows come as
TableBatches whose locators are ``{"sheet": name, "row": n}`` with ``n`` the
Excel row number, and whose fields are the column names, so a finding's cell
is the field's column and the locator's row (``Email`` in column C, row 7:
C7).  Cells are text: dates in ISO 8601 (a date alone when the time is
midnight), whole numbers without ".0", booleans TRUE/FALSE.  Empty rows are
not yielded; chartsheets have no cells and are passed over.  Each sheet's name
comes first, as a :class:`NameText` located ``{"name": "sheet", "sheet": name}``
(a sheet named after a customer is a finding).

Word documents (``.docx``): each non-empty body paragraph is one text with
locator ``{"paragraph": i}`` (1-based over all body paragraphs, empty ones
counted, as ``Document.paragraphs`` lists them), each table cell one text
with ``{"table": t, "row": r, "cell": c}`` (1-based, top-level tables in
document order, ``c`` the cell's position in ``row.cells``; a merged cell is
read once, at its first position).  Not read: headers, footers, footnotes,
comments, text boxes and tables nested in cells.

Encrypted or password-protected Office files are not zip files but OLE
compound files; they are skipped.  Everything else that stops the libraries
(a damaged zip, missing parts, malformed XML) fails the item with a one-line
reason naming the exception type only.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyarrow as pa

from piiscan.connectors.base import ItemProblem, ReadResult, TableBatch, TextChunk
from piiscan.connectors.formats.common import BLOCK_BYTES, TABLE_BATCH_ROWS, TEXT_CHUNK_LINES, ReadFailure, read_head
from piiscan.connectors.formats.tables import unique_names

#: Largest document read into memory when its stream cannot seek (streamed object-store bodies).
MAX_BUFFER_BYTES = 256 << 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_OFFICE = "encrypted or password-protected document"
_HEADER_MAX_CHARS = 80
_HEADER_MAX_DIGITS = 4


@dataclass
class LocatedText(TextChunk):
    """Texts that are not consecutive lines: ``locators[i]`` places ``lines[i]``
    (a paragraph, a table cell, a line of a PDF page)."""

    locators: list[dict[str, Any]] = field(default_factory=list)

    def locator(self, index: int) -> dict[str, Any]:
        return self.locators[index]


@dataclass
class NameText(LocatedText):
    """Names of things inside an item (a worksheet, an archive member, an e-mail attachment), each one text
    located ``{"name": kind, kind: name, ...}``: identifiers in names are findings too.  The scanner reads
    them as names (separators as word breaks, a file extension apart; :mod:`piiscan.scanner.names`), once per item."""


def name_text(kind: str, name: str, context: dict[str, Any] | None = None) -> NameText:
    """One name as a NameText, located ``{**context, "name": kind, kind: name}``."""
    return NameText(lines=[name], first_line=0, locators=[{**(context or {}), "name": kind, kind: name}])


def located_chunks(entries: Iterator[tuple[dict[str, Any], str]]) -> Iterator[LocatedText]:
    """(locator, text) pairs as LocatedText chunks of up to TEXT_CHUNK_LINES texts."""
    lines: list[str] = []
    locators: list[dict[str, Any]] = []
    for locator, text in entries:
        lines.append(text)
        locators.append(locator)
        if len(lines) >= TEXT_CHUNK_LINES:
            yield LocatedText(lines=lines, first_line=0, locators=locators)
            lines, locators = [], []
    if lines:
        yield LocatedText(lines=lines, first_line=0, locators=locators)


def seekable_stream(stream: BinaryIO, limit: int = MAX_BUFFER_BYTES) -> BinaryIO | ItemProblem:
    """``stream`` itself when it can seek, else its bytes in memory; an ItemProblem over ``limit``."""
    if stream.seekable():
        return stream
    parts: list[bytes] = []
    size = 0
    while size <= limit and (block := stream.read(BLOCK_BYTES)):
        parts.append(block)
        size += len(block)
    if size > limit:
        return ItemProblem("", "skipped", f"document over {limit >> 20} MB on a stream that cannot seek")
    return io.BytesIO(b"".join(parts))


def _open_document(stream: BinaryIO) -> BinaryIO | ItemProblem:
    """A seekable stream at offset 0, or why the document is not read (too big, encrypted)."""
    seekable = seekable_stream(stream)
    if isinstance(seekable, ItemProblem):
        return seekable
    start = seekable.tell()
    head = read_head(seekable, len(OLE_MAGIC))
    seekable.seek(start)
    if head == OLE_MAGIC:
        return ItemProblem("", "skipped", ENCRYPTED_OFFICE)
    return seekable


def missing_library(what: str, library: str) -> ItemProblem:
    """Why a document was not read when the optional library that reads it is not installed: the item is
    skipped, naming the extra that brings the library (the base install reads no office documents)."""
    return ItemProblem("", "skipped", f"{what} not read: {library} is not installed (pip install 'piiscan[office]')")


def _guarded(results: Iterator[Any], what: str) -> Iterator[Any]:
    """``results`` with any library error while producing them turned into a ReadFailure.

    Parsers of damaged zip/XML files raise many exception types (BadZipFile, KeyError,
    XMLSyntaxError, ValueError...); only the library's iteration is guarded, not our code
    that consumes it, and the reason names the type only (messages may quote content).
    """
    try:
        yield from results
    except ReadFailure:
        raise
    except Exception as exc:
        raise ReadFailure(f"corrupt or unreadable {what} ({type(exc).__name__})") from None


# -- Excel --------------------------------------------------------------------------------------------


def get_column_letter(position: int) -> str:
    """Excel's name of the 1-based column ``position``: A..Z, AA.. (openpyxl is imported only to read)."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_xlsx(stream: BinaryIO) -> Iterator[ReadResult]:
    """Every sheet's name, and every worksheet's non-empty rows as TableBatches located by sheet and Excel
    row number."""
    try:
        from openpyxl import load_workbook  # optional (piiscan[office]), loaded when a workbook is read
    except ImportError:
        yield missing_library("Excel workbook", "openpyxl")
        return
    document = _open_document(stream)
    if isinstance(document, ItemProblem):
        yield document
        return
    try:
        workbook = load_workbook(document, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # as in _guarded
        raise ReadFailure(f"corrupt or unreadable workbook ({type(exc).__name__})") from None
    try:
        for sheet in workbook.worksheets:
            yield name_text("sheet", sheet.title)
            if hasattr(sheet, "iter_rows"):
                yield from _read_sheet(sheet)
    finally:
        workbook.close()


def _read_sheet(sheet: Any) -> Iterator[TableBatch]:
    """Non-empty rows in batches; the header is decided at the second non-empty row (a sheet of
    one row has no header: its only row is data)."""
    sheet.reset_dimensions()  # the stored dimension may be wrong; read every row there is
    columns: list[str] | None = None
    first: tuple[int, tuple[Any, ...], list[str | None]] | None = None  # held until the header is decided
    rows: list[dict[str, str | None]] = []
    locators: list[dict[str, Any]] = []

    def add(number: int, cells: list[str | None]) -> None:
        assert columns is not None
        _widen(columns, len(cells))
        rows.append({columns[i]: text for i, text in enumerate(cells) if text})
        locators.append({"sheet": sheet.title, "row": number})

    for number, values in enumerate(_guarded(sheet.iter_rows(values_only=True), "worksheet"), 1):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        if first is None:
            first = (number, values, cells)
            continue
        if columns is None:
            columns = _header(first[1], first[2])
            if not columns:
                add(first[0], first[2])
        add(number, cells)
        if len(rows) >= TABLE_BATCH_ROWS:
            yield _batch(rows, locators, columns)
            rows, locators = [], []
    if first is not None and columns is None:
        columns = []
        add(first[0], first[2])
    if rows and columns is not None:
        yield _batch(rows, locators, columns)


def _header(values: tuple[Any, ...], cells: list[str | None]) -> list[str]:
    """Column names from a row that looks like a header (text cells only, each short, without
    "@" and with few digits); [] when it does not (columns are then named by letter)."""
    looks_like_header = all(
        isinstance(v, str)
        and len(v) <= _HEADER_MAX_CHARS
        and "@" not in v
        and sum(map(str.isdigit, v)) <= _HEADER_MAX_DIGITS
        for v, text in zip(values, cells, strict=False)
        if text is not None
    )
    if not looks_like_header:
        return []
    return unique_names([c or get_column_letter(i) for i, c in enumerate(cells, 1)])


def _widen(columns: list[str], width: int) -> None:
    """Name columns beyond the header (or all, without one) by their letters, kept unique."""
    while len(columns) < width:
        name = base = get_column_letter(len(columns) + 1)
        suffix = 2
        while name in columns:
            name, suffix = f"{base}_{suffix}", suffix + 1
        columns.append(name)


def _batch(rows: list[dict[str, str | None]], locators: list[dict[str, Any]], columns: list[str]) -> TableBatch:
    used = [c for c in columns if any(c in row for row in rows)]
    arrays = [pa.array([row.get(c) for row in rows], type=pa.string()) for c in used]
    return TableBatch(pa.RecordBatch.from_arrays(arrays, names=used), row_locators=locators)


def _cell_text(value: Any) -> str | None:
    """A cell value as text (None when empty)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# -- Word ---------------------------------------------------------------------------------------------


def read_docx(stream: BinaryIO) -> Iterator[ReadResult]:
    """Body paragraphs and top-level table cells as LocatedText."""
    try:
        from docx import Document  # optional (piiscan[office]), loaded when a Word document is read
    except ImportError:
        yield missing_library("Word document", "python-docx")
        return
    document = _open_document(stream)
    if isinstance(document, ItemProblem):
        yield document
        return
    yield from located_chunks(_guarded(_docx_texts(Document, document), "Word document"))


def _docx_texts(open_document: Any, stream: BinaryIO) -> Iterator[tuple[dict[str, Any], str]]:
    document = open_document(stream)
    for index, paragraph in enumerate(document.paragraphs, 1):
        text = paragraph.text
        if text.strip():
            yield {"paragraph": index}, text
    for t, table in enumerate(document.tables, 1):
        # a merged cell is repeated at every grid position it spans; the elements are kept
        # referenced so that their ids stay theirs
        seen: dict[int, Any] = {}
        for r, row in enumerate(table.rows, 1):
            for c, cell in enumerate(row.cells, 1):
                if id(cell._tc) in seen:
                    continue
                seen[id(cell._tc)] = cell._tc
                text = cell.text
                if text.strip():
                    yield {"table": t, "row": r, "cell": c}, text
