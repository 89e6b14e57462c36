"""Pieces every format reader shares: limits, decoding, byte streams, safe error text.

Readers never put exception messages into problems, because parser messages
quote the offending input (a CSV row, a JSON fragment) and that may be personal
data.  A reader that knows what went wrong raises :class:`ReadFailure` with a
fixed one-line reason; :func:`failure_reason` maps everything else by type.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa

TEXT_CHUNK_LINES = 2_000
TEXT_CHUNK_CHARS = 1 << 20
#: A line longer than this many characters (plus the overlap) is scanned in pieces of this many
#: characters, each read with LINE_OVERLAP_CHARS of its neighbours on both sides, so one line never
#: has to be held (or matched against) whole: a 200 MB line without a newline is bounded like any other.
LINE_PIECE_CHARS = 64 * 1024
LINE_OVERLAP_CHARS = 2 * 1024
#: Bytes of one line handed on at a time by :func:`iter_line_parts`.
LINE_PART_BYTES = 64 * 1024
#: Largest single JSON value parsed in memory (a whole .json document, one JSON Lines record): a parsed
#: document takes several times its size in objects, so a bigger one is skipped with a note.
MAX_JSON_BYTES = 32 << 20
JSON_TOO_LARGE = f"too large to parse as one document (over {MAX_JSON_BYTES >> 20} MB)"
TABLE_BATCH_ROWS = 65_536
SNIFF_BYTES = 8_192
BLOCK_BYTES = 1 << 20

UTF8 = "utf-8"
CP1252 = "cp1252"
CP1252_NOTE = "decoded as cp1252 (not valid UTF-8)"
BOM = codecs.BOM_UTF8

# Bytes 0x80-0x9F as cp1252 characters; the five bytes cp1252 leaves undefined
# (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay as their latin-1 code points.
_CP1252_FROM_LATIN1 = {b: bytes([b]).decode(CP1252, errors="ignore") or chr(b) for b in range(0x80, 0xA0)}
_CP1252_TABLE = str.maketrans(_CP1252_FROM_LATIN1)


class ReadFailure(Exception):
    """Reading an item failed; the message is a safe one-line reason."""


#: Exceptions that mean "this item could not be read" rather than a bug.
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, pa.ArrowException, ReadFailure)


def decode(data: bytes, encoding: str) -> str:
    """Decode with the encoding chosen for the whole unit (never mixed)."""
    if encoding == UTF8:
        # The unit was validated beforehand; "replace" only guards against a
        # file changing between the validation pass and this one.
        return data.decode(UTF8, errors="replace")
    return data.decode("latin-1").translate(_CP1252_TABLE)


def decode_lenient(data: bytes) -> str:
    """UTF-8 if valid, else the cp1252 fallback; for short strings like headers."""
    try:
        return data.decode(UTF8)
    except UnicodeDecodeError:
        return decode(data, CP1252)


def sniff_encoding(stream: BinaryIO) -> str:
    """UTF8 if everything readable from ``stream`` is valid UTF-8, else CP1252.

    A read error ends the check early: the reading pass reports it.
    """
    decoder = codecs.getincrementaldecoder(UTF8)()
    try:
        while block := stream.read(BLOCK_BYTES):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return CP1252
    except READ_ERRORS:
        pass
    return UTF8


def looks_like_utf8_text(head: bytes, complete: bool) -> bool:
    """No NUL byte and valid UTF-8 (a sequence cut at the end of ``head`` is fine unless complete)."""
    if b"\0" in head:
        return False
    try:
        codecs.getincrementaldecoder(UTF8)().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class WideEncoding:
    """A UTF-16/UTF-32 text encoding found at the start of a file: ``codec`` decodes what follows ``bom``."""

    codec: str
    bom: bytes
    name: str

    @property
    def note(self) -> str:
        how = "byte-order mark" if self.bom else "no byte-order mark"
        return f"decoded as {self.name} ({how})"


_WIDE_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
)
#: Share of 2-byte units whose high byte is NUL for BOM-less UTF-16 (text that is mostly Latin script).
_NUL_SHARE = 0.4
_MIN_NULS = 4  # a few bytes with one NUL are binary, not a word of UTF-16
_CONTROL = {c for c in range(32) if chr(c) not in "\t\n\r\f\v\x1b"} | {0x7F}


def wide_encoding(head: bytes) -> WideEncoding | None:
    """The UTF-16/32 encoding of a file starting with ``head``, or None (UTF-8, cp1252 or binary).

    A byte-order mark decides; without one, UTF-16 is recognised by its NUL pattern: the NUL high byte
    of Latin characters sits at every odd position (little-endian) or every even one (big-endian) and
    almost never at the other.  Either way the head must decode to text without control characters.
    """
    for bom, codec, name in _WIDE_BOMS:
        if head.startswith(bom):
            unit = 4 if "32" in codec else 2
            return WideEncoding(codec, bom, name) if _decodes_as_text(head[len(bom) :], codec, unit) else None
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0 : pairs * 2 : 2].count(0), head[1 : pairs * 2 : 2].count(0)
    for nuls, other, codec, name in ((odd, even, "utf-16-le", "UTF-16LE"), (even, odd, "utf-16-be", "UTF-16BE")):
        if nuls >= max(_MIN_NULS, _NUL_SHARE * pairs) and other <= 0.01 * pairs and _decodes_as_text(head, codec, 2):
            return WideEncoding(codec, b"", name)
    return None


def _decodes_as_text(data: bytes, codec: str, unit: int) -> bool:
    """Whether ``data`` (possibly cut mid-character at its end) decodes strictly to control-free text."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        text = decoder.decode(data[: len(data) - len(data) % unit])
    except UnicodeDecodeError:
        return False
    return bool(text) and not any(ord(c) in _CONTROL for c in text)


def read_head(stream: BinaryIO, size: int = SNIFF_BYTES) -> bytes:
    """Up to ``size`` bytes; a read error after some bytes returns what was read."""
    parts: list[bytes] = []
    got = 0
    try:
        while got < size:
            block = stream.read(size - got)
            if not block:
                break
            parts.append(block)
            got += len(block)
    except READ_ERRORS:
        if not parts:
            raise
    return b"".join(parts)


def iter_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines split on b"\\n" only (a trailing b"\\r" is dropped), like line numbers count them."""
    pending: list[bytes] = []  # pieces of an unfinished line (a long line spans blocks)
    while block := stream.read(BLOCK_BYTES):
        if b"\n" not in block:
            pending.append(block)
            continue
        pieces = block.split(b"\n")
        pieces[0] = b"".join([*pending, pieces[0]])
        pending = [pieces.pop()]
        for line in pieces:
            yield line[:-1] if line.endswith(b"\r") else line
    last = b"".join(pending)
    if last:
        yield last[:-1] if last.endswith(b"\r") else last


def iter_line_parts(stream: BinaryIO, limit: int = LINE_PART_BYTES) -> Iterator[tuple[bytes, bool]]:
    """Lines as :func:`iter_lines` splits them, in parts of at most ``limit`` bytes: (part, ends_line).

    A line longer than ``limit`` comes in several parts cut between UTF-8 characters (and never
    between a b"\\r" and its b"\\n"), the last one with ``ends_line`` True; at most one block and one
    part are held whatever the line structure.
    """
    pending = bytearray()  # the unfinished line's bytes not yet handed on
    started = False  # some of the unfinished line was handed on already
    while block := stream.read(BLOCK_BYTES):
        pieces = block.split(b"\n")
        for index, piece in enumerate(pieces):
            pending += piece
            if index == len(pieces) - 1:
                break
            if len(pending) > limit:
                yield from _cut(pending, limit)
            if pending.endswith(b"\r"):
                del pending[-1]
            yield bytes(pending), True
            pending.clear()
            started = False
        if len(pending) > limit:
            for part in _cut(pending, limit):
                started = True
                yield part
    if pending or started:
        if pending.endswith(b"\r"):
            del pending[-1]
        yield bytes(pending), True


def _cut(pending: bytearray, limit: int) -> Iterator[tuple[bytes, bool]]:
    """Leading parts of ``pending`` (removed from it) while it is longer than ``limit``."""
    while len(pending) > limit:
        cut = limit
        while cut > limit - 3 and pending[cut] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            cut -= 1
        if pending[cut] & 0xC0 == 0x80:
            cut = limit  # not UTF-8 here (the cp1252 fallback): any byte is a boundary
        if pending[cut - 1] == 0x0D:
            cut -= 1
        yield bytes(pending[:cut]), False
        del pending[:cut]


def count_newlines(stream: BinaryIO, limit: int) -> int:
    """Number of b"\\n" in the first ``limit`` bytes of ``stream``."""
    count = 0
    while limit > 0 and (block := stream.read(min(BLOCK_BYTES, limit))):
        count += block.count(b"\n")
        limit -= len(block)
    return count


def find_newline(stream: BinaryIO) -> int | None:
    """Absolute position of the next b"\\n" at or after the stream position."""
    pos = stream.tell()
    while block := stream.read(64 * 1024):
        index = block.find(b"\n")
        if index >= 0:
            return pos + index
        pos += len(block)
    return None


def skip_bytes(stream: BinaryIO | io.BufferedIOBase, count: int) -> None:
    """Advance a non-seekable (decompressing) stream by reading."""
    while count > 0:
        block = stream.read(min(BLOCK_BYTES, count))
        if not block:
            return
        count -= len(block)


class RangeStream(io.RawIOBase):
    """Read-only view of ``raw`` from its current position for ``length`` bytes (None: to EOF)."""

    def __init__(self, raw: BinaryIO, length: int | None) -> None:
        super().__init__()
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer) if self._left is None else min(len(buffer), self._left)
        if want <= 0:
            return 0
        data = self._raw.read(want)
        buffer[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)


class ShortReads(io.RawIOBase):
    """``read(n)`` returns what one ``read1`` gives, so data decompressed before a
    truncation reaches the reader instead of being lost with a half-filled block."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Utf8Stream(io.RawIOBase):
    """Bytes of ``raw`` re-encoded as UTF-8 from the cp1252 fallback or from ``codec`` (UTF-16/32), so
    readers that want UTF-8 (pyarrow's CSV reader, line splitting on b"\\n") can read them."""

    def __init__(self, raw: BinaryIO, codec: str = CP1252) -> None:
        super().__init__()
        self._raw = raw
        self._buffer = b""
        self._decoder = None if codec == CP1252 else codecs.getincrementaldecoder(codec)(errors="replace")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            block = self._raw.read(BLOCK_BYTES)
            if self._decoder is None:
                if not block:
                    return 0
                self._buffer = decode(block, CP1252).encode(UTF8)
            else:
                self._buffer = self._decoder.decode(block, final=not block).encode(UTF8, errors="surrogatepass")
                if not block and not self._buffer:
                    return 0
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class PrefixedStream(io.RawIOBase):
    """``prefix`` followed by the rest of ``raw``: lets a reader peek without seeking."""

    def __init__(self, prefix: bytes, raw: BinaryIO) -> None:
        super().__init__()
        self._prefix = prefix
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def failure_reason(exc: BaseException) -> str:
    """A one-line reason for a read error, from its type only (never its message)."""
    if isinstance(exc, ReadFailure):
        return str(exc)
    if isinstance(exc, EOFError):
        return "truncated gzip stream"
    if isinstance(exc, gzip.BadGzipFile):
        return "corrupt gzip stream (bad header or checksum)"
    if isinstance(exc, zlib.error):
        return "corrupt gzip stream"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file vanished (no longer exists)"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"I/O error: {os.strerror(exc.errno)} ({errno.errorcode.get(exc.errno, exc.errno)})"
    if isinstance(exc, pa.ArrowException):
        return f"unreadable data ({type(exc).__name__})"
    return f"read error ({type(exc).__name__})"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
