"""The real test servers of tests/servers.py answer like the services they stand for."""

from __future__ import annotations

import hashlib
import http.client
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from servers import (
    AzureServer,
    GCSServer,
    HostileHTTPServer,
    HTTPServer,
    S3Server,
    StdlibHTTPServer,
    port_is_free,
)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _request(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a request; error statuses are returned, not raised."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def _raw_get(server: HTTPServer, raw_path: str) -> int:
    """Status of a GET sent with ``raw_path`` as is (no client-side normalization)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", raw_path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


# ---------------------------------------------------------------------------- S3


def test_s3_put_get(s3_server: S3Server) -> None:
    bucket = _name("plain")
    s3_server.create_bucket(bucket)
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="dir/a.txt", Body=b"hello s3")
    assert client.get_object(Bucket=bucket, Key="dir/a.txt")["Body"].read() == b"hello s3"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["dir/a.txt"]


def test_s3_versioning(s3_server: S3Server) -> None:
    bucket = _name("versioned")
    s3_server.create_bucket(bucket, versioned=True)
    client = s3_server.client()
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    client.put_object(Bucket=bucket, Key="f.txt", Body=b"v1")
    client.put_object(Bucket=bucket, Key="f.txt", Body=b"v2")
    versions = client.list_object_versions(Bucket=bucket, Prefix="f.txt")["Versions"]
    assert len(versions) == 2
    oldest = next(v for v in versions if not v["IsLatest"])
    body = client.get_object(Bucket=bucket, Key="f.txt", VersionId=oldest["VersionId"])["Body"]
    assert body.read() == b"v1"


# ------------------------------------------------------------------------- Azure


def test_azure_upload_download_metadata(azure_server: AzureServer) -> None:
    assert azure_server.endpoint_url.endswith("/devstoreaccount1")
    assert f"BlobEndpoint={azure_server.endpoint_url};" in azure_server.connection_string
    container = _name("cont")
    azure_server.create_container(container)
    with azure_server.client() as service:
        blob = service.get_blob_client(container, "dir/a.txt")
        blob.upload_blob(b"hello azure", metadata={"owner": "genro"})
        assert blob.download_blob().readall() == b"hello azure"
        assert blob.download_blob(offset=6, length=5).readall() == b"azure"
        props = blob.get_blob_properties()
        assert props.metadata == {"owner": "genro"}
        assert props.size == len(b"hello azure")
        names = [b.name for b in service.get_container_client(container).list_blobs()]
        assert names == ["dir/a.txt"]


# --------------------------------------------------------------------------- GCS


def test_gcs_json_api(gcs_server: GCSServer) -> None:
    bucket = _name("bkt")
    gcs_server.create_bucket(bucket)
    base = gcs_server.endpoint_url
    status, _, _ = _request(
        f"{base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=dir%2Fa.txt",
        method="POST",
        data=b"hello gcs",
        headers={"Content-Type": "text/plain"},
    )
    assert status == 200
    status, _, body = _request(f"{base}/storage/v1/b/{bucket}/o/dir%2Fa.txt?alt=media")
    assert (status, body) == (200, b"hello gcs")
    status, _, _ = _request(f"{base}/storage/v1/b/{bucket}/o/missing?alt=media")
    assert status == 404


def test_gcs_gcsfs(gcs_server: GCSServer) -> None:
    import gcsfs

    bucket = _name("fsbkt")
    gcs_server.create_bucket(bucket)
    # Without this (set by servers.py before gcsfs is imported) each call stalls ~60 s.
    assert os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] == "false"
    fs = gcsfs.GCSFileSystem(endpoint_url=gcs_server.endpoint_url, token="anon")
    fs.pipe(f"{bucket}/dir/a.txt", b"hello gcsfs")
    assert fs.cat(f"{bucket}/dir/a.txt") == b"hello gcsfs"
    assert fs.cat_file(f"{bucket}/dir/a.txt", start=6, end=11) == b"gcsfs"
    assert fs.ls(f"{bucket}/dir") == [f"{bucket}/dir/a.txt"]
    info = fs.info(f"{bucket}/dir/a.txt")
    assert info["size"] == 11 and info["type"] == "file"
    fs.rm(f"{bucket}/dir/a.txt")
    fs.invalidate_cache()
    assert not fs.exists(f"{bucket}/dir/a.txt")


def test_gcs_concurrent_clients(gcs_server: GCSServer) -> None:
    """The raised listen backlog lets many clients connect at once without stalling."""

    # The listening socket's backlog, as the kernel reports it (Send-Q of a LISTEN row);
    # with http.server's default of 5, bursts of clients see dropped SYNs and 1 s stalls.
    listing = subprocess.run(
        ["ss", "-ltnH", f"sport = :{gcs_server.port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert listing[0] == "LISTEN" and int(listing[2]) >= 128

    def ping(_: int) -> int:
        return _request(gcs_server.endpoint_url + "/")[0]

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(ping, range(300)))
    assert statuses == [200] * 300


# -------------------------------------------------------------------------- HTTP


@pytest.fixture
def http_file(http_server: HTTPServer) -> tuple[str, bytes]:
    """A fresh file in the session HTTP server's root: (relative path, content)."""
    assert http_server.root is not None
    rel = f"{_name('d')}/data.bin"
    content = bytes(range(256)) * 4
    (http_server.root / rel).parent.mkdir()
    (http_server.root / rel).write_bytes(content)
    return rel, content


def test_http_get_and_head(http_server: HTTPServer, http_file: tuple[str, bytes]) -> None:
    rel, content = http_file
    status, headers, body = _request(http_server.url(rel))
    assert (status, body) == (200, content)
    etag = f'"{hashlib.md5(content).hexdigest()}"'
    assert headers["ETag"] == etag
    status, headers, body = _request(http_server.url(rel), method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(content))
    assert headers["ETag"] == etag
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Last-Modified"].endswith(" GMT")


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [("10-19", 10, 20), ("1000-", 1000, 1024), ("-24", 1000, 1024), ("1020-5000", 1020, 1024)],
)
def test_http_range(
    http_server: HTTPServer, http_file: tuple[str, bytes], spec: str, start: int, end: int
) -> None:
    rel, content = http_file
    status, headers, body = _request(http_server.url(rel), headers={"Range": f"bytes={spec}"})
    assert status == 206
    assert body == content[start:end]
    assert headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(content)}"
    assert headers["Content-Length"] == str(end - start)


def test_http_errors(http_server: HTTPServer, http_file: tuple[str, bytes]) -> None:
    rel, content = http_file
    status, headers, _ = _request(http_server.url(rel), headers={"Range": "bytes=5000-5010"})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(content)}"
    assert _request(http_server.url("no/such/file"))[0] == 404
    assert _raw_get(http_server, "/../../etc/passwd") == 403
    assert _raw_get(http_server, "/%2e%2e/%2e%2e/etc/passwd") == 403
    assert _raw_get(http_server, f"/{rel.split('/')[0]}/../../x") == 403


def test_http_read_only_refuses_writes(http_server: HTTPServer) -> None:
    assert _request(http_server.url("new.txt"), method="PUT", data=b"x")[0] == 405
    assert _request(http_server.url("new.txt"), method="DELETE")[0] == 405
    assert http_server.root is not None and not (http_server.root / "new.txt").exists()


def test_http_listing_with_fsspec(http_server: HTTPServer, http_file: tuple[str, bytes]) -> None:
    import fsspec

    rel, content = http_file
    folder = rel.split("/")[0]
    assert http_server.root is not None
    (http_server.root / folder / "sub").mkdir()
    fs = fsspec.filesystem("http")
    listing = fs.ls(http_server.url(folder + "/"), detail=False)
    assert sorted(listing) == [
        http_server.url(f"{folder}/data.bin"),
        http_server.url(f"{folder}/sub/"),
    ]
    assert fs.cat_file(http_server.url(rel), start=4, end=8) == content[4:8]
    assert fs.info(http_server.url(rel))["size"] == len(content)


def test_http_writable(tmp_path: Path) -> None:
    with HTTPServer(root=tmp_path, writable=True) as server:
        status, _, _ = _request(server.url("a/b.txt"), method="PUT", data=b"one")
        assert status == 201
        assert (tmp_path / "a" / "b.txt").read_bytes() == b"one"
        assert _request(server.url("a/b.txt"), method="PUT", data=b"two")[0] == 204
        assert _request(server.url("a/b.txt"))[2] == b"two"
        assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]  # no temp leftovers
        assert _request(server.url("a/b.txt"), method="DELETE")[0] == 204
        assert _request(server.url("a/b.txt"), method="DELETE")[0] == 404
        assert _request(server.url("a/b.txt"))[0] == 404
    assert tmp_path.exists()  # a root given by the caller is left in place


def test_http_latency(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    with HTTPServer(root=tmp_path, latency=0.2) as server:
        t0 = time.monotonic()
        assert _request(server.url("f"))[0] == 200
        assert time.monotonic() - t0 >= 0.2


# --------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize(
    "server_class",
    [S3Server, AzureServer, GCSServer, HTTPServer, StdlibHTTPServer, HostileHTTPServer],
)
def test_stop_leaves_nothing_behind(server_class: type) -> None:
    # a fresh moto even when the run uses an external (or the notebooks') S3 server
    options = {"use_environment": False} if server_class is S3Server else {}
    server = server_class(**options).start()
    port, data_dir = server.port, server.data_dir
    assert port is not None and data_dir is not None and data_dir.is_dir()
    assert not port_is_free(port)
    ports = [port]
    if isinstance(server, HostileHTTPServer):  # its second origin
        ports.append(int(server.other_url.rsplit(":", 1)[1]))
    assert not any(port_is_free(p) for p in ports)
    pid = getattr(server, "pid", None)
    family: list[psutil.Process] = []
    if pid is not None:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    server.stop()
    assert all(port_is_free(p) for p in ports)
    assert not data_dir.exists()
    for proc in family:
        assert not proc.is_running(), f"{proc} still running"
    if isinstance(server, HTTPServer):
        assert server.thread is not None and not server.thread.is_alive()
    server.stop()  # idempotent
