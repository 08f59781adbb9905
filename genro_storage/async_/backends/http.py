"""HTTP(S) files through fsspec's HTTPFileSystem, natively async (aiohttp).

The logic is ``genro_storage.backends.http.HTTPLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ...backends.http import HTTPLogic
from .drivers import AsyncDriver

__all__ = ["AsyncHTTPBackend"]


class AsyncHTTPBackend(AsyncDriver):
    """HTTP(S) files through fsspec's HTTPFileSystem, natively async (aiohttp)."""

    logic_class = HTTPLogic
