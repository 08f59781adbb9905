"""What ``StorageManager`` and ``AsyncStorageManager`` share: the backend-type registry,
configuration, the mount table and node lookup. None of it does I/O."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from . import paths
from .config import MountConfig, parse_all, parse_mount
from .exceptions import StorageConfigError


class ManagerCore:
    """Mount table and node factory; subclasses say how a backend is built."""

    #: Built-in backend types; each subclass fills its own.
    default_types: ClassVar[dict[str, Any]] = {}
    node_class: ClassVar[type]

    def __init__(self, config: Any = None) -> None:
        self._types: dict[str, Any] = dict(self.default_types)
        self._mounts: dict[str, Any] = {}
        if config is not None:
            self.configure(config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mounts={list(self._mounts)}>"

    # -- backend types ----------------------------------------------------------------
    def register_backend_type(self, name: str, cls: Any) -> None:
        """Make ``type: name`` usable in this manager's configuration."""
        if not paths.valid_mount_name(name):
            raise StorageConfigError(f"Backend type name {name!r} is invalid")
        self._types[name] = self._check_backend_class(name, cls)

    def _check_backend_class(self, name: str, cls: Any) -> Any:
        return cls

    def _build(self, config: MountConfig) -> Any:
        raise NotImplementedError

    # -- mounts -------------------------------------------------------------------
    def configure(self, config: Any) -> None:
        """Add mounts from a list of dicts, a dict, or a ``.yaml``/``.json`` file.

        Every mount is validated before any is added; a name already mounted is
        replaced.
        """
        configs = parse_all(config, self._types)
        built = [(c, self._build(c)) for c in configs]
        for cfg, backend in built:
            self._replace(cfg.name, backend)

    def add_mount(self, config: dict[str, Any]) -> None:
        """Add one mount from its dict; refuses a name already mounted."""
        cfg = parse_mount(config, self._types)
        if cfg.name in self._mounts:
            raise StorageConfigError(f"Mount '{cfg.name}' already exists")
        self._mounts[cfg.name] = self._build(cfg)
        self._mount_changed(cfg.name)

    def _replace(self, name: str, backend: Any) -> None:
        old = self._mounts.pop(name, None)
        if old is not None:
            self._discard(old)
        self._mounts[name] = backend
        self._mount_changed(name)

    def _discard(self, backend: Any) -> None:
        """Release a backend that is no longer mounted."""

    def _mount_changed(self, name: str) -> None:
        """Called after every change of the mount table (``configure``, ``add_mount``,
        ``remove_mount``), with the name that changed: views of the table follow here."""

    def remove_mount(self, name: str) -> None:
        backend = self._backend(name)
        del self._mounts[name]
        self._discard(backend)
        self._mount_changed(name)

    def has_mount(self, name: str) -> bool:
        return name in self._mounts

    @property
    def mounts(self) -> list[str]:
        """The mount names, in configuration order."""
        return list(self._mounts)

    def get_mount_names(self) -> list[str]:
        return self.mounts

    def mount_config(self, name: str) -> MountConfig:
        return self._backend(name).config

    def __iter__(self) -> Iterator[str]:
        return iter(self._mounts)

    def _backend(self, name: str) -> Any:
        try:
            return self._mounts[name]
        except KeyError:
            known = ", ".join(self._mounts) or "none"
            raise StorageConfigError(
                f"Unknown mount '{name}' (configured mounts: {known})"
            ) from None

    # -- nodes ----------------------------------------------------------------------
    def node(self, spec: str, *parts: str) -> Any:
        """The node at ``'mount:path'`` or at ``('mount', 'part', ...)``. No I/O."""
        if not isinstance(spec, str):
            raise StorageConfigError(f"node() needs a string, not {type(spec).__name__}")
        if ":" in spec:
            mount, first = paths.split_spec(spec)
        else:
            mount, first = spec, ""
        backend = self._backend(mount)
        return self.node_class(self, mount, backend.normalize_path(first, *parts), backend)
