"""Relative mounts: a mount that is a folder of another mount.

``{"name": "public", "path": "data:public", "permissions": "readonly"}`` makes the
mount ``public`` whose root is the folder ``public`` of the mount ``data``. Its backend
is a *view* (``backends/relative.py`` for the sync API, ``async_/backends/relative.py``
for the async one) that joins the folder in front of every path and hands the call to
the parent's backend; what both views share lives here, once.

Rules (one place each):

* The folder is written like any user path, but ``..`` is refused outright (a mount's
  root never depends on normalisation); paths inside the view are normalised relative
  to its own root, so they can never climb out of the folder.
* Permissions narrow, never widen: asking for more than the parent grants is a
  ``StorageConfigError`` naming the field. Without ``permissions`` the view has the
  parent's, whatever they are now.
* The parent is looked up by name at every call, never kept: when ``configure()``
  replaces the parent, the view (and every node made from it) follows the new one.
  A change that would leave a view without its parent, in a cycle, over a base64 mount,
  or wider than its parent is refused before the table changes (``check_table``).
* A path's physical place is the parent's place of the joined path, so copies and
  moves between the two mounts are recognised as the same place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import paths
from .capabilities import Capabilities
from .config import PERMISSIONS, MountConfig
from .exceptions import StorageConfigError, StorageError, StoragePermissionError
from .identity import Location
from .info import FileInfo, Page

if TYPE_CHECKING:
    from .managercore import ManagerCore

#: The ``type`` of a relative mount's configuration.
RELATIVE = "relative"
_FIELDS = {"path", "permissions", "async_mode"}
_RANK = {p: i for i, p in enumerate(PERMISSIONS)}  # readonly < readwrite < delete


def is_relative(data: Mapping[str, Any]) -> bool:
    """Whether a mount dict describes a relative mount: ``type: relative``, or no type
    at all and a ``path`` of the form ``mount:folder`` (``parse`` checks the name)."""
    kind = data.get("type", data.get("protocol"))
    if kind is not None:
        return bool(kind == RELATIVE)
    path = data.get("path")
    return isinstance(path, str) and ":" in path


def parse(name: str, data: Mapping[str, Any]) -> MountConfig:
    """Validate a relative mount dict (``is_relative`` is true for it)."""
    where = f"Mount '{name}'"
    extra = set(data) - _FIELDS - {"name", "type", "protocol"}
    if extra:
        raise StorageConfigError(
            f"{where}: unknown field(s) {', '.join(sorted(map(repr, extra)))}"
            f" for a relative mount (it takes 'path' and 'permissions')"
        )
    spec = data.get("path")
    if not isinstance(spec, str) or ":" not in spec:
        raise StorageConfigError(
            f"{where}: field 'path' of a relative mount must be 'mount:folder'"
        )
    parent, _, folder = spec.partition(":")
    if not paths.valid_mount_name(parent):
        raise StorageConfigError(f"{where}: field 'path' names an invalid mount {parent!r}")
    if "\x00" in folder:
        raise StorageConfigError(f"{where}: field 'path' contains a NUL byte")
    if ".." in folder.split("/"):
        raise StorageConfigError(f"{where}: field 'path' must not contain '..' segments")
    folder = paths.normalize(folder)
    permissions = data.get("permissions")
    if permissions is not None and permissions not in PERMISSIONS:
        raise StorageConfigError(
            f"{where}: field 'permissions' must be one of {', '.join(PERMISSIONS)}"
        )
    if data.get("async_mode", "auto") != "auto":
        raise StorageConfigError(
            f"{where}: field 'async_mode' is the parent's; a relative mount cannot set it"
        )
    options: dict[str, Any] = {"path": f"{parent}:{folder}", "parent": parent, "folder": folder}
    if permissions is None:
        options["inherit_permissions"] = True
    return MountConfig(
        name=name, type=RELATIVE, permissions=permissions or "delete", options=options
    )


def declared(config: MountConfig) -> tuple[str, str, str | None]:
    """``(parent, folder, permissions or None when inherited)`` of a relative config."""
    opts = config.options
    own = None if opts.get("inherit_permissions") else config.permissions
    return opts["parent"], opts["folder"], own


def check_table(table: Mapping[str, MountConfig]) -> None:
    """Refuse a mount table where a relative mount has no parent, sits in a cycle, lies
    over a base64 mount, or asks for more than its parent's permissions."""
    for name, config in table.items():
        if config.type == RELATIVE:
            effective(name, table)


def effective(name: str, table: Mapping[str, MountConfig]) -> str:
    """The permissions mount ``name`` really has in ``table`` (checked on the way)."""
    seen: list[str] = []
    chain: list[tuple[str, str | None]] = []
    current = name
    while table[current].type == RELATIVE:
        if current in seen:
            loop = " -> ".join([*seen[seen.index(current) :], current])
            raise StorageConfigError(f"Mount '{name}': relative mounts form a cycle ({loop})")
        seen.append(current)
        parent, _, own = declared(table[current])
        if parent not in table:
            raise StorageConfigError(
                f"Mount '{current}': field 'path' names mount '{parent}', which is not configured"
            )
        if table[parent].type == "base64":
            raise StorageConfigError(
                f"Mount '{current}': field 'path' names base64 mount '{parent}', which"
                " has no folders"
            )
        chain.append((current, own))
        current = parent
    granted = table[current].permissions
    for mount, own in reversed(chain):
        if own is not None:
            if _RANK[own] > _RANK[granted]:
                raise StorageConfigError(
                    f"Mount '{mount}': field 'permissions' is '{own}', wider than its"
                    f" parent's '{granted}' (a relative mount can narrow, never widen)"
                )
            granted = own
    return granted


def dependents(name: str, table: Mapping[str, MountConfig]) -> list[str]:
    """The relative mounts whose parent is ``name``."""
    return [n for n, c in table.items() if c.type == RELATIVE and declared(c)[0] == name]


class RelativeCore:
    """What the sync and async views share: the parent lookup, path joining, and the
    translation of the parent's answers back to the view's paths. No I/O."""

    def __init__(self, manager: ManagerCore[Any], config: MountConfig) -> None:
        self._manager = manager
        self._declared = config
        self.mount = config.name
        self._parent, self._folder, _ = declared(config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} mount={self.mount!r} over {self._parent!r}>"

    @property
    def declared_config(self) -> MountConfig:
        """The configuration as given (``permissions`` may be inherited)."""
        return self._declared

    @property
    def config(self) -> MountConfig:
        """The configuration with the permissions this mount really has now."""
        parent, _, own = declared(self._declared)
        if own is not None:
            return self._declared
        granted = self._parent_backend().config.permissions
        return dataclasses.replace(self._declared, permissions=granted)

    def _parent_backend(self) -> Any:
        backend = self._manager._mounts.get(self._parent)
        if backend is None:
            raise StorageConfigError(
                f"Mount '{self.mount}' is a folder of mount '{self._parent}', which is not mounted"
            )
        return backend

    def _root(self) -> tuple[Any, str]:
        """``(backend, folder)``: the real (non-relative) backend and this mount's root
        in it, through any chain of relative mounts (each one confined to its parent's
        root: see ``_confined``)."""
        parent = self._parent_backend()
        if isinstance(parent, RelativeCore):
            backend, folder = parent._root()
            joined = _join(folder, self._folder)
            _confined(backend, folder, joined, parent.where(self._folder))
            return backend, joined
        return parent, self._folder

    def _target(self, path: str) -> tuple[Any, str]:
        """The real backend and the path there of this mount's ``path``, refused when
        it resolves outside this mount's root (a symlink inside the folder pointing
        elsewhere in the parent)."""
        backend, folder = self._root()
        full = _join(folder, path)
        _confined(backend, folder, full, self.where(path))
        return backend, full

    def is_root(self, path: str) -> bool:
        """This mount's root, or a path that is a root of the real mount below."""
        if not path:
            return True
        backend, folder = self._root()
        return bool(backend.is_root(_join(folder, path)))

    @property
    def type_name(self) -> str:
        """The parent's type: a folder of an ``s3`` mount behaves as an ``s3`` mount."""
        return str(self._root()[0].type_name)

    @property
    def capabilities(self) -> Capabilities:
        """The parent store's capabilities (the node narrows them by permissions)."""
        caps: Capabilities = self._root()[0].capabilities
        return caps

    def normalize_path(self, *parts: str) -> str:
        """User path parts, normalised against this mount's own root."""
        return paths.normalize(*parts)

    def where(self, path: str) -> str:
        """The user-facing name of ``path``."""
        return f"{self.mount}:{path}"

    def location(self, path: str) -> Location:
        """The parent's place of the joined path: the same place under both names."""
        backend, full = self._target(path)
        found: Location = backend.location(full)
        return found

    def same_store(self, other: Any) -> bool:
        """Whether the store can copy from this mount to ``other`` by itself."""
        backend = self._root()[0]
        target = other._root()[0] if isinstance(other, RelativeCore) else other
        return bool(backend.same_store(target))

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """The parent's URL of the joined path."""
        backend, full = self._target(path)
        found: str | None = backend.url(full, expires_in)
        return found

    def _server_target(self, other: Any, dst: str) -> tuple[Any, str]:
        return other._target(dst) if isinstance(other, RelativeCore) else (other, dst)

    @contextmanager
    def _named(self) -> Iterator[None]:
        """Errors of the parent's backend name this mount's paths, not the parent's
        (``pub:x``, not ``data:public/x``)."""
        try:
            yield
        except StorageError as exc:
            if len(exc.args) != 1 or not isinstance(exc.args[0], str):
                raise
            backend, folder = self._root()
            old = f"{backend.mount}:{folder}" if folder else f"{backend.mount}:"
            pattern = re.escape(old) + (r"(?:/|(?![^'\s@]))" if folder else "")
            message = re.sub(pattern, f"{self.mount}:", exc.args[0])
            if message == exc.args[0]:
                raise
            raise type(exc)(message) from exc

    def _own_info(self, info: FileInfo) -> FileInfo:
        """A fact of the parent, with its path made relative to this mount's root."""
        folder = self._root()[1]
        if not folder:
            return info
        if info.path == folder:
            return dataclasses.replace(info, path="")
        if info.path.startswith(f"{folder}/"):
            return dataclasses.replace(info, path=info.path[len(folder) + 1 :])
        return dataclasses.replace(info, addressable=False)  # never acted on through here

    def _own_page(self, page: Page) -> Page:
        """A listing in this mount's paths. An entry that resolves outside the root (a
        symlink the parent follows, since it stays inside the *parent's* root) is
        listed as the parent lists a link it refuses: a file with no size, never
        followed, so no fact of a place outside the mount shows and walks never enter
        it; every access to it raises ``StoragePermissionError`` (``_target``)."""
        backend, folder = self._root()
        home = backend.location(folder) if folder else None
        out: list[FileInfo] = []
        for entry in page.entries:
            own = self._own_info(entry)
            if home is not None and own.addressable and own.path:
                inside = home.contains(backend.location(entry.path))
                own = own if inside else FileInfo(own.path, "file")
            out.append(own)
        return Page(out, page.cursor)

    def _own_path(self, new: str | None) -> str | None:
        """A path the parent returned (base64 moves nodes; views never lie over one)."""
        if new is None:
            return None
        return self._own_info(FileInfo(new, "file")).path


def _confined(backend: Any, folder: str, full: str, where: str) -> None:
    """Refuse ``full`` when its physical place is not inside ``folder``'s: paths are
    normalised against the root, so only the store's own redirections (a local
    symlink) can lead out, and the parent allows those anywhere inside *its* root."""
    if folder and full != folder and not backend.location(folder).contains(backend.location(full)):
        raise StoragePermissionError(f"Path '{where}' resolves outside its mount")


def _join(folder: str, path: str) -> str:
    if folder and path:
        return f"{folder}/{path}"
    return folder or path
