"""genro-storage: one mount-point API over local disk, memory, base64, S3, Azure Blob,
GCS, HTTP and any fsspec filesystem.

The sync API lives here; the async API is ``genro_storage.async_``.
"""

from ._shared.capabilities import Capabilities
from ._shared.exceptions import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    StoragePermissionError,
)
from ._shared.info import FileInfo, Page, VersionInfo
from ._shared.operations import Progress, StorageTransferError, TransferReport
from .backends.base import StorageBackend
from .manager import StorageManager
from .node import StorageNode

__version__ = "0.1.0"

__all__ = [
    "Capabilities",
    "FileInfo",
    "Page",
    "Progress",
    "StorageBackend",
    "StorageBackendError",
    "StorageConfigError",
    "StorageError",
    "StorageExistsError",
    "StorageManager",
    "StorageNode",
    "StorageNotFoundError",
    "StoragePermissionError",
    "StorageTransferError",
    "TransferReport",
    "VersionInfo",
]
