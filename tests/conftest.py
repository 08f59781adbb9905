"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import (
    AzureServer,
    GCSServer,
    HostileHTTPServer,
    HTTPServer,
    S3Server,
    StdlibHTTPServer,
)
from serving_servers import UvicornServer, WSGIRefServer

# ------------------------------------------------------------ real test servers
# Each is started once per session, on a free 127.0.0.1 port, and stopped at the end.


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto S3 server (or the external S3 of GENRO_STORAGE_TEST_S3_*)."""
    with S3Server() as server:
        yield server


@pytest.fixture(scope="session")
def azure_server() -> Iterator[AzureServer]:
    """Azurite blob server with the devstoreaccount1 account."""
    with AzureServer() as server:
        yield server


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[GCSServer]:
    """In-memory gcp-storage-emulator."""
    with GCSServer() as server:
        yield server


@pytest.fixture(scope="session")
def http_server() -> Iterator[HTTPServer]:
    """Read-only aiohttp file server over a temp folder (``http_server.root``)."""
    with HTTPServer() as server:
        yield server


@pytest.fixture(scope="session")
def stdhttp_server() -> Iterator[StdlibHTTPServer]:
    """``python -m http.server`` over a temp folder (``stdhttp_server.root``)."""
    with StdlibHTTPServer() as server:
        yield server


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[HostileHTTPServer]:
    """An aiohttp server that lies (see ``servers.HostileHTTPServer``), on two origins."""
    with HostileHTTPServer() as server:
        yield server


@pytest.fixture(scope="session")
def asgi_server() -> Iterator[UvicornServer]:
    """The serving app under uvicorn (ASGI), on a loopback port (``serving_servers``)."""
    server = UvicornServer().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.alive()


@pytest.fixture(scope="session")
def wsgi_server() -> Iterator[WSGIRefServer]:
    """The serving app under wsgiref (WSGI), on a loopback port (``serving_servers``)."""
    server = WSGIRefServer().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.alive()


# ------------------------------------------------------------ mounts over both APIs
from mounts import api, kind, make_config, open_storage, root  # noqa: E402, F401


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """``s3-fsspec``, ``azure-fsspec``: a kind run on the fsspec engine (``mounts.Kind``)."""
    from mounts import Kind

    return repr(val) if isinstance(val, Kind) else None
