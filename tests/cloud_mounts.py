"""Mount configurations for the real test servers of ``servers.py``.

``<kind>_mount(server, name, prefix, ...)`` returns the config dict of a mount named
``name`` whose files live under ``prefix`` (unique per test), creating the bucket or
container it needs on first use (once per server and session). Nothing here starts a
server: the session fixtures of ``conftest.py`` do.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.error
from typing import Any

#: Default bucket/container names. The default S3 bucket is not versioned: moto keeps
#: listing a folder whose objects are all deleted in a versioned bucket (it builds the
#: common prefixes from delete markers too); versions tests use ``S3_VERSIONED_BUCKET``.
S3_BUCKET = "genro-storage-test"
S3_VERSIONED_BUCKET = "genro-storage-versioned"
AZURE_CONTAINER = "genro-storage-test"
GCS_BUCKET = "genro-storage-test"

_created: set[tuple[int, str, str]] = set()
_lock = threading.Lock()


def _once(server: Any, kind: str, name: str, create: Any) -> None:
    key = (id(server), kind, name)
    with _lock:
        if key not in _created:
            create()
            _created.add(key)


def ensure_s3_bucket(server: Any, bucket: str = S3_BUCKET, versioned: bool | None = None) -> str:
    """Create ``bucket`` on the S3 server unless already done; versioned when asked, by
    default only ``S3_VERSIONED_BUCKET``."""
    if versioned is None:
        versioned = bucket == S3_VERSIONED_BUCKET

    def create() -> None:
        from botocore.exceptions import ClientError

        try:
            server.create_bucket(bucket, versioned=versioned)
        except ClientError as exc:  # an external S3 may keep it between runs
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
            if versioned:
                server.client().put_bucket_versioning(
                    Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
                )

    _once(server, "s3", bucket, create)
    return bucket


def ensure_azure_container(server: Any, container: str = AZURE_CONTAINER) -> str:
    """Create ``container`` on Azurite unless already done."""

    def create() -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):  # already there
            server.create_container(container)

    _once(server, "azure", container, create)
    return container


def ensure_gcs_bucket(server: Any, bucket: str = GCS_BUCKET) -> str:
    """Create ``bucket`` on the GCS emulator unless already done."""

    def create() -> None:
        try:
            server.create_bucket(bucket)
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already there
                raise

    _once(server, "gcs", bucket, create)
    return bucket


def s3_mount(
    server: Any, name: str, prefix: str, bucket: str = S3_BUCKET, **extra: Any
) -> dict[str, Any]:
    """An ``s3`` mount on ``bucket`` (created if needed) under ``prefix``; pass
    ``bucket=S3_VERSIONED_BUCKET`` for a versioned one."""
    ensure_s3_bucket(server, bucket)
    return {
        "name": name,
        "type": "s3",
        "bucket": bucket,
        "prefix": prefix,
        "endpoint_url": server.endpoint_url,
        "key": server.access_key,
        "secret": server.secret_key,
        "region": server.region,
        **extra,
    }


def azure_mount(
    server: Any, name: str, prefix: str, container: str = AZURE_CONTAINER, **extra: Any
) -> dict[str, Any]:
    """An ``azure`` mount on Azurite's ``container`` under ``prefix``."""
    ensure_azure_container(server, container)
    return {
        "name": name,
        "type": "azure",
        "container": container,
        "prefix": prefix,
        "connection_string": server.connection_string,
        **extra,
    }


def gcs_mount(
    server: Any, name: str, prefix: str, bucket: str = GCS_BUCKET, **extra: Any
) -> dict[str, Any]:
    """A ``gcs`` mount on the emulator's ``bucket`` under ``prefix`` (anonymous)."""
    ensure_gcs_bucket(server, bucket)
    return {
        "name": name,
        "type": "gcs",
        "bucket": bucket,
        "prefix": prefix,
        "endpoint_url": server.endpoint_url,
        "token": "anon",
        "project": server.project,
        **extra,
    }


def http_mount(server: Any, name: str, prefix: str, **extra: Any) -> dict[str, Any]:
    """An ``http`` mount on the folder ``prefix`` of the server's root (created here);
    writable when the server is."""
    (server.root / prefix).mkdir(parents=True, exist_ok=True)
    return {
        "name": name,
        "type": "http",
        "base_url": server.url(prefix),
        "writable": bool(server.writable),
        **extra,
    }


def stdhttp_mount(server: Any, name: str, prefix: str, **extra: Any) -> dict[str, Any]:
    """An ``http`` mount on the folder ``prefix`` of a ``python -m http.server``."""
    (server.root / prefix).mkdir(parents=True, exist_ok=True)
    return {"name": name, "type": "http", "base_url": server.url(prefix), **extra}


def s3_archive_mount(
    server: Any, name: str, mount_type: str, key: str, data: bytes, bucket: str = S3_BUCKET
) -> dict[str, Any]:
    """A ``zip``/``tar``/``libarchive`` mount over an archive stored on S3: ``data`` is
    uploaded as ``key`` and reached through an fsspec URL chained to s3
    (``file: s3://bucket/key`` plus ``target_options`` for the s3 filesystem)."""
    ensure_s3_bucket(server, bucket)
    server.client().put_object(Bucket=bucket, Key=key, Body=data)
    return {
        "name": name,
        "type": mount_type,
        "file": f"s3://{bucket}/{key}",
        "target_options": {
            "endpoint_url": server.endpoint_url,
            "key": server.access_key,
            "secret": server.secret_key,
            "client_kwargs": {"region_name": server.region},
        },
    }
