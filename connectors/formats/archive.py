"""Archives: ``.zip`` (stdlib ``zipfile``) and ``.tar``, ``.tar.gz``/``.tgz`` (stdlib ``tarfile``).

An archive is one item.  Each member is read by the very readers a file of its name gets (the
caller passes that dispatch in as ``read_member``, files.py's ``read_attachment``), and each
result's locator is prefixed with ``{"member": path}``; a batch of rows keeps its field names and
gets its row locators prefixed the same way.  An archive inside an archive is read the same way,
its members' paths joined to its own with ``!/``: ``{"member": "inner.zip!/exports/customers.csv",
"row": 3}``.  Member names are only names: nothing is written to disk, so ``../x`` is harmless.
Each regular member's path, read or not, is also yielded as a name (``{"name": "member", "member":
path}``, :class:`~piiscan.connectors.formats.office.NameText`): a member named after a person is a finding.

Members are read one at a time into memory.  A zip needs random access (its directory is at its
end), so a stream that cannot seek is first read into memory up to 256 MB
(:func:`piiscan.connectors.formats.office.seekable_stream`); a tar is streamed (``mode="r|*"``, which
also undoes gzip, bzip2 and xz), so members are met in order and passing over one still
decompresses it.

Limits against decompression bombs (:data:`MAX_RATIO`, :data:`MAX_MEMBER_BYTES`,
:data:`MAX_TOTAL_BYTES`, :data:`MAX_MEMBERS`, :data:`MAX_DEPTH`) are not fatal: what was read is
kept and what was not is counted in one note per reason at the end of the item, as are encrypted
zip members, members of unsupported types and problems of a member (empty, binary, corrupt):
"3 members not read: expansion ratio over 100", "stopped after 10,000 members".  Reasons never
name a member (a file name may be personal data); locators do, as item paths do.

A corrupt archive fails the item with a one-line reason naming the exception type only; a corrupt
archive inside one is a note, so the rest of the outer archive is still read.  E-mail attachments
that are archives are not opened (they are counted as unsupported by the mail reader).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from piiscan.connectors.base import ItemProblem, ReadResult
from piiscan.connectors.formats.common import ReadFailure, plural
from piiscan.connectors.formats.mail import prefixed
from piiscan.connectors.formats.office import name_text, seekable_stream

#: A member is not read when its uncompressed size is more than this many times its compressed
#: size (zip members only: a tar stream has no per-member compressed size) ...
MAX_RATIO = 100
#: ... unless it is this small: a few KB of blanks compress more than 100 times and are no bomb.
RATIO_MIN_BYTES = 1 << 20
#: A member bigger than this (uncompressed) is not read: members are read into memory one at a time.
MAX_MEMBER_BYTES = 256 << 20
#: Uncompressed bytes read per archive item, nested archives included (for a tar, also the bytes of
#: members passed over, since a stream is decompressed through them); reading stops beyond it.
MAX_TOTAL_BYTES = 1 << 30
#: Entries (files and folders, nested archives' included) looked at per archive item; reading stops
#: after them.
MAX_MEMBERS = 10_000
#: Levels of archives inside the item's archive that are read; an archive nested deeper is not.
MAX_DEPTH = 3

ARCHIVE_FORMATS = frozenset({"zip", "tar"})
NESTING = "!/"

#: Reads a member's bytes as a file of the given name would be read (files.py's dispatch).
MemberReader = Callable[[bytes, str], Iterator[ReadResult]]
#: (fmt, compression, extension) of a file name (files.py's ``guess_format``).
FormatOf = Callable[[str], tuple[str | None, str | None, str]]

# Errors of a damaged archive from zipfile, tarfile and the decompressors beneath them.
_ARCHIVE_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    EOFError,
    zlib.error,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    gzip.BadGzipFile,
)
#: a nested archive's corruption, ours or the libraries'
_NESTED_ERRORS: tuple[type[BaseException], ...] = (ReadFailure, *_ARCHIVE_ERRORS)


@dataclass
class _Member:
    """One regular file of an archive; ``read`` returns at most ``limit`` + 1 bytes of it."""

    name: str
    size: int
    compressed: int | None  # stored size (zip); None for a tar stream
    encrypted: bool
    read: Callable[[int], bytes]


def read_archive(
    stream: BinaryIO, fmt: str, compression: str | None, read_member: MemberReader, format_of: FormatOf
) -> Iterator[ReadResult]:
    """Every member of a zip or tar archive (see the module doc); ``compression`` is the item's."""
    reading = _Reading(read_member, format_of)
    failure = None
    try:
        if fmt == "zip" and compression == "gzip":
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        yield from reading.archive(stream, fmt, "", 0)
    except ReadFailure as exc:
        failure = exc
    yield from reading.notes()
    if failure is not None:
        raise failure


def _corrupt(exc: BaseException) -> ReadFailure:
    return ReadFailure(f"corrupt archive ({type(exc).__name__})")


class _Reading:
    """One archive item being read: the limits it has used up and what it left unread."""

    def __init__(self, read_member: MemberReader, format_of: FormatOf) -> None:
        self.read_member = read_member
        self.format_of = format_of
        self.entries = 0
        self.total = 0
        self.stopped: str | None = None
        self.encrypted = 0
        self.unread: dict[str, int] = {}  # note text with "{}" for the count -> count

    def tally(self, template: str) -> None:
        self.unread[template] = self.unread.get(template, 0) + 1

    def notes(self) -> Iterator[ItemProblem]:
        if self.encrypted:
            yield ItemProblem("", "note", f"{plural(self.encrypted, 'encrypted member')} not read")
        for template, count in self.unread.items():
            yield ItemProblem("", "note", template.format(plural(count, "member")))
        if self.stopped:
            yield ItemProblem("", "note", self.stopped)

    def archive(self, stream: BinaryIO, fmt: str, prefix: str, depth: int) -> Iterator[ReadResult]:
        members = _zip_members(stream) if fmt == "zip" else _tar_members(stream)
        for member in members:
            if self.stopped:
                return
            self.entries += 1
            if self.entries > MAX_MEMBERS:
                self.stopped = f"stopped after {MAX_MEMBERS:,} members"
                return
            if member is None:  # a folder, link or device: nothing to read
                continue
            yield name_text("member", prefix + member.name)  # a finding even when the member is not read
            # streamed: passing over a tar member costs as much as reading it
            if member.compressed is None and not self._spend(member.size):
                return
            yield from self.member(member, prefix, depth)

    def _spend(self, size: int) -> bool:
        self.total += size
        if self.total > MAX_TOTAL_BYTES:
            self.stopped = f"stopped after {MAX_TOTAL_BYTES >> 20:,} MB uncompressed"
            return False
        return True

    def member(self, member: _Member, prefix: str, depth: int) -> Iterator[ReadResult]:
        fmt, compression, _extension = self.format_of(member.name)
        if member.encrypted:
            self.encrypted += 1
            return
        if fmt is None:
            self.tally("{} not read: unsupported format")
            return
        ratio_checked = member.compressed is not None and member.size > RATIO_MIN_BYTES
        if ratio_checked and member.size > MAX_RATIO * max(member.compressed or 0, 1):
            self.tally(f"{{}} not read: expansion ratio over {MAX_RATIO}")
            return
        if member.size > MAX_MEMBER_BYTES:
            self.tally(f"{{}} not read: over {MAX_MEMBER_BYTES >> 20} MB")
            return
        nested = fmt in ARCHIVE_FORMATS
        if nested and depth >= MAX_DEPTH:
            self.tally(f"{{}} not read: nesting deeper than {MAX_DEPTH}")
            return
        if member.compressed is not None and not self._spend(member.size):
            return
        try:
            data = member.read(MAX_MEMBER_BYTES)
        except ReadFailure:
            self.tally("{} failed: corrupt archive member")
            return
        if len(data) > MAX_MEMBER_BYTES:  # the stored size lied
            self.tally(f"{{}} not read: over {MAX_MEMBER_BYTES >> 20} MB")
            return
        path = prefix + member.name
        if nested:
            yield from self.nested(data, fmt, compression, path + NESTING, depth + 1)
        else:
            yield from self.results(data, member.name, path)

    def nested(self, data: bytes, fmt: str, compression: str | None, prefix: str, depth: int) -> Iterator[ReadResult]:
        """An archive member read as an archive; its corruption is a note, not the item's failure."""
        try:
            if fmt == "zip" and compression == "gzip":
                with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as unzipped:
                    data = unzipped.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    self.tally(f"{{}} not read: over {MAX_MEMBER_BYTES >> 20} MB")
                    return
            yield from self.archive(io.BytesIO(data), fmt, prefix, depth)
        except _NESTED_ERRORS:
            self.tally("{} failed: corrupt archive")

    def results(self, data: bytes, name: str, path: str) -> Iterator[ReadResult]:
        """A member read as a file of its name, its locators prefixed and its problems tallied."""
        prefix = {"member": path}
        for result in self.read_member(data, name):
            if isinstance(result, ItemProblem):
                verb = {"note": "", "skipped": " not read", "failed": " failed"}[result.severity]
                self.tally(f"{{}}{verb}: {result.reason}")
            else:
                yield prefixed(result, prefix)


# -- the two kinds ------------------------------------------------------------------------------------


def _zip_members(stream: BinaryIO) -> Iterator[_Member | None]:
    seekable = seekable_stream(stream)
    if isinstance(seekable, ItemProblem):
        raise ReadFailure(seekable.reason.replace("document", "archive"))
    try:
        archive = zipfile.ZipFile(seekable)
    except _ARCHIVE_ERRORS as exc:
        raise _corrupt(exc) from None
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                yield None
                continue

            def read(limit: int, info: zipfile.ZipInfo = info) -> bytes:
                try:
                    with archive.open(info) as member:
                        return member.read(limit + 1)
                except _ARCHIVE_ERRORS as exc:  # a damaged member (bad CRC, unknown method): the rest is read
                    raise _corrupt(exc) from None

            yield _Member(info.filename, info.file_size, info.compress_size, bool(info.flag_bits & 0x1), read)


def _tar_members(stream: BinaryIO) -> Iterator[_Member | None]:
    try:
        archive = tarfile.open(fileobj=stream, mode="r|*")  # noqa: SIM115 - only the opening is guarded here
    except _ARCHIVE_ERRORS as exc:
        raise _corrupt(exc) from None
    with archive:
        while True:
            try:
                info = archive.next()
            except _ARCHIVE_ERRORS as exc:
                raise _corrupt(exc) from None
            if info is None:
                return
            if not info.isfile():
                yield None
                continue

            def read(limit: int, info: tarfile.TarInfo = info) -> bytes:
                try:
                    member = archive.extractfile(info)
                    return member.read(limit + 1) if member else b""
                except _ARCHIVE_ERRORS as exc:  # a broken stream cannot go on past this member
                    raise _corrupt(exc) from None

            yield _Member(info.name, info.size, None, False, read)
