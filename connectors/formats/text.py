"""Plain text: consecutive lines in chunks, numbered absolutely from the unit's first line.

A line of at most LINE_PIECE_CHARS + LINE_OVERLAP_CHARS characters is one text located
``{"line": n}``, as always.  A longer line (a minified dump, a log without newlines) is cut into
pieces, as trufflehog cuts its chunks: piece ``k`` *owns* characters ``[k*P, (k+1)*P)`` of the line
(P = LINE_PIECE_CHARS) and is read with up to LINE_OVERLAP_CHARS more on each side, so a value
across a cut is whole in the piece that owns its first character.  A piece is located
``{"line": n, "offset": c}``: ``c`` is the character offset in the decoded line where the piece's
text starts, so a span ``[s, e)`` of the piece is characters ``[c + s, c + e)`` of line ``n``.
Only matches starting in the owned part are reported (:func:`owned_matches`); the overlap is there
for context, and a match in it belongs to the neighbour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

import pyarrow as pa

from piiscan.connectors.base import TextChunk
from piiscan.connectors.formats.common import (
    LINE_OVERLAP_CHARS,
    LINE_PART_BYTES,
    LINE_PIECE_CHARS,
    TEXT_CHUNK_CHARS,
    TEXT_CHUNK_LINES,
    decode,
    iter_line_parts,
)


@dataclass
class LineChunk(TextChunk):
    """Lines and pieces of long lines: ``lines[i]`` is (part of) line ``numbers[i]``, starting at
    character ``offsets[i]`` of it (None: the whole line); ``owned[i]`` is the range of ``lines[i]``
    whose matches it reports (None: all of it)."""

    numbers: list[int] = field(default_factory=list)
    offsets: list[int | None] = field(default_factory=list)
    owned: list[tuple[int, int] | None] = field(default_factory=list)
    #: explicit locators, when the text was read from inside a container (an archive member, an attachment)
    locators: list[dict[str, Any]] | None = None

    def relocated(self, locators: list[dict[str, Any]]) -> LineChunk:
        """The same texts and owned ranges under other locators (nested in a container's)."""
        return replace(self, locators=locators)

    def locator(self, index: int) -> dict[str, Any]:
        if self.locators is not None:
            return self.locators[index]
        offset = self.offsets[index]
        if offset is None:
            return {"line": self.numbers[index]}
        return {"line": self.numbers[index], "offset": offset}


def owned_matches(chunk: TextChunk, matches: pa.Table) -> pa.Table:
    """``matches`` of ``chunk`` (columns ``row``, ``start``) without those a neighbouring piece reports.

    A match that starts in a piece's overlap is found again, whole, by the piece that owns that
    character: keeping only matches that start in the owned range reports each value once."""
    if not isinstance(chunk, LineChunk) or not matches.num_rows or all(o is None for o in chunk.owned):
        return matches
    rows = matches.column("row").to_pylist()
    starts = matches.column("start").to_pylist()
    keep = []
    for row, start in zip(rows, starts, strict=True):
        owned = chunk.owned[row]
        keep.append(owned is None or owned[0] <= start < owned[1])
    return matches.filter(pa.array(keep, pa.bool_()))


class _Pieces:
    """Cuts one line, fed in decoded parts, into overlapping pieces (see the module doc)."""

    def __init__(self) -> None:
        self.buffer = ""  # characters of the line from ``self.start`` on
        self.start = 0
        self.next_own = 0  # first character owned by the next piece

    def feed(self, text: str, ends_line: bool) -> Iterator[tuple[str, int | None, tuple[int, int] | None]]:
        """(text, offset, owned) of the pieces complete once ``text`` is added (offset None: whole line)."""
        size, overlap = LINE_PIECE_CHARS, LINE_OVERLAP_CHARS
        self.buffer += text
        while self.start + len(self.buffer) > self.next_own + size + overlap:
            begin = max(0, self.next_own - overlap)
            piece = self.buffer[begin - self.start : self.next_own + size + overlap - self.start]
            yield piece, begin, (self.next_own - begin, self.next_own - begin + size)
            self.next_own += size
            keep_from = self.next_own - overlap
            self.buffer = self.buffer[keep_from - self.start :]
            self.start = keep_from
        if not ends_line:
            return
        if self.next_own == 0:
            yield self.buffer, None, None
            return
        begin = self.next_own - overlap
        piece = self.buffer[begin - self.start :]
        yield piece, begin, (self.next_own - begin, len(piece))


def read_text(stream: BinaryIO, encoding: str, first_line: int = 1) -> Iterator[TextChunk]:
    """TextChunks of up to TEXT_CHUNK_LINES texts or about TEXT_CHUNK_CHARS characters; a chunk that
    holds pieces of a long line is a :class:`LineChunk`."""
    lines: list[str] = []
    numbers: list[int] = []
    offsets: list[int | None] = []
    owned: list[tuple[int, int] | None] = []
    chars = 0
    number = first_line
    pieces: _Pieces | None = None

    def chunk() -> TextChunk:
        if all(o is None for o in offsets):
            return TextChunk(lines=lines, first_line=numbers[0])
        return LineChunk(lines=lines, first_line=numbers[0], numbers=numbers, offsets=offsets, owned=owned)

    for part, ends_line in iter_line_parts(stream, LINE_PART_BYTES):
        text = decode(part, encoding)
        if pieces is None and ends_line:
            found: Iterator[tuple[str, int | None, tuple[int, int] | None]] = iter(((text, None, None),))
        else:
            pieces = pieces or _Pieces()
            found = pieces.feed(text, ends_line)
        for piece, offset, own in found:
            lines.append(piece)
            numbers.append(number)
            offsets.append(offset)
            owned.append(own)
            chars += len(piece)
            if len(lines) >= TEXT_CHUNK_LINES or chars >= TEXT_CHUNK_CHARS:
                yield chunk()
                lines, numbers, offsets, owned, chars = [], [], [], [], 0
        if ends_line:
            number += 1
            pieces = None
    if lines:
        yield chunk()
