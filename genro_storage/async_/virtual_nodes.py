"""The async API's virtual nodes (``storage.iternode``/``storage.diffnode``); see
``genro_storage.virtual_nodes``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._shared.virtual import Concatenation, Difference, VirtualContent, extended
from .backends.virtual import AsyncVirtualBackend
from .node import AsyncStorageNode

if TYPE_CHECKING:
    from ..node import StorageNode
    from .manager import AsyncStorageManager


class AsyncVirtualNode(AsyncStorageNode):
    """A read-only node whose content is computed; every write raises
    ``StoragePermissionError``. Two virtual nodes are equal only if they are one."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AsyncVirtualNode):
            return NotImplemented
        return self._backend is other._backend and self._path == other._path

    def __hash__(self) -> int:
        return hash((id(self._backend), self._path))

    def _content(self) -> VirtualContent:
        return self._backend.content  # type: ignore[attr-defined, no-any-return]

    def as_sync(self) -> StorageNode:
        """The same virtual node for the sync API, over the sources' sync twins."""
        content = self._content()
        sources = [node.as_sync() for node in content.nodes]
        storage = self._manager.as_sync()
        if isinstance(content, Difference):
            return storage.diffnode(*sources)
        return storage.iternode(*sources)


class AsyncIterNode(AsyncVirtualNode):
    """``storage.iternode(...)``: its sources' contents one after the other."""

    __slots__ = ()

    def append(self, node: AsyncStorageNode) -> None:
        """Add ``node`` at the end (read lazily, like the others)."""
        self._content().add((node,))

    def extend(self, *nodes: AsyncStorageNode | Iterable[AsyncStorageNode]) -> None:
        """Add several nodes at the end: ``extend(a, b)`` or ``extend([a, b])``."""
        self._content().add(extended(AsyncStorageNode, nodes))

    @property
    def sources(self) -> list[AsyncStorageNode]:
        """The nodes concatenated, in order (a copy)."""
        return list(self._content().nodes)


class AsyncDiffNode(AsyncVirtualNode):
    """``storage.diffnode(a, b)``: the unified diff from ``a`` to ``b``."""

    __slots__ = ()


def make_node(manager: AsyncStorageManager, content: VirtualContent) -> AsyncVirtualNode:
    """The virtual node of ``content`` on its own read-only store."""
    cls = AsyncIterNode if isinstance(content, Concatenation) else AsyncDiffNode
    return cls(manager, content.mount, content.path, AsyncVirtualBackend(content))
