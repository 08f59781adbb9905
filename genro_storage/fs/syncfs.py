"""``GenroFileSystem``: the sync fsspec filesystem over a ``StorageManager``'s mounts."""

from __future__ import annotations

from typing import Any

from fsspec.spec import AbstractFileSystem

from .._shared.exceptions import StorageConfigError
from ..async_.manager import AsyncStorageManager
from ..manager import StorageManager
from .core import GenroCore
from .drive import run_sync
from .files import GenroFile, NodeWriter, Writer

__all__ = ["GenroFileSystem"]


class GenroFileSystem(GenroCore, AbstractFileSystem):  # type: ignore[misc]  # untyped base
    """fsspec filesystem over a ``StorageManager``'s mounts (protocol ``genro``).

    ``GenroFileSystem(storage=manager)``, or ``fsspec.filesystem('genro',
    storage=manager)``, or ``manager.fs``. An ``AsyncStorageManager`` works through its
    ``as_sync()`` twin. Paths are ``mount/path``; ``ls('')`` lists the mounts.
    """

    def __init__(self, storage: Any = None, **kwargs: Any) -> None:
        if kwargs.pop("asynchronous", False):
            raise StorageConfigError(
                "GenroFileSystem is sync: for coroutines use AsyncStorageManager.fs "
                "(an AsyncGenroFileSystem)"
            )
        if isinstance(storage, AsyncStorageManager):
            storage = storage.as_sync()
        self._check_storage(storage, StorageManager)
        self.storage = storage
        super().__init__(**kwargs)

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """Entries of a folder (a file lists as itself); ``ls('')`` gives the mounts."""
        return run_sync(self._g_ls(path, detail))

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """``name``, ``size``, ``type``, ``mtime`` (and ``etag``/``md5``... when known)."""
        return run_sync(self._g_info(path))

    def cat_file(
        self,
        path: str,
        start: int | None = None,
        end: int | None = None,
        etag: str | None = None,
        **kwargs: Any,
    ) -> bytes:
        """Bytes ``[start, end)`` in one request (negative offsets count from the end).
        ``etag``: pin the read to that version (see ``node.read_range``)."""
        return run_sync(self._g_cat_file(path, start, end, etag))

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Replace the file's content atomically."""
        run_sync(self._g_pipe_file(path, value, mode))

    def rm_file(self, path: str) -> None:
        """Delete one file."""
        run_sync(self._g_rm(path, False, None))

    def rm(
        self, path: str | list[str], recursive: bool = False, maxdepth: int | None = None
    ) -> None:
        """Delete files, or folders with ``recursive=True`` (each by one library call)."""
        run_sync(self._g_rm(path, recursive, maxdepth))

    def rmdir(self, path: str) -> None:
        """Delete an empty folder."""
        run_sync(self._g_rmdir(path))

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a folder; an existing one raises ``FileExistsError``."""
        run_sync(self._g_mkdir(path, create_parents, False))

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create a folder and its parents; an existing one is an error unless
        ``exist_ok``."""
        run_sync(self._g_mkdir(path, True, exist_ok))

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy one file with the library (server-side where the store can)."""
        run_sync(self._g_cp_file(path1, path2))

    def mv(
        self,
        path1: str,
        path2: str,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Move a file or (with ``recursive``) a tree with the library's move."""
        run_sync(self._g_mv(path1, path2, recursive))

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> GenroFile:
        return GenroFile(
            self, path, mode, block_size, autocommit, cache_options=cache_options, **kwargs
        )

    def _open_writer(self, path: str) -> Writer:
        return NodeWriter(self._node(path))
