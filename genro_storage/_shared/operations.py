"""Node operations written once as logic generators (see ``sansio``), shared by
``StorageNode`` and ``AsyncStorageNode``: facts, writes, hashing, tree walks, and the
whole copy/move machinery with skip strategies, progress, concurrency and cleanup.

A logic function receives nodes; it reaches their backend through ``node._backend``
and yields ops. It never knows whether it runs under the sync or the async driver.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from .config import require
from .exceptions import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    is_a_directory,
)
from .info import FileInfo
from .metadata import check_metadata
from .nodecore import NodeCore
from .paths import is_child_of, literal_join, relative_to
from .sansio import Logic, Parallel, Shielded, blocking, call, callback
from .skip import SkipIf, check_strategy, comparable_etag, should_skip

CHUNK_SIZE = 4 * 1024 * 1024
ON_ERROR = ("stop", "continue")

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


@dataclass(frozen=True)
class Progress:
    """One progress event: bytes within the current file, files across the transfer."""

    path: str
    bytes_done: int
    bytes_total: int | None
    files_done: int
    files_total: int
    skipped: bool = False


@dataclass
class TransferReport(Generic[N]):
    """What a copy or move did. ``failed`` is filled only with ``on_error='continue'``.

    ``destination`` is the node that holds the result: the destination you gave, or for a
    file written to a base64 mount the new node carrying the data (nodes never change).
    ``callback_errors`` lists ``(source, error)`` for progress callbacks that raised once
    their file had been transferred: such an error never fails a file that has landed.
    """

    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, BaseException]] = field(default_factory=list)
    bytes_copied: int = 0
    #: Required, by keyword: a report always names where the data went.
    destination: N = field(kw_only=True)
    callback_errors: list[tuple[str, BaseException]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no file failed (always true after ``on_error='stop'`` returns)."""
        return not self.failed


class StorageTransferError(StorageError):
    """A file of a tree transfer failed; ``failures`` lists ``(source, error)`` pairs."""

    def __init__(self, message: str, failures: list[tuple[str, BaseException]]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass(frozen=True)
class TransferOptions:
    """The checked options of one copy or move (see ``make``)."""

    skip_if: SkipIf = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    progress: Callable[[Progress], Any] | None = None
    concurrency: int = 8
    on_error: str = "stop"
    chunk_size: int = CHUNK_SIZE

    @classmethod
    def make(
        cls,
        skip_if: SkipIf = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[Progress], Any] | None = None,
        concurrency: int = 8,
        on_error: str = "stop",
        chunk_size: int = CHUNK_SIZE,
    ) -> TransferOptions:
        """Check the user's options (``StorageConfigError`` naming the bad one) and
        normalise the patterns to tuples."""
        check_strategy(skip_if)
        if on_error not in ON_ERROR:
            raise StorageConfigError(f"on_error must be 'stop' or 'continue', not {on_error!r}")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise StorageConfigError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        if progress is not None and not callable(progress):
            raise StorageConfigError("progress must be a callable")
        return cls(
            skip_if, _patterns(include), _patterns(exclude), progress, concurrency, on_error,
            chunk_size,
        )  # fmt: skip

    def selects(self, relpath: str) -> bool:
        """Whether include/exclude keep this file (patterns match the relative path or
        the file name)."""
        name = relpath.rsplit("/", 1)[-1]

        def hit(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatch(relpath, p) or fnmatch.fnmatch(name, p) for p in patterns)

        if self.include and not hit(self.include):
            return False
        return not (self.exclude and hit(self.exclude))


def _patterns(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


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
    """``exists``/``isfile``/``isdir`` never raise for a missing node; ``size``/``mtime`` do."""
    if name == "exists":
        return (yield call(node._backend.exists, node.path))
    if name in ("isfile", "isdir"):
        found = yield from info_or_none(node)
        return found is not None and getattr(found, name)
    found = yield call(node._backend.info, node.path)
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

    __slots__ = ("node", "_writer", "_state", "_failure")

    def __init__(self, node: N, writer: Writer) -> None:
        #: The node holding the data once closed (base64: a new node), else the target.
        self.node = node
        self._writer = writer
        self._state = "open"  # 'open' -> 'committed' | 'aborted'
        self._failure: BaseException | None = None

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
            new_path = yield call(self._writer.commit)
        except BaseException:
            self._state = "aborted"
            with contextlib.suppress(Exception):  # the commit's error is the one to report
                yield call(self._writer.abort)
            raise
        self.node = landed(self.node, new_path)
        return self.node

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
            page = yield call(backend.list, folder, 1000, cursor)
            good, odd = listed(folder, page.entries)
            tree.odd += [(entry, "cannot be addressed as a path") for entry in odd]
            for entry in good:
                if not entry.isdir:
                    tree.files.append(entry)
                    continue
                if entry.has_content:  # its folder half is walked, its bytes are not
                    tree.odd.append((entry, "is a folder that also holds content"))
                place = backend.location(entry.path)
                if place in seen:
                    tree.odd.append((entry, "is a folder seen before (a loop)"))
                    continue
                seen.add(place)
                tree.dirs.append(entry)
                pending.append(entry.path)
            cursor = page.cursor
            if cursor is None:
                break
    tree.files.sort(key=lambda e: e.path)
    tree.dirs.sort(key=lambda e: e.path)
    return tree


# -- copy and move -----------------------------------------------------------------


class _Counter:
    """Shared file counts of one transfer, for progress events."""

    def __init__(self, total: int, tree: bool) -> None:
        self.total = total
        self.tree = tree
        self.done = 0


def transfer(
    src: N, dst: N, options: TransferOptions, move: bool = False
) -> Logic[TransferReport[N]]:
    """Copy (or move) ``src`` to exactly ``dst``: a file to a file, a tree to a tree."""
    verb = "move" if move else "copy"
    require(dst.config, "write", f"{verb} into '{dst.fullpath}'")
    if move:
        require(src.config, "delete", f"move '{src.fullpath}' away")
        if not src.path:
            raise StorageError(f"Refusing to move the root of mount '{src.mount}'")
    # Places, not names: two mounts may show the same files (see _shared/identity.py).
    src_place = src._backend.location(src.path)
    dst_place = dst._backend.location(dst.path)
    if src_place == dst_place:
        raise StorageError(f"Cannot {verb} '{src.fullpath}' onto itself ('{dst.fullpath}')")
    src_info = yield call(src._backend.info, src.path)
    dst_info = yield from info_or_none(dst)
    report: TransferReport[N] = TransferReport(destination=dst)
    if not src_info.isdir:
        if dst_info is not None and dst_info.isdir:
            raise is_a_directory(dst.fullpath)
        counter = _Counter(1, tree=False)
        report.destination = yield from _transfer_file(
            src, dst, src_info, options, report, counter, move
        )
        return report

    if dst_info is not None and dst_info.isfile:
        raise StorageError(f"Cannot {verb} directory '{src.fullpath}' onto file '{dst.fullpath}'")
    if src_place.overlaps(dst_place):
        inside = "into itself" if src_place.contains(dst_place) else "onto a folder holding it"
        raise StorageError(f"Cannot {verb} '{src.fullpath}' {inside} ('{dst.fullpath}')")
    tree = yield from walk(src)
    collect = options.on_error == "continue"
    for entry, why in tree.odd:  # shown in listings, skipped here, reported
        where = f"{src.mount}:{entry.path}"
        error = StorageError(f"'{where}' {why}; it was not {verb}d")
        if not collect:
            raise StorageTransferError(f"Cannot {verb} '{src.fullpath}': {error}", [(where, error)])
        report.failed.append((where, error))
    chosen = [f for f in tree.files if options.selects(relative_to(f.path, src.path))]
    if dst._backend.capabilities.real_directories:
        yield call(dst._backend.mkdir, dst.path, True, True)
        for folder in tree.dirs:
            target = literal_join(dst.path, relative_to(folder.path, src.path))
            yield call(dst._backend.mkdir, target, True, True)
    counter = _Counter(len(chosen), tree=True)
    logics = tuple(
        _transfer_file(
            src._at(f.path),
            dst._at(literal_join(dst.path, relative_to(f.path, src.path))),
            f,
            options,
            report,
            counter,
            move,
        )
        for f in chosen
    )
    results = yield Parallel(logics, options.concurrency, collect_errors=collect)
    for info, result in zip(chosen, results, strict=True):
        if isinstance(result, BaseException):
            report.failed.append((src._at(info.path).fullpath, result))
    if move:
        # Each moved file was deleted after its copy was verified; skipped, failed,
        # filtered-out or newly created files stay, and so do the folders holding them.
        yield from _remove_emptied(src, [d.path for d in tree.dirs])
    return report


def _remove_emptied(src: AnyNode, folders: list[str]) -> Logic[None]:
    """Remove the moved tree's folders that are empty now, deepest first, never
    recursively: a folder that still holds anything stays."""
    for path in sorted(folders, key=lambda p: p.count("/"), reverse=True) + [src.path]:
        with contextlib.suppress(StorageError):
            found = yield call(src._backend.info, path)
            if found.isdir:
                yield call(src._backend.delete, path, False)


def _transfer_file(
    src: N,
    dst: N,
    src_info: FileInfo,
    options: TransferOptions,
    report: TransferReport[N],
    counter: _Counter,
    move: bool,
) -> Logic[N]:
    """Copy or move one file; returns the node that holds the copy."""
    try:
        if options.skip_if is not None and (
            yield from _should_skip(src, dst, src_info, options.skip_if)
        ):
            report.skipped.append(src.fullpath)
            counter.done += 1
            size = src_info.size
            yield from _final_progress(options, report, src, size or 0, size, counter, True)
            return dst
        return (yield from _copy_bytes(src, dst, src_info, options, report, counter, move))
    except Exception as exc:
        if counter.tree and not isinstance(exc, StorageTransferError):
            # In a tree, name the file that failed; keep the original as the cause.
            raise StorageTransferError(
                f"Transfer of '{src.fullpath}' to '{dst.fullpath}' failed: {exc}",
                [(src.fullpath, exc)],
            ) from exc
        raise


def _should_skip(src: AnyNode, dst: AnyNode, src_info: FileInfo, skip_if: SkipIf) -> Logic[bool]:
    if callable(skip_if):
        return bool((yield callback(skip_if, src, dst)))
    dst_info = yield from info_or_none(dst)
    if dst_info is None or not dst_info.isfile:
        return False
    src_hash = dst_hash = None
    if skip_if == "hash":
        src_hash = yield from md5hash(src, src_info)
        dst_hash = yield from md5hash(dst, dst_info)
    return should_skip(str(skip_if), src_info, dst_info, src_hash, dst_hash)


def _copy_bytes(
    src: N,
    dst: N,
    src_info: FileInfo,
    options: TransferOptions,
    report: TransferReport[N],
    counter: _Counter,
    move: bool,
) -> Logic[N]:
    """Stream one file; the destination appears only when the whole file has arrived.

    The commit is the point of no return: before it, any error or cancellation (a
    progress callback raising included) aborts and leaves the destination untouched;
    after it, the rest of the file (the source's deletion for a move, the report, the
    last progress event) runs to its end, even if the call is cancelled meanwhile, and
    no callback error can fail it. Returns the node that holds the copy.
    """
    size = src_info.size
    if src._backend is dst._backend and move:
        yield call(src._backend.move, src.path, dst.path)
        yield from _after_commit(src, size or 0, size, options, report, counter, False)
        return dst
    target = dst
    if src._backend.same_store(dst._backend):
        yield call(src._backend.server_copy, src.path, dst._backend, dst.path)
        sent = size or 0
    else:
        sent = 0
        reader = yield call(src._backend.open_read, src.path)
        try:
            handle = WriteHandle(dst, (yield call(dst._backend.open_write, dst.path)))
            try:
                while chunk := (yield call(reader.read, options.chunk_size)):
                    yield from handle.g_write(chunk)
                    sent += len(chunk)
                    yield from _progress(options, src, sent, size, counter)
                if size is not None and sent != size:
                    raise StorageError(
                        f"Copy of '{src.fullpath}' is incomplete: {sent} of {size} bytes arrived"
                    )
                closing, reader = reader, None
                yield call(closing.close)
                target = yield from handle.g_close()
            except BaseException:
                yield from handle.g_abort()
                raise
        finally:
            if reader is not None:
                yield call(reader.close)
    yield from _after_commit(src, sent, size, options, report, counter, move)
    return target


def _after_commit(
    src: AnyNode,
    sent: int,
    size: int | None,
    options: TransferOptions,
    report: TransferReport[N],
    counter: _Counter,
    delete_source: bool,
) -> Logic[None]:
    """The end of a file whose copy has landed (see ``_copy_bytes``)."""

    def finish() -> Logic[None]:
        if delete_source:
            yield call(src._backend.delete, src.path, False)
        report.copied.append(src.fullpath)
        report.bytes_copied += sent
        counter.done += 1
        yield from _final_progress(options, report, src, sent, size, counter)

    if delete_source or options.progress is not None:
        yield Shielded(finish())  # these steps may wait: a cancellation must not cut them
    else:
        yield from finish()


def _final_progress(
    options: TransferOptions,
    report: TransferReport[N],
    src: AnyNode,
    done: int,
    total: int | None,
    counter: _Counter,
    skipped: bool = False,
) -> Logic[None]:
    """The last progress event of a file: its errors are recorded, never raised."""
    try:
        yield from _progress(options, src, done, total, counter, skipped)
    except Exception as exc:
        report.callback_errors.append((src.fullpath, exc))


def _progress(
    options: TransferOptions,
    src: AnyNode,
    done: int,
    total: int | None,
    counter: _Counter,
    skipped: bool = False,
) -> Logic[None]:
    if options.progress is not None:
        event = Progress(src.fullpath, done, total, counter.done, counter.total, skipped)
        yield call(options.progress, event)
