"""Run the sync API under the async test bodies, so one conformance test covers both.

``SyncAsAsync(node)`` gives a ``StorageNode`` the ``AsyncStorageNode`` vocabulary: each
I/O member runs the sync call in a worker thread and is awaited. Nothing here decides
behaviour; it only changes how the sync API is called.
"""

from __future__ import annotations

import asyncio
from typing import Any

from genro_storage import StorageNode

_FACTS = {"exists", "size", "mtime", "isfile", "isdir"}
_NO_IO = {
    "basename",
    "name",
    "stem",
    "suffix",
    "mimetype",
    "fullpath",
    "path",
    "mount",
    "config",
    "capabilities",
    "url",
}


class SyncAsAsync:
    """An ``AsyncStorageNode`` look-alike over a ``StorageNode``."""

    api = "sync"

    def __init__(self, node: StorageNode) -> None:
        self.sync = node

    def __repr__(self) -> str:
        return f"SyncAsAsync({self.sync!r})"

    def __getattr__(self, name: str) -> Any:
        if name in _FACTS:
            return lambda: asyncio.to_thread(getattr, self.sync, name)
        if name in _NO_IO:
            return getattr(self.sync, name)
        attr = getattr(self.sync, name)

        async def method(*args: Any, **kwargs: Any) -> Any:
            args = tuple(a.sync if isinstance(a, SyncAsAsync) else a for a in args)
            return _wrap(await asyncio.to_thread(attr, *args, **kwargs))

        return method

    @property
    def parent(self) -> SyncAsAsync:
        return SyncAsAsync(self.sync.parent)

    def child(self, *parts: str) -> SyncAsAsync:
        return SyncAsAsync(self.sync.child(*parts))

    def child_named(self, name: str) -> SyncAsAsync:
        return SyncAsAsync(self.sync.child_named(name))

    def child_from(self, entry: Any) -> SyncAsAsync:
        return SyncAsAsync(self.sync.child_from(entry))

    async def children(self):  # noqa: ANN201 - an async generator like the async API's
        for node in await asyncio.to_thread(self.sync.children):
            yield SyncAsAsync(node)

    def open(self, mode: str = "rb", **versions: Any) -> _FileAdapter:
        return _FileAdapter(self.sync, mode, versions)

    def open_version(self, version_id: str) -> _FileAdapter:
        return _FileAdapter(self.sync, "rb", {"version": version_id})


def _wrap(value: Any) -> Any:
    if isinstance(value, StorageNode):
        return SyncAsAsync(value)
    if isinstance(value, list) and value and isinstance(value[0], StorageNode):
        return [SyncAsAsync(v) for v in value]
    return value


class _FileAdapter:
    def __init__(self, node: StorageNode, mode: str, versions: Any = None) -> None:
        self._node, self._mode, self._file = node, mode, None
        self._versions = versions or {}

    async def __aenter__(self) -> _FileAdapter:
        self._file = await asyncio.to_thread(self._node.open, self._mode, **self._versions)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.to_thread(self._file.__exit__, *exc)

    @property
    def node(self) -> Any:
        """After a write: the node that holds the data."""
        return _wrap(self._file.node)

    async def read(self, size: int = -1) -> bytes:
        return await asyncio.to_thread(self._file.read, size)

    async def write(self, data: bytes) -> int:
        return await asyncio.to_thread(self._file.write, data)

    async def readline(self, size: int = -1) -> bytes:
        return await asyncio.to_thread(self._file.readline, size)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return await asyncio.to_thread(self._file.seek, offset, whence)

    async def tell(self) -> int:
        return self._file.tell()

    async def chunks(self, size: int | None = None):  # noqa: ANN201 - as AsyncFile.chunks
        while chunk := await self.read(size or 1024 * 1024):
            yield chunk

    def __aiter__(self) -> _FileAdapter:
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line
