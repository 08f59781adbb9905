"""``StorageManager``: the sync entry point, a table of named mounts."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ._shared.config import MountConfig
from ._shared.exceptions import StorageConfigError
from ._shared.managercore import ManagerCore
from .backends.base import StorageBackend
from .backends.base64 import Base64Backend
from .backends.local import LocalBackend
from .backends.memory import MemoryBackend
from .node import StorageNode

__all__ = ["StorageManager"]


def _cloud(name: str) -> Any:
    """Import a cloud backend class only when a mount uses it (optional extras)."""

    def load(config: MountConfig) -> StorageBackend:
        from .backends import fsspec as module

        return module.SYNC_TYPES[name](config)

    load.backend_type = name  # type: ignore[attr-defined]
    return load


class StorageManager(ManagerCore):
    """Mounts by name, and nodes on them.

    >>> storage = StorageManager([{"name": "mem", "type": "memory"}])
    >>> storage.node("mem:hello.txt").write_text("hi")
    >>> storage.node("mem:hello.txt").read_text()
    'hi'
    """

    default_types = {
        "local": LocalBackend,
        "memory": MemoryBackend,
        "base64": Base64Backend,
        **{name: _cloud(name) for name in ("s3", "azure", "gcs", "http", "fsspec")},
    }
    node_class = StorageNode

    def _check_backend_class(self, name: str, cls: Any) -> Any:
        if not (isinstance(cls, type) and issubclass(cls, StorageBackend)):
            raise StorageConfigError(
                f"register_backend_type('{name}', ...) needs a StorageBackend subclass"
            )
        return cls

    def _build(self, config: MountConfig) -> StorageBackend:
        return self._types[config.type](config)

    def _discard(self, backend: StorageBackend) -> None:
        backend.close()

    def node(self, spec: str, *parts: str) -> StorageNode:
        """The node at ``'mount:path'`` or ``('mount', 'part', ...)``. No I/O."""
        return super().node(spec, *parts)

    @cached_property
    def fs(self) -> Any:
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
