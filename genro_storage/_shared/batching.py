"""Coalesced thread hops: many small blocking operations, few hops.

``run_in_thread`` costs one pool hand-off and one loop wake-up per call (about 70 µs of
CPU on a 2-core machine), more than reading a 4 KiB file. ``run_batched`` queues the call
instead: a *drainer* (a task on the library's I/O pool) takes queued calls one at a time,
in order, runs each in its own copied context with its own ``CancelToken``, and sends the
results back to each loop in one ``call_soon_threadsafe`` per batch. Nothing blocking
runs on the loop.

Rules kept:

* **Cancellation** (see ``async_utils``): a call cancelled before a drainer took it is
  skipped (nothing ran); one cancelled while running has its token cancelled, and
  raises ``CancelledError`` only if it stopped without passing a ``commit_point()``;
  one that had passed it completes as a success.
* **Fairness**: calls run in arrival order. ``DRAINERS`` drainers may run at once, so
  one long call does not hold up the calls queued behind it; when every drainer has
  been on its current call for ``STALL`` seconds, a new call may start one more (at
  most ``MAX_DRAINERS``, half the pool), so calls that take their own hop (large
  copies, ``run_in_thread``) always find a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from .async_utils import (
    _TOKEN,
    THREADS,
    CancelToken,
    _release,
    _thread_pool,
    wait_through_cancels,
    withdraw_cancels,
)

T = TypeVar("T")

#: Calls a drainer runs before it sends their results back (or sooner, see FLUSH_AFTER).
BATCH = 64
#: Seconds after which a drainer sends back what it has finished, however few.
FLUSH_AFTER = 0.001
#: Drainers allowed at once in the normal case, and at most when all of them are stuck.
DRAINERS = 2
MAX_DRAINERS = max(4, THREADS // 2)  # calls that block for good (a FIFO) cost a drainer
#: Seconds on one call after which a drainer counts as stuck (a large file, a slow disk).
STALL = 0.005
_FORGET = 1.0

_PENDING, _RUNNING, _DONE, _SKIPPED = range(4)


class _Item:
    """One queued call and its outcome."""

    __slots__ = ("args", "context", "fn", "future", "late", "loop", "outcome", "state", "token")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.fn = fn
        self.args = args
        self.loop = loop
        self.token = CancelToken()
        self.context = contextvars.copy_context()
        self.context.run(_TOKEN.set, self.token)
        self.future: asyncio.Future[Any] = loop.create_future()
        self.state = _PENDING
        self.outcome: tuple[bool, Any] = (False, None)
        #: Made by a cancelled caller that waits for the running call to end.
        self.late: asyncio.Future[None] | None = None


class _Batcher:
    """The queue and its drainers (one per process, shared by every loop)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._pending: deque[_Item] = deque()
        self._busy: dict[int, float] = {}  # drainer id -> when its current call started
        #: Drainers asked for but not started yet -> when. One whose loop stopped before
        #: starting it is forgotten after ``_FORGET`` seconds (it never holds a place).
        self._starting: dict[int, float] = {}
        self._next_id = 0

    def submit(self, item: _Item) -> None:
        with self.lock:
            self._pending.append(item)
            now = time.monotonic()
            for slot, since in list(self._starting.items()):
                if now - since > _FORGET:
                    del self._starting[slot]
            active = len(self._busy) + len(self._starting)
            if active >= DRAINERS:
                if active >= MAX_DRAINERS or self._starting:
                    return
                if any(now - since < STALL for since in self._busy.values()):
                    return
            slot = self._next_id
            self._next_id += 1
            self._starting[slot] = now
        # Started once the loop has run this round of ready tasks, so that the calls
        # they queue meanwhile go in the same batch (fewer GIL hand-offs on few cores).
        try:
            item.loop.call_soon(_thread_pool().submit, self._drain, slot)
        except RuntimeError:  # the loop is closing: start it now
            _thread_pool().submit(self._drain, slot)

    def _take(self, slot: int) -> _Item | None:
        """The next call to run (marked running), or None: the drainer then ends."""
        with self.lock:
            while self._pending:
                item = self._pending.popleft()
                if item.state == _PENDING:
                    item.state = _RUNNING
                    self._busy[slot] = time.monotonic()
                    return item
            self._busy.pop(slot, None)
            return None

    def _drain(self, slot: int) -> None:
        with self.lock:
            self._starting.pop(slot, None)
        done: list[_Item] = []
        since = time.perf_counter()
        while (item := self._take(slot)) is not None:
            try:
                item.outcome = (True, item.context.run(item.fn, *item.args))
            except BaseException as exc:  # handed to the awaiting call
                item.outcome = (False, exc)
            done.append(item)
            if len(done) >= BATCH or time.perf_counter() - since > FLUSH_AFTER:
                _send(done)
                done = []
                since = time.perf_counter()
        _send(done)


def _send(items: list[_Item]) -> None:
    """Hand finished calls to their loops, one wake-up per loop."""
    if not items:
        return
    loop = items[0].loop
    if all(item.loop is loop for item in items):
        groups = [items]
    else:
        by_loop: dict[int, list[_Item]] = {}
        for item in items:
            by_loop.setdefault(id(item.loop), []).append(item)
        groups = list(by_loop.values())
    for group in groups:
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
            group[0].loop.call_soon_threadsafe(_settle, group)


def _settle(items: list[_Item]) -> None:
    """On the loop: publish each outcome to its awaiting call."""
    for item in items:
        item.state = _DONE
        if item.late is not None:
            if not item.late.done():
                item.late.set_result(None)
            continue
        future = item.future
        if future.done():  # its caller was cancelled and handles the outcome
            continue
        ok, value = item.outcome
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
            value = None  # no reference cycle through the traceback


_batcher = _Batcher()


async def run_batched(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking ``fn(*args)`` on a drainer thread, batched with other small calls;
    same contract as ``run_in_thread`` (context variables kept, honest cancellation).
    For calls that are usually short (a small file, a stat, a page of a listing)."""
    loop = asyncio.get_running_loop()
    item = _Item(fn, args, loop)
    _batcher.submit(item)
    try:
        return await item.future  # type: ignore[no-any-return]
    except asyncio.CancelledError:
        with _batcher.lock:
            skipped = item.state == _PENDING
            if skipped:
                item.state = _SKIPPED  # a drainer will drop it: nothing ran
        if skipped:
            raise
        committed = item.token.cancel()
        absorbed = 0
        if item.state != _DONE:  # still running, or its result not yet delivered
            item.late = loop.create_future()
            absorbed = await wait_through_cancels(item.late)
        ok, value = item.outcome
        if not committed:
            if ok:
                _release(value)  # an opened reader or writer nobody will get
            raise
        withdraw_cancels(1 + absorbed)
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
