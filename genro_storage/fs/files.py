"""The open files of the ``genro`` filesystem, and the node writers behind them.

A file being written holds one of the node's atomic writers: its content is published
by a clean close, never when an exception leaves a ``with`` block or the file is
dropped unclosed.
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, Any

from fsspec.asyn import AbstractAsyncStreamedFile, sync
from fsspec.spec import AbstractBufferedFile

from .._shared.exceptions import StorageConfigError, is_a_directory
from .drive import PROTOCOL

if TYPE_CHECKING:
    from .asyncfs import AsyncGenroFileSystem
    from .syncfs import GenroFileSystem

__all__ = ["AsyncGenroFile", "GenroFile", "LoopWriter", "NodeWriter", "TextWriter", "Writer"]


class _DiscardedError(Exception):
    """Handed to a node writer's ``__exit__`` to make it abort."""


class Writer:
    """The node's atomic writer behind a file: ``write``, then ``commit`` or ``abort``."""

    def write(self, data: bytes) -> None:
        """Add ``data`` to the content being written."""
        raise NotImplementedError

    def commit(self) -> None:
        """Publish the content written so far."""
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the content: nothing is published."""
        raise NotImplementedError


class NodeWriter(Writer):
    """A sync node's ``open('wb')``: published by a clean close, dropped by an exit with
    an exception."""

    def __init__(self, node: Any) -> None:
        self._file = node.open("wb").__enter__()  # a read-only mount refuses here

    def write(self, data: bytes) -> None:
        """Add ``data`` to the node's writer."""
        self._file.write(data)

    def commit(self) -> None:
        """Close the node's writer cleanly: the content is published."""
        self._file.__exit__(None, None, None)

    def abort(self) -> None:
        """Exit the node's writer with an exception: nothing is published."""
        self._file.__exit__(_DiscardedError, _DiscardedError(), None)


class LoopWriter(Writer):
    """An async node's ``open('wb')`` driven from blocking code on fsspec's loop."""

    def __init__(self, node: Any, loop: Any) -> None:
        self._loop = loop
        self._file = node.open("wb")  # a read-only mount refuses here
        sync(loop, self._file.__aenter__)

    def write(self, data: bytes) -> None:
        """Add ``data`` to the node's writer, on fsspec's loop."""
        sync(self._loop, self._file.write, data)

    def commit(self) -> None:
        """Close the node's writer cleanly on fsspec's loop: the content is published."""
        sync(self._loop, self._file.__aexit__, None, None, None)

    def abort(self) -> None:
        """Exit the node's writer with an exception: nothing is published."""
        sync(self._loop, self._file.__aexit__, _DiscardedError, _DiscardedError(), None)


def _check_mode(mode: str) -> None:
    if mode not in ("rb", "wb"):
        raise StorageConfigError(
            f"genro files open in 'rb', 'wb', 'r' or 'w', not {mode!r} "
            "(no append or exclusive create)"
        )


class TextWriter(io.TextIOWrapper):
    """Text face of a ``GenroFile`` being written; an exception in ``with`` drops it."""

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and isinstance(self.buffer, GenroFile):
            self.buffer._abandon()
        super().__exit__(exc_type, exc, tb)


class GenroFile(AbstractBufferedFile):  # type: ignore[misc]  # fsspec ships no types
    """A file of the ``genro`` filesystem.

    Reading: fsspec's read-ahead buffer over ranged reads of the node (``seek``,
    ``tell``, ``readline``... all work). Writing: blocks go to the node's atomic writer;
    the content is published when the file is closed cleanly, never when an exception
    leaves a ``with`` block or the file is dropped unclosed. With ``autocommit=False``
    (fsspec transactions) it is published by ``commit()``.
    """

    _writer: Writer | None = None

    def __init__(
        self,
        fs: GenroFileSystem | AsyncGenroFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> None:
        _check_mode(mode)
        if mode == "wb":
            self._writer = fs._open_writer(path)
        try:
            super().__init__(
                fs, path, mode, block_size, autocommit, cache_type, cache_options, size, **kwargs
            )
        except BaseException:
            self.discard()
            raise
        if self._details is not None and self._details["type"] != "file":
            self.closed = True  # a folder has no bytes to read
            raise is_a_directory(f"{PROTOCOL}://{path}")
        # Every block is pinned to the ETag of the info() taken at open: a file replaced
        # while read raises instead of mixing blocks of two versions.
        self._etag: str | None = self.details.get("etag") if mode == "rb" else None

    def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = self.fs.cat_file(self.path, start=start, end=end, etag=self._etag)
        return data

    def _upload_chunk(self, final: bool = False) -> bool:
        try:
            data = self.buffer.getvalue()
            if data:
                assert self._writer is not None
                self._writer.write(data)
            if final and self.autocommit:
                self.commit()
        except BaseException:
            self.discard()
            raise
        return True

    def commit(self) -> None:
        """Publish the written content (done by ``close()`` unless in a transaction)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.commit()

    def discard(self) -> None:
        """Throw the written content away."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()

    def _abandon(self) -> None:
        """Close without publishing anything."""
        self.buffer = io.BytesIO()
        self.forced = True
        self.closed = True
        self.discard()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.mode == "wb" and not self.closed:
            self._abandon()
            return
        self.close()

    def __del__(self) -> None:
        if getattr(self, "mode", None) == "wb" and not self.closed:  # None: __init__ failed
            # dropped unclosed: nothing is published (and a finaliser reports nothing)
            with contextlib.suppress(Exception):
                self._abandon()
            return
        super().__del__()


class AsyncGenroFile(AbstractAsyncStreamedFile):  # type: ignore[misc]  # untyped base
    """What ``AsyncGenroFileSystem.open_async`` returns: ``await f.read(n)`` is one
    ranged read; ``await f.write(b)`` buffers blocks into the node's atomic writer,
    published only by a clean ``await f.close()`` / ``async with`` exit."""

    closed: bool  # set by fsspec's base class

    def __init__(
        self,
        fs: AsyncGenroFileSystem,
        path: str,
        mode: str,
        block_size: int | None,
        size: int | None = None,
        writer: Any = None,
        etag: str | None = None,
    ) -> None:
        _check_mode(mode)
        self._writer = writer
        self._etag = etag  # the ETag seen at open: every ranged read is pinned to it
        super().__init__(fs, path, mode, block_size, cache_type="none", size=size)

    async def _fetch_range(self, start: int, end: int) -> bytes:
        data: bytes = await self.fs._cat_file(self.path, start=start, end=end, etag=self._etag)
        return data

    async def _upload_chunk(self, final: bool = False) -> bool:
        try:
            data = self.buffer.getvalue()
            if data:
                await self._writer.write(data)
            if final:
                writer, self._writer = self._writer, None
                if writer is not None:
                    await writer.__aexit__(None, None, None)
        except BaseException:
            await self._discard()
            raise
        return True

    async def _discard(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.__aexit__(_DiscardedError, _DiscardedError(), None)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.mode == "wb" and not self.closed:
            self.buffer = io.BytesIO()
            self.forced = True
            self.closed = True
            await self._discard()
            return
        await self.close()

    def __del__(self) -> None:
        # an async writer cannot be aborted from a finaliser; the node's writer cleans
        # up after itself when collected (nothing was published)
        self._writer = None
