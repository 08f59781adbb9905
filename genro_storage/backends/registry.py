"""The one table of built-in mount types: which backend class serves each type under the
sync API and under the async API. Modules are imported only when a mount uses them, so a
missing optional extra (s3fs, adlfs, gcsfs) costs nothing until it is needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .._shared.config import MountConfig
from .._shared.named_types import NAMED_FSSPEC_TYPES

__all__ = ["BUILTIN_TYPES", "factory"]

#: type -> (sync backend, async backend), as ``module:Class`` below ``genro_storage``.
BUILTIN_TYPES: dict[str, tuple[str, str]] = {
    "local": ("backends.local:LocalBackend", "async_.backends.local:AsyncLocalBackend"),
    "memory": ("backends.memory:MemoryBackend", "async_.backends.memory:AsyncMemoryBackend"),
    "base64": ("backends.base64:Base64Backend", "async_.backends.base64:AsyncBase64Backend"),
    "s3": ("backends.s3:S3Backend", "async_.backends.s3:AsyncS3Backend"),
    "azure": ("backends.azure:AzureBackend", "async_.backends.azure:AsyncAzureBackend"),
    "gcs": ("backends.gcs:GCSBackend", "async_.backends.gcs:AsyncGCSBackend"),
    "http": ("backends.http:HTTPBackend", "async_.backends.http:AsyncHTTPBackend"),
    "fsspec": ("backends.fsspec:FsspecBackend", "async_.backends.fsspec:AsyncFsspecBackend"),
}
# The named fsspec types of 0.x (smb, sftp, zip, tar, git, github, webdav, libarchive) are
# ``fsspec`` mounts: their configuration arrives translated (``_shared/named_types.py``).
BUILTIN_TYPES.update({name: BUILTIN_TYPES["fsspec"] for name in NAMED_FSSPEC_TYPES})


def factory(type_name: str, asynchronous: bool) -> Callable[[MountConfig], Any]:
    """A callable making the backend of ``type_name`` for one API from a mount config;
    the backend's module is imported on the first call."""
    module_name, _, class_name = BUILTIN_TYPES[type_name][int(asynchronous)].partition(":")

    def make(config: MountConfig) -> Any:
        module = importlib.import_module(f"genro_storage.{module_name}")
        return getattr(module, class_name)(config)

    make.__name__ = class_name
    make.__qualname__ = class_name
    return make
