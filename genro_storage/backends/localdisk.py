"""Plain OS helpers of the local store: temporary files beside their target (created,
hidden, swept), folders made and removed without recursion, and physical locations."""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import shutil
import stat
import sys
import time
from collections.abc import Callable
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


# -- containment without realpath ---------------------------------------------------

_WALK_DIR = _DIR_FLAGS | getattr(os, "O_CLOEXEC", 0)
#: A file opened for reading: ``O_NONBLOCK`` so that opening a FIFO does not wait forever
#: for a writer (no effect on a regular file); ``read_fd`` then refuses what is not one.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_WALK_FILE = _READ_FLAGS | getattr(os, "O_NOFOLLOW", 0)
_NOFOLLOW_OK = _FD_WALK and os.stat in os.supports_dir_fd


def _make_openat2() -> Callable[[int, str, bool], int] | None:
    """Linux's ``openat2`` (5.6+) through ctypes: opens a folder below ``dir_fd`` in one
    call, refusing any symlink on the way and any way out of ``dir_fd``
    (``RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS``), or ``None`` where it does not exist.
    Raises ``NotImplementedError`` the first time the kernel (or a seccomp filter)
    refuses the call itself, and is not used again."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
    except ImportError:  # pragma: no cover - ctypes ships with CPython
        return None
    number = {"x86_64": 437, "aarch64": 437}.get(platform.machine())
    if number is None:
        return None

    class OpenHow(ctypes.Structure):
        _fields_ = (
            ("flags", ctypes.c_uint64),
            ("mode", ctypes.c_uint64),
            ("resolve", ctypes.c_uint64),
        )

    try:
        syscall = ctypes.CDLL(None, use_errno=True).syscall
    except (OSError, AttributeError):
        return None
    syscall.restype = ctypes.c_long
    syscall.argtypes = (ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    syscall.argtypes += (ctypes.c_size_t,)
    folder_flags = getattr(os, "O_PATH", 0) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    resolve = 0x02 | 0x04 | 0x08  # RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
    folder_how, file_how = OpenHow(folder_flags, 0, resolve), OpenHow(_WALK_FILE, 0, resolve)
    refs = (ctypes.byref(folder_how), ctypes.byref(file_how))
    how_size = ctypes.sizeof(folder_how)
    state = {"works": True}

    def openat2(dir_fd: int, path: str, file: bool = False) -> int:
        """A folder (``O_PATH``) or, with ``file``, a file opened for reading."""
        if not state["works"]:
            raise NotImplementedError
        fd = int(syscall(number, dir_fd, os.fsencode(path), refs[file], how_size))
        if fd >= 0:
            return fd
        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EPERM, errno.E2BIG):
            state["works"] = False
            raise NotImplementedError
        raise OSError(code, os.strerror(code), path)

    return openat2


_openat2 = _make_openat2() if _NOFOLLOW_OK else None


_SPECIAL_NAMES = frozenset(("", ".", ".."))

#: Bytes asked of each ``os.read`` past the size ``fstat`` gave (a file that grew).
_READ_MORE = 1 << 16
#: Larger files are read by io's reader (one buffer, however the file changes).
_DIRECT_MAX = 1 << 26


def open_checked(path: str) -> int:
    """A descriptor of ``path`` (an absolute path already checked) for reading, opened
    as ``NoFollowRoot.open`` opens one (``O_NONBLOCK``: a FIFO does not block)."""
    return os.open(path, _READ_FLAGS)


def is_special(fd: int) -> bool:
    """Whether ``fd`` is neither a regular file nor a folder (a FIFO, socket or device,
    whose reading would block or never end)."""
    mode = os.fstat(fd).st_mode
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_all(fd: int) -> bytes:
    """The whole content of the open file ``fd``, read to its end (what
    ``open(fd, 'rb').read()`` gives, without the file objects and their ``lseek``,
    ``ioctl`` and second ``fstat``): a folder raises ``IsADirectoryError``."""
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    if st.st_size > _DIRECT_MAX:  # io's reader fills one buffer: no second copy to join
        with open(fd, "rb", closefd=False) as f:
            return f.read()
    first = os.read(fd, st.st_size + 1 if st.st_size > 0 else _READ_MORE)
    if not first:
        return first
    parts = [first]  # read on to the end: the size may be stale (a growing file, /proc)
    while chunk := os.read(fd, _READ_MORE if len(parts) < 8 else len(parts) * _READ_MORE):
        parts.append(chunk)
    return first if len(parts) == 1 else b"".join(parts)


class NoFollowRoot:
    """Opens and stats paths below a mount's root without ``os.path.realpath``.

    Every component below the root is opened relative to its parent with
    ``O_NOFOLLOW``, from a descriptor of the root kept open: if any of them is a
    symlink, or anything else is unusual (missing, not a folder, the root path no longer
    names the folder opened at mount time), the answer is ``None`` and the caller takes
    its checked path (``realpath`` and the containment rules), which decides. So a path
    this class opens has no symlink below the root at the moment it is opened, which is
    what the checked path would have accepted, at a fraction of the cost (one ``lstat``
    per component in the kernel, no Python loop over the whole absolute path).
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._fd = -1
        self._identity = (0, 0)
        if not _NOFOLLOW_OK:
            return
        with contextlib.suppress(OSError):
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
            self._identity = _identity(fd)
            self._fd = fd

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit ``os`` may be gone
            self.close()

    def _root(self, names: list[str]) -> int:
        """The root's descriptor if the fast way may be tried for ``names``, else -1."""
        root = self._fd
        if root < 0 or not _SPECIAL_NAMES.isdisjoint(names):  # "", "." or "..": checked way
            return -1
        try:
            st = os.stat(self.root)
        except OSError:
            return -1
        if (st.st_dev, st.st_ino) != self._identity:  # the root path names another folder
            return -1
        return root

    def _folder(self, names: list[str]) -> int:
        """A descriptor of the folder ``names[:-1]`` below the root (the root's own, not
        to be closed, or a new one), or -1."""
        root = self._root(names)
        if root < 0 or len(names) == 1:
            return root
        if _openat2 is not None:
            try:
                return _openat2(root, "/".join(names[:-1]), False)
            except NotImplementedError:
                pass
            except (OSError, ValueError):  # a symlink on the way (ELOOP), missing, ...
                return -1
        fd = root
        for name in names[:-1]:
            try:
                inner = os.open(name, _WALK_DIR, dir_fd=fd)
            except (OSError, ValueError):  # a symlink (ELOOP), missing, a file; NUL byte
                if fd != root:
                    os.close(fd)
                return -1
            if fd != root:
                os.close(fd)
            fd = inner
        return fd

    def open(self, path: str) -> int:
        """A read-only descriptor of ``path`` (mount-relative, ``/``-separated), or -1."""
        names = path.split("/")
        if len(names) > 1 and _openat2 is not None:  # one call for the whole path
            root = self._root(names)
            if root < 0:
                return -1
            try:
                return _openat2(root, path, True)
            except NotImplementedError:
                pass
            except (OSError, ValueError):
                return -1
        fd = self._folder(names)
        if fd < 0:
            return -1
        try:
            return os.open(names[-1], _WALK_FILE, dir_fd=fd)
        except (OSError, ValueError):
            return -1
        finally:
            if fd != self._fd:
                os.close(fd)

    def lstat(self, path: str) -> os.stat_result | None:
        """``lstat`` of ``path`` if it is not a symlink (nor below one), else ``None``."""
        names = path.split("/")
        fd = self._folder(names)
        if fd < 0:
            return None
        try:
            st = os.stat(names[-1], dir_fd=fd, follow_symlinks=False)
        except (OSError, ValueError):
            return None
        finally:
            if fd != self._fd:
                os.close(fd)
        return None if stat.S_ISLNK(st.st_mode) else st
