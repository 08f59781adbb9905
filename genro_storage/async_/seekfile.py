"""The reading face of ``AsyncFile``: ``await f.read(n)``, ``await f.readline()``,
``await f.seek(offset, whence)``, ``await f.tell()``, ``async for line in f`` and
``async for chunk in f.chunks()``, over the same ``SeekLogic`` as the sync files
(``_shared/seekable.py``): one read-ahead block, ranged reads of what is read only."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

from .._shared.sansio import drive_async
from .._shared.seekable import SeekLogic


class AsyncReading:
    """Mixin of ``AsyncFile``: the read members, over ``self._reading()``."""

    _chunk_size: int
    _read_lock: asyncio.Lock | None = None

    def _reading(self) -> SeekLogic:
        """The open file's logic (raises when the file is not open for reading)."""
        raise NotImplementedError

    def _lock(self) -> asyncio.Lock:
        """One read or seek at a time: two tasks reading one file get consecutive bytes."""
        if self._read_lock is None:
            self._read_lock = asyncio.Lock()
        return self._read_lock

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        logic = self._reading()
        async with self._lock():
            held = logic.read_held(size)
            return held if held is not None else await drive_async(logic._g_read(size))

    async def readline(self, size: int = -1) -> bytes:
        """The next line with its ``\\n`` (at most ``size`` bytes when given); ``b''``
        at the end."""
        logic = self._reading()
        async with self._lock():
            held = logic.line_held(size)
            return held if held is not None else await drive_async(logic._g_readline(size))

    async def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` from the start (0), the position (1) or the end (2);
        returns the new position."""
        logic = self._reading()
        async with self._lock():
            return await drive_async(logic._g_seek(offset, whence))

    async def tell(self) -> int:
        """The position."""
        return self._reading().tell()

    def seekable(self) -> bool:
        """Always ``True`` for a file open for reading."""
        self._reading()
        return True

    def __aiter__(self) -> AsyncReading:
        """``async for line in f``: the lines, each with its ``\\n``."""
        self._reading()
        return self

    async def __anext__(self) -> bytes:
        """The next line; ``StopAsyncIteration`` at the end."""
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line

    async def chunks(self, size: int | None = None) -> AsyncIterator[bytes]:
        """``async for chunk in f.chunks()``: the rest of the file in chunks of ``size``
        bytes (``open()``'s ``chunk_size`` by default)."""
        size = self._chunk_size if size is None else size
        if size <= 0:
            raise ValueError(f"chunks() needs a positive size, not {size}")
        while chunk := await self.read(size):
            yield chunk
