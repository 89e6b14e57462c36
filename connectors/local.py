"""The local filesystem: one file or a directory tree.

Symlinks are not followed out of the root unless ``follow_symlinks=True``
(a scan of ``/srv/data`` should not wander into ``/etc`` through a link);
links to files inside the root are read under the link's own path, links to
directories inside the root are not entered (their target is walked anyway).
Directories are never entered twice, so link loops end.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from piiscan.connectors.base import ItemProblem, ItemRef, Severity, SourceError
from piiscan.connectors.files import FileConnector, FileInfo, FileOptions
from piiscan.connectors.formats.common import failure_reason
from piiscan.connectors.globs import selected

_DIRECTORY = "directory"  # marker returned by _entry for a directory to descend into
_KINDS = {
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}


def path_from_url(url: str) -> str:
    """A path from a plain path or ``file://`` URL (taken literally, no percent-decoding,
    so that ``source`` round-trips)."""
    if url.startswith("file://"):
        rest = url[len("file://") :]
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        if not rest.startswith("/"):
            raise ValueError(f"file URL must name an absolute local path: {url!r}")
        return rest
    if url.startswith("file:"):
        return url[len("file:") :]
    return url


def _within(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


@dataclass(frozen=True)
class LocalOptions(FileOptions):
    follow_symlinks: bool = field(
        default=False, metadata={"doc": "follow symbolic links that lead out of the root (default: skip them)"}
    )


class LocalConnector(FileConnector):
    """Files under a local path."""

    schemes = ("file",)
    options_class = LocalOptions
    options: LocalOptions

    def __init__(self, url: str, options: LocalOptions | None = None, **values: Any) -> None:
        super().__init__(url, options, **values)
        self.follow_symlinks = self.options.follow_symlinks
        self.root = Path(os.path.abspath(os.path.expanduser(path_from_url(url))))

    @property
    def source(self) -> str:
        return "file://" + self.root.as_posix()

    @property
    def root_path(self) -> str:
        """The directory item ids are relative to (a single file's folder), e.g. to open
        an item listed with fmt "sqlite" as its own source."""
        return str(self.root if self.root.is_dir() else self.root.parent)

    def item_identity(self, item_id: str) -> str:
        """The file's resolved real path: a file reached through a link, a nested folder or as a source
        of its own is the same file."""
        path = self.root.joinpath(*item_id.split("/")) if self.root.is_dir() else self.root
        return "file://" + os.path.realpath(path)

    def _open(self, rel_path: str) -> BinaryIO:
        parts = rel_path.split("/")
        if ".." in parts:
            raise ValueError("item id must stay inside the root")
        # A single-file source has the file name as its item id.
        path = self.root.joinpath(*parts) if self.root.is_dir() else self.root
        return open(path, "rb")

    def current(self, item_id: str) -> ItemRef | ItemProblem | None:
        """One ``stat`` instead of a walk; the same fingerprint (mtime_ns:size) and checks as :meth:`enumerate`."""
        parts = item_id.split("/")
        if not item_id or ".." in parts or not selected(item_id, self.include, self.exclude):
            return None
        try:
            if not self.root.is_dir():
                return self._classify_entry(item_id, self.root) if item_id == self.root.name else None
            return self._classify_entry(item_id, self.root.joinpath(*parts))
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._problem(item_id, "failed", failure_reason(exc))

    def _classify_entry(self, item_id: str, path: Path) -> ItemRef | ItemProblem | None:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            if not self.follow_symlinks and not _within(os.path.realpath(path), os.path.realpath(self.root)):
                return self._problem(item_id, "skipped", "symlink outside root")
            info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return None
        found = self._file(item_id, info)
        return self._classify(found) if isinstance(found, FileInfo) else found

    def _walk(self) -> Iterator[FileInfo | ItemProblem]:
        try:
            info = self.root.stat()
        except FileNotFoundError:
            raise SourceError(f"{self.source}: does not exist") from None
        except OSError as exc:
            raise SourceError(f"{self.source}: {failure_reason(exc)}") from None
        if not stat.S_ISDIR(info.st_mode):
            yield self._file(self.root.name, info)
            return
        real_root = os.path.realpath(self.root)
        seen = {(info.st_dev, info.st_ino)}
        pending = [""]
        while pending:
            rel_dir = pending.pop()
            try:
                with os.scandir(self.root / rel_dir) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                yield self._problem(rel_dir or ".", "failed", failure_reason(exc))
                continue
            subdirs = []
            for entry in entries:
                rel_path = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    found = self._entry(entry, rel_path, real_root, seen)
                except OSError as exc:
                    found = self._problem(rel_path, "failed", failure_reason(exc))
                if found == _DIRECTORY:
                    subdirs.append(rel_path)
                elif found is not None:
                    yield found  # type: ignore[misc]
            pending.extend(reversed(subdirs))

    def _entry(
        self, entry: os.DirEntry[str], rel_path: str, real_root: str, seen: set[tuple[int, int]]
    ) -> FileInfo | ItemProblem | str | None:
        """A file, a problem, _DIRECTORY (descend) or None (ignore) for one directory entry."""
        if not _valid_name(rel_path):
            shown = rel_path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return self._problem(shown, "skipped", "file name is not valid UTF-8")
        if entry.is_symlink():
            if not self.follow_symlinks and not _within(os.path.realpath(entry.path), real_root):
                return self._problem(rel_path, "skipped", "symlink outside root")
            try:
                info = os.stat(entry.path)
            except OSError:
                return self._problem(rel_path, "skipped", "broken symlink")
            if stat.S_ISDIR(info.st_mode) and not self.follow_symlinks:
                return None  # inside the root: walked under its real path
        else:
            info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in seen or self._prune(rel_path):
                return None
            seen.add(key)
            return _DIRECTORY
        return self._file(rel_path, info)

    def _file(self, rel_path: str, info: os.stat_result) -> FileInfo | ItemProblem:
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "special file")
            return self._problem(rel_path, "skipped", f"not a regular file ({kind})")
        return FileInfo(rel_path, info.st_size, info.st_mtime, f"{info.st_mtime_ns}:{info.st_size}")

    def _problem(self, item_id: str, severity: Severity, reason: str) -> ItemProblem:
        return ItemProblem(item_id, severity, reason, source=self.source)


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
