"""Virtual nodes: ``storage.iternode(*nodes)`` (the nodes' contents one after the
other) and ``storage.diffnode(a, b)`` (a unified diff of two text files).

A virtual node is an ordinary node of its API on a backend of its own, a read-only
one-file store whose content is computed by the logic here. So every reader of nodes
(``read_bytes``, ``open``, ``copy``/``move`` as a source, ``zip``, ``call``) takes it
without knowing it is virtual, and every write is refused by the mount's ``readonly``
permissions. The content logic is written once (see ``sansio``); each API's backend
gives it its face (``backends.streams.SyncReader``/``AsyncReader``).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable
from typing import Any

from .capabilities import Capabilities
from .config import MountConfig
from .exceptions import (
    StorageConfigError,
    is_a_directory,
    not_a_directory,
    not_found,
    read_only,
)
from .identity import Location, segments
from .info import FileInfo
from .operations import CHUNK_SIZE
from .sansio import Logic, call

#: What a virtual store can do: read, nothing else.
VIRTUAL = Capabilities(
    write=False,
    delete=False,
    mkdir=False,
    real_directories=False,
    server_side_copy=False,
    range_reads=False,
)

_ids = itertools.count(1)


class VirtualContent:
    """What a virtual node holds: its source nodes and how to read them."""

    kind = "virtual"

    def __init__(self, node_type: type[Any], nodes: tuple[Any, ...]) -> None:
        self.node_type = node_type  # the API's node class: sources must be of it
        self.nodes: list[Any] = []
        self.number = next(_ids)
        self.add(nodes)

    @property
    def mount(self) -> str:
        """The node's mount name, unique per virtual node (``iternode-3``)."""
        return f"{self.kind}-{self.number}"

    @property
    def path(self) -> str:
        """The node's path (its basename is the name used by ``zip``)."""
        return ""

    def add(self, nodes: tuple[Any, ...]) -> None:
        """Check and append ``nodes`` (nodes of the same API; no cycle)."""
        for i, node in enumerate(nodes):
            if not isinstance(node, self.node_type):
                raise TypeError(
                    f"{self.kind} takes {self.node_type.__name__} objects; argument {i} "
                    f"is {type(node).__name__}"
                )
            if self in _contents_below(node):
                raise StorageConfigError(f"{self.kind}: a virtual node cannot contain itself")
        self.nodes.extend(nodes)

    def reader(self) -> Any:
        """A reader logic over the current sources (``_g_read``/``_g_close``)."""
        raise NotImplementedError

    def g_size(self) -> Logic[int | None]:
        """The content's size, found without reading it where possible."""
        raise NotImplementedError


def extended(node_type: type[Any], nodes: tuple[Any, ...]) -> tuple[Any, ...]:
    """The sources of ``extend(a, b)`` or ``extend([a, b])``: a single argument that is
    not a node must be an iterable of nodes (a ``str`` is not one: ``'m:a'`` is a
    spec, not three sources); anything else is a ``TypeError`` naming the argument."""
    if len(nodes) != 1 or isinstance(nodes[0], node_type):
        return nodes
    given = nodes[0]
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise TypeError(
            f"extend() takes {node_type.__name__} objects or one iterable of them,"
            f" not {type(given).__name__}"
        )
    return tuple(given)


def _contents_below(node: Any) -> list[VirtualContent]:
    """Every virtual content ``node`` reads from, itself included (cycle check)."""
    backend = getattr(node, "_backend", None)
    content = getattr(backend, "content", None)
    if not isinstance(content, VirtualContent):
        return []
    found = [content]
    for source in content.nodes:
        found.extend(_contents_below(source))
    return found


class Concatenation(VirtualContent):
    """``iternode``: the sources' bytes one after the other, read lazily."""

    kind = "iternode"

    def reader(self) -> ConcatReader:
        return ConcatReader(list(self.nodes), self.mount)

    def g_size(self) -> Logic[int | None]:
        """The sum of the sources' sizes (a missing source raises, as a read would)."""
        total: int | None = 0
        for node in list(self.nodes):
            found = yield call(node._backend.info, node.path)
            if found.isdir:
                raise is_a_directory(node.fullpath)
            total = None if total is None or found.size is None else total + found.size
        return total


class ConcatReader:
    """Reads each source in turn; memory holds one chunk at a time."""

    def __init__(self, nodes: list[Any], where: str) -> None:
        self._nodes = nodes  # a snapshot: appending later does not change an open read
        self._next = 0
        self._reader: Any = None
        self._where_name = where
        self._closed = False

    def _where(self) -> str:
        return f"{self._where_name}:"

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        if self._closed:
            raise ValueError("read from a closed file")
        whole = size is None or size < 0
        out = bytearray()
        while whole or not out:
            if self._reader is None:
                if self._next >= len(self._nodes):
                    break
                node = self._nodes[self._next]
                self._next += 1
                self._reader = yield call(node._backend.open_read, node.path)
            chunk = yield call(self._reader.read, CHUNK_SIZE if whole else size)
            if not chunk:
                reader, self._reader = self._reader, None
                yield call(reader.close)
                continue
            out += chunk
        return bytes(out)

    def _g_close(self) -> Logic[None]:
        self._closed = True
        reader, self._reader = self._reader, None
        if reader is not None:
            yield call(reader.close)


class Difference(VirtualContent):
    """``diffnode``: a unified diff of two UTF-8 text files (``a`` old, ``b`` new)."""

    kind = "diffnode"

    def __init__(self, node_type: type[Any], a: Any, b: Any) -> None:
        super().__init__(node_type, (a, b))

    @property
    def path(self) -> str:
        return f"{self.nodes[0].basename or 'data'}.diff"

    def reader(self) -> DiffReader:
        return DiffReader(self.nodes[0], self.nodes[1], self.mount)

    def g_size(self) -> Logic[int | None]:
        """The diff's length (both texts are read: a diff is known only once made)."""
        reader = self.reader()
        return len((yield from reader._g_read(-1)))


class DiffReader:
    """Computes the diff at the first read (both files are read whole: text files)."""

    def __init__(self, a: Any, b: Any, where: str) -> None:
        self._a, self._b = a, b
        self._data: bytes | None = None
        self._pos = 0
        self._where_name = where

    def _where(self) -> str:
        return f"{self._where_name}:"

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        if self._data is None:
            old = yield from _text(self._a)
            new = yield from _text(self._b)
            self._data = unified_diff(old, new, self._a.fullpath, self._b.fullpath).encode()
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk

    def _g_close(self) -> Logic[None]:
        self._data = b""
        return
        yield  # a generator, like every reader logic


def _text(node: Any) -> Logic[str]:
    data: bytes = yield call(node._backend.read_bytes, node.path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StorageConfigError(
            f"diffnode compares text: '{node.fullpath}' is not UTF-8 text"
        ) from None


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """``diff -u`` of two texts; a last line without newline is marked as ``diff`` does."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    out = []
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


class VirtualStore:
    """The no-I/O part both APIs' virtual backends share: one read-only file."""

    type_name = "virtual"
    capabilities = VIRTUAL
    content: VirtualContent
    config: MountConfig
    mount: str

    def _setup(self, content: VirtualContent) -> None:
        self.content = content
        self.config = MountConfig(name=content.mount, type="virtual", permissions="readonly")
        self.mount = content.mount

    def normalize_path(self, *parts: str) -> str:
        from .paths import normalize

        return normalize(*parts)

    def where(self, path: str) -> str:
        return f"{self.mount}:{path}"

    def location(self, path: str) -> Location:
        return Location(("virtual", id(self.content)), segments(path))

    def _check(self, path: str) -> None:
        if path != self.content.path:
            raise not_found(self.where(path))

    def _g_info(self, path: str) -> Logic[FileInfo]:
        """A file whose size is its sources' (so copies check it and servers send it)."""
        self._check(path)
        size = yield from self.content.g_size()
        return FileInfo(path, "file", size=size)

    def _refuse(self, action: str) -> Exception:
        return read_only(self.mount, action)

    def _not_a_folder(self, path: str) -> Exception:
        if path != self.content.path:
            return not_found(self.where(path))
        return not_a_directory(self.where(path))

    def same_store(self, other: Any) -> bool:
        return False

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        return None
