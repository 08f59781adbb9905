"""S3 (and S3-compatible servers) through s3fs, natively async (aiobotocore).

The logic is ``genro_storage.backends.s3.S3Logic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ..._shared.sansio import build_methods
from ...backends.fsspec import LOGIC_METHODS
from ...backends.s3 import S3Logic
from .fsspec import AsyncDriver

__all__ = ["AsyncS3Backend"]


class AsyncS3Backend(S3Logic, AsyncDriver):
    """S3 (and S3-compatible servers) through s3fs, natively async (aiobotocore)."""


build_methods(AsyncS3Backend, LOGIC_METHODS, asynchronous=True)
