"""The two faces that drive the reader and writer logics of ``streams``:
``SyncReader``/``SyncWriter`` for the sync API, ``AsyncReader``/``AsyncWriter`` for the
async one. Every error that leaves a face is a ``StorageError`` naming the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._shared.exceptions import errors_as_storage
from .._shared.sansio import drive_async, drive_sync

if TYPE_CHECKING:
    from .streams import ReaderLogic, WriterLogic

# -- the faces ------------------------------------------------------------------


class SyncReader:
    """The sync face of a reader logic (``RangeReader``, ``StreamReader``...)."""

    __slots__ = ("_logic",)

    def __init__(self, logic: ReaderLogic) -> None:
        self._logic = logic

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        with errors_as_storage(self._logic._where()):
            return drive_sync(self._logic._g_read(size))

    def close(self) -> None:
        """Release the reader (idempotent)."""
        with errors_as_storage(self._logic._where()):
            drive_sync(self._logic._g_close())


class AsyncReader:
    """The async face of a reader logic."""

    __slots__ = ("_logic",)

    def __init__(self, logic: ReaderLogic) -> None:
        self._logic = logic

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        with errors_as_storage(self._logic._where()):
            return await drive_async(self._logic._g_read(size))

    async def close(self) -> None:
        """Release the reader (idempotent)."""
        with errors_as_storage(self._logic._where()):
            await drive_async(self._logic._g_close())


class SyncWriter:
    """The sync face of a writer logic (``SpoolWriter``, a ``PartWriter``...): nothing
    is visible before ``commit()``."""

    __slots__ = ("_logic",)

    def __init__(self, logic: WriterLogic) -> None:
        self._logic = logic

    def write(self, data: bytes) -> int:
        """Send or hold ``data``; returns its length."""
        with errors_as_storage(self._logic._where()):
            return drive_sync(self._logic._g_write(data))

    def commit(self) -> str | None:
        """Publish what was written, whole."""
        with errors_as_storage(self._logic._where()):
            return drive_sync(self._logic._g_commit())

    def abort(self) -> None:
        """Discard what was written."""
        with errors_as_storage(self._logic._where()):
            drive_sync(self._logic._g_abort())

    @property
    def can_commit_new(self) -> bool:
        """Whether ``commit_new`` is the store's atomic create-only commit."""
        return bool(getattr(self._logic, "conditional_create", False))

    def commit_new(self) -> str | None:
        """Publish only where nothing is at the path (``StorageExistsError``)."""
        with errors_as_storage(self._logic._where()):
            landed: str | None = drive_sync(self._logic._g_commit_new())  # type: ignore[attr-defined]
            return landed


class AsyncWriter:
    """The async face of a writer logic: nothing is visible before ``commit()``."""

    __slots__ = ("_logic",)

    def __init__(self, logic: WriterLogic) -> None:
        self._logic = logic

    async def write(self, data: bytes) -> int:
        """Send or hold ``data``; returns its length."""
        with errors_as_storage(self._logic._where()):
            return await drive_async(self._logic._g_write(data))

    async def commit(self) -> str | None:
        """Publish what was written, whole."""
        with errors_as_storage(self._logic._where()):
            return await drive_async(self._logic._g_commit())

    async def abort(self) -> None:
        """Discard what was written."""
        with errors_as_storage(self._logic._where()):
            await drive_async(self._logic._g_abort())

    @property
    def can_commit_new(self) -> bool:
        """Whether ``commit_new`` is the store's atomic create-only commit."""
        return bool(getattr(self._logic, "conditional_create", False))

    async def commit_new(self) -> str | None:
        """Publish only where nothing is at the path (``StorageExistsError``)."""
        with errors_as_storage(self._logic._where()):
            landed: str | None = await drive_async(self._logic._g_commit_new())  # type: ignore[attr-defined]
            return landed
