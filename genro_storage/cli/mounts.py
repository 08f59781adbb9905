"""Where the mounts come from, and how a command-line path becomes a node (local paths
included)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from ..async_ import AsyncStorageManager, AsyncStorageNode
from .errors import CliError

__all__ = ["ENV_CONFIG", "Mounts", "config_path", "default_config_path", "is_local_spec"]

ENV_CONFIG = "GENRO_STORAGE_CONFIG"


# -- configuration -------------------------------------------------------------------


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/genro-storage/mounts.yaml``, ``~/.config/...`` by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "genro-storage" / "mounts.yaml"


def config_path(option: str | None) -> Path | None:
    """The configuration file to load: ``--config``, else ``$GENRO_STORAGE_CONFIG``, else
    the default file if it exists. A file named explicitly must exist (the library says
    so when it does not); a missing default file means "no mounts configured"."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]).expanduser()
    default = default_config_path()
    return default if default.is_file() else None


# -- mounts and paths ----------------------------------------------------------------


def is_local_spec(spec: str) -> bool:
    """Whether ``spec`` names a local path rather than ``mount:path``: it has no colon,
    or it starts with ``/``, ``./``, ``../`` or ``~`` (or a drive letter on Windows)."""
    if spec in (".", "..") or spec.startswith(("/", "./", "../", "~")):
        return True
    if os.name == "nt" and re.match(r"^(?:[A-Za-z]:)?[\\/]|^\.\.?\\", spec):
        return True
    return ":" not in spec


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement inserting ``text`` as it is (the backslashes of a
    Windows anchor are no group references)."""
    return lambda _match: text


class Mounts:
    """The configured mounts plus implicit local mounts, and how specs become nodes.

    Local paths live on mounts rooted at the filesystem's root (``/``), added on first
    use under a name that no configured mount has (``_local``, ``_local2``...). A path is
    made absolute first, so it never holds ``..`` and cannot leave its root. Sources and
    destinations get two separate local mounts: a local-to-local copy then streams
    through the library's cancellable copy loop instead of one uninterruptible
    store-side copy, so Ctrl-C can abort it.
    """

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self.storage = AsyncStorageManager(config) if config is not None else AsyncStorageManager()
        self._local: dict[tuple[str, str], str] = {}  # (anchor, role) -> mount name
        self._anchor: dict[str, str] = {}  # mount name -> anchor

    async def __aenter__(self) -> Mounts:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.storage.close()

    def node(self, spec: str, role: str = "src") -> AsyncStorageNode:
        """The node ``spec`` names. ``role`` ('src' or 'dst') picks the local mount."""
        if not spec:
            raise CliError("an empty path names nothing")
        if is_local_spec(spec):
            return self._local_node(spec, role)
        mount = spec.partition(":")[0]
        if not self.storage.has_mount(mount) or self.is_implicit(mount):
            known = [m for m in self.storage.mounts if not self.is_implicit(m)]
            raise CliError(
                f"unknown mount '{mount}' in '{spec}' (configured mounts: "
                f"{', '.join(known) or 'none'}; write ./{spec} for a local file)"
            )
        return self.storage.node(spec)

    def _local_node(self, spec: str, role: str) -> AsyncStorageNode:
        full = os.path.abspath(os.path.expanduser(spec))
        anchor = Path(full).anchor or os.sep
        name = self._local.get((anchor, role))
        if name is None:
            name = self._free_name()
            self.storage.add_mount({"name": name, "type": "local", "path": anchor})
            self._local[(anchor, role)] = name
            self._anchor[name] = anchor
        relative = full[len(anchor) :].replace(os.sep, "/")
        return self.storage.node(name, relative) if relative else self.storage.node(name)

    def _free_name(self) -> str:
        taken = set(self.storage.mounts)
        name, n = "_local", 1
        while name in taken:
            n += 1
            name = f"_local{n}"
        return name

    def is_implicit(self, mount: str) -> bool:
        """Whether ``mount`` is one of the local mounts added for local paths."""
        return mount in self._anchor

    def show(self, mount: str, path: str) -> str:
        """How the user writes ``mount:path``: a local path for the implicit mounts."""
        anchor = self._anchor.get(mount)
        if anchor is not None:
            return anchor + path.replace("/", os.sep)
        return f"{mount}:{path}"

    def show_node(self, node: AsyncStorageNode) -> str:
        """How the user writes ``node`` (see :meth:`show`)."""
        return self.show(node.mount, node.path)

    def os_path(self, node: AsyncStorageNode) -> str | None:
        """The OS path of a node on a local mount (to spot symlink loops), else None."""
        anchor = self._anchor.get(node.mount)
        if anchor is not None:
            return anchor + node.path
        config = node.config
        if config.type != "local":
            return None
        root = os.path.abspath(os.path.expanduser(str(config.options["path"])))
        return os.path.join(root, *node.path.split("/")) if node.path else root

    def clean(self, message: str) -> str:
        """``message`` with the implicit mounts' names replaced by local paths."""
        for name, anchor in self._anchor.items():
            quoted = re.escape(name)
            message = re.sub(rf"(?<![\w.-]){quoted}:", _literal(anchor), message)
            message = re.sub(rf"\b[Mm]ount '{quoted}'", "the local filesystem", message)
        return message
