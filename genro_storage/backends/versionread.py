"""``VersionReader``: one stored version of an object read with ranged requests (S3
``GetObject`` with ``VersionId`` and ``Range``), so that opening an old version of a
large file holds one ``read(n)`` in memory, never the whole version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._shared.exceptions import errors_as_storage
from .._shared.sansio import Logic

if TYPE_CHECKING:
    from .store import StoreLogic


class VersionReader:
    """Reads ``version_id`` of ``path`` (whose size is known from the version listing)."""

    __slots__ = ("_backend", "_path", "_version_id", "_size", "_pos", "_closed")

    def __init__(self, backend: StoreLogic, path: str, version_id: str, size: int) -> None:
        self._backend = backend
        self._path = path
        self._version_id = version_id
        self._size = size
        self._pos = 0
        self._closed = False

    def _where(self) -> str:
        return f"{self._backend.where(self._path)}@{self._version_id}"

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        if self._closed:
            raise ValueError("read from a closed file")
        remaining = self._size - self._pos
        if remaining <= 0:
            return b""
        count = remaining if size is None or size < 0 else min(size, remaining)
        start, end = self._pos, self._pos + count
        full = self._backend.full(self._path)
        with errors_as_storage(self._where()):
            data: bytes = yield self._backend._fs_op(
                "cat_file", full, start=start, end=end, version_id=self._version_id
            )
        self._pos += len(data)
        return data

    def _g_close(self) -> Logic[None]:
        yield from ()
        self._closed = True
