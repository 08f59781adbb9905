"""The protocol name and the two drivers of the ``genro`` filesystem's operations.

Each operation is written once, as a generator that yields node calls: a sync node's
call has already returned its value (:func:`run_sync` sends it straight back), an async
node's call is a coroutine that :func:`run_async` awaits.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from typing import Any, TypeVar

__all__ = ["PROTOCOL", "Step", "run_async", "run_sync"]

PROTOCOL = "genro"

T = TypeVar("T")

#: An operation: yields node calls, receives their results, returns its value.
Step = Generator[Any, Any, T]


def run_sync(steps: Step[T]) -> T:
    """Drive an operation with a sync manager: each yielded value is already a result."""
    value: Any = None
    while True:
        try:
            value = steps.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result


async def run_async(steps: Step[T]) -> T:
    """Drive an operation with an async manager: await each yielded coroutine and send
    its result (or throw its exception) back in."""
    send: Callable[[Any], Any] = steps.send
    value: Any = None
    while True:
        try:
            request = send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        try:
            value = (await request) if inspect.isawaitable(request) else request
            send = steps.send
        except Exception as exc:  # the generator decides what to do with it
            value, send = exc, steps.throw
