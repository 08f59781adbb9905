"""The exception classes under the module name genro-storage 0.x used
(``from genro_storage.exceptions import StorageNotFoundError``). They are the library's
one hierarchy (``genro_storage._shared.exceptions``); each class also derives from the
builtin that 0.x code catches (``FileNotFoundError``, ``PermissionError``,
``ValueError``...)."""

from ._shared.exceptions import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageIsADirectoryError,
    StorageMountNotFoundError,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUnsupportedError,
)
from ._shared.transfer import StorageTransferError

__all__ = [
    "StorageBackendError",
    "StorageConfigError",
    "StorageError",
    "StorageExistsError",
    "StorageIsADirectoryError",
    "StorageMountNotFoundError",
    "StorageNotFoundError",
    "StoragePermissionError",
    "StorageTransferError",
    "StorageUnsupportedError",
]
