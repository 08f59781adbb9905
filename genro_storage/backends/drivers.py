"""``SyncDriver``: a store logic (``StoreLogic`` subclass) under the sync API.

A driver is the backend object a mount holds. It *has* a logic (composition): it makes
``logic_class(config, runtime=self)`` and then serves two roles.

* As the backend, every public method is written out here with its real signature, and
  each is one driver invocation: ``return drive_sync(self.logic._g_info(path))``.
* As the logic's *runtime*, it turns the two indirections a logic yields into calls:

=================  ====================================  ==================================
runtime            ``logic._fs_op("cat_file", ...)``     ``logic._fs_coro(helper, ...)``
=================  ====================================  ==================================
sync (here)        ``Call(fs.cat_file)`` (fsspec's       ``Call(fsspec.asyn.sync, fs.loop,
                   own IO loop thread)                   helper, fs, ...)``
async, native      ``Call(fs._cat_file)``, awaited on    ``Call(helper, fs, ...)``, awaited
                   the caller's loop
async, thread      ``Blocking(fs.cat_file)``             ``Blocking(fsspec.asyn.sync, ...)``
=================  ====================================  ==================================

A client with both faces (obstore) needs no filesystem: ``logic._engine_op(sync_fn,
async_fn, ...)`` is ``Call(sync_fn)`` here, ``Call(async_fn)`` awaited under the native
async API, ``Blocking(sync_fn)`` under ``async_mode: thread``.

The readers and writers a logic makes are logic too; the driver hands them out behind
their faces (``streams.SyncReader``/``SyncWriter``).
The async twin is ``genro_storage.async_.backends.drivers.AsyncDriver``, written the same
way; ``tests/test_interface.py`` checks that the two expose the same signatures.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from .._shared.capabilities import Capabilities
from .._shared.config import MountConfig
from .._shared.identity import Location
from .._shared.info import FileInfo, Page, VersionInfo
from .._shared.sansio import Call, drive_sync
from .base import StorageBackend
from .store import FsCoroutine, StoreLogic
from .streams import SyncReader, SyncWriter

__all__ = ["SyncDriver"]


class SyncDriver(StorageBackend):
    """A store logic under the sync API: one filesystem instance (fsspec's sync face,
    its I/O on fsspec's own loop thread), made on first use."""

    #: The store's logic class; each concrete backend names its own.
    logic_class: ClassVar[type[StoreLogic]]
    #: For the logic: readers and writers are driven synchronously.
    asynchronous: ClassVar[bool] = False

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        self.logic = self.logic_class.for_config(config)(config, self)
        self._fs: Any = None
        self._fs_lock = threading.Lock()

    @property
    def type_name(self) -> str:  # type: ignore[override]
        """The mount type (``s3``, ``http``...)."""
        return self.logic.type_name

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        """What the store can do (HTTP mounts decide per configuration)."""
        return self.logic.capabilities

    # -- the runtime the logic uses -----------------------------------------------------
    def filesystem(self) -> Any:
        """The fsspec filesystem of this mount, made on first use."""
        with self._fs_lock:
            if self._fs is None:
                self._fs = self.logic._new_fs(asynchronous=False)
            return self._fs

    def fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        """The op that calls the filesystem's method ``name``."""
        return Call(self.logic.serialized(getattr(self.filesystem(), name)), args, kwargs)

    def fs_coro(self, fn: FsCoroutine, *args: Any, **kwargs: Any) -> Call:
        """The op that runs ``async def fn(fs, ...)`` on fsspec's loop thread."""
        from fsspec.asyn import sync

        fs = self.filesystem()
        return Call(sync, (fs.loop, fn, fs, *args), kwargs)

    def engine_op(
        self, sync_fn: Callable[..., Any], async_fn: FsCoroutine, *args: Any, **kwargs: Any
    ) -> Call:
        """The op calling a two-faced client (obstore): its sync function, directly."""
        return Call(sync_fn, args, kwargs)

    @property
    def engine(self) -> str:
        """The client library doing the I/O (``obstore`` or ``fsspec``)."""
        return self.logic.engine

    # -- the backend: one driver invocation each ----------------------------------------
    def location(self, path: str) -> Location:
        """The physical place of ``path`` (no I/O)."""
        return self.logic.location(path)

    def info(self, path: str) -> FileInfo:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        return drive_sync(self.logic._g_info(path))

    def read_bytes(self, path: str) -> bytes:
        """The whole file."""
        return drive_sync(self.logic._g_read_bytes(path))

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        """Bytes ``[start, end)`` of a file; ``end=None`` reads to the end."""
        return drive_sync(self.logic._g_read_range(path, start, end, etag))

    def write_bytes(self, path: str, data: bytes) -> str | None:
        """Replace the file's content atomically."""
        return drive_sync(self.logic._g_write_bytes(path, data))

    def open_read(self, path: str) -> SyncReader:
        """A reader (``read(n)``, ``close()``)."""
        return SyncReader(drive_sync(self.logic._g_open_read(path)))

    def open_write(self, path: str) -> SyncWriter:
        """A writer (``write``, ``commit``, ``abort``); nothing is visible before commit."""
        return SyncWriter(drive_sync(self.logic._g_open_write(path)))

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        """One page of the folder's entries, sorted by name."""
        return drive_sync(self.logic._g_list(path, page_size, cursor))

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        """Create a folder."""
        drive_sync(self.logic._g_mkdir(path, parents, exist_ok))

    def delete(self, path: str, recursive: bool = False) -> None:
        """Delete a file, or a folder (non-empty only with ``recursive``)."""
        drive_sync(self.logic._g_delete(path, recursive))

    def copy(self, src: str, dst: str) -> None:
        """Copy a file inside this mount."""
        drive_sync(self.logic._g_copy(src, dst))

    def move(self, src: str, dst: str) -> None:
        """Move a file inside this mount."""
        drive_sync(self.logic._g_move(src, dst))

    def same_store(self, other: Any) -> bool:
        """Whether the store can copy from this mount to ``other`` by itself."""
        return other is self or self.logic.same_store(getattr(other, "logic", None))

    def server_copy(self, src: str, other: Any, dst: str) -> None:
        """Copy ``src`` here to ``dst`` on ``other``, where ``same_store(other)``."""
        drive_sync(self.logic._g_server_copy(src, other.logic, dst))

    def md5hash(self, path: str) -> str | None:
        """The content MD5 if the store knows it without a download, else ``None``."""
        return drive_sync(self.logic._g_md5hash(path))

    def get_metadata(self, path: str) -> dict[str, str]:
        """The file's user metadata."""
        return drive_sync(self.logic._g_get_metadata(path))

    def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata."""
        drive_sync(self.logic._g_set_metadata(path, metadata))

    def versions(self, path: str) -> builtins.list[VersionInfo]:
        """Stored versions, newest first."""
        return drive_sync(self.logic._g_versions(path))

    def read_version(self, path: str, version_id: str) -> bytes:
        """The bytes of one stored version."""
        return drive_sync(self.logic._g_read_version(path, version_id))

    def open_read_version(self, path: str, version_id: str) -> SyncReader:
        """A reader over one stored version, streamed with ranged reads."""
        return SyncReader(drive_sync(self.logic._g_open_read_version(path, version_id)))

    def delete_version(self, path: str, version_id: str) -> None:
        """Remove one stored version for good."""
        drive_sync(self.logic._g_delete_version(path, version_id))

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """A URL for the file (presigned where the store signs), no I/O."""
        return self.logic.url(path, expires_in)

    def close(self) -> None:
        """Close the filesystem's sessions (on fsspec's loop) and local clients."""
        with self._fs_lock:
            fs, self._fs = self._fs, None
        self.logic._close_local()
        if fs is not None and getattr(fs, "loop", None) is not None:
            from fsspec.asyn import sync

            sync(fs.loop, self.logic._aclose_fs, fs)
