"""SMBConnector against a real Samba smbd on loopback (a private smb.conf, a free port): listing, the
shared file formats, unreadable files and folders, source errors, pickling, and the command line."""

from __future__ import annotations

import os
import pickle
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from piiscan.connectors.base import ItemProblem, ItemRef, SourceError, WorkUnit
from piiscan.connectors.local import LocalConnector
from piiscan.connectors.registry import open_source
from piiscan.connectors.smb import PASSWORD_VARIABLE, SMBConnector, parse_smb_url
from tests.conftest import lookup_json, run_cli
from tests.connectors.conformance import ConnectorConformance, items_of, locations, problems, read_all
from tests.connectors.samples import csv_rows, make_tree, text_lines
from tests.db_support import unavailable

USER = "piiscan_smb"
PASSWORD = "Smb-test-pw-7f3a"
SHARE = "share"


@dataclass(frozen=True)
class Server:
    port: int
    root: Path  # the share's folder on the local disk

    def url(self, path: str = "", user: str = USER) -> str:
        return f"smb://{user}@127.0.0.1:{self.port}/{SHARE}" + (f"/{path}" if path else "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _smb_user() -> None:
    """The unix account Samba maps the SMB user to: created when missing (needs root)."""
    try:
        pwd.getpwnam(USER)
        return
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if os.geteuid() != 0 or not os.path.exists(useradd):
        unavailable(f"SMB tests need a unix user {USER!r} (create it, or run as root to have it created)")
    subprocess.run([useradd, "-M", "-s", "/usr/sbin/nologin", USER], check=True, capture_output=True)


def _wait_for_port(proc: subprocess.Popen, port: int, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"smbd exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"smbd did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    smbd = shutil.which("smbd") or ("/usr/sbin/smbd" if os.path.exists("/usr/sbin/smbd") else None)
    smbpasswd = shutil.which("smbpasswd") or "/usr/bin/smbpasswd"
    if smbd is None or not os.path.exists(smbpasswd):
        unavailable("Samba's smbd/smbpasswd are not installed (apt-get install samba)")
    _smb_user()
    base = Path(tempfile.mkdtemp(prefix="piiscan-smb-"))
    try:
        base.chmod(0o755)  # the SMB user must traverse to the share
        root = base / "root"
        root.mkdir(mode=0o755)
        state = {name: base / name for name in ("private", "lock", "state", "cache", "pid", "ncalrpc", "log")}
        for folder in state.values():
            folder.mkdir()
        port = _free_port()
        conf = base / "smb.conf"
        conf.write_text(
            "[global]\n"
            f"smb ports = {port}\n"
            "interfaces = 127.0.0.1\n"
            "bind interfaces only = yes\n"
            "disable netbios = yes\n"
            "server role = standalone server\n"
            "map to guest = never\n"
            "load printers = no\n"
            "printcap name = /dev/null\n"
            f"private dir = {state['private']}\n"
            f"lock directory = {state['lock']}\n"
            f"state directory = {state['state']}\n"
            f"cache directory = {state['cache']}\n"
            f"pid directory = {state['pid']}\n"
            f"ncalrpc dir = {state['ncalrpc']}\n"
            f"log file = {state['log']}/log.%m\n"
            f"[{SHARE}]\n"
            f"path = {root}\n"
            "read only = yes\n"
        )
        subprocess.run(
            [smbpasswd, "-c", str(conf), "-s", "-a", USER],
            input=f"{PASSWORD}\n{PASSWORD}\n",
            text=True,
            check=True,
            capture_output=True,
        )
        log = state["log"] / "smbd.out"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [smbd, "--foreground", "--no-process-group", f"--configfile={conf}"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # smbd signals its whole process group when it stops: not ours
            )
        try:
            _wait_for_port(proc, port, log)
            yield Server(port, root)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(autouse=True)
def smb_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)


@pytest.fixture
def folder(server: Server) -> tuple[Path, str]:
    """A fresh folder inside the share: (its local path, its smb:// URL)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    path = server.root / name
    path.mkdir(mode=0o755)
    return path, server.url(name)


def entries(connector: SMBConnector) -> dict[str, ItemRef | ItemProblem]:
    return {entry.item_id: entry for entry in connector.enumerate()}


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class TestSMBConformance(ConnectorConformance):
    @pytest.fixture
    def connector(self, folder: tuple[Path, str]) -> Iterator[SMBConnector]:
        make_tree(folder[0])
        connector = SMBConnector(folder[1])
        yield connector
        connector.close()

    @pytest.fixture
    def change_item(self, folder: tuple[Path, str]) -> Callable[[ItemRef], None]:
        def change(item: ItemRef) -> None:
            path = folder[0] / item.item_id
            data = path.read_bytes()
            time.sleep(0.01)  # a later mtime even on a coarse clock
            path.write_bytes(data[:-1] + b"X")

        return change


def test_nested_files_are_read_by_the_file_formats_with_their_locators(folder: tuple[Path, str]) -> None:
    local, url = folder
    make_tree(local)
    lines = text_lines(40)
    lines[16] = "escalated by planted.line@example.org"
    write_lines(local / "deep" / "er" / "notes.txt", lines)
    rows = csv_rows(30)
    rows[11][2] = "planted.row@example.org"
    write_lines(local / "deep" / "contacts.csv", ["id,name,email", *(",".join(r) for r in rows)])
    connector = SMBConnector(url)
    found = entries(connector)
    on_disk = {e.item_id: e for e in LocalConnector(str(local)).enumerate()}
    assert set(found) == set(on_disk)
    for item_id, entry in on_disk.items():
        remote = found[item_id]
        if isinstance(entry, ItemProblem):
            assert isinstance(remote, ItemProblem) and (remote.severity, remote.reason) == (
                entry.severity,
                entry.reason,
            )
            continue
        assert isinstance(remote, ItemRef) and (remote.fmt, remote.size) == (entry.fmt, entry.size), item_id
        assert remote.fingerprint.endswith(f":{entry.size}")
        units = connector.plan(remote, 512)
        assert [(u.start, u.stop) for u in units] == [
            (u.start, u.stop) for u in LocalConnector(str(local)).plan(entry, 512)
        ]
        assert locations(read_all(connector, units)) == locations(
            read_all(LocalConnector(str(local)), [WorkUnit(entry)])
        )

    text = locations(read_all(connector, connector.plan(found["deep/er/notes.txt"], 256)))  # type: ignore[arg-type]
    assert ('{"line":17}', "escalated by planted.line@example.org") in text
    table = locations(read_all(connector, [WorkUnit(found["deep/contacts.csv"])]))  # type: ignore[arg-type]
    [(locator, _)] = [(loc, row) for loc, row in table if ("email", "planted.row@example.org") in row]
    assert locator == '{"row":12}'
    connector.close()


def test_include_exclude_and_a_path_naming_one_file(folder: tuple[Path, str]) -> None:
    local, url = folder
    make_tree(local)
    assert set(entries(SMBConnector(url, include="*.csv"))) == {"data/people.csv"}
    kept = set(entries(SMBConnector(url, exclude=["docs", "*.parquet"])))
    assert "data/people.csv" in kept and not any(k.startswith("docs/") or k.endswith(".parquet") for k in kept)
    single = SMBConnector(f"{url}/docs/notes.txt")
    [item] = items_of(single)
    assert item.item_id == "notes.txt"
    again = pickle.loads(pickle.dumps(single))
    assert [line for _, line in locations(read_all(again, again.plan(item, 512)))] == text_lines(60)
    single.close()
    again.close()


def test_an_unreadable_file_or_folder_fails_alone(folder: tuple[Path, str]) -> None:
    local, url = folder
    write_lines(local / "open.txt", ["contact: open.person@example.org"])
    write_lines(local / "secret.txt", ["contact: hidden.person@example.org"])
    write_lines(local / "closed" / "inner.txt", ["contact: inner.person@example.org"])
    (local / "secret.txt").chmod(0o000)  # owned by root, read through the SMB user: denied
    (local / "closed").chmod(0o000)
    (local / "outside").symlink_to("/etc/hostname")  # outside the share: Samba never follows it
    try:
        connector = SMBConnector(url)
        found = entries(connector)
        assert set(found) == {"open.txt", "secret.txt", "closed"}
        closed = found["closed"]
        assert isinstance(closed, ItemProblem) and closed.severity == "failed"
        assert closed.reason == "cannot list folder closed: access denied (NTSTATUS 0xC0000022)"
        results = {item.item_id: read_all(connector, connector.plan(item, 512)) for item in items_of(connector)}
        [failure] = problems(results["secret.txt"])
        assert (failure.item_id, failure.severity, failure.source) == ("secret.txt", "failed", connector.source)
        assert failure.reason == "cannot open file secret.txt: access denied (NTSTATUS 0xC0000022)"
        assert locations(results["open.txt"]) == [('{"line":1}', "contact: open.person@example.org")]
        connector.close()
    finally:
        (local / "closed").chmod(0o755)


def test_source_errors_are_one_line_and_never_show_the_password(
    server: Server, folder: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lines(folder[0] / "a.txt", ["x"])
    monkeypatch.setenv(PASSWORD_VARIABLE, "Wrong-pw-91c2")
    with pytest.raises(SourceError) as caught:
        list(SMBConnector(folder[1]).enumerate())
    message = str(caught.value)
    assert message == f"{folder[1]}: credentials rejected (logon failure)"
    assert "Wrong-pw-91c2" not in message and PASSWORD not in message
    monkeypatch.setenv("MY_SMB_SECRET", PASSWORD)  # the option names another variable
    assert set(entries(SMBConnector(folder[1], password_env="MY_SMB_SECRET"))) == {"a.txt"}
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    with pytest.raises(SourceError, match=r"/no_such_share: does not exist \(NTSTATUS 0x"):
        list(SMBConnector(f"smb://{USER}@127.0.0.1:{server.port}/no_such_share").enumerate())
    with pytest.raises(SourceError, match=r"/share/no/such/folder: does not exist"):
        list(SMBConnector(server.url("no/such/folder")).enumerate())
    closed_port = _free_port()  # nothing listens there
    with pytest.raises(SourceError) as caught:
        list(SMBConnector(f"smb://{USER}@127.0.0.1:{closed_port}/share").enumerate())
    assert (
        str(caught.value)
        == f"smb://{USER}@127.0.0.1:{closed_port}/share: cannot reach 127.0.0.1:{closed_port} (ValueError)"
    )


def test_urls_options_and_pickling(server: Server, folder: tuple[Path, str]) -> None:
    assert parse_smb_url("smb://ana@files.example:1445/Public/hr/2024/") == (
        "ana",
        "files.example",
        1445,
        "Public",
        "hr/2024",
    )
    assert parse_smb_url("smb://nas/share") == (None, "nas", None, "share", "")
    with pytest.raises(ValueError, match="must not carry a password") as caught:
        SMBConnector("smb://ana:Secret-in-url@nas/share")
    assert "Secret-in-url" not in str(caught.value)
    for bad in ("smb://nas", "smb:///share", "smb://nas/share/../etc"):
        with pytest.raises(ValueError):
            SMBConnector(bad)
    connector = open_source(folder[1], include=["*.txt"], follow_symlinks=True)
    assert isinstance(connector, SMBConnector) and connector.include == ("*.txt",)
    assert connector.source == folder[1]
    assert SMBConnector("smb://nas/share/").source == "smb://nas/share"
    write_lines(folder[0] / "a.txt", ["x"])
    assert set(entries(connector)) == {"a.txt"}
    state = pickle.loads(pickle.dumps(connector)).__dict__
    assert state["_conn_cache"] is None and PASSWORD not in repr(state)
    connector.close()


def test_scan_and_lookup_through_the_command_line(
    server: Server, folder: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, _ = folder
    rows = csv_rows(20)
    rows[6][2] = "Planted.Subject@Example.net"
    write_lines(local / "export" / "contacts.csv", ["id,name,email", *(",".join(r) for r in rows)])
    write_lines(local / "export" / "denied.txt", ["nothing to see"])
    (local / "export" / "denied.txt").chmod(0o000)
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)  # run_cli passes the environment on
    index = tmp_path / "idx"
    url = server.url(f"{local.name}/export")
    proc = run_cli("scan", url, "--index", str(index), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert PASSWORD not in proc.stdout + proc.stderr
    found = lookup_json(index, "--email", "planted.subject@example.net")["locations"]
    assert [(loc["item"], loc["locator"]) for loc in found] == [("contacts.csv", {"row": 7})]
