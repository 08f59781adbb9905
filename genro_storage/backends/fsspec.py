"""What the fsspec-based stores share: helpers, readers and writers, ``StoreLogic``,
``ObjectStoreLogic``, the sync driver; the generic ``fsspec`` type; ``SYNC_TYPES``.

Every store (S3, Azure Blob, GCS, HTTP, any fsspec filesystem) has one *logic* class
(in ``s3.py``, ``azure.py``, ``gcs.py``, ``http.py`` beside this module; ``FsspecLogic``
here) whose I/O methods are generators (``_g_info``, ``_g_list``, ...) yielding ops from
``_shared.sansio``. A logic never calls its filesystem itself; it yields one of two
indirections, and the *driver* base class of the concrete backend says what they become:

=================  ====================================  ==================================
driver             ``self._fs_op("cat_file", ...)``      ``self._fs_coro(helper, ...)``
=================  ====================================  ==================================
sync (here)        ``Call(fs.cat_file)`` (fsspec's       ``Call(fsspec.asyn.sync, fs.loop,
                   own IO loop thread)                   helper, fs, ...)``
async, native      ``Call(fs._cat_file)``, awaited on    ``Call(helper, fs, ...)``, awaited
                   the caller's loop
async, thread      ``Blocking(fs.cat_file)``             ``Blocking(fsspec.asyn.sync, ...)``
=================  ====================================  ==================================

``_fs_op`` names an fsspec method; ``_fs_coro`` runs an ``async def helper(fs, ...)`` that
talks to the store's own client (the Azure SDK, the aiohttp session). ``build_methods``
then gives the sync classes (beside each logic) and the async ones (in
``genro_storage.async_.backends``) their public methods from the same generators. Readers
and writers are logic classes too, driven the same way (see :func:`driven`).

Object stores have no directories: a folder is a key prefix. ``mkdir`` writes a zero-byte
*marker* object ``'<dir>/'`` so that an empty folder exists and lists as empty; a folder
also exists while any object lies below it. Listings never show markers; a non-empty
``'<dir>/'`` is data, and keys no path can name are listed flagged (``addressable=False``);
an object ``x`` beside keys below ``x/`` is one folder with content (docs/design.md,
"Object-store keys").

=======  ==========================  ===========================  ============================
store    streamed write              listing page / cursor        ``url()`` (no I/O)
=======  ==========================  ===========================  ============================
s3       multipart upload            ``list_objects_v2`` page /   presigned GET (a local
                                     its continuation token       botocore client)
azure    staged blocks, committed    ``list blobs`` page / its    URL + read SAS signed
         with the content MD5        continuation marker          locally (account key)
gcs      resumable upload session    ``objects.list`` page /      plain object URL on the
                                     ``'p:'`` + page token        endpoint (not signed)
http     local spool, then one PUT   index page parsed once /     ``base_url`` + path
                                     snapshot id + last name
fsspec   local spool + ``put_file``  ``ls`` read whole / name     ``None``
=======  ==========================  ===========================  ============================

A streamed write publishes nothing before ``commit()``; an interrupted commit is undone
where the store allows it (see ``PartWriter``). Large request bodies always go out as
streams (aiohttp warns about raw ``bytes`` above 1 MiB).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import io
import os
import posixpath
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from .._shared import capabilities as caps
from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    already_exists,
    errors_as_storage,
    is_a_directory,
    not_a_directory,
    not_found,
    unsupported,
)
from .._shared.identity import Location, segments
from .._shared.info import FileInfo, Page, VersionInfo, md5_from_etag, page_after, unquote_etag
from .._shared.metadata import MetadataRule, check_metadata
from .._shared.paths import literal_child, mimetype, parent
from .._shared.sansio import Call, Logic, Parallel, Shielded, blocking, build_methods
from .base import BACKEND_METHODS, CHUNK_SIZE, StorageBackend
from .local import local_location, unlink_quietly

__all__ = [
    "FsspecBackend",
    "LOGIC_METHODS",
    "SYNC_TYPES",
    "SyncDriver",
    "driven",
    "lazy_backend",
]

#: The backend methods each logic class implements as a ``_g_<name>`` generator; the
#: others need no I/O (``url``), come from the base class (``exists``, ``local_path``) or
#: from the driver (``close``).
LOGIC_METHODS = tuple(
    name for name in BACKEND_METHODS if name not in ("exists", "url", "local_path", "close")
)

#: Parts of streamed uploads (GCS needs multiples of 256 KiB; S3 >= 5 MiB for every part
#: but the last). Parts are sent from the written chunks without joining them where the
#: store takes a stream (S3), else joined only when a part spans several writes.
PART_SIZE = 4 * 1024 * 1024
#: aiohttp warns (ResourceWarning) on a raw ``bytes`` body above 1 MiB: larger bodies
#: are sent as ``io.BytesIO`` streams.
SMALL_BODY = 1024 * 1024
DIRECTORY_MARKER_TYPE = "application/x-directory"
LIST_BATCH = 1000  # entries per store request when a whole folder is walked
DELETE_CONCURRENCY = 16


# -- facts from store answers (no I/O) ----------------------------------------------


def _timestamp(value: Any) -> float | None:
    """A POSIX timestamp from a datetime, an ISO-8601 or HTTP date string, or a number."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError):
            return _timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
        with contextlib.suppress(TypeError, ValueError):
            return _timestamp(parsedate_to_datetime(text))
    return None


def _md5_from_base64(value: Any) -> str | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def _md5_from_bytes(value: Any) -> str | None:
    return bytes(value).hex() if value and len(value) == 16 else None


def _sorted_by_name(entries: Iterable[FileInfo]) -> list[FileInfo]:
    return sorted(entries, key=lambda e: e.name)


def _as_folder(found: FileInfo) -> FileInfo:
    """An object ``x`` with keys below ``x/``: a folder with content, one entry typed as
    a folder that keeps the object's facts (``FileInfo.has_content``)."""
    return replace(found, type="directory")


def _detach_finalizers(obj: Any) -> None:
    """Drop the ``weakref.finalize`` hooks a filesystem registered on itself, once it is
    closed: adlfs and s3fs would otherwise close it again at interpreter exit, on a loop
    that may be gone by then."""
    for finalizer in list(weakref.finalize._registry):  # no public registry
        info = finalizer.peek()
        if info is not None and info[0] is obj:
            finalizer.detach()


async def _close_clients(fs: Any) -> bool:
    """Close the clients an fsspec filesystem holds: s3fs's aiobotocore client, adlfs's
    Azure SDK client and credentials, the aiohttp session of gcsfs and HTTPFileSystem.
    ``False`` when it holds none of those (its own finalizers stay in charge)."""
    known = False
    if hasattr(fs, "_s3creator") or hasattr(fs, "_s3"):  # s3fs
        known = True
        creator = getattr(fs, "_s3creator", None)
        if getattr(fs, "_s3", None) is not None and creator is not None:
            fs._s3 = None
            await creator.__aexit__(None, None, None)
    service = getattr(fs, "service_client", None)  # adlfs
    if service is not None:
        known = True
        await service.close()
        credentials = (getattr(fs, "credential", None), getattr(fs, "sync_credential", None))
        for credential in {id(c): c for c in credentials if c is not None}.values():
            result = credential.close() if hasattr(credential, "close") else None
            if inspect.isawaitable(result):
                await result
    if hasattr(fs, "_session"):  # gcsfs, HTTPFileSystem
        known = True
        session, fs._session = fs._session, None
        if session is not None and not session.closed:
            await session.close()
    return known


async def aclose_filesystem(fs: Any) -> None:
    """Close a filesystem's clients on the loop they belong to (``_close_clients``);
    once closed here, its own finalizers are detached (no second close at exit)."""
    if await _close_clients(fs):
        _detach_finalizers(fs)


#: Libraries whose objects are searched for aiohttp sessions (and nothing else).
_CLIENT_MODULES = ("aiohttp", "aiobotocore", "botocore", "s3fs", "adlfs", "azure", "gcsfs")
_CLIENT_DEPTH = 8


def _aiohttp_sessions(fs: Any) -> list[Any]:
    """The aiohttp ``ClientSession`` objects an fsspec filesystem holds: ``fs._session``
    (HTTP, gcsfs), the aiobotocore client's (``fs._s3._endpoint.http_session``), the
    Azure SDK transport's. Found by a short walk over the attributes of those libraries'
    objects, so a new attribute name in one of them does not hide a session."""
    import aiohttp

    found: dict[int, Any] = {}
    seen: set[int] = set()
    frontier: list[Any] = [fs]
    for _ in range(_CLIENT_DEPTH):
        following: list[Any] = []
        for obj in frontier:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, aiohttp.ClientSession):
                found[id(obj)] = obj
            elif isinstance(obj, dict):
                following.extend(obj.values())
            elif isinstance(obj, list | tuple | set | frozenset):
                following.extend(obj)
            elif obj is fs or type(obj).__module__.partition(".")[0] in _CLIENT_MODULES:
                with contextlib.suppress(TypeError):  # no __dict__ (slots)
                    following.extend(vars(obj).values())
        frontier = following
    return list(found.values())


def close_clients_now(fs: Any) -> None:
    """Close the connections of a filesystem's aiohttp sessions *without* their event
    loop, which has ended (or will not run again): the last resort of s3fs's
    ``close_session``. The sessions count as closed afterwards, so nothing prints
    "Unclosed client session" / "Unclosed connector" when they are collected."""
    for session in _aiohttp_sessions(fs):
        connector = getattr(session, "_connector", None)
        if connector is not None and not connector.closed:
            with contextlib.suppress(Exception):  # best effort: the loop may be half gone
                connector._close()


def _needs(config: Any, module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise StorageConfigError(
            f"Mount '{config.name}': type '{config.type}' needs the '{module}' package"
            f" (pip install 'genro-storage[{extra}]')"
        )


# -- readers and writers: logic classes too ----------------------------------------

_DRIVEN: dict[tuple[type, bool], type] = {}
_DRIVEN_LOCK = threading.Lock()


def _mapped(logic: Any) -> Any:
    """``logic`` (a ``_g_`` method of a reader or writer) with every error it lets out
    mapped onto the library's hierarchy, named by the file (``self._where()``)."""

    def mapped(self: Any, *args: Any, **kwargs: Any) -> Logic[Any]:
        with errors_as_storage(self._where()):
            return (yield from logic(self, *args, **kwargs))

    mapped.__name__, mapped.__doc__ = logic.__name__, logic.__doc__
    return mapped


def driven(logic: type, asynchronous: bool) -> type:
    """``logic`` with public methods (``read``, ``write``, ...) driven sync or async.

    ``logic.methods`` names its ``_g_`` generators; the class is made once and cached.
    Whatever leaves a public method is a ``StorageError`` (as for ``write_bytes``): a
    streamed write into a missing bucket fails like a whole-file one.
    """
    key = (logic, asynchronous)
    with _DRIVEN_LOCK:
        cls = _DRIVEN.get(key)
        if cls is None:
            name = ("Async" if asynchronous else "") + logic.__name__
            attrs = {f"_g_{m}": _mapped(getattr(logic, f"_g_{m}")) for m in logic.methods}
            attrs.update(__module__=logic.__module__, __slots__=())
            cls = type(name, (logic,), attrs)
            build_methods(cls, logic.methods, asynchronous=asynchronous)
            _DRIVEN[key] = cls
    return cls


class RangeReader:
    """Reads a file with ranged requests: memory holds one ``read(n)`` at a time."""

    methods: ClassVar[tuple[str, ...]] = ("read", "close")
    __slots__ = ("_backend", "_path", "_size", "_pos", "_closed", "_whole")

    def __init__(self, backend: Any, path: str, size: int | None) -> None:
        self._backend = backend
        self._path = path
        self._size = size
        self._pos = 0
        self._closed = False
        self._whole: bytes | None = None

    def _where(self) -> str:
        return self._backend.where(self._path)

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        if self._closed:
            raise ValueError("read from a closed file")
        if self._size is None and self._whole is None:  # size unknown: fetch it once
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
            data = yield from self._backend._g_read_range(self._path, start, end)
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

    methods: ClassVar[tuple[str, ...]] = ("write", "commit", "abort")
    __slots__ = ("_backend", "_path", "_fd", "_local", "_md5", "_done")

    def __init__(self, backend: Any, path: str, fd: int, local: str) -> None:
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
        return (yield blocking(self._spool, bytes(data)))

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


def _md5_digest(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _spool_file() -> tuple[int, str]:
    return tempfile.mkstemp(prefix="genro-storage-", suffix=".part")


def _one(op: Any) -> Logic[Any]:
    """A logic of a single op (to run an op where a logic is expected)."""
    return (yield op)


def _joined(chunks: list[bytes]) -> bytes:
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

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        index = bisect.bisect_right(self._starts, self._pos) - 1
        offset = self._pos - self._starts[index]
        piece = memoryview(self._chunks[index])[offset : offset + len(buffer)]
        count = len(piece)
        buffer[:count] = piece
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

    methods: ClassVar[tuple[str, ...]] = ("write", "commit", "abort")
    part_size: ClassVar[int] = PART_SIZE
    #: Whether sending the last part completes the upload (GCS) rather than a separate
    #: final request (S3's complete, Azure's block list).
    last_part_commits: ClassVar[bool] = False
    __slots__ = (
        "_backend", "_key", "_content_type", "_chunks", "_held", "_sent", "_started", "_done"
    )  # fmt: skip

    def __init__(self, backend: Any, key: str, content_type: str) -> None:
        self._backend = backend
        self._key = key
        self._content_type = content_type
        self._chunks: deque[bytes] = deque()  # written, not sent yet (no copies)
        self._held = 0
        self._sent = 0  # bytes already sent in parts
        self._started = False
        self._done = False

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
                data = _joined(self._take(self._held))
                put = self._backend._g_put_small(self._key, data, self._content_type)
                yield Shielded(put)
            else:
                before = yield from self._backend._g_head(self._key)
                finishing = True
                if not self.last_part_commits:  # still invisible: may be cancelled
                    yield from self._g_send(self._take(self._held), True)
                yield Shielded(self._g_last())
        except BaseException:
            if finishing:
                yield from self._g_undo(before)
            with contextlib.suppress(Exception):  # the first error is the one to report
                yield from self._g_abort()
            raise
        self._done = True

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

    def _g_landed(self, before: FileInfo | None, delays: Iterable[float]) -> Logic[Any]:
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


# -- the logic every store shares ---------------------------------------------------


class StoreLogic:
    """What every fsspec-based store shares.

    Subclasses set ``type_name``, ``capabilities``, and implement ``_setup`` (validate
    the configuration, no I/O), ``_fs_class``/``_fs_kwargs`` (how the filesystem is made)
    and the ``_g_`` generators.
    """

    type_name: ClassVar[str] = "fsspec"
    capabilities: ClassVar[caps.Capabilities] = caps.FSSPEC
    # The driver (a later base class) provides ``_fs_op``, ``_fs_coro``, ``where``,
    # ``config``, ``mount`` and ``_asynchronous``; nothing here may shadow them.

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

    def _fs_class(self) -> type:
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

    def _new_fs(self, asynchronous: bool, loop: Any = None) -> Any:
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

    def same_store(self, other: Any) -> bool:
        return other is self

    def _require_writable(self, action: str, path: str) -> None:
        """Stores that may refuse writes (HTTP) override this."""

    # -- defaults that the stores override ------------------------------------------------
    def _g_read_range(self, path: str, start: int, end: int | None) -> Logic[bytes]:
        if end is not None and end <= start:
            return b""
        try:
            with errors_as_storage(self.where(path)):
                return (yield self._fs_op("cat_file", self.full(path), start=start, end=end))
        except StorageError:
            # A range that starts at or past the end is empty, as for a local file
            # (stores answer 416 "range not satisfiable").
            found = (yield from self._g_info_or_none(path)) if start > 0 else None
            if found is not None and found.isfile and start >= (found.size or 0):
                return b""
            raise

    def _g_read_whole(self, path: str, **kwargs: Any) -> Logic[bytes]:
        """The whole file; reading a folder says so, not "not found"."""
        where = self.where(path)
        try:
            with errors_as_storage(where):
                return (yield self._fs_op("cat_file", self.full(path), **kwargs))
        except StorageNotFoundError:
            found = yield from self._g_info_or_none(path)
            if found is not None and found.isdir:
                raise is_a_directory(where) from None
            raise

    def _g_open_read(self, path: str) -> Logic[Any]:
        """A reader (``read(n)``, ``close()``) over ranged reads."""
        found = yield from self._g_info(path)
        if found.isdir:
            raise is_a_directory(self.where(path))
        return driven(RangeReader, self._asynchronous)(self, path, found.size)

    def _g_open_write(self, path: str) -> Logic[Any]:
        """A writer that spools locally and uploads on ``commit()``."""
        self._require_writable("write", path)
        fd, local = yield blocking(_spool_file)
        return driven(SpoolWriter, self._asynchronous)(self, path, fd, local)

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

    def _g_server_copy(self, src: str, other: Any, dst: str) -> Logic[None]:
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


# -- any fsspec filesystem ----------------------------------------------------------


class FsspecLogic(StoreLogic):
    """Any fsspec protocol (``fsspec_protocol``), rooted at ``path`` inside it.

    Listings are read whole and paged here (cursor = the last name), like local disk.
    """

    type_name = "fsspec"
    capabilities = caps.FSSPEC

    def _setup(self) -> None:
        import fsspec

        opts = self.config.options
        self._protocol = str(opts["fsspec_protocol"])
        try:
            self._cls = fsspec.get_filesystem_class(self._protocol)
        except (ImportError, ValueError) as exc:
            raise StorageConfigError(
                f"Mount '{self.mount}': field 'fsspec_protocol' names no usable fsspec"
                f" filesystem ({self._protocol!r}: {exc})"
            ) from None
        self._root = str(opts.get("path") or "").rstrip("/")
        super()._setup()

    def _protocol_label(self) -> str:
        return self._protocol

    def _fs_class(self) -> type:
        return self._cls

    def full(self, path: str) -> str:
        if not path:
            return self._root
        return f"{self._root}/{path}" if self._root else path

    def location(self, path: str) -> Location:
        if self._protocol in ("file", "local"):  # the same disk a local mount sees
            return local_location(self._cls._strip_protocol(self.full(path)) or "/")
        return super().location(path)

    def _facts(self, path: str, raw: dict[str, Any]) -> FileInfo:
        if raw.get("type") == "directory":
            return FileInfo(path, "directory")
        mtime = None
        for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
            mtime = _timestamp(raw.get(key))
            if mtime is not None:
                break
        etag = raw.get("ETag") or raw.get("etag")
        md5 = (
            md5_from_etag(raw.get("md5"))
            or _md5_from_base64(raw.get("md5Hash"))
            or _md5_from_bytes((raw.get("content_settings") or {}).get("content_md5"))
            or md5_from_etag(etag)
        )
        content_type = raw.get("ContentType") or raw.get("contentType") or raw.get("mimetype")
        return FileInfo(
            path,
            "file",
            raw.get("size"),
            mtime,
            unquote_etag(etag),
            md5,
            content_type,
            raw.get("VersionId") or raw.get("version_id"),
        )

    def _g_info(self, path: str) -> Logic[FileInfo]:
        """Facts about ``path`` in one call."""
        with errors_as_storage(self.where(path)):
            raw = yield self._fs_op("info", self.full(path))
        return self._facts(path, raw)

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        return (yield from self._g_read_whole(path))

    def _g_makedirs(self, path: str) -> Logic[None]:
        if path:
            yield self._fs_op("makedirs", self.full(path), exist_ok=True)

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[None]:
        with errors_as_storage(self.where(path)):
            yield from self._g_makedirs(parent(path))
            yield self._fs_op("pipe_file", self.full(path), bytes(data))

    def _g_upload_file(self, path: str, local: str, md5: bytes) -> Logic[None]:
        with errors_as_storage(self.where(path)):
            yield from self._g_makedirs(parent(path))
            yield self._fs_op("put_file", local, self.full(path))

    def _g_list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Logic[Page]:
        """One page of the folder's entries, sorted by name; ``cursor`` is a name."""
        where = self.where(path)
        full = self.full(path)
        with errors_as_storage(where):
            raw = yield self._fs_op("ls", full, detail=True)
            strip = self._cls._strip_protocol
            own = strip(full).rstrip("/")
            children: dict[str, dict[str, Any]] = {}
            for entry in raw:
                name = strip(entry["name"]).rstrip("/")
                if name == own:
                    if entry.get("type") != "directory":
                        raise not_a_directory(where)
                    continue
                children[posixpath.basename(name)] = entry
            if not children and path:
                found = yield from self._g_info(path)  # missing: not found
                if found.isfile:
                    raise not_a_directory(where)
        chosen, next_cursor = page_after(sorted(children), page_size, cursor)
        return Page([self._entry(path, n, children[n]) for n in chosen], next_cursor)

    def _entry(self, path: str, name: str, raw: dict[str, Any]) -> FileInfo:
        """The listed entry ``name`` of ``path``: flagged when no path can name it."""
        child = literal_child(path, name)
        if child is not None:
            return self._facts(child, raw)
        return replace(self._facts(f"{path}/{name}" if path else name, raw), addressable=False)

    def _g_mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> Logic[None]:
        if (yield from self._g_mkdir_needed(path, parents, exist_ok)):
            with errors_as_storage(self.where(path)):
                yield self._fs_op("makedirs", self.full(path), exist_ok=True)

    def _g_delete(self, path: str, recursive: bool = False) -> Logic[None]:
        where = self.where(path)
        self._refuse_root(path)
        found = yield from self._g_info(path)
        with errors_as_storage(where):
            if found.isfile:
                yield self._fs_op("rm_file", self.full(path))
                return
            if not recursive:
                page = yield from self._g_list(path, 1)
                if page.entries:
                    raise StorageError(f"Directory not empty: '{where}'")
            yield self._fs_op("rm", self.full(path), recursive=True)

    def _g_copy(self, src: str, dst: str) -> Logic[None]:
        with errors_as_storage(self.where(src)):
            yield from self._g_makedirs(parent(dst))
            yield self._fs_op("cp_file", self.full(src), self.full(dst))

    def _g_move(self, src: str, dst: str) -> Logic[None]:
        # Copy and remove: async filesystems have no ``_mv`` (sync ones no ``mv_file``).
        yield from self._g_copy(src, dst)
        with errors_as_storage(self.where(src)):
            yield self._fs_op("rm_file", self.full(src))


# -- object stores: S3, Azure, GCS ---------------------------------------------------


class ObjectStoreLogic(StoreLogic):
    """Buckets of keys. A folder is a key prefix; ``mkdir`` writes a marker ``'dir/'``.

    Each store implements the primitives ``_g_head``, ``_g_list_page``, ``_g_put_small``,
    ``_g_remove_one`` (or ``_g_remove``), ``_g_copy_key`` and ``_g_set_meta``, and names
    its ``writer`` (a ``PartWriter``); this class builds the backend contract on them.
    """

    container_field: ClassVar[str] = "bucket"
    library: ClassVar[tuple[str, str]] = ("fsspec", "all")  # (module, pip extra)
    writer: ClassVar[type[PartWriter]] = PartWriter
    #: Extra ``cat_file`` arguments for whole-file reads.
    whole_read: ClassVar[dict[str, Any]] = {}
    #: What the store accepts as metadata beyond the common rule (``None``: nothing more).
    metadata_rule: ClassVar[MetadataRule | None] = None

    def _setup(self) -> None:
        opts = self.config.options
        _needs(self.config, *self.library)
        self.bucket = str(opts[self.container_field]).strip("/")
        self.prefix = str(opts.get("prefix") or "").strip("/")
        super()._setup()

    def _fs_is_async(self) -> bool:
        return True

    # -- keys ---------------------------------------------------------------------------
    def key(self, path: str) -> str:
        if self.prefix and path:
            return f"{self.prefix}/{path}"
        return path or self.prefix

    def rel(self, key: str) -> str:
        key = key.rstrip("/")
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def folder(self, path: str) -> str:
        """The key prefix of the folder ``path`` ('' for the root of a bucket)."""
        key = self.key(path)
        return f"{key}/" if key else ""

    def full(self, path: str) -> str:
        return f"{self.bucket}/{self.key(path)}"

    def location(self, path: str) -> Location:
        return Location(
            (self.type_name, *self._endpoint_place(), self.bucket), segments(self.key(path))
        )

    def _endpoint_place(self) -> tuple[Any, ...]:
        """The service endpoint (or account) that holds the bucket; no credential."""
        return (self.config.options.get("endpoint_url") or "default",)

    # -- store primitives -------------------------------------------------------------
    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        """Facts of the object ``key``, or ``None`` when there is none."""
        raise NotImplementedError

    def _g_list_page(
        self, prefix: str, limit: int, token: str | None, recursive: bool = False
    ) -> Logic[tuple[list[tuple[str, FileInfo | None]], str | None]]:
        """One store request: ``([(key, info | None for a sub-prefix)], next_token)``."""
        raise NotImplementedError

    def _g_put_small(self, key: str, data: bytes, content_type: str) -> Logic[None]:
        """Write an object of at most one part in one request."""
        raise NotImplementedError

    def _g_remove_one(self, key: str) -> Logic[None]:
        raise NotImplementedError

    def _g_remove(self, keys: list[str]) -> Logic[None]:
        yield Parallel(tuple(self._g_remove_one(k) for k in keys), DELETE_CONCURRENCY)

    def _g_copy_key(self, key: str, other: Any, other_key: str) -> Logic[None]:
        """A server-side copy (S3 ``CopyObject``, GCS ``rewrite``) via the fs's cp_file."""
        yield self._fs_op("cp_file", f"{self.bucket}/{key}", f"{other.bucket}/{other_key}")

    def _g_set_meta(self, key: str, metadata: dict[str, str], found: FileInfo) -> Logic[None]:
        raise NotImplementedError

    # -- the contract ---------------------------------------------------------------------
    def _g_info(self, path: str) -> Logic[FileInfo]:
        """Facts about ``path``: a file (an object), a folder (keys below it), or a folder
        with content (both: the object's facts, typed as a folder)."""
        where = self.where(path)
        if not path:
            return FileInfo("", "directory")
        with errors_as_storage(where):
            found, below = yield Parallel((self._g_head(self.key(path)), self._g_below(path)), 2)
        if below:
            return FileInfo(path, "directory") if found is None else _as_folder(found)
        if found is not None:
            return found
        raise not_found(where)

    def _g_below(self, path: str) -> Logic[bool]:
        """Whether any key (a marker included) lies below the folder ``path``."""
        items, _ = yield from self._g_list_page(self.folder(path), 1, None, recursive=True)
        return bool(items)

    def _raw(self, key: str) -> str:
        """``key`` relative to the mount, as stored (an unaddressable entry's path)."""
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def _entries(self, path: str, prefix: str, items: list) -> tuple[list[FileInfo], bool]:
        """The entries of the folder ``path`` (key prefix ``prefix``) from store items;
        also says whether its zero-byte marker was among them.

        An entry's path is ``path/<name>`` only when the name is one segment that
        normalisation keeps (:func:`literal_child`); any other key or sub-prefix is
        listed with ``addressable=False`` and its raw path. The folder's own key is its
        marker when empty, and data (unaddressable) when not.
        """
        entries: list[FileInfo] = []
        marker = False
        for key, found in items:
            if not key.startswith(prefix):
                continue  # not below this folder: never listed as its child
            name = key[len(prefix) :]
            if found is None:  # a sub-prefix: '<prefix><name>/'
                name = name.removesuffix("/")
                child = literal_child(path, name)
                if child is None:
                    entries.append(
                        FileInfo(self._raw(prefix + name), "directory", addressable=False)
                    )
                else:
                    entries.append(FileInfo(child, "directory"))
            elif not name and not found.size:
                marker = True
            else:
                child = literal_child(path, name)
                if child is None:
                    entries.append(replace(found, path=self._raw(key), addressable=False))
                else:
                    entries.append(replace(found, path=child))
        return entries, marker

    def _g_list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Logic[Page]:
        """One page of the folder, sorted by name; the cursor is the store's own page
        token, so the first page never lists the whole folder."""
        where = self.where(path)
        prefix = self.folder(path)
        items: list[tuple[str, FileInfo | None]] = []
        token = cursor
        with errors_as_storage(where):
            while True:
                limit = LIST_BATCH if page_size is None else max(1, page_size)
                batch, token = yield from self._g_list_page(prefix, limit, token)
                items += batch
                if page_size is not None or token is None:
                    break
            items.sort(key=lambda item: item[0])
            entries, marker = self._entries(path, prefix, items)
            entries = yield from self._g_pair(entries, items, cursor is None, token is None)
            if path and cursor is None and not entries and not marker and token is None:
                yield from self._g_check_folder(path)
        return Page(_sorted_by_name(entries), token)

    def _g_pair(
        self, entries: list[FileInfo], items: list, first: bool, last: bool
    ) -> Logic[list[FileInfo]]:
        """One entry per name: an object ``x`` and a sub-prefix ``x/`` are one folder
        with content (see ``_as_folder``).

        Keys sort ``x`` < ``x!`` ... ``x.txt`` < ``x/``, so the two may fall on two
        pages: the page with the object asks whether ``x/`` follows (an object that sorts
        last on a page that is not the last), the page with the sub-prefix whether ``x``
        came before (a sub-prefix before the first key of a page that is not the first).
        Usually no request, at most a few per page.
        """
        files = {e.path: e for e in entries if e.addressable and e.isfile}
        dirs = {e.path for e in entries if e.addressable and e.isdir}
        both = files.keys() & dirs
        lowest, highest = (items[0][0], items[-1][0]) if items else ("", "")
        later = [p for p in files if p not in both and not last and self.folder(p) > highest]
        earlier = [p for p in dirs if p not in both and not first and self.key(p) < lowest]
        checks = [self._g_below(p) for p in later] + [self._g_head(self.key(p)) for p in earlier]
        answers = (yield Parallel(tuple(checks), 8)) if checks else []
        both |= {p for p, below in zip(later, answers[: len(later)], strict=True) if below}
        gone = {p for p, head in zip(earlier, answers[len(later) :], strict=True) if head}
        out = []
        for entry in entries:
            if entry.addressable and entry.path in both:
                if entry.isfile:
                    out.append(_as_folder(entry))
            elif not (entry.addressable and entry.isdir and entry.path in gone):
                out.append(entry)
        return out

    def _g_check_folder(self, path: str) -> Logic[None]:
        """An empty first page: the folder is a marker only, a file, or missing."""
        where = self.where(path)
        if (yield from self._g_head(self.key(path))) is not None:
            raise not_a_directory(where)
        if (yield from self._g_head(self.folder(path))) is None:
            raise not_found(where)

    def _g_open_read(self, path: str) -> Logic[Any]:
        """A reader over ranged reads of the object at ``path`` (a folder with content
        reads its content)."""
        found = yield from self._g_file(path)
        return driven(RangeReader, self._asynchronous)(self, path, found.size)

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        return (yield from self._g_read_whole(path, **self.whole_read))

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[None]:
        """One request for a small file, the store's streamed upload for a large one."""
        writer = self.writer(self, self.key(path), mimetype(path))
        with errors_as_storage(self.where(path)):
            yield from writer._g_write(bytes(data))
            yield from writer._g_commit()

    def _g_open_write(self, path: str) -> Logic[Any]:
        """The store's native streamed upload; nothing is visible before ``commit()``."""
        yield from ()
        return driven(self.writer, self._asynchronous)(self, self.key(path), mimetype(path))

    def _g_mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> Logic[None]:
        """Write the marker ``'<dir>/'``; the parents exist through it."""
        if (yield from self._g_mkdir_needed(path, parents, exist_ok)):
            with errors_as_storage(self.where(path)):
                yield from self._g_put_small(self.folder(path), b"", DIRECTORY_MARKER_TYPE)

    def _g_delete(self, path: str, recursive: bool = False) -> Logic[None]:
        """A file; a folder holding nothing but its zero-byte marker; with ``recursive``,
        any folder: every key below it (non-empty ``dir/`` objects too) and its content."""
        where = self.where(path)
        self._refuse_root(path)
        key = self.key(path)
        prefix = self.folder(path)
        with errors_as_storage(where):
            found, (items, token) = yield Parallel(
                (self._g_head(key), self._g_list_page(prefix, 2, None, recursive=True)), 2
            )
            if not items:
                if found is None:
                    raise not_found(where)
                yield from self._g_remove([key])
                return
            if not recursive and (
                found is not None or any(k != prefix or info.size for k, info in items)
            ):
                raise StorageError(f"Directory not empty: '{where}'")
            while True:
                yield from self._g_remove([k for k, _ in items])
                if token is None:
                    break
                items, token = yield from self._g_list_page(prefix, LIST_BATCH, token, True)
            if found is not None:
                yield from self._g_remove([key])

    def _g_copy(self, src: str, dst: str) -> Logic[None]:
        """A copy made by the store, without the bytes passing through here."""
        yield from self._g_server_copy(src, self, dst)

    def _g_server_copy(self, src: str, other: Any, dst: str) -> Logic[None]:
        """Copy ``src`` to ``dst`` on ``other``, a mount of the same service and account.

        The store finishes a copy it was asked for even if the caller stops listening,
        so the request is shielded: a cancelled call either stops before it or completes.
        """
        if not self.same_store(other):
            raise unsupported(self.type_name, "server-side copy to another store")
        with errors_as_storage(self.where(src)):
            copy = self._g_copy_key(self.key(src), other, other.key(dst))
            yield Shielded(copy)

    def _g_move(self, src: str, dst: str) -> Logic[None]:
        """A server copy and the source's removal, shielded as one step (a cancelled move
        happens whole or not at all)."""
        yield Shielded(self._g_copy_and_remove(src, dst))

    def _g_copy_and_remove(self, src: str, dst: str) -> Logic[None]:
        yield from self._g_copy(src, dst)
        with errors_as_storage(self.where(src)):
            yield from self._g_remove([self.key(src)])

    def _g_file(self, path: str) -> Logic[FileInfo]:
        """The object at ``path``; not-found (or is-a-directory) otherwise."""
        with errors_as_storage(self.where(path)):
            found = yield from self._g_head(self.key(path))
        if found is None:
            yield from self._g_info(path)  # not found, unless it is a folder
            raise is_a_directory(self.where(path))
        return found

    def _g_md5hash(self, path: str) -> Logic[str | None]:
        return (yield from self._g_file(path)).md5

    def _g_get_metadata(self, path: str) -> Logic[dict[str, str]]:
        return dict((yield from self._g_file(path)).metadata)

    def _g_set_metadata(self, path: str, metadata: dict[str, str]) -> Logic[None]:
        clean = check_metadata(metadata, self.where(path), self.metadata_rule)
        found = yield from self._g_file(path)
        with errors_as_storage(self.where(path)):
            yield from self._g_set_meta(self.key(path), clean, found)

    def _identity(self) -> tuple[Any, ...]:
        """What two mounts must share for the store to copy between them."""
        raise NotImplementedError

    def same_store(self, other: Any) -> bool:
        return other is self or (
            isinstance(other, ObjectStoreLogic)
            and other.type_name == self.type_name
            and other._identity() == self._identity()
        )


# -- the sync driver ----------------------------------------------------------------------


class SyncDriver(StorageBackend):
    """Runs a logic class with the sync API: one filesystem instance (fsspec's sync
    face, its I/O on fsspec's own loop thread), made on first use."""

    _asynchronous = False

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._setup()
        self._fs: Any = None
        self._fs_lock = threading.Lock()

    def _filesystem(self) -> Any:
        with self._fs_lock:
            if self._fs is None:
                self._fs = self._new_fs(asynchronous=False)
            return self._fs

    def _fs_op(self, name: str, *args: Any, **kwargs: Any) -> Call:
        return Call(getattr(self._filesystem(), name), args, kwargs)

    def _fs_coro(self, fn: Any, *args: Any, **kwargs: Any) -> Call:
        from fsspec.asyn import sync

        fs = self._filesystem()
        return Call(sync, (fs.loop, fn, fs, *args), kwargs)

    def close(self) -> None:
        """Close the filesystem's sessions (on fsspec's loop) and local clients."""
        with self._fs_lock:
            fs, self._fs = self._fs, None
        self._close_local()
        if fs is not None and getattr(fs, "loop", None) is not None:
            from fsspec.asyn import sync

            sync(fs.loop, self._aclose_fs, fs)


class FsspecBackend(FsspecLogic, SyncDriver):
    """Any fsspec filesystem, sync API."""


build_methods(FsspecBackend, LOGIC_METHODS, asynchronous=False)


def lazy_backend(package: str, module: str, name: str) -> Any:
    """A factory that imports the store's module only when a mount uses it."""

    def make(config: Any) -> Any:
        cls = getattr(importlib.import_module(f"{package}.{module}"), name)
        return cls(config)

    make.__name__ = name
    return make


SYNC_TYPES: dict[str, Any] = {
    "s3": lazy_backend(__package__, "s3", "S3Backend"),
    "azure": lazy_backend(__package__, "azure", "AzureBackend"),
    "gcs": lazy_backend(__package__, "gcs", "GCSBackend"),
    "http": lazy_backend(__package__, "http", "HTTPBackend"),
    "fsspec": FsspecBackend,
}
