"""Seekable read-only files over ranged reads, written once for both APIs.

``SeekLogic`` keeps a file's position, its size (when known) and one read-ahead block;
its ``_g_`` methods are sans-IO logic that yield one ranged read
(``backend.read_range(path, start, end)``) when the block does not cover what is asked.
``SeekableFile`` is the sync face (an ``io.BufferedIOBase``, so ``TextIOWrapper``,
``zipfile`` and ``pyarrow`` take it); ``async_.seekfile.AsyncReading`` is the async one.

What is fetched: opening asks for the file's facts only (``info``: one HEAD on the
cloud stores), never its content. A read the block already covers fetches nothing; a
small read fetches the ``READ_AHEAD`` bytes from the position (clamped to the size); a
read of ``READ_AHEAD`` bytes or more fetches exactly what is missing. The position and
the block change only once a fetch has returned, so a read cancelled by the async API
leaves the file where it was.
"""

from __future__ import annotations

import errno
import io
import operator
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import (
    StorageBackendError,
    StorageNotFoundError,
    changed_while_read,
    errors_as_storage,
    is_a_directory,
)
from .sansio import Call, Logic, blocking, call, drive_sync

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["READ_AHEAD", "SeekLogic", "SeekableFile", "g_open_seekable"]

#: Bytes fetched by one small read (the read-ahead block): a file read in small pieces
#: (lines, a zip's headers, a Parquet footer) costs one ranged read per block.
READ_AHEAD = 1024 * 1024

#: The op reading bytes ``[start, end)`` (``end=None``: to the end) of the file.
Fetch = Callable[[int, "int | None"], Call]


class SeekLogic:
    """Position, size and read-ahead block of one read-only file; sans-IO (see module)."""

    __slots__ = (
        "_fetch", "_where", "_size", "_pos", "_block", "_block_at", "_ahead", "closed",
        "_open_stream", "_stream", "_stream_pos", "_release", "_seen", "_look", "_etag",
    )  # fmt: skip

    def __init__(
        self,
        fetch: Fetch,
        size: int | None,
        where: str,
        read_ahead: int = READ_AHEAD,
        open_stream: Callable[[], Call] | None = None,
        release: Callable[[], Call] | None = None,
        look: Callable[[], Call] | None = None,
        etag: str | None = None,
    ) -> None:
        self._fetch = fetch
        #: With ``open_stream``: the op giving the file's facts now (``info``) and the
        #: ETag seen at open; every (re)opened stream is checked against it, so a seek
        #: back never reads another version (the pinned-read rule of the ranged reads).
        self._look = look
        self._etag = etag
        self._release = release  # the op closing what ``fetch`` reads, if anything
        #: Where the size is unknown, the store may not answer ranges either (an HTTP
        #: server without Content-Length nor Range): bytes then come from one sequential
        #: reader (``open_stream``), reopened only to go back.
        self._open_stream = open_stream
        self._stream: Any = None
        self._stream_pos = 0
        self._where = where
        self._size = size  # None: unknown until a read finds the end
        self._seen = 0  # where the size is unknown: bytes up to here exist
        self._pos = 0
        self._block = b""  # bytes [_block_at, _block_at + len(_block)) of the file
        self._block_at = 0
        self._ahead = max(1, read_ahead)
        self.closed = False

    @property
    def where(self) -> str:
        """The file's name in messages (``mount:path``)."""
        return self._where

    @property
    def size(self) -> int | None:
        """The file's size, when known."""
        return self._size

    def check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _g_close(self) -> Logic[None]:
        """Close the file (idempotent): the sequential reader, if one is open."""
        self.closed = True
        self._block = b""
        release, self._release = self._release, None
        try:
            yield from self._g_drop_stream()
        finally:
            if release is not None:
                yield release()

    def _g_drop_stream(self) -> Logic[None]:
        stream, self._stream = self._stream, None
        if stream is not None:
            yield call(stream.close)

    def tell(self) -> int:
        """The position."""
        self.check_open()
        return self._pos

    # -- what the block holds (no I/O) ------------------------------------------------
    def _held(self, pos: int, limit: int | None) -> memoryview:
        """Up to ``limit`` block bytes from ``pos`` (``None``: to the block's end; empty
        when ``pos`` is outside the block)."""
        offset = pos - self._block_at
        if offset < 0 or offset >= len(self._block):
            return memoryview(b"")
        return memoryview(self._block)[offset : None if limit is None else offset + limit]

    def _newline(self, pos: int, limit: int | None) -> int:
        """How many block bytes from ``pos`` make a line ending in ``\\n`` within
        ``limit`` bytes, or -1 (searched in place: no copy of the block)."""
        offset = pos - self._block_at
        if offset < 0 or offset >= len(self._block):
            return -1
        stop = len(self._block) if limit is None else min(len(self._block), offset + limit)
        cut = self._block.find(b"\n", offset, stop)
        return -1 if cut < 0 else cut + 1 - offset

    def _wanted(self, size: int | None) -> int | None:
        """``size`` as a count, clamped to what is left when the size is known (``None``
        means the rest)."""
        if size is None:
            return None
        size = operator.index(size)
        if size < 0:
            return None if self._size is None else max(0, self._size - self._pos)
        if self._size is not None:
            return max(0, min(size, self._size - self._pos))
        return size

    def read_held(self, size: int | None = -1) -> bytes | None:
        """The bytes of ``read(size)`` when the block holds them all (no I/O), else
        ``None`` (nothing changes then)."""
        self.check_open()
        count = self._wanted(size)
        if count is None:
            return None
        held = self._held(self._pos, count)
        if len(held) < count:
            return None
        self._pos += count
        return bytes(held)

    def line_held(self, limit: int | None = -1) -> bytes | None:
        """The line ``readline(limit)`` gives when the block holds it all, else ``None``."""
        self.check_open()
        block, offset = self._block, self._pos - self._block_at
        if limit == -1 and 0 <= offset < len(block):  # the common case, kept short
            cut = block.find(b"\n", offset)
            if cut >= 0:
                self._pos += cut + 1 - offset
                return block[offset : cut + 1]
        limit = -1 if limit is None else operator.index(limit)
        end = self._size
        room = None if limit < 0 else limit
        cut = self._newline(self._pos, room)
        held = self._held(self._pos, room)
        if cut >= 0:
            line = bytes(held[:cut])
        elif limit >= 0 and len(held) == limit:
            line = bytes(held)
        elif end is not None and self._pos >= end:
            line = b""
        elif end is not None and held and self._pos + len(held) == end:
            line = bytes(held)
        else:
            return None
        self._pos += len(line)
        return line

    # -- logic ------------------------------------------------------------------------
    def _g_get(self, start: int, end: int | None) -> Logic[bytes]:
        """Bytes ``[start, end)``; a short answer is the end of a file of unknown size,
        and an error where the size was known (the file changed while it was read)."""
        if self._size is not None:
            if start >= self._size:
                return b""
            end = self._size if end is None else min(end, self._size)
        if end is not None and end <= start:
            return b""
        known = self._size
        with errors_as_storage(self._where):
            if self._open_stream is not None:
                data = yield from self._g_streamed(start, end)
            else:
                data = bytes((yield self._fetch(start, end)))
        asked = None if end is None else end - start
        if known is None:
            if data:
                self._seen = max(self._seen, start + len(data))
            # A short answer ends the file; an empty one only where bytes were seen to
            # reach (a read past the end says nothing of where the end is).
            short = asked is None or len(data) < asked
            if self._size is None and short and (data or start <= self._seen):
                self._size = start + len(data)
        elif len(data) < (known - start if asked is None else asked):
            raise StorageBackendError(
                f"Backend error on '{self._where}': the file changed while it was read "
                f"(bytes from {start}: {len(data)} came, {asked or known - start} expected)"
            )
        if asked is not None and len(data) > asked:  # never more than asked
            data = data[:asked]
        return data

    def _g_streamed(self, start: int, end: int | None) -> Logic[bytes]:
        """Bytes ``[start, end)`` from the sequential reader: forward by reading (what a
        server without ranges sends anyway), backward by reopening it. An interrupted
        read drops the reader (its position is unknown then)."""
        try:
            if self._stream is not None and start < self._stream_pos:
                yield from self._g_drop_stream()
            if self._stream is None:
                self._stream = yield self._open_stream()  # type: ignore[misc]
                self._stream_pos = 0
                if self._etag is not None and self._look is not None:
                    # opened, then looked: its bytes are the pinned version's only if
                    # the file still has that ETag
                    try:
                        now = yield self._look()
                    except StorageNotFoundError:
                        now = None  # gone since: changed too
                    if getattr(now, "etag", None) != self._etag:
                        raise changed_while_read(self._where)
            while self._stream_pos < start:
                skipped = yield call(self._stream.read, min(start - self._stream_pos, READ_AHEAD))
                if not skipped:  # the file ends before ``start``
                    self._size = self._stream_pos
                    return b""
                self._stream_pos += len(skipped)
            data = bytes((yield call(self._stream.read, -1 if end is None else end - start)))
            self._stream_pos += len(data)
            return data
        except BaseException:
            yield from self._g_drop_stream()
            raise

    def _g_fill(self, pos: int) -> Logic[bool]:
        """Fetch the block at ``pos``; ``False`` at the end of the file."""
        if self._size is not None and pos >= self._size:
            return False
        data = yield from self._g_get(pos, pos + self._ahead)
        if not data:
            return False
        self._block, self._block_at = data, pos
        return True

    def _g_read(self, size: int | None = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative or ``None``); ``b''`` at the end."""
        self.check_open()
        count = self._wanted(size)
        pos = self._pos
        if count == 0:
            return b""
        held = bytes(self._held(pos, count))
        if count is not None and len(held) == count:
            self._pos = pos + count
            return held
        start = pos + len(held)
        if count is None:  # the rest: one fetch, not kept as the block
            rest = yield from self._g_get(start, None)
        elif count - len(held) >= self._ahead:  # a large read: exactly what is missing
            rest = yield from self._g_get(start, pos + count)
        else:
            rest = b""
            if (yield from self._g_fill(start)):
                rest = bytes(self._held(start, count - len(held)))
        data = held + rest if held else rest
        self._pos = pos + len(data)
        return data

    def _g_readline(self, limit: int | None = -1) -> Logic[bytes]:
        """One line with its ``\\n`` (at most ``limit`` bytes when ``limit >= 0``)."""
        self.check_open()
        limit = -1 if limit is None else operator.index(limit)
        pos, parts, have = self._pos, [], 0
        while limit < 0 or have < limit:
            room = None if limit < 0 else limit - have
            cut = self._newline(pos + have, room)
            held = self._held(pos + have, room)
            if cut >= 0:
                parts.append(bytes(held[:cut]))
                have += cut
                break
            if held:
                parts.append(bytes(held))
                have += len(held)
                continue
            if not (yield from self._g_fill(pos + have)):
                break
        line = b"".join(parts)
        self._pos = pos + len(line)
        return line

    def _g_seek(self, offset: int, whence: int = io.SEEK_SET) -> Logic[int]:
        """Move to ``offset`` from the start (0), the position (1) or the end (2)."""
        self.check_open()
        offset = operator.index(offset)
        whence = operator.index(whence)
        if whence == io.SEEK_SET:
            base = 0
        elif whence == io.SEEK_CUR:
            base = self._pos
        elif whence == io.SEEK_END:
            base = yield from self._g_size()
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        target = base + offset
        if target < 0:  # an OSError as for a disk file (zipfile expects it on tiny files)
            raise OSError(errno.EINVAL, f"negative seek position {target} in '{self._where}'")
        self._pos = target
        return target

    def _g_size(self) -> Logic[int]:
        if self._size is None:
            raise StorageBackendError(
                f"Cannot seek from the end of '{self._where}': its size is unknown (the "
                "server sends no Content-Length and answers no Range request); read it "
                "to the end first, or seek from the start"
            )
        yield from ()
        return self._size


def _read_at(handle: io.BufferedReader, start: int, end: int | None) -> bytes:
    """Bytes ``[start, end)`` of an open disk file, whatever its position (``pread``)."""
    fd = handle.fileno()
    if end is None:
        end = os.fstat(fd).st_size
    parts, pos = [], start
    while pos < end:
        piece = os.pread(fd, min(end - pos, 1 << 30), pos)
        if not piece:
            break
        parts.append(piece)
        pos += len(piece)
    return b"".join(parts)


def g_open_seekable(node: Any, read_ahead: int = READ_AHEAD) -> Logic[SeekLogic]:
    """The logic of ``node.open('rb')`` on either API: the file's facts (one ``info``,
    no content), then a ``SeekLogic`` over ``node``'s backend's ``read_range``. A store
    whose reads are pinned (local disk: ``_reads_pinned``) is read through the one file
    its ``open_read`` opens, in a thread under the async API."""
    backend, path, where = node._backend, node.path, node.fullpath
    twin = backend.sync_backend() if hasattr(backend, "sync_backend") else backend
    if getattr(twin, "_reads_pinned", False):
        with errors_as_storage(where):
            handle = yield blocking(twin.open_read, path)
        try:
            size = os.fstat(handle.fileno()).st_size
        except BaseException:
            handle.close()
            raise
        return SeekLogic(
            lambda start, end: blocking(_read_at, handle, start, end),
            size,
            where,
            read_ahead,
            release=lambda: blocking(handle.close),
        )
    with errors_as_storage(where):
        found = yield call(backend.info, path)
    if found.isdir and not found.has_content:
        raise is_a_directory(where)

    etag = found.etag  # every block read is pinned to it: never two versions mixed

    def fetch(start: int, end: int | None) -> Call:
        return call(backend.read_range, path, start, end, etag)

    def open_stream() -> Call:
        return call(backend.open_read, path)

    def look() -> Call:
        return call(backend.info, path)

    unknown = found.size is None  # no size: maybe no ranges either (see SeekLogic)
    if not unknown:
        return SeekLogic(fetch, found.size, where, read_ahead)
    return SeekLogic(fetch, None, where, read_ahead, open_stream, look=look, etag=etag)


class SeekableFile(io.BufferedIOBase):
    """What the sync ``node.open('rb')`` returns: a buffered, seekable binary file over
    ranged reads (``seek``/``tell`` with every ``whence``, ``read``, ``readinto``,
    ``readline``, iteration by lines); ``name`` is the node's ``mount:path``."""

    def __init__(self, logic: SeekLogic) -> None:
        super().__init__()
        self._logic = logic
        self._lock = threading.Lock()  # one call at a time, as io's buffered files

    @property
    def name(self) -> str:
        """The node's ``mount:path``."""
        return self._logic.where

    @property
    def mode(self) -> str:
        return "rb"

    def __repr__(self) -> str:
        return f"<SeekableFile name={self.name!r}>"

    def readable(self) -> bool:
        self._logic.check_open()
        return True

    def seekable(self) -> bool:
        self._logic.check_open()
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        with self._lock:
            held = self._logic.read_held(size)
            return held if held is not None else drive_sync(self._logic._g_read(size))

    def read1(self, size: int = -1, /) -> bytes:
        """As ``read``: at most one ranged read."""
        return self.read(size)

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        """Fill ``buffer`` with the next bytes; returns how many (0 at the end)."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readinto1(self, buffer: WriteableBuffer, /) -> int:
        return self.readinto(buffer)

    def readline(self, size: int | None = -1, /) -> bytes:
        """The next line with its ``\\n`` (at most ``size`` bytes when given)."""
        with self._lock:
            held = self._logic.line_held(size)
            return held if held is not None else drive_sync(self._logic._g_readline(size))

    def __next__(self) -> bytes:
        """The next line (iteration by lines)."""
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        """Move to ``offset`` from the start (0), the position (1) or the end (2)."""
        with self._lock:
            return drive_sync(self._logic._g_seek(offset, whence))

    def tell(self) -> int:
        return self._logic.tell()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if not self.closed:
            try:
                with self._lock:
                    drive_sync(self._logic._g_close())
            finally:
                super().close()
