"""A clean process exit after coroutines of a client that runs its own native runtime
(obstore: Rust ``object_store`` on a tokio runtime, bridged by pyo3-async-runtimes).

Such a coroutine completes on one of the runtime's threads, which Python did not start.
That thread takes the GIL, posts the result to the event loop
(``loop.call_soon_threadsafe``), *releases the GIL inside that call* (the socket write
that wakes the loop) and must take it once more to return. The loop runs the callback
at once, so the program may go on and end meanwhile; if it does, the thread asks for
the GIL while the interpreter is finalizing. Python (3.10-3.13) ends such a thread with
``pthread_exit``, whose unwinding cannot cross the runtime's Rust frames: the whole
process aborts (SIGABRT, "Fatal Python error: Aborted", ``<no Python frame>``) after
every operation succeeded. A cancelled call's thread also takes the GIL once more, to
see the cancellation, a moment after it.

The rule, in one place: every such coroutine is awaited through :func:`native_call`
(the async driver's ``engine_op`` does it), and at exit :func:`settle` waits, bounded,
until no thread that Python did not start holds a Python thread state (one is inside or
waiting for the GIL) and the last native call ended at least :data:`QUIET` seconds ago.
It runs from ``atexit``, while such threads may still take the GIL; the sleeps release
the GIL so that they finish. Nothing is waited for in a process that made no such call.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["GRACE", "QUIET", "foreign_thread_states", "native_call", "settle"]

T = TypeVar("T")

#: The longest an exit waits for native threads to leave Python.
GRACE = 2.0
#: How long after the last native call ended an exit may proceed: the time its runtime
#: thread has to come back for the GIL (a cancellation's acknowledgement).
QUIET = 0.02
_POLL = 0.001

_lock = threading.Lock()
_used = False
_last_end = 0.0


async def native_call(fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
    """Await ``fn(*args, **kwargs)``, a coroutine of a native-runtime client, noting
    for :func:`settle` that such calls were made and when the last one ended."""
    global _used, _last_end
    _used = True
    try:
        return await fn(*args, **kwargs)
    finally:
        with _lock:
            _last_end = time.monotonic()


def foreign_thread_states() -> set[int]:
    """Ids of the threads that hold a Python thread state but were not started by
    Python (a native runtime's threads inside, or waiting for, the GIL)."""
    probe: Callable[[], dict[int, Any]] = getattr(sys, "_current_exceptions", sys._current_frames)
    states = set(probe())  # one entry per thread state, with or without a frame
    python_threads = {
        t.ident for t in threading.enumerate() if not isinstance(t, threading._DummyThread)
    }
    return states - python_threads - {threading.get_ident()}


def settle(grace: float = GRACE) -> bool:
    """Wait (at most ``grace`` seconds) until native threads have left Python and the
    last native call ended :data:`QUIET` seconds ago; True when settled. Immediate in a
    process that made no native call."""
    if not _used:
        return True
    deadline = time.monotonic() + grace
    while True:
        now = time.monotonic()
        with _lock:
            quiet = now - _last_end >= QUIET
        if quiet and not foreign_thread_states():
            return True
        if now >= deadline:
            return False
        time.sleep(_POLL)  # releases the GIL: a waiting native thread takes it and ends


atexit.register(settle)
