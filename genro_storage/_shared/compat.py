"""The genro-storage 0.x vocabulary, written once for both APIs: the aliases that do not
collide with this library's names, and the 0.x features built on them (versions
management, ``write(..., skip_if_unchanged=True)``, ``internal_url``, ``copy_to``'s
options). The node mixins of each API (``genro_storage/node_compat.py``,
``genro_storage/async_/node_compat.py``) are thin faces over the logic here.

Every alias says in its docstring which modern name it stands for; docs/migration.md
has the whole table. No alias warns yet: the docs decide when deprecation starts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .config import require
from .exceptions import StorageConfigError, StorageNotFoundError, unsupported
from .info import FileInfo, VersionInfo
from .nodecore import B, NodeCore
from .operations import info_or_none, md5hash, write_bytes
from .sansio import Logic, call
from .skip import SkipIf, SkipStrategy, check_strategy

if TYPE_CHECKING:
    from .managercore import ManagerCore
    from .transfer import Progress

N = TypeVar("N", bound=NodeCore[Any])
AnyNodeT = NodeCore[Any]

READ_MODES = ("r", "rb")
WRITE_MODES = ("w", "wb")


class PathAliases(NodeCore[B], Generic[B]):
    """0.x names that need no I/O, shared by both node classes."""

    __slots__ = ()

    @property
    def dirname(self) -> str:
        """0.x alias of ``parent.fullpath``: the containing folder as ``'mount:path'``."""
        return self.parent.fullpath

    @property
    def ext(self) -> str:
        """0.x alias of ``suffix`` without its dot (``'pdf'`` for ``report.pdf``)."""
        return self.suffix[1:]

    def splitext(self) -> tuple[str, str]:
        """0.x: ``(path without its suffix, suffix)`` inside the mount, as
        ``os.path.splitext`` gives them; the modern form is ``(parent/stem, suffix)``."""
        suffix = self.suffix
        return (self.path[: len(self.path) - len(suffix)] if suffix else self.path), suffix


class ManagerAliases:
    """0.x names of the manager, shared by both manager classes."""

    __slots__ = ()

    def delete_mount(self, name: str) -> None:
        """0.x alias of ``remove_mount(name)``. An unknown name raises
        ``StorageMountNotFoundError``, which is also the ``KeyError`` 0.x raised."""
        cast("ManagerCore[Any]", self).remove_mount(name)


# -- read / write ------------------------------------------------------------------


def check_read_mode(mode: object) -> str:
    """``'r'`` or ``'rb'``, else a ``StorageConfigError`` (a ``ValueError``, as in 0.x)."""
    if not isinstance(mode, str) or mode not in READ_MODES:
        raise StorageConfigError(f"read() mode must be 'r' (text) or 'rb' (bytes), not {mode!r}")
    return mode


def check_write_args(data: object, mode: object) -> bytes | None:
    """The bytes to write for ``write(data, mode)`` (``None`` in text mode: encode
    there), after the 0.x checks: a known mode (``StorageConfigError``), ``str`` for
    ``'w'`` and bytes for ``'wb'`` (``TypeError``)."""
    if not isinstance(mode, str) or mode not in WRITE_MODES:
        raise StorageConfigError(f"write() mode must be 'w' (text) or 'wb' (bytes), not {mode!r}")
    if mode == "w":
        if not isinstance(data, str):
            raise TypeError(f"write() in mode 'w' needs str, not {type(data).__name__}")
        return None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"write() in mode 'wb' needs bytes, not {type(data).__name__}")
    return bytes(data)


def write_unless_unchanged(node: N, data: bytes, skip_if_unchanged: bool) -> Logic[N | None]:
    """Write ``data``; with ``skip_if_unchanged``, write nothing (and return ``None``)
    when the file already holds exactly these bytes: same size, then same MD5 (the
    store's when it keeps one, else computed by streaming the file)."""
    if not isinstance(skip_if_unchanged, bool):  # 'no' is truthy: never guess
        raise StorageConfigError(
            f"write() skip_if_unchanged must be True or False, not {skip_if_unchanged!r}"
        )
    if skip_if_unchanged:
        require(node.config, "write", f"write '{node.fullpath}'")
        found = yield from info_or_none(node)
        if found is not None and found.isfile and found.size == len(data):
            current = yield from md5hash(node, found)
            if current == hashlib.md5(data, usedforsecurity=False).hexdigest():
                return None
    return (yield from write_bytes(node, data))


# -- base64 ------------------------------------------------------------------------


def to_base64(data: bytes, name_mimetype: str, mime: str | None, include_uri: bool) -> str:
    """The content in standard base64; with ``include_uri`` a ``data:`` URI whose type
    is ``mime`` or, when not given, the one guessed from the file name."""
    if mime is not None and (
        not isinstance(mime, str)
        or "/" not in mime
        or "," in mime
        or any(not c.isprintable() for c in mime)
    ):
        raise StorageConfigError(f"mime must be a MIME type such as 'image/png', not {mime!r}")
    if not isinstance(include_uri, bool):
        raise StorageConfigError(f"include_uri must be True or False, not {include_uri!r}")
    encoded = base64.b64encode(data).decode("ascii")
    return f"data:{mime or name_mimetype};base64,{encoded}" if include_uri else encoded


# -- URLs --------------------------------------------------------------------------


def internal_url(node: AnyNodeT, nocache: bool) -> Logic[str | None]:
    """``url()`` (no expiry asked), and with ``nocache`` the file's mtime as a query
    parameter so that caches see a new URL when the file changes. A URL that has a
    query already (a presigned one) is left as it is: a parameter added to it would
    break its signature, and it changes at each call anyway."""
    if not isinstance(nocache, bool):
        raise StorageConfigError(f"nocache must be True or False, not {nocache!r}")
    url = node.url()
    if url is None or not nocache or url.startswith("data:") or "?" in url:
        return url
    found: FileInfo = yield call(node._backend.info, node.path)
    if found.mtime is None:
        return url
    return f"{url}?mtime={int(found.mtime)}"


# -- versions ----------------------------------------------------------------------


def _versions(node: AnyNodeT) -> Logic[list[VersionInfo]]:
    if not node.capabilities.versions:
        raise unsupported(node._backend.type_name, "versions")
    found: list[VersionInfo] = yield call(node._backend.versions, node.path)
    return found


def version_count(node: AnyNodeT) -> Logic[int]:
    """How many versions the store keeps of the file: 0 where it keeps none (a store
    without versions, or no such file), as in 0.x."""
    if not node.capabilities.versions:
        return 0
    try:
        found = yield from _versions(node)
    except StorageNotFoundError:
        return 0
    return len(found)


def delete_version(node: AnyNodeT, version_id: str) -> Logic[None]:
    """Remove one stored version for good (delete permission needed)."""
    if not isinstance(version_id, str) or not version_id:
        raise StorageConfigError(f"version_id must be a non-empty string, not {version_id!r}")
    require(node.config, "delete", f"delete a version of '{node.fullpath}'")
    if not node.capabilities.versions:
        raise unsupported(node._backend.type_name, "versions")
    yield call(node._backend.delete_version, node.path, version_id)


def compact_versions(node: AnyNodeT, keep: int | None, dry_run: bool) -> Logic[int]:
    """Remove old versions; returns how many were (or, ``dry_run``, would be) removed.

    ``keep=N``: keep the N newest versions, remove the older ones. ``keep=None`` (0.x's
    rule): of each run of consecutive versions with one content (ETag), keep the oldest
    and remove the others; a return to earlier content is kept, it is history. The
    newest version is never removed, by either rule: a run that ends with it keeps it
    instead of its oldest, since removing the current version makes the entry below it
    current, and on S3 that can be a delete marker (the file would vanish).
    """
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise StorageConfigError(f"keep must be an integer >= 1 or None, not {keep!r}")
    if not isinstance(dry_run, bool):
        raise StorageConfigError(f"dry_run must be True or False, not {dry_run!r}")
    if not dry_run:
        require(node.config, "delete", f"delete versions of '{node.fullpath}'")
    found = yield from _versions(node)  # newest first
    if keep is not None:
        doomed = [v.version_id for v in found[keep:]]
    else:
        doomed = []
        runs: list[list[VersionInfo]] = []
        for version in found[::-1]:  # oldest first
            if runs and version.etag and runs[-1][-1].etag == version.etag:
                runs[-1].append(version)
            else:
                runs.append([version])
        for run in runs:
            kept = run[-1] if found and run[-1] is found[0] else run[0]
            doomed.extend(v.version_id for v in run if v is not kept)
    if not dry_run:
        for version_id in doomed:
            yield call(node._backend.delete_version, node.path, version_id)
    return len(doomed)


# -- copy_to -----------------------------------------------------------------------


def copy_to_skip(skip: SkipStrategy | str, skip_fn: Callable[..., Any] | None) -> SkipIf:
    """0.x's ``skip=``/``skip_fn=`` pair as this library's ``skip_if``."""
    name = skip.value if isinstance(skip, SkipStrategy) else skip
    if name == "custom":
        if not callable(skip_fn):
            raise StorageConfigError("skip='custom' needs skip_fn, a callable (src, dst) -> bool")
        return skip_fn
    if skip_fn is not None:
        raise StorageConfigError("skip_fn is used only with skip='custom'")
    return check_strategy(name)


class FilesProgress:
    """0.x's ``progress(current, total)``, called once per file of the transfer, from
    this library's ``Progress`` events (its return value is passed on, so an async
    callable is awaited under the async API)."""

    def __init__(self, fn: Callable[[int, int], Any]) -> None:
        if not callable(fn):
            raise StorageConfigError(f"progress must be a callable, not {type(fn).__name__}")
        self.fn = fn
        self.seen = 0

    def __call__(self, event: Progress) -> Any:
        if event.files_done <= self.seen:
            return None
        self.seen = event.files_done
        return self.fn(event.files_done, event.files_total)


def resolved_path(node: AnyNodeT, local: str | None) -> str | None:
    """0.x ``resolved_path``: the file's path on local disk, or ``None``."""
    return local if node.capabilities.local_path else None


def ext_attributes(found: FileInfo | None) -> tuple[float | None, int | None, bool]:
    """0.x ``ext_attributes``: ``(mtime, size, isdir)``; ``(None, None, False)`` when
    nothing is there, size ``None`` for a folder."""
    if found is None:
        return None, None, False
    return found.mtime, (None if found.isdir else found.size), found.isdir


__all__ = [
    "FilesProgress",
    "ManagerAliases",
    "PathAliases",
    "SkipStrategy",
    "compact_versions",
    "copy_to_skip",
    "delete_version",
    "ext_attributes",
    "internal_url",
    "resolved_path",
    "version_count",
    "write_unless_unchanged",
]
