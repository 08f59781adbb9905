"""Local disk backend: plain ``os`` calls, atomic writes, no path outside the root."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from urllib.parse import quote

from .._shared import capabilities
from .._shared.async_utils import check_cancelled, commit_point
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StoragePermissionError,
    errors_as_storage,
)
from .._shared.info import FileInfo, Page, page_after
from .base import StorageBackend


def temp_beside(target: str) -> str:
    """Create an empty temporary file in the target's folder (same filesystem, so the
    final ``os.replace`` is atomic) and return its path."""
    if os.path.isdir(target):
        raise IsADirectoryError(target)
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".part")
    os.close(fd)
    return tmp


def unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class LocalWriter:
    """Writes to a temporary file beside the target; ``commit`` renames it into place.

    It holds a bare file descriptor, not a file object, so that a writer dropped without
    ``commit()`` (garbage-collected, even inside a reference cycle) aborts from its own
    finaliser: the temporary is removed and no ``ResourceWarning`` is emitted.
    """

    def __init__(self, target: str) -> None:
        self._target = target
        self._tmp = temp_beside(target)
        self._state = "open"  # 'open' -> 'committed' | 'aborted'
        try:
            self._fd = os.open(self._tmp, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        except BaseException:
            unlink_quietly(self._tmp)
            raise

    def write(self, data: bytes) -> int:
        if self._state != "open":
            raise ValueError("write to a committed or aborted file")
        check_cancelled()  # a cancelled async call stops here, long before its commit
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(self._fd, view) :]
        return len(data)

    def commit(self) -> None:
        if self._state == "committed":
            return
        if self._state != "open":
            raise ValueError("commit of an aborted write")
        self._state = "committed"
        try:
            os.close(self._fd)
            commit_point()
            os.replace(self._tmp, self._target)
        except BaseException:
            self._state = "aborted"
            unlink_quietly(self._tmp)
            raise

    def abort(self) -> None:
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            os.close(self._fd)
        finally:
            unlink_quietly(self._tmp)

    def __del__(self) -> None:
        if getattr(self, "_state", None) == "open":
            with contextlib.suppress(Exception):  # at interpreter exit ``os`` may be gone
                self.abort()


class LocalBackend(StorageBackend):
    """A folder on local disk. Paths that resolve outside it (``..``, symlinks) are refused."""

    type_name = "local"
    capabilities = capabilities.LOCAL

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        root = os.path.abspath(os.path.expanduser(config.options["path"]))
        if not os.path.isdir(root):
            raise StorageConfigError(
                f"Mount '{config.name}': field 'path' is not an existing directory: '{root}'"
            )
        self.root = root
        self._real_root = os.path.realpath(root)
        self._base_url = config.options.get("base_url")

    def full(self, path: str) -> str:
        """The OS path of ``path``, refused if it resolves outside the root."""
        full = os.path.join(self.root, *path.split("/")) if path else self.root
        real = os.path.realpath(full)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise StoragePermissionError(f"Path '{self.where(path)}' resolves outside its mount")
        return full

    def _info(self, path: str, st: os.stat_result) -> FileInfo:
        kind = "directory" if _isdir(st) else "file"
        size = st.st_size if kind == "file" else None
        return FileInfo(path, kind, size, st.st_mtime)

    def info(self, path: str) -> FileInfo:
        with errors_as_storage(self.where(path)):
            return self._info(path, os.stat(self.full(path)))

    def exists(self, path: str) -> bool:
        return os.path.exists(self.full(path))

    def read_bytes(self, path: str) -> bytes:
        with errors_as_storage(self.where(path)), open(self.full(path), "rb") as f:
            return f.read()

    def read_range(self, path: str, start: int, end: int | None) -> bytes:
        with errors_as_storage(self.where(path)), open(self.full(path), "rb") as f:
            f.seek(start)
            return f.read(-1 if end is None else max(0, end - start))

    def write_bytes(self, path: str, data: bytes) -> None:
        writer = self.open_write(path)
        try:
            writer.write(data)
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def open_read(self, path: str):  # noqa: ANN201 - a binary file object
        with errors_as_storage(self.where(path)):
            return open(self.full(path), "rb")  # noqa: SIM115 - the caller closes it

    def open_write(self, path: str) -> LocalWriter:
        target = self.full(path)
        with errors_as_storage(self.where(path)):
            return LocalWriter(target)

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        folder = self.full(path)
        prefix = f"{path}/" if path else ""
        with errors_as_storage(self.where(path)):
            with os.scandir(folder) as it:
                entries = {e.name: e for e in it}
            names = sorted(entries)
            chosen, next_cursor = page_after(names, page_size, cursor)
            infos = []
            for name in chosen:
                try:
                    infos.append(self._info(prefix + name, entries[name].stat()))
                except FileNotFoundError:  # vanished or a dangling symlink
                    continue
        return Page(infos, next_cursor)

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        with errors_as_storage(self.where(path)):
            target = self.full(path)
            commit_point()
            if parents:
                if os.path.isdir(target) and not exist_ok:
                    raise FileExistsError(target)
                os.makedirs(target, exist_ok=exist_ok)
            else:
                try:
                    os.mkdir(target)
                except FileExistsError:
                    if not (exist_ok and os.path.isdir(target)):
                        raise

    def delete(self, path: str, recursive: bool = False) -> None:
        if not path:
            raise StorageError(f"Refusing to delete the root of mount '{self.mount}'")
        target = self.full(path)
        with errors_as_storage(self.where(path)):
            commit_point()
            if os.path.isdir(target) and not os.path.islink(target):
                if recursive:
                    shutil.rmtree(target)
                else:
                    try:
                        os.rmdir(target)
                    except OSError as exc:
                        if exc.errno == errno.ENOTEMPTY:
                            raise StorageError(
                                f"Directory not empty: '{self.where(path)}'"
                            ) from exc
                        raise
            else:
                os.remove(target)

    def copy(self, src: str, dst: str) -> None:
        with errors_as_storage(self.where(src)), open(self.full(src), "rb") as f:
            writer = self.open_write(dst)
            try:
                shutil.copyfileobj(f, writer, 1024 * 1024)
                writer.commit()
            except BaseException:
                writer.abort()
                raise

    def move(self, src: str, dst: str) -> None:
        source, target = self.full(src), self.full(dst)
        with errors_as_storage(self.where(src)):
            if os.path.isdir(target):
                raise IsADirectoryError(target)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            commit_point()
            os.replace(source, target)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        if not self._base_url:
            return None
        return f"{self._base_url.rstrip('/')}/{quote(path)}"

    def local_path(self, path: str) -> str:
        return self.full(path)


def _isdir(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISDIR(st.st_mode)
