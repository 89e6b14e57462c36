"""Run a scan's work units on a Dask distributed cluster instead of the local process pool.

The planner (``runner.build_plan``) and the single index writer (the driver, ``runner.run_scan``) are the
same as for the local pool; only where units run changes.  Each Dask worker process gets one
:class:`ScannerPlugin`, whose ``setup`` builds the :class:`~piiscan.scanner.worker.UnitScanner` (detectors, NLP
model, connectors, HMAC key) once, as ``init_worker`` does for the pool.  Tasks carry only a work unit and
the plugin's name, and return :class:`~piiscan.scanner.worker.UnitResult` rows (keyed hashes, masked previews).

Secrets: connectors travel as configuration (URLs without passwords, ``password_env`` *names*) and read
passwords from the worker's environment when they connect, so a source whose URL holds a password is
refused here.  The HMAC key travels once per worker inside the plugin, over the scheduler connection (use
``tls://`` between hosts), and the plugin is unregistered when the scan ends so the scheduler stops
holding it.

Needs the optional ``dask`` extra (``pip install "piiscan[dask]"``); nothing here imports ``distributed``
until a Dask scan starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from piiscan.connectors.base import Connector, WorkUnit
from piiscan.connectors.registry import redact_spec
from piiscan.detectors.settings import DetectorSettings
from piiscan.index.sanitise import one_line
from piiscan.scanner.plan import Plan, failed_result
from piiscan.scanner.worker import UnitResult, UnitScanner, WorkerSetupError, die_with_parent

if TYPE_CHECKING:
    from distributed import Client, Future, WorkerPlugin

    from piiscan.scanner.config import ScanConfig

log = logging.getLogger("piiscan.dask")

#: units in flight (submitted, not yet written) per worker thread of the cluster
UNITS_PER_THREAD = 2
#: how long a scan waits for the first worker of a remote cluster to connect
WORKER_WAIT_S = 60.0
#: task key prefix (what the Dask dashboard shows for piiscan's tasks)
TASK_PREFIX = "piiscan-unit"
#: the one-line reason given to a unit Dask gave up on after its workers died under it
KILLED_REASON = "worker process died while scanning (killed or out of memory)"


class ClusterError(WorkerSetupError):
    """The Dask cluster cannot run the scan: scheduler unreachable or lost, no workers, refused configuration."""


@dataclass(frozen=True)
class WorkerUnavailable:
    """What a task returns instead of raising when its worker has no scanner (setup failed).

    Returned rather than raised so Dask never logs the task (whose arguments name the item) as failed.
    """

    reason: str


class ScannerPlugin:
    """Builds a worker's UnitScanner once per worker process, and closes its connectors at teardown.

    A ``distributed.WorkerPlugin`` (the base class is mixed in by :func:`scanner_plugin`, so importing this
    module needs no Dask).  It holds the HMAC key: its ``repr`` does not show it.
    """

    def __init__(
        self,
        name: str,
        connectors: dict[str, Connector],
        settings: dict[str, Any],
        key: bytes,
        scan_id: str,
        log_level: int = logging.WARNING,
        parent_pid: int | None = None,
    ) -> None:
        self.name = name
        self.connectors = connectors
        self.settings = settings
        self.key = key
        self.scan_id = scan_id
        self.log_level = log_level
        #: the scanning process, when it started the cluster (LocalCluster): its workers end with it
        self.parent_pid = parent_pid
        self.scanner: UnitScanner | None = None
        self.error: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, sources={sorted(self.connectors)!r})"

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"scanner": None, "error": None}  # built on each worker, never shipped

    def setup(self, worker: Any = None) -> None:
        """Build the detectors; a failure is remembered (tasks report it) and raised (the driver sees it)."""
        _log_to_stderr(self.log_level)
        if self.parent_pid is not None and os.getppid() == self.parent_pid:
            die_with_parent(self.parent_pid)  # a scan killed outright leaves no worker of its local cluster
        try:
            self.scanner = UnitScanner(
                self.connectors, DetectorSettings.from_dict(self.settings), self.key, self.scan_id
            )
        except Exception as exc:
            self.error = f"cannot set up detectors: {one_line(exc)}"
            raise WorkerSetupError(self.error) from None

    def teardown(self, worker: Any = None) -> None:
        for connector in self.connectors.values():
            with contextlib.suppress(Exception):  # a dead session must not stop the worker's cleanup
                connector.close()
        self.scanner = None


def scanner_plugin(
    name: str,
    connectors: dict[str, Connector],
    settings: dict[str, Any],
    key: bytes,
    scan_id: str,
    log_level: int,
    parent_pid: int | None = None,
) -> ScannerPlugin:
    """A :class:`ScannerPlugin` that Dask accepts as a worker plugin."""
    return _dask_plugin_class()(name, connectors, settings, key, scan_id, log_level, parent_pid)


def _dask_plugin_class() -> type[ScannerPlugin]:
    from distributed import WorkerPlugin

    global _DaskScannerPlugin
    if _DaskScannerPlugin is None:
        _DaskScannerPlugin = type("DaskScannerPlugin", (ScannerPlugin, WorkerPlugin), {"__module__": __name__})
    return _DaskScannerPlugin


_DaskScannerPlugin: type[ScannerPlugin] | None = None


def __getattr__(name: str) -> Any:
    """``DaskScannerPlugin`` resolves lazily, so a worker can unpickle the plugin class by its name."""
    if name == "DaskScannerPlugin":
        return _dask_plugin_class()
    raise AttributeError(name)


def scan_unit_task(unit: WorkUnit, plugin_name: str) -> UnitResult | WorkerUnavailable:
    """Dask task: scan one unit with this worker's scanner (built by the plugin named ``plugin_name``)."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(plugin_name)
    scanner = getattr(plugin, "scanner", None)
    if scanner is None:
        return WorkerUnavailable(getattr(plugin, "error", None) or "the piiscan worker plugin is not set up")
    try:
        return scanner.scan(unit)
    except Exception as exc:  # scan() guards reading; this is a bug: report the type only, never the data
        return WorkerUnavailable(f"worker error: {type(exc).__name__}")


def _log_to_stderr(level: int) -> None:
    """piiscan's own log lines on a worker go to its stderr in the CLI's format (dask-worker's log)."""
    import sys

    logger = logging.getLogger("piiscan")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("piiscan: worker: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def _peak_rss_mb() -> float:
    """This process's peak resident memory (run on each worker: sizing information)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- driver side ------------------------------------------------------------------------------------------
def refuse_url_passwords(connectors: dict[str, Connector]) -> None:
    """Raise ClusterError if a connector's configuration holds a password, which would travel to every worker.

    Checks what a connector pickles: its URL (user info or ``password=``), and any non-empty attribute or
    option whose name says password (``password_env`` names a variable and is fine).
    """
    for source, connector in connectors.items():
        state = connector.__getstate__()
        options = asdict(connector.options)
        url = str(state.get("url") or "")
        held = redact_spec(url) != url or any(
            "password" in name.lower() and name != "password_env" and value
            for name, value in [*state.items(), *options.items()]
        )
        if held:
            raise ClusterError(
                f"{source}: a password in the URL would be sent to every Dask worker; remove it and set it in the "
                "workers' environment instead (PGPASSWORD / MYSQL_PWD, or the variable named by password_env)"
            )


def dask_results(plan: Plan, config: ScanConfig, key: bytes, scan_id: str) -> Generator[UnitResult, None, None]:
    """Yield UnitResults as Dask workers finish the plan's units, never more than a bounded number in flight.

    Connects to ``config.scheduler``, or starts a ``LocalCluster`` of ``config.workers`` processes with one
    thread each.  A unit whose workers died under it ``allowed_failures`` times (Dask raises KilledWorker)
    comes back as failed with a one-line reason.  Results are recorded by the runner exactly as the pool's
    are (a repeated unit is dropped there, for every executor).
    """
    if not plan.units:
        return
    refuse_url_passwords(plan.connectors)
    for connector in plan.connectors.values():
        connector.close()  # the planner's sessions would sit idle for the whole scan
    try:
        import distributed  # noqa: F401 - checked here for a clear message
    except ImportError:
        raise ClusterError('--executor dask needs Dask: pip install "piiscan[dask]"') from None
    with _cluster_client(config) as client:
        plugin_name = f"piiscan-scanner-{scan_id}"
        plugin = scanner_plugin(
            plugin_name,
            plan.connectors,
            asdict(config.detectors),
            key,
            scan_id,
            logging.getLogger("piiscan").getEffectiveLevel(),
            None if config.scheduler else os.getpid(),  # a LocalCluster's workers are this process's children
        )
        try:
            client.register_plugin(cast("WorkerPlugin", plugin), name=plugin_name)  # a WorkerPlugin subclass
        except WorkerSetupError as exc:
            raise ClusterError(f"a Dask worker cannot set up piiscan: {exc}") from None
        except Exception as exc:  # e.g. piiscan not installed on a worker: the plugin cannot be unpickled
            raise ClusterError(f"a Dask worker cannot set up piiscan: {type(exc).__name__}: {one_line(exc)}") from None
        try:
            yield from _run_units(client, plan.units, plugin_name, scan_id)
        finally:
            _log_worker_memory(client)
            with contextlib.suppress(Exception):  # the scheduler may be gone; then it holds nothing either
                client.unregister_worker_plugin(plugin_name)


def _run_units(client: Client, units: list[WorkUnit], plugin_name: str, scan_id: str) -> Iterator[UnitResult]:
    from distributed import as_completed

    queue = deque(units)  # the planner sorted them biggest first
    in_flight: dict[Future, WorkUnit] = {}
    completed = as_completed(loop=client.loop)

    def submit() -> None:
        unit = queue.popleft()
        # the key names the unit by number: item paths may hold personal data and keys show in the dashboard
        future = client.submit(scan_unit_task, unit, plugin_name, key=(TASK_PREFIX, scan_id, len(units) - len(queue)))
        in_flight[future] = unit
        completed.add(future)

    def fill() -> None:
        window = UNITS_PER_THREAD * max(1, sum(client.nthreads().values()))
        while queue and len(in_flight) < window:
            submit()

    try:
        fill()
        for future in completed:
            unit = in_flight.pop(future)
            result = _outcome(future, unit)
            future.release()  # the cluster drops the result: memory is bounded by the window
            fill()  # keep workers busy while the driver writes this result
            yield result
    finally:
        if in_flight:  # interrupted or failed: stop the rest
            with contextlib.suppress(Exception):
                client.cancel(list(in_flight), force=True)


def _outcome(future: Future, unit: WorkUnit) -> UnitResult:
    """The future's UnitResult, a failed result for a unit Dask gave up on, or a fatal ClusterError."""
    from distributed import KilledWorker

    if future.cancelled():
        raise ClusterError("Dask cancelled the scan's tasks (scheduler lost or restarted); items finished are kept")
    exception = future.exception() if future.status == "error" else None
    if isinstance(exception, KilledWorker):
        return failed_result(unit, KILLED_REASON)
    if exception is not None:  # raised outside scan_unit_task (e.g. a worker could not unpickle the unit)
        return failed_result(unit, f"worker error: {type(exception).__name__}")
    outcome = future.result()
    if isinstance(outcome, WorkerUnavailable):
        if outcome.reason.startswith("worker error:"):
            return failed_result(unit, outcome.reason)
        raise WorkerSetupError(outcome.reason)
    return outcome


@contextlib.contextmanager
def _cluster_client(config: ScanConfig) -> Iterator[Client]:
    """A client of ``config.scheduler``, or of a LocalCluster started (and stopped) for this scan."""
    with _quiet_dask_logs():
        if config.scheduler:
            with _remote_client(config.scheduler) as client:
                yield client
        else:
            with _local_cluster_client(config.workers) as client:
                yield client


@contextlib.contextmanager
def _remote_client(address: str) -> Iterator[Client]:
    from distributed import Client

    try:
        # how long to keep trying: Dask's distributed.comm.timeouts.connect (30 s unless configured)
        client = Client(address, set_as_default=False)
    except (OSError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {one_line(exc)}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (OSError, TimeoutError):
            raise ClusterError(f"no Dask worker connected to {address} within {WORKER_WAIT_S:g} s") from None
        log.info("dask: scheduler %s, %d worker thread(s)", address, sum(client.nthreads().values()))
        if client.dashboard_link:
            log.info("dask: dashboard %s", client.dashboard_link)
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def _local_cluster_client(workers: int) -> Iterator[Client]:
    """A LocalCluster of ``workers`` processes with one thread each, listening on loopback only."""
    from distributed import Client, LocalCluster

    dashboard = _has_dashboard()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0" if dashboard else None,
    )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            log.info("dask: local cluster %s, %d worker process(es)", cluster.scheduler_address, workers)
            if dashboard:
                log.info("dask: dashboard %s", client.dashboard_link)
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@contextlib.contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Dask's own INFO lines (connections, nannies) only at -vv: at -v piiscan's lines stay readable."""
    dask_logger = logging.getLogger("distributed")
    previous = dask_logger.level
    if not log.isEnabledFor(logging.DEBUG):
        dask_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        dask_logger.setLevel(previous)


def _has_dashboard() -> bool:
    """The dashboard needs bokeh (in the ``dask`` extra)."""
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def _log_worker_memory(client: Client) -> None:
    """Log each worker's peak memory at -v: what sizing a cluster's workers needs."""
    if not log.isEnabledFor(logging.INFO):
        return
    with contextlib.suppress(Exception):
        peaks = client.run(_peak_rss_mb)
        if peaks:
            log.info("dask: peak worker memory %.0f MB (largest of %d worker(s))", max(peaks.values()), len(peaks))
