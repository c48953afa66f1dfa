"""The local engine: a pool of worker processes on this machine (threads for the LLM extractor,
capped by --llm-concurrency, since its work is waiting on the network).

Process workers that die (a native-library crash, or the per-paper watchdog) break the pool; it
is rebuilt and the papers that were in flight are sorted out: a paper the watchdog named is
recorded as timed out and the others go back in the queue; after a crash nobody claimed, the
papers in flight run again one at a time so that only the culprit is recorded as failed. A
thread cannot be killed, so in thread mode the driver itself gives up on an overdue paper and
adds a thread in place of the stuck one (threads are daemons: a stuck one never blocks exit).
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from screener.batch.inputs import PdfTask, TarMember, Task, spill
from screener.batch.run import BatchOptions, BatchRun, Work
from screener.batch.worker import (
    Watchdog,
    WorkerSpec,
    build_backends,
    failed_row,
    screen_task,
    timed_out_reason,
)
from screener.results_store import ResultRow

_local = threading.local()


def _watch_parent(parent: int, interval_s: float = 0.5) -> None:
    """Exit when the batch process is gone (kill -9): orphaned workers would wait forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_process(spec: WorkerSpec, timeouts: str) -> None:
    """Runs once per worker process: backends are built once, not per paper."""
    # ^C is the parent's to handle (it stops the pool); workers would only print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_parent(os.getppid())
    _local.spec = spec
    _local.backends = build_backends(spec)
    # The watchdog names the overdue paper in a marker file, which the driver reads when the
    # pool breaks under it.
    _local.watchdog = Watchdog(spec.timeout_s, lambda key: Path(timeouts, key).touch())


def _init_thread(spec: WorkerSpec) -> None:
    _local.spec = spec
    _local.backends = build_backends(spec)
    _local.watchdog = None


def _screen_in_worker(task: Task) -> ResultRow:
    watchdog = _local.watchdog
    if watchdog:
        watchdog.begin(task.key)
    try:
        return screen_task(task, _local.backends, _local.spec.settings)
    finally:
        if watchdog:
            watchdog.end()


class _DaemonThreads:
    """A minimal thread pool of daemon threads that knows when each paper started."""

    def __init__(self, workers: int, spec: WorkerSpec) -> None:
        self.spec = spec
        self.started: dict[Future[ResultRow], float] = {}
        self._queue: queue.SimpleQueue[tuple[Future[ResultRow], Task] | None] = queue.SimpleQueue()
        self._threads = 0
        for _ in range(workers):
            self.add_thread()

    def add_thread(self) -> None:
        self._threads += 1
        threading.Thread(target=self._work, name="batch-worker", daemon=True).start()

    def _work(self) -> None:
        _init_thread(self.spec)
        while (item := self._queue.get()) is not None:
            future, task = item
            if not future.set_running_or_notify_cancel():
                continue
            self.started[future] = time.monotonic()
            try:
                future.set_result(_screen_in_worker(task))
            except BaseException as exc:  # noqa: BLE001 - handed to the driver through the future
                future.set_exception(exc)
            finally:
                self.started.pop(future, None)

    def submit(self, task: Task) -> Future[ResultRow]:
        future: Future[ResultRow] = Future()
        self._queue.put((future, task))
        return future

    def shutdown(self, cancel: bool) -> None:
        for _ in range(self._threads):
            self._queue.put(None)


class LocalEngine:
    def __init__(self, options: BatchOptions, spec: WorkerSpec, temp_dir: Path) -> None:
        self.spec, self.temp_dir = spec, temp_dir
        self.threaded = spec.threaded
        self.workers = max(1, options.llm_concurrency if self.threaded else options.workers)
        self.kind = "threads" if self.threaded else "processes"
        self.timeouts = temp_dir / "timeouts"
        self.timeouts.mkdir(exist_ok=True)
        self.pending: dict[Future[ResultRow], Task] = {}
        self.suspects: deque[Task] = deque()  # after a crash nobody claimed: one at a time
        self.requeued: deque[Task] = deque()  # in flight when a neighbour timed out: innocent
        self.crashes: dict[str, int] = {}
        self.run_state: BatchRun | None = None
        self.pool: Any = self._start()

    def _start(self) -> Any:
        if self.threaded:
            return _DaemonThreads(self.workers, self.spec)
        return ProcessPoolExecutor(
            self.workers, initializer=_init_process, initargs=(self.spec, str(self.timeouts))
        )

    def _submit(self, task: Task) -> None:
        if self.threaded:
            future = self.pool.submit(task)
        else:
            future = self.pool.submit(_screen_in_worker, task)
        self.pending[future] = task

    def shutdown(self, cancel: bool) -> None:
        if self.threaded:
            self.pool.shutdown(cancel)
        else:
            self.pool.shutdown(wait=not cancel, cancel_futures=cancel)

    # --- the loop -----------------------------------------------------------------------------

    def run(self, run: BatchRun, work: Iterator[Work]) -> None:
        self.run_state = run
        tasks = (self._materialise(item) for item in work)
        max_in_flight = 2 * self.workers
        exhausted = False
        while True:
            while not exhausted and len(self.pending) < max_in_flight:
                if self.suspects:
                    if self.pending:
                        break
                    self._submit(self.suspects.popleft())
                    continue
                task = self.requeued.popleft() if self.requeued else next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                self._submit(task)
            if exhausted and (self.suspects or self.requeued) and not self.pending:
                queue_ = self.suspects or self.requeued
                self._submit(queue_.popleft())
            if not self.pending:
                return
            # Threads are watched from here: wake up now and then to look for overdue papers.
            poll = min(1.0, self.spec.timeout_s / 10) if self.threaded else None
            finished, _ = wait(self.pending, timeout=poll, return_when=FIRST_COMPLETED)
            crashed = False
            for future in finished:
                crashed |= self._collect(future)
            if crashed:
                self._recover()
            if self.threaded:
                self._give_up_overdue()

    def _materialise(self, item: Work) -> Task:
        if not isinstance(item, TarMember):
            return item
        # The parser API reads paths: the member lives in our private temp dir until its result
        # is stored.
        return spill(item, item.data, self.temp_dir)

    def _collect(self, future: Future[ResultRow]) -> bool:
        """Store one finished paper; True when the pool broke under it (left pending)."""
        task = self.pending[future]
        try:
            row = future.result()
        except BrokenProcessPool:
            return True
        except Exception as exc:  # noqa: BLE001 - e.g. a result that could not be pickled
            row = failed_row(task, f"{type(exc).__name__}: {exc}")
        del self.pending[future]
        self._store(task, row)
        return False

    def _store(self, task: Task, row: ResultRow) -> None:
        assert self.run_state is not None
        self.run_state.store_rows([row])
        if isinstance(task, PdfTask) and task.temporary:
            task.path.unlink(missing_ok=True)

    def _recover(self) -> None:
        """A worker process died: sort out the papers that were in flight, rebuild the pool."""
        for future in [f for f in self.pending if f.done()]:
            if not isinstance(future.exception(), BrokenProcessPool):
                self._collect(future)
        broken = list(self.pending.values())
        self.pending.clear()
        overdue = {marker.name for marker in self.timeouts.iterdir()}
        for task in broken:
            if task.key in overdue:
                self._store(task, failed_row(task, timed_out_reason(self.spec.timeout_s)))
                (self.timeouts / task.key).unlink(missing_ok=True)
            elif overdue:
                self.requeued.append(task)  # its worker was fine; another one overran
            else:
                self._suspect(task, alone=len(broken) == 1)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._start()

    def _suspect(self, task: Task, alone: bool) -> None:
        """Alone in flight, a paper is the culprit; else it runs again, alone, once."""
        crashes = self.crashes[task.key] = self.crashes.get(task.key, 0) + 1
        if alone or crashes >= 2:
            self._store(task, failed_row(task, "the worker process crashed while screening it"))
        else:
            self.suspects.append(task)

    def _give_up_overdue(self) -> None:
        now = time.monotonic()
        for future, task in list(self.pending.items()):
            started = self.pool.started.get(future)
            if started is not None and now - started > self.spec.timeout_s and not future.done():
                # The stuck thread is left behind (its late result is ignored); a fresh thread
                # takes its place so the batch keeps its width.
                del self.pending[future]
                self._store(task, failed_row(task, timed_out_reason(self.spec.timeout_s)))
                self.pool.add_thread()
