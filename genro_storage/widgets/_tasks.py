"""Background work for widgets, on the kernel's own running event loop.

Every action of the explorer is a task created with ``loop.create_task`` on the loop
that is already running (ipykernel's), never ``asyncio.run`` / ``run_until_complete``
and never nest-asyncio. The runner keeps a strong reference to each task until it is
done (the loop itself keeps only weak ones), reports its exception through a
done-callback (so no error is lost in the background), and gives each kind of
replaceable work a *slot*: starting a task in a slot cancels the one still running
there (a new listing cancels the stale listing).

Widgets reach the runner in two ways: ``bind(button, action)`` runs one async action
per click, and ``guard(callback)`` wraps a plain callback (an ``observe`` handler, a
button that only changes the view) so that its exception is shown, not lost.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

__all__ = ["Clickable", "Reporter", "TaskRunner"]

#: ``report(label, exc)``: ``label`` names the failed task; it is ``""`` for a widget
#: callback that failed before any task started.
Reporter = Callable[[str, BaseException], None]
#: An action as ``bind`` takes it: called on click, returns the coroutine to run.
Action = Callable[[], Coroutine[Any, Any, Any]]


class Clickable(Protocol):
    """What ``bind`` needs of a button (``ipywidgets.Button`` has it)."""

    def on_click(self, callback: Callable[[Any], Any], remove: bool = False) -> None:
        """Call ``callback(button)`` on each click."""


class TaskRunner:
    """Creates, tracks and cancels the tasks of one widget app.

    ``report(label, exc)`` is called (on the loop) for each task that ends with an
    exception other than cancellation, and (with ``label == ""``) for each guarded
    widget callback that raises.
    """

    def __init__(self, report: Reporter) -> None:
        self._report = report
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots: dict[str, asyncio.Task[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        """The tasks not finished yet (a snapshot)."""
        return frozenset(t for t in self._tasks if not t.done())

    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The running loop; else the loop seen last, if it still runs (a widget callback
        called from outside a coroutine, on the loop's thread)."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is None or self._loop.is_closed() or not self._loop.is_running():
                return None
        return self._loop

    def current(self, slot: str) -> asyncio.Task[Any] | None:
        """The task in ``slot`` if it is still running."""
        task = self._slots.get(slot)
        return task if task is not None and not task.done() else None

    def spawn(
        self, coro: Coroutine[Any, Any, Any], label: str, slot: str | None = None
    ) -> asyncio.Task[Any] | None:
        """Start ``coro`` as a task on the running loop; returns it (``None`` and a
        reported error when no loop runs). With ``slot``, the slot's previous task is
        cancelled first."""
        loop = self.loop()
        if loop is None:
            coro.close()
            self._report(
                label,
                RuntimeError(
                    "no running event loop: use the explorer in a Jupyter kernel, or "
                    "await its coroutine methods (e.g. 'await explorer.refresh()')"
                ),
            )
            return None
        if slot is not None:
            self.cancel(slot)
        task = loop.create_task(coro, name=f"genro-storage explorer: {label}")
        self._tasks.add(task)
        if slot is not None:
            self._slots[slot] = task
        task.add_done_callback(functools.partial(self._done, label, slot))
        return task

    def _done(self, label: str, slot: str | None, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if slot is not None and self._slots.get(slot) is task:
            del self._slots[slot]
        if task.cancelled():
            return
        exc = task.exception()  # marks it retrieved: no "never retrieved" warning
        if exc is not None:
            self._report(label, exc)

    async def run(
        self, coro: Coroutine[Any, Any, Any], label: str, slot: str | None = None
    ) -> bool:
        """Spawn ``coro`` and wait for it. True if it completed; False if it failed (the
        error is already reported) or was superseded by a newer task in its slot. If the
        caller is cancelled, the task is cancelled too."""
        task = self.spawn(coro, label, slot)
        if task is None:
            return False
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
            raise
        await asyncio.sleep(0)  # let the done-callback report first
        return not task.cancelled() and task.exception() is None

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """``callback`` wrapped so that an exception it raises is reported (ipywidgets
        would only log it where nobody looks) and the widget event ends quietly."""

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the user, not swallowed
                self._report("", exc)
                return None

        return guarded

    def bind(self, button: Clickable, action: Action, label: str, slot: str | None = None) -> None:
        """On each click of ``button``, start ``action()`` as a task (see ``spawn``).

        ``action`` is called in the click handler itself: it reads what the click means
        (the selection, the name box) and returns the coroutine of one async action.
        When it raises there (nothing selected, a bad name), the error is reported at
        once and no task starts.
        """
        button.on_click(self.guard(lambda _button: self.spawn(action(), label, slot)))

    def cancel(self, slot: str) -> asyncio.Task[Any] | None:
        """Cancel the task running in ``slot`` (returned), if any."""
        task = self.current(slot)
        if task is not None:
            task.cancel()
        return task

    def cancel_all(self) -> None:
        """Cancel every task not finished yet."""
        for task in list(self._tasks):
            task.cancel()

    async def wait_idle(self) -> None:
        """Wait until no task is pending, including tasks started meanwhile (a finished
        copy starts a refresh, say). The caller's own task is not waited for."""
        me = asyncio.current_task()
        while True:
            pending = [t for t in self._tasks if not t.done() and t is not me]
            if not pending:
                await asyncio.sleep(0)  # done-callbacks of just-finished tasks
                if not [t for t in self._tasks if not t.done() and t is not me]:
                    return
                continue
            await asyncio.wait(pending)
