"""The sync write files: ``WriteFile`` (``open('wb')``, ``'xb'``, ``'ab'``) and
``TextWriteFile`` (``'w'``, ``'x'``, ``'a'``), io objects over an ``ops.WriteHandle``
that publish only on a clean, explicit close."""

from __future__ import annotations

import contextlib
import io
from types import TracebackType
from typing import TYPE_CHECKING, cast

from ._shared import operations as ops
from ._shared.sansio import drive_sync

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from .node import StorageNode

__all__ = ["TextWriteFile", "WriteFile"]


class RawWriter(io.RawIOBase):
    """``io`` face of an ``ops.WriteHandle``, which decides when to commit."""

    def __init__(self, handle: ops.WriteHandle[StorageNode]) -> None:
        self.handle = handle

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        if self.handle.aborted:  # the buffer's last flush after an abort goes nowhere
            return memoryview(data).nbytes
        return drive_sync(self.handle.g_write(bytes(data)))

    def close(self) -> None:
        if not self.closed:
            try:
                drive_sync(self.handle.g_close())
            finally:
                super().close()

    def __del__(self) -> None:
        _discard(getattr(self, "handle", None))
        super().__del__()


def _discard(handle: ops.WriteHandle[StorageNode] | None) -> None:
    """Run by the finaliser of every layer of a write file (raw, buffered, text): ``io``
    closes a file it collects, which would commit; in a reference cycle any layer may be
    collected first. So each one aborts the write before ``io`` closes it."""
    if handle is not None:
        handle.discard()


def _abort_quietly(handle: ops.WriteHandle[StorageNode]) -> None:
    """Abort on an exception inside ``with``; the user's exception is the one to see."""
    with contextlib.suppress(Exception):
        drive_sync(handle.g_abort())


class _PublishOnCleanExit:
    """The rule of both sync write files, in one place: a ``with`` block that raises
    aborts the write, and a file collected unclosed never publishes."""

    @property
    def _handle(self) -> ops.WriteHandle[StorageNode]:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None:
        """Publish on a clean exit; abort when the block raised."""
        if exc_type is not None:
            _abort_quietly(self._handle)
        super().__exit__(exc_type, exc, tb)  # type: ignore[misc]  # the io class's

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # a detached file has no raw or buffer
            _discard(self._handle)
        super().__del__()  # type: ignore[misc]  # the io class's


class WriteFile(_PublishOnCleanExit, io.BufferedWriter):
    """What ``StorageNode.open('wb')`` returns: a buffered binary file that publishes its
    content on an explicit, clean ``close()`` (or the clean end of a ``with`` block); an
    exception inside ``with``, a failed write or garbage collection aborts the write."""

    @property
    def _handle(self) -> ops.WriteHandle[StorageNode]:
        # ``raw`` is always the ``RawWriter`` given to __init__ (or raises once detached).
        return cast(RawWriter, self.raw).handle

    @property
    def node(self) -> StorageNode:
        """The node that holds the data once closed (base64: a new node)."""
        return self._handle.node


class TextWriteFile(_PublishOnCleanExit, io.TextIOWrapper):
    """What ``StorageNode.open('w')`` returns: the text face of ``WriteFile``, with the
    same rule (a plain ``TextIOWrapper`` closes, and so commits, when its ``with`` block
    fails)."""

    #: Bytes written before the first text (a byte order mark: ``start_encoding``).
    _prefix: bytes = b""

    def write(self, text: str, /) -> int:
        """Write ``text`` (after the ``_prefix``, on the first call)."""
        if self._prefix and isinstance(text, str):
            prefix, self._prefix = self._prefix, b""
            self.flush()
            self.buffer.write(prefix)
        return super().write(text)

    @property
    def _handle(self) -> ops.WriteHandle[StorageNode]:
        # ``buffer`` is always the ``WriteFile`` given to __init__.
        return cast(WriteFile, self.buffer)._handle

    @property
    def node(self) -> StorageNode:
        """The node that holds the data once closed (base64: a new node)."""
        return cast(WriteFile, self.buffer).node
