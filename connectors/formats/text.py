"""Plain text: consecutive lines in chunks, numbered absolutely from the unit's first line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from connectors.base import TextChunk
from connectors.formats.common import TEXT_CHUNK_CHARS, TEXT_CHUNK_LINES, decode, iter_lines


def read_text(stream: BinaryIO, encoding: str, first_line: int = 1) -> Iterator[TextChunk]:
    """TextChunks of up to TEXT_CHUNK_LINES lines or about TEXT_CHUNK_CHARS characters."""
    lines: list[str] = []
    chars = 0
    start = first_line
    for raw in iter_lines(stream):
        line = decode(raw, encoding)
        lines.append(line)
        chars += len(line)
        if len(lines) >= TEXT_CHUNK_LINES or chars >= TEXT_CHUNK_CHARS:
            yield TextChunk(lines=lines, first_line=start)
            start += len(lines)
            lines, chars = [], 0
    if lines:
        yield TextChunk(lines=lines, first_line=start)
