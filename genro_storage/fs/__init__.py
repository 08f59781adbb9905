"""An fsspec filesystem over every mount of a manager: protocol ``genro``, paths
``mount/path``.

``GenroFileSystem`` (sync) runs on a ``StorageManager``; ``AsyncGenroFileSystem`` is an
fsspec ``AsyncFileSystem`` whose coroutines await an ``AsyncStorageManager``'s nodes.
Both are built only on the public node API, so every mount's permissions apply (a write
to a read-only mount raises ``PermissionError``) and a missing path raises
``FileNotFoundError``.

    storage.fs.ls("")                                   # the mounts
    pd.read_parquet("genro://s3/t.parquet", storage_options={"storage": storage})

Each operation is written once, as a generator that yields node calls (see
``genro_storage.fs.drive``): a sync node's call has already returned its value, an
async node's call is a coroutine that the async driver awaits.
"""

from .asyncfs import AsyncGenroFileSystem
from .drive import PROTOCOL
from .files import AsyncGenroFile, GenroFile
from .syncfs import GenroFileSystem

__all__ = ["PROTOCOL", "AsyncGenroFile", "AsyncGenroFileSystem", "GenroFile", "GenroFileSystem"]
