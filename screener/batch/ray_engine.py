"""The Ray engine: `screener batch --engine ray` runs the papers on a Ray cluster (a local one
by default, or the one `--ray-address` names).

The driver (this process) lists the inputs and does the sha256 skip-check exactly as with the
local engine. It ships the new papers in batches (a PDF's bytes, so workers need no shared disk;
or a metadata record's Document) to Ray tasks, which parse, extract and judge them with the
pipeline unchanged and return their rows as one Arrow table. The driver writes each table as a
Parquet shard, merges the shard into the results store in one transaction and deletes it; the
exports are then written from the store as for the local engine.

What can go wrong, and what happens:
- A worker process dies (a native crash, a lost node, a killed worker): Ray runs the task again
  (`max_retries`). A task whose tries are spent is split and its papers go again one per task;
  a paper that still fails alone is recorded as failed. Rows are keyed by sha256 and each shard
  is merged once, so nothing is lost or stored twice.
- A paper overruns the per-paper time limit: the worker's watchdog names it to the run's ledger
  actor and ends the worker. Ray runs the task again, and the new try records that paper as
  timed out instead of screening it again, so one stuck paper costs one time limit.
- LLM requests and GROBID papers in flight are counted by named slot actors that every worker
  draws from (screener/limits.py): the configured concurrency holds for the whole cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.batch.exports import merge_shard, rows_to_table, write_shard
from screener.batch.inputs import MetadataTask, PdfTask, TarMember, Task, spill
from screener.batch.run import BatchOptions, BatchRun, Work
from screener.batch.worker import (
    Watchdog,
    WorkerSpec,
    build_backends,
    failed_row,
    screen_task,
    timed_out_reason,
)
from screener.errors import ScreenerError
from screener.limits import install_provider, pick

INSTALL_HINT = "--engine ray needs Ray, an optional extra: pip install 'screener[ray]'"
NAMESPACE = "screener"
TASK_RETRIES = 3  # tries of a task after its worker died, before its papers go one by one
LLM_CPUS_PER_TASK = 0.25  # LLM work waits on the network: several tasks share a CPU

# A paper on its way to a worker: the task, and the PDF's bytes (None for metadata records).
Shipment = tuple[Task, bytes | None]


def require_ray() -> Any:
    """The ray module, or one sentence saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ScreenerError(INSTALL_HINT) from exc
    return ray


# --- actors ---------------------------------------------------------------------------------


class TimeoutLedger:
    """Papers whose worker the watchdog ended, so that the task's next try skips them."""

    def __init__(self) -> None:
        self.overdue: set[str] = set()

    def mark(self, key: str) -> None:
        self.overdue.add(key)

    def which(self, keys: list[str]) -> list[str]:
        return [key for key in keys if key in self.overdue]


class SlotActor:
    """A slot pool for the whole cluster (an async actor: waiting callers cost no thread).

    A lease older than `lease_s` belonged to a worker that died holding it and is reclaimed.
    """

    def __init__(self, limit: int, lease_s: float) -> None:
        self.limit, self.lease_s = limit, lease_s
        self.used: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.leases: dict[str, tuple[str, float]] = {}
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:  # created inside the actor's event loop
            self._changed = asyncio.Condition()
        return self._changed

    def _reclaim(self) -> None:
        now = time.monotonic()
        for token, (name, expiry) in list(self.leases.items()):
            if expiry < now:
                del self.leases[token]
                self.used[name] -= 1

    async def acquire(self, names: list[str]) -> tuple[str, str]:
        changed = self._condition()
        async with changed:
            while True:
                self._reclaim()
                if (name := pick(names, self.used, self.limit)) is not None:
                    token = uuid.uuid4().hex
                    self.leases[token] = (name, time.monotonic() + self.lease_s)
                    self.used[name] += 1
                    self.peak[name] = max(self.peak[name], self.used[name])
                    return name, token
                with contextlib.suppress(TimeoutError):  # now and then: expired leases
                    await asyncio.wait_for(changed.wait(), timeout=1.0)

    async def release(self, token: str) -> None:
        changed = self._condition()
        async with changed:
            if lease := self.leases.pop(token, None):
                self.used[lease[0]] -= 1
            changed.notify_all()

    async def peaks(self) -> dict[str, int]:
        return dict(self.peak)


@dataclass
class RaySlots:
    """The slot provider of a Ray run: pools are named actors every worker of the run shares."""

    run_id: str
    lease_s: float
    created: list[Any] = field(default_factory=list, repr=False)

    def __call__(self, kind: str, limit: int) -> _RaySlotPool:
        import ray

        actor = (
            ray.remote(SlotActor)
            .options(
                name=slot_actor_name(self.run_id, kind, limit),
                namespace=NAMESPACE,
                get_if_exists=True,
                num_cpus=0,
                max_concurrency=10_000,
            )
            .remote(limit, self.lease_s)
        )
        self.created.append(actor)
        return _RaySlotPool(actor)

    def __getstate__(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "lease_s": self.lease_s, "created": []}


def slot_actor_name(run_id: str, kind: str, limit: int) -> str:
    return f"screener-slots-{run_id}-{kind}-{limit}"


class _RaySlotPool:
    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def acquire(self, names: Any) -> tuple[str, Any]:
        import ray

        name, token = ray.get(self.actor.acquire.remote(list(names)))
        return name, token

    def release(self, token: Any) -> None:
        import ray

        ray.get(self.actor.release.remote(token))


# --- the worker side ------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _prepare_worker(run_id: str, spec: WorkerSpec, ledger: Any, slots: RaySlots) -> None:
    """Once per worker process and run: backends, slot provider, watchdog, scratch folder."""
    if _worker.get("run_id") == run_id:
        return
    install_provider(slots)
    _worker.update(run_id=run_id, spec=spec, ledger=ledger, backends=build_backends(spec))
    _worker.setdefault("scratch", Path(tempfile.mkdtemp(prefix="screener-ray-")))
    if "watchdog" not in _worker:
        _worker["watchdog"] = Watchdog(spec.timeout_s, _report_overdue)
    _worker["watchdog"].timeout_s = spec.timeout_s


def _report_overdue(key: str) -> None:
    import ray

    ray.get(_worker["ledger"].mark.remote(key), timeout=30)


def screen_shipments(
    run_id: str, spec: WorkerSpec, ledger: Any, slots: RaySlots, shipments: list[Shipment]
) -> Any:
    """A Ray task: screen a batch of papers, return their rows as one Arrow table."""
    import ray

    _prepare_worker(run_id, spec, ledger, slots)
    overdue = set(ray.get(ledger.which.remote([task.key for task, _ in shipments])))
    rows = []
    for task, data in shipments:
        if task.key in overdue:  # this task's last try ended on it
            rows.append(failed_row(task, timed_out_reason(spec.timeout_s)))
            continue
        local = _unpack(task, data)
        _worker["watchdog"].begin(task.key)
        try:
            rows.append(screen_task(local, _worker["backends"], spec.settings))
        finally:
            _worker["watchdog"].end()
            if isinstance(local, PdfTask) and local.temporary:
                local.path.unlink(missing_ok=True)
    return rows_to_table(rows)


def _unpack(task: Task, data: bytes | None) -> Task:
    if data is None:
        return task
    return spill(task, data, _worker["scratch"])


# --- the driver side ------------------------------------------------------------------------


class RayEngine:
    kind = "Ray CPUs"

    def __init__(self, options: BatchOptions, spec: WorkerSpec, temp_dir: Path) -> None:
        ray = require_ray()
        self.ray, self.spec, self.out = ray, spec, options.out
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            # Quiet: failures are rows of the store; Ray's own logs stay in its session folder.
            settings: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": logging.ERROR,
                "log_to_driver": False,
            }
            try:
                if options.ray_address:
                    ray.init(address=options.ray_address, **settings)
                else:
                    ray.init(num_cpus=options.workers, **settings)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = options.ray_address or "a local Ray"
                raise ScreenerError(f"cannot start or join {where}: {_first_line(exc)}") from exc
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        # Workers of a cluster share no disk, so they get each PDF's bytes; on a one-node Ray
        # (started here, or a local one already running) they read the PDFs where they lie.
        self.ship_bytes = bool(options.ray_address) or len(ray.nodes()) > 1
        self.batch_size = max(1, options.batch_size)
        self.run_id = uuid.uuid4().hex[:12]
        self.ledger = ray.remote(TimeoutLedger).options(num_cpus=0).remote()
        # The driver creates the cluster-wide pools (so they live as long as the run): building
        # the backends here makes the LLM extractor and GROBID parser ask for theirs.
        self.slots = RaySlots(self.run_id, lease_s=spec.timeout_s)
        install_provider(self.slots)
        build_backends(spec)
        cpus = LLM_CPUS_PER_TASK if spec.extractor == "llm" else 1
        self.task = ray.remote(screen_shipments).options(
            num_cpus=cpus, max_retries=TASK_RETRIES, retry_exceptions=True
        )
        self.shards = 0

    def run(self, run: BatchRun, work: Iterator[Work]) -> None:
        batches = self._batches(run, work)
        pending: dict[Any, list[Shipment]] = {}
        alone: deque[Shipment] = deque()  # papers of a batch whose tries were spent
        exhausted = False
        while True:
            while len(pending) < 2 * self.workers:
                if alone:
                    batch = [alone.popleft()]
                elif not exhausted and (batch := next(batches, None)) is None:
                    exhausted = True
                    break
                elif exhausted:
                    break
                ref = self.task.remote(self.run_id, self.spec, self.ledger, self.slots, batch)
                pending[ref] = batch
            if not pending:
                return
            ready, _ = self.ray.wait(list(pending), num_returns=1)
            for ref in ready:
                self._collect(run, ref, pending.pop(ref), alone)

    def _batches(self, run: BatchRun, work: Iterator[Work]) -> Iterator[list[Shipment]]:
        batch: list[Shipment] = []
        for item in work:
            try:
                batch.append(_ship(item, self.ship_bytes))
            except OSError as exc:
                run.store_rows([failed_row(item, f"cannot be read ({exc.strerror or exc})")])
                continue
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _collect(self, run: BatchRun, ref: Any, batch: list[Shipment], alone: deque) -> None:
        try:
            table = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            if len(batch) > 1:
                alone.extend(batch)  # find out which paper it was: each goes again on its own
                return
            task = batch[0][0]
            if self.ray.get(self.ledger.which.remote([task.key])):
                reason = timed_out_reason(self.spec.timeout_s)
            else:
                reason = f"the worker crashed while screening it ({_first_line(exc)})"
            run.store_rows([failed_row(task, reason)])
            return
        self.shards += 1
        shard = write_shard(table, self.out, f"{self.run_id}-{self.shards:06d}")
        run.count_rows(merge_shard(run.store, shard))

    def shutdown(self, cancel: bool) -> None:
        install_provider(None)
        for actor in [self.ledger, *self.slots.created]:
            self.ray.kill(actor)
        if self._owns_ray:
            self.ray.shutdown()


def _ship(item: Work, with_bytes: bool = True) -> Shipment:
    """What travels to a worker: the task, and the PDF's bytes where workers share no disk."""
    if isinstance(item, TarMember):
        task = PdfTask(
            key=item.key,
            source=item.source,
            path=Path(item.source),
            arxiv_id=item.arxiv_id,
            meta=item.meta,
        )
        return task, item.data
    if isinstance(item, PdfTask):
        return item, item.path.read_bytes() if with_bytes else None
    assert isinstance(item, MetadataTask)
    return item, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split())[:200] if text else type(exc).__name__
