"""``StorageManager``: the sync entry point, a table of named mounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ._shared.compat import ManagerAliases
from ._shared.config import MountConfig
from ._shared.exceptions import StorageConfigError
from ._shared.managercore import ManagerCore
from .backends.base import StorageBackend
from .backends.registry import BUILTIN_TYPES, factory
from .backends.relative import RelativeBackend
from .backends.snapshot import SnapshotBackend
from .node import StorageNode
from .processing import ManagerProcessing

if TYPE_CHECKING:
    from .fs import GenroFileSystem

__all__ = ["StorageManager"]


class StorageManager(ManagerProcessing, ManagerAliases, ManagerCore[StorageBackend]):
    """Mounts by name, and nodes on them.

    >>> storage = StorageManager([{"name": "mem", "type": "memory"}])
    >>> storage.node("mem:hello.txt").write_text("hi")
    StorageNode('mem:hello.txt')
    >>> storage.node("mem:hello.txt").read_text()
    'hi'
    """

    #: The built-in mount types (``local``, ``s3``...): name -> what makes the sync backend.
    default_types: ClassVar[dict[str, Callable[[MountConfig], StorageBackend]]] = {
        name: factory(name, asynchronous=False) for name in BUILTIN_TYPES
    }
    #: The class of the nodes ``node()`` returns.
    node_class: ClassVar[type[StorageNode]] = StorageNode

    def _check_backend_class(self, name: str, cls: object) -> type[StorageBackend]:
        if not (isinstance(cls, type) and issubclass(cls, StorageBackend)):
            raise StorageConfigError(
                f"register_backend_type('{name}', ...) needs a StorageBackend subclass"
            )
        return cls

    def _relative_view(self, config: MountConfig) -> StorageBackend:
        return RelativeBackend(self, config)

    def _discard(self, backend: StorageBackend) -> None:
        backend.close()

    def node(
        self,
        spec: str,
        *parts: str,
        version: int | str | None = None,
        as_of: datetime | None = None,
    ) -> StorageNode:
        """The node at ``'mount:path'`` or ``('mount', 'part', ...)``. No I/O.

        With ``version`` (an index, ``-1`` the newest and ``0`` the oldest, or a version
        id) or ``as_of`` (a datetime), a read-only snapshot of that version of the file
        (see ``docs/guide.md``, "Versions"); writes to it raise ``StoragePermissionError``.
        """
        mount, path, backend = self._locate(spec, parts)
        if version is not None or as_of is not None:
            backend = SnapshotBackend(backend, path, version, as_of)
        return self.node_class(self, mount, path, backend)

    @cached_property
    def fs(self) -> GenroFileSystem:
        """These mounts as an fsspec filesystem (``genro_storage.fs.GenroFileSystem``):
        paths ``mount/path``, URLs ``genro://mount/path``; one per manager."""
        from .fs import GenroFileSystem

        return GenroFileSystem(storage=self)

    def close(self) -> None:
        """Close every backend's clients."""
        for backend in self._mounts.values():
            backend.close()

    def __enter__(self) -> StorageManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wsgi_app(self, mounts: Any = None, writable: bool = False, token: str | None = None) -> Any:
        """A WSGI application serving these mounts over HTTP (GET/HEAD, folder listings,
        PUT/DELETE when ``writable``, bearer ``token``); see
        ``genro_storage.serving.wsgi_app``."""
        from .serving import wsgi_app

        return wsgi_app(self, mounts, writable, token)
