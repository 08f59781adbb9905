"""``AsyncTextFile``: what ``AsyncStorageNode.open()`` gives in the text modes
(``'r'``, ``'w'``, ``'x'``, ``'a'``). It is the text face of a binary ``AsyncFile``
(which keeps every rule of reads and writes: ranged reads, publish on a clean exit),
with the decoding and encoding of ``_shared/textcodec.py``: the same text as
``io.TextIOWrapper`` with the same ``encoding``, ``errors`` and ``newline``."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING

from .._shared.modes import OpenMode
from .._shared.textcodec import TEXT_CHUNK, TextDecoding, TextEncoding, start_encoding

if TYPE_CHECKING:
    from .node import AsyncFile, AsyncStorageNode


class AsyncTextFile:
    """``async with node.open('r') as f``: ``await f.read(n)`` (characters),
    ``await f.readline()``, ``async for line in f``. ``'w'``/``'x'``/``'a'``:
    ``await f.write(text)``; published when the block ends cleanly, as for binary
    files (a cancelled block or a failed write publishes nothing)."""

    def __init__(self, binary: AsyncFile, how: OpenMode) -> None:
        self._binary = binary
        self._how = how
        self._decoding: TextDecoding | None = None
        self._encoding: TextEncoding | None = None
        self._lock = asyncio.Lock()  # one read at a time: consecutive lines per caller

    @property
    def node(self) -> AsyncStorageNode:
        """As ``AsyncFile.node``: once written, the node holding the data."""
        return self._binary.node

    @property
    def encoding(self) -> str:
        """The text encoding."""
        return self._how.encoding

    @property
    def errors(self) -> str:
        """The codec error handler."""
        return self._how.errors

    @property
    def newline(self) -> str | None:
        """The ``newline`` given to ``open()`` (``None``: universal newlines)."""
        return self._how.newline

    async def __aenter__(self) -> AsyncTextFile:
        """Open the binary file below."""
        await self._binary.__aenter__()
        how = self._how
        if how.reading:
            self._decoding = TextDecoding(how.encoding, how.errors, how.newline)
        else:
            encoding, prefix = start_encoding(how.encoding, self._binary._appended_head)
            self._encoding = TextEncoding(encoding, how.errors, how.newline, prefix)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Publish on a clean exit (with what the encoder still holds), else abort."""
        if exc_type is None and self._encoding is not None and self._binary._open:
            try:
                tail = self._encoding.final()
                if tail:
                    await self._binary.write(tail)
            except BaseException as failure:
                await self._binary.__aexit__(type(failure), failure, failure.__traceback__)
                raise
        await self._binary.__aexit__(exc_type, exc, tb)

    def _reading(self) -> TextDecoding:
        self._binary._check_open()
        if self._decoding is None:
            raise ValueError("file not opened for reading")
        return self._decoding

    async def read(self, size: int = -1) -> str:
        """Up to ``size`` characters (fewer only at the end), all the rest when
        negative; ``''`` at the end."""
        decoding = self._reading()
        async with self._lock:
            while (text := decoding.take(size)) is None:
                decoding.feed(await self._binary.read(TEXT_CHUNK))
            return text

    async def readline(self, size: int = -1) -> str:
        """The next line with its ending (at most ``size`` characters when given);
        ``''`` at the end."""
        decoding = self._reading()
        async with self._lock:
            while (line := decoding.take_line(size)) is None:
                decoding.feed(await self._binary.read(TEXT_CHUNK))
            return line

    def __aiter__(self) -> AsyncTextFile:
        """``async for line in f``: the lines, each with its ending."""
        self._reading()
        return self

    async def __anext__(self) -> str:
        """The next line; ``StopAsyncIteration`` at the end."""
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line

    async def write(self, text: str) -> int:
        """Write ``text``; returns its length in characters. Nothing is visible before
        a clean exit."""
        self._binary._check_open()
        if self._encoding is None:
            raise ValueError("file not opened for writing")
        await self._binary.write(self._encoding.encode(text))
        return len(text)

    def readable(self) -> bool:
        """Whether the file reads."""
        return self._how.reading

    def writable(self) -> bool:
        """Whether the file writes."""
        return not self._how.reading
