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
from typing import BinaryIO

import pyarrow as pa

TEXT_CHUNK_LINES = 2_000
TEXT_CHUNK_CHARS = 1 << 20
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


def skip_bytes(stream: BinaryIO, count: int) -> None:
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

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
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

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._raw.read1(len(buffer))  # type: ignore[attr-defined]
        buffer[: len(data)] = data
        return len(data)


class Utf8Stream(io.RawIOBase):
    """Bytes of ``raw`` re-encoded as UTF-8 from the cp1252 fallback (for pyarrow's CSV reader)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if not self._buffer:
            block = self._raw.read(BLOCK_BYTES)
            if not block:
                return 0
            self._buffer = decode(block, CP1252).encode(UTF8)
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

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
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
