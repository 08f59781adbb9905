"""``AsyncStorageManager``: the async entry point. ``configure()`` and ``node()`` do no
I/O; it works without ``async with``, and ``async with`` closes every client."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .._shared.config import MountConfig
from .._shared.exceptions import StorageConfigError
from .._shared.managercore import ManagerCore
from ..backends.base import StorageBackend
from ..backends.base64 import Base64Backend
from ..backends.memory import MemoryBackend
from .backends.base import AsyncStorageBackend, ThreadBackend
from .backends.local import AsyncLocalBackend
from .node import AsyncStorageNode

__all__ = ["AsyncStorageManager"]


def _cloud(name: str) -> Any:
    def load(config: MountConfig) -> AsyncStorageBackend:
        from .backends import fsspec as module

        return module.ASYNC_TYPES[name](config)

    return load


def _threaded(cls: type[StorageBackend]) -> Any:
    def load(config: MountConfig) -> ThreadBackend:
        return ThreadBackend(cls(config))

    return load


class AsyncStorageManager(ManagerCore):
    """Mounts by name for async code.

    ``storage = AsyncStorageManager(config)`` then ``await storage.node('m:f').read_bytes()``;
    ``async with storage:`` (or ``await storage.close()``) releases pooled sessions.
    """

    default_types = {
        "local": AsyncLocalBackend,
        "memory": _threaded(MemoryBackend),
        "base64": _threaded(Base64Backend),
        **{name: _cloud(name) for name in ("s3", "azure", "gcs", "http", "fsspec")},
    }
    node_class = AsyncStorageNode

    def __init__(self, config: Any = None) -> None:
        self._sync_twin: Any = None
        super().__init__(config)

    def _check_backend_class(self, name: str, cls: Any) -> Any:
        if isinstance(cls, type) and issubclass(cls, AsyncStorageBackend):
            return cls
        if isinstance(cls, type) and issubclass(cls, StorageBackend):
            return _threaded(cls)  # a sync class runs in the thread wrapper
        raise StorageConfigError(
            f"register_backend_type('{name}', ...) needs an AsyncStorageBackend or "
            "StorageBackend subclass"
        )

    def _build(self, config: MountConfig) -> AsyncStorageBackend:
        return self._types[config.type](config)

    def _replace(self, name: str, backend: Any) -> None:
        super()._replace(name, backend)
        self._sync_twin = None

    def node(self, spec: str, *parts: str) -> AsyncStorageNode:
        """The node at ``'mount:path'`` or ``('mount', 'part', ...)``. No I/O."""
        return super().node(spec, *parts)

    def is_native(self, mount: str) -> bool:
        """Whether the mount's I/O is natively async (else thread-wrapped)."""
        return bool(self._backend(mount).is_native)

    def describe(self) -> dict[str, str]:
        """``{mount: 'native' | 'thread'}`` for docs and debugging."""
        return {name: ("native" if b.is_native else "thread") for name, b in self._mounts.items()}

    def as_sync(self) -> Any:
        """A ``StorageManager`` over the same mounts; thread-wrapped mounts share their
        sync backend (so a memory mount shows the same files)."""
        if self._sync_twin is None:
            from ..manager import StorageManager

            twin = StorageManager()
            for name, backend in self._mounts.items():
                shared = backend.sync_backend()
                twin._mounts[name] = shared if shared is not None else twin._build(backend.config)
            self._sync_twin = twin
        return self._sync_twin

    @cached_property
    def fs(self) -> Any:
        """These mounts as an fsspec ``AsyncFileSystem`` (``asynchronous=True``,
        ``genro_storage.fs.AsyncGenroFileSystem``) whose coroutines (``await fs._ls(...)``,
        ``await fs._cat_file(...)``...) await this manager's nodes; one per manager."""
        from ..fs import AsyncGenroFileSystem

        return AsyncGenroFileSystem(storage=self, asynchronous=True)

    async def close(self) -> None:
        """Close every backend's clients and sessions (idempotent)."""
        for backend in self._mounts.values():
            await backend.close()

    async def __aenter__(self) -> AsyncStorageManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
