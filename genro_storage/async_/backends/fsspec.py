"""The generic ``fsspec`` type under the async API: native when the filesystem
implements asyncio (``_cat_file`` of its own), else thread-wrapped."""

from __future__ import annotations

from ...backends.fsspec import FsspecLogic
from .drivers import AsyncDriver

__all__ = ["AsyncFsspecBackend"]


class AsyncFsspecBackend(AsyncDriver):
    """Any fsspec filesystem, async API."""

    logic_class = FsspecLogic
