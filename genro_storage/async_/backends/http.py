"""HTTP(S) files through fsspec's HTTPFileSystem, natively async (aiohttp).

The logic is ``genro_storage.backends.http.HTTPLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ..._shared.sansio import build_methods
from ...backends.fsspec import LOGIC_METHODS
from ...backends.http import HTTPLogic
from .fsspec import AsyncDriver

__all__ = ["AsyncHTTPBackend"]


class AsyncHTTPBackend(HTTPLogic, AsyncDriver):
    """HTTP(S) files through fsspec's HTTPFileSystem, natively async (aiohttp)."""


build_methods(AsyncHTTPBackend, LOGIC_METHODS, asynchronous=True)
