"""Azure Blob Storage through adlfs, natively async (the Azure SDK's aio client).

The logic is ``genro_storage.backends.azure.AzureLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ...backends.azure import AzureLogic
from .drivers import AsyncDriver

__all__ = ["AsyncAzureBackend"]


class AsyncAzureBackend(AsyncDriver):
    """Azure Blob Storage through adlfs, natively async (the Azure SDK's aio client)."""

    logic_class = AzureLogic
