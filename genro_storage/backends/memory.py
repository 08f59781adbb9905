"""In-memory backend: a dict of paths to bytes. Test-friendly default; thread-safe."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .._shared import capabilities
from .._shared.async_utils import commit_point
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageError,
    already_exists,
    is_a_directory,
    not_a_directory,
    not_found,
)
from .._shared.info import FileInfo, Page, page_after
from .._shared.paths import parent
from .base import StorageBackend


@dataclass
class _Entry:
    data: bytes
    mtime: float
    metadata: dict[str, str] = field(default_factory=dict)


class _Store:
    def __init__(self) -> None:
        self.files: dict[str, _Entry] = {}
        self.dirs: set[str] = {""}
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
        self._files = store.files
        self._dirs = store.dirs
        self._lock = store.lock

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
        self._dirs.update(chain)

    def info(self, path: str) -> FileInfo:
        with self._lock:
            entry = self._files.get(path)
            if entry is not None:
                return FileInfo(
                    path, "file", len(entry.data), entry.mtime, metadata=dict(entry.metadata)
                )
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

    def read_range(self, path: str, start: int, end: int | None) -> bytes:
        return self.read_bytes(path)[start:end]

    def write_bytes(self, path: str, data: bytes) -> None:
        data = bytes(data)
        with self._lock:
            if self._isdir(path):
                raise is_a_directory(self.where(path))
            self._ensure_parents(path)
            commit_point()
            self._files[path] = _Entry(data, time.time())

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        with self._lock:
            if path in self._files:
                raise not_a_directory(self.where(path))
            if not self._isdir(path):
                raise not_found(self.where(path))
            prefix = f"{path}/" if path else ""
            names = sorted(
                {
                    p[len(prefix) :]
                    for p in (*self._files, *self._dirs)
                    if p and p.startswith(prefix) and "/" not in p[len(prefix) :]
                }
            )
            chosen, next_cursor = page_after(names, page_size, cursor)
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
            self._dirs.add(path)

    def delete(self, path: str, recursive: bool = False) -> None:
        with self._lock:
            if path in self._files:
                commit_point()
                del self._files[path]
                return
            if not self._isdir(path):
                raise not_found(self.where(path))
            if path == "":
                raise StorageError(f"Refusing to delete the root of mount '{self.mount}'")
            prefix = f"{path}/"
            inside_files = [p for p in self._files if p.startswith(prefix)]
            inside_dirs = [d for d in self._dirs if d.startswith(prefix)]
            if (inside_files or inside_dirs) and not recursive:
                raise StorageError(f"Directory not empty: '{self.where(path)}'")
            commit_point()
            for p in inside_files:
                del self._files[p]
            self._dirs.difference_update(inside_dirs)
            self._dirs.discard(path)

    def copy(self, src: str, dst: str) -> None:
        with self._lock:
            data = self.read_bytes(src)
            metadata = dict(self._files[src].metadata)
            self.write_bytes(dst, data)
            self._files[dst].metadata = metadata

    def move(self, src: str, dst: str) -> None:
        with self._lock:
            self.copy(src, dst)
            del self._files[src]

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
