"""Google Cloud Storage through gcsfs, natively async (aiohttp).

The logic is ``genro_storage.backends.gcs.GCSLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ..._shared.sansio import build_methods
from ...backends.fsspec import LOGIC_METHODS
from ...backends.gcs import GCSLogic
from .fsspec import AsyncDriver

__all__ = ["AsyncGCSBackend"]


class AsyncGCSBackend(GCSLogic, AsyncDriver):
    """Google Cloud Storage through gcsfs, natively async (aiohttp)."""


build_methods(AsyncGCSBackend, LOGIC_METHODS, asynchronous=True)
