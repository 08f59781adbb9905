"""What ``StorageNode`` and ``AsyncStorageNode`` share: identity and every member that
does no I/O (``child``, ``parent``, ``basename``, ``suffix``, ``mimetype``, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import paths
from .capabilities import Capabilities
from .config import MountConfig, public_url
from .exceptions import StorageConfigError
from .info import FileInfo

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+; only the checker needs it

    from ..async_.backends.base import AsyncStorageBackend
    from ..backends.base import StorageBackend
    from .managercore import ManagerCore

#: The backend a node talks to: a sync one (``StorageNode``) or an async one.
B = TypeVar("B", bound="StorageBackend | AsyncStorageBackend")


class NodeCore(Generic[B]):
    """A ``mount:path`` bound to its manager and backend. Creating one does no I/O.

    Nodes are immutable values: nothing changes a node once made (a write that moves the
    data, as on a base64 mount, returns a new node), so a node kept in a set or as a dict
    key is always found again.
    """

    __slots__ = ("_manager", "_mount", "_path", "_backend")
    _manager: ManagerCore[B]  # each node class names its own manager class
    _mount: str
    _path: str
    _backend: B

    def __init__(self, manager: ManagerCore[B], mount: str, path: str, backend: B) -> None:
        init = object.__setattr__
        init(self, "_manager", manager)
        init(self, "_mount", mount)
        init(self, "_path", path)
        init(self, "_backend", backend)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete '{name}'")

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def _at(self, path: str) -> Self:
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
        """The mount's validated configuration (its repr never shows a secret)."""
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
        return (type(self), self._manager, self._mount, self._path, self._snapshot_key) == (
            type(other),
            other._manager,
            other._mount,
            other._path,
            other._snapshot_key,
        )

    def __hash__(self) -> int:
        return hash((type(self), self._mount, self._path, self._snapshot_key))

    @property
    def _snapshot_key(self) -> object:
        """What tells a versioned snapshot apart from the live node (``None`` if live)."""
        return getattr(self._backend, "snapshot_key", None)

    def url(self, expires_in: int | None = None) -> str | None:
        """No I/O: a URL for this file (presigned where the store signs), or ``None``.

        Never with credentials in it: the userinfo of a configured ``base_url`` or
        ``endpoint_url`` (``https://user:pw@host``) is left out (``public_url``)."""
        if expires_in is not None and (
            not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in < 1
        ):
            raise StorageConfigError(
                f"url() expires_in must be an integer >= 1 (seconds) or None, not {expires_in!r}"
            )
        return public_url(self._backend.url(self._path, expires_in))

    def __fspath__(self) -> str:
        """Refused: a node is not a local path (``os.fspath(node)`` raises ``TypeError``)."""
        raise TypeError(f"{self!r} is not a local path; use 'with node.local_path() as p:' instead")

    # -- navigation -----------------------------------------------------------------
    @property
    def basename(self) -> str:
        """The last segment of the path (``''`` for the mount's root)."""
        return paths.basename(self._path)

    @property
    def name(self) -> str:
        """Same as ``basename``, as in ``pathlib``."""
        return self.basename

    @property
    def stem(self) -> str:
        """The basename without its last suffix (``'report'`` for ``report.csv``)."""
        return paths.stem(self._path)

    @property
    def suffix(self) -> str:
        """The last suffix of the basename, dot included (``'.csv'``), or ``''``."""
        return paths.suffix(self._path)

    @property
    def mimetype(self) -> str:
        """The MIME type guessed from the name (``application/octet-stream`` if unknown)."""
        return paths.mimetype(self._path)

    @property
    def parent(self) -> Self:
        """The containing folder's node (the root is its own parent)."""
        return self._at(paths.parent(self._path))

    def child(self, *parts: str) -> Self:
        """The node at ``parts`` below this one, a path the user writes: ``a/b`` is two
        segments, ``..`` goes up (never out of the mount). For a name taken from a
        listing use :meth:`child_named`."""
        return self._at(self._backend.normalize_path(self._path, *parts))

    def child_named(self, name: str) -> Self:
        """The entry called exactly ``name`` in this folder: the name is data, never a
        path expression. A name that cannot be one segment (empty, ``.``, ``..``, with
        ``/`` or NUL) raises ``StorageConfigError``."""
        return self._at(paths.child_path(self._path, name))

    def child_from(self, entry: FileInfo) -> Self:
        """The node of ``entry``, an entry of this folder's listing. An entry that cannot
        be acted on (``entry.addressable`` false, or not exactly one segment below this
        folder) raises ``StorageConfigError``: it may be shown, never used."""
        if not (entry.addressable and paths.is_child_of(self._path, entry.path)):
            raise StorageConfigError(
                f"{entry.path!r} is not an addressable entry of '{self.fullpath}'"
            )
        return self._at(entry.path)

    def __truediv__(self, part: str) -> Self:
        """``node / 'name'``: the same as ``node.child('name')``."""
        return self.child(part)
