"""How a benchmark reaches one S3 server: its connection facts (``Target``), and an
aioboto3 client or an async s3fs filesystem on it, each closed by an exit stack. Shared
by ``s3_libraries.py``, ``run.py``, ``goals.py``, ``explorer_bench.py`` and
``zip_section.py``."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
from botocore.config import Config
from s3fs import S3FileSystem

if TYPE_CHECKING:  # tests/servers.py is on sys.path once harness is imported
    from servers import S3Server


@dataclass
class Target:
    """Where and how to reach one S3 server."""

    endpoint_url: str
    key: str
    secret: str
    region: str
    port: int
    pid: int | None


def target_of(server: S3Server) -> Target:
    """Connection facts of a started :class:`S3Server`."""
    assert server.port is not None
    return Target(
        server.endpoint_url,
        server.access_key,
        server.secret_key,
        server.region,
        server.port,
        server.pid,
    )


async def aioboto3_client(stack: contextlib.AsyncExitStack, t: Target, pool: int | None) -> Any:
    """An aiobotocore S3 client via aioboto3, closed by ``stack``."""
    config = Config(max_pool_connections=pool) if pool else Config()
    return await stack.enter_async_context(
        aioboto3.Session().client(
            "s3",
            endpoint_url=t.endpoint_url,
            aws_access_key_id=t.key,
            aws_secret_access_key=t.secret,
            region_name=t.region,
            config=config,
        )
    )


async def s3fs_fs(
    stack: contextlib.AsyncExitStack, t: Target, pool: int | None, **options: Any
) -> S3FileSystem:
    """An async ``S3FileSystem`` with its own session, closed by ``stack``."""
    fs = S3FileSystem(
        asynchronous=True,
        skip_instance_cache=True,
        **options,
        key=t.key,
        secret=t.secret,
        endpoint_url=t.endpoint_url,
        client_kwargs={"region_name": t.region},
        config_kwargs={"max_pool_connections": pool} if pool else {},
    )
    client = await fs.set_session()
    stack.push_async_callback(client.close)
    return fs
