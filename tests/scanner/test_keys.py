import os
import stat

import pytest

from piiscan.index.keys import KEY_ENV, HmacKeyError, SubjectHasher, key_id, load_key


def test_key_file_created_with_mode_0600_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "conf" / "hmac.key"
    first = load_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path) == first
    assert len(first) == 32


def test_environment_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    assert load_key(tmp_path / "unused.key") == bytes.fromhex("ab" * 32)
    assert not (tmp_path / "unused.key").exists()


@pytest.mark.parametrize("value", ["zz" * 32, "ab" * 4])
def test_bad_environment_key_is_a_one_line_error(monkeypatch, value):
    monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(HmacKeyError) as err:
        load_key()
    assert "\n" not in str(err.value)


def test_missing_key_without_create(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(HmacKeyError, match="no HMAC key"):
        load_key(tmp_path / "absent.key", create=False)


def test_subject_keys_are_keyed_and_typed():
    a, b = SubjectHasher(b"k" * 32), SubjectHasher(b"j" * 32)
    email = "alice@example.com"
    assert a.subject_key("EMAIL_ADDRESS", email) == a.subject_key("EMAIL_ADDRESS", email)
    assert a.subject_key("EMAIL_ADDRESS", email) != b.subject_key("EMAIL_ADDRESS", email)
    assert a.subject_key("EMAIL_ADDRESS", email) != a.subject_key("PERSON", email)
    assert email not in a.subject_key("EMAIL_ADDRESS", email)
    assert key_id(b"k" * 32) != key_id(b"j" * 32)
