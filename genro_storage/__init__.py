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
    StorageUnsupportedError,
)
from ._shared.info import FileInfo, Page, VersionInfo
from ._shared.skip import SkipStrategy
from ._shared.transfer import Progress, StorageTransferError, TransferReport
from .backends.base import StorageBackend
from .manager import StorageManager
from .node import StorageNode

__version__ = "0.1.0"


def _register_fsspec_protocol() -> None:
    """Make ``genro://`` known to fsspec even where the package's entry point is not
    installed (a source checkout). Never replaces another package's ``genro``."""
    import contextlib

    from fsspec.registry import register_implementation

    with contextlib.suppress(ValueError):  # someone else's "genro" came first: theirs stays
        register_implementation("genro", "genro_storage.fs.GenroFileSystem", clobber=False)


_register_fsspec_protocol()

__all__ = [
    "Capabilities",
    "FileInfo",
    "Page",
    "Progress",
    "SkipStrategy",
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
    "StorageUnsupportedError",
    "TransferReport",
    "VersionInfo",
]
