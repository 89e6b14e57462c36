"""The HMAC key that turns identifiers into subject keys.

The key never lives inside the index: it comes from ``PIISCAN_HMAC_KEY`` (hex)
or a key file (default ``~/.config/piiscan/hmac.key``) created with mode 0600 on
first use.  Whoever holds the index but not the key cannot test guesses of
e-mail addresses against it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from piiscan.index.storage import Store, StoreError, is_remote

KEY_ENV = "PIISCAN_HMAC_KEY"
KEY_FILE_ENV = "PIISCAN_KEY_FILE"
KEY_BYTES = 32
SUBJECT_KEY_HEX = 32

log = logging.getLogger("piiscan.keys")


def _announce(where: str) -> None:
    """Said once, when a key is created: where it is, and that the index is useless without it."""
    log.warning(
        "created a new HMAC key at %s; back it up (e.g. in a password manager or a secrets store): "
        "an index can only be read with the key it was built with, and without it every scan must be redone",
        where,
    )


class HmacKeyError(Exception):
    """The key is missing, malformed or unreadable (one-line message)."""


def default_key_file() -> Path:
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "piiscan" / "hmac.key"


def load_key(key_file: Path | str | None = None, create: bool = True, endpoint_url: str | None = None) -> bytes:
    """Return the key from the environment or the key file, creating the file if asked.

    The key file may be on object storage (``s3://bucket/secrets/hmac.key``, reached through
    ``endpoint_url``), so that cluster workers and a laptop share it; keep that bucket apart from the
    index's, with its own access policy: whoever holds both can test guesses against the index.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        try:
            key = bytes.fromhex(env.strip())
        except ValueError as exc:
            raise HmacKeyError(f"{KEY_ENV} must be hex (64 hex digits)") from exc
        if len(key) < 16:
            raise HmacKeyError(f"{KEY_ENV} is too short: at least 16 bytes (32 hex digits)")
        return key
    if key_file is not None and is_remote(key_file):
        return _remote_key(str(key_file), create, endpoint_url)
    path = Path(key_file) if key_file is not None else default_key_file()
    if path.exists():
        try:
            text = path.read_text()
        except OSError as exc:
            raise HmacKeyError(f"{path}: cannot read HMAC key ({type(exc).__name__})") from exc
        return _parse_key(text, str(path))
    if not create:
        raise HmacKeyError(f"{path}: no HMAC key (set {KEY_ENV} or pass --key-file)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    _announce(str(path))
    return key


def key_id(key: bytes) -> str:
    """A public fingerprint of the key, stored in the index to detect a wrong key."""
    return hmac.new(key, b"piiscan key id v1", hashlib.sha256).hexdigest()[:16]


class SubjectHasher:
    """Keyed hashes of normalised identifiers: the subject keys of the index."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def subject_key(self, entity_type: str, normalised: str) -> str:
        """HMAC-SHA256 truncated to 128 bits (32 hex digits): collision-free at any
        realistic number of subjects, and half the index size of the full digest."""
        message = f"{entity_type}\x1f{normalised}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:SUBJECT_KEY_HEX]

    def token(self, purpose: str, value: str) -> str:
        """Keyed hash of a non-identifier value (e.g. an item path holding PII)."""
        return hmac.new(self._key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]


def row_key(hasher: SubjectHasher, source: str, item: str, locator: str) -> str:
    """Keyed hash of a row (source, item label, locator JSON): how references find the rows they point at."""
    return hasher.token("row", f"{source}\x1f{item}\x1f{locator}")


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise HmacKeyError(f"{where}: cannot read HMAC key (not hex)") from exc
    if len(key) < 16:
        raise HmacKeyError(f"{where}: HMAC key too short")
    return key


def _remote_key(location: str, create: bool, endpoint_url: str | None) -> bytes:
    """A key file on object storage: read it, or create it once (a conditional PUT, so two first runs
    cannot create two different keys)."""

    folder, _, name = location.rstrip("/").rpartition("/")
    if not name or folder.endswith(":/"):
        raise HmacKeyError(f"{location}: name the key object, e.g. s3://bucket/secrets/hmac.key")
    store = Store(folder, endpoint_url)
    try:
        return _parse_key(store.read_bytes(name).decode("ascii", "replace"), location)
    except FileNotFoundError:
        if not create:
            raise HmacKeyError(f"{location}: no HMAC key (set {KEY_ENV} or pass --key-file)") from None
    except StoreError as exc:
        raise HmacKeyError(str(exc)) from None
    key = secrets.token_bytes(KEY_BYTES)
    try:
        if store.create_exclusive((key.hex() + "\n").encode(), name):
            _announce(location)
            return key
        return _parse_key(store.read_bytes(name).decode("ascii", "replace"), location)  # another process won
    except StoreError as exc:
        raise HmacKeyError(str(exc)) from None
