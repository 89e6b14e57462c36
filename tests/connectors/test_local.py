"""LocalConnector: walking, symlinks, special files, permissions, patterns, URLs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, TextChunk
from piiscan.connectors.local import LocalConnector
from tests.connectors.conformance import ConnectorConformance, items_of, locations, problems, read_all
from tests.connectors.samples import make_tree, text_lines, write_text

REPO = Path(__file__).resolve().parents[2]


class TestLocalConformance(ConnectorConformance):
    @pytest.fixture
    def connector(self, tmp_path: Path) -> LocalConnector:
        return LocalConnector(str(make_tree(tmp_path / "root")))

    @pytest.fixture
    def change_item(self, connector: LocalConnector) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            path = connector.root / item.item_id
            stat = path.stat()
            path.write_bytes(path.read_bytes()[:-1] + b"X")  # same size: only mtime tells
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

        return change


class TestLocalSingleFileConformance(ConnectorConformance):
    unit_bytes = 200

    @pytest.fixture
    def connector(self, tmp_path: Path) -> LocalConnector:
        return LocalConnector(str(write_text(tmp_path / "one.txt", text_lines(40))))

    @pytest.fixture
    def change_item(self, connector: LocalConnector) -> Callable[[ItemRef], None]:
        return lambda item: write_text(connector.root, text_lines(41))


def entries(connector: LocalConnector) -> dict[str, ItemRef | ItemProblem]:
    return {entry.item_id: entry for entry in connector.enumerate()}


def test_items_are_relative_posix_paths_with_formats(tmp_path: Path) -> None:
    found = entries(LocalConnector(str(make_tree(tmp_path))))
    assert {k: v.fmt for k, v in found.items() if isinstance(v, ItemRef)} == {
        "data/doc.json": "json",
        "data/events.jsonl": "jsonl",
        "data/people.csv": "csv",
        "data/people.parquet": "parquet",
        "data/people.tsv": "tsv",
        "docs/notes.txt": "text",
        "docs/old.log.gz": "text",
        "docs/small.md": "text",
    }
    assert found["docs/old.log.gz"].compression == "gzip"  # type: ignore[union-attr]
    assert found["data/image.png"] == ItemProblem(
        "data/image.png", "skipped", "unsupported format .png", source=f"file://{tmp_path}", size=10
    )
    assert found["empty.txt"].reason == "empty file"  # type: ignore[union-attr]


def test_sqlite_files_in_a_folder_are_listed_as_databases(tmp_path: Path) -> None:
    for name in ("app.db", "History"):
        sqlite3.connect(tmp_path / name).execute("CREATE TABLE t (a)").connection.close()
    (tmp_path / "fake.db").write_text("not a database")
    connector = LocalConnector(str(tmp_path))
    found = entries(connector)
    assert {k: getattr(v, "fmt", None) for k, v in found.items()} == {
        "app.db": "sqlite",
        "History": "sqlite",
        "fake.db": None,
    }
    assert found["fake.db"].reason == "unsupported format .db"  # type: ignore[union-attr]
    assert connector.root_path == str(tmp_path)
    assert LocalConnector(str(tmp_path / "app.db")).root_path == str(tmp_path)
    (problem,) = read_all(connector, connector.plan(found["app.db"], 1))  # type: ignore[arg-type]
    assert (problem.severity, problem.reason) == ("skipped", "SQLite database: scan it as a sqlite:// source")


def test_fingerprint_is_mtime_ns_and_size(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.txt", ["x"])
    (item,) = items_of(LocalConnector(str(tmp_path)))
    stat = path.stat()
    assert item.fingerprint == f"{stat.st_mtime_ns}:{stat.st_size}"
    assert item.size == 2 and item.mtime == stat.st_mtime


def test_single_file_source_uses_file_name(tmp_path: Path) -> None:
    path = write_text(tmp_path / "one.txt", ["a", "b"])
    connector = LocalConnector(f"file://{path}")
    (item,) = items_of(connector)
    assert (item.item_id, item.source) == ("one.txt", f"file://{path}")
    (chunk,) = read_all(connector, connector.plan(item, 1 << 20))
    assert chunk.lines == ["a", "b"]


def test_file_url_and_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "root")
    monkeypatch.chdir(tmp_path)
    relative = LocalConnector("root")
    assert relative.source == f"file://{tmp_path}/root"
    assert LocalConnector(relative.source).root == relative.root
    assert LocalConnector(f"file://localhost{tmp_path}/root").root == relative.root
    with pytest.raises(ValueError):
        LocalConnector("file://otherhost/share")


def test_missing_root_is_a_source_error(tmp_path: Path) -> None:
    connector = LocalConnector(str(tmp_path / "nope"))  # constructing does no I/O
    with pytest.raises(SourceError, match=r"nope: does not exist$"):
        list(connector.enumerate())


def test_file_vanished_after_enumerate(tmp_path: Path) -> None:
    path = write_text(tmp_path / "gone.txt", ["x"])
    connector = LocalConnector(str(tmp_path))
    (item,) = items_of(connector)
    path.unlink()
    assert [(p.severity, p.reason) for p in read_all(connector, connector.plan(item, 100))] == [
        ("failed", "file vanished (no longer exists)")
    ]


def test_walk_order_is_sorted_and_deterministic(tmp_path: Path) -> None:
    for name in ["b.txt", "a/z.txt", "a/b/c.txt", "c.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_text(tmp_path / name, ["x"])
    assert [i.item_id for i in items_of(LocalConnector(str(tmp_path)))] == ["b.txt", "c.txt", "a/z.txt", "a/b/c.txt"]


# -- symlinks and special files ---------------------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    write_text(root / "sub" / "real.txt", ["inside"])
    write_text(outside / "secret.txt", ["outside"])
    (root / "to_outside.txt").symlink_to(outside / "secret.txt")
    (root / "to_outside_dir").symlink_to(outside)
    (root / "to_inside.txt").symlink_to(root / "sub" / "real.txt")
    (root / "to_sub").symlink_to(root / "sub")
    (root / "sub" / "loop").symlink_to(root)
    (root / "broken.txt").symlink_to(root / "missing.txt")
    return root


def test_symlinks_do_not_leave_the_root_by_default(linked: Path) -> None:
    found = entries(LocalConnector(str(linked)))
    assert {k for k, v in found.items() if isinstance(v, ItemRef)} == {"sub/real.txt", "to_inside.txt"}
    problems_by_id = {k: v.reason for k, v in found.items() if isinstance(v, ItemProblem)}
    assert problems_by_id == {
        "to_outside.txt": "symlink outside root",
        "to_outside_dir": "symlink outside root",
        "broken.txt": "broken symlink",
    }


def test_follow_symlinks_reads_outside_without_looping(linked: Path) -> None:
    connector = LocalConnector(str(linked), follow_symlinks=True)
    ids = {i.item_id for i in items_of(connector)}
    assert {"to_outside.txt", "to_outside_dir/secret.txt", "to_inside.txt"} <= ids
    assert len([i for i in ids if i.endswith("real.txt")]) == 1  # sub/ and to_sub/ are one directory


def test_fifo_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    found = entries(LocalConnector(str(tmp_path)))
    assert found["pipe.txt"].reason == "not a regular file (fifo)"  # type: ignore[union-attr]


# -- include / exclude ----------------------------------------------------------


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, {"a.csv", "a.txt", "d/b.csv", "d/e/c.csv", "skip/x.csv"}),
        (["*.csv"], None, {"a.csv", "d/b.csv", "d/e/c.csv", "skip/x.csv"}),
        (["d/**"], None, {"d/b.csv", "d/e/c.csv"}),
        (["**/*.csv"], ["skip"], {"a.csv", "d/b.csv", "d/e/c.csv"}),
        (None, ["skip/**", "*.txt"], {"a.csv", "d/b.csv", "d/e/c.csv"}),
        ("*.txt", None, {"a.txt"}),
        (["c.csv"], None, {"d/e/c.csv"}),
    ],
)
def test_include_and_exclude(tmp_path: Path, include: object, exclude: object, expected: set[str]) -> None:
    for name in ["a.csv", "a.txt", "d/b.csv", "d/e/c.csv", "skip/x.csv"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("id\n1\n")
    connector = LocalConnector(str(tmp_path), include=include, exclude=exclude)  # type: ignore[arg-type]
    assert {i.item_id for i in items_of(connector)} == expected


def test_excluded_directories_are_not_entered(tmp_path: Path) -> None:
    (tmp_path / "keep").mkdir()
    (tmp_path / "node_modules" / "locked").mkdir(parents=True)
    write_text(tmp_path / "keep" / "a.txt", ["x"])
    connector = LocalConnector(str(tmp_path), exclude=["node_modules"])
    visited: list[str] = []
    original = connector._prune

    def spy(rel_dir: str) -> bool:
        visited.append(rel_dir)
        return original(rel_dir)

    connector._prune = spy  # type: ignore[method-assign]
    assert [i.item_id for i in items_of(connector)] == ["keep/a.txt"]
    assert "node_modules/locked" not in visited


# -- permissions ------------------------------------------------------------------

_UNPRIVILEGED_SCAN = """
import json, os, sys
sys.path.insert(0, sys.argv[2])
from piiscan.connectors.local import LocalConnector
from tests.connectors.conformance import locations
import pyarrow.csv, pyarrow.parquet  # every lazy import happens before privileges drop
os.setgroups([])
os.setegid(65534)
os.seteuid(65534)  # user nobody: file permission checks now apply
connector = LocalConnector(sys.argv[1])
out = []
for entry in connector.enumerate():
    if hasattr(entry, "reason"):
        out.append(["problem", entry.item_id, entry.severity, entry.reason])
        continue
    for unit in connector.plan(entry, 1 << 20):
        for result in connector.read(unit):
            if hasattr(result, "reason"):
                out.append(["problem", result.item_id, result.severity, result.reason])
            else:
                out.extend(["row", entry.item_id, loc, None] for loc, _ in locations([result]))
print(json.dumps(out))
"""


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A directory user nobody can reach (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="piiscan-perm-"))
    path.chmod(0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir() and not sub.is_symlink():
            sub.chmod(0o755)
    shutil.rmtree(path)


def scan_unprivileged(root: Path) -> list[list[object]]:
    """Scan as a user the permission bits apply to: as nobody when running as root
    (in CI, where root reads through chmod 000), else as ourselves."""
    if os.geteuid() == 0:
        done = subprocess.run(
            [sys.executable, "-c", _UNPRIVILEGED_SCAN, str(root), str(REPO)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)
    out: list[list[object]] = []
    connector = LocalConnector(str(root))
    for entry in connector.enumerate():
        if isinstance(entry, ItemProblem):
            out.append(["problem", entry.item_id, entry.severity, entry.reason])
            continue
        for result in read_all(connector, connector.plan(entry, 1 << 20)):
            if isinstance(result, ItemProblem):
                out.append(["problem", result.item_id, result.severity, result.reason])
            else:
                out.extend(["row", entry.item_id, loc, None] for loc, _ in locations([result]))
    return out


def test_unreadable_file_and_directory_are_failed_problems(world_dir: Path) -> None:
    write_text(world_dir / "ok.txt", ["fine"])
    write_text(world_dir / "locked.txt", ["secret person@example.com"]).chmod(0o000)
    (world_dir / "closed").mkdir()
    write_text(world_dir / "closed" / "inner.txt", ["x"])
    (world_dir / "closed").chmod(0o000)
    (world_dir / "zlast").mkdir()
    write_text(world_dir / "zlast" / "after.txt", ["walking continued"])
    for path in (world_dir / "ok.txt", world_dir / "zlast", world_dir / "zlast" / "after.txt"):
        path.chmod(0o755 if path.is_dir() else 0o644)

    out = scan_unprivileged(world_dir)

    assert ["problem", "locked.txt", "failed", "permission denied"] in out
    assert ["problem", "closed", "failed", "permission denied"] in out
    assert ["row", "ok.txt", '{"line":1}', None] in out
    assert ["row", "zlast/after.txt", '{"line":1}', None] in out
    assert not any("example.com" in json.dumps(entry) for entry in out)


def test_locations_are_line_numbers(tmp_path: Path) -> None:
    write_text(tmp_path / "a.txt", ["one", "two"])
    connector = LocalConnector(str(tmp_path))
    (item,) = items_of(connector)
    results = read_all(connector, connector.plan(item, 1 << 20))
    assert isinstance(results[0], TextChunk)
    assert locations(results) == [('{"line":1}', "one"), ('{"line":2}', "two")]
    assert not problems(results)


def test_mtime_resolution_does_not_hide_a_rewrite(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.txt", ["one"])
    connector = LocalConnector(str(tmp_path))
    before = items_of(connector)[0].fingerprint
    time.sleep(0.01)
    write_text(path, ["two", "three"])
    assert items_of(connector)[0].fingerprint != before
