"""The genro-storage 0.x names of ``AsyncStorageNode`` (a mixin): the same faces as the
sync node's ``NodeCompat``, awaited where they do I/O, over the same shared logic
(``genro_storage._shared.compat``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from .._shared import compat
from .._shared.operations import info_or_none
from .._shared.sansio import drive_async
from .._shared.skip import SkipStrategy
from .backends.base import AsyncStorageBackend

if TYPE_CHECKING:
    from ..node import StorageNode
    from .node import AsyncStorageNode

__all__ = ["AsyncNodeCompat"]


class AsyncNodeCompat(compat.PathAliases[AsyncStorageBackend]):
    """0.x aliases and features of the async node (see docs/migration.md)."""

    __slots__ = ()

    def _node(self) -> AsyncStorageNode:
        return cast("AsyncStorageNode", self)

    # -- facts as methods (0.7+) -------------------------------------------------------
    async def is_file(self) -> bool:
        """0.x (0.7+) alias of ``isfile()``."""
        return await self._node().isfile()

    async def is_dir(self) -> bool:
        """0.x (0.7+) alias of ``isdir()``."""
        return await self._node().isdir()

    async def ext_attributes(self) -> tuple[float | None, int | None, bool]:
        """0.x: ``(mtime, size, isdir)`` in one call (``info()`` is the modern form);
        ``(None, None, False)`` when nothing is there."""
        found = await drive_async(info_or_none(self))
        return compat.ext_attributes(found)

    async def resolved_path(self) -> str | None:
        """0.x: the file's path on local disk, ``None`` elsewhere (the modern form is
        ``local_path()`` of the sync node, which works on every mount)."""
        return compat.resolved_path(self, await self._backend.local_path(self._path))

    # -- content -----------------------------------------------------------------------
    async def read(self, mode: str = "r", encoding: str = "utf-8") -> str | bytes:
        """0.x (0.4+): ``read_text(encoding)`` for ``mode='r'``, ``read_bytes()`` for
        ``'rb'``."""
        if compat.check_read_mode(mode) == "rb":
            return await self._node().read_bytes()
        return await self._node().read_text(encoding)

    async def write(
        self,
        data: str | bytes,
        mode: str = "w",
        encoding: str = "utf-8",
        skip_if_unchanged: bool = False,
    ) -> AsyncStorageNode | None:
        """0.x (0.4+): ``write_text`` for ``mode='w'`` (``data`` a str), ``write_bytes``
        for ``'wb'``. Returns the node holding the data (truthy, as 0.x's ``True``), or
        ``None`` when ``skip_if_unchanged`` found the same bytes there already."""
        raw = compat.check_write_args(data, mode)
        payload = raw if raw is not None else cast(str, data).encode(encoding)
        logic = compat.write_unless_unchanged(self._node(), payload, skip_if_unchanged)
        return await drive_async(logic)

    async def internal_url(self, nocache: bool = False) -> str | None:
        """0.x: ``url()``, plus ``?mtime=...`` with ``nocache`` so caches see a change."""
        return await drive_async(compat.internal_url(self, nocache))

    # -- transfers ---------------------------------------------------------------------
    async def copy_to(
        self,
        dest: AsyncStorageNode | str,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        filter: Callable[[AsyncStorageNode, str], Any] | None = None,  # noqa: A002 - 0.x's name
        skip: SkipStrategy | str = "never",
        skip_fn: Callable[[AsyncStorageNode, AsyncStorageNode], Awaitable[bool]]
        | Callable[[StorageNode, StorageNode], bool]
        | None = None,
        progress: Callable[[int, int], Any] | None = None,
        on_file: Callable[[AsyncStorageNode], Any] | None = None,
        on_skip: Callable[[AsyncStorageNode, str], Any] | None = None,
    ) -> AsyncStorageNode:
        """0.x (0.4+) alias of ``copy``; returns the destination node
        (``(await copy(...)).destination``). ``skip='custom'`` with ``skip_fn`` is
        ``skip_if=skip_fn``; ``progress(current, total)`` is called once per file."""
        report = await self._node().copy(
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

    async def move_to(self, dest: AsyncStorageNode | str) -> AsyncStorageNode:
        """0.x (0.4+) alias of ``move``; returns the destination node
        (``(await move(dest)).destination``). This node is not changed."""
        return (await self._node().move(dest)).destination

    # -- versions ----------------------------------------------------------------------
    async def version_count(self) -> int:
        """0.x: ``len(versions())``; 0 where the store keeps no versions of the file."""
        return await drive_async(compat.version_count(self))

    async def delete_version(self, version_id: str) -> None:
        """Remove one stored version for good (versioned stores, delete permission).
        Removing the newest one makes the version before it the current content."""
        await drive_async(compat.delete_version(self, version_id))

    async def compact_versions(self, keep: int | None = None, dry_run: bool = False) -> int:
        """Remove old versions; returns how many were (``dry_run``: would be) removed.
        ``keep=N`` keeps the N newest; without it, 0.x's rule: a version whose content
        equals the one just before it goes."""
        return await drive_async(compat.compact_versions(self, keep, dry_run))
