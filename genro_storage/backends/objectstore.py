"""``ObjectStoreLogic``: buckets of keys (S3, Azure, GCS), built on a few store
primitives each store implements."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    errors_as_storage,
    is_a_directory,
    not_a_directory,
    not_found,
    unsupported,
)
from .._shared.identity import Location, endpoint_place, segments
from .._shared.info import FileInfo, Page
from .._shared.metadata import MetadataRule, check_metadata
from .._shared.paths import literal_child, mimetype
from .._shared.sansio import Logic, Parallel, Shielded
from .clients import needs_library
from .facts import as_folder, sorted_by_name
from .store import StoreLogic
from .streams import PartWriter, RangeReader, ReaderLogic, WriterLogic

#: What one listing request gives: ``(key, facts)`` per object, ``(prefix, None)`` per
#: sub-prefix.
ListItems = list[tuple[str, FileInfo | None]]

DIRECTORY_MARKER_TYPE = "application/x-directory"
LIST_BATCH = 1000  # entries per store request when a whole folder is walked
DELETE_CONCURRENCY = 16

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
        if opts.get("engine") == "obstore" and self.engine != "obstore":
            raise StorageConfigError(
                f"Mount '{self.mount}': field 'engine' is 'obstore', but '{self.type_name}'"
                " mounts run on fsspec only for now (see docs/backends.md, S3 engines);"
                " use 'fsspec' or leave the field out"
            )
        needs_library(self.config, *self.library)
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
        endpoint = self.config.options.get("endpoint_url")
        return endpoint_place(str(endpoint)) if endpoint else ("default",)

    # -- store primitives -------------------------------------------------------------
    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        """Facts of the object ``key``, or ``None`` when there is none."""
        raise NotImplementedError

    def _g_list_page(
        self, prefix: str, limit: int, token: str | None, recursive: bool = False
    ) -> Logic[tuple[list[tuple[str, FileInfo | None]], str | None]]:
        """One store request: ``([(key, info | None for a sub-prefix)], next_token)``."""
        raise NotImplementedError

    def _g_put_small(
        self, key: str, data: bytes, content_type: str, only_new: bool = False
    ) -> Logic[None]:
        """Write an object of at most one part in one request; with ``only_new`` (stores
        whose writer has ``conditional_create``) only where no object is at ``key``."""
        raise NotImplementedError

    def _g_remove_one(self, key: str) -> Logic[None]:
        raise NotImplementedError

    def _g_remove(self, keys: list[str]) -> Logic[None]:
        yield Parallel(tuple(self._g_remove_one(k) for k in keys), DELETE_CONCURRENCY)

    def _g_copy_key(self, key: str, other: ObjectStoreLogic, other_key: str) -> Logic[None]:
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
        found: FileInfo | None
        below: bool
        with errors_as_storage(where):
            found, below = yield Parallel((self._g_head(self.key(path)), self._g_below(path)), 2)
        if below:
            return FileInfo(path, "directory") if found is None else as_folder(found)
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

    def _entries(self, path: str, prefix: str, items: ListItems) -> tuple[list[FileInfo], bool]:
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
                if child is None:  # raw, with its '/' kept when it would say nothing else
                    raw = self._raw(prefix + name)
                    raw = raw if raw and raw != path else self._raw(key)
                    entries.append(FileInfo(raw, "directory", addressable=False))
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
        with errors_as_storage(where):
            items, token = yield from self._g_list_items(prefix, page_size, cursor)
            items.sort(key=lambda item: item[0])
            entries, marker = self._entries(path, prefix, items)
            entries = yield from self._g_pair(entries, items, cursor is None, token is None)
            if path and cursor is None and not entries and not marker and token is None:
                yield from self._g_check_folder(path)
        return Page(sorted_by_name(entries), token)

    def _g_list_items(
        self, prefix: str, page_size: int | None, cursor: str | None
    ) -> Logic[tuple[ListItems, str | None]]:
        """The store items of one page of the folder ``prefix`` (every page when
        ``page_size`` is None), and the next page's token."""
        items: ListItems = []
        token = cursor
        while True:
            limit = LIST_BATCH if page_size is None else max(1, page_size)
            batch, token = yield from self._g_list_page(prefix, limit, token)
            items += batch
            if page_size is not None or token is None:
                return items, token

    def _g_pair(
        self, entries: list[FileInfo], items: ListItems, first: bool, last: bool
    ) -> Logic[list[FileInfo]]:
        """One entry per name: an object ``x`` and a sub-prefix ``x/`` are one folder
        with content (see ``as_folder``).

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
                    out.append(as_folder(entry))
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

    def _g_open_read(self, path: str) -> Logic[ReaderLogic]:
        """A reader over ranged reads of the object at ``path`` (a folder with content
        reads its content)."""
        found = yield from self._g_file(path)
        return RangeReader(self, path, found.size, found.etag)

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        return (yield from self._g_read_whole(path, **self.whole_read))

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[None]:
        """One request for a small file, the store's streamed upload for a large one."""
        writer = self.writer(self, self.key(path), mimetype(path))
        with errors_as_storage(self.where(path)):
            yield from writer._g_write(bytes(data))
            yield from writer._g_commit()

    def _g_open_write(self, path: str) -> Logic[WriterLogic]:
        """The store's native streamed upload; nothing is visible before ``commit()``."""
        yield from ()
        return self.writer(self, self.key(path), mimetype(path))

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

    def _g_server_copy(self, src: str, other: StoreLogic, dst: str) -> Logic[None]:
        """Copy ``src`` to ``dst`` on ``other``, a mount of the same service and account.

        The store finishes a copy it was asked for even if the caller stops listening,
        so the request is shielded: a cancelled call either stops before it or completes.
        """
        if not isinstance(other, ObjectStoreLogic) or not self.same_store(other):
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

    def same_store(self, other: StoreLogic | None) -> bool:
        return other is self or (
            isinstance(other, ObjectStoreLogic)
            and other.type_name == self.type_name
            and other._identity() == self._identity()
        )
