"""``StorageNode``: a file or directory on a mount, with the sync API."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Literal, TextIO, cast, overload

from ._shared import compat, httpwire
from ._shared import operations as ops
from ._shared import transfer as tr
from ._shared.config import check_local_path
from ._shared.info import FileInfo, Page, VersionInfo, check_page_args, check_range
from ._shared.modes import g_open_write, parse_mode
from ._shared.nodecore import NodeCore
from ._shared.sansio import drive_sync
from ._shared.seekable import SeekableFile, g_open_seekable
from ._shared.textcodec import start_encoding
from ._shared.versions import snapshot_of
from .backends.base import StorageBackend
from .backends.snapshot import SnapshotBackend
from .node_compat import NodeCompat
from .nodepath import PathMixin
from .processing import NodeProcessing
from .writefile import RawWriter, TextWriteFile, WriteFile

if TYPE_CHECKING:
    from .manager import StorageManager

__all__ = ["StorageNode", "TextWriteFile", "WriteFile"]


class StorageNode(PathMixin, NodeProcessing, NodeCompat, NodeCore[StorageBackend]):
    """A ``mount:path``. Facts are properties; every other I/O member is a method.

    Nodes are cheap: creating one does no I/O, and a node may name something that
    does not exist yet.
    """

    __slots__ = ()
    _manager: StorageManager

    def as_sync(self) -> StorageNode:
        """This node (the async node's ``as_sync()`` gives its sync twin)."""
        return self

    # -- facts ----------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """Whether something exists at this path."""
        return drive_sync(ops.fact(self, "exists"))

    @property
    def isfile(self) -> bool:
        """Whether a file is at this path (``False`` when nothing is there)."""
        return drive_sync(ops.fact(self, "isfile"))

    @property
    def isdir(self) -> bool:
        """Whether a directory is at this path (``False`` when nothing is there)."""
        return drive_sync(ops.fact(self, "isdir"))

    @property
    def size(self) -> int | None:
        """Size in bytes (``None`` when the store cannot tell); raises if missing, and
        ``StorageIsADirectoryError`` (also a ``ValueError``) for a directory."""
        return drive_sync(ops.fact(self, "size"))

    @property
    def mtime(self) -> float | None:
        """Last modification time (POSIX seconds), when the store keeps one."""
        return drive_sync(ops.fact(self, "mtime"))

    def info(self) -> FileInfo:
        """All facts in one call."""
        return self._backend.info(self._path)

    # -- content --------------------------------------------------------------------
    def read_bytes(self) -> bytes:
        """The whole content; raises ``StorageNotFoundError`` if missing."""
        return self._backend.read_bytes(self._path)

    def read_text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The whole content decoded with ``encoding`` (``errors`` as in ``bytes.decode``)."""
        return self.read_bytes().decode(encoding, errors)

    def read_range(self, start: int, end: int | None = None, *, etag: str | None = None) -> bytes:
        """Bytes ``[start, end)`` without reading the whole file where the store allows.

        ``etag``: pin the read to the version that had this ETag (``info().etag``, taken
        when a reader made of several ranged calls started). If the file no longer has
        it, ``StorageBackendError`` ("the file changed while it was read") is raised,
        never bytes of another version; pass the same ETag on every call of one read."""
        check_range(start, end, etag)
        return self._backend.read_range(self._path, start, end, etag)

    def write_bytes(self, data: bytes) -> StorageNode:
        """Replace the content atomically (never a half-written file).

        Returns the node that now holds the data: this node, except on a base64 mount,
        where the content is the path and the result is a new node (nodes never change).
        """
        return drive_sync(ops.write_bytes(self, data))

    def write_text(self, text: str, encoding: str = "utf-8") -> StorageNode:
        """Like ``write_bytes``, encoding ``text``; returns the node holding it."""
        if not isinstance(text, str):
            raise TypeError(f"write_text() needs str, not {type(text).__name__}")
        return self.write_bytes(text.encode(encoding))

    @overload
    def open(
        self,
        mode: Literal["rb"] = "rb",
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> BinaryIO: ...
    @overload
    def open(
        self,
        mode: Literal["r"],
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> TextIO: ...
    @overload
    def open(
        self,
        mode: Literal["wb", "xb", "ab"],
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> WriteFile: ...
    @overload
    def open(
        self,
        mode: Literal["w", "x", "a"],
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> TextWriteFile: ...
    @overload
    def open(
        self,
        mode: str,
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]: ...
    def open(
        self,
        mode: str = "rb",
        encoding: str | None = None,
        version: int | str | None = None,
        as_of: datetime | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]:
        """A file object: ``'rb'``/``'r'`` read, ``'wb'``/``'w'`` replace, ``'xb'``/``'x'``
        create (only where nothing is at the path), ``'ab'``/``'a'`` append. Any other
        mode is a ``StorageConfigError``. The text modes take ``encoding`` (default
        UTF-8), ``errors`` and ``newline`` as ``io.TextIOWrapper`` does.

        ``version`` (an index: ``-1`` the newest, ``-2`` the one before, ``0`` the
        oldest; or a version id) or ``as_of`` (a datetime) read a stored version, in
        ``'rb'``/``'r'`` only, streamed with ranged reads (see ``docs/guide.md``).

        A file opened for reading is buffered and seekable on every store: it fetches
        only what is read, by ranged reads with a read-ahead block of
        ``seekable.READ_AHEAD`` bytes (opening it fetches the file's facts, not its
        content). ``'r'`` is an ``io.TextIOWrapper`` over it.

        A file opened for writing publishes its content only when it is closed
        explicitly (``close()`` or the end of a ``with`` block) and every write
        succeeded. An exception inside ``with``, a failed write, or a file dropped
        without ``close()`` writes nothing. After the close, ``f.node`` is the node that
        holds the data (a new node on a base64 mount). ``'x'``: ``StorageExistsError``
        at ``open()`` when something is at the path, and at the close when something
        appeared meanwhile (nothing is published then). ``'a'``: the existing content
        and the new bytes are published together, replacing the file whole (see the
        modes table in ``docs/guide.md`` for what each store guarantees).
        """
        how = parse_mode(mode, encoding, errors, newline)
        snapshot = snapshot_of(self, mode, version, as_of, SnapshotBackend)
        if snapshot is not None:
            return cast(IO[Any], snapshot.open(mode, encoding, errors=errors, newline=newline))
        if how.reading:
            binary = SeekableFile(drive_sync(g_open_seekable(self)))
            if how.binary:
                return cast(BinaryIO, binary)
            return io.TextIOWrapper(binary, how.encoding, how.errors, how.newline)
        handle, head = drive_sync(g_open_write(self, how))
        writer = WriteFile(RawWriter(handle))
        if how.binary:
            return writer
        encoding, prefix = start_encoding(how.encoding, head)
        text = TextWriteFile(writer, encoding, how.errors, how.newline)
        text._prefix = prefix
        return text

    def to_base64(self, mime: str | None = None, include_uri: bool = False) -> str:
        """The content, base64-encoded (standard alphabet); with ``include_uri`` a
        ``data:`` URI of type ``mime`` (guessed from the name when not given)."""
        return compat.to_base64(self.read_bytes(), self.mimetype, mime, include_uri)

    # -- tree -----------------------------------------------------------------------
    def children(self) -> list[StorageNode]:
        """The entries of this directory, sorted by name, as a list (as in 0.x): it
        holds the whole folder. ``iterdir()`` gives the same nodes lazily, holding one
        page (1,000 entries) at a time, for folders of any size."""
        out: list[StorageNode] = []
        cursor = None
        while True:
            page = self._backend.list(self._path, 1000, cursor)
            good, _ = ops.listed(self._path, page.entries)  # unaddressable keys: list() shows them
            out.extend(self._at(e.path) for e in good)
            if (cursor := page.cursor) is None:
                return out

    def list(self, page_size: int | None = None, cursor: str | None = None) -> Page:
        """One page of entries as ``FileInfo``; pass ``page.cursor`` back for the next.

        ``page_size``: an integer >= 1, or ``None`` for the whole folder."""
        check_page_args(page_size, cursor)
        return self._backend.list(self._path, page_size, cursor)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Create this directory (``parents``: and missing ones above; ``exist_ok``: no
        error if it exists). Object stores have no real directories: a no-op there."""
        drive_sync(ops.mkdir(self, parents, exist_ok))

    def delete(self, recursive: bool = False, missing_ok: bool = False) -> None:
        """Delete a file, or a directory (non-empty only with ``recursive=True``)."""
        drive_sync(ops.delete(self, recursive, missing_ok))

    # -- transfers ------------------------------------------------------------------
    def copy(
        self,
        dst: StorageNode | str,
        skip_if: str | Callable[[StorageNode, StorageNode], bool] | None = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[tr.Progress], Any] | bool | None = None,
        on_error: str = "stop",
        filter: Callable[[StorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        on_file: Callable[[StorageNode], Any] | None = None,
        on_skip: Callable[[StorageNode, str], Any] | None = None,
    ) -> tr.TransferReport[StorageNode]:
        """Copy this file or tree to exactly ``dst`` (any mount).

        ``skip_if``: ``'exists'``, ``'size'``, ``'hash'`` or ``callable(src, dst)``.
        ``include``/``exclude``: glob patterns on the relative path or the file name.
        ``progress``: called with a ``Progress`` per chunk and per file (it carries
        the whole transfer's byte totals); ``True`` draws a ``tqdm.auto`` bar over the
        transfer's bytes instead (a widget in Jupyter, text on stderr in a terminal).
        ``on_error``: ``'stop'`` raises at the first failed file; ``'continue'`` copies
        the rest and lists failures in the report.
        ``filter(node, relpath) -> bool``: which files of a tree to copy (after
        include/exclude; it runs before anything is written). ``on_file(src)``: after
        each file has landed. ``on_skip(src, reason)``: for each file skipped or left
        out. Errors of ``on_file``/``on_skip`` are listed in ``report.callback_errors``,
        never raised: the files concerned have landed or were decided.
        """
        options = tr.TransferOptions.make(
            skip_if, include, exclude, progress, 1, on_error,
            filter=filter, on_file=on_file, on_skip=on_skip,
        )  # fmt: skip
        _refuse_async_callables(skip_if, progress, filter, on_file, on_skip)
        return drive_sync(tr.transfer(self, self._target(dst), options))

    def move(
        self,
        dst: StorageNode | str,
        skip_if: str | Callable[[StorageNode, StorageNode], bool] | None = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[tr.Progress], Any] | bool | None = None,
        on_error: str = "stop",
        filter: Callable[[StorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        on_file: Callable[[StorageNode], Any] | None = None,
        on_skip: Callable[[StorageNode, str], Any] | None = None,
    ) -> tr.TransferReport[StorageNode]:
        """Like ``copy``; each source file is deleted only after its copy is complete."""
        options = tr.TransferOptions.make(
            skip_if, include, exclude, progress, 1, on_error,
            filter=filter, on_file=on_file, on_skip=on_skip,
        )  # fmt: skip
        _refuse_async_callables(skip_if, progress, filter, on_file, on_skip)
        return drive_sync(tr.transfer(self, self._target(dst), options, move=True))

    def _target(self, dst: StorageNode | str) -> StorageNode:
        if isinstance(dst, str):
            return self._manager.node(dst)
        if not isinstance(dst, StorageNode):
            raise TypeError(f"dst must be a StorageNode or 'mount:path', not {type(dst).__name__}")
        return dst

    # -- extras ---------------------------------------------------------------------
    def md5hash(self) -> str:
        """MD5 hex digest of the content (from the store's ETag when it has one)."""
        return drive_sync(ops.md5hash(self))

    def get_metadata(self) -> dict[str, str]:
        """The file's user metadata (stores with ``capabilities.metadata``)."""
        return self._backend.get_metadata(self._path)

    def set_metadata(self, metadata: dict[str, str]) -> None:
        """Replace the file's user metadata (keys and values every store keeps)."""
        drive_sync(ops.set_metadata(self, metadata))

    def versions(self) -> builtins.list[VersionInfo]:
        """Stored versions, newest first (versioned stores only)."""
        return self._backend.versions(self._path)

    def open_version(self, version_id: str) -> BinaryIO:
        """A read-only file object over one stored version, streamed with ranged reads
        (the same as ``open('rb', version=version_id)``)."""
        return self.open("rb", version=version_id)

    def fill_from_url(
        self, url: str, timeout: float | None = httpwire.DEFAULT_TIMEOUT
    ) -> StorageNode:
        """Download the http(s) ``url`` into this node (streamed, atomic); returns the
        node holding the data (as ``write_bytes`` does).

        The bytes stored are the bytes sent (``Accept-Encoding: identity``, nothing
        decoded); a body shorter than its ``Content-Length`` is an error and writes
        nothing; redirects go to http(s) only. ``timeout``: seconds without any data
        (or to connect) before giving up, never a limit on the whole download; ``None``
        waits forever.
        """
        from .backends.httpclients import UrllibTransport

        transport = UrllibTransport(httpwire.check_timeout(timeout))
        landed: StorageNode = drive_sync(httpwire.download(self, url, transport))
        return landed

    @contextlib.contextmanager
    def local_path(self, mode: str = "r") -> Iterator[str]:
        """A path on local disk for tools that need one.

        Local mounts give the real path. Others download to a temporary file; with
        ``mode='rw'`` the file is uploaded back when the block ends without error.
        ``'w'`` and ``'rw'`` need write permission on the mount
        (``StoragePermissionError`` before any path is given).
        """
        check_local_path(self.config, mode, self.fullpath, self.capabilities.write)
        direct = self._backend.local_path(self._path)
        if direct is not None:
            yield direct
            return
        folder = tempfile.mkdtemp(prefix="genro-storage-")
        target = os.path.join(folder, self.basename or "data")
        try:
            if "r" in mode and self.exists:
                with self.open("rb") as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, ops.CHUNK_SIZE)
            yield target
            if "w" in mode and os.path.exists(target):
                with open(target, "rb") as f:
                    self.write_bytes(f.read())
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # -- serving --------------------------------------------------------------------
    def serve(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        download: bool = False,
        download_name: str | None = None,
        cache_max_age: int | None = None,
    ) -> Iterable[bytes]:
        """Answer a WSGI request with this file (streamed; ETag and 304, Range and 206/416,
        ``Content-Disposition`` when ``download``, ``Cache-Control`` with
        ``cache_max_age``); see ``genro_storage.serving.serve_wsgi``."""
        from .serving import serve_wsgi

        return serve_wsgi(self, environ, start_response, download, download_name, cache_max_age)


def _refuse_async_callables(*callables: object) -> None:
    for fn in callables:
        if inspect.iscoroutinefunction(fn):
            raise TypeError(
                f"{getattr(fn, '__qualname__', fn)} is an async function: pass it to the "
                "async API, or pass a plain function here"
            )
