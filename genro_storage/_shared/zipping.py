"""``node.zip()``: a ZIP archive of a file, a tree or a virtual node, written once as
logic (see ``sansio``) for both APIs.

``zipfile`` writes into a sink that only collects bytes; after each chunk of a source
the logic drains the sink into the destination (a ``bytes`` buffer, or a node's
streaming writer). The sink cannot seek, so entries carry data descriptors (sizes after
the data), which every unzip reads. Memory holds about one chunk (``ZIP_CHUNK``) besides
the destination writer's own buffer, whatever the size of the tree. The destination
is published only when the whole archive was written.

Entry names are the paths relative to the zipped folder (a file's own name for a file,
each source's name for an ``iternode``). A name that an unzip tool could read as a
path outside its folder is refused before anything is written: see ``check_entry_name``.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from typing import Any

from .config import require
from .exceptions import StorageError
from .info import FileInfo
from .operations import N, WriteHandle, walk
from .paths import relative_to, stem, suffix
from .sansio import Logic, call
from .virtual import Concatenation

#: Bytes read from a source at a time: with the compressed piece it becomes, about what
#: the archive adds to memory (the destination's writer holds its own upload parts).
ZIP_CHUNK = 1024 * 1024

#: A drive letter (``C:``) at the start of a name: a path outside the folder on Windows.
_DRIVE = re.compile(r"^[A-Za-z]:")

Emit = Callable[[bytes], Logic[Any]]


def check_entry_name(name: str) -> str:
    """``name`` if it is a safe archive entry, else ``StorageError``.

    Safe means a relative path of non-empty segments, none ``.`` or ``..``, with no
    backslash (a separator for Windows tools: ``a\\..\\..\\x`` would climb), no NUL
    (``zipfile`` cuts the name there) and no drive letter in front. Such names are
    legal on POSIX stores and object stores; they are refused rather than rewritten,
    so that an archive never holds a name different from the file's.
    """
    segments = name.split("/")
    if (
        not name
        or any(seg in ("", ".", "..") for seg in segments)
        or "\\" in name
        or "\x00" in name
        or _DRIVE.match(name)
    ):
        raise StorageError(
            f"Cannot zip an entry named {name!r}: unzip tools could read it as a path "
            "outside the archive's folder (rename it, or zip a folder without it)"
        )
    return name


class _Sink:
    """What ``zipfile`` writes into: collects bytes until the logic drains them."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _date_time(mtime: float | None) -> tuple[int, int, int, int, int, int]:
    """A ZIP timestamp (local time, 1980 at the earliest, as the format needs)."""
    stamp = time.localtime(mtime if mtime is not None else time.time())
    if stamp.tm_year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name-2.ext``, ``name-3.ext``... when an entry already has it."""
    if name not in used:
        return name
    n = 2
    while (candidate := f"{stem(name)}-{n}{suffix(name)}") in used:
        n += 1
    return candidate


def entries(src: N) -> Logic[list[tuple[str, N, FileInfo]]]:
    """The archive's entries ``(name, node, facts)``, every name checked, before any
    byte is read or written."""
    content = getattr(src._backend, "content", None)
    if isinstance(content, Concatenation):
        out: list[tuple[str, N, FileInfo]] = []
        used: set[str] = set()
        for node in list(content.nodes):
            found = yield call(node._backend.info, node.path)
            if found.isdir:
                raise StorageError(f"Cannot zip '{node.fullpath}' from an iternode: a folder")
            name = _unique(check_entry_name(node.basename or "data"), used)
            used.add(name)
            out.append((name, node, found))
        return out
    found = yield call(src._backend.info, src.path)
    if not found.isdir:
        return [(check_entry_name(src.basename or "data"), src, found)]
    tree = yield from walk(src)
    for entry, why in tree.odd:
        raise StorageError(f"Cannot zip '{src.fullpath}': '{src.mount}:{entry.path}' {why}")
    return [
        (check_entry_name(relative_to(f.path, src.path)), src._at(f.path), f) for f in tree.files
    ]


def write_archive(
    items: list[tuple[str, N, FileInfo]], emit: Emit, chunk_size: int = ZIP_CHUNK
) -> Logic[None]:
    """Stream the archive of ``items`` (see ``entries``) into ``emit``, a logic taking
    each piece of the archive."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED)  # type: ignore[call-overload]
    for name, node, found in items:
        zinfo = zipfile.ZipInfo(name, _date_time(found.mtime))
        zinfo.compress_type = zipfile.ZIP_DEFLATED
        zinfo.external_attr = 0o644 << 16
        if found.size is not None:
            zinfo.file_size = found.size  # decides zip64 up front
        reader = yield call(node._backend.open_read, node.path)
        try:
            with archive.open(zinfo, "w", force_zip64=found.size is None) as member:
                while chunk := (yield call(reader.read, chunk_size)):
                    member.write(chunk)
                    yield from emit(sink.drain())
        finally:
            yield call(reader.close)
        yield from emit(sink.drain())
    archive.close()
    yield from emit(sink.drain())


def zip_bytes(src: N) -> Logic[bytes]:
    """The archive as bytes (0.x ``zip()``)."""
    buffer = io.BytesIO()

    def emit(data: bytes) -> Logic[None]:
        buffer.write(data)
        return
        yield

    yield from write_archive((yield from entries(src)), emit)
    return buffer.getvalue()


def zip_into(src: N, dst: N) -> Logic[N]:
    """Stream the archive into ``dst``; published whole or not at all. Returns the node
    holding it (a new node on a base64 mount)."""
    require(dst.config, "write", f"write '{dst.fullpath}'")
    items = yield from entries(src)
    handle = WriteHandle(dst, (yield call(dst._backend.open_write, dst.path)))

    def emit(data: bytes) -> Logic[None]:
        if data:
            yield from handle.g_write(data)

    try:
        yield from write_archive(items, emit)
    except BaseException:
        yield from handle.g_abort()
        raise
    landed: N = yield from handle.g_close()
    return landed
