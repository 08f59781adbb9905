"""Plain OS helpers of the local store: temporary files beside their target (created,
hidden, swept), folders made and removed without recursion, and physical locations."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import time
from dataclasses import dataclass

from .._shared.exceptions import (
    StorageError,
)
from .._shared.identity import Location, segments
from .._shared.temporaries import STALE_AFTER, is_temp_name, temp_name


def temp_beside(target: str) -> str:
    """Create an empty temporary file in the target's folder (same filesystem, so the
    final ``os.replace`` is atomic) and return its path. Its name is the library's
    temporary name (see ``_shared.temporaries``): listings hide it."""
    return temp_and_folders(target)[0]


def temp_and_folders(target: str) -> tuple[str, list[str]]:
    """``temp_beside``, and the folders it had to create for it (outermost first), which
    an aborted write removes again."""
    if os.path.isdir(target):
        raise IsADirectoryError(target)
    folder = os.path.dirname(target)
    created = make_dirs(folder, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = os.path.join(folder, temp_name())
        try:
            os.close(os.open(tmp, flags, 0o600))
        except FileExistsError:  # 64 random bits taken: draw again
            continue
        except BaseException:
            remove_empty(created)
            raise
        return tmp, created


def remove_empty(folders: list[str]) -> None:
    """Remove ``folders`` (outermost first) where they are empty, innermost first."""
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:  # not empty (someone wrote there meanwhile), or gone
            return


def sweep_temporaries(folder: str) -> None:
    """Remove the library's temporaries older than ``STALE_AFTER`` from ``folder`` (not
    below it): files left by a process that was killed while writing. Best effort."""
    cutoff = time.time() - STALE_AFTER
    with contextlib.suppress(OSError), os.scandir(folder) as it:
        stale = [
            e.path
            for e in it
            if is_temp_name(e.name) and _stale_file(e.stat(follow_symlinks=False), cutoff)
        ]
    for path in stale:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _stale_file(st: os.stat_result, cutoff: float) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff


def make_dirs(path: str, exist_ok: bool = False) -> list[str]:
    """``os.makedirs`` without recursion, so that a tree of any depth can be made;
    returns the folders it created, outermost first."""
    missing = []
    head = path
    while head and not os.path.exists(head):
        missing.append(head)
        up = os.path.dirname(head)
        if up == head:
            break
        head = up
    if not missing:
        if exist_ok and os.path.isdir(path):
            return []
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
    created: list[str] = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
            created.append(folder)
        except FileExistsError:  # made meanwhile by someone else
            if not os.path.isdir(folder) or (folder == path and not exist_ok):
                raise
    return created


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
# Deleting relative to open folders needs these; elsewhere (Windows) shutil.rmtree is used.
_FD_WALK = (
    hasattr(os, "O_DIRECTORY")
    and hasattr(os, "O_NOFOLLOW")
    and os.scandir in os.supports_fd
    and {os.open, os.unlink, os.rmdir} <= os.supports_dir_fd
)


@dataclass
class _Frame:
    """A folder being emptied: its identity, its name in its parent, subfolders left."""

    identity: tuple[int, int]
    name: str
    subdirs: list[str]


def remove_tree(top: str) -> None:
    """Delete the folder ``top`` and everything below it.

    Iterative, so any depth works (``shutil.rmtree`` recurses and fails past about 1,000
    levels), and it keeps one folder open at a time. It never follows a symlink: each
    subfolder is opened relative to its parent with ``O_NOFOLLOW``, and the way back up
    through ``..`` must lead to the very folder it came from (same device and inode).
    """
    if not _FD_WALK:
        shutil.rmtree(top)
        return
    fd = os.open(top, _DIR_FLAGS)
    try:
        frames = [_Frame(_identity(fd), "", _clear_files(fd))]
        while frames:
            frame = frames[-1]
            if frame.subdirs:
                name = frame.subdirs.pop()
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                        raise
                    os.unlink(name, dir_fd=fd)  # no longer a folder: a file or a symlink
                    continue
                os.close(fd)
                fd = child
                frames.append(_Frame(_identity(fd), name, _clear_files(fd)))
                continue
            frames.pop()
            if not frames:
                break
            up = os.open("..", _DIR_FLAGS, dir_fd=fd)
            if _identity(up) != frames[-1].identity:
                os.close(up)
                raise StorageError(f"A folder under '{top}' was moved while being deleted")
            os.close(fd)
            fd = up
            os.rmdir(frame.name, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(top)


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _clear_files(fd: int) -> list[str]:
    """Unlink everything in the open folder ``fd`` except subfolders; return their names."""
    with os.scandir(fd) as it:
        entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    subdirs = []
    for name, is_dir in entries:
        if is_dir:
            subdirs.append(name)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
    return subdirs


def local_location(full: str) -> Location:
    """The :class:`Location` of an OS path, symlinks resolved."""
    return Location(("local",), segments(os.path.realpath(full).replace(os.sep, "/")))


def unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
