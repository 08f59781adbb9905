"""Versioned access, as genro-storage 0.x offers it: ``storage.node(spec, version=...)``
and ``node.open(version=..., as_of=...)``, written once for both APIs.

Which version a selector names (the rule, in one place):

* ``version`` an ``int`` is an index into the versions **oldest first**, as a Python
  list: ``0`` the oldest, ``1`` the next, ``-1`` the newest (the current content),
  ``-2`` the one before it. Out of range: ``StorageNotFoundError``.
* ``version`` a ``str`` is a version id as the store gives it (``VersionInfo.version_id``);
  an id the file does not have: ``StorageNotFoundError``.
* ``as_of`` a ``datetime`` picks the version that was current at that moment: the newest
  written at or before it. Naive datetimes are local time (as ``datetime.timestamp()``
  reads them). Before the first version: ``StorageNotFoundError``.
* Giving both, or a value of another type (``bool``, ``float``, ``''``...):
  ``StorageConfigError``. A store that keeps no versions: ``StorageUnsupportedError``.

A versioned node is a *snapshot*: its backend is a view (``SnapshotCore`` here, faces in
``backends/snapshot.py`` and ``async_/backends/snapshot.py``) that serves the pinned
file from the chosen version (streamed with ranged reads) and refuses every write with
``StoragePermissionError`` (its permissions are ``readonly``). The selector is resolved
on first use (``node()`` does no I/O) and then kept: ``version=-1`` stays the version
that was newest when the snapshot was first read.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from .capabilities import Capabilities
from .config import MountConfig
from .exceptions import (
    StorageConfigError,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUnsupportedError,
)
from .identity import Location
from .info import FileInfo, VersionInfo
from .sansio import Logic, call

#: What ``version=`` takes.
Version = int | str


def check_selector(version: object, as_of: object) -> None:
    """Refuse a selector of the wrong type before any I/O."""
    if version is not None and as_of is not None:
        raise StorageConfigError("Give 'version' or 'as_of', not both")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise StorageConfigError(
                "'version' must be an index (int) or a version id (str),"
                f" not {type(version).__name__}"
            )
        if isinstance(version, str) and (not version.strip() or "\x00" in version):
            raise StorageConfigError("'version' must be a non-empty version id")
    if as_of is not None and not isinstance(as_of, datetime):
        raise StorageConfigError(f"'as_of' must be a datetime, not {type(as_of).__name__}")


def describe(version: Version | None, as_of: datetime | None) -> str:
    """The selector as a message shows it."""
    return f"as of {as_of.isoformat()}" if as_of is not None else f"version {version!r}"


def pick(
    found: list[VersionInfo], where: str, version: Version | None, as_of: datetime | None
) -> VersionInfo:
    """The version of ``found`` (newest first, as ``versions()`` gives them) that the
    selector names (see the module's rule)."""
    if as_of is not None:
        moment = as_of.timestamp()
        for info in found:  # newest first: the first one written by then
            if info.mtime is not None and info.mtime <= moment:
                return info
        raise StorageNotFoundError(
            f"'{where}' has no version as of {as_of.isoformat()} (before its first version)"
        )
    if isinstance(version, int):
        oldest_first = found[::-1]
        count = len(oldest_first)
        if not -count <= version < count:
            raise StorageNotFoundError(
                f"'{where}' has no version {version}: it has {count} version(s),"
                f" indices 0..{count - 1} (oldest first) or -1..-{count} (newest first)"
            )
        return oldest_first[version]
    for info in found:
        if info.version_id == version:
            return info
    raise StorageNotFoundError(f"'{where}' has no version with id {version!r}")


def g_resolve(
    backend: Any,
    path: str,
    where: str,
    version: Version | None,
    as_of: datetime | None,
) -> Logic[VersionInfo]:
    """The ``VersionInfo`` the selector names, from one ``versions()`` listing."""
    if not backend.capabilities.versions:
        raise StorageUnsupportedError(
            f"'{where}': mount '{backend.mount}' ({backend.type_name}) keeps no versions"
        )
    found: list[VersionInfo] = yield call(backend.versions, path)
    return pick(found, where, version, as_of)


class SnapshotCore:
    """What the sync and async snapshot views share (no I/O): the pinned path, the
    selector, the resolved version once known, and the read-only configuration."""

    def __init__(
        self, inner: Any, path: str, version: Version | None, as_of: datetime | None
    ) -> None:
        check_selector(version, as_of)
        if version is None and as_of is None:
            raise StorageConfigError("A snapshot needs 'version' or 'as_of'")
        self._inner = inner
        self._pinned = path
        self._version = version
        self._as_of = as_of
        self._resolved: VersionInfo | None = None
        self.mount = inner.mount

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.where(self._pinned)!r}>"

    @property
    def snapshot_key(self) -> tuple[str, str]:
        """What tells this snapshot apart from the live node (node equality)."""
        return (self._pinned, describe(self._version, self._as_of))

    @property
    def config(self) -> MountConfig:
        """The mount's configuration, read-only: a snapshot is never written."""
        inner: MountConfig = self._inner.config
        # The name says why it is read-only ("Mount 's3 (snapshot version -2)' is
        # readonly: ..."): the mount itself may well be writable.
        name = f"{inner.name} (snapshot {self.snapshot_key[1]})"
        return dataclasses.replace(inner, name=name, permissions="readonly")

    @property
    def type_name(self) -> str:
        """The live mount's type."""
        return str(self._inner.type_name)

    @property
    def capabilities(self) -> Capabilities:
        """The live mount's capabilities, without presigned or public URLs (they
        would serve the current content, not the version)."""
        caps: Capabilities = self._inner.capabilities
        return dataclasses.replace(caps, presigned_url=False, public_url=False)

    def normalize_path(self, *parts: str) -> str:
        """As the live mount normalises paths."""
        return str(self._inner.normalize_path(*parts))

    def where(self, path: str) -> str:
        """``mount:path``, with the selector for the pinned path."""
        name = str(self._inner.where(path))
        if path == self._pinned:
            return f"{name}@{describe(self._version, self._as_of)}"
        return name

    def location(self, path: str) -> Location:
        """The pinned path is a place of its own (an old version is not the live file:
        restoring it onto the live file is a copy like any other)."""
        live: Location = self._inner.location(path)
        if path != self._pinned:
            return live
        return Location(("version", self.snapshot_key[1], *live.store), live.key)

    def same_store(self, other: Any) -> bool:
        """Never: a snapshot is copied by reading it."""
        return False

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """No URL for the pinned path (it would serve the current content)."""
        if path == self._pinned:
            return None
        found: str | None = self._inner.url(path, expires_in)
        return found

    def _g_version(self) -> Logic[VersionInfo]:
        if self._resolved is None:
            where = self.where(self._pinned)
            self._resolved = yield from g_resolve(
                self._inner, self._pinned, where, self._version, self._as_of
            )
        return self._resolved

    def _facts(self, info: VersionInfo) -> FileInfo:
        return FileInfo(
            self._pinned,
            "file",
            size=info.size,
            mtime=info.mtime,
            etag=info.etag,
            version_id=info.version_id,
        )

    def _refuse(self, path: str, action: str) -> StoragePermissionError:
        return StoragePermissionError(
            f"'{self.where(path)}' is a read-only snapshot: cannot {action}"
        )


def snapshot_of(node: Any, mode: str, version: object, as_of: object, snapshot_class: Any) -> Any:
    """The snapshot node ``open(mode, version=..., as_of=...)`` reads, or ``None`` when
    neither is given. Both APIs' ``open()`` call this: one rule for bad selectors, write
    modes (refused: a version is read-only) and snapshots of snapshots (refused)."""
    if version is None and as_of is None:
        return None
    check_selector(version, as_of)
    if "r" not in mode:
        raise StoragePermissionError(
            f"'{node.fullpath}': a stored version is read-only: cannot open it with mode {mode!r}"
        )
    if isinstance(node._backend, SnapshotCore):
        raise StorageConfigError(
            f"'{node.fullpath}' is already a snapshot of one version: open it without"
            " 'version' or 'as_of'"
        )
    snapshot = snapshot_class(node._backend, node.path, version, as_of)
    return type(node)(node._manager, node.mount, node.path, snapshot)
