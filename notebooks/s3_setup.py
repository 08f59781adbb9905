"""Where the tutorials find their S3 server, and throwaway buckets on it.

The notebooks talk to a real S3-compatible server, never to a mock of the protocol:

* With ``GENRO_STORAGE_TEST_S3_ENDPOINT``, ``GENRO_STORAGE_TEST_S3_KEY`` and
  ``GENRO_STORAGE_TEST_S3_SECRET`` set (optionally ``GENRO_STORAGE_TEST_S3_REGION``),
  they use that server: a MinIO of yours, or the moto server that
  ``notebooks/conftest.py`` starts when the notebooks run as tests.
* Without them (you opened a notebook in Jupyter and have no S3 at hand),
  :func:`settings` starts moto's S3 server inside the kernel on a free port of
  127.0.0.1 (``pip install "moto[server]"``); it stops with the kernel. Its request
  log (one line per request, which would print into the cells) is silenced; its
  warnings and errors still show.

Each notebook creates its own bucket with a unique name (:func:`new_bucket`) and
removes it at the end (:func:`drop_bucket`), so a rerun against a long-lived server
never trips over the previous run. genro-storage itself never creates buckets: that is
an administrative act, done here with boto3.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

ENV_ENDPOINT = "GENRO_STORAGE_TEST_S3_ENDPOINT"
ENV_KEY = "GENRO_STORAGE_TEST_S3_KEY"
ENV_SECRET = "GENRO_STORAGE_TEST_S3_SECRET"
ENV_REGION = "GENRO_STORAGE_TEST_S3_REGION"

_in_kernel_server: Any = None


def settings() -> dict[str, str]:
    """``endpoint_url``, ``key``, ``secret`` and ``region`` of the S3 server to use."""
    if not os.environ.get(ENV_ENDPOINT):
        _start_in_kernel_moto()
    try:
        return {
            "endpoint_url": os.environ[ENV_ENDPOINT].rstrip("/"),
            "key": os.environ[ENV_KEY],
            "secret": os.environ[ENV_SECRET],
            "region": os.environ.get(ENV_REGION, "us-east-1"),
        }
    except KeyError as exc:
        raise RuntimeError(f"{ENV_ENDPOINT} is set but {exc.args[0]} is not") from None


def _start_in_kernel_moto() -> None:
    global _in_kernel_server
    from moto.server import ThreadedMotoServer

    quiet_request_log()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _in_kernel_server = server
    os.environ[ENV_ENDPOINT] = f"http://{host}:{port}"
    os.environ.setdefault(ENV_KEY, "testing")
    os.environ.setdefault(ENV_SECRET, "testing")


def quiet_request_log() -> None:
    """Keep the in-kernel server's request lines out of the notebook.

    moto serves with werkzeug, which logs every request at INFO on the ``werkzeug``
    logger and, when that logger has no level, sets INFO and adds a stderr handler: in a
    kernel, stderr is the cell's output. Raising the level to WARNING drops the request
    lines at their source and keeps werkzeug's warnings and errors (a failed request, a
    crashed handler). A level the user set already is left alone.
    """
    logger = logging.getLogger("werkzeug")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


def client() -> Any:
    """A boto3 S3 client for the administrative steps (buckets, versioning)."""
    import boto3

    s3 = settings()
    return boto3.client(
        "s3",
        endpoint_url=s3["endpoint_url"],
        aws_access_key_id=s3["key"],
        aws_secret_access_key=s3["secret"],
        region_name=s3["region"],
    )


def new_bucket(label: str, versioned: bool = False) -> str:
    """Create a bucket named ``genro-<label>-<8 hex digits>`` and return its name."""
    name = f"genro-{label}-{uuid.uuid4().hex[:8]}"
    s3 = client()
    try:
        s3.create_bucket(Bucket=name)
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    finally:
        s3.close()
    return name


def drop_bucket(name: str) -> None:
    """Delete every object version and delete marker of bucket ``name``, then the bucket."""
    s3 = client()
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)
    finally:
        s3.close()
