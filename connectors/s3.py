"""Amazon S3 and S3-compatible stores: the objects under ``s3://bucket/prefix``.

Built on :class:`piiscan.connectors.files.FileConnector` like local files: this module
only lists objects (``_walk``) and opens one as a seekable stream (``_open``);
formats, work units and reading are the shared file code, so CSV, JSON,
Parquet, text and gzip behave exactly as on disk.

Item ids are the keys relative to the prefix, which is taken as a folder
(``s3://b/data`` lists ``data/...``); when nothing is under it and the prefix
names one object, that object is the source and its item id is its base name
(as a single local file).  Keys ending in ``/`` (folder markers) are ignored.

Objects are never downloaded whole: :class:`S3ObjectFile` serves ``read``,
``seek`` and ``tell`` from ranged GETs streamed as they are consumed, with a
read-ahead that starts at 64 KiB after a seek (Parquet footers and column
chunks, newline searches when planning) and doubles up to 8 MiB while reading
on (text and CSV bodies).  Only a gzipped Parquet object is spooled, by the
shared reader, because it needs random access to the decompressed bytes.

Credentials come from boto3's standard chain (environment, shared config and
``profile``, instance roles); the endpoint from ``endpoint_url`` or the
``AWS_ENDPOINT_URL`` variable boto3 honours itself.  Requests are retried in
botocore's adaptive mode (5 attempts).  Objects in GLACIER or DEEP_ARCHIVE
that are not restored are skipped; an object that cannot be read (access
denied, throttled after the retries) fails on its own with a reason naming the
key; an unusable bucket, endpoint or credentials is a SourceError.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError
from piiscan.connectors.files import SQLITE, FileConnector, FileInfo, FileOptions
from piiscan.connectors.formats.common import ReadFailure
from piiscan.connectors.globs import selected

ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})  # need a restore before a GET (GLACIER_IR does not)
RETRIES = {"mode": "adaptive", "max_attempts": 5}
FIRST_READAHEAD = 64 << 10
MAX_READAHEAD = 8 << 20
_DENIED = frozenset({"AccessDenied", "403", "AllAccessDisabled"})
_THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"})
_BAD_CREDENTIALS = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"})


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix``; credentials are not accepted in the URL."""
    if not url.lower().startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if "@" in bucket or ":" in bucket:
        raise ValueError("an s3:// URL names a bucket only; credentials come from the AWS credential chain")
    if not bucket:
        raise ValueError(f"s3 URL must name a bucket: {url!r}")
    return bucket, prefix


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore error (``AccessDenied``, ``NoSuchBucket``...) or its type name."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "error")
    return type(exc).__name__


def object_failure(key: str, exc: BaseException) -> ReadFailure:
    """A one-line ReadFailure naming the key (never a message from the server, which might quote data)."""
    code = error_code(exc)
    if code in _DENIED:
        reason = f"access denied to object {key} ({code})"
    elif code in _THROTTLED:
        reason = f"throttled reading object {key} after {RETRIES['max_attempts']} attempts ({code})"
    elif code in ("NoSuchKey", "404"):
        reason = f"object {key} vanished (no longer exists)"
    elif code == "InvalidObjectState":
        reason = f"object {key} is archived and needs a restore ({code})"
    else:
        reason = f"cannot read object {key} ({code})"
    return ReadFailure(reason)


class S3ObjectFile(io.RawIOBase):
    """A read-only, seekable view of one S3 object over ranged, streamed GETs (see the module doc)."""

    def __init__(self, client: Any, bucket: str, key: str, size: int | None = None) -> None:
        super().__init__()
        self._client = client
        self._bucket = bucket
        self._key = key
        self._size = size
        self._pos = 0
        self._body: Any = None  # the streaming body of the current GET
        self._body_end = 0  # offset just after the bytes that GET covers
        self._readahead = FIRST_READAHEAD

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    @property
    def size(self) -> int:
        if self._size is None:
            try:
                self._size = int(self._client.head_object(Bucket=self._bucket, Key=self._key)["ContentLength"])
            except (ClientError, BotoCoreError) as exc:
                raise object_failure(self._key, exc) from None
        return self._size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._pos:
            self._drop_body()
            self._readahead = FIRST_READAHEAD
            self._pos = target
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        if want == 0 or (self._size is not None and self._pos >= self._size):
            return 0
        if (self._body is None or self._pos >= self._body_end) and not self._request(want):
            return 0
        try:
            data = self._body.read(min(want, self._body_end - self._pos))
        except (ClientError, BotoCoreError) as exc:
            self._drop_body()
            raise object_failure(self._key, exc) from None
        if not data:
            self._drop_body()
            raise ReadFailure(f"object {self._key} ended early (changed while reading?)")
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _request(self, want: int) -> bool:
        """Start a GET at the position; False at the end of the object."""
        if self._body is not None:  # the previous range was read to its end: reading on
            self._drop_body()
            self._readahead = min(self._readahead * 2, MAX_READAHEAD)
        end = self._pos + max(want, self._readahead)
        if self._size is not None:
            end = min(end, self._size)
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{end - 1}")
        except ClientError as exc:
            if error_code(exc) in ("InvalidRange", "416"):
                self._size = self._pos if self._size is None else self._size
                return False
            raise object_failure(self._key, exc) from None
        except BotoCoreError as exc:
            raise object_failure(self._key, exc) from None
        total = str(response.get("ContentRange", "")).rpartition("/")[2]
        if total.isdigit():
            self._size = int(total)
        self._body = response["Body"]
        self._body_end = self._pos + int(response.get("ContentLength", end - self._pos))
        return self._body_end > self._pos

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


@dataclass(frozen=True)
class S3Options(FileOptions):
    """``include`` and ``exclude`` match the keys relative to the prefix."""

    endpoint_url: str | None = field(
        default=None, metadata={"doc": "URL of an S3-compatible store (MinIO, Ceph, R2); else AWS_ENDPOINT_URL"}
    )
    region: str | None = field(default=None, metadata={"doc": "AWS region of the bucket (else boto3's default)"})
    profile: str | None = field(default=None, metadata={"doc": "profile of the shared AWS config to sign in with"})


class S3Connector(FileConnector):
    """Objects under ``s3://bucket/prefix``."""

    schemes = ("s3",)
    options_class = S3Options
    options: S3Options

    def __init__(self, url: str, options: S3Options | None = None, **values: Any) -> None:
        super().__init__(url, options, **values)
        self.bucket, self.prefix = parse_s3_url(url)
        self.endpoint_url = self.options.endpoint_url
        self.region = self.options.region
        self.profile = self.options.profile
        self.folder = self.prefix if not self.prefix or self.prefix.endswith("/") else self.prefix + "/"
        self._single_key: str | None = None  # set by _walk when the prefix names one object
        self._conn_client: Any = None

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _client(self) -> Any:
        if self._conn_client is None:
            session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            self._conn_client = session.client(
                "s3",
                endpoint_url=self.endpoint_url,
                config=Config(retries=RETRIES),
            )
        return self._conn_client

    def close(self) -> None:
        client, self._conn_client = self._conn_client, None
        if client is not None:
            client.close()

    def _key(self, rel_path: str) -> str:
        return self._single_key if self._single_key is not None else self.folder + rel_path

    def item_identity(self, item_id: str) -> str:
        """Endpoint, bucket and key: the same object whatever prefix (``p``, ``p/``, ``p/sub``) reached it."""
        return f"s3://{self.endpoint_url or ''}\x1f{self.bucket}/{self._key(item_id)}"

    def _open(self, rel_path: str) -> BinaryIO:
        try:
            client = self._client()
        except (BotoCoreError, ValueError) as exc:
            raise ReadFailure(f"cannot open a client for {self.source} ({type(exc).__name__})") from None
        return cast(BinaryIO, S3ObjectFile(client, self.bucket, self._key(rel_path)))  # a raw binary stream

    def current(self, item_id: str) -> ItemRef | ItemProblem | None:
        """One listing request for the key (the same fields, so the same fingerprint, as :meth:`enumerate`),
        or a HEAD when the source is one object."""
        if not item_id or not selected(item_id, self.include, self.exclude) or self._in_excluded_folder(item_id):
            return None
        key = self.folder + item_id
        try:
            listed = self._client().list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1).get("Contents", ())
            if listed and listed[0]["Key"] == key:
                found = list(self._object(item_id, listed[0]))
            elif self.folder != self.prefix and item_id == self.prefix.rpartition("/")[2]:
                found = list(self._single_object())
            else:
                return None
        except (ClientError, BotoCoreError, ValueError) as exc:
            return ItemProblem(item_id, "failed", f"cannot look up object ({error_code(exc)})", source=self.source)
        if not found:
            return None
        entry = found[0]
        return self._classify(entry) if isinstance(entry, FileInfo) else entry

    # -- listing --------------------------------------------------------------

    def _walk(self) -> Iterator[FileInfo | ItemProblem]:
        try:
            client = self._client()
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.folder)
            found = False
            for page in pages:
                for obj in page.get("Contents", ()):
                    rel_path = obj["Key"][len(self.folder) :]
                    if rel_path and not rel_path.endswith("/"):
                        found = True
                        yield from self._object(rel_path, obj)
            if not found and self.folder != self.prefix:
                yield from self._single_object()
        except (ClientError, BotoCoreError, ValueError) as exc:
            raise SourceError(f"{self.source}: {self._listing_reason(exc)}") from None

    def _single_object(self) -> Iterator[FileInfo | ItemProblem]:
        """The prefix as one object's key, when there is such an object."""
        try:
            head = self._client().head_object(Bucket=self.bucket, Key=self.prefix)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return
            raise
        self._single_key = self.prefix
        obj = {
            "Key": self.prefix,
            "Size": head["ContentLength"],
            "LastModified": head["LastModified"],
            "ETag": head.get("ETag", ""),
            "StorageClass": head.get("StorageClass", "STANDARD"),
            "Restore": head.get("Restore"),
        }
        yield from self._object(self.prefix.rpartition("/")[2], obj)

    def _object(self, rel_path: str, obj: dict[str, Any]) -> Iterator[FileInfo | ItemProblem]:
        if not selected(rel_path, self.include, self.exclude) or self._in_excluded_folder(rel_path):
            return
        size = int(obj["Size"])
        storage = obj.get("StorageClass") or "STANDARD"
        if storage in ARCHIVED and not self._restored(obj):
            reason = f"storage class {storage} needs a restore"
            yield ItemProblem(rel_path, "skipped", reason, source=self.source, size=size)
            return
        modified = obj["LastModified"]
        etag = str(obj.get("ETag", "")).strip('"')
        yield FileInfo(rel_path, size, modified.timestamp(), f"{etag}:{size}:{modified.isoformat()}")

    def _classify(self, info: FileInfo) -> ItemRef | ItemProblem:
        found = super()._classify(info)
        if isinstance(found, ItemRef) and found.fmt == SQLITE:  # no local path to open it as a sqlite:// source
            return self._file_problem(info, "skipped", "SQLite database in S3: copy it locally to scan it")
        return found

    def _in_excluded_folder(self, rel_path: str) -> bool:
        """Whether an exclude pattern names a folder the key is in (``build`` excludes ``build/x.txt``)."""
        parts = rel_path.split("/")[:-1]
        return any(self._prune("/".join(parts[: i + 1])) for i in range(len(parts)))

    def _restored(self, obj: dict[str, Any]) -> bool:
        """Whether an archived object has a finished restore (its ``Restore`` header, from a HEAD)."""
        restore = obj.get("Restore")
        if restore is None and "Restore" not in obj:
            try:
                restore = self._client().head_object(Bucket=self.bucket, Key=obj["Key"]).get("Restore")
            except (ClientError, BotoCoreError):
                return False  # reading it would fail the same way; skipped as archived
        return isinstance(restore, str) and 'ongoing-request="false"' in restore

    def _listing_reason(self, exc: BaseException) -> str:
        if isinstance(exc, NoCredentialsError):
            return "no AWS credentials found (environment, shared config, profile or instance role)"
        if isinstance(exc, ProfileNotFound):
            return "AWS profile not found (ProfileNotFound)"
        if isinstance(exc, ValueError):
            return f"invalid S3 client settings ({type(exc).__name__})"
        code = error_code(exc)
        if code in ("NoSuchBucket", "404"):
            return f"bucket does not exist ({code})"
        if code in _DENIED:
            return f"access denied listing the bucket ({code})"
        if code in _BAD_CREDENTIALS:
            return f"credentials rejected ({code})"
        if code in _THROTTLED:
            return f"throttled while listing, after {RETRIES['max_attempts']} attempts ({code})"
        if isinstance(exc, BotoCoreError):
            endpoint = self.endpoint_url or "the S3 endpoint"
            return f"cannot reach {endpoint} ({code})"
        return f"listing failed ({code})"
