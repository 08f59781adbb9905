"""``AsyncStorageNode``: the async API's node. Same vocabulary as ``StorageNode``; I/O
members are awaited, the no-I/O ones (``child``, ``parent``, ``url()``...) are not."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

from .._shared import compat, httpwire
from .._shared import operations as ops
from .._shared import transfer as tr
from .._shared.config import require
from .._shared.info import FileInfo, Page, VersionInfo, check_page_args, check_range
from .._shared.modes import OpenMode, g_open_write, parse_mode
from .._shared.nodecore import NodeCore
from .._shared.sansio import drive_async
from .._shared.seekable import SeekLogic, g_open_seekable
from .._shared.versions import snapshot_of
from .backends.base import AsyncStorageBackend
from .backends.snapshot import AsyncSnapshotBackend
from .node_compat import AsyncNodeCompat
from .nodepath import AsyncPathMixin
from .processing import AsyncNodeProcessing
from .seekfile import AsyncReading
from .textfile import AsyncTextFile

if TYPE_CHECKING:
    import aiohttp

    from ..node import StorageNode
    from .manager import AsyncStorageManager

__all__ = ["AsyncFile", "AsyncStorageNode", "AsyncTextFile"]


class AsyncStorageNode(
    AsyncPathMixin, AsyncNodeProcessing, AsyncNodeCompat, NodeCore[AsyncStorageBackend]
):
    """A ``mount:path`` for async code. Creating one does no I/O.

    The same vocabulary as ``StorageNode``: the facts (``exists``, ``size``...) are
    coroutine methods here (``await node.exists()``), properties there.
    """

    __slots__ = ()
    _manager: AsyncStorageManager

    def as_sync(self) -> StorageNode:
        """The same node for the sync API (used to hand nodes to plain callbacks)."""
        return self._manager.as_sync().node(self.fullpath)

    # -- facts ----------------------------------------------------------------------
    async def exists(self) -> bool:
        """Whether something exists at this path."""
        return await drive_async(ops.fact(self, "exists"))

    async def isfile(self) -> bool:
        """Whether a file is at this path (``False`` when nothing is there)."""
        return await drive_async(ops.fact(self, "isfile"))

    async def isdir(self) -> bool:
        """Whether a directory is at this path (``False`` when nothing is there)."""
        return await drive_async(ops.fact(self, "isdir"))

    async def size(self) -> int | None:
        """Size in bytes (``None`` when the store cannot tell); raises if missing, and
        ``StorageIsADirectoryError`` (also a ``ValueError``) for a directory."""
        return await drive_async(ops.fact(self, "size"))

    async def mtime(self) -> float | None:
        """Last modification time (POSIX seconds), when the store keeps one."""
        return await drive_async(ops.fact(self, "mtime"))

    async def info(self) -> FileInfo:
        """All facts in one call."""
        return await self._backend.info(self._path)

    # -- content --------------------------------------------------------------------
    async def read_bytes(self) -> bytes:
        """The whole content; raises ``StorageNotFoundError`` if missing."""
        return await self._backend.read_bytes(self._path)

    async def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The whole content decoded with ``encoding`` (``errors`` as in ``bytes.decode``)."""
        return (await self.read_bytes()).decode(encoding, errors)

    async def read_range(
        self, start: int, end: int | None = None, *, etag: str | None = None
    ) -> bytes:
        """Bytes ``[start, end)`` without reading the whole file where the store allows.

        ``etag``: pin the read to the version that had this ETag (``info().etag``, taken
        when a reader made of several ranged calls started). If the file no longer has
        it, ``StorageBackendError`` ("the file changed while it was read") is raised,
        never bytes of another version; pass the same ETag on every call of one read."""
        check_range(start, end, etag)
        return await self._backend.read_range(self._path, start, end, etag)

    async def write_bytes(self, data: bytes) -> AsyncStorageNode:
        """Replace the content atomically; a cancelled write leaves the old content.

        Returns the node that now holds the data: this node, except on a base64 mount,
        where the content is the path and the result is a new node (nodes never change).
        """
        return await drive_async(ops.write_bytes(self, data))

    async def write_text(self, text: str, encoding: str = "utf-8") -> AsyncStorageNode:
        """Like ``write_bytes``, encoding ``text``; returns the node holding it."""
        if not isinstance(text, str):
            raise TypeError(f"write_text() needs str, not {type(text).__name__}")
        return await self.write_bytes(text.encode(encoding))

    @overload
    def open(
        self,
        mode: Literal["rb", "wb", "xb", "ab"] = "rb",
        chunk_size: int = ops.CHUNK_SIZE,
        version: int | str | None = None,
        as_of: datetime | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> AsyncFile: ...
    @overload
    def open(
        self,
        mode: Literal["r", "w", "x", "a"],
        chunk_size: int = ops.CHUNK_SIZE,
        version: int | str | None = None,
        as_of: datetime | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> AsyncTextFile: ...
    @overload
    def open(
        self,
        mode: str,
        chunk_size: int = ops.CHUNK_SIZE,
        version: int | str | None = None,
        as_of: datetime | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> AsyncFile | AsyncTextFile: ...
    def open(
        self,
        mode: str = "rb",
        chunk_size: int = ops.CHUNK_SIZE,
        version: int | str | None = None,
        as_of: datetime | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> AsyncFile | AsyncTextFile:
        """``async with node.open('rb') as f:``, then ``await f.read(n)``,
        ``await f.readline()``, ``await f.seek(offset, whence)``, ``await f.tell()``,
        ``async for line in f`` or ``async for chunk in f.chunks()`` (of ``chunk_size``
        bytes). Reads are ranged and buffered as in the sync files: opening fetches the
        file's facts, each read only what it needs (with a read-ahead block).
        ``version``/``as_of``: read a stored version (see ``docs/guide.md``).

        ``'wb'``: ``await f.write(b)``, published only when the block ends cleanly and
        every write succeeded (a cancelled block, a failed write or a file dropped
        unclosed writes nothing). After the block, ``f.node`` is the node holding the
        data (a new node on a base64 mount). ``'xb'``: the same, but only where nothing
        is at the path (``StorageExistsError`` when the block starts or at the publish);
        ``'ab'``: the new bytes go after the existing content (the file is rewritten
        whole at the publish; see the modes table in ``docs/guide.md``).

        ``'r'``, ``'w'``, ``'x'``, ``'a'``: the same files in text (``AsyncTextFile``),
        with ``encoding`` (default UTF-8), ``errors`` and ``newline`` as in
        ``io.TextIOWrapper``. Any other mode is a ``StorageConfigError``."""
        how = parse_mode(mode, encoding, errors, newline)
        snapshot = snapshot_of(self, mode, version, as_of, AsyncSnapshotBackend)
        node = self if snapshot is None else snapshot
        if not how.reading:
            require(self.config, "write", f"write '{self.fullpath}'")
        binary = AsyncFile(node, how, chunk_size)
        return binary if how.binary else AsyncTextFile(binary, how)

    async def to_base64(self, mime: str | None = None, include_uri: bool = False) -> str:
        """The content, base64-encoded (standard alphabet); with ``include_uri`` a
        ``data:`` URI of type ``mime`` (guessed from the name when not given)."""
        return compat.to_base64(await self.read_bytes(), self.mimetype, mime, include_uri)

    # -- tree -----------------------------------------------------------------------
    async def children(self) -> AsyncIterator[AsyncStorageNode]:
        """``async for child in node.children()``: entries page by page, sorted by name."""
        cursor = None
        while True:
            page = await self._backend.list(self._path, 1000, cursor)
            good, _ = ops.listed(self._path, page.entries)  # unaddressable keys: list() shows them
            for entry in good:
                yield self._at(entry.path)
            if (cursor := page.cursor) is None:
                return

    async def list(self, page_size: int | None = None, cursor: str | None = None) -> Page:
        """One page of entries; pass ``page.cursor`` back for the next one.

        ``page_size``: an integer >= 1, or ``None`` for the whole folder."""
        check_page_args(page_size, cursor)
        return await self._backend.list(self._path, page_size, cursor)

    async def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Create this directory (``parents``: and missing ones above; ``exist_ok``: no
        error if it exists). Object stores have no real directories: a no-op there."""
        await drive_async(ops.mkdir(self, parents, exist_ok))

    async def delete(self, recursive: bool = False, missing_ok: bool = False) -> None:
        """Delete a file, or a directory (non-empty only with ``recursive=True``)."""
        await drive_async(ops.delete(self, recursive, missing_ok))

    # -- transfers ------------------------------------------------------------------
    async def copy(
        self,
        dst: AsyncStorageNode | str,
        skip_if: str
        | Callable[[AsyncStorageNode, AsyncStorageNode], Awaitable[bool]]
        | Callable[[StorageNode, StorageNode], bool]
        | None = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[tr.Progress], Any] | bool | None = None,
        on_error: str = "stop",
        concurrency: int = 8,
        filter: Callable[[AsyncStorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        on_file: Callable[[AsyncStorageNode], Any] | None = None,
        on_skip: Callable[[AsyncStorageNode, str], Any] | None = None,
    ) -> tr.TransferReport[AsyncStorageNode]:
        """Copy this file or tree to exactly ``dst`` (any mount), streaming in chunks.

        ``skip_if``: ``'exists'``, ``'size'``, ``'hash'``, an async ``callable(src, dst)``
        (awaited, gets async nodes) or a plain one (run in a thread, gets sync nodes).
        ``progress``: plain or async callable, called on the loop with ``Progress``
        (which carries the whole transfer's byte totals); ``True`` draws a
        ``tqdm.auto`` bar over the transfer's bytes instead.
        ``concurrency``: files of a tree copied at once. ``on_error``: ``'stop'`` or
        ``'continue'`` (failures are then listed in the report).
        ``filter(node, relpath) -> bool``: which files of a tree to copy (after
        include/exclude); ``on_file(src)`` after each file has landed; ``on_skip(src,
        reason)`` for each file skipped or left out. These three run on the loop with the
        async nodes, plain or async (awaited); ``on_file``/``on_skip`` errors are listed
        in ``report.callback_errors``, never raised.
        """
        options = tr.TransferOptions.make(
            skip_if, include, exclude, progress, concurrency, on_error,
            filter=filter, on_file=on_file, on_skip=on_skip,
        )  # fmt: skip
        return await drive_async(tr.transfer(self, self._target(dst), options))

    async def move(
        self,
        dst: AsyncStorageNode | str,
        skip_if: str
        | Callable[[AsyncStorageNode, AsyncStorageNode], Awaitable[bool]]
        | Callable[[StorageNode, StorageNode], bool]
        | None = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[tr.Progress], Any] | bool | None = None,
        on_error: str = "stop",
        concurrency: int = 8,
        filter: Callable[[AsyncStorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        on_file: Callable[[AsyncStorageNode], Any] | None = None,
        on_skip: Callable[[AsyncStorageNode, str], Any] | None = None,
    ) -> tr.TransferReport[AsyncStorageNode]:
        """Like ``copy``; each source file is deleted only after its copy is complete."""
        options = tr.TransferOptions.make(
            skip_if, include, exclude, progress, concurrency, on_error,
            filter=filter, on_file=on_file, on_skip=on_skip,
        )  # fmt: skip
        return await drive_async(tr.transfer(self, self._target(dst), options, move=True))

    def _target(self, dst: AsyncStorageNode | str) -> AsyncStorageNode:
        if isinstance(dst, str):
            return self._manager.node(dst)
        if not isinstance(dst, AsyncStorageNode):
            raise TypeError(
                f"dst must be an AsyncStorageNode or 'mount:path', not {type(dst).__name__}"
            )
        return dst

    # -- extras ---------------------------------------------------------------------
    async def md5hash(self) -> str:
        """MD5 hex digest of the content (from the store's ETag when it has one)."""
        return await drive_async(ops.md5hash(self))

    async def get_metadata(self) -> dict[str, str]:
        """The file's user metadata (stores with ``capabilities.metadata``)."""
        return await self._backend.get_metadata(self._path)

    async def set_metadata(self, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata (keys and values every store keeps)."""
        await drive_async(ops.set_metadata(self, metadata))

    async def versions(self) -> builtins.list[VersionInfo]:
        """Stored versions, newest first (versioned stores only)."""
        return await self._backend.versions(self._path)

    def open_version(self, version_id: str) -> AsyncFile:
        """``async with node.open_version(id) as f``: one stored version, streamed with
        ranged reads (the same as ``open('rb', version=version_id)``)."""
        return self.open("rb", version=version_id)

    async def fill_from_url(
        self,
        url: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = httpwire.DEFAULT_TIMEOUT,
    ) -> AsyncStorageNode:
        """Download the http(s) ``url`` into this node with aiohttp (streamed, atomic);
        returns the node holding the data (as ``write_bytes`` does).

        The same logic as the sync API: the bytes stored are the bytes sent
        (``Accept-Encoding: identity``, nothing decoded); a body shorter than its
        ``Content-Length`` is an error and writes nothing; redirects go to http(s) only.
        ``session``: an aiohttp session to use (else one is made and closed).
        ``timeout``: seconds without any data (or to connect) before giving up, never a
        limit on the whole download; ``None`` waits forever.
        """
        import aiohttp

        from ..backends.httpclients import AiohttpTransport

        seconds = httpwire.check_timeout(timeout)
        own = session is None
        session = session or aiohttp.ClientSession()
        try:
            transport = AiohttpTransport.on_session(session, seconds)
            landed: AsyncStorageNode = await drive_async(httpwire.download(self, url, transport))
            return landed
        finally:
            if own:
                await session.close()

    # -- serving --------------------------------------------------------------------
    async def serve(
        self,
        scope: Any,
        receive: Any,
        send: Any,
        download: bool = False,
        download_name: str | None = None,
        cache_max_age: int | None = None,
    ) -> None:
        """Answer an ASGI HTTP request with this file, as ``StorageNode.serve`` does over
        WSGI; see ``genro_storage.serving.serve_asgi``."""
        from ..serving import serve_asgi

        await serve_asgi(self, scope, receive, send, download, download_name, cache_max_age)


class AsyncFile(AsyncReading):
    """What ``AsyncStorageNode.open()`` returns; use it with ``async with``.

    ``'rb'``: a seekable file (``read``, ``readline``, ``seek``, ``tell``,
    ``async for line in f``, ``f.chunks()``; see ``AsyncReading``). ``'wb'``, ``'xb'``,
    ``'ab'``: ``await f.write(data)``; the data is published when the block ends
    cleanly. The text modes wrap one of these in an ``AsyncTextFile``.
    """

    def __init__(self, node: AsyncStorageNode, mode: str | OpenMode, chunk_size: int) -> None:
        self._node = node
        self._how = mode if isinstance(mode, OpenMode) else parse_mode(mode)
        self._chunk_size = chunk_size
        self._open = False  # inside ``async with``
        self._reader: SeekLogic | None = None
        self._writing: ops.WriteHandle[AsyncStorageNode] | None = None
        #: Mode 'a': the first bytes of the content appended to (``b''``: none).
        self._appended_head = b""

    @property
    def node(self) -> AsyncStorageNode:
        """The node this file reads, or once written the node that holds the data (a new
        node on a base64 mount)."""
        return self._writing.node if self._writing is not None else self._node

    async def __aenter__(self) -> AsyncFile:
        """Open the reader or the writer."""
        if self._how.reading:
            self._reader = await drive_async(g_open_seekable(self._node))
        else:
            opened = await drive_async(g_open_write(self._node, self._how))
            self._writing, self._appended_head = opened
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the reader; publish what was written on a clean exit, else abort it."""
        if not self._open:
            return
        self._open = False
        if self._writing is None:
            reader, self._reader = self._reader, None
            if reader is not None:
                await drive_async(reader._g_close())
        elif exc_type is None:
            await drive_async(self._writing.g_close())
        else:
            await drive_async(self._writing.g_abort())

    def __del__(self) -> None:
        if self._writing is not None and self._open:
            self._writing.discard()  # dropped unclosed: never commit

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError("use the file inside 'async with node.open(...) as f:'")

    def _reading(self) -> SeekLogic:
        self._check_open()
        if self._reader is None:
            raise ValueError("file not opened for reading")
        return self._reader

    async def write(self, data: bytes) -> int:
        """Write ``data``; returns its length. Nothing is visible before a clean exit."""
        if self._how.reading:
            raise ValueError("file not opened for writing")
        self._check_open()
        assert self._writing is not None
        return await drive_async(self._writing.g_write(bytes(data)))
