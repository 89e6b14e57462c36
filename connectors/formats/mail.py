"""E-mail: one message (``.eml``) or a mailbox of many (``.mbox``), with the stdlib ``email`` package.

Messages are parsed with ``email.policy.default``.  Each message ``m`` (1-based; always 1 in an
``.eml``) gives:

* its address headers (From, To, Cc, Bcc, Reply-To, Sender, Return-Path, Delivered-To) and its
  Subject, each value as one text with locator ``{"message": m, "header": "To"}`` and the header's
  name as the field, so detectors see "Jane Doe <jane@example.com>" in a "To" field;
* its ``text/plain`` parts line by line and its ``text/html`` parts as their visible text
  (:mod:`piiscan.connectors.formats.html`), located ``{"message": m, "part": p, "line": n}``: ``p`` is the
  1-based position of the part in ``Message.walk()`` order (the message itself is part 1, a
  multipart container counts), ``n`` the line within the decoded part (blank lines not yielded);
* its attachments (a part with a file name, or a forwarded ``message/rfc822``) whose extension is a
  supported format, read by the very readers a file of that name gets (the caller passes that
  dispatch in as ``read_attachment``), each locator prefixed with ``{"message": m, "attachment":
  name}``; when the inner locator has a key of its own prefix (a message inside a message), it is
  kept whole under ``"inner"`` instead.  A batch of rows keeps its field names and gets its row
  locators prefixed the same way.  A forwarded message without a file name is called
  ``message.eml``.  Every attachment's file name, read or not, is also yielded as a name
  (``{"message": m, "name": "attachment", "attachment": name}``,
  :class:`~piiscan.connectors.formats.office.NameText`): a file named after a person is a finding.

Not read, but counted in one note per item: attachments of unsupported types (or without an
extension), encrypted parts (S/MIME ``application/pkcs7-mime``, PGP ``multipart/encrypted``) and
malformed messages (no header at all, or an error while taking one apart); signatures are passed
over silently.  A problem with an attachment (corrupt, encrypted, binary) becomes a note, so the
rest of the message and the mailbox are still read.  Reasons never name an attachment (a file
name may be personal data); locators do, as item paths do.

Mailboxes are read from the stream message by message, so memory is bounded by the biggest
message, not the file (``mailbox.mbox`` needs a path and an index of the whole file).  The split is
the one ``mailbox.mbox`` makes: a message starts at every line that begins with ``From `` (the
"From_" line, itself not part of the message); ``>From `` escapes are left as they are.  Anything
before the first From_ line that is not blank is read as a message of its own.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any, BinaryIO

import pyarrow as pa

from piiscan.connectors.base import ItemProblem, ReadResult, TableBatch, TextChunk
from piiscan.connectors.formats.common import BLOCK_BYTES, UTF8, decode_lenient, plural
from piiscan.connectors.formats.html import read_html
from piiscan.connectors.formats.office import LocatedText, NameText, located_chunks, name_text
from piiscan.connectors.formats.text import LineChunk

#: Reads an attachment's bytes as a file of the given name would be read (files.py's dispatch).
AttachmentReader = Callable[[bytes, str], Iterator[ReadResult]]
#: Whether a file name's extension is a format ``AttachmentReader`` reads.
Supported = Callable[[str], bool]

ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Return-Path", "Delivered-To")
TEXT_HEADERS = ("Subject",)
ENCRYPTED_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime", "multipart/encrypted"})
SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
FORWARDED_NAME = "message.eml"
_FROM_LINE = b"From "


class _Tally:
    """What an item's messages left unread, reported once at its end."""

    def __init__(self) -> None:
        self.unsupported = 0
        self.encrypted = 0
        self.malformed = 0

    def notes(self) -> Iterator[ItemProblem]:
        if self.malformed:
            yield ItemProblem("", "note", f"{plural(self.malformed, 'malformed message')} not read")
        if self.encrypted:
            yield ItemProblem("", "note", f"{plural(self.encrypted, 'encrypted part')} not scanned")
        if self.unsupported:
            types = "type" if self.unsupported == 1 else "types"
            yield ItemProblem(
                "", "note", f"{plural(self.unsupported, 'attachment')} of unsupported {types} not scanned"
            )


def read_eml(stream: BinaryIO, read_attachment: AttachmentReader, supported: Supported) -> Iterator[ReadResult]:
    """One message: headers, bodies and attachments (see the module doc)."""
    tally = _Tally()
    yield from _read_message(stream.read(), 1, tally, read_attachment, supported)
    yield from tally.notes()


def read_mbox(stream: BinaryIO, read_attachment: AttachmentReader, supported: Supported) -> Iterator[ReadResult]:
    """Every message of an mbox stream, one at a time."""
    tally = _Tally()
    for number, data in enumerate(split_mbox(stream), 1):
        yield from _read_message(data, number, tally, read_attachment, supported)
    yield from tally.notes()


def split_mbox(stream: BinaryIO) -> Iterator[bytes]:
    """The bytes of each message of an mbox (From_ lines dropped); a non-blank preamble is one more."""
    lines: list[bytes] = []
    at_line_start = True
    started = False
    while piece := stream.readline(BLOCK_BYTES):  # a long line comes in pieces; only the first can be From_
        if at_line_start and piece.startswith(_FROM_LINE):
            if started or any(line.strip() for line in lines):
                yield b"".join(lines)
            lines, started = [], True
        else:
            lines.append(piece)
        at_line_start = piece.endswith(b"\n")
    if started or any(line.strip() for line in lines):
        yield b"".join(lines)


def _read_message(
    data: bytes, number: int, tally: _Tally, read_attachment: AttachmentReader, supported: Supported
) -> Iterator[ReadResult]:
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        if not message.keys():
            tally.malformed += 1
            return
        yield from _headers(message, number)
        yield from _parts(message, number, tally, read_attachment, supported)
    except Exception:  # the parser is lenient, but taking a broken message apart can raise anything
        tally.malformed += 1


def _headers(message: EmailMessage, number: int) -> Iterator[LocatedText]:
    for name in ADDRESS_HEADERS + TEXT_HEADERS:
        values = [text for value in message.get_all(name, ()) if (text := str(value).strip())]
        if values:
            locator = {"message": number, "header": name}
            yield LocatedText(lines=values, first_line=0, field=name, locators=[locator] * len(values))


def _walk(message: EmailMessage) -> Iterator[tuple[int, EmailMessage, bool]]:
    """(1-based index in ``message.walk()``, part, whether it lies inside a part read as a whole)."""
    inside_until = 0  # parts up to this index belong to a forwarded message or an encrypted part
    for index, part in enumerate(message.walk(), 1):
        inside = index <= inside_until
        yield index, part, inside
        if not inside and part.is_multipart() and _whole(part):
            inside_until = index + sum(1 for _ in part.walk()) - 1


def _whole(part: EmailMessage) -> bool:
    """A part whose subparts are not walked: a forwarded message (an attachment) or an encrypted one."""
    return part.get_content_type() in ENCRYPTED_TYPES or part.get_content_type() == "message/rfc822"


def _parts(
    message: EmailMessage, number: int, tally: _Tally, read_attachment: AttachmentReader, supported: Supported
) -> Iterator[ReadResult]:
    for index, part, inside in _walk(message):
        if inside:
            continue
        kind = part.get_content_type()
        name = part.get_filename()
        if kind in ENCRYPTED_TYPES:
            tally.encrypted += 1
        elif kind in SIGNATURE_TYPES:
            continue
        elif kind == "message/rfc822":
            inner = part.get_payload()
            forwarded = inner[0] if isinstance(inner, list) and inner else None
            data = forwarded.as_bytes(policy=policy.default) if isinstance(forwarded, Message) else b""
            yield from _attachment(data, name or FORWARDED_NAME, number, read_attachment)
        elif part.is_multipart():
            continue
        elif name is not None or part.get_content_disposition() == "attachment":
            if name:  # an attachment named after a person is a finding, read or not
                yield name_text("attachment", name, {"message": number})
            if name and supported(name):
                yield from _attachment(_payload(part), name, number, read_attachment)
            else:
                tally.unsupported += 1
        elif kind == "text/plain":
            yield from _plain(_text(part), {"message": number, "part": index})
        elif kind == "text/html":
            yield from _html(_text(part), {"message": number, "part": index})


def _payload(part: EmailMessage) -> bytes:
    """The part's body with its transfer encoding (base64, quoted-printable) undone; b"" when it has none."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text(part: EmailMessage) -> str:
    """The decoded text of a part; an unknown charset falls back to UTF-8, else cp1252."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        return decode_lenient(_payload(part))


def _plain(text: str, prefix: dict[str, Any]) -> Iterator[LocatedText]:
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    yield from located_chunks(({**prefix, "line": n}, line) for n, line in enumerate(lines, 1) if line.strip())


def _html(text: str, prefix: dict[str, Any]) -> Iterator[LocatedText]:
    def entries() -> Iterator[tuple[dict[str, Any], str]]:
        for chunk in read_html(io.BytesIO(text.encode(UTF8)), UTF8):
            for offset, line in enumerate(chunk.lines):
                if line:
                    yield {**prefix, "line": chunk.first_line + offset}, line

    yield from located_chunks(entries())


def _attachment(data: bytes, name: str, number: int, read_attachment: AttachmentReader) -> Iterator[ReadResult]:
    """An attachment read as a file of its name, its locators prefixed and its problems made notes."""
    prefix = {"message": number, "attachment": name}
    for result in read_attachment(data, name):
        if isinstance(result, ItemProblem):
            reason = result.reason if result.severity == "note" else f"{result.severity}: {result.reason}"
            yield ItemProblem("", "note", f"attachment {reason}")
        else:
            yield prefixed(result, prefix)


def prefixed(result: TableBatch | TextChunk, prefix: dict[str, Any]) -> TableBatch | LocatedText:
    """A result read from inside a container (an attachment, an archive member) with every locator nested
    under ``prefix``; locator-only (hidden) columns of a batch are dropped."""
    if isinstance(result, TableBatch):
        locators = [nest(prefix, result.locator(i)) for i in range(result.batch.num_rows)]
        names = result.scan_columns()
        columns = [result.batch.column(n) for n in names]
        return TableBatch(pa.RecordBatch.from_arrays(columns, names=names), row_locators=locators)
    locators = [nest(prefix, result.locator(i)) for i in range(len(result.lines))]
    if isinstance(result, LineChunk):  # pieces of a long line keep the part each one reports
        return result.relocated(locators)  # type: ignore[return-value]
    if isinstance(result, NameText):  # still a name; one nested under "inner" is marked so at the top
        return NameText(lines=result.lines, first_line=0, locators=[{"name": "inner", **loc} for loc in locators])
    return LocatedText(lines=result.lines, first_line=0, field=result.field, locators=locators)


def nest(prefix: dict[str, Any], inner: dict[str, Any]) -> dict[str, Any]:
    """``prefix`` and ``inner`` in one locator; ``inner`` whole under "inner" when their keys clash."""
    if prefix.keys() & inner.keys():
        return {**prefix, "inner": inner}
    return {**prefix, **inner}
