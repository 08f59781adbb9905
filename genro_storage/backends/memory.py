"""In-memory backend: a dict of paths to bytes. Test-friendly default; thread-safe."""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from .._shared import capabilities
from .._shared.async_utils import commit_point
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageError,
    already_exists,
    changed_while_read,
    is_a_directory,
    not_a_directory,
    not_found,
)
from .._shared.identity import Location, segments
from .._shared.info import FileInfo, Page, check_cursor, page_of
from .._shared.paths import parent
from .base import BufferWriter, StorageBackend

#: Version tokens of memory files: each content written gets a new one (its ETag).
_TAGS = itertools.count(1)


@dataclass
class _Entry:
    data: bytes
    mtime: float
    metadata: dict[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: f"mem-{next(_TAGS)}")


class _SortedNames:
    """The child names of one folder, sorted, kept in chunks.

    Adding or removing a name costs O(log n + chunk) whatever the order of the writes (a
    plain sorted list moves every later name), and a page resumes after any name in
    O(log n): listing a folder never reads more of it than the page.
    """

    CHUNK = 1000

    def __init__(self) -> None:
        self._chunks: list[list[str]] = []
        self._maxes: list[str] = []  # the last name of each chunk
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, name: str) -> None:
        chunks, maxes = self._chunks, self._maxes
        i = bisect.bisect_left(maxes, name)
        if i == len(maxes):  # after every name (sequential writes land here)
            if not chunks:
                chunks.append([])
                maxes.append(name)
            i = len(chunks) - 1
            chunks[i].append(name)
            maxes[i] = name
        else:
            chunk = chunks[i]
            j = bisect.bisect_left(chunk, name)
            if chunk[j] == name:
                return
            chunk.insert(j, name)
        self._count += 1
        chunk = chunks[i]
        if len(chunk) > 2 * self.CHUNK:
            half = len(chunk) // 2
            chunks[i : i + 1] = [chunk[:half], chunk[half:]]
            maxes[i : i + 1] = [chunk[half - 1], chunk[-1]]

    def discard(self, name: str) -> None:
        chunks, maxes = self._chunks, self._maxes
        i = bisect.bisect_left(maxes, name)
        if i == len(maxes):
            return
        chunk = chunks[i]
        j = bisect.bisect_left(chunk, name)
        if chunk[j] != name:
            return
        del chunk[j]
        self._count -= 1
        if not chunk:
            del chunks[i], maxes[i]
        elif j == len(chunk):
            maxes[i] = chunk[-1]

    def after(self, name: str | None) -> Iterator[str]:
        """The names greater than ``name`` (all of them for ``None``), in order."""
        chunks = self._chunks
        i = j = 0
        if name:
            i = bisect.bisect_right(self._maxes, name)
            if i < len(chunks):
                j = bisect.bisect_right(chunks[i], name)
        for k in range(i, len(chunks)):
            yield from (chunks[k][j:] if j else chunks[k])
            j = 0


class _Store:
    def __init__(self) -> None:
        self.files: dict[str, _Entry] = {}
        self.dirs: set[str] = {""}
        #: Every folder's child names (files and folders), so that a listing pages
        #: without scanning the store and a recursive delete visits only its subtree.
        self.children: dict[str, _SortedNames] = {"": _SortedNames()}
        self.lock = threading.RLock()


#: Named stores shared by every memory mount that gives the same ``store`` name.
_NAMED_STORES: dict[str, _Store] = {}
_NAMED_LOCK = threading.Lock()


class MemoryBackend(StorageBackend):
    """Files live in a dict for the lifetime of the backend.

    With ``store: NAME`` in its configuration, every memory mount of the process that
    names the same store sees the same files (a read-only view beside a writable one,
    say); without it each mount has its own.
    """

    type_name = "memory"
    capabilities = capabilities.MEMORY

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        name = config.options.get("store")
        if name is None:
            store = _Store()
        else:
            with _NAMED_LOCK:
                store = _NAMED_STORES.setdefault(name, _Store())
        self._store = store
        self._files = store.files
        self._dirs = store.dirs
        self._children = store.children
        self._lock = store.lock

    def location(self, path: str) -> Location:
        """Mounts naming the same ``store`` share their files."""
        return Location(("memory", id(self._store)), segments(path))

    def _isdir(self, path: str) -> bool:
        return path in self._dirs

    def _ensure_parents(self, path: str) -> None:
        folder = parent(path)
        chain = []
        while folder not in self._dirs:
            if folder in self._files:
                raise not_a_directory(self.where(folder))
            chain.append(folder)
            folder = parent(folder)
        for made in reversed(chain):
            self._add_dir(made)

    # The index of child names changes only through these three.
    def _add_dir(self, path: str) -> None:
        self._dirs.add(path)
        self._children[path] = _SortedNames()
        folder, _, name = path.rpartition("/")
        self._children[folder].add(name)

    def _put_file(self, path: str, entry: _Entry) -> None:
        if path not in self._files:
            folder, _, name = path.rpartition("/")
            self._children[folder].add(name)
        self._files[path] = entry

    def _drop_file(self, path: str) -> None:
        del self._files[path]
        folder, _, name = path.rpartition("/")
        self._children[folder].discard(name)

    def info(self, path: str) -> FileInfo:
        with self._lock:
            entry = self._files.get(path)
            if entry is not None:
                size, meta = len(entry.data), dict(entry.metadata)
                return FileInfo(path, "file", size, entry.mtime, entry.tag, metadata=meta)
            if self._isdir(path):
                return FileInfo(path, "directory")
        raise not_found(self.where(path))

    def exists(self, path: str) -> bool:
        with self._lock:
            return path in self._files or self._isdir(path)

    def read_bytes(self, path: str) -> bytes:
        with self._lock:
            entry = self._files.get(path)
            if entry is None:
                if self._isdir(path):
                    raise is_a_directory(self.where(path))
                raise not_found(self.where(path))
            return entry.data

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        if etag is not None:  # the bytes of the version read so far, or an error
            with self._lock:
                entry = self._files.get(path)
                if entry is None or entry.tag != etag:
                    raise changed_while_read(self.where(path))
                return entry.data[start:end]
        return self.read_bytes(path)[start:end]

    def write_bytes(self, path: str, data: bytes) -> None:
        data = bytes(data)
        with self._lock:
            if self._isdir(path):
                raise is_a_directory(self.where(path))
            commit_point()  # before any change: a cancelled write leaves no folder either
            self._ensure_parents(path)
            self._put_file(path, _Entry(data, time.time()))

    def open_write(self, path: str) -> BufferWriter:
        """Bytes held until commit; mode 'x' commits with a check-and-set under the
        store's lock (``write_new``)."""
        return BufferWriter(
            lambda data: self.write_bytes(path, data), lambda data: self.write_new(path, data)
        )

    def write_new(self, path: str, data: bytes) -> None:
        """``write_bytes`` only if nothing is at ``path``: the check and the write hold
        the store's lock together (``StorageExistsError`` otherwise)."""
        with self._lock:
            if path in self._files or self._isdir(path):
                raise already_exists(self.where(path))
            self.write_bytes(path, data)

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        with self._lock:
            if path in self._files:
                raise not_a_directory(self.where(path))
            names = self._children.get(path)
            if names is None:
                raise not_found(self.where(path))
            prefix = f"{path}/" if path else ""
            chosen, next_cursor = page_of(names.after(check_cursor(cursor)), page_size)
            entries = [self.info(prefix + name) for name in chosen]
        return Page(entries, next_cursor)

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        with self._lock:
            if path in self._files:
                raise already_exists(self.where(path))
            if self._isdir(path):
                if exist_ok:
                    return
                raise already_exists(self.where(path))
            if not parents and not self._isdir(parent(path)):
                raise not_found(self.where(parent(path)))
            commit_point()
            self._ensure_parents(path)
            self._add_dir(path)

    def delete(self, path: str, recursive: bool = False) -> None:
        with self._lock:
            if path in self._files:
                commit_point()
                self._drop_file(path)
                return
            if not self._isdir(path):
                raise not_found(self.where(path))
            if path == "":
                raise StorageError(f"Refusing to delete the root of mount '{self.mount}'")
            if len(self._children[path]) and not recursive:
                raise StorageError(f"Directory not empty: '{self.where(path)}'")
            commit_point()
            # the subtree through the index, folder by folder (no recursion: any depth)
            pending = [path]
            while pending:
                folder = pending.pop()
                self._dirs.discard(folder)
                for name in self._children.pop(folder).after(None):
                    inner = f"{folder}/{name}"
                    if self._files.pop(inner, None) is None:
                        pending.append(inner)
            folder, _, name = path.rpartition("/")
            self._children[folder].discard(name)

    def copy(self, src: str, dst: str) -> None:
        with self._lock:
            data = self.read_bytes(src)
            metadata = dict(self._files[src].metadata)
            self.write_bytes(dst, data)
            self._files[dst].metadata = metadata

    def move(self, src: str, dst: str) -> None:
        with self._lock:
            self.copy(src, dst)
            self._drop_file(src)

    def get_metadata(self, path: str) -> dict[str, str]:
        with self._lock:
            entry = self._files.get(path)
            if entry is None:
                raise not_found(self.where(path))
            return dict(entry.metadata)

    def set_metadata(self, path: str, metadata: dict[str, str]) -> None:
        with self._lock:
            entry = self._files.get(path)
            if entry is None:
                raise not_found(self.where(path))
            commit_point()
            entry.metadata = {str(k): str(v) for k, v in metadata.items()}
