"""S3 (and S3-compatible servers) through s3fs, natively async (aiobotocore).

The logic is ``genro_storage.backends.s3.S3Logic``, shared with the sync API;
``async_mode: thread`` runs the same logic with the sync filesystem in worker threads.
"""

from __future__ import annotations

from ...backends.s3 import S3Logic
from .drivers import AsyncDriver

__all__ = ["AsyncS3Backend"]


class AsyncS3Backend(AsyncDriver):
    """S3 (and S3-compatible servers) through s3fs, natively async (aiobotocore)."""

    logic_class = S3Logic
