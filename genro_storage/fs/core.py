"""What both ``genro`` filesystems share: paths, entries and every operation's logic,
written once as generators (driven by ``genro_storage.fs.drive``)."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from fsspec.utils import stringify_path, tokenize

from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
    already_exists,
    is_a_directory,
)
from .._shared.info import FileInfo
from .drive import PROTOCOL, Step
from .files import TextWriter

__all__ = ["PAGE_SIZE", "GenroCore"]

PAGE_SIZE = 1000

#: One opaque id per manager: fsspec compares and hashes filesystems by token, and two
#: managers must never look like one (their repr only lists mount names).
_TOKENS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _manager_token(storage: Any) -> str:
    if storage not in _TOKENS:
        import uuid

        _TOKENS[storage] = uuid.uuid4().hex
    return _TOKENS[storage]


def _is_child(folder: str, entry: FileInfo) -> bool:
    """Whether a listed entry is one usable segment below ``folder``."""
    parent, _, name = entry.path.rpartition("/")
    return entry.addressable and parent == folder and name not in ("", ".", "..")


def _has_magic(path: str) -> bool:
    return any(c in path for c in "*?[")


class GenroCore:
    """What both filesystems share: paths, entries and every operation's logic."""

    protocol = PROTOCOL
    root_marker = ""
    #: fsspec would cache instances by their arguments; the manager is what matters, and
    #: ``storage.fs`` already caches one per manager.
    cachable = False
    storage: Any

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        """``genro://mount/path``, ``/mount/path/`` and ``mount/path`` are all ``mount/path``."""
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = stringify_path(path)
        for prefix in (f"{PROTOCOL}://", f"{PROTOCOL}::"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        return path.strip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(storage={self.storage!r})"

    @property
    def _fs_token(self) -> str:
        token: str = tokenize(type(self).__name__, _manager_token(self.storage))
        return token

    # -- paths and entries ----------------------------------------------------------
    def _split(self, path: str) -> tuple[str, str]:
        """``(mount, path inside it)``; an unknown mount is a missing path."""
        mount, _, rest = self._strip_protocol(path).partition("/")
        if mount and not self.storage.has_mount(mount):
            known = ", ".join(self.storage.mounts) or "none"
            raise StorageNotFoundError(
                f"No such file or directory: '{PROTOCOL}://{mount}/{rest}' "
                f"(no mount '{mount}'; mounts: {known})"
            )
        return mount, rest

    def _node(self, path: str) -> Any:
        mount, rest = self._split(path)
        if not mount:
            raise is_a_directory(f"{PROTOCOL}://")
        return self.storage.node(f"{mount}:{rest}")

    @staticmethod
    def _folder(name: str) -> dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory"}

    @staticmethod
    def _entry(mount: str, info: FileInfo) -> dict[str, Any]:
        """fsspec's info dict of one ``FileInfo``."""
        entry: dict[str, Any] = {
            "name": f"{mount}/{info.path}" if info.path else mount,
            "size": (info.size or 0) if info.isfile else 0,
            "type": info.type,
            "mtime": info.mtime,
        }
        for key in ("etag", "md5", "content_type", "version_id"):
            value = getattr(info, key)
            if value is not None:
                entry[key] = value
        return entry

    def _check_storage(self, storage: Any, kind: type) -> None:
        if storage is None:
            raise StorageConfigError(
                f"The '{PROTOCOL}' filesystem needs storage=<{kind.__name__}>, e.g. "
                f"fsspec.filesystem('{PROTOCOL}', storage=storage)"
            )
        if not isinstance(storage, kind):
            raise StorageConfigError(
                f"{type(self).__name__}(storage=...) needs a {kind.__name__}, "
                f"not {type(storage).__name__}"
            )

    def _fsspec(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """One of fsspec's own methods (``expand_path``...) in this filesystem's flavour."""
        raise NotImplementedError

    def open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        cache_options: dict[str, Any] | None = None,
        compression: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """fsspec's ``open``; a text file for writing, like a binary one, publishes
        nothing when an exception leaves its ``with`` block."""
        if "b" in mode or "w" not in mode or compression:
            return super().open(  # type: ignore[misc]
                path, mode, block_size, cache_options, compression, **kwargs
            )
        text = {k: kwargs.pop(k) for k in ("encoding", "errors", "newline") if k in kwargs}
        binary = super().open(  # type: ignore[misc]
            path, mode.replace("t", "") + "b", block_size, cache_options, **kwargs
        )
        return TextWriter(binary, **text)

    # -- operations, written once ---------------------------------------------------
    def _g_info(self, path: str) -> Step[dict[str, Any]]:
        mount, rest = self._split(path)
        if not mount:
            return self._folder("")
        if not rest:  # a mount's root always exists: no request
            return self._folder(mount)
        info = yield self.storage.node(f"{mount}:{rest}").info()
        return self._entry(mount, info)

    def _g_ls(self, path: str, detail: bool) -> Step[list[Any]]:
        mount, rest = self._split(path)
        if not mount:
            entries = [self._folder(name) for name in self.storage.mounts]
        else:
            node = self.storage.node(f"{mount}:{rest}")
            entries = []
            cursor = None
            try:
                while True:
                    page = yield node.list(PAGE_SIZE, cursor)
                    # an object key that is no path (``a//b``, ``a/./b``) is listed by the
                    # library but cannot be acted on: not offered here, or walks would loop
                    entries += [
                        self._entry(mount, e) for e in page.entries if _is_child(node.path, e)
                    ]
                    if (cursor := page.cursor) is None:
                        break
            except (StorageNotFoundError, StoragePermissionError, StorageConfigError):
                raise
            except StorageError:  # not a folder: fsspec lists a file as itself
                info = yield node.info()
                if not info.isfile:
                    raise
                entries = [self._entry(mount, info)]
        return entries if detail else [e["name"] for e in entries]

    def _g_cat_file(
        self, path: str, start: int | None, end: int | None, etag: str | None = None
    ) -> Step[bytes]:
        """``etag``: the ETag an open file saw (fsspec reads it block by block); a file
        replaced since then raises the library's "changed while it was read" error."""
        node = self._node(path)
        start = start or 0
        if start < 0 or (end is not None and end < 0):  # from the end: needs the size
            size = (yield node.info()).size or 0
            start = max(0, size + start) if start < 0 else start
            end = max(0, size + end) if end is not None and end < 0 else end
        if start == 0 and end is None and etag is None:
            whole: bytes = yield node.read_bytes()
            return whole
        if end is not None and end <= start:
            return b""
        # one ranged GET, no HEAD first (pinned to ``etag`` when given)
        part: bytes = yield node.read_range(start, end, etag=etag)
        return part

    def _g_pipe_file(self, path: str, value: Any, mode: str) -> Step[None]:
        if mode != "overwrite":
            raise StorageConfigError(f"pipe_file() mode must be 'overwrite', not {mode!r}")
        yield self._node(path).write_bytes(bytes(value))

    def _g_rm(self, path: str | Iterable[str], recursive: bool, maxdepth: int | None) -> Step[None]:
        for one in [path] if isinstance(path, str) else list(path):
            one = self._strip_protocol(one)
            if not one:
                raise StoragePermissionError(f"Cannot delete '{PROTOCOL}://', the mount list")
            if maxdepth is not None:  # only what lies within maxdepth, deepest first
                found = yield self._fsspec("expand_path", one, recursive=True, maxdepth=maxdepth)
                targets, recurse, missing_ok = sorted(found, reverse=True), False, True
            elif _has_magic(one):  # a match may lie inside a folder deleted just before
                found = yield self._fsspec("expand_path", one)
                targets, recurse, missing_ok = sorted(found, reverse=True), recursive, True
            else:
                targets, recurse, missing_ok = [one], recursive, False
            for target in targets:
                yield self._node(target).delete(recursive=recurse, missing_ok=missing_ok)

    def _g_rmdir(self, path: str) -> Step[None]:
        node = self._node(path)
        if (yield node.info()).isfile:
            raise StorageError(f"Not a directory: '{PROTOCOL}://{self._strip_protocol(path)}'")
        yield node.delete()

    def _g_mkdir(self, path: str, parents: bool, exist_ok: bool) -> Step[None]:
        mount, rest = self._split(path)
        if not rest:  # the mount list and a mount's root always exist
            if not exist_ok:
                raise already_exists(f"{PROTOCOL}://{mount}")
            return
        yield self.storage.node(f"{mount}:{rest}").mkdir(parents=parents, exist_ok=exist_ok)

    def _g_cp_file(self, path1: str, path2: str) -> Step[None]:
        src, dst = self._node(path1), self._node(path2)
        if (yield src.info()).isdir:  # fsspec's copy() sends folders too; files follow
            yield dst.mkdir(parents=True, exist_ok=True)
            return
        yield src.copy(dst)  # server-side where the store can

    def _g_mv(self, path1: str, path2: str, recursive: bool) -> Step[None]:
        """``node.move``, never fsspec's copy-then-delete: a move onto its own place or
        into its own tree is refused, and only what was copied is deleted. As with
        ``mv``, a path onto an existing folder moves into it."""
        src, dst = self._node(path1), self._node(path2)
        found = yield src.info()
        if found.isdir and not recursive:
            raise StorageError(f"'{path1}' is a folder: move it with recursive=True")
        try:
            into = (yield dst.info()).isdir and bool(src.basename)
        except StorageNotFoundError:
            into = False
        if into:
            dst = dst.child_named(src.basename)
        yield src.move(dst)
