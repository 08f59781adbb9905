"""What ``StorageNode`` and ``AsyncStorageNode`` share: identity and every member that
does no I/O (``child``, ``parent``, ``basename``, ``suffix``, ``mimetype``, ...)."""

from __future__ import annotations

from typing import Any

from . import paths
from .capabilities import Capabilities
from .config import MountConfig


class NodeCore:
    """A ``mount:path`` bound to its manager and backend. Creating one does no I/O.

    Nodes are immutable values: nothing changes a node once made (a write that moves the
    data, as on a base64 mount, returns a new node), so a node kept in a set or as a dict
    key is always found again.
    """

    __slots__ = ("_manager", "_mount", "_path", "_backend")

    def __init__(self, manager: Any, mount: str, path: str, backend: Any) -> None:
        init = object.__setattr__
        init(self, "_manager", manager)
        init(self, "_mount", mount)
        init(self, "_path", path)
        init(self, "_backend", backend)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete '{name}'")

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self

    def _at(self, path: str) -> Any:
        """A node of the same kind on the same mount at the normalised ``path``."""
        return type(self)(self._manager, self._mount, path, self._backend)

    # -- identity -------------------------------------------------------------------
    @property
    def mount(self) -> str:
        """The mount's name."""
        return self._mount

    @property
    def path(self) -> str:
        """The path inside the mount (``''`` for its root)."""
        return self._path

    @property
    def fullpath(self) -> str:
        """``'mount:path'``: what ``storage.node()`` accepts back."""
        return paths.fullpath(self._mount, self._path)

    @property
    def config(self) -> MountConfig:
        return self._backend.config

    @property
    def capabilities(self) -> Capabilities:
        """What this node's mount can do, narrowed by the mount's permissions."""
        return self._backend.capabilities.with_permissions(self.config.permissions)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fullpath!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeCore):
            return NotImplemented
        return (type(self), self._manager, self._mount, self._path) == (
            type(other),
            other._manager,
            other._mount,
            other._path,
        )

    def __hash__(self) -> int:
        return hash((type(self), self._mount, self._path))

    def __fspath__(self) -> str:
        raise TypeError(f"{self!r} is not a local path; use 'with node.local_path() as p:' instead")

    # -- navigation -----------------------------------------------------------------
    @property
    def basename(self) -> str:
        return paths.basename(self._path)

    @property
    def name(self) -> str:
        return self.basename

    @property
    def stem(self) -> str:
        return paths.stem(self._path)

    @property
    def suffix(self) -> str:
        return paths.suffix(self._path)

    @property
    def mimetype(self) -> str:
        return paths.mimetype(self._path)

    @property
    def parent(self) -> Any:
        """The containing folder's node (the root is its own parent)."""
        return self._at(paths.parent(self._path))

    def child(self, *parts: str) -> Any:
        """The node at ``parts`` below this one; ``..`` may not climb out of the mount."""
        return self._at(self._backend.normalize_path(self._path, *parts))

    def __truediv__(self, part: str) -> Any:
        return self.child(part)
