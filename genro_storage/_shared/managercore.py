"""What ``StorageManager`` and ``AsyncStorageManager`` share: the backend-type registry,
configuration, the mount table and node lookup. None of it does I/O."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from . import paths, relative
from .config import MountConfig, parse_all, parse_mount
from .exceptions import StorageConfigError, StorageMountNotFoundError

if TYPE_CHECKING:
    from ..async_.backends.base import AsyncStorageBackend
    from ..backends.base import StorageBackend

#: What ``configure()`` accepts: a list of mount dicts, one dict, or the path of a
#: ``.yaml``/``.json`` file holding either.
ConfigSource = str | os.PathLike[str] | Mapping[str, Any] | Iterable[Mapping[str, Any]]

#: The backend of one mount: sync under ``StorageManager``, async under the async one.
B = TypeVar("B", bound="StorageBackend | AsyncStorageBackend")


class ManagerCore(Generic[B]):
    """Mount table and node lookup; subclasses say how a backend is built and which node
    class they hand out."""

    #: Built-in backend types (name -> what makes the backend from a mount's
    #: configuration); each subclass fills its own.
    default_types: ClassVar[dict[str, Callable[[MountConfig], Any]]] = {}

    def __init__(self, config: ConfigSource | None = None) -> None:
        self._types: dict[str, Callable[[MountConfig], B]] = dict(self.default_types)
        self._mounts: dict[str, B] = {}
        if config is not None:
            self.configure(config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mounts={list(self._mounts)}>"

    # -- backend types ----------------------------------------------------------------
    def register_backend_type(
        self, name: str, cls: type[StorageBackend] | type[AsyncStorageBackend]
    ) -> None:
        """Make ``type: name`` usable in this manager's configuration.

        ``cls`` is a backend class: a ``StorageBackend`` subclass, or for the async
        manager an ``AsyncStorageBackend`` subclass (a sync class runs there in threads).
        """
        if not paths.valid_mount_name(name):
            raise StorageConfigError(f"Backend type name {name!r} is invalid")
        self._types[name] = self._check_backend_class(name, cls)

    def _check_backend_class(self, name: str, cls: object) -> Callable[[MountConfig], B]:
        """What makes ``cls``'s backends in this manager; refuses a class it cannot use."""
        raise NotImplementedError

    def _build(self, config: MountConfig) -> B:
        if config.type == relative.RELATIVE:
            return self._relative_view(config)
        return self._types[config.type](config)

    def _relative_view(self, config: MountConfig) -> B:
        """The view backend of a relative mount (``_shared/relative.py``)."""
        raise NotImplementedError

    def _table(self, changes: Iterable[MountConfig] = ()) -> dict[str, MountConfig]:
        """The mount table's configurations as given, with ``changes`` applied: what
        ``relative.check_table`` judges before any change."""
        table = {name: getattr(b, "declared_config", b.config) for name, b in self._mounts.items()}
        table.update((c.name, c) for c in changes)
        return table

    # -- mounts -------------------------------------------------------------------
    def configure(self, config: ConfigSource) -> None:
        """Add mounts from a list of dicts, a dict, or a ``.yaml``/``.json`` file.

        Every mount is validated before any is added; a name already mounted is
        replaced.
        """
        configs = parse_all(config, self._types)
        relative.check_table(self._table(configs))
        built = [(c, self._build(c)) for c in configs]
        for cfg, backend in built:
            self._replace(cfg.name, backend)

    def add_mount(self, config: Mapping[str, Any]) -> None:
        """Add one mount from its dict; refuses a name already mounted."""
        cfg = parse_mount(config, self._types)
        if cfg.name in self._mounts:
            raise StorageConfigError(f"Mount '{cfg.name}' already exists")
        relative.check_table(self._table([cfg]))
        self._mounts[cfg.name] = self._build(cfg)
        self._mount_changed(cfg.name)

    def _replace(self, name: str, backend: B) -> None:
        old = self._mounts.pop(name, None)
        if old is not None:
            self._discard(old)
        self._mounts[name] = backend
        self._mount_changed(name)

    def _discard(self, backend: B) -> None:
        """Release a backend that is no longer mounted."""

    def _mount_changed(self, name: str) -> None:
        """Called after every change of the mount table (``configure``, ``add_mount``,
        ``remove_mount``), with the name that changed: views of the table follow here."""

    def remove_mount(self, name: str) -> None:
        """Unmount ``name`` and release its backend; an unknown name raises
        ``StorageConfigError``."""
        backend = self._backend(name)
        inside = relative.dependents(name, self._table())
        if inside:
            raise StorageConfigError(
                f"Mount '{name}' cannot be removed: relative mount(s)"
                f" {', '.join(map(repr, inside))} are folders of it; remove them first"
            )
        del self._mounts[name]
        self._discard(backend)
        self._mount_changed(name)

    def has_mount(self, name: str) -> bool:
        """Whether a mount called ``name`` is configured."""
        return name in self._mounts

    @property
    def mounts(self) -> list[str]:
        """The mount names, in configuration order."""
        return list(self._mounts)

    def get_mount_names(self) -> list[str]:
        """The mount names, in configuration order (the same as ``mounts``)."""
        return self.mounts

    def mount_config(self, name: str) -> MountConfig:
        """The validated configuration of mount ``name`` (its repr hides secrets)."""
        return self._backend(name).config

    def __iter__(self) -> Iterator[str]:
        """The mount names, in configuration order."""
        return iter(self._mounts)

    def _backend(self, name: str) -> B:
        if not isinstance(name, str):  # a list would fail as unhashable, a number oddly
            raise StorageConfigError(f"A mount name is a string, not {type(name).__name__}")
        try:
            return self._mounts[name]
        except KeyError:
            known = ", ".join(self._mounts) or "none"
            raise StorageMountNotFoundError(
                f"Unknown mount '{name}' (configured mounts: {known})"
            ) from None

    # -- nodes ----------------------------------------------------------------------
    def _locate(self, spec: str, parts: tuple[str, ...]) -> tuple[str, str, B]:
        """``(mount, normalised path, backend)`` of ``'mount:path'`` or
        ``('mount', 'part', ...)``: what each manager's ``node()`` builds its node from."""
        if not isinstance(spec, str):
            raise StorageConfigError(f"node() needs a string, not {type(spec).__name__}")
        if ":" in spec:
            mount, first = paths.split_spec(spec)
        else:
            mount, first = spec, ""
        backend = self._backend(mount)
        return mount, backend.normalize_path(first, *parts), backend
