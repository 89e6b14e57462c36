"""Where the index (and the HMAC key) live: a local folder, or an object-store prefix.

``s3://bucket/prefix`` puts the index on S3 or any S3-compatible store (MinIO, Ceph, R2, a local test
server), so a scan on a cluster and a lookup from a laptop share one index.  The layout is the same in both
places (see :mod:`piiscan.index.store`); only how a file is written differs: locally a file is written under a
temporary name and renamed, on S3 an object appears whole when its single PUT completes, so readers never
see half a file either way.  pyarrow's S3 filesystem reads and lists (Parquet range reads that skip row
groups); boto3 writes and deletes, one PUT per file.  Credentials come from the standard AWS chain
(environment, shared config, instance role); the endpoint from ``endpoint_url``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

#: Rows per Parquet row group: lookups skip row groups by their min/max subject key.
ROW_GROUP_SIZE = 16_384
REMOTE_SCHEMES = ("s3",)


def is_remote(location: str | Path) -> bool:
    """Whether ``location`` names an object store (``s3://...``) rather than a local path."""
    return str(location).partition("://")[0].lower() in REMOTE_SCHEMES and "://" in str(location)


class StoreError(OSError):
    """The store cannot be reached or used (one line naming the location, no credentials)."""


class Store:
    """A folder-like place, local or on S3: list, read and write files by paths relative to its root."""

    def __init__(self, location: str | Path, endpoint_url: str | None = None) -> None:
        self.location = str(location).rstrip("/") or str(location)
        self.endpoint_url = endpoint_url
        if is_remote(location):
            self.remote = True
            self.base = self.location.partition("://")[2].strip("/")
            if not self.base:
                raise StoreError(f"{location}: name a bucket (s3://bucket/prefix)")
            self.fs: pafs.FileSystem = pafs.S3FileSystem(**_s3_options(endpoint_url))
        else:
            if "://" in str(location) and not str(location).startswith("file://"):
                raise StoreError(f"{location}: an index lives in a local folder or at s3://bucket/prefix")
            self.remote = False
            path = str(location).removeprefix("file://")
            self.base = os.path.abspath(os.path.expanduser(path))
            self.fs = pafs.LocalFileSystem()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    def __str__(self) -> str:
        return self.location

    def __getstate__(self) -> dict[str, Any]:  # the filesystem object is rebuilt, not pickled
        return {"location": self.location, "endpoint_url": self.endpoint_url}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["location"], state["endpoint_url"])  # type: ignore[misc]

    # -- paths -------------------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        """Full path (in ``self.fs``) of a file under the root."""
        return "/".join([self.base, *(p.strip("/") for p in parts if p)])

    def display(self, *parts: str) -> str:
        """Where a file is, for messages: ``s3://bucket/prefix/x`` or ``/path/x``."""
        return "/".join([self.location, *parts]) if parts else self.location

    def relative(self, path: str) -> str:
        return path[len(self.base) :].lstrip("/")

    # -- reading -----------------------------------------------------------------------------------
    def exists(self, *parts: str) -> bool:
        return self._info(self.path(*parts)).type != pafs.FileType.NotFound

    def read_bytes(self, *parts: str) -> bytes:
        """The file's content; FileNotFoundError when absent, StoreError when the store fails."""
        path = self.path(*parts)
        try:
            with self.fs.open_input_stream(path) as stream:
                return stream.read()
        except FileNotFoundError:
            raise
        except OSError as exc:
            if "not exist" in str(exc).lower() or "nosuchkey" in str(exc).lower().replace(" ", ""):
                raise FileNotFoundError(self.display(*parts)) from None
            raise StoreError(f"{self.display(*parts)}: cannot read ({_first_line(exc)})") from None

    def read_json(self, *parts: str) -> Any:
        return json.loads(self.read_bytes(*parts))

    def files(self, *parts: str, suffix: str = "") -> list[str]:
        """Full paths of the files under a folder (recursively), sorted; dot-files (temporaries) left out."""
        base = self.path(*parts)
        selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except OSError as exc:
            raise StoreError(f"{self.display(*parts)}: cannot list ({_first_line(exc)})") from None
        return sorted(
            i.path
            for i in infos
            if i.type == pafs.FileType.File and i.path.endswith(suffix) and not i.base_name.startswith(".")
        )

    def temporaries(self) -> list[str]:
        """Half-written ``.NAME.tmp-PID`` files a killed local writer left behind (none on S3)."""
        if self.remote:
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(self.base, recursive=True, allow_not_found=True))
        return [
            i.path
            for i in infos
            if i.type == pafs.FileType.File and i.base_name.startswith(".") and ".tmp-" in i.base_name
        ]

    def read_parquet(
        self, path: str, schema: pa.Schema, filters: Any = None, columns: list[str] | None = None
    ) -> pa.Table:
        return pq.read_table(path, schema=schema, filters=filters, columns=columns, filesystem=self.fs)

    # -- writing -----------------------------------------------------------------------------------
    def write_bytes(self, data: bytes, *parts: str) -> None:
        """Write a whole file so that readers see the old content or the new, never a part."""
        if self.remote:
            self._put(data, *parts)
            return
        with self._local_write(parts) as tmp:
            tmp.write_bytes(data)

    def write_parquet(self, table: pa.Table, *parts: str) -> None:
        """Write a Parquet segment (zstd, statistics on for row-group skipping), atomically as above."""
        options = {"row_group_size": ROW_GROUP_SIZE, "compression": "zstd", "write_statistics": True}
        if self.remote:
            buffer = pa.BufferOutputStream()
            pq.write_table(table, buffer, **options)
            self._put(buffer.getvalue().to_pybytes(), *parts)
            return
        with self._local_write(parts) as tmp:
            pq.write_table(table, tmp, **options)

    @contextlib.contextmanager
    def _local_write(self, parts: tuple[str, ...]) -> Iterator[Path]:
        """A temporary path next to the file, renamed over it when the block ends.  A failed write (a
        full disk, a quota) removes the temporary file and is one line naming the store and the file."""
        target = Path(self.path(*parts))
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(f"{self.location}: cannot write {'/'.join(parts)}: {_write_reason(exc)}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def delete(self, path: str) -> None:
        """Delete a file by full path; a file already gone is fine."""
        if self.remote:  # (pyarrow would also leave a folder-marker object behind)
            bucket, _, key = path.partition("/")
            try:
                self._client().delete_object(Bucket=bucket, Key=key)
            except Exception as exc:
                raise StoreError(f"{self.display(self.relative(path))}: cannot delete ({_error_code(exc)})") from None
            return
        try:
            self.fs.delete_file(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            if self._info(path).type != pafs.FileType.NotFound:
                raise StoreError(f"{self.display(self.relative(path))}: cannot delete ({_first_line(exc)})") from None

    def create_exclusive(self, data: bytes, *parts: str, mode: int = 0o644) -> bool:
        """Create a file only if it does not exist (a lock, a new key): False when it already does.

        Locally O_CREAT|O_EXCL; on S3 a conditional PUT (``If-None-Match: *``), which S3 and the S3-compatible
        stores that support it evaluate atomically.
        """
        if not self.remote:
            target = Path(self.path(*parts))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return True
        bucket, _, key = self.path(*parts).partition("/")
        try:
            self._client().put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
        except Exception as exc:
            code = _error_code(exc)
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                return False
            raise StoreError(f"{self.display(*parts)}: cannot create ({code})") from None
        return True

    def _put(self, data: bytes, *parts: str) -> None:
        """One PUT: the object appears whole or not at all (no multipart upload to leave half done)."""
        bucket, _, key = self.path(*parts).partition("/")
        try:
            self._client().put_object(Bucket=bucket, Key=key, Body=data)
        except Exception as exc:
            raise StoreError(f"{self.display(*parts)}: cannot write ({_error_code(exc)})") from None

    def _client(self) -> Any:
        """A boto3 S3 client for writes (pyarrow's filesystem reads and lists); made once per Store."""
        client = self.__dict__.get("_s3_client")
        if client is None:
            import boto3

            options = _s3_options(self.endpoint_url)
            endpoint = None
            if "endpoint_override" in options:
                endpoint = f"{options.get('scheme', 'https')}://{options['endpoint_override']}"
            client = self.__dict__["_s3_client"] = boto3.client(
                "s3", endpoint_url=endpoint, region_name=options["region"]
            )
        return client

    def _info(self, path: str) -> pafs.FileInfo:
        try:
            return self.fs.get_file_info(path)
        except OSError as exc:
            raise StoreError(f"{self.display(self.relative(path))}: cannot reach ({_first_line(exc)})") from None


#: Modes of what piiscan writes about people (reports, plans, exports, audits): the owner's only.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """``path`` as a folder, creating it and any missing parents with mode 0700; a folder that exists
    already keeps its mode (it is the user's, perhaps shared on purpose)."""
    folder = Path(path)
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        created.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(created, PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask
    return folder


def write_private(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically with mode 0600 from the first byte: a
    temporary name in the same folder, then a rename, so readers never see half a report.  The folder
    is made with :func:`private_dir` if missing."""
    target = Path(path)
    private_dir(target.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # a leftover temporary file keeps its old mode otherwise
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _s3_options(endpoint_url: str | None) -> dict[str, Any]:
    """pyarrow S3FileSystem options: the endpoint, and the region named explicitly (pyarrow would otherwise
    ask AWS which region a bucket is in, a network call to the internet)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    options: dict[str, Any] = {"region": region}
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        scheme, _, rest = endpoint.partition("://")
        options["endpoint_override"] = rest.rstrip("/") if rest else endpoint
        options["scheme"] = scheme if rest else "https"
    return options


def _error_code(exc: BaseException) -> str:
    """An S3 error's code (AccessDenied, NoSuchBucket...), else the exception's type: never its message,
    which may carry request details."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code or type(exc).__name__


def _write_reason(exc: OSError) -> str:
    """Why a local write failed, from its errno (pyarrow's messages run over several lines)."""
    number = exc.errno
    if number is None:  # pyarrow puts the errno in its text only: "[errno 28] No space left on device"
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        number = int(found.group(1)) if found else None
    if number in (errno.ENOSPC, errno.EDQUOT):
        return f"{os.strerror(number).lower()} (free space there, or point --index elsewhere)"
    if number is not None:
        return f"{os.strerror(number).lower()} ({errno.errorcode.get(number, number)})"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
