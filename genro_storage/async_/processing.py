"""``call()``, ``zip()`` and the virtual nodes for the async API: thin faces over the
logic of ``_shared/calls.py``, ``_shared/zipping.py`` and ``_shared/virtual.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from .._shared import calls, zipping
from .._shared.sansio import drive_async
from .._shared.virtual import Concatenation, Difference

if TYPE_CHECKING:
    from .manager import AsyncStorageManager
    from .node import AsyncStorageNode
    from .virtual_nodes import AsyncDiffNode, AsyncIterNode


async def run(*args: Any, return_output: bool = False, **subprocess_kwargs: Any) -> str | None:
    """The async ``call()`` (see ``_shared/calls.py`` for the rules)."""
    from .node import AsyncStorageNode

    plan = calls.CallPlan(AsyncStorageNode, args, return_output, subprocess_kwargs)
    return await drive_async(calls.run_call(plan, calls.run_async))


class AsyncNodeProcessing:
    """``call`` and ``zip`` on ``AsyncStorageNode``."""

    __slots__ = ()

    async def call(
        self, *args: Any, return_output: bool = False, **subprocess_kwargs: Any
    ) -> str | None:
        """Run a command whose node arguments become local files, with
        ``asyncio.create_subprocess_exec``; the same rules as ``StorageNode.call``.
        ``timeout=`` (seconds) or cancelling the task kills the command's whole process
        group and uploads nothing."""
        return await run(*args, return_output=return_output, **subprocess_kwargs)

    @overload
    async def zip(self, dst: None = None) -> bytes: ...
    @overload
    async def zip(self, dst: AsyncStorageNode | str) -> AsyncStorageNode: ...
    async def zip(self, dst: AsyncStorageNode | str | None = None) -> bytes | AsyncStorageNode:
        """A ZIP archive of this file, tree or virtual node: bytes without ``dst``,
        else streamed into ``dst`` in bounded memory (published whole; a cancelled
        call publishes nothing). See ``StorageNode.zip``."""
        node: AsyncStorageNode = self  # type: ignore[assignment]
        if dst is None:
            return await drive_async(zipping.zip_bytes(node))
        return await drive_async(zipping.zip_into(node, node._target(dst)))


class AsyncManagerProcessing:
    """``call``, ``iternode`` and ``diffnode`` on ``AsyncStorageManager``."""

    __slots__ = ()

    async def call(
        self, *args: Any, return_output: bool = False, **subprocess_kwargs: Any
    ) -> str | None:
        """Run a command whose node arguments become local files; see
        ``AsyncStorageNode.call``."""
        return await run(*args, return_output=return_output, **subprocess_kwargs)

    def iternode(self, *nodes: AsyncStorageNode) -> AsyncIterNode:
        """A read-only virtual file: the contents of ``nodes`` one after the other, read
        lazily when it is read, copied or zipped; grow it with ``append``/``extend``."""
        from .node import AsyncStorageNode
        from .virtual_nodes import make_node

        manager: AsyncStorageManager = self  # type: ignore[assignment]
        return make_node(manager, Concatenation(AsyncStorageNode, nodes))  # type: ignore[return-value]

    def diffnode(self, a: AsyncStorageNode, b: AsyncStorageNode) -> AsyncDiffNode:
        """A read-only virtual file: the unified diff from text file ``a`` to ``b``
        (computed when read; both must be UTF-8)."""
        from .node import AsyncStorageNode
        from .virtual_nodes import make_node

        manager: AsyncStorageManager = self  # type: ignore[assignment]
        return make_node(manager, Difference(AsyncStorageNode, a, b))  # type: ignore[return-value]
