"""``AsyncStorageManager``: the async entry point. ``configure()`` and ``node()`` do no
I/O; it works without ``async with``, and ``async with`` closes every client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from .._shared.async_utils import run_in_thread
from .._shared.compat import ManagerAliases
from .._shared.config import MountConfig
from .._shared.exceptions import StorageConfigError
from .._shared.managercore import ConfigSource, ManagerCore
from ..backends.base import StorageBackend
from ..backends.registry import BUILTIN_TYPES, factory
from .backends.base import AsyncStorageBackend, ThreadBackend
from .backends.relative import AsyncRelativeBackend
from .backends.snapshot import AsyncSnapshotBackend
from .node import AsyncStorageNode
from .processing import AsyncManagerProcessing

if TYPE_CHECKING:
    from ..fs import AsyncGenroFileSystem
    from ..manager import StorageManager

__all__ = ["AsyncStorageManager"]


def _threaded(cls: type[StorageBackend]) -> Callable[[MountConfig], ThreadBackend]:
    def load(config: MountConfig) -> ThreadBackend:
        return ThreadBackend(cls(config))

    return load


class AsyncStorageManager(AsyncManagerProcessing, ManagerAliases, ManagerCore[AsyncStorageBackend]):
    """Mounts by name for async code.

    ``storage = AsyncStorageManager(config)`` then ``await storage.node('m:f').read_bytes()``;
    ``async with storage:`` (or ``await storage.close()``) releases pooled sessions.
    """

    #: The built-in mount types (``local``, ``s3``...): name -> what makes the async backend.
    default_types: ClassVar[dict[str, Callable[[MountConfig], AsyncStorageBackend]]] = {
        name: factory(name, asynchronous=True) for name in BUILTIN_TYPES
    }
    #: The class of the nodes ``node()`` returns.
    node_class: ClassVar[type[AsyncStorageNode]] = AsyncStorageNode

    def __init__(self, config: ConfigSource | None = None) -> None:
        self._sync_twin: StorageManager | None = None
        super().__init__(config)

    def _check_backend_class(
        self, name: str, cls: object
    ) -> Callable[[MountConfig], AsyncStorageBackend]:
        if isinstance(cls, type) and issubclass(cls, AsyncStorageBackend):
            return cls
        if isinstance(cls, type) and issubclass(cls, StorageBackend):
            return _threaded(cls)  # a sync class runs in the thread wrapper
        raise StorageConfigError(
            f"register_backend_type('{name}', ...) needs an AsyncStorageBackend or "
            "StorageBackend subclass"
        )

    def _relative_view(self, config: MountConfig) -> AsyncStorageBackend:
        return AsyncRelativeBackend(self, config)

    def _discard(self, backend: AsyncStorageBackend) -> None:
        backend.discard()

    def _mount_changed(self, name: str) -> None:
        """Keep the ``as_sync()`` twin's mount table equal to this one's (only the
        changed mount is rebuilt, so nodes of the twin's other mounts stay valid)."""
        twin = self._sync_twin
        if twin is None:
            return
        old = twin._mounts.pop(name, None)
        if old is not None and not self._shares(old):
            old.close()  # built for the twin alone
        sync = self._twin_backend(self._mounts[name]) if name in self._mounts else None
        if sync is not None:
            twin._mounts[name] = sync

    def node(
        self,
        spec: str,
        *parts: str,
        version: int | str | None = None,
        as_of: datetime | None = None,
    ) -> AsyncStorageNode:
        """The node at ``'mount:path'`` or ``('mount', 'part', ...)``. No I/O.

        With ``version`` (an index, ``-1`` the newest and ``0`` the oldest, or a version
        id) or ``as_of`` (a datetime), a read-only snapshot of that version of the file
        (see ``docs/guide.md``, "Versions"); writes to it raise ``StoragePermissionError``.
        """
        mount, path, backend = self._locate(spec, parts)
        if version is not None or as_of is not None:
            backend = AsyncSnapshotBackend(backend, path, version, as_of)
        return self.node_class(self, mount, path, backend)

    def is_native(self, mount: str) -> bool:
        """Whether the mount's I/O is natively async (else thread-wrapped)."""
        return bool(self._backend(mount).is_native)

    def describe(self) -> dict[str, str]:
        """``{mount: 'native' | 'thread' | 'inline'}`` for docs and debugging (``inline``:
        the calls run on the loop and never block, as on a memory mount); a type with two
        engines (S3) adds the mount's engine: ``'native, obstore'``, ``'native, fsspec'``."""
        from ..backends.obstoreops import ENGINE_TYPES

        described = {}
        for name, b in self._mounts.items():
            engine = getattr(b, "engine", None) if b.type_name in ENGINE_TYPES else None
            described[name] = f"{b.run_mode}, {engine}" if engine else b.run_mode
        return described

    def as_sync(self) -> StorageManager:
        """A ``StorageManager`` over the same mounts; thread-wrapped mounts share their
        sync backend (so a memory mount shows the same files)."""
        if self._sync_twin is None:
            from ..manager import StorageManager

            twin = StorageManager()
            self._sync_twin = twin  # relative mounts' twins look their parent up in it
            for name, backend in self._mounts.items():
                sync = self._twin_backend(backend)
                if sync is not None:
                    twin._mounts[name] = sync
        return self._sync_twin

    def _twin_backend(self, backend: AsyncStorageBackend) -> StorageBackend | None:
        """The sync backend of the twin for ``backend``: the one it wraps, if any
        (same state), else a new one from the same configuration; ``None`` for an
        async-only type (the twin then does not know that mount)."""
        shared = backend.sync_backend()
        if shared is not None:
            return shared
        if isinstance(backend, AsyncRelativeBackend) and self._sync_twin is not None:
            from ..backends.relative import RelativeBackend

            return RelativeBackend(self._sync_twin, backend.declared_config)
        from ..manager import StorageManager

        make = StorageManager.default_types.get(backend.config.type)
        return None if make is None else make(backend.config)

    def _shares(self, sync: StorageBackend) -> bool:
        """Whether ``sync`` is the wrapped backend of one of this manager's mounts."""
        return any(b.sync_backend() is sync for b in self._mounts.values())

    @cached_property
    def fs(self) -> AsyncGenroFileSystem:
        """These mounts as an fsspec ``AsyncFileSystem`` (``asynchronous=True``,
        ``genro_storage.fs.AsyncGenroFileSystem``) whose coroutines (``await fs._ls(...)``,
        ``await fs._cat_file(...)``...) await this manager's nodes; one per manager."""
        from ..fs import AsyncGenroFileSystem

        return AsyncGenroFileSystem(storage=self, asynchronous=True)

    async def close(self) -> None:
        """Close every backend's clients and sessions (idempotent), and those of the
        ``as_sync()`` twin's own backends."""
        for backend in self._mounts.values():
            await backend.close()
        twin = self._sync_twin
        if twin is not None:
            for sync in list(twin._mounts.values()):
                if not self._shares(sync):
                    await run_in_thread(sync.close)

    async def __aenter__(self) -> AsyncStorageManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def asgi_app(self, mounts: Any = None, writable: bool = False, token: str | None = None) -> Any:
        """An ASGI application serving these mounts over HTTP:
        ``app.mount("/files", storage.asgi_app())`` in FastAPI or Starlette; see
        ``genro_storage.serving.asgi_app``."""
        from ..serving import asgi_app

        return asgi_app(self, mounts, writable, token)
