"""Copy and move of files and trees, written once as logic generators (see ``sansio``)
for both APIs: physical-identity checks, skip strategies, include/exclude, progress,
bounded concurrency, cleanup on failure or cancellation, and exact moves."""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Generic

from .config import require
from .exceptions import (
    StorageConfigError,
    StorageError,
    is_a_directory,
)
from .info import FileInfo
from .operations import (
    CHUNK_SIZE,
    AnyNode,
    N,
    WriteHandle,
    info_or_none,
    md5hash,
    walk,
    write_bytes,
)
from .paths import literal_join, relative_to
from .progressbar import TqdmBar
from .sansio import Logic, Parallel, Shielded, call, callback
from .skip import SkipIf, check_strategy, should_skip, skip_reason

ON_ERROR = ("stop", "continue")


@dataclass(frozen=True)
class Progress:
    """One progress event: bytes within the current file; files and bytes across the
    whole transfer. The ``tree_`` totals are known before the first file starts (from
    the walk the transfer makes anyway), so a bar over a whole tree needs no
    bookkeeping: ``bar.update(event.tree_bytes_done - bar.n)``."""

    path: str
    bytes_done: int
    bytes_total: int | None
    files_done: int
    files_total: int
    skipped: bool = False
    #: Bytes of the transfer so far: chunks sent, files copied or moved by the store, and
    #: the sizes of skipped files (so that it ends at ``tree_bytes_total`` when all went).
    tree_bytes_done: int = 0
    #: Bytes of every file the transfer selected (after include/exclude), ``None`` when
    #: the store did not give every size.
    tree_bytes_total: int | None = None


@dataclass
class TransferReport(Generic[N]):
    """What a copy or move did. ``failed`` is filled only with ``on_error='continue'``.

    ``destination`` is the node that holds the result: the destination you gave, or for a
    file written to a base64 mount the new node carrying the data (nodes never change).
    ``callback_errors`` lists ``(source, error)`` for callbacks that raised where they
    cannot fail the transfer: a file's last progress event, ``on_file`` (its file has
    landed) and ``on_skip``. Such an error never fails a file that has landed.
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
    #: ``filter(node, relpath) -> bool``: which files of a tree to transfer.
    filter: Callable[[Any, str], Any] | None = None
    #: ``on_file(src)``: after each file has landed.
    on_file: Callable[[Any], Any] | None = None
    #: ``on_skip(src, reason)``: for each file skipped or filtered out.
    on_skip: Callable[[Any, str], Any] | None = None
    #: ``progress=True``: draw a ``tqdm.auto`` bar over the transfer's bytes.
    bar: bool = False

    @classmethod
    def make(
        cls,
        skip_if: SkipIf = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        progress: Callable[[Progress], Any] | bool | None = None,
        concurrency: int = 8,
        on_error: str = "stop",
        chunk_size: int = CHUNK_SIZE,
        *,
        filter: Callable[[Any, str], Any] | None = None,  # noqa: A002 - 0.x's name
        on_file: Callable[[Any], Any] | None = None,
        on_skip: Callable[[Any, str], Any] | None = None,
    ) -> TransferOptions:
        """Check the user's options (``StorageConfigError`` naming the bad one) and
        normalise the patterns to tuples and the skip strategy to its name. ``progress``:
        a callable, ``True`` for a ``tqdm.auto`` bar, or ``None``/``False``."""
        skip_if = check_strategy(skip_if)
        if on_error not in ON_ERROR:
            raise StorageConfigError(f"on_error must be 'stop' or 'continue', not {on_error!r}")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise StorageConfigError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        bar = progress is True
        if isinstance(progress, bool):
            progress = None
        elif progress is not None and not callable(progress):
            raise StorageConfigError(
                f"progress must be a callable, True or False, not {type(progress).__name__}"
            )
        for name, fn in (("filter", filter), ("on_file", on_file), ("on_skip", on_skip)):
            if fn is not None and not callable(fn):
                raise StorageConfigError(f"{name} must be a callable, not {type(fn).__name__}")
        return cls(
            skip_if, _patterns(include), _patterns(exclude), progress, concurrency, on_error,
            chunk_size, filter, on_file, on_skip, bar,
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


# -- copy and move -----------------------------------------------------------------


class _Counter:
    """Shared file and byte counts of one transfer, for progress events."""

    def __init__(self, total: int, tree: bool, total_bytes: int | None) -> None:
        self.total = total
        self.tree = tree
        self.done = 0
        self.total_bytes = total_bytes
        self.bytes_done = 0


def _bytes_of(entries: list[FileInfo]) -> int | None:
    """The bytes of ``entries``, or ``None`` if a size is unknown."""
    sizes = [entry.size for entry in entries]
    return None if None in sizes else sum(size or 0 for size in sizes)


def transfer(
    src: N, dst: N, options: TransferOptions, move: bool = False
) -> Logic[TransferReport[N]]:
    """Copy (or move) ``src`` to exactly ``dst``: a file to a file, a tree to a tree.

    With ``options.bar`` a ``tqdm.auto`` bar follows the bytes of the whole transfer; it
    is closed on every way out (success, failure, cancellation)."""
    bar = TqdmBar() if options.bar else None
    if bar is not None:
        options = replace(options, progress=bar)
    try:
        return (yield from _transfer(src, dst, options, move, bar))
    finally:
        if bar is not None:
            bar.close()


def _transfer(
    src: N, dst: N, options: TransferOptions, move: bool, bar: TqdmBar | None
) -> Logic[TransferReport[N]]:
    verb = "move" if move else "copy"
    require(dst.config, "write", f"{verb} into '{dst.fullpath}'")
    if move:
        require(src.config, "delete", f"move '{src.fullpath}' away")
        if src._backend.is_root(src.path):
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
        # A store that makes no folders (base64: its root is where new data goes, as
        # for write_bytes) has no folder that a file could be written over.
        if dst_info is not None and dst_info.isdir and dst._backend.capabilities.mkdir:
            raise is_a_directory(dst.fullpath)
        counter = _Counter(1, tree=False, total_bytes=src_info.size)
        if bar is not None:
            bar.open(f"{verb} {src.name or src.fullpath}", counter.total_bytes)
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
    chosen = yield from _chosen(src, tree.files, options, report)
    if dst._backend.capabilities.real_directories:
        yield call(dst._backend.mkdir, dst.path, True, True)
        for folder in tree.dirs:
            target = literal_join(dst.path, relative_to(folder.path, src.path))
            yield call(dst._backend.mkdir, target, True, True)
    counter = _Counter(len(chosen), tree=True, total_bytes=_bytes_of(chosen))
    if bar is not None:
        bar.open(f"{verb} {src.name or src.fullpath}", counter.total_bytes)
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


def _chosen(
    src: AnyNode, files: list[FileInfo], options: TransferOptions, report: TransferReport[N]
) -> Logic[list[FileInfo]]:
    """The files of a tree to transfer: include/exclude, then ``filter(node, relpath)``.
    All of it runs before anything is written, so a filter that raises fails the call
    with nothing changed. ``on_skip`` hears of each file left out, with the reason."""
    chosen: list[FileInfo] = []
    for f in files:
        rel = relative_to(f.path, src.path)
        reason = None if options.selects(rel) else "not selected by include/exclude"
        if reason is None and options.filter is not None:
            keep = yield call(options.filter, src._at(f.path), rel)
            reason = None if keep else "filtered out by filter()"
        if reason is None:
            chosen.append(f)
        elif options.on_skip is not None:
            yield from _notify(report, src._at(f.path), options.on_skip, reason)
    return chosen


def _notify(
    report: TransferReport[N], src: AnyNode, fn: Callable[..., Any], *extra: Any
) -> Logic[None]:
    """Call ``fn(src, *extra)`` on the loop; its error is recorded in the report, never
    raised (these callbacks report on work that is done or decided)."""
    try:
        yield call(fn, src, *extra)
    except Exception as exc:
        report.callback_errors.append((src.fullpath, exc))


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
            counter.bytes_done += size or 0
            if options.on_skip is not None:
                yield from _notify(report, src, options.on_skip, skip_reason(options.skip_if))
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
        counter.bytes_done += size or 0
        yield from _after_commit(src, size or 0, size, options, report, counter, False)
        return dst
    target = dst
    if src._backend.same_store(dst._backend):
        yield call(src._backend.server_copy, src.path, dst._backend, dst.path)
        sent = size or 0
        counter.bytes_done += sent
    elif size is not None and size <= options.chunk_size:
        # A file of one chunk: read whole, written whole (two calls instead of an open,
        # reads, a close and a streamed upload); still nothing visible before the write.
        data = yield call(src._backend.read_bytes, src.path)
        sent = len(data)
        _check_complete(src, sent, size)
        counter.bytes_done += sent
        yield from _progress(options, src, sent, size, counter)
        target = yield from write_bytes(dst, data)
    else:
        sent = 0
        reader = yield call(src._backend.open_read, src.path)
        try:
            handle = WriteHandle(dst, (yield call(dst._backend.open_write, dst.path)))
            try:
                while chunk := (yield call(reader.read, options.chunk_size)):
                    yield from handle.g_write(chunk)
                    sent += len(chunk)
                    counter.bytes_done += len(chunk)
                    yield from _progress(options, src, sent, size, counter)
                _check_complete(src, sent, size)
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


def _check_complete(src: AnyNode, sent: int, size: int | None) -> None:
    """A source that gave fewer or more bytes than its listed size fails the copy
    (before the commit: nothing lands)."""
    if size is not None and sent != size:
        raise StorageError(
            f"Copy of '{src.fullpath}' is incomplete: {sent} of {size} bytes arrived"
        )


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
        if options.on_file is not None:
            yield from _notify(report, src, options.on_file)
        yield from _final_progress(options, report, src, sent, size, counter)

    if delete_source or options.progress is not None or options.on_file is not None:
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
        event = Progress(
            src.fullpath, done, total, counter.done, counter.total, skipped,
            tree_bytes_done=counter.bytes_done, tree_bytes_total=counter.total_bytes,
        )  # fmt: skip
        yield call(options.progress, event)
