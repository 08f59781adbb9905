"""Readers and writers of the fsspec-based stores, written once as logic (``_g_``
generators). The two faces that drive them (``SyncReader``/``SyncWriter`` for the sync
API, ``AsyncReader``/``AsyncWriter`` for the async one; ``faces.py``) are importable from
here too. Every error that leaves a face is a ``StorageError`` naming the file (a
streamed write into a missing bucket fails like a whole-file one)."""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import os
import tempfile
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .._shared.exceptions import already_exists
from .._shared.info import FileInfo
from .._shared.sansio import Call, Logic, Shielded, blocking
from .faces import AsyncReader as AsyncReader  # the faces live in .faces
from .faces import AsyncWriter as AsyncWriter
from .faces import SyncReader as SyncReader
from .faces import SyncWriter as SyncWriter
from .local import unlink_quietly

if TYPE_CHECKING:  # the logic classes import this module
    from _typeshed import WriteableBuffer

    from .objectstore import ObjectStoreLogic
    from .store import StoreLogic

#: Parts of streamed uploads (GCS needs multiples of 256 KiB; S3 >= 5 MiB for every part
#: but the last). Parts are sent from the written chunks without joining them where the
#: store takes a stream (S3), else joined only when a part spans several writes.
PART_SIZE = 4 * 1024 * 1024
#: aiohttp warns (ResourceWarning) on a raw ``bytes`` body above 1 MiB: larger bodies
#: are sent as ``io.BytesIO`` streams.
SMALL_BODY = 1024 * 1024

# -- what the faces drive --------------------------------------------------------


class ReaderLogic(Protocol):
    """A reader written as logic (``RangeReader``, ``httpwire.StreamReader``...)."""

    def _where(self) -> str:
        """The file's name in messages."""
        ...

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        ...

    def _g_close(self) -> Logic[None]:
        """Release the reader (idempotent)."""
        ...


class WriterLogic(Protocol):
    """A writer written as logic (``SpoolWriter``, a ``PartWriter``...)."""

    def _where(self) -> str:
        """The file's name in messages."""
        ...

    def _g_write(self, data: bytes) -> Logic[int]:
        """Send or hold ``data``; returns its length."""
        ...

    def _g_commit(self) -> Logic[str | None]:
        """Publish what was written, whole (a new path where the store moved it)."""
        ...

    def _g_abort(self) -> Logic[None]:
        """Discard what was written."""
        ...


class RangeReader:
    """Reads a file with ranged requests: memory holds one ``read(n)`` at a time."""

    __slots__ = ("_backend", "_path", "_size", "_etag", "_pos", "_closed", "_whole")

    def __init__(
        self, backend: StoreLogic, path: str, size: int | None, etag: str | None = None
    ) -> None:
        self._backend = backend
        self._path = path
        self._size = size
        # The ETag taken with the size: every ranged read is pinned to it, so a file
        # replaced between two reads raises instead of mixing two versions.
        self._etag = etag
        self._pos = 0
        self._closed = False
        self._whole: bytes | None = None

    def _where(self) -> str:
        return self._backend.where(self._path)

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        if self._closed:
            raise ValueError("read from a closed file")
        if self._size is None:  # size unknown: fetch it once (it is known from then on)
            self._whole = yield from self._backend._g_read_bytes(self._path)
            self._size = len(self._whole)
        remaining = self._size - self._pos
        if remaining <= 0:
            return b""
        count = remaining if size is None or size < 0 else min(size, remaining)
        start, end = self._pos, self._pos + count
        if self._whole is not None:
            data = self._whole[start:end]
        else:
            data = yield from self._backend._g_read_range(self._path, start, end, self._etag)
        self._pos += len(data)
        return data

    def _g_close(self) -> Logic[None]:
        yield from ()
        self._closed = True
        self._whole = None


class SpoolWriter:
    """Spools to a temporary local file; ``commit`` uploads it in one store call
    (``backend._g_upload_file``) so the object appears whole or not at all. It holds a
    bare file descriptor, so a writer dropped uncommitted removes its spool file when it
    is collected, without a ``ResourceWarning``."""

    __slots__ = ("_backend", "_path", "_fd", "_local", "_md5", "_done")

    def __init__(self, backend: StoreLogic, path: str, fd: int, local: str) -> None:
        self._backend = backend
        self._path = path
        self._fd = fd
        self._local = local
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._done = False

    def _where(self) -> str:
        return self._backend.where(self._path)

    def _spool(self, data: bytes) -> int:
        self._md5.update(data)
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(self._fd, view) :]
        return len(data)

    def _close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def _release(self) -> None:
        """Close and remove the spool file (idempotent)."""
        try:
            self._close()
        finally:
            unlink_quietly(self._local)

    def _g_write(self, data: bytes) -> Logic[int]:
        if self._done:
            raise ValueError("write to a committed or aborted file")
        written: int = yield blocking(self._spool, bytes(data))
        return written

    def _g_commit(self) -> Logic[None]:
        if self._done:
            return
        self._done = True
        try:
            yield blocking(self._close)
            upload = self._backend._g_upload_file(self._path, self._local, self._md5.digest())
            yield Shielded(upload)  # the commit: once started it completes (see PartWriter)
        finally:
            yield blocking(self._release)

    def _g_abort(self) -> Logic[None]:
        self._done = True
        yield blocking(self._release)

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:  # dropped uncommitted: nothing is uploaded
            with contextlib.suppress(Exception):
                self._release()


def md5_digest(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def spool_file() -> tuple[int, str]:
    return tempfile.mkstemp(prefix="genro-storage-", suffix=".part")


def one_op(op: Call) -> Logic[Any]:
    """A logic of a single op (to run an op where a logic is expected)."""
    return (yield op)


def joined(chunks: list[bytes]) -> bytes:
    """One bytes object; no copy when there is a single chunk."""
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class ChunkStream(io.RawIOBase):
    """A seekable read-only file over a list of bytes chunks, so that a part made of
    several writes is sent without joining them into one more copy."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._starts: list[int] = []
        total = 0
        for chunk in chunks:
            self._starts.append(total)
            total += len(chunk)
        self._size = total
        self._pos = 0

    def __len__(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._pos >= self._size:
            return 0
        target = memoryview(buffer).cast("B")
        index = bisect.bisect_right(self._starts, self._pos) - 1
        offset = self._pos - self._starts[index]
        piece = memoryview(self._chunks[index])[offset : offset + len(target)]
        count = len(piece)
        target[:count] = piece
        self._pos += count
        return count


class PartWriter:
    """A native streamed upload: parts of ``part_size`` go up as they fill, and the
    object appears only when ``commit()`` completes the upload; ``abort()`` discards it.
    Data that never fills a part is sent with one ``backend._g_put_small`` on commit.
    Memory holds at most one part plus the last write.

    The commit (the last part and the final request) is shielded from cancellation: a
    cancelled call either stops before it, and nothing is visible, or completes. If the
    final request fails after the store may have acted on it, ``_g_undo`` removes what
    it made (see there), so that a failed commit leaves no new object behind.

    Subclasses implement the store's protocol: ``_g_send(part, last)``, ``_g_finish()``
    and ``_g_cancel()``.
    """

    part_size: ClassVar[int] = PART_SIZE
    #: Whether sending the last part completes the upload (GCS) rather than a separate
    #: final request (S3's complete, Azure's block list).
    last_part_commits: ClassVar[bool] = False
    #: Whether the store's requests can be made conditional on no object being at the
    #: key (S3 ``If-None-Match: *``, Azure ``if_none_match='*'``, GCS
    #: ``ifGenerationMatch=0``): then ``_g_commit_new`` is an atomic create-only commit.
    conditional_create: ClassVar[bool] = False
    __slots__ = (
        "_backend", "_key", "_content_type", "_chunks", "_held", "_sent", "_started", "_done",
        "_only_new",
    )  # fmt: skip

    def __init__(self, backend: ObjectStoreLogic, key: str, content_type: str) -> None:
        self._backend = backend
        self._key = key
        self._content_type = content_type
        self._chunks: deque[bytes] = deque()  # written, not sent yet (no copies)
        self._held = 0
        self._sent = 0  # bytes already sent in parts
        self._started = False
        self._done = False
        self._only_new = False  # set by ``_g_commit_new``: the final request is conditional

    def _where(self) -> str:
        return self._backend.where(self._backend.rel(self._key))

    def _take(self, size: int) -> list[bytes]:
        """The first ``size`` held bytes, as the chunks that hold them (not joined)."""
        taken: list[bytes] = []
        need = min(size, self._held)
        self._held -= need
        while need:
            head = self._chunks[0]
            if len(head) <= need:
                taken.append(self._chunks.popleft())
                need -= len(head)
            else:
                taken.append(head[:need])
                self._chunks[0] = head[need:]
                need = 0
        return taken

    def _g_write(self, data: bytes) -> Logic[int]:
        if self._done:
            raise ValueError("write to a committed or aborted file")
        data = bytes(data)
        if data:
            self._chunks.append(data)
            self._held += len(data)
        while self._held >= self.part_size:
            part = self._take(self.part_size)
            self._started = True
            yield from self._g_send(part, False)
            self._sent += sum(map(len, part))
        return len(data)

    def _g_commit(self) -> Logic[None]:
        if self._done:
            return
        finishing, before = False, None
        try:
            if not self._started:
                data = joined(self._take(self._held))
                put = self._backend._g_put_small(
                    self._key, data, self._content_type, only_new=self._only_new
                )
                yield Shielded(put)
            else:
                before = yield from self._backend._g_head(self._key)
                if self._only_new and before is not None:
                    raise already_exists(self._where())
                finishing = True
                if not self.last_part_commits:  # still invisible: may be cancelled
                    yield from self._g_send(self._take(self._held), True)
                yield Shielded(self._g_last())
        except BaseException:
            # Mode 'x' never undoes: an object there now may be another writer's (the
            # conditional request refused) and must not be removed.
            if finishing and not self._only_new:
                yield from self._g_undo(before)
            with contextlib.suppress(Exception):  # the first error is the one to report
                yield from self._g_abort()
            raise
        self._done = True

    def _g_commit_new(self) -> Logic[None]:
        """``_g_commit`` whose final request succeeds only where no object is at the key
        (mode 'x'; stores with ``conditional_create``). Refused: ``StorageExistsError``
        (HTTP 412), and nothing is published."""
        if not self.conditional_create:
            raise TypeError(f"{type(self).__name__} has no conditional create")
        self._only_new = True
        yield from self._g_commit()

    def _g_last(self) -> Logic[None]:
        """The commit: the request that makes the object visible (with the last part
        where that part is what completes the upload). It runs as one ``Shielded`` step:
        once started it completes (a cancellation arriving meanwhile lets the call
        succeed), so that a cancelled call never leaves an overwritten object behind."""
        if self.last_part_commits:
            yield from self._g_send(self._take(self._held), True)
        yield from self._g_finish()

    def _g_undo(self, before: FileInfo | None) -> Logic[None]:
        """The final request was interrupted: if it created the object anyway, remove it
        (where there was no object before; an overwrite cannot be taken back without
        versions). The server may still be finishing the request: look a few times."""
        after = yield from self._g_landed(before, (0.0, 0.05, 0.2, 0.5))
        if after is not None and before is None:
            yield from self._g_quietly(self._backend._g_remove([self._key]))

    def _g_landed(self, before: FileInfo | None, delays: Iterable[float]) -> Logic[FileInfo | None]:
        """The object the interrupted request made, if it shows up within ``delays``."""
        for delay in delays:
            if delay:
                yield blocking(time.sleep, delay)
            try:
                after = yield from self._backend._g_head(self._key)
            except Exception:  # noqa: BLE001 - best effort: the interruption is reported
                return None
            if after is not None and (before is None or after.etag != before.etag):
                return after
        return None

    def _g_quietly(self, logic: Logic[Any]) -> Logic[None]:
        with contextlib.suppress(Exception):  # cleanup never hides the first error
            yield from logic

    def _g_abort(self) -> Logic[None]:
        self._done = True
        self._chunks.clear()
        self._held = 0
        if self._started:
            self._started = False
            yield from self._g_cancel()

    def _g_send(self, part: list[bytes], last: bool) -> Logic[None]:
        """Send one part, given as the chunks that hold it."""
        raise NotImplementedError

    def _g_finish(self) -> Logic[None]:
        raise NotImplementedError

    def _g_cancel(self) -> Logic[None]:
        raise NotImplementedError
