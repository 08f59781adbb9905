"""``AsyncGenroFileSystem``: the fsspec ``AsyncFileSystem`` over an
``AsyncStorageManager``'s mounts."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fsspec.asyn import AsyncFileSystem, sync, sync_wrapper

from .._shared.exceptions import StorageConfigError, is_a_directory
from ..async_.manager import AsyncStorageManager
from .core import GenroCore
from .drive import PROTOCOL, run_async
from .files import AsyncGenroFile, GenroFile, LoopWriter, Writer

__all__ = ["AsyncGenroFileSystem"]


class AsyncGenroFileSystem(GenroCore, AsyncFileSystem):  # type: ignore[misc]  # untyped base
    """fsspec ``AsyncFileSystem`` over an ``AsyncStorageManager``'s mounts.

    ``manager.fs`` is one with ``asynchronous=True``: ``await fs._ls('mem')``,
    ``await fs._cat_file(...)``, ``f = await fs.open_async(path, 'rb')``. Built with
    ``asynchronous=False`` it also has fsspec's blocking methods, run on fsspec's loop.
    """

    def __init__(self, storage: Any = None, **kwargs: Any) -> None:
        self._check_storage(storage, AsyncStorageManager)
        self.storage = storage
        super().__init__(**kwargs)

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        call: Awaitable[Any] = getattr(self, f"_{name}")(*args, **kwargs)
        return call

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        return await run_async(self._g_ls(path, detail))

    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        return await run_async(self._g_info(path))

    async def _cat_file(
        self,
        path: str,
        start: int | None = None,
        end: int | None = None,
        etag: str | None = None,
        **kwargs: Any,
    ) -> bytes:
        return await run_async(self._g_cat_file(path, start, end, etag))

    async def _pipe_file(
        self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        await run_async(self._g_pipe_file(path, value, mode))

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        await run_async(self._g_rm(path, False, None))

    async def _rm(
        self,
        path: str | list[str],
        recursive: bool = False,
        batch_size: int | None = None,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        await run_async(self._g_rm(path, recursive, maxdepth))

    async def _rmdir(self, path: str) -> None:
        await run_async(self._g_rmdir(path))

    rmdir = sync_wrapper(_rmdir)

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        await run_async(self._g_mkdir(path, create_parents, False))

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        await run_async(self._g_mkdir(path, True, exist_ok))

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        await run_async(self._g_cp_file(path1, path2))

    async def _mv(
        self,
        path1: str,
        path2: str,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        await run_async(self._g_mv(path1, path2, recursive))

    def mv(
        self,
        path1: str,
        path2: str,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Move a file or (with ``recursive``) a tree with the library's move."""
        sync(self.loop, self._mv, path1, path2, recursive=recursive)

    async def open_async(
        self, path: str, mode: str = "rb", block_size: int | None = None, **kwargs: Any
    ) -> AsyncGenroFile:
        """``f = await fs.open_async(path, 'rb'|'wb')``; ``async with f:``. Each
        ``await f.read(n)`` is one ranged read; a ``'wb'`` file is published only when
        closed cleanly (an exception inside ``async with`` publishes nothing)."""
        path = self._strip_protocol(path)
        if mode == "rb":
            info = await self._info(path)
            if info["type"] != "file":
                raise is_a_directory(f"{PROTOCOL}://{path}")
            return AsyncGenroFile(
                self, path, mode, block_size, size=info["size"], etag=info.get("etag")
            )
        if mode == "wb":
            writer = self._node(path).open("wb")  # a read-only mount refuses here
            await writer.__aenter__()
            return AsyncGenroFile(self, path, mode, block_size, writer=writer)
        raise StorageConfigError(f"open_async() mode must be 'rb' or 'wb', not {mode!r}")

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> GenroFile:
        if self.asynchronous:
            raise StorageConfigError(
                "This filesystem is asynchronous: use 'await fs.open_async(path, mode)'"
            )
        return GenroFile(
            self, path, mode, block_size, autocommit, cache_options=cache_options, **kwargs
        )

    def _open_writer(self, path: str) -> Writer:
        return LoopWriter(self._node(path), self.loop)
