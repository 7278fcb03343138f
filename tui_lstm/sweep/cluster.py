"""A sweep on an existing Dask distributed cluster (``--cluster tcp://scheduler:8786``).

The cluster is started the usual way (``dask scheduler``; ``dask worker ADDRESS`` on each
machine, with tui-lstm installed). Runs go through the client's own executor interface;
the stop event is a Dask ``Event``, which a running task asks at most every
``ClusterStop.poll`` seconds (each look is a round trip to the scheduler). Dask itself
gives a dead worker's tasks to the others, so no run is lost with a worker. Every worker
must run the tui-lstm this client runs: its results would otherwise differ for reasons
no one could see, so a mismatch is refused on connecting.
"""

from __future__ import annotations

import secrets
from concurrent.futures import CancelledError, Future

import tui_lstm
from tui_lstm.sweep.plan import PlanError

CONNECT_SECONDS = 10


class ClusterError(PlanError):
    """The cluster cannot take the sweep: one line for the user, refused like a bad plan."""


def _worker_version() -> str:
    import tui_lstm

    return tui_lstm.__version__


def check_address(address: str) -> None:
    """Refuse, in one line, an address Dask cannot connect to whatever runs: one it cannot
    parse (no port, an unknown scheme, ``inproc://``, which no other process can reach) or
    a port out of range. Checked with Dask's own parser before a ``Client`` is made: a
    Client that fails to parse its address still waits 20 s to close on its way out, and a
    port out of range is tried until the connect timeout."""
    from distributed.comm.addressing import get_address_host_port

    try:
        _, port = get_address_host_port(address)
    except ValueError as error:
        raise ClusterError(f"--cluster {address}: not a scheduler's address like tcp://HOST:8786 ({error})") from None
    if not 0 < port < 65536:
        raise ClusterError(f"--cluster {address}: port {port} is not between 1 and 65535")


class ClusterStop:
    """The sweep's stop event, found by name from a task on any worker."""

    poll = 0.25

    def __init__(self, name: str):
        self.name = name

    def signal(self):
        from distributed import Event

        return Event(self.name)


class DaskCluster:
    """The executor seam (see executors.py) on a Dask cluster's client."""

    def __init__(self, address: str):
        try:
            from distributed import Client, Event
        except ImportError:
            raise ClusterError("--cluster needs Dask: pip install 'tui-lstm[cluster]'") from None
        check_address(address)
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({error})") from None
        try:
            self._check_workers(address)
            self._event = Event(f"tui-lstm-stop-{secrets.token_hex(8)}", client=self.client)
        except BaseException:
            self.client.close()
            raise
        self._tasks: set = set()  # Dask forgets a task whose future is dropped

    def _check_workers(self, address: str) -> None:
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise ClusterError(f"the Dask cluster at {address} has no workers") from None
        try:
            versions = self.client.run(_worker_version)
        except Exception as error:  # a worker without tui-lstm cannot even load the check
            raise ClusterError(f"a worker of {address} cannot run tui-lstm ({type(error).__name__}: {error})") from None
        for worker, version in sorted(versions.items()):
            if version != tui_lstm.__version__:
                raise ClusterError(f"worker {worker} runs tui-lstm {version}; this is {tui_lstm.__version__}")

    @property
    def workers(self) -> int:
        return sum(info.get("nthreads", 1) for info in self.client.scheduler_info()["workers"].values()) or 1

    def submit(self, fn, /, *args) -> Future:
        """A concurrent.futures Future that counts as running from the start: a task on a
        cluster cannot be taken back once sent, so a stop must let it come back (stopped)
        rather than cancel it, as the local pool refuses to cancel a started run."""
        mirror: Future = Future()
        mirror.set_running_or_notify_cancel()
        task = self.client.submit(fn, *args, pure=False)
        self._tasks.add(task)

        def landed(task) -> None:
            self._tasks.discard(task)
            if task.status == "finished":
                mirror.set_result(task.result())
            elif task.status == "cancelled":  # by Dask, not by us: its scheduler gone, say
                mirror.set_exception(CancelledError("Dask cancelled the run (its scheduler gone?)"))
            else:
                mirror.set_exception(task.exception())

        task.add_done_callback(landed)
        return mirror

    def lost(self, future, error: BaseException) -> bool:
        return False  # Dask gives a dead worker's runs to another worker itself

    def stop_handle(self) -> ClusterStop:
        return ClusterStop(self._event.name)

    def stop(self) -> None:
        self._event.set()

    def memory_room(self) -> int | None:
        """The smallest worker's memory limit for one of its threads, if the workers have limits."""
        rooms = [
            info["memory_limit"] // max(info.get("nthreads", 1), 1)
            for info in self.client.scheduler_info()["workers"].values()
            if info.get("memory_limit")
        ]
        return min(rooms, default=None)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.client.close()  # the runner has waited on every run it still wanted
