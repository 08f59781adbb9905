"""Local disk backend: plain ``os`` calls, atomic writes, no path outside the root."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import quote

from .._shared import capabilities
from .._shared.async_utils import check_cancelled, commit_point
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageError,
    StoragePermissionError,
    changed_while_read,
    errors_as_storage,
)
from .._shared.identity import Location
from .._shared.info import FileInfo, Page
from .._shared.temporaries import is_temp_name
from .base import StorageBackend
from .localdisk import (
    NoFollowRoot,
    is_special,
    local_location,
    make_dirs,
    open_checked,
    read_all,
    remove_empty,
    remove_tree,
    sweep_temporaries,
    temp_and_folders,
    temp_beside,
    unlink_quietly,
)
from .locallisting import FolderListings
from .localroot import Roots

__all__ = ["LocalBackend", "LocalWriter", "local_location", "temp_beside", "unlink_quietly"]


class LocalWriter:
    """Writes to a temporary file beside the target; ``commit`` renames it into place.

    It holds a bare file descriptor, not a file object, so that a writer dropped without
    ``commit()`` (garbage-collected, even inside a reference cycle) aborts from its own
    finaliser: the temporary is removed and no ``ResourceWarning`` is emitted.
    ``where`` (``mount:path``) names the file in errors: a commit whose folder was
    removed meanwhile is a ``StorageNotFoundError`` about it, not a raw error that
    shows the temporary file's absolute path.
    """

    def __init__(self, target: str, where: str = "") -> None:
        self._target = target
        self._where = where or os.path.basename(target)
        # Folders made for the temporary file go again when the write is aborted.
        self._tmp, self._created = temp_and_folders(target)
        self._state = "open"  # 'open' -> 'committed' | 'aborted'
        try:
            self._fd = os.open(self._tmp, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        except BaseException:
            unlink_quietly(self._tmp)
            remove_empty(self._created)
            raise

    def write(self, data: bytes) -> int:
        if self._state != "open":
            raise ValueError("write to a committed or aborted file")
        check_cancelled()  # a cancelled async call stops here, long before its commit
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(self._fd, view) :]
        return len(data)

    #: ``commit_new`` is atomic here (a hard link never replaces a file).
    can_commit_new: ClassVar[bool] = True

    def commit(self) -> None:
        self._publish(os.replace)

    def commit_new(self) -> None:
        """Publish only if nothing is at the target (mode 'x'), atomically: ``os.link``
        fails with ``EEXIST`` whatever appeared meanwhile; raises ``StorageExistsError``."""
        self._publish(_link_new)

    def _publish(self, place: Callable[[str, str], None]) -> None:
        if self._state == "committed":
            return
        if self._state != "open":
            raise ValueError("commit of an aborted write")
        self._state = "committed"
        try:
            os.close(self._fd)
            commit_point()
            with errors_as_storage(self._where):
                place(self._tmp, self._target)
        except BaseException:
            self._state = "aborted"
            unlink_quietly(self._tmp)
            remove_empty(self._created)
            raise

    def abort(self) -> None:
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            os.close(self._fd)
        finally:
            unlink_quietly(self._tmp)
            remove_empty(self._created)

    def __del__(self) -> None:
        if getattr(self, "_state", None) == "open":
            with contextlib.suppress(Exception):  # at interpreter exit ``os`` may be gone
                self.abort()


#: Seconds between two sweeps of the same folder by one mount (a tree copy calls
#: ``mkdir`` once per folder; each sweep reads the whole folder).
SWEEP_INTERVAL = 3600.0


class LocalBackend(StorageBackend):
    """A folder on local disk. Paths that resolve outside it (``..``, symlinks) are refused."""

    type_name = "local"
    capabilities = capabilities.LOCAL
    #: ``open('rb')`` reads through the file ``open_read`` opens (``_shared/seekable.py``),
    #: so a file replaced meanwhile is read whole as it was when opened, as on any disk.
    _reads_pinned: ClassVar[bool] = True

    def __init__(self, config: MountConfig) -> None:
        super().__init__(config)
        # A folder, or a callable asked at each access (see ``localroot``).
        self._roots = Roots(config.name, config.options["path"])
        #: The fast way in (a fixed root only): no symlink below the root, so no realpath.
        fixed = self._roots.fixed
        self._nofollow = NoFollowRoot(fixed) if fixed is not None else None
        self._base_url = config.options.get("base_url")
        self._listings = FolderListings()
        self._swept: dict[str, float] = {}
        self._sweep_lock = threading.Lock()
        if self._roots.fixed is not None:
            self._sweep(self._roots.fixed)

    @property
    def root(self) -> str:
        """The mount's folder (for a callable ``path``, the one it gives now for the
        mount's root)."""
        return self._roots.split("")[0]

    def _os_path(self, path: str) -> tuple[str, str]:
        """``(OS path, resolved root folder)`` of ``path``, symlinks not yet resolved."""
        root, real_root, rel = self._roots.split(path)
        return (os.path.join(root, *rel.split("/")) if rel else root), real_root

    def full(self, path: str) -> str:
        """The OS path of ``path``, refused (``StoragePermissionError``) if it resolves
        outside the root, through a symlink loop, or if it is a symlink to its own
        folder or one above it (a tree walk through it would never end)."""
        full, real_root = self._os_path(path)
        try:
            real = os.path.realpath(full, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoragePermissionError(
                    f"Path '{self.where(path)}' is a symlink loop"
                ) from None
            real = os.path.realpath(full)  # not there (yet): resolve what exists
        if not _contains(real_root, real):
            raise StoragePermissionError(f"Path '{self.where(path)}' resolves outside its mount")
        if (
            path
            and os.path.islink(full)
            and _contains(real, os.path.realpath(os.path.dirname(full)))
        ):
            raise StoragePermissionError(
                f"Path '{self.where(path)}' is a symlink to its own folder or one above it"
            )
        return full

    def location(self, path: str) -> Location:
        """The resolved place on disk: two mounts over one folder (or a folder and its
        subfolder, or through a symlink) name the same files."""
        return local_location(self._os_path(path)[0])

    def _info(self, path: str, st: os.stat_result) -> FileInfo:
        if _isdir(st):
            return FileInfo(path, "directory", None, st.st_mtime)
        return FileInfo(path, "file", st.st_size, st.st_mtime, etag=_version_tag(st))

    def info(self, path: str) -> FileInfo:
        st = self._nofollow.lstat(path) if path and self._nofollow is not None else None
        if st is not None:
            return self._info(path, st)
        with errors_as_storage(self.where(path)):
            return self._info(path, os.stat(self.full(path)))

    def exists(self, path: str) -> bool:
        if path and self._nofollow is not None and self._nofollow.lstat(path) is not None:
            return True
        return os.path.exists(self.full(path))

    def _open(self, path: str) -> io.BufferedReader:
        """The file opened for reading: by the fast way when no symlink lies below the
        root on the way (``NoFollowRoot``), else through ``full()``'s checks."""
        fd = self._read_fd(path)
        try:
            return open(fd, "rb")  # noqa: SIM115 - the caller closes it
        except BaseException:  # a folder (IsADirectoryError): the fd is still ours
            os.close(fd)
            raise

    def _read_fd(self, path: str) -> int:
        """A descriptor of the file at ``path`` for reading (the fast way, else through
        ``full()``'s checks); a FIFO, socket or device is refused, never waited on."""
        fd = self._nofollow.open(path) if path and self._nofollow is not None else -1
        if fd < 0:
            fd = open_checked(self.full(path))
        try:
            special = is_special(fd)
        except BaseException:
            os.close(fd)
            raise
        if special:
            os.close(fd)
            raise StoragePermissionError(
                f"'{self.where(path)}' is not a regular file (a FIFO, socket or device):"
                " it is not read"
            )
        return fd

    def read_bytes(self, path: str) -> bytes:
        with errors_as_storage(self.where(path)):
            fd = self._read_fd(path)
            try:  # the descriptor read directly: no file objects, fewer system calls
                return read_all(fd)
            finally:
                os.close(fd)

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        with errors_as_storage(self.where(path)), self._open(path) as f:
            # pinned: the file opened must be the version tagged (an atomic replace makes
            # a new inode; a write in place changes the mtime); read from that same file
            if etag is not None and _version_tag(os.fstat(f.fileno())) != etag:
                raise changed_while_read(self.where(path))
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

    def open_read(self, path: str) -> io.BufferedReader:
        with errors_as_storage(self.where(path)):
            return self._open(path)

    def writable(self, path: str) -> str:
        """``full(path)`` for a write: a name of the library's temporaries is refused,
        since listings hide such files and ``mkdir`` sweeps them (data would vanish)."""
        if is_temp_name(path.rsplit("/", 1)[-1]):
            raise StoragePermissionError(
                f"'{self.where(path)}' has the form of genro-storage's temporary files"
                " (.genro-storage-<hex>.part), which are hidden and swept: choose another name"
            )
        return self.full(path)

    def open_write(self, path: str) -> LocalWriter:
        target = self.writable(path)
        with errors_as_storage(self.where(path)):
            return LocalWriter(target, self.where(path))

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        folder = self.full(path)
        prefix = f"{path}/" if path else ""
        with errors_as_storage(self.where(path)):
            chosen, next_cursor = self._listings.page(folder, page_size, cursor)
            folder_real = os.path.realpath(folder)
            infos = []
            for name in chosen:
                try:
                    infos.append(
                        self._entry(prefix + name, os.path.join(folder, name), folder_real)
                    )
                except FileNotFoundError:  # vanished or a dangling symlink
                    continue
        return Page(infos, next_cursor)

    def _entry(self, path: str, full: str, folder_real: str) -> FileInfo:
        """A listing entry. A symlink that ``full()`` refuses (target outside the root,
        a loop, or a folder at or above its own) is listed as what it is on disk, a
        link: a file entry without size, never followed, refused on access. So a
        listing never shows facts of a place outside the mount, and a tree walk never
        descends through it."""
        st = os.lstat(full)
        if not stat.S_ISLNK(st.st_mode):
            return self._info(path, st)
        target = os.path.realpath(full)
        refused = not _contains(self._roots.split(path)[1], target)
        if not refused:
            try:
                followed = os.stat(full)
            except FileNotFoundError:
                raise
            except OSError:  # ELOOP
                refused = True
            else:
                refused = _isdir(followed) and _contains(target, folder_real)
        if refused:
            return FileInfo(path, "file", None, st.st_mtime)
        return self._info(path, followed)

    def _sweep(self, folder: str) -> None:
        """Sweep stale temporaries from ``folder``, at most once per ``SWEEP_INTERVAL``."""
        now = time.monotonic()
        with self._sweep_lock:
            last = self._swept.get(folder)
            if last is not None and now - last < SWEEP_INTERVAL:
                return
            if len(self._swept) >= 4096:
                self._swept.clear()
            self._swept[folder] = now
        sweep_temporaries(folder)

    def mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> None:
        with errors_as_storage(self.where(path)):
            target = self.writable(path)
            commit_point()
            if parents:
                make_dirs(target, exist_ok=exist_ok)
            else:
                try:
                    os.mkdir(target)
                except FileExistsError:
                    if not (exist_ok and os.path.isdir(target)):
                        raise
        # the folder's parent (where writes beside it left temporaries) and the folder
        if path:
            self._sweep(os.path.dirname(target))
        self._sweep(target)

    def is_root(self, path: str) -> bool:
        """``''``, and on a switched mount each first segment: the folder the ``path``
        callable returns belongs to the application, never to a move or a delete."""
        return not path or (self._roots.switched and "/" not in path)

    def delete(self, path: str, recursive: bool = False) -> None:
        if self.is_root(path):
            raise StorageError(f"Refusing to delete the root of mount '{self.mount}'")
        target = self.full(path)
        with errors_as_storage(self.where(path)):
            commit_point()
            if os.path.isdir(target) and not os.path.islink(target):
                if recursive:
                    remove_tree(target)
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
        source, target = self.full(src), self.writable(dst)
        with errors_as_storage(self.where(src)):
            if os.path.isdir(target):
                raise IsADirectoryError(target)
            make_dirs(os.path.dirname(target), exist_ok=True)
            commit_point()
            os.replace(source, target)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        if not self._base_url:
            return None
        return f"{self._base_url.rstrip('/')}/{quote(path)}"

    def local_path(self, path: str) -> str:
        return self.full(path)


def _link_new(tmp: str, target: str) -> None:
    """Give ``tmp`` the name ``target`` only if ``target`` does not exist (atomic), then
    drop the name ``tmp``. A file system without hard links gets a check and a rename
    (the race of a file created between the two is then possible)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", target) from None
        os.replace(tmp, target)
        return
    unlink_quietly(tmp)


def _contains(folder: str, real: str) -> bool:
    """Whether the resolved path ``real`` is ``folder`` or lies below it."""
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def _isdir(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISDIR(st.st_mode)


def _version_tag(st: os.stat_result) -> str:
    """A local file's ETag, from device, inode, size and mtime (ns): any replacement (a
    new inode) or rewrite (a new mtime) changes it; what pinned readers compare. Hashed,
    so that no inode number is shown (served ETags), and never 32 hex digits, so that it
    is never taken for an MD5 of the content (``md5_from_etag``)."""
    facts = f"{st.st_dev}-{st.st_ino}-{st.st_size}-{st.st_mtime_ns}".encode()
    return "lf-" + hashlib.blake2b(facts, digest_size=12).hexdigest()
