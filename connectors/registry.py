"""Map a source string from the command line to a connector.

Connectors are registered as ``"module:Class"`` strings and imported only when
used, so an optional connector's dependencies (boto3, psycopg, smbprotocol)
are needed only by those who scan such a source; a failed import names the
package to install.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from piiscan.connectors.base import Connector

#: scheme -> (import target "module:Class", install hint shown when the import fails)
CONNECTORS: dict[str, tuple[str, str | None]] = {
    "file": ("piiscan.connectors.local:LocalConnector", None),
    "sqlite": ("piiscan.connectors.sqlite:SQLiteConnector", None),
    "postgresql": (
        "piiscan.connectors.postgres:PostgresConnector",
        "PostgreSQL sources require psycopg: pip install 'psycopg[binary]'",
    ),
    "postgres": (
        "piiscan.connectors.postgres:PostgresConnector",
        "PostgreSQL sources require psycopg: pip install 'psycopg[binary]'",
    ),
    "mysql": ("piiscan.connectors.mysql:MySQLConnector", "MySQL/MariaDB sources require PyMySQL: pip install pymysql"),
    "mariadb": (
        "piiscan.connectors.mysql:MySQLConnector",
        "MySQL/MariaDB sources require PyMySQL: pip install pymysql",
    ),
    "s3": ("piiscan.connectors.s3:S3Connector", "S3 sources require boto3: pip install boto3"),
    "smb": ("piiscan.connectors.smb:SMBConnector", "SMB sources require smbprotocol: pip install smbprotocol"),
}

#: Scan-wide options the command line passes to every source; a connector that has
#: no such parameter (follow_symlinks for SQLite) simply does not get them.
COMMON_OPTIONS = frozenset({"include", "exclude", "follow_symlinks", "endpoint_url"})

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def register(scheme: str, target: str, install_hint: str | None = None) -> None:
    """Add a connector, e.g.
    ``register("s3", "piiscan.connectors.s3:S3Connector", "S3 requires boto3: pip install boto3")``."""
    CONNECTORS[scheme] = (target, install_hint)


def connector_class(scheme: str) -> type[Connector]:
    """The connector class for ``scheme`` (imported now)."""
    if scheme not in CONNECTORS:
        supported = ", ".join(sorted(CONNECTORS))
        raise ValueError(f"unknown source scheme '{scheme}://' (supported: {supported})")
    target, hint = CONNECTORS[scheme]
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if hint is None:
            raise
        raise ImportError(f"{hint} ({exc})") from exc
    return getattr(module, class_name)


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
    accepted = inspect.signature(cls.__init__).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted or k not in COMMON_OPTIONS}
    return cls(spec, **options)


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False
