"""Google Cloud Storage through gcsfs, natively async (aiohttp).

The logic is ``genro_storage.backends.gcs.GCSLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ...backends.gcs import GCSLogic
from .drivers import AsyncDriver

__all__ = ["AsyncGCSBackend"]


class AsyncGCSBackend(AsyncDriver):
    """Google Cloud Storage through gcsfs, natively async (aiohttp)."""

    logic_class = GCSLogic
