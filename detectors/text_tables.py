"""Column headers of tables written inside a text: CSV, TSV, semicolon-separated and Markdown tables.

A bare number in a table a user pasted into a ticket, a mail or a document ("Name,NHS Number,DOB" and
below it "Jane Doe,943 476 5919,...") has its label in the header row, not next to it: in a table
(:mod:`piiscan.detectors.columns`) the column name says what a cell holds, and here the header cell above
the value says it the same way.  :func:`column_header` finds that cell; detectors read it like a field
name (:meth:`piiscan.detectors.base.Detector.has_context`).

A block is a run of consecutive lines that split into the same number of cells on one delimiter (tab,
"|", ";" or ","); its first line is the header when it looks like one: short cells and (almost) no
digits.  Markdown's rule line ("|---|:---:|") is part of the block and never its header.  Prose lines
with the same number of commas rarely make a block whose first line has only short, digit-free cells.
"""

from __future__ import annotations

import re

#: Cell delimiters, tried in this order on the value's line.
DELIMITERS = ("\t", "|", ";", ",")
#: A header cell is a label: at most this many characters, and words ("Date of birth", "NHS number";
#: fewer after commas, which prose has too: "Dear John, thanks for the call, ...").
MAX_HEADER_CELL = 40
MAX_HEADER_WORDS = {"\t": 5, "|": 5, ";": 4, ",": 3}
#: Around a cell's value: blanks and quotes.
_BLANKS = " \t\r\"'"
#: A header line holds no run of this many digits ("Address line 1" is a header, "1962-02-18" a value).
_HEADER_DIGITS = re.compile(r"\d{3}")
#: Markdown's rule line under the header: only pipes, dashes, colons and blanks.
_RULE_LINE = re.compile(r"[\s|:\-+]*-[\s|:\-+]*")
#: Characters a table row has at most (a longer line is prose or a log line: not searched for its ends).
MAX_LINE = 4096
#: Lines looked at above a value at most (a value further down than that has a header nobody can see).
MAX_ROWS = 10_000


class _Blocks:
    """The top line of each line's block in the last text asked about (the values of one text are asked
    about in turn, and a table has many rows: each line's block is walked once)."""

    __slots__ = ("text", "tops")

    def __init__(self) -> None:
        self.text: str | None = None
        self.tops: dict[tuple[str, int], int] = {}

    def header_line(self, text: str, line_start: int, delimiter: str, cells: int) -> str | None:
        """The header line of the block holding the line that starts at ``line_start`` (``cells`` cells on
        ``delimiter``), or None: the line is the first of its block, or the first is no header."""
        if text is not self.text:
            self.text, self.tops = text, {}
        tops = self.tops
        visited: list[int] = []
        start = top = line_start
        for _ in range(MAX_ROWS):
            cached = tops.get((delimiter, start))
            if cached is not None:
                top = cached
                break
            visited.append(start)
            top = start
            if start == 0:
                break
            above = text.rfind("\n", 0, start - 1) + 1
            if text[above : start - 1].rstrip("\r").count(delimiter) != cells:
                break
            start = above
        for k in visited:
            tops[(delimiter, k)] = top
        if top == line_start:
            return None
        end = text.find("\n", top)
        return _as_header(text[top:end], delimiter)


def _as_header(line: str, delimiter: str) -> str | None:
    """``line`` if it reads as a header row: every cell short, no run of digits."""
    line = line.rstrip("\r")
    if _RULE_LINE.fullmatch(line) or _HEADER_DIGITS.search(line):
        return None
    if any(len(c.strip()) > MAX_HEADER_CELL for c in line.split(delimiter)):
        return None
    return line


_blocks = _Blocks()


def column_header(text: str, start: int, end: int) -> str | None:
    """The header cell of the text-table column whose cell is ``text[start:end]`` (the whole cell, but
    for blanks and quotes), or None if there is none."""
    line_start = text.rfind("\n", max(0, start - MAX_LINE), start) + 1
    if not line_start:
        return None  # on the first line (nothing above it), or on a line longer than a table row
    line_end = text.find("\n", end, end + MAX_LINE)
    if line_end < 0 and end + MAX_LINE < len(text):
        return None
    line = text[line_start : line_end if line_end >= 0 else len(text)].rstrip("\r")
    if _RULE_LINE.fullmatch(line):
        return None
    for delimiter in DELIMITERS:
        if delimiter not in line or delimiter in text[start:end]:
            continue
        cell_start = text.rfind(delimiter, line_start, start) + 1 or line_start
        cell_end = text.find(delimiter, end, line_start + len(line))
        if text[cell_start : cell_end if cell_end >= 0 else line_start + len(line)].strip(_BLANKS) != text[start:end]:
            continue  # a value among other words: the words beside it say what it is, not the header
        header = _blocks.header_line(text, line_start, delimiter, line.count(delimiter))
        if header is None:
            continue
        cell = header.split(delimiter)[text.count(delimiter, line_start, start)].strip(_BLANKS)
        if cell and len(cell.split()) <= MAX_HEADER_WORDS[delimiter]:
            return cell
    return None
