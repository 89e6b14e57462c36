"""PDF text layers (pypdf), page by page, one work unit per file.

Each page's extracted text is split into lines located as ``{"page": p,
"line": n}`` (both 1-based; ``n`` counts the lines pypdf extracts from that
page, blank ones included, so it is the n-th line of the page's text as a
PDF viewer's "copy all" gives it, not a visual coordinate).  pypdf needs a
seekable stream; one that cannot seek is read into memory up to
:data:`office.MAX_BUFFER_BYTES`.

- A PDF that needs a password to open is skipped ("encrypted PDF"); one with
  only an owner password (restrictions on printing, copying) opens with the
  empty user password and is read.
- A PDF without any extractable text is skipped ("no text layer (scanned
  image?)"): OCR is not attempted.  Pages without text in a PDF that has some
  are counted in a note.
- Anything else that stops pypdf fails the item with a one-line reason that
  names the exception type only.  pypdf's own warnings about damage it
  works around are not logged (they do not name the file).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, BinaryIO

from piiscan.connectors.base import ItemProblem, ReadResult
from piiscan.connectors.formats.common import ReadFailure, plural
from piiscan.connectors.formats.office import located_chunks, missing_library, seekable_stream

NO_TEXT = "no text layer (scanned image?)"
ENCRYPTED = "encrypted PDF"

# pypdf logs what it repairs in damaged files ("EOF marker not found") without naming the file;
# what matters reaches the scan as an ItemProblem of the item instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(stream: BinaryIO) -> Iterator[ReadResult]:
    """LocatedText chunks of every page's text lines, or why the PDF was not read."""
    try:  # optional (piiscan[office]), loaded when a PDF is read
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError:
        yield missing_library("PDF", "pypdf")
        return
    seekable = seekable_stream(stream)
    if isinstance(seekable, ItemProblem):
        yield seekable
        return
    try:
        reader = PdfReader(seekable, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            yield ItemProblem("", "skipped", ENCRYPTED)
            return
        pages = len(reader.pages)
    except (FileNotDecryptedError, DependencyError):
        yield ItemProblem("", "skipped", ENCRYPTED)
        return
    except Exception as exc:  # pypdf raises many types on damaged files; the type only, never the message
        raise ReadFailure(f"corrupt or unreadable PDF ({type(exc).__name__})") from None
    found = {"text": 0, "blank": 0}
    yield from located_chunks(_lines(reader, pages, found))
    if not found["text"]:
        yield ItemProblem("", "skipped", NO_TEXT)
    elif found["blank"]:
        yield ItemProblem("", "note", f"{plural(found['blank'], 'page')} without a text layer not read")


def _lines(reader: Any, pages: int, found: dict[str, int]) -> Iterator[tuple[dict[str, Any], str]]:
    for number in range(1, pages + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception as exc:  # see read_pdf
            raise ReadFailure(f"corrupt or unreadable PDF ({type(exc).__name__} on page {number})") from None
        if not text.strip():
            found["blank"] += 1
            continue
        found["text"] += 1
        for line_number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                yield {"page": number, "line": line_number}, line
