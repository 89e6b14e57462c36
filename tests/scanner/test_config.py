from pathlib import Path

import pytest

from piiscan.scanner.config import ConfigError, load_config


def test_defaults_then_file_then_command_line(tmp_path):
    config_file = tmp_path / "piiscan.toml"
    config_file.write_text(
        '[scan]\nworkers = 3\nindex = "idx"\nsources = ["a", "b"]\n'
        '[detectors]\ndefault_region = "US"\nphone_regions = ["US", "CA"]\nner = false\n'
    )
    from_file = load_config(config_file)
    assert from_file.workers == 3
    assert from_file.index == Path("idx")
    assert from_file.sources == ("a", "b")
    assert from_file.detectors.default_region == "US"
    assert from_file.detectors.phone_regions == ("US", "CA")
    assert from_file.detectors.ner is False
    layered = load_config(config_file, {"workers": 1, "index": None, "detectors.default_region": "GB"})
    assert layered.workers == 1  # command line beats file
    assert layered.index == Path("idx")  # unset flag does not mask the file
    assert layered.detectors.default_region == "GB"
    assert layered.detectors.ner is False


def test_settings_fingerprint_changes_with_detector_settings(tmp_path):
    base = load_config(None, {})
    other = load_config(None, {"detectors.default_region": "US"})
    assert base.detectors.fingerprint() != other.detectors.fingerprint()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[scan]\nworkers = 0\n", "workers"),
        ("[scan]\nbogus = 1\n", "unknown setting 'bogus'"),
        ("[detectors]\nbogus = 1\n", "unknown detector setting 'bogus'"),
        ("[nonsense]\n", "unknown section"),
        ("[scan\n", "cannot read config"),
    ],
)
def test_invalid_config_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "piiscan.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_explicit_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
