"""The sync API's virtual nodes (``storage.iternode``/``storage.diffnode``): nodes on a
read-only one-file store computed from other nodes (see ``_shared/virtual.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._shared.virtual import Concatenation, VirtualContent, extended
from .backends.virtual import VirtualBackend
from .node import StorageNode

if TYPE_CHECKING:
    from .manager import StorageManager


class VirtualNode(StorageNode):
    """A read-only node whose content is computed; every write raises
    ``StoragePermissionError``. Two virtual nodes are equal only if they are one."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VirtualNode):
            return NotImplemented
        return self._backend is other._backend and self._path == other._path

    def __hash__(self) -> int:
        return hash((id(self._backend), self._path))


class IterNode(VirtualNode):
    """``storage.iternode(...)``: its sources' contents one after the other."""

    __slots__ = ()

    def append(self, node: StorageNode) -> None:
        """Add ``node`` at the end (read lazily, like the others)."""
        self._content().add((node,))

    def extend(self, *nodes: StorageNode | Iterable[StorageNode]) -> None:
        """Add several nodes at the end: ``extend(a, b)`` or ``extend([a, b])``."""
        self._content().add(extended(StorageNode, nodes))

    @property
    def sources(self) -> list[StorageNode]:
        """The nodes concatenated, in order (a copy)."""
        return list(self._content().nodes)

    def _content(self) -> VirtualContent:
        return self._backend.content  # type: ignore[attr-defined, no-any-return]


class DiffNode(VirtualNode):
    """``storage.diffnode(a, b)``: the unified diff from ``a`` to ``b``."""

    __slots__ = ()


def make_node(manager: StorageManager, content: VirtualContent) -> VirtualNode:
    """The virtual node of ``content`` on its own read-only store."""
    cls = IterNode if isinstance(content, Concatenation) else DiffNode
    return cls(manager, content.mount, content.path, VirtualBackend(content))
