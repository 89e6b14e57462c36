"""The kinds of source piiscan reads: one entry per kind, naming its reader, its eraser and its extra.

Readers (connectors) and erasers are registered as ``"module:Class"`` strings and imported only when
used, so an optional source's library (boto3, psycopg, smbprotocol) is needed only by those who scan
such a source; a failed import names the extra to install (``pip install 'piiscan[s3]'``).  Making a
source erasable is one ``eraser=`` in its entry and the module that holds the eraser.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from piiscan.connectors.base import Connector

if TYPE_CHECKING:  # erasers.py finds its classes here: imported for the annotation only
    from piiscan.connectors.erasers import Eraser


@dataclass(frozen=True)
class SourceKind:
    """One kind of source: its URL schemes, its reader and eraser (``"module:Class"``; no eraser: piiscan
    cannot change it and plans its locations as manual), the extra its library comes with, and what to
    tell a user who lacks that library."""

    schemes: tuple[str, ...]
    reader: str
    eraser: str | None = None
    extra: str | None = None
    install_hint: str | None = None


def _requires(what: str, library: str, extra: str) -> str:
    return f"{what} sources require {library}: pip install 'piiscan[{extra}]'"


_AT = "piiscan.connectors."
#: the kinds piiscan ships with, as (schemes, reader, eraser, extra, install hint); :func:`register` adds more
BUILT_IN: tuple[SourceKind, ...] = (
    SourceKind(("file",), _AT + "local:LocalConnector", _AT + "erase_files:LocalFileEraser"),
    SourceKind(("sqlite",), _AT + "sql.sqlite:SQLiteConnector", _AT + "sql.sqlite:SQLiteEraser"),
    SourceKind(("postgresql", "postgres"), _AT + "sql.postgres:PostgresConnector", _AT + "sql.postgres:PostgresEraser",
               "postgres", _requires("PostgreSQL", "psycopg", "postgres")),
    SourceKind(("mysql", "mariadb"), _AT + "sql.mysql:MySQLConnector", _AT + "sql.mysql:MySQLEraser",
               "mysql", _requires("MySQL/MariaDB", "PyMySQL", "mysql")),
    SourceKind(("s3",), _AT + "s3:S3Connector", _AT + "erase_files:S3Eraser", "s3", _requires("S3", "boto3", "s3")),
    SourceKind(("smb",), _AT + "smb:SMBConnector", None, "smb", _requires("SMB", "smbprotocol", "smb")),
)  # fmt: skip

#: scheme -> its kind (every scheme of a kind maps to the same entry)
SOURCE_KINDS: dict[str, SourceKind] = {scheme: kind for kind in BUILT_IN for scheme in kind.schemes}

#: Scan-wide options the command line passes to every source; a connector whose options have no such
#: field (follow_symlinks for SQLite) simply does not get them.
COMMON_OPTIONS = frozenset({"include", "exclude", "follow_symlinks", "endpoint_url"})

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def register(
    schemes: str | Sequence[str],
    reader: str,
    install_hint: str | None = None,
    *,
    eraser: str | None = None,
    extra: str | None = None,
) -> SourceKind:
    """Add (or replace) a kind of source, e.g.
    ``register("s3", "piiscan.connectors.s3:S3Connector", "S3 requires boto3: pip install boto3")``."""
    kind = SourceKind((schemes,) if isinstance(schemes, str) else tuple(schemes), reader, eraser, extra, install_hint)
    for scheme in kind.schemes:
        SOURCE_KINDS[scheme] = kind
    return kind


def source_kind(scheme: str) -> SourceKind:
    """The entry of ``scheme``; ValueError naming the supported schemes when there is none."""
    kind = SOURCE_KINDS.get(scheme)
    if kind is None:
        supported = ", ".join(sorted(SOURCE_KINDS))
        raise ValueError(f"unknown source scheme '{scheme}://' (supported: {supported})")
    return kind


def connector_class(scheme: str) -> type[Connector]:
    """The connector class for ``scheme`` (imported now); ImportError with the install hint when its
    library is missing."""
    kind = source_kind(scheme)
    cls: type[Connector] = _load(kind.reader, kind.install_hint)
    return cls


def eraser_class(scheme: str) -> type[Eraser]:
    """The eraser class for ``scheme`` (imported now); ValueError when piiscan cannot change such sources."""
    kind = source_kind(scheme)
    if kind.eraser is None:
        raise ValueError(f"piiscan cannot change {scheme}:// sources")
    cls: type[Eraser] = _load(kind.eraser, kind.install_hint)
    return cls


def _load(target: str, install_hint: str | None) -> Any:
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if install_hint is None:
            raise
        raise ImportError(f"{install_hint} ({exc})") from exc
    return getattr(module, class_name)


def option_names(cls: type[Connector]) -> frozenset[str]:
    """The options connector ``cls`` takes: the fields of its ``options_class``."""
    return cls.options_class.names()


def scheme_of(spec: str) -> str:
    """The scheme of ``spec``: its URL scheme, "sqlite" for a SQLite file given as a
    path, else "file"."""
    match = _SCHEME.match(spec)
    if match:
        return match.group(1).lower()
    if spec.startswith("file:"):
        return "file"
    if spec.lower().endswith(SQLITE_SUFFIXES) and _is_sqlite_file(Path(spec).expanduser()):
        return "sqlite"
    return "file"


def redact_spec(spec: str) -> str:
    """A source as the user gave it, without a password (URL user info or a ``password=`` parameter):
    what summaries, scan records and logs may show."""
    if not _SCHEME.match(spec):
        return spec
    try:
        parts = urlsplit(spec)
        if parts.password is None and "password=" not in parts.query.lower():
            return spec
        netloc = parts.netloc
        if parts.password is not None:
            host = netloc.rpartition("@")[2]
            netloc = f"{parts.username}@{host}" if parts.username else host
        query = "&".join(q for q in parts.query.split("&") if q and not q.lower().startswith("password="))
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # unparseable: drop everything that could be user info
        scheme, _, rest = spec.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else spec


def open_source(spec: str, **options: Any) -> Connector:
    """A connector for ``spec`` (path, ``file://``, ``sqlite://``...); no I/O beyond a
    16-byte peek at a path that may be a SQLite file.

    Options the connector does not take are an error, except the scan-wide
    COMMON_OPTIONS, which are dropped (file globs do not apply to table names).
    """
    cls = connector_class(scheme_of(spec))
    accepted = option_names(cls)
    options = {k: v for k, v in options.items() if k in accepted or k not in COMMON_OPTIONS}
    return cls(spec, **options)


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False
