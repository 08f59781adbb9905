"""Azure Blob Storage through adlfs, natively async (the Azure SDK's aio client).

The logic is ``genro_storage.backends.azure.AzureLogic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ..._shared.sansio import build_methods
from ...backends.azure import AzureLogic
from ...backends.fsspec import LOGIC_METHODS
from .fsspec import AsyncDriver

__all__ = ["AsyncAzureBackend"]


class AsyncAzureBackend(AzureLogic, AsyncDriver):
    """Azure Blob Storage through adlfs, natively async (the Azure SDK's aio client)."""


build_methods(AsyncAzureBackend, LOGIC_METHODS, asynchronous=True)
