"""The generic ``fsspec`` type: ``FsspecLogic`` (any fsspec protocol) and its sync
backend. The machinery every fsspec-based store shares lives beside it, one module per
concern:

=================  =================================================================
module             what it holds
=================  =================================================================
``store.py``       ``StoreLogic``: configuration, filesystem factory, default logic
``objectstore.py`` ``ObjectStoreLogic``: buckets of keys (S3, Azure, GCS)
``streams.py``     readers and writers (logic) and their sync/async faces
``facts.py``       dates, MD5 digests and entries parsed from store answers
``clients.py``     closing a filesystem's clients, per event loop
``drivers.py``     ``SyncDriver`` (its twin: ``async_/backends/drivers.py``)
``registry.py``    the one table of mount types for both APIs
=================  =================================================================

Every store (S3, Azure Blob, GCS, HTTP, any fsspec filesystem) has one *logic* class
whose I/O methods are generators (``_g_info``, ``_g_list``, ...) yielding ops from
``_shared.sansio``. A logic never calls its filesystem itself: it yields
``self._fs_op(...)``/``self._fs_coro(...)``, which its *runtime* (the driver that made
it) turns into calls; ``drivers.py`` has the table. Each concrete backend is a driver
naming its logic (``class S3Backend(SyncDriver): logic_class = S3Logic``), and every
public method of a driver is written out, one driver invocation each.

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
where the store allows it (see ``streams.PartWriter``). Large request bodies always go
out as streams (aiohttp warns about raw ``bytes`` above 1 MiB).
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from .._shared import capabilities as caps
from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    errors_as_storage,
    not_a_directory,
)
from .._shared.identity import Location, path_place
from .._shared.info import FileInfo, Page, md5_from_etag, page_after, unquote_etag
from .._shared.paths import literal_child, parent
from .._shared.sansio import Logic
from .drivers import SyncDriver
from .facts import md5_from_base64, md5_from_bytes, timestamp
from .local import local_location
from .store import StoreLogic

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
            self._cls: type[Any] = fsspec.get_filesystem_class(self._protocol)
        except (ImportError, ValueError) as exc:
            raise StorageConfigError(
                f"Mount '{self.mount}': field 'fsspec_protocol' names no usable fsspec"
                f" filesystem ({self._protocol!r}: {exc})"
            ) from None
        self._root = str(opts.get("path") or "").rstrip("/")
        # Archives read through one shared file handle: overlapping reads mix bytes.
        self.serial_calls = self._protocol in ("tar", "libarchive")
        super()._setup()

    def _protocol_label(self) -> str:
        return self._protocol

    def _fs_class(self) -> type[Any]:
        return self._cls

    def full(self, path: str) -> str:
        if not path:
            return self._root
        return f"{self._root}/{path}" if self._root else path

    def location(self, path: str) -> Location:
        stripped = str(self._cls._strip_protocol(self.full(path)))
        if self._protocol in ("file", "local"):  # the same disk a local mount sees
            return local_location(stripped or "/")
        if self._protocol == "memory":  # one store per process, whatever the options
            return Location(("fsspec", "memory"), path_place(stripped))
        return Location(self._place(), path_place(stripped))

    def _facts(self, path: str, raw: dict[str, Any]) -> FileInfo:
        if raw.get("type") == "directory":
            return FileInfo(path, "directory")
        mtime = None
        for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
            mtime = timestamp(raw.get(key))
            if mtime is not None:
                break
        etag = raw.get("ETag") or raw.get("etag")
        md5 = (
            md5_from_etag(raw.get("md5"))
            or md5_from_base64(raw.get("md5Hash"))
            or md5_from_bytes((raw.get("content_settings") or {}).get("content_md5"))
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


class FsspecBackend(SyncDriver):
    """Any fsspec filesystem, sync API."""

    logic_class = FsspecLogic
