"""Logic written once, run by a sync driver or an async driver.

Operations that need I/O are written as generators that ``yield`` an *op* (a call to
make) and receive its result. ``drive_sync`` runs such a generator with plain calls;
``drive_async`` awaits calls that return awaitables and moves blocking calls to a
thread. This is how the sync and async APIs share one implementation of every
decision (copy planning, skip strategies, progress, cleanup on failure) without one
tree being a copy of the other. An exception raised by an op (including
``asyncio.CancelledError``) is thrown back into the generator, so its ``except`` and
``finally`` blocks may still yield cleanup ops before the exception propagates.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any, TypeVar

from .async_utils import run_in_thread, wait_through_cancels, withdraw_cancels

T = TypeVar("T")
#: A logic generator returning ``T``: it yields ops (``Call``, ``Parallel``...) and is
#: sent each op's result.
Logic = Generator[Any, Any, T]


@dataclass(frozen=True)
class Call:
    """Call ``fn``; under the async driver its result is awaited if it is awaitable."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Blocking(Call):
    """A call that blocks: made directly by the sync driver, in a thread by the async one."""


@dataclass(frozen=True)
class Callback(Call):
    """A user callback taking nodes. Under the async driver a coroutine function is
    awaited with the async nodes; a plain function runs in a thread with sync nodes
    (``node.as_sync()``), so ``dst.exists`` works there as in the sync API."""


@dataclass(frozen=True)
class Parallel:
    """Run several logic generators; concurrently (at most ``limit``) under async.

    Returns one result per generator, in order. With ``collect_errors`` an exception
    becomes that generator's result instead of stopping the others.
    """

    logics: tuple[Logic[Any], ...]
    limit: int = 8
    collect_errors: bool = False


@dataclass(frozen=True)
class Shielded:
    """Run ``logic`` to its end even if the awaiting task is cancelled meanwhile; the call
    then completes (the cancellation is withdrawn). For the steps that follow a commit
    point, so that a cancelled call never reports failure for work that has landed."""

    logic: Logic[Any]


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Call:
    """The op ``fn(*args, **kwargs)`` (awaited under the async driver if awaitable)."""
    return Call(fn, args, kwargs)


def blocking(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Blocking:
    """The op ``fn(*args, **kwargs)`` for a call that blocks (a thread under async)."""
    return Blocking(fn, args, kwargs)


def callback(fn: Callable[..., Any], *args: Any) -> Callback:
    """The op calling the user's ``fn`` with nodes (see ``Callback``)."""
    return Callback(fn, args, {})


# -- sync driver ----------------------------------------------------------------


def drive_sync(logic: Logic[T]) -> T:
    """Run ``logic`` to completion with plain calls."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = logic.throw(error) if error is not None else logic.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        try:
            value = _run_sync(op)
        except BaseException as exc:  # noqa: BLE001 - handed to the logic, which decides
            error = exc


#: Results that cannot be awaitables: the sync driver skips ``inspect.isawaitable`` (an
#: ABC check, the costliest step of a plain call) for them.
_PLAIN_RESULTS = frozenset({bytes, str, int, float, bool, dict, list, tuple, type(None)})


def _run_sync(op: Any) -> Any:
    if type(op) is Call:  # the common op: one plain call, checked as below
        result = op.fn(*op.args, **op.kwargs)
        if type(result) in _PLAIN_RESULTS:
            return result
        if inspect.isawaitable(result):
            _close_awaitable(result)
            raise TypeError(f"{op.fn!r} returned an awaitable under the sync driver")
        return result
    if isinstance(op, Parallel):
        return _parallel_sync(op)
    if isinstance(op, Shielded):
        return drive_sync(op.logic)
    if isinstance(op, Callback) and inspect.iscoroutinefunction(op.fn):
        raise TypeError(
            f"{op.fn.__qualname__} is an async function: the sync API needs a plain callable"
        )
    if not isinstance(op, Call):
        raise TypeError(f"Logic yielded {op!r}, which is not an op")
    result = op.fn(*op.args, **op.kwargs)
    if type(result) not in _PLAIN_RESULTS and inspect.isawaitable(result):
        _close_awaitable(result)
        raise TypeError(f"{op.fn!r} returned an awaitable under the sync driver")
    return result


def _parallel_sync(op: Parallel) -> list[Any]:
    results: list[Any] = []
    for logic in op.logics:
        try:
            results.append(drive_sync(logic))
        except Exception as exc:
            if not op.collect_errors:
                _close_all(op.logics[len(results) + 1 :])
                raise
            results.append(exc)
    return results


# -- async driver ---------------------------------------------------------------


async def drive_async(logic: Logic[T]) -> T:
    """Run ``logic`` to completion on the running loop."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = logic.throw(error) if error is not None else logic.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        try:
            if type(op) is Call:  # the common op, without a coroutine of its own
                value = op.fn(*op.args, **op.kwargs)
                if type(value) is CoroutineType or inspect.isawaitable(value):
                    value = await value
            else:
                value = await _run_async(op)
        except BaseException as exc:  # noqa: BLE001 - handed to the logic, which decides
            error = exc


async def _run_async(op: Any) -> Any:
    if isinstance(op, Parallel):
        return await _parallel_async(op)
    if isinstance(op, Shielded):
        task = asyncio.ensure_future(drive_async(op.logic))
        withdraw_cancels(await wait_through_cancels(task))
        return task.result()
    if isinstance(op, Callback):
        if inspect.iscoroutinefunction(op.fn):
            return await op.fn(*op.args)
        sync_args = [a.as_sync() if hasattr(a, "as_sync") else a for a in op.args]
        result = await run_in_thread(op.fn, *sync_args)
        if inspect.isawaitable(result):  # a lambda returning a coroutine, say
            return await result
        return result
    if isinstance(op, Blocking):
        return await run_in_thread(op.fn, *op.args, **op.kwargs)
    if not isinstance(op, Call):
        raise TypeError(f"Logic yielded {op!r}, which is not an op")
    result = op.fn(*op.args, **op.kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


async def _parallel_async(op: Parallel) -> list[Any]:
    semaphore = asyncio.Semaphore(max(1, op.limit))

    async def one(logic: Logic[Any]) -> Any:
        async with semaphore:
            return await drive_async(logic)

    tasks = [asyncio.ensure_future(one(logic)) for logic in op.logics]
    try:
        if op.collect_errors:
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:  # cancellation is never collected as a file error
                if isinstance(result, asyncio.CancelledError):
                    raise result
            return list(results)
        return list(await asyncio.gather(*tasks))
    finally:
        # On failure or cancellation, stop the siblings and wait for their cleanup.
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            # Not twice: a task gather already cancelled is running its cleanup (a close,
            # an abort), and a second cancellation would cut that short.
            cancelling = getattr(task, "cancelling", None)  # Python 3.11+
            if cancelling is None or not cancelling():
                task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _close_awaitable(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if callable(close):
        close()


def _close_all(logics: Iterable[Logic[Any]]) -> None:
    for logic in logics:
        logic.close()
