"""HTML: the visible text, placed on the lines of the HTML file it comes from.

The stdlib parser drops markup, comments and the content of ``head``,
``script``, ``style``, ``template`` and ``noscript``; attribute text (``alt``,
``title``) is not read.  Entities are decoded.  Line ``n`` of the result holds
the visible text that starts on line ``n`` of the file, so ``{"line": n}``
means the same as for a text file and an editor finds the spot; text split by
tags on one line is joined with a space (except around inline tags such as
``b`` or ``span``), and runs of whitespace become one space.  A page written
on one line (minified) is one long line 1.

The caller decodes (UTF-8, else the cp1252 fallback with a note, as for text);
a ``<meta charset>`` is not consulted.  The file is fed to the parser in
blocks, so any size streams; it is one work unit (no splitting).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from piiscan.connectors.base import TextChunk
from piiscan.connectors.formats.common import BLOCK_BYTES, CP1252, TEXT_CHUNK_LINES, decode

_HIDDEN = frozenset({"head", "script", "style", "template", "noscript", "title"})
_INLINE = frozenset(  # tags that do not separate words
    "a abbr b bdi bdo cite code data dfn em font i kbd mark q s samp small span strong sub sup time u var wbr".split()  # noqa: SIM905
)
_SPACES = re.compile(r"\s+")


class _VisibleText(HTMLParser):
    """Collects visible text per source line (1-based)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: dict[int, list[str]] = {}
        self._hidden: list[str] = []  # open elements whose content is not shown
        self._gap = False  # a block boundary since the last text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._hidden.clear()  # an unclosed <head> ends where the body starts
        elif tag in _HIDDEN:
            self._hidden.append(tag)
        if tag not in _INLINE:
            self._gap = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self._hidden:
            del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag) :]
        if tag not in _INLINE:
            self._gap = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INLINE:
            self._gap = True

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        line = self.getpos()[0]
        for offset, piece in enumerate(data.split("\n")):
            if offset:
                self._gap = True
            if piece:
                parts = self.lines.setdefault(line + offset, [])
                if self._gap and parts:
                    parts.append(" ")
                parts.append(piece)
                self._gap = False


def read_html(stream: BinaryIO, encoding: str) -> Iterator[TextChunk]:
    """TextChunks of consecutive source lines holding the visible text (blank where there is none)."""
    parser = _VisibleText()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace") if encoding != CP1252 else None
    next_line = 1  # first line not yet handed out
    while block := stream.read(BLOCK_BYTES):
        parser.feed(decoder.decode(block) if decoder else decode(block, CP1252))
        # lines before the one being parsed are complete
        done = parser.getpos()[0]
        if done - next_line >= TEXT_CHUNK_LINES:
            yield from _flush(parser.lines, next_line, done)
            next_line = done
    if decoder:
        parser.feed(decoder.decode(b"", final=True))
    parser.close()
    last = max(parser.lines, default=0) + 1
    yield from _flush(parser.lines, next_line, last)


def _flush(lines: dict[int, list[str]], start: int, stop: int) -> Iterator[TextChunk]:
    """Lines ``start`` to ``stop - 1`` (removed from ``lines``) in chunks; nothing when all are blank."""
    texts = [_SPACES.sub(" ", "".join(lines.pop(n, ()))).strip() for n in range(start, stop)]
    if not any(texts):
        return
    for offset in range(0, len(texts), TEXT_CHUNK_LINES):
        yield TextChunk(lines=texts[offset : offset + TEXT_CHUNK_LINES], first_line=start + offset)
