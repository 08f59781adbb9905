"""Node operations written once as logic generators (see ``sansio``), shared by
``StorageNode`` and ``AsyncStorageNode``: facts, writes, hashing and tree walks. The
copy/move machinery built on them is ``_shared/transfer.py``.

A logic function receives nodes; it reaches their backend through ``node._backend``
and yields ops. It never knows whether it runs under the sync or the async driver.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from .config import require
from .exceptions import (
    StorageError,
    StorageNotFoundError,
    already_exists,
    is_a_directory,
)
from .identity import Location
from .info import FileInfo
from .metadata import check_metadata
from .nodecore import NodeCore
from .paths import is_child_of
from .sansio import Logic, blocking, call
from .skip import comparable_etag

CHUNK_SIZE = 4 * 1024 * 1024

#: A node of either API: every logic here works on both, and returns nodes of the kind
#: it was given.
N = TypeVar("N", bound=NodeCore[Any])
#: A node of either API, where the kind does not matter.
AnyNode = NodeCore[Any]


class Writer(Protocol):
    """What ``WriteHandle`` drives: a backend writer of either API (each method returns
    its result, or under the async API an awaitable of it)."""

    def write(self, data: bytes, /) -> object: ...
    def commit(self) -> object: ...
    def abort(self) -> object: ...


# -- facts -------------------------------------------------------------------------


def info_or_none(node: AnyNode) -> Logic[FileInfo | None]:
    """The node's facts, or ``None`` when nothing is there."""
    try:
        found: FileInfo = yield call(node._backend.info, node.path)
    except StorageNotFoundError:
        return None
    return found


@overload
def fact(node: AnyNode, name: Literal["exists", "isfile", "isdir"]) -> Logic[bool]: ...
@overload
def fact(node: AnyNode, name: Literal["size"]) -> Logic[int | None]: ...
@overload
def fact(node: AnyNode, name: Literal["mtime"]) -> Logic[float | None]: ...
def fact(node: AnyNode, name: str) -> Logic[Any]:
    """``exists``/``isfile``/``isdir`` never raise for a missing node; ``size``/``mtime`` do.
    ``size`` of a folder raises ``StorageIsADirectoryError`` (a ``ValueError``, as in
    genro-storage 0.x): a folder has no size of its own, unless it also holds content."""
    if name == "exists":
        return (yield call(node._backend.exists, node.path))
    if name in ("isfile", "isdir"):
        found = yield from info_or_none(node)
        return found is not None and getattr(found, name)
    found = yield call(node._backend.info, node.path)
    if name == "size" and found.isdir and not found.has_content:
        raise is_a_directory(node.fullpath)  # (an object-store key that is both has a size)
    return getattr(found, name)


# -- writes ------------------------------------------------------------------------


def landed(node: N, new_path: object) -> N:
    """The node that holds what was just written to ``node``: ``node`` itself, or for a
    store that moves the node (base64) a new node at ``new_path``. Nodes never change."""
    return node._at(new_path) if isinstance(new_path, str) else node


def write_bytes(node: N, data: bytes) -> Logic[N]:
    """Replace the content; returns the node that now holds it."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"write_bytes() needs bytes, not {type(data).__name__}")
    require(node.config, "write", f"write '{node.fullpath}'")
    new_path = yield call(node._backend.write_bytes, node.path, bytes(data))
    return landed(node, new_path)


class WriteHandle(Generic[N]):
    """The rule of every file opened for writing, in both APIs and every mode: the data
    is published only by a clean, explicit close. An exception inside ``with``, a failed
    ``write`` (a part may be missing) or a handle dropped unclosed (garbage collection)
    aborts instead. The file objects of each API delegate their writes and closes here.
    """

    __slots__ = ("node", "_writer", "_state", "_failure", "_exclusive")

    def __init__(self, node: N, writer: Writer, exclusive: bool = False) -> None:
        #: The node holding the data once closed (base64: a new node), else the target.
        self.node = node
        self._writer = writer
        self._state = "open"  # 'open' -> 'committed' | 'aborted'
        self._failure: BaseException | None = None
        #: Mode 'x': publish only where nothing is at the path (see ``_g_publish``).
        self._exclusive = exclusive

    @property
    def aborted(self) -> bool:
        """Whether the write was given up (nothing is or will be published)."""
        return self._state == "aborted"

    def g_write(self, data: bytes) -> Logic[int]:
        """Write ``data`` (a failure here forbids the commit); returns its length."""
        if self._state != "open":
            raise ValueError("write to a closed file")
        try:
            yield call(self._writer.write, data)
        except BaseException as exc:
            self._failure = exc  # this write may be half done: never commit after it
            raise
        return len(data)

    def g_close(self) -> Logic[N]:
        """Commit (the clean, explicit close); returns the node that holds the data."""
        if self._state != "open":
            return self.node
        if self._failure is not None:
            yield from self.g_abort()
            raise StorageError(
                f"Nothing was written to '{self.node.fullpath}': an earlier write failed"
            ) from self._failure
        self._state = "committed"
        try:
            new_path = yield from self._g_publish()
        except BaseException:
            self._state = "aborted"
            with contextlib.suppress(Exception):  # the commit's error is the one to report
                yield call(self._writer.abort)
            raise
        self.node = landed(self.node, new_path)
        return self.node

    def _g_publish(self) -> Logic[Any]:
        """The commit. In mode 'x' it is the store's conditional write where the writer
        has one (``commit_new``: atomic, ``StorageExistsError`` when something is
        there); elsewhere a check just before the commit (a file created between the
        check and the commit is replaced: the race docs/guide.md's modes table names)."""
        if not self._exclusive:
            return (yield call(self._writer.commit))
        if getattr(self._writer, "can_commit_new", False):
            return (yield call(self._writer.commit_new))  # type: ignore[attr-defined]
        node = self.node
        if (yield call(node._backend.exists, node.path)):
            raise already_exists(node.fullpath)
        return (yield call(self._writer.commit))

    def g_abort(self) -> Logic[None]:
        """Give the write up; what was written is never published."""
        if self._state == "open":
            self._state = "aborted"
            yield call(self._writer.abort)

    def discard(self) -> None:
        """The handle is being collected unclosed: never commit. No I/O here (a finaliser
        may run on any thread); writers holding local resources free them when collected,
        and an object store's pending upload was never made visible."""
        if self._state == "open":
            self._state = "aborted"


def mkdir(node: AnyNode, parents: bool, exist_ok: bool) -> Logic[None]:
    """Create the node's folder (write permission needed)."""
    require(node.config, "write", f"create directory '{node.fullpath}'")
    yield call(node._backend.mkdir, node.path, parents, exist_ok)


def delete(node: AnyNode, recursive: bool, missing_ok: bool) -> Logic[None]:
    """Delete the node (delete permission needed); a missing node is an error unless
    ``missing_ok``."""
    require(node.config, "delete", f"delete '{node.fullpath}'")
    try:
        yield call(node._backend.delete, node.path, recursive)
    except StorageNotFoundError:
        if not missing_ok:
            raise


def set_metadata(node: AnyNode, metadata: dict[str, str]) -> Logic[None]:
    """Replace the metadata; keys and values every store keeps (``check_metadata``),
    the store's own rule checked by its backend."""
    metadata = check_metadata(metadata, node.fullpath)
    require(node.config, "write", f"set metadata on '{node.fullpath}'")
    yield call(node._backend.set_metadata, node.path, metadata)


# -- hashing and walking -----------------------------------------------------------


def md5hash(node: AnyNode, known: FileInfo | None = None) -> Logic[str]:
    """The content MD5: from the store when it has it, else computed while streaming."""
    stored = comparable_etag(known) if known is not None else None
    if stored:
        return stored
    kept: str | None = yield call(node._backend.md5hash, node.path)
    if kept:
        return kept
    digest = hashlib.md5(usedforsecurity=False)
    reader = yield call(node._backend.open_read, node.path)
    try:
        while chunk := (yield call(reader.read, CHUNK_SIZE)):
            yield blocking(digest.update, chunk)
    finally:
        yield call(reader.close)
    return digest.hexdigest()


def listed(folder: str, entries: Iterable[FileInfo]) -> tuple[list[FileInfo], list[FileInfo]]:
    """Split a listing page into the entries that can be acted on (addressable, exactly
    one segment below ``folder``) and the others, which are shown but never acted on."""
    good: list[FileInfo] = []
    odd: list[FileInfo] = []
    for entry in entries:
        (good if entry.addressable and is_child_of(folder, entry.path) else odd).append(entry)
    return good, odd


@dataclass
class Tree:
    """What :func:`walk` found: files, folders, and entries that cannot be acted on."""

    files: list[FileInfo] = field(default_factory=list)
    dirs: list[FileInfo] = field(default_factory=list)
    #: ``(entry, why)`` for each entry a transfer must skip and report.
    odd: list[tuple[FileInfo, str]] = field(default_factory=list)


@dataclass
class WalkPage:
    """One page of a folder as a walk sees it (see :func:`walk_page`)."""

    files: list[FileInfo] = field(default_factory=list)
    #: Folders to enter: first seen at their physical place (marked seen now).
    dirs: list[FileInfo] = field(default_factory=list)
    #: Addressable folders at a place seen before (a loop): listed, never entered.
    loops: list[FileInfo] = field(default_factory=list)
    #: ``(entry, why)`` for each entry a transfer must skip and report.
    odd: list[tuple[FileInfo, str]] = field(default_factory=list)
    cursor: str | None = None


def walk_page(
    backend: Any, folder: str, cursor: str | None, seen: set[Location], size: int = 1000
) -> Logic[WalkPage]:
    """One page (``size`` entries at most) of ``folder``, sorted by the rules of every
    walk: only entries exactly one segment below the folder are acted on, and a folder
    whose physical place is in ``seen`` is not entered again (``seen`` gains the places of
    the folders returned)."""
    page = yield call(backend.list, folder, size, cursor)
    good, odd = listed(folder, page.entries)
    found = WalkPage(cursor=page.cursor)
    found.odd += [(entry, "cannot be addressed as a path") for entry in odd]
    for entry in good:
        if not entry.isdir:
            found.files.append(entry)
            continue
        if entry.has_content:  # its folder half is walked, its bytes are not
            found.odd.append((entry, "is a folder that also holds content"))
        place = backend.location(entry.path)
        if place in seen:
            found.odd.append((entry, "is a folder seen before (a loop)"))
            found.loops.append(entry)
            continue
        seen.add(place)
        found.dirs.append(entry)
    return found


def walk(node: AnyNode) -> Logic[Tree]:
    """Every file and directory below ``node``, as infos with mount-relative paths.

    Always terminates: each entry must lie exactly one segment below the folder listed,
    and a folder seen before at the same physical place (a symlink loop) is not entered
    again. Entries that break these rules land in ``Tree.odd``.
    """
    tree = Tree()
    backend = node._backend
    seen = {backend.location(node.path)}
    pending = [node.path]
    while pending:
        folder = pending.pop()
        cursor = None
        while True:
            found = yield from walk_page(backend, folder, cursor, seen)
            tree.files += found.files
            tree.odd += found.odd
            tree.dirs += found.dirs
            pending += [entry.path for entry in found.dirs]
            if (cursor := found.cursor) is None:
                break
    tree.files.sort(key=lambda e: e.path)
    tree.dirs.sort(key=lambda e: e.path)
    return tree
