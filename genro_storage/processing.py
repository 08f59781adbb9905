"""``call()``, ``zip()`` and the virtual nodes for the sync API: thin faces over the
logic of ``_shared/calls.py``, ``_shared/zipping.py`` and ``_shared/virtual.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from ._shared import calls, zipping
from ._shared.sansio import drive_sync
from ._shared.virtual import Concatenation, Difference

if TYPE_CHECKING:
    from .manager import StorageManager
    from .node import StorageNode
    from .virtual_nodes import DiffNode, IterNode


def run(*args: Any, return_output: bool = False, **subprocess_kwargs: Any) -> str | None:
    """The sync ``call()`` (see ``_shared/calls.py`` for the rules)."""
    from .node import StorageNode

    plan = calls.CallPlan(StorageNode, args, return_output, subprocess_kwargs)
    return drive_sync(calls.run_call(plan, calls.run_sync))


class NodeProcessing:
    """``call`` and ``zip`` on ``StorageNode``."""

    __slots__ = ()

    def call(self, *args: Any, return_output: bool = False, **subprocess_kwargs: Any) -> str | None:
        """Run a command whose node arguments become local files (0.x signature).

        ``node.call('sort', '-o', out, src)``: ``src`` is copied into a private
        temporary folder, ``out`` is uploaded when the command exits 0 (only then; a
        non-zero exit raises ``subprocess.CalledProcessError`` and changes no store).
        ``return_output=True`` returns stdout as text. Other keywords go to
        ``subprocess.Popen`` (``cwd``, ``env``, ``stdin``, ``stderr``...), plus
        ``timeout=`` (seconds; the command's process group is killed, nothing uploaded)
        and ``input=`` (bytes for stdin). See the guide's "Running tools on nodes".
        """
        return run(*args, return_output=return_output, **subprocess_kwargs)

    @overload
    def zip(self, dst: None = None) -> bytes: ...
    @overload
    def zip(self, dst: StorageNode | str) -> StorageNode: ...
    def zip(self, dst: StorageNode | str | None = None) -> bytes | StorageNode:
        """A ZIP archive of this file, tree or virtual node.

        Without ``dst``: the archive as bytes (0.x). With ``dst`` (a node or
        ``'mount:path'``): the archive is streamed into it in bounded memory and
        published whole; returns the node holding it. Entry names are paths relative to
        this folder; a name unzip tools could read as a path outside it (``\\``, NUL,
        a drive letter) is refused before anything is written.
        """
        node: StorageNode = self  # type: ignore[assignment]
        if dst is None:
            return drive_sync(zipping.zip_bytes(node))
        return drive_sync(zipping.zip_into(node, node._target(dst)))


class ManagerProcessing:
    """``call``, ``iternode`` and ``diffnode`` on ``StorageManager``."""

    __slots__ = ()

    def call(self, *args: Any, return_output: bool = False, **subprocess_kwargs: Any) -> str | None:
        """Run a command whose node arguments become local files; see
        ``StorageNode.call``."""
        return run(*args, return_output=return_output, **subprocess_kwargs)

    def iternode(self, *nodes: StorageNode) -> IterNode:
        """A read-only virtual file: the contents of ``nodes`` one after the other, read
        lazily when it is read, copied or zipped; grow it with ``append``/``extend``."""
        from .node import StorageNode
        from .virtual_nodes import make_node

        manager: StorageManager = self  # type: ignore[assignment]
        return make_node(manager, Concatenation(StorageNode, nodes))  # type: ignore[return-value]

    def diffnode(self, a: StorageNode, b: StorageNode) -> DiffNode:
        """A read-only virtual file: the unified diff from text file ``a`` to ``b``
        (computed when read; both must be UTF-8)."""
        from .node import StorageNode
        from .virtual_nodes import make_node

        manager: StorageManager = self  # type: ignore[assignment]
        return make_node(manager, Difference(StorageNode, a, b))  # type: ignore[return-value]
