"""Identifiers in names: a file, object key, archive member, attachment, sheet, table or column named
after a person is a finding, like a value inside it.

A name is one record located ``{"name": kind, ...}``; the span of a finding is a character range of the
name text, which is the item id itself for ``{"name": "path"}`` (a file's path under its source, an
object key) and ``{"name": "table"}`` (a database table's item id), and the locator's value under
``kind`` for the others: ``{"name": "member", "member": "inner.zip!/alice@example.com.csv"}``,
``{"name": "attachment", "message": 1, "attachment": ...}``, ``{"name": "sheet", "sheet": ...}``,
``{"name": "column", "column": ...}``.

Names are not prose: ``john_smith_07700900123.csv`` holds its words between underscores and path
separators, which this module reads as word breaks (characters are replaced one for one, so offsets
are those of the name), and ``john.smith@example.com.txt`` ends in a file extension that would
otherwise be read as the e-mail's top-level domain.  A name with a file extension is therefore read
twice, with the extension blanked and as it is; what the first reading finds wins, and the second
adds only what does not overlap it (``jan@example.pl``: ``.pl`` is also a Perl script's extension).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from piiscan.connectors.files import guess_format

#: name kinds whose last component may end in a file extension
FILE_NAME_KINDS = frozenset({"path", "member", "attachment"})
#: characters read as word breaks in a name (each replaced by one space)
_BREAKS = str.maketrans({"_": " ", "/": " ", "\\": " ", "!": " "})


def name_kind(locator: dict[str, Any]) -> str:
    """The kind of a name locator (``{"name": "member", ...}`` -> "member"); nested ones ("inner") by their
    innermost kind."""
    kind = locator.get("name", "")
    inner = locator.get("inner")
    if kind == "inner" and isinstance(inner, dict):
        return name_kind(inner)
    return str(kind)


def extension_length(name: str) -> int:
    """Characters of the file extension ending ``name`` (``.csv.gz`` whole), 0 when it has none that a
    reader or the platform's type map knows, or when nothing but the extension would be left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    fmt, compression, extension = guess_format(last)
    if not extension or len(extension) >= len(last.strip()):
        return 0
    known = fmt or compression or mimetypes.guess_type(f"x{extension}", strict=False)[0]
    return len(extension) if known else 0


def readings(name: str, kind: str) -> list[str]:
    """The texts a name is read as, all of its length: word breaks as spaces, and first, when the name may
    end in a file extension, the same with the extension blanked."""
    text = name.translate(_BREAKS)
    cut = extension_length(name) if kind in FILE_NAME_KINDS else 0
    return [text[: len(text) - cut] + " " * cut, text] if cut else [text]


def detect_names(engine: Any, names: Sequence[str], kinds: Sequence[str]) -> pa.Table:
    """Matches of ``engine.detect_texts`` in each name (``row`` is the index into ``names``), read as
    :func:`readings` says: the matches of the first reading, plus those of the second that overlap none
    of them."""
    texts: list[str] = []
    owners: list[tuple[int, int]] = []  # (name index, reading index) of each text
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        for r, text in enumerate(readings(name, kind)):
            texts.append(text)
            owners.append((i, r))
    found = engine.detect_texts(texts)
    if not found.num_rows:
        return found
    first: dict[int, list[dict[str, Any]]] = {}
    second: list[dict[str, Any]] = []
    for row in found.to_pylist():
        name, reading = owners[row["row"]]
        row["row"] = name
        (second.append(row) if reading else first.setdefault(name, []).append(row))
    kept = [m for matches in first.values() for m in matches]
    for row in second:
        if not any(k["start"] < row["end"] and row["start"] < k["end"] for k in first.get(row["row"], ())):
            kept.append(row)
    kept.sort(key=lambda m: (m["row"], m["start"]))
    return pa.Table.from_pylist(kept, schema=found.schema)
