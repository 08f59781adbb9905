"""``StoreLogic``: what every fsspec-based store shares (configuration, filesystem
factory, default generators)."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol

from .._shared import capabilities as caps
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    already_exists,
    changed_while_read,
    errors_as_storage,
    is_a_directory,
    not_a_directory,
    not_found,
    unsupported,
)
from .._shared.identity import Location, segments
from .._shared.info import FileInfo, Page, VersionInfo
from .._shared.paths import parent
from .._shared.sansio import Call, Logic, blocking
from .base import CHUNK_SIZE
from .clients import aclose_filesystem
from .streams import RangeReader, ReaderLogic, SpoolWriter, WriterLogic, spool_file

#: ``async def fn(fs, *args, **kwargs)``: a helper run against a filesystem by ``_fs_coro``.
FsCoroutine = Callable[..., Awaitable[Any]]


class Runtime(Protocol):
    """What a logic receives as its runtime: the driver that runs it (``SyncDriver`` or
    ``AsyncDriver``), which turns the logic's two indirections into ops."""

    @property
    def asynchronous(self) -> bool:
        """Whether the logic runs under the async API."""
        ...

    def fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        """The op calling the filesystem method ``name`` (``_name`` when native async)."""
        ...

    def fs_coro(self, fn: FsCoroutine, *args: Any, **kwargs: Any) -> Call:
        """The op running ``fn(fs, *args, **kwargs)`` against the filesystem."""
        ...

    def engine_op(
        self, sync_fn: Callable[..., Any], async_fn: FsCoroutine, *args: Any, **kwargs: Any
    ) -> Call:
        """The op calling a client that has both faces (obstore): ``sync_fn`` under the
        sync API, ``async_fn`` awaited under the async one (``sync_fn`` in a thread
        when the mount runs in threads)."""
        ...


# -- the logic every store shares ---------------------------------------------------


class StoreLogic:
    """What every fsspec-based store shares.

    Subclasses set ``type_name``, ``capabilities``, and implement ``_setup`` (validate
    the configuration, no I/O), ``_fs_class``/``_fs_kwargs`` (how the filesystem is made),
    ``full`` and the ``_g_`` generators declared below without a body.
    """

    type_name: ClassVar[str] = "fsspec"
    #: The client library that does the I/O (``describe()`` shows it).
    engine: ClassVar[str] = "fsspec"
    capabilities: caps.Capabilities = caps.FSSPEC
    #: Whether calls on the filesystem must not overlap (set by stores whose filesystem
    #: reads through one shared file handle, such as a tar archive).
    serial_calls: bool = False

    def __init__(self, config: MountConfig, runtime: Runtime) -> None:
        """``runtime`` is the driver that runs this logic (``SyncDriver`` or
        ``AsyncDriver``): it turns ``_fs_op``/``_fs_coro`` into calls and gives readers
        and writers their face."""
        self.config = config
        self.mount = config.name
        self.runtime = runtime
        self._call_lock = threading.Lock()
        self._setup()

    @classmethod
    def for_config(cls, config: MountConfig) -> type[StoreLogic]:
        """The logic class that serves ``config`` (a store with two engines picks one
        here, from the mount's ``engine`` field); both drivers ask this."""
        return cls

    def where(self, path: str) -> str:
        """The user-facing name of ``path``, used in every message."""
        return f"{self.mount}:{path}"

    @property
    def _asynchronous(self) -> bool:
        return bool(self.runtime.asynchronous)

    def _fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        """The op calling the filesystem method ``name`` (see the runtime's table)."""
        return self.runtime.fs_op(name, *args, **kwargs)

    def serialized(self, fn: Any) -> Any:
        """``fn`` itself, or ``fn`` run under this store's call lock (``serial_calls``)."""
        if not self.serial_calls:
            return fn

        @functools.wraps(fn)
        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with self._call_lock:
                return fn(*args, **kwargs)

        return one_at_a_time

    def _fs_coro(self, fn: FsCoroutine, *args: Any, **kwargs: Any) -> Call:
        """The op running ``async def fn(fs, ...)`` against the filesystem."""
        return self.runtime.fs_coro(fn, *args, **kwargs)

    def _engine_op(
        self, sync_fn: Callable[..., Any], async_fn: FsCoroutine, *args: Any, **kwargs: Any
    ) -> Call:
        """The op calling a two-faced client (see the runtime's ``engine_op``)."""
        return self.runtime.engine_op(sync_fn, async_fn, *args, **kwargs)

    def _read_op(self, path: str, **kwargs: Any) -> Call:
        """The op reading ``path`` (``start``/``end`` for a range, else whole)."""
        return self._fs_op("cat_file", self.full(path), **kwargs)

    # -- configuration (no I/O) ---------------------------------------------------------
    def _setup(self) -> None:
        """Validate the configuration and derive settings; raises ``StorageConfigError``."""
        if self.config.async_mode == "native" and not self._fs_is_async():
            raise StorageConfigError(
                f"Mount '{self.mount}': field 'async_mode' is 'native' but the"
                f" '{self._protocol_label()}' filesystem has no native async API;"
                " use 'auto' or 'thread'"
            )

    def _protocol_label(self) -> str:
        return self.type_name

    def _fs_class(self) -> type[Any]:
        raise NotImplementedError

    def _fs_kwargs(self) -> dict[str, Any]:
        return dict(self.config.options.get("options") or {})

    def _user_options(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The mount's ``options`` (passed to the filesystem), and the ``client_kwargs``
        taken out of them so that the backend can add its own."""
        extra = dict(self.config.options.get("options") or {})
        return extra, dict(extra.pop("client_kwargs", None) or {})

    def _fs_is_async(self) -> bool:
        """Whether the filesystem class implements its I/O natively in asyncio."""
        from .._shared.async_utils import is_async_filesystem

        return is_async_filesystem(self._fs_class())

    def _native_async(self) -> bool:
        """Whether the async API runs this mount on the event loop (else in threads)."""
        return self.config.async_mode != "thread" and self._fs_is_async()

    def _new_fs(self, asynchronous: bool, loop: asyncio.AbstractEventLoop | None = None) -> Any:
        """A new filesystem instance (no I/O); never fsspec's shared instance cache."""
        kwargs = self._fs_kwargs()
        kwargs["skip_instance_cache"] = True
        if asynchronous:
            kwargs.update(asynchronous=True, loop=loop)
        return self._fs_class()(**kwargs)

    async def _aclose_fs(self, fs: Any) -> None:
        """Close the filesystem's clients and sessions, on the loop they belong to."""
        await aclose_filesystem(fs)

    def _close_local(self) -> None:
        """Release what needs no loop (e.g. a presigning client)."""

    # -- no I/O -----------------------------------------------------------------------
    def full(self, path: str) -> str:
        """The filesystem's name of ``path`` (what ``_fs_op`` calls take)."""
        raise NotImplementedError

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        return None

    def location(self, path: str) -> Location:
        """The physical place of ``path``: the store's own place plus the key's segments."""
        return Location(self._place(), segments(self.full(path)))

    def _place(self) -> tuple[Any, ...]:
        """What names the physical store (never a credential). Generic fsspec mounts
        are told apart by protocol and options; ``file`` is the local disk."""
        protocol = self._protocol_label()
        options = self.config.options.get("options") or {}
        return ("fsspec", protocol, repr(sorted(options.items(), key=lambda kv: str(kv[0]))))

    def same_store(self, other: StoreLogic | None) -> bool:
        return other is self

    def _require_writable(self, action: str, path: str) -> None:
        """Stores that may refuse writes (HTTP) override this."""

    # -- what each store implements -------------------------------------------------------
    def _g_info(self, path: str) -> Logic[FileInfo]:
        """Facts about ``path`` in one call; raises ``StorageNotFoundError``."""
        raise NotImplementedError

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        """The whole file."""
        raise NotImplementedError

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[str | None]:
        """Replace the file's content atomically."""
        raise NotImplementedError

    def _g_list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Logic[Page]:
        """One page of the folder's entries, sorted by name."""
        raise NotImplementedError

    def _g_mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> Logic[None]:
        raise NotImplementedError

    def _g_delete(self, path: str, recursive: bool = False) -> Logic[None]:
        raise NotImplementedError

    def _g_upload_file(self, path: str, local: str, md5: bytes) -> Logic[None]:
        """Upload the local file ``local`` as ``path`` in one store call (what a
        ``SpoolWriter`` commits); ``md5`` is its digest."""
        raise NotImplementedError

    # -- defaults that the stores override ------------------------------------------------
    #: ``_read_op`` honours ``if_match`` (a read refused by the store, 412, when the
    #: object's ETag differs); otherwise a pinned read is checked by a HEAD after it.
    native_if_match: ClassVar[bool] = False

    def _g_read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> Logic[bytes]:
        """Bytes ``[start, end)``. ``etag``: the ETag the reader took when it was
        opened; a file that no longer has it raises ``changed_while_read``, never
        returns bytes of another version (the rule of every multi-request reader)."""
        if end is not None and end <= start:
            return b""
        where = self.where(path)
        pinned = {} if etag is None or not self.native_if_match else {"if_match": etag}
        try:
            with errors_as_storage(where):
                data: bytes = yield self._read_op(path, start=start, end=end, **pinned)
        except StorageExistsError:
            if not pinned:
                raise
            raise changed_while_read(where) from None  # 412: the If-Match was refused
        except StorageError:
            # A range that starts at or past the end is empty, as for a local file
            # (stores answer 416 "range not satisfiable"); so is any range of an
            # empty file, start 0 included.
            found = yield from self._g_info_or_none(path)
            if etag is not None and (found is None or found.etag != etag):
                raise changed_while_read(where) from None
            if found is not None and found.isfile and start >= (found.size or 0):
                return b""
            raise
        if etag is not None and not pinned:
            # Read, then look: the bytes came from the pinned version only if the file
            # still has it (its ETag changes with every replacement).
            now = yield from self._g_info_or_none(path)
            if now is None or now.etag != etag:
                raise changed_while_read(where)
        return data

    def _g_read_whole(self, path: str, **kwargs: Any) -> Logic[bytes]:
        """The whole file; reading a folder says so, not "not found"."""
        where = self.where(path)
        try:
            with errors_as_storage(where):
                data: bytes = yield self._read_op(path, **kwargs)
                return data
        except StorageNotFoundError:
            found = yield from self._g_info_or_none(path)
            if found is not None and found.isdir:
                raise is_a_directory(where) from None
            raise

    def _g_open_read(self, path: str) -> Logic[ReaderLogic]:
        """A reader (``read(n)``, ``close()``) over ranged reads."""
        found = yield from self._g_info(path)
        if found.isdir:
            raise is_a_directory(self.where(path))
        return RangeReader(self, path, found.size, found.etag)

    def _g_open_write(self, path: str) -> Logic[WriterLogic]:
        """A writer that spools locally and uploads on ``commit()``."""
        self._require_writable("write", path)
        fd, local = yield blocking(spool_file)
        return SpoolWriter(self, path, fd, local)

    def _g_copy(self, src: str, dst: str) -> Logic[None]:
        """Stream ``src`` into ``dst`` (stores without a server-side copy)."""
        self._require_writable("copy", dst)
        reader = yield from self._g_open_read(src)
        writer = yield from self._g_open_write(dst)
        try:
            while chunk := (yield from reader._g_read(CHUNK_SIZE)):
                yield from writer._g_write(chunk)
            yield from writer._g_commit()
        except BaseException:
            yield from writer._g_abort()
            raise

    def _g_move(self, src: str, dst: str) -> Logic[None]:
        yield from self._g_copy(src, dst)
        yield from self._g_delete(src, False)

    def _g_server_copy(self, src: str, other: StoreLogic, dst: str) -> Logic[None]:
        if other is not self:
            raise unsupported(self.type_name, "server-side copy to another store")
        yield from self._g_copy(src, dst)

    def _g_md5hash(self, path: str) -> Logic[str | None]:
        found = yield from self._g_info(path)
        return found.md5

    def _g_get_metadata(self, path: str) -> Logic[dict[str, str]]:
        yield from ()
        raise unsupported(self.type_name, "metadata")

    def _g_set_metadata(self, path: str, metadata: dict[str, str]) -> Logic[None]:
        yield from ()
        raise unsupported(self.type_name, "metadata")

    def _g_versions(self, path: str) -> Logic[list[VersionInfo]]:
        yield from ()
        raise unsupported(self.type_name, "versions")

    def _g_read_version(self, path: str, version_id: str) -> Logic[bytes]:
        yield from ()
        raise unsupported(self.type_name, "versions")

    def _g_open_read_version(self, path: str, version_id: str) -> Logic[ReaderLogic]:
        yield from ()
        raise unsupported(self.type_name, "versions")

    def _g_delete_version(self, path: str, version_id: str) -> Logic[None]:
        yield from ()
        raise unsupported(self.type_name, "versions")

    def _g_info_or_none(self, path: str) -> Logic[FileInfo | None]:
        try:
            return (yield from self._g_info(path))
        except StorageNotFoundError:
            return None

    def _g_mkdir_needed(self, path: str, parents: bool, exist_ok: bool) -> Logic[bool]:
        """The checks of ``mkdir`` every store shares: ``False`` when the folder exists
        and ``exist_ok``; raises when it exists, or when its parent is missing (without
        ``parents``) or is a file."""
        where = self.where(path)
        found = (yield from self._g_info_or_none(path)) if path else FileInfo("", "directory")
        if found is not None:
            if found.isdir and exist_ok:
                return False
            raise already_exists(where)
        up = parent(path)
        if up and not parents:
            above = yield from self._g_info_or_none(up)
            if above is None:
                raise not_found(self.where(up))
            if above.isfile:
                raise not_a_directory(self.where(up))
        return True

    def _refuse_root(self, path: str) -> None:
        if not path:
            raise StorageError(f"Refusing to delete the root of mount '{self.mount}'")
