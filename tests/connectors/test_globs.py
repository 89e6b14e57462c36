"""Include/exclude pattern semantics (a table, as detector tests are)."""

from __future__ import annotations

import pytest

from piiscan.connectors.globs import glob_match, prune_directory, selected


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a.csv", "*.csv", True),
        ("x/y/a.csv", "*.csv", True),  # fnmatch: * also matches /
        ("x/y/a.csv", "**/*.csv", True),
        ("a.csv", "**/*.csv", True),  # **/ matches zero directories
        ("data/a/b.txt", "data/**", True),
        ("data/a/b.txt", "data/**/b.txt", True),
        ("data/b.txt", "data/**/b.txt", True),
        ("other/data/b.txt", "data/**", False),
        ("x/secret.txt", "secret.txt", True),  # no / in the pattern: the base name counts too
        ("x/secret.txt", "x/secret.txt", True),
        ("y/x/secret.txt", "x/secret.txt", False),
        ("A.CSV", "*.csv", False),  # case-sensitive
        ("a.csv", "?.csv", True),
        ("a.csv", "[ab].csv", True),
    ],
)
def test_glob_match(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected


def test_selected() -> None:
    assert selected("a.csv", (), ())
    assert selected("a.csv", ("*.csv",), ("tmp/**",))
    assert not selected("tmp/a.csv", ("*.csv",), ("tmp/**",))
    assert not selected("a.txt", ("*.csv",), ())


@pytest.mark.parametrize(
    ("directory", "exclude", "expected"),
    [
        (".git", [".git/**"], True),
        ("a/node_modules", ["node_modules"], True),
        ("data", ["data/*.csv"], False),
        ("build", ["*.log"], False),
    ],
)
def test_prune_directory(directory: str, exclude: list[str], expected: bool) -> None:
    assert prune_directory(directory, exclude) is expected
