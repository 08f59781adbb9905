"""Running a command: its event loop, Ctrl-C, errors, and walking the trees it works on."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import click

from .._shared.exceptions import StorageConfigError, StorageError, StorageNotFoundError
from .._shared.info import FileInfo
from ..async_ import AsyncStorageNode
from .errors import CliError, one_line
from .mounts import Mounts, config_path

__all__ = ["PAGE_SIZE", "entries", "info_or_none", "run", "run_cancellable", "selected", "walk"]

PAGE_SIZE = 1000


def run_cancellable(coro: Coroutine[Any, Any, int]) -> int:
    """Run ``coro`` on a fresh event loop; the first Ctrl-C cancels it (the library's
    cleanup then runs: partial writes are aborted) and raises ``KeyboardInterrupt``.
    Later Ctrl-Cs are ignored so that the cleanup is never cut short."""
    loop = asyncio.new_event_loop()
    task: asyncio.Task[int] = loop.create_task(coro)
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()

    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, interrupt)  # POSIX, main thread
        handled = True
    try:
        result = loop.run_until_complete(task)
    except BaseException:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        # Without a signal handler (Windows) Ctrl-C raises here: cancel and wait, so the
        # cleanup still runs before the loop closes.
        try:
            rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for pending in rest:
                pending.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGINT)
            loop.close()
    if interrupted:  # the operation swallowed the cancellation: still an interrupt
        raise KeyboardInterrupt
    return result


def run(ctx: click.Context, body: Callable[[Mounts], Awaitable[int | None]]) -> int:
    """Load the mounts, run ``body`` on them, close them; errors become ``CliError``."""
    config = config_path(ctx.obj)

    async def main() -> int:
        async with Mounts(config) as mounts:
            try:
                return (await body(mounts)) or 0
            except (StorageError, OSError, ValueError) as exc:
                if isinstance(exc, BrokenPipeError):
                    raise  # `| head` closed the pipe: click ends quietly (status 1)
                raise CliError(mounts.clean(one_line(exc))) from exc

    return run_cancellable(main())


async def info_or_none(node: AsyncStorageNode) -> FileInfo | None:
    """The node's info, or None when it does not exist."""
    try:
        return await node.info()
    except StorageNotFoundError:
        return None


async def entries(folder: AsyncStorageNode) -> AsyncIterator[FileInfo]:
    """Every entry of ``folder``, page by page."""
    cursor = None
    while True:
        page = await folder.list(PAGE_SIZE, cursor)
        for entry in page.entries:
            yield entry
        cursor = page.cursor
        if cursor is None:
            return


async def walk(
    mounts: Mounts, top: AsyncStorageNode, recursive: bool = True
) -> AsyncIterator[tuple[str, FileInfo]]:
    """``(path relative to top, info)`` of the entries below ``top``, each folder before
    its content. A local folder already visited (a symlink loop) is not entered again;
    entries that cannot be addressed are yielded but never entered."""
    first = mounts.os_path(top)
    seen = {os.path.realpath(first)} if first else set()

    async def visit(folder: AsyncStorageNode, prefix: str) -> AsyncIterator[tuple[str, FileInfo]]:
        async for entry in entries(folder):
            relative = prefix + entry.name
            yield relative, entry
            if not (recursive and entry.isdir and entry.addressable):
                continue
            try:
                child = folder.child_from(entry)
            except StorageConfigError:
                continue
            place = mounts.os_path(child)
            if place is not None:
                real = os.path.realpath(place)
                if real in seen:
                    continue
                seen.add(real)
            async for item in visit(child, relative + "/"):
                yield item

    async for item in visit(top, ""):
        yield item


def selected(relative: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """The include/exclude rule of ``copy()``: a pattern matches the relative path or the
    file name."""
    name = relative.rsplit("/", 1)[-1]

    def hit(patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)

    if include and not hit(include):
        return False
    return not (exclude and hit(exclude))
