"""SMB/CIFS shares: the files under ``smb://[user@]server[:port]/share/path``.

Built on :class:`piiscan.connectors.files.FileConnector` like local files and S3: this
module only lists files (``_walk``) and opens one as a seekable stream
(``_open``) through smbprotocol's ``smbclient`` API; formats, work units and
reading are the shared file code.

Item ids are paths relative to ``share/path`` (``/``-separated); when the path
names one file, that file is the source and its item id is its base name (as a
single local file).  The fingerprint is mtime + size, as for local files.

The password never appears in the URL (one there is refused): it comes from the
environment variable named by the ``password_env`` option, else from
``PIISCAN_SMB_PASSWORD``.  Without a user in the URL smbprotocol's implicit
authentication (Kerberos) is tried.

Connections: each connector keeps its own smbclient connection cache
(``_conn_cache``), so sessions of two sources never mix and a wrong password is
never hidden by an earlier good session of the same user.  It is dropped when
the connector is pickled and re-created, with a new session, on first use in
each worker process.

Symlinks, junctions and other reparse points are not followed (skipped with a
note of why); a server that resolves links itself (Samba's ``follow symlinks``)
shows them as plain files and they are read as such.  Files are opened for
reading with full sharing, so a scan never locks users out of a file.

Errors: an unreachable server, rejected credentials or a missing share or path
are a SourceError naming the source; a file or folder that cannot be read
(access denied, sharing violation) fails on its own with a reason naming it.
Reasons are built from NT status codes only, never from server messages.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast
from urllib.parse import unquote, urlsplit

import smbclient
from smbprotocol.exceptions import LogonFailure, SMBException, SMBOSError

from piiscan.connectors.base import ItemProblem, ItemRef, Severity, SourceError
from piiscan.connectors.files import SQLITE, FileConnector, FileInfo, FileOptions
from piiscan.connectors.formats.common import ReadFailure

PASSWORD_VARIABLE = "PIISCAN_SMB_PASSWORD"
DEFAULT_PORT = 445
CONNECT_TIMEOUT = 30  # seconds; smbclient's default is 60
FILE_ATTRIBUTE_DIRECTORY = 0x10
FILE_ATTRIBUTE_REPARSE_POINT = 0x400
#: NT status codes worth naming in a reason
_STATUS = {
    0xC0000022: "access denied",
    0xC0000043: "sharing violation (file in use)",
    0xC0000034: "does not exist",
    0xC000003A: "does not exist",
    0xC0000225: "does not exist",
    0xC00000CC: "share does not exist",
    0xC000006D: "credentials rejected (logon failure)",
    0xC0000072: "account disabled",
    0xC0000071: "password expired",
    0xC0000234: "account locked out",
}


def parse_smb_url(url: str) -> tuple[str | None, str, int | None, str, str]:
    """(user, server, port, share, path) of ``smb://[user@]server[:port]/share/path``; a password is refused."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "smb":
        raise ValueError(f"not an smb:// URL: {url.split('@')[-1]!r}")
    if parts.password is not None:
        raise ValueError(
            f"an smb:// URL must not carry a password; set {PASSWORD_VARIABLE} or name a variable with password_env"
        )
    server = parts.hostname
    if not server:
        raise ValueError(f"smb URL must name a server: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid port in smb URL: {url!r}") from None
    share, _, path = unquote(parts.path).strip("/").partition("/")
    if not share:
        raise ValueError(f"smb URL must name a share: {url!r}")
    segments = [s for s in path.split("/") if s]
    if ".." in segments or any("\\" in s for s in segments):
        raise ValueError(f"smb URL path must stay inside the share: {url!r}")
    user = unquote(parts.username) if parts.username else None
    return user, server, port, share, "/".join(segments)


def status_reason(exc: BaseException) -> str:
    """A one-line reason for an smbprotocol error from its NT status (never the server's text)."""
    status = getattr(exc, "ntstatus", None)
    if status is None:
        status = getattr(exc, "status", None)
    if isinstance(exc, LogonFailure):
        return _STATUS[0xC000006D]
    if status is not None:
        return f"{_STATUS.get(status, 'SMB error')} (NTSTATUS 0x{status:08X})"
    if isinstance(exc, PermissionError):
        return "access denied"
    return f"SMB error ({type(exc).__name__})"


class SMBFile(io.RawIOBase):
    """An open SMB file whose errors surface as :class:`ReadFailure` naming the file."""

    def __init__(self, raw: Any, rel_path: str) -> None:
        super().__init__()
        self._raw = raw
        self._rel_path = rel_path

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._raw.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._raw.seek(offset, whence)
        except (SMBException, OSError) as exc:
            raise ReadFailure(f"cannot read file {self._rel_path}: {status_reason(exc)}") from None

    def readinto(self, buffer: Any) -> int:
        try:
            return self._raw.readinto(buffer)
        except (SMBException, OSError) as exc:
            raise ReadFailure(f"cannot read file {self._rel_path}: {status_reason(exc)}") from None

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(SMBException, OSError):  # the handle dies with the session anyway
                self._raw.close()
        super().close()


@dataclass(frozen=True)
class SMBOptions(FileOptions):
    """``include`` and ``exclude`` match the paths relative to the share path."""

    password_env: str | None = field(
        default=None, metadata={"doc": f"environment variable holding the password (default {PASSWORD_VARIABLE})"}
    )


class SMBConnector(FileConnector):
    """Files under ``smb://[user@]server[:port]/share/path``."""

    schemes = ("smb",)
    options_class = SMBOptions
    options: SMBOptions

    def __init__(self, url: str, options: SMBOptions | None = None, **values: Any) -> None:
        self.user, self.server, self.port, self.share, self.path = parse_smb_url(url)
        super().__init__(url, options, **values)
        self.password_env = self.options.password_env
        self._single_file: str | None = None  # set by _walk when the path names one file
        self._conn_cache: dict[str, Any] | None = None

    @property
    def source(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port is not None else ""
        path = f"/{self.path}" if self.path else ""
        return f"smb://{user}{self.server}{port}/{self.share}{path}"

    # -- connection -------------------------------------------------------------

    def _password(self) -> str | None:
        return os.environ.get(self.password_env or PASSWORD_VARIABLE)

    def _connection(self) -> dict[str, Any]:
        """The keyword arguments of every smbclient call; registers the session on first use in a process."""
        if self._conn_cache is None:
            cache: dict[str, Any] = {}
            smbclient.register_session(
                self.server,
                username=self.user,
                password=self._password(),
                port=self.port or DEFAULT_PORT,
                connection_timeout=CONNECT_TIMEOUT,
                connection_cache=cache,
            )
            self._conn_cache = cache
        return {"port": self.port or DEFAULT_PORT, "connection_cache": self._conn_cache}

    def close(self) -> None:
        cache, self._conn_cache = self._conn_cache, None
        if cache:
            smbclient.reset_connection_cache(fail_on_error=False, connection_cache=cache)

    def _unc(self, rel_path: str = "") -> str:
        parts = [p for p in f"{self.path}/{rel_path}".split("/") if p]
        return "\\\\" + "\\".join([self.server, self.share, *parts])

    def item_identity(self, item_id: str) -> str:
        """Server, port, share and path (server and share names are case-insensitive): the same file
        whatever share path reached it."""
        rel = "" if self._single_file is not None else item_id
        parts = [p for p in f"{self.path}/{rel}".split("/") if p]
        return f"smb://{self.server.lower()}:{self.port or DEFAULT_PORT}/{self.share.lower()}/{'/'.join(parts)}"

    def _connect_reason(self, exc: BaseException) -> str:
        if isinstance(exc, (SMBException, SMBOSError)):
            return status_reason(exc)
        return f"cannot reach {self.server}:{self.port or DEFAULT_PORT} ({type(exc).__name__})"

    # -- the FileConnector core ------------------------------------------------------

    def _open(self, rel_path: str) -> BinaryIO:
        target = self._single_file if self._single_file is not None else rel_path
        if ".." in target.split("/"):
            raise ValueError("item id must stay inside the share path")
        try:
            kwargs = self._connection()
        except (SMBException, OSError, ValueError) as exc:
            raise ReadFailure(f"cannot connect to {self.source}: {self._connect_reason(exc)}") from None
        unc = self._unc("" if self._single_file is not None else rel_path)
        try:
            raw = smbclient.open_file(unc, mode="rb", buffering=0, share_access="rwd", **kwargs)
        except (SMBException, OSError) as exc:
            raise ReadFailure(f"cannot open file {rel_path}: {status_reason(exc)}") from None
        return cast(BinaryIO, SMBFile(raw, rel_path))  # a raw binary stream

    def _walk(self) -> Iterator[FileInfo | ItemProblem]:
        try:
            kwargs = self._connection()
        except (SMBException, OSError, ValueError) as exc:
            raise SourceError(f"{self.source}: {self._connect_reason(exc)}") from None
        try:
            root = smbclient.stat(self._unc(), follow_symlinks=False, **kwargs)
        except (SMBException, OSError) as exc:
            raise SourceError(f"{self.source}: {status_reason(exc)}") from None
        if not root.st_file_attributes & FILE_ATTRIBUTE_DIRECTORY:
            name = self.path.rpartition("/")[2]
            if root.st_file_attributes & FILE_ATTRIBUTE_REPARSE_POINT:
                yield self._problem(name, "skipped", "symlink or reparse point (not followed)")
                return
            self._single_file = name
            yield FileInfo(name, root.st_size, root.st_mtime, f"{root.st_mtime_ns}:{root.st_size}")
            return
        pending = [""]
        while pending:
            rel_dir = pending.pop()
            try:
                entries = sorted(
                    ((e.name, e.smb_info) for e in smbclient.scandir(self._unc(rel_dir), **kwargs)),
                    key=lambda entry: entry[0],
                )
            except (SMBException, OSError) as exc:
                if not rel_dir:  # the root itself: nothing can be listed
                    raise SourceError(f"{self.source}: listing failed: {status_reason(exc)}") from None
                yield self._problem(rel_dir, "failed", f"cannot list folder {rel_dir}: {status_reason(exc)}")
                continue
            subdirs = []
            for name, info in entries:
                rel_path = f"{rel_dir}/{name}" if rel_dir else name
                if info.file_attributes & FILE_ATTRIBUTE_REPARSE_POINT:
                    yield self._problem(rel_path, "skipped", "symlink or reparse point (not followed)")
                elif info.file_attributes & FILE_ATTRIBUTE_DIRECTORY:
                    if not self._prune(rel_path):
                        subdirs.append(rel_path)
                else:
                    mtime = info.last_write_time
                    stamp = int(mtime.timestamp()) * 1_000_000 + mtime.microsecond
                    size = int(info.end_of_file)
                    yield FileInfo(rel_path, size, mtime.timestamp(), f"{stamp}:{size}")
            pending.extend(reversed(subdirs))

    def _classify(self, info: FileInfo) -> ItemRef | ItemProblem:
        found = super()._classify(info)
        if isinstance(found, ItemRef) and found.fmt == SQLITE:  # no local path to open it as a sqlite:// source
            return self._file_problem(info, "skipped", "SQLite database on an SMB share: copy it locally to scan it")
        return found

    def _problem(self, item_id: str, severity: Severity, reason: str) -> ItemProblem:
        return ItemProblem(item_id, severity, reason, source=self.source)
