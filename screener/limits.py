"""How many requests may be in flight to an endpoint (an LLM server, a GROBID container).

A slot pool hands out slots on named endpoints, at most `limit` at a time on each, and picks the
least busy endpoint among those a caller can use (so a fleet of GROBID containers shares the
load). Inside one process the pools are plain thread conditions. The Ray engine installs another
provider whose pools live in named Ray actors: every worker of the cluster then draws from the
same pool, and ten workers cannot send ten times the configured concurrency.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol


class SlotPool(Protocol):
    def acquire(self, names: Sequence[str]) -> tuple[str, Any]:
        """Block until one of `names` has a free slot; return it and a token for release."""
        ...

    def release(self, token: Any) -> None: ...


class LocalSlotPool:
    """Slots shared by the threads of one process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: Counter[str] = Counter()
        self._changed = threading.Condition()

    def acquire(self, names: Sequence[str]) -> tuple[str, Any]:
        with self._changed:
            while True:
                if (name := pick(names, self._used, self.limit)) is not None:
                    self._used[name] += 1
                    return name, name
                self._changed.wait()

    def release(self, token: Any) -> None:
        with self._changed:
            self._used[token] -= 1
            self._changed.notify_all()

    def in_use(self) -> dict[str, int]:
        with self._changed:
            return {name: count for name, count in self._used.items() if count}


def pick(names: Sequence[str], used: Counter[str], limit: int) -> str | None:
    """The least busy name with a free slot (the first such in `names` on a tie)."""
    free = [name for name in names if used[name] < limit]
    return min(free, key=lambda name: used[name]) if free else None


# (kind, limit) -> pool. `kind` separates what the slots are for ("llm", "grobid").
Provider = Callable[[str, int], SlotPool]
_pools: dict[tuple[str, int], SlotPool] = {}
_provider: Provider | None = None
_lock = threading.Lock()


def slot_pool(kind: str, limit: int) -> SlotPool:
    """The pool of this process (or cluster, under Ray) for `kind` endpoints at `limit` each."""
    with _lock:
        key = (kind, limit)
        if key not in _pools:
            _pools[key] = _provider(kind, limit) if _provider else LocalSlotPool(limit)
        return _pools[key]


def install_provider(provider: Provider | None) -> None:
    """Make later `slot_pool` calls come from `provider` (None: back to local pools)."""
    global _provider
    with _lock:
        _provider = provider
        _pools.clear()


@contextmanager
def slot(kind: str, limit: int, names: Sequence[str]) -> Iterator[str]:
    """Hold one slot on one of `names` for the `with` block; yields the chosen name."""
    pool = slot_pool(kind, limit)
    name, token = pool.acquire(names)
    try:
        yield name
    finally:
        pool.release(token)


class EndpointSlot:
    """A reusable `with` block holding one slot on a single endpoint (shared by threads)."""

    def __init__(self, kind: str, endpoint: str, limit: int) -> None:
        self.kind, self.endpoint, self.limit = kind, endpoint, limit
        self._held = threading.local()

    def __enter__(self) -> str:
        # The pool is looked up on every use: a provider installed later (a Ray worker's) counts.
        pool = slot_pool(self.kind, self.limit)
        _, token = pool.acquire([self.endpoint])
        self._held.__dict__.setdefault("stack", []).append((pool, token))
        return self.endpoint

    def __exit__(self, *exc: object) -> None:
        pool, token = self._held.stack.pop()
        pool.release(token)
