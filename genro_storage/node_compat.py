"""The genro-storage 0.x names of ``StorageNode`` (a mixin): each is a thin face over
``genro_storage._shared.compat`` or over the modern method its docstring names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from ._shared import compat
from ._shared.operations import info_or_none
from ._shared.sansio import drive_sync
from ._shared.skip import SkipStrategy
from .backends.base import StorageBackend

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["NodeCompat"]


class NodeCompat(compat.PathAliases[StorageBackend]):
    """0.x aliases and features of the sync node (see docs/migration.md)."""

    __slots__ = ()

    def _node(self) -> StorageNode:
        return cast("StorageNode", self)

    # -- facts as methods (0.7+) -------------------------------------------------------
    def is_file(self) -> bool:
        """0.x (0.7+) alias of the ``isfile`` property."""
        return self._node().isfile

    def is_dir(self) -> bool:
        """0.x (0.7+) alias of the ``isdir`` property."""
        return self._node().isdir

    @property
    def ext_attributes(self) -> tuple[float | None, int | None, bool]:
        """0.x: ``(mtime, size, isdir)`` in one call (``info()`` is the modern form);
        ``(None, None, False)`` when nothing is there."""
        found = drive_sync(info_or_none(self))
        return compat.ext_attributes(found)

    @property
    def resolved_path(self) -> str | None:
        """0.x: the file's path on local disk, ``None`` elsewhere (the modern form is
        ``with node.local_path() as p:``, which works on every mount)."""
        return compat.resolved_path(self, self._backend.local_path(self._path))

    # -- content -----------------------------------------------------------------------
    def read(self, mode: str = "r", encoding: str = "utf-8") -> str | bytes:
        """0.x (0.4+): ``read_text(encoding)`` for ``mode='r'``, ``read_bytes()`` for
        ``'rb'``."""
        if compat.check_read_mode(mode) == "rb":
            return self._node().read_bytes()
        return self._node().read_text(encoding)

    def write(
        self,
        data: str | bytes,
        mode: str = "w",
        encoding: str = "utf-8",
        skip_if_unchanged: bool = False,
    ) -> StorageNode | None:
        """0.x (0.4+): ``write_text`` for ``mode='w'`` (``data`` a str), ``write_bytes``
        for ``'wb'``. Returns the node holding the data (truthy, as 0.x's ``True``), or
        ``None`` when ``skip_if_unchanged`` found the same bytes there already."""
        raw = compat.check_write_args(data, mode)
        payload = raw if raw is not None else cast(str, data).encode(encoding)
        return drive_sync(compat.write_unless_unchanged(self._node(), payload, skip_if_unchanged))

    def internal_url(self, nocache: bool = False) -> str | None:
        """0.x: ``url()``, plus ``?mtime=...`` with ``nocache`` so caches see a change."""
        return drive_sync(compat.internal_url(self, nocache))

    # -- transfers ---------------------------------------------------------------------
    def copy_to(
        self,
        dest: StorageNode | str,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        filter: Callable[[StorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        skip: SkipStrategy | str = "never",
        skip_fn: Callable[[StorageNode, StorageNode], bool] | None = None,
        progress: Callable[[int, int], Any] | None = None,
        on_file: Callable[[StorageNode], Any] | None = None,
        on_skip: Callable[[StorageNode, str], Any] | None = None,
    ) -> StorageNode:
        """0.x (0.4+) alias of ``copy``; returns the destination node
        (``copy(...).destination``). ``skip='custom'`` with ``skip_fn`` is
        ``skip_if=skip_fn``; ``progress(current, total)`` is called once per file."""
        report = self._node().copy(
            dest,
            skip_if=compat.copy_to_skip(skip, skip_fn),
            include=include,
            exclude=exclude,
            progress=None if progress is None else compat.FilesProgress(progress),
            filter=filter,
            on_file=on_file,
            on_skip=on_skip,
        )
        return report.destination

    def move_to(self, dest: StorageNode | str) -> StorageNode:
        """0.x (0.4+) alias of ``move``; returns the destination node
        (``move(dest).destination``). This node is not changed: nodes never change."""
        return self._node().move(dest).destination

    # -- versions ----------------------------------------------------------------------
    @property
    def version_count(self) -> int:
        """0.x: ``len(versions())``; 0 where the store keeps no versions of the file."""
        return drive_sync(compat.version_count(self))

    def delete_version(self, version_id: str) -> None:
        """Remove one stored version for good (versioned stores, delete permission).
        Removing the newest one makes the version before it the current content."""
        drive_sync(compat.delete_version(self, version_id))

    def compact_versions(self, keep: int | None = None, dry_run: bool = False) -> int:
        """Remove old versions; returns how many were (``dry_run``: would be) removed.
        ``keep=N`` keeps the N newest; without it, 0.x's rule: a version whose content
        equals the one just before it goes."""
        return drive_sync(compat.compact_versions(self, keep, dry_run))
