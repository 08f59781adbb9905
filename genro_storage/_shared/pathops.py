"""The ``pathlib`` vocabulary of both node classes, written once.

``PurePathMixin`` holds the members that do no I/O (``str(node)``, ordering, ``parts``,
``suffixes``, ``with_name``/``with_stem``/``with_suffix``, ``relative_to``, ``match``);
the file operations (``touch``, ``rename``, ``unlink``, ``rmdir``) are logic generators
(see ``sansio``) that the sync and async mixins drive. Tree walking is ``globbing``.

Names are data: ``with_name``/``with_stem``/``with_suffix`` join the new name literally
(one segment, never a path expression: ``'a/b'``, ``'..'`` or ``''`` are refused), so
``..x`` or ``a\\b`` stay the names they are.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

from . import paths
from .config import require
from .exceptions import (
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    already_exists,
    is_a_directory,
    not_a_directory,
    not_found,
    read_only,
)
from .globbing import parse
from .nodecore import B, NodeCore
from .operations import AnyNode, WriteHandle, info_or_none
from .sansio import Logic, blocking, call
from .transfer import TransferOptions, transfer

if TYPE_CHECKING:
    from typing_extensions import Self

N = TypeVar("N", bound=NodeCore[Any])


class PurePathMixin(NodeCore[B]):
    """The no-I/O ``pathlib`` members, the same on both node classes."""

    __slots__ = ()

    def __str__(self) -> str:
        """``'mount:path'``, what ``storage.node()`` accepts back (the ``fullpath``)."""
        return self.fullpath

    def _order(self, other: object) -> tuple[str, str] | None:
        if not isinstance(other, NodeCore) or type(other) is not type(self):
            return None
        return self.fullpath, other.fullpath

    def __lt__(self, other: object) -> bool:
        pair = self._order(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._order(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._order(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._order(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]

    @property
    def parts(self) -> tuple[str, ...]:
        """The path's segments inside the mount (``()`` for the mount's root)."""
        return tuple(self._path.split("/")) if self._path else ()

    @property
    def suffixes(self) -> list[str]:
        """Every suffix of the name, dots included (``['.tar', '.gz']``); the last one
        is ``suffix``."""
        out: list[str] = []
        name = self.name
        while last := paths.suffix(name):
            out.insert(0, last)
            name = name[: -len(last)]
        return out

    def with_name(self, name: str) -> Self:
        """The sibling called exactly ``name`` (one segment, taken literally)."""
        if not self._path:
            raise StorageConfigError(f"'{self.fullpath}' is a mount's root: it has no name")
        if not isinstance(name, str):
            raise StorageConfigError(f"with_name() needs a string, not {type(name).__name__}")
        return self._at(paths.child_path(paths.parent(self._path), name))

    def with_stem(self, stem: str) -> Self:
        """The sibling with the same suffix and ``stem`` before it."""
        if not isinstance(stem, str):
            raise StorageConfigError(f"with_stem() needs a string, not {type(stem).__name__}")
        if not stem:
            raise StorageConfigError(f"with_stem() needs a non-empty stem for '{self.fullpath}'")
        return self.with_name(stem + self.suffix)

    def with_suffix(self, suffix: str) -> Self:
        """The sibling with its last suffix replaced by ``suffix`` (``'.csv'``; ``''``
        removes it)."""
        if not isinstance(suffix, str):
            raise StorageConfigError(f"with_suffix() needs a string, not {type(suffix).__name__}")
        if suffix and (
            not suffix.startswith(".") or suffix == "." or "/" in suffix or "\x00" in suffix
        ):
            raise StorageConfigError(f"Invalid suffix {suffix!r}: it must start with '.'")
        if not self._path:
            raise StorageConfigError(f"'{self.fullpath}' is a mount's root: it has no name")
        return self.with_name(self.stem + suffix)

    def relative_to(self, other: NodeCore[Any] | str) -> str:
        """This node's path below ``other`` (a node or ``'mount:path'`` on the same
        mount): ``'a/b.txt'``, or ``'.'`` for the node itself."""
        if isinstance(other, str):
            mount, path, _ = self._manager._locate(other, ())
        elif isinstance(other, NodeCore):
            mount, path = other.mount, other.path
        else:
            raise StorageConfigError(
                f"relative_to() needs a node or 'mount:path', not {type(other).__name__}"
            )
        if mount != self._mount:
            raise StorageConfigError(f"'{self.fullpath}' is not on mount '{mount}'")
        if path == self._path:
            return "."
        if path and not self._path.startswith(f"{path}/"):
            raise StorageConfigError(f"'{self.fullpath}' is not inside '{mount}:{path}'")
        return self._path[len(path) + 1 :] if path else self._path

    def match(self, pattern: str) -> bool:
        """Whether the path matches the glob ``pattern`` (``*``, ``?``, ``[...]``, ``**``
        as in ``glob``), compared from the right: ``'*.csv'`` matches any CSV file;
        a pattern starting with ``/`` must match the whole path inside the mount."""
        if not isinstance(pattern, str):
            raise StorageConfigError(
                f"match() pattern must be a string, not {type(pattern).__name__}"
            )
        if not pattern:
            raise StorageConfigError("match() got an empty pattern")
        anchored = pattern.startswith("/")
        checked = parse(pattern.lstrip("/") if anchored else f"**/{pattern}", "match")
        positions = checked.closure({0})
        for segment in self.parts:
            positions = checked.advance(positions, segment)
            if not positions:
                return False
        return checked.size in positions


# -- file operations ----------------------------------------------------------------


def touch(node: N, exist_ok: bool) -> Logic[N]:
    """Create an empty file if nothing is there; with ``exist_ok`` an existing entry is
    left as it is (its mtime set to now where the store has a local file to set it on).
    Returns the node holding the file (a new node on a base64 mount)."""
    require(node.config, "write", f"touch '{node.fullpath}'")
    if not node.capabilities.write:  # a read-only store (HTTP without 'writable'): as
        raise read_only(node.mount, f"touch '{node.fullpath}'")  # a read-only mount
    found = yield from info_or_none(node)
    if found is not None:
        if not exist_ok:
            raise already_exists(node.fullpath)
        local = yield call(node._backend.local_path, node.path)
        if isinstance(local, str):
            yield blocking(os.utime, local)
        return node
    # Create only where nothing is (the store's conditional write, as mode 'x'): a file
    # another writer made since the look above is kept, never truncated (pathlib's
    # touch opens with O_CREAT and no O_TRUNC).
    writer = yield call(node._backend.open_write, node.path)
    handle = WriteHandle(node, writer, exclusive=True)
    try:
        made: N = yield from handle.g_close()
    except StorageExistsError:
        if not exist_ok or (yield from info_or_none(node)) is None:
            # Refused as taken, yet nothing the store shows is there (a dangling
            # symlink on a local disk): touch() must not report a file it did not make.
            raise
        return node
    return made


def rename(node: N, target: N) -> Logic[N]:
    """Move the file or folder to ``target`` on the same mount (an existing file there
    is replaced, as by POSIX ``rename``; a folder with anything in it is not). Returns
    the node that holds it now."""
    if target.mount != node.mount or target._backend is not node._backend:
        raise StorageConfigError(
            f"rename() stays inside a mount: '{node.fullpath}' cannot go to "
            f"'{target.fullpath}'; use move() to cross mounts"
        )
    require(node.config, "delete", f"rename '{node.fullpath}'")
    if target.path == node.path:
        if (yield from info_or_none(node)) is None:
            raise not_found(node.fullpath)
        return node
    found = yield call(node._backend.info, node.path)
    there = yield from info_or_none(target)
    if there is not None and there.isdir:
        if not found.isdir:
            raise is_a_directory(target.fullpath)
        page = yield call(target._backend.list, target.path, 1, None)
        if page.entries:
            raise StorageExistsError(f"Directory not empty: '{target.fullpath}'")
    report = yield from transfer(node, target, TransferOptions(), move=True)
    destination: N = report.destination
    return destination


def unlink(node: AnyNode, missing_ok: bool) -> Logic[None]:
    """Delete the file (a folder is refused: see ``rmdir``)."""
    require(node.config, "delete", f"delete '{node.fullpath}'")
    found = yield from info_or_none(node)
    if found is None:
        if missing_ok:
            return
        raise not_found(node.fullpath)
    if found.isdir:
        raise is_a_directory(node.fullpath)
    try:
        yield call(node._backend.delete, node.path, False)
    except StorageNotFoundError:
        if not missing_ok:
            raise


def rmdir(node: AnyNode) -> Logic[None]:
    """Remove the folder, only if it is empty (never recursively)."""
    require(node.config, "delete", f"remove directory '{node.fullpath}'")
    if node._backend.is_root(node.path):
        raise StorageError(f"Refusing to remove the root of mount '{node.mount}'")
    found = yield call(node._backend.info, node.path)
    if not found.isdir:
        raise not_a_directory(node.fullpath)
    page = yield call(node._backend.list, node.path, 1, None)
    if page.entries or found.has_content:
        raise StorageError(f"Directory not empty: '{node.fullpath}'")
    yield call(node._backend.delete, node.path, False)


def flag(method: str, name: str, value: object) -> bool:
    """A ``True``/``False`` argument, checked (``'no'`` is not ``False``)."""
    if not isinstance(value, bool):
        raise StorageConfigError(f"{method}() {name} must be True or False, not {value!r}")
    return value


def rename_target(node: N, target: object) -> N:
    """The node ``rename()`` goes to: a node of the same API, or ``'mount:path'``."""
    if isinstance(target, str):
        if ":" not in target:
            raise StorageConfigError(
                f"rename() target must be a node or 'mount:path', not {target!r} "
                "(node.with_name(name) gives a sibling)"
            )
        mount, path, backend = node._manager._locate(target, ())
        return type(node)(node._manager, mount, path, backend)
    if type(target) is not type(node):
        raise TypeError(
            f"rename() target must be a {type(node).__name__} or 'mount:path', "
            f"not {type(target).__name__}"
        )
    return target
