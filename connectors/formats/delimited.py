"""CSV and TSV through pyarrow's streaming reader, every column a string field.

The header is parsed separately (:func:`read_header`) so that any byte range
of the data can be read with the same column names: a split unit starts at a
newline, not at the header.  Rows with the wrong number of fields are skipped
and counted rather than failing the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO, Literal

import pyarrow as pa
import pyarrow.csv as pacsv

from piiscan.connectors.base import ItemProblem, TableBatch
from piiscan.connectors.formats.common import (
    CP1252,
    TABLE_BATCH_ROWS,
    PrefixedStream,
    ReadFailure,
    Utf8Stream,
    decode_lenient,
    plural,
)
from piiscan.connectors.formats.tables import unique_names

DELIMITERS = {"csv": ",", "tsv": "\t"}
_MAX_HEADER_BYTES = 1 << 20
_BLOCK_SIZE = 4 << 20


def read_header(stream: BinaryIO, fmt: str) -> tuple[list[str], int]:
    """Column names and the header's length in bytes (0 and [] when there is no header).

    CSV headers may contain quoted newlines; TSV has no quoting (IANA TSV).
    """
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        while consumed < _MAX_HEADER_BYTES and (line := stream.readline(_MAX_HEADER_BYTES)):
            consumed += len(line)
            yield decode_lenient(line)

    quoting: Literal[0, 3] = csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE
    try:
        fields = next(csv.reader(lines(), delimiter=DELIMITERS[fmt], quoting=quoting), None)
    except csv.Error:
        raise ReadFailure(f"malformed {fmt.upper()} header") from None
    if fields is None:
        return [], consumed
    return unique_names(fields), consumed


def read_delimited(
    stream: BinaryIO, fmt: str, columns: list[str], encoding: str, first_row: int = 1
) -> Iterator[TableBatch | ItemProblem]:
    """TableBatches of the data rows in ``stream`` (no header); ``first_row`` is the
    1-based data row number of the stream's first row."""
    head = stream.read(_BLOCK_SIZE)
    if not head:
        return
    source: BinaryIO = PrefixedStream(head, stream)  # type: ignore[assignment]
    if encoding == CP1252:
        source = Utf8Stream(source)  # type: ignore[assignment]
    rows = _RowNumbers(first_row)
    parse = pacsv.ParseOptions(
        delimiter=DELIMITERS[fmt],
        quote_char='"' if fmt == "csv" else False,
        newlines_in_values=fmt == "csv",
        ignore_empty_lines=False,  # a blank line is a row of empty fields, so numbering matches lines
        invalid_row_handler=rows.skip,
    )
    reader_options = pacsv.ReadOptions(column_names=columns, block_size=_BLOCK_SIZE, use_threads=False)
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False)
    try:
        reader = pacsv.open_csv(source, read_options=reader_options, parse_options=parse, convert_options=convert)
        for batch in reader:
            for offset in range(0, batch.num_rows, TABLE_BATCH_ROWS):
                part = batch.slice(offset, TABLE_BATCH_ROWS)
                start, locators = rows.take(part.num_rows)
                yield TableBatch(part, first_row=start, row_locators=locators, key_note=rows.note)
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc):  # pyarrow's fixed text for a row longer than a block; never quotes data
            raise ReadFailure(
                f"{fmt.upper()} row after data row {rows.next - 1} is over {_BLOCK_SIZE >> 20} MB: too large to parse"
            ) from None
        raise ReadFailure(f"malformed {fmt.upper()} (parse error after data row {rows.next - 1})") from None
    if rows.skipped:
        yield ItemProblem("", "note", f"{plural(len(rows.skipped), 'malformed row')} skipped")


class _RowNumbers:
    """Data row numbers of the rows pyarrow returns, accounting for skipped malformed rows.

    pyarrow reports each invalid row with its record number in the stream;
    a batch without skipped rows in its range is numbered by ``first_row``,
    one with gaps gets explicit ``{"row": n}`` locators.
    """

    def __init__(self, first_row: int) -> None:
        self.offset = first_row - 1
        self.next = first_row  # absolute number of the next row not yet handed out
        self.skipped: list[int | None] = []  # absolute numbers, in parsing order
        self._pending = 0  # index into skipped of the first skip not yet passed
        self.note: str | None = None

    def skip(self, row: pacsv.InvalidRow) -> str:
        self.skipped.append(None if row.number is None else self.offset + row.number)
        if row.number is None:
            self.note = "row numbers may be off: malformed rows were skipped"
        return "skip"

    def take(self, count: int) -> tuple[int, list[dict[str, int]] | None]:
        skips = [n for n in self.skipped[self._pending :] if n is not None]
        if not skips or skips[0] >= self.next + count:
            start = self.next
            self.next += count
            return start, None
        numbers: list[int] = []
        while len(numbers) < count:
            if self._pending < len(self.skipped):
                skipped = self.skipped[self._pending]
                if skipped is None or skipped <= self.next:
                    self.next += skipped == self.next
                    self._pending += 1
                    continue
            numbers.append(self.next)
            self.next += 1
        return numbers[0], [{"row": n} for n in numbers]
