"""The async API: ``AsyncStorageManager`` and ``AsyncStorageNode``.

Native async where the backend library is (aiohttp, s3fs/aiobotocore, adlfs, gcsfs),
thread-wrapped where it is not (memory, base64, sync-only fsspec filesystems).
"""

from .._shared.async_utils import run_sync
from .backends.base import AsyncStorageBackend, ThreadBackend
from .manager import AsyncStorageManager
from .node import AsyncFile, AsyncStorageNode, AsyncTextFile

__all__ = [
    "AsyncFile",
    "AsyncStorageBackend",
    "AsyncStorageManager",
    "AsyncStorageNode",
    "AsyncTextFile",
    "ThreadBackend",
    "run_sync",
]
