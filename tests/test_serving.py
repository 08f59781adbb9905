"""Serving over HTTP (``genro_storage.serving``): one file (``node.serve``) and whole mounts
(``storage.wsgi_app``/``storage.asgi_app``), under a real ASGI server (uvicorn) and a
real WSGI server (wsgiref), over memory, local and S3 (moto) mounts.

Requests go over real sockets with ``http.client`` (which sends a path exactly as
written, so that traversal attempts reach the server unchanged), and through this
library's own ``http`` mount: the round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import re
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memwatch import PeakRSS
from mounts import test_node
from serving_servers import HOST, UvicornServer, WSGIRefServer

from genro_storage import StorageConfigError, StorageManager
from genro_storage.async_ import AsyncStorageManager
from genro_storage.serving import asgi_app, rules, serve_asgi, serve_wsgi, wsgi_app
from genro_storage.serving.rules import UNSATISFIABLE, Request, Span

KINDS = ["memory", "local", "s3"]
BIG = 2 * rules.CHUNK + 12345  # more than two chunks: streaming and ranges cross them


def pattern(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


# ------------------------------------------------------------------ servers and clients


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        assert self.header("content-type") == "application/json", self.headers
        return json.loads(self.body)


def fetch(
    url: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Resp:
    """One request with the path sent exactly as given (only non-ASCII characters are
    percent-encoded, as UTF-8)."""
    path = "".join(c if c.isascii() else urllib.parse.quote(c) for c in path)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        sent = dict(headers or {})
        if body is not None:
            sent.setdefault("Content-Length", str(len(body)))
        for name, value in sent.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return Resp(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


class Served:
    """Puts applications on the session's server (one slot) and closes their managers."""

    def __init__(self, server: Any, flavour: str, token: str | None = None) -> None:
        self.server = server
        self.flavour = flavour
        self.url = server.url
        self._managers: list[Any] = []

    def _manager(self, configs: Any) -> Any:
        manager = (
            AsyncStorageManager(configs) if self.flavour == "asgi" else StorageManager(configs)
        )
        self._managers.append(manager)
        return manager

    def mounts(self, configs: Any, **kwargs: Any) -> str:
        """Serve whole mounts; the server's URL."""
        storage = self._manager(configs)
        if self.flavour == "asgi":
            self.server.app = storage.asgi_app(**kwargs)
        else:
            self.server.app = storage.wsgi_app(**kwargs)
        return self.url

    def file(self, configs: Any, spec: str, **options: Any) -> str:
        """Serve one node (``node.serve``) at every path; the server's URL."""
        node = self._manager(configs).node(spec)
        if self.flavour == "asgi":

            async def app(scope: Any, receive: Any, send: Any) -> None:
                await node.serve(scope, receive, send, **options)

            self.server.app = app
        else:
            self.server.app = lambda environ, start: node.serve(environ, start, **options)
        return self.url

    def wrap(self, wrapper: Callable[[Any], Any]) -> None:
        """Put the current application inside ``wrapper`` (a prefix, a framework)."""
        self.server.app = wrapper(self.server.app)

    def close(self) -> None:
        # A client that stops reading early (a ranged read, a file closed after a few
        # bytes) leaves the server streaming until its next write fails: wait for every
        # request to end before the managers close under it.
        self.server.wait_idle(self.server.started)
        self.server.app = None
        for manager in self._managers:
            if isinstance(manager, AsyncStorageManager):
                self.server.run(manager.close())
            else:
                manager.close()


@pytest.fixture(params=["asgi", "wsgi"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    server = request.getfixturevalue(f"{request.param}_server")
    helper = Served(server, request.param)
    try:
        yield helper
    finally:
        helper.close()


@pytest.fixture(params=KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def config(store_kind: str, make_config: Callable[..., dict]) -> dict[str, Any]:
    """A fresh mount 'm' of ``store_kind``."""
    return make_config(store_kind)


@pytest.fixture
def store(config: dict[str, Any]) -> Iterator[StorageManager]:
    """A sync manager over the same files as the served mount: seeds and checks."""
    with StorageManager([config]) as manager:
        yield manager


def clean(resp: Resp, config: dict[str, Any]) -> None:
    """No secret and no path of the server's disk in an answer."""
    text = resp.body.decode("latin-1") + json.dumps(resp.headers)
    for key in ("secret", "key", "path", "endpoint_url", "bucket", "prefix"):
        secret = config.get(key)
        if secret:
            assert str(secret) not in text
    assert "Traceback" not in text


# ------------------------------------------------------------------ files: validators


def test_get_and_head_send_validators_and_the_bytes(served, config, store):
    store.node("m:docs/a.txt").write_bytes(b"hello world")
    url = served.mounts([config])
    got = fetch(url, "GET", "/m/docs/a.txt")
    assert got.status == 200 and got.body == b"hello world"
    assert got.header("content-length") == "11"
    assert got.header("content-type") == "text/plain"
    assert got.header("accept-ranges") == "bytes"
    assert got.header("x-content-type-options") == "nosniff"
    etag = got.header("etag")
    assert etag and etag.startswith('"') and etag.endswith('"')
    assert got.header("last-modified")
    assert got.header("cache-control") is None
    head = fetch(url, "HEAD", "/m/docs/a.txt")
    assert head.status == 200 and head.body == b""
    assert head.header("etag") == etag and head.header("content-length") == "11"
    info = store.node("m:docs/a.txt").info()
    if info.etag or info.md5:  # S3: the store's own ETag
        assert etag.strip('"') in (info.etag, info.md5)


def test_if_none_match_and_if_modified_since_answer_304(served, config, store):
    store.node("m:a.bin").write_bytes(b"x" * 100)
    url = served.mounts([config])
    first = fetch(url, "GET", "/m/a.bin")
    etag, modified = first.header("etag"), first.header("last-modified")
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = fetch(url, "GET", "/m/a.bin", {"If-None-Match": value})
        assert again.status == 304 and again.body == b"", value
        assert again.header("etag") == etag
        assert again.header("content-length") in (None, "0")
    head = fetch(url, "HEAD", "/m/a.bin", {"If-None-Match": etag})
    assert head.status == 304
    other = fetch(url, "GET", "/m/a.bin", {"If-None-Match": '"something-else"'})
    assert other.status == 200 and other.body == b"x" * 100
    since = fetch(url, "GET", "/m/a.bin", {"If-Modified-Since": modified})
    assert since.status == 304
    # If-None-Match wins over If-Modified-Since when both are sent.
    both = fetch(
        url, "GET", "/m/a.bin", {"If-None-Match": '"other"', "If-Modified-Since": modified}
    )
    assert both.status == 200
    old = fetch(url, "GET", "/m/a.bin", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert old.status == 200
    # A new content is a new ETag: the old one no longer matches.
    store.node("m:a.bin").write_bytes(b"y" * 101)
    changed = fetch(url, "GET", "/m/a.bin", {"If-None-Match": etag})
    assert changed.status == 200 and changed.body == b"y" * 101
    assert changed.header("etag") != etag


# ------------------------------------------------------------------ files: ranges


def test_ranges_answer_206_and_416(served, config, store):
    data = pattern(BIG)
    store.node("m:big.bin").write_bytes(data)
    url = served.mounts([config])
    size = len(data)
    cases = {
        "bytes=2-4": (2, 5),
        "bytes=-3": (size - 3, size),
        f"bytes={size - 10}-": (size - 10, size),
        "bytes=0-": (0, size),
        f"bytes=10-{size * 2}": (10, size),  # the end is clamped
        f"bytes={rules.CHUNK - 5}-{rules.CHUNK * 2 + 5}": (rules.CHUNK - 5, rules.CHUNK * 2 + 6),
        f"bytes=-{size * 3}": (0, size),
    }
    for header, (start, end) in cases.items():
        got = fetch(url, "GET", "/m/big.bin", {"Range": header})
        assert got.status == 206, header
        assert got.body == data[start:end], header
        assert got.header("content-range") == f"bytes {start}-{end - 1}/{size}"
        assert got.header("content-length") == str(end - start)
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0"):
        got = fetch(url, "GET", "/m/big.bin", {"Range": header})
        assert got.status == 416, header
        assert got.header("content-range") == f"bytes */{size}"
        assert got.json()["error"] == "range_not_satisfiable"
    # Ignored: several ranges, another unit, nonsense, an inverted range.
    for header in ("bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=9-2"):
        got = fetch(url, "GET", "/m/big.bin", {"Range": header})
        assert got.status == 200 and got.body == data, header
    whole = fetch(url, "GET", "/m/big.bin")
    assert whole.status == 200 and whole.body == data
    etag = whole.header("etag")
    fresh = fetch(url, "GET", "/m/big.bin", {"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status == 206 and fresh.body == data[:10]
    stale = fetch(url, "GET", "/m/big.bin", {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert stale.status == 200 and stale.body == data
    head = fetch(url, "HEAD", "/m/big.bin", {"Range": "bytes=0-9"})
    assert head.status == 206 and head.body == b"" and head.header("content-length") == "10"


def test_an_empty_file_serves_and_refuses_ranges(served, config, store):
    store.node("m:empty.txt").write_bytes(b"")
    url = served.mounts([config])
    got = fetch(url, "GET", "/m/empty.txt")
    assert got.status == 200 and got.body == b"" and got.header("content-length") == "0"
    assert fetch(url, "GET", "/m/empty.txt", {"Range": "bytes=0-"}).status == 416


# ------------------------------------------------------------------ one node: node.serve


NAME = 'résumé "final"; ☕\r\nX-Injected: 1 %41.pdf'


def _disposition_name(value: str) -> str:
    """The name an RFC 6266 client reads: ``filename*`` (UTF-8, percent-encoded), after
    checking that ``filename`` is a plain ASCII quoted string."""
    fallback = re.search(r'filename="([^"\\]*)"', value)
    assert fallback is not None and fallback.group(1).isascii(), value
    encoded = re.search(r"filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]+)(?:;|$)", value)
    assert encoded is not None, value
    return urllib.parse.unquote(encoded.group(1), errors="strict")


def test_node_serve_with_download_name_and_cache(served, config, store):
    store.node("m:report.pdf").write_bytes(b"%PDF-1.4 fake")
    url = served.file([config], "m:report.pdf", download=True, download_name=NAME, cache_max_age=60)
    got = fetch(url, "GET", "/anything")
    assert got.status == 200 and got.body == b"%PDF-1.4 fake"
    assert got.header("content-type") == "application/pdf"
    assert got.header("cache-control") == "max-age=60"
    disposition = got.header("content-disposition")
    assert disposition.startswith("attachment; filename=")
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    assert "x-injected" not in got.headers
    assert _disposition_name(disposition) == NAME.replace("\r\n", "")
    ranged = fetch(url, "GET", "/", {"Range": "bytes=0-3"})
    assert ranged.status == 206 and ranged.body == b"%PDF"
    assert ranged.header("content-disposition") == disposition
    etag = got.header("etag")
    cached = fetch(url, "GET", "/", {"If-None-Match": etag})
    assert cached.status == 304 and cached.header("cache-control") == "max-age=60"
    assert fetch(url, "POST", "/", body=b"x").status == 405


def test_node_serve_download_uses_the_node_name(served, config, store):
    store.node("m:dir/données.csv").write_bytes(b"a,b\n")
    url = served.file([config], "m:dir/données.csv", download=True)
    got = fetch(url, "GET", "/")
    assert _disposition_name(got.header("content-disposition")) == "données.csv"
    assert 'filename="donnees.csv"' in got.header("content-disposition")
    plain = served.file([config], "m:dir/données.csv")
    assert "content-disposition" not in fetch(plain, "GET", "/").headers


def test_node_serve_answers_404_for_a_missing_file_or_a_folder(served, config, store):
    store.node("m:dir/x.txt").write_bytes(b"x")
    for spec in ("m:nothing.txt", "m:dir"):
        url = served.file([config], spec)
        got = fetch(url, "GET", "/")
        assert got.status == 404 and got.json()["error"] == "not_found"
        clean(got, config)
        assert fetch(url, "HEAD", "/").status == 404


def test_serve_checks_its_arguments(make_config):
    config = make_config("memory")
    sync = StorageManager([config])
    node = sync.node("m:a")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    for bad in ({"cache_max_age": -1}, {"cache_max_age": "60"}, {"download": "yes"}):
        with pytest.raises(StorageConfigError):
            serve_wsgi(node, environ, lambda *a: None, **bad)
    with pytest.raises(StorageConfigError, match="download_name"):
        serve_wsgi(node, environ, lambda *a: None, download_name=b"x")
    anode = AsyncStorageManager([config]).node("m:a")
    with pytest.raises(TypeError, match="StorageNode"):
        serve_wsgi(anode, environ, lambda *a: None)
    with pytest.raises(TypeError, match="AsyncStorageManager"):
        asgi_app(sync)
    with pytest.raises(TypeError, match="StorageManager"):
        wsgi_app(AsyncStorageManager([config]))
    with pytest.raises(StorageConfigError, match="token"):
        wsgi_app(sync, token="")
    with pytest.raises(StorageConfigError, match="token"):
        wsgi_app(sync, token="has space")
    with pytest.raises(StorageConfigError, match="writable"):
        wsgi_app(sync, writable="yes")
    with pytest.raises(StorageConfigError, match="nope"):
        wsgi_app(sync, mounts=["nope"])
    app = wsgi_app(sync, token="s3cr3t-token")
    assert "s3cr3t-token" not in repr(app) and "token=yes" in repr(app)


async def test_serve_asgi_checks_its_node(make_config):
    sync = StorageManager([make_config("memory")])
    with pytest.raises(TypeError, match="AsyncStorageNode"):
        await serve_asgi(sync.node("m:a"), {"type": "http"}, None, None)  # type: ignore[arg-type]


# ------------------------------------------------------------------ folders


def test_folder_redirects_then_lists_json_pages(served, config, store):
    names = [f"f{i:02d}.txt" for i in range(7)]
    for name in names:
        store.node(f"m:dir/{name}").write_bytes(name.encode())
    store.node("m:dir/sub/inner.txt").write_bytes(b"i")
    url = served.mounts([config])
    moved = fetch(url, "GET", "/m/dir?page_size=3")
    assert moved.status == 301 and moved.header("location") == "dir/?page_size=3"
    assert fetch(url, "GET", "/m").header("location") == "m/"
    seen: list[str] = []
    kinds: dict[str, str] = {}
    path = "/m/dir/?page_size=3"
    pages = 0
    while True:
        page = fetch(url, "GET", path).json()
        pages += 1
        assert page["mount"] == "m" and page["path"] == "dir"
        assert len(page["entries"]) <= 3
        for entry in page["entries"]:
            seen.append(entry["name"])
            kinds[entry["name"]] = entry["type"]
            assert entry["path"] == f"dir/{entry['name']}"
        if page["cursor"] is None:
            assert page["next"] is None
            break
        assert page["next"].startswith("?")
        path = "/m/dir/" + page["next"]
    assert seen == sorted([*names, "sub"]) and pages == 3
    assert kinds["sub"] == "directory" and kinds["f00.txt"] == "file"
    root = fetch(url, "GET", "/").json()
    assert [e["name"] for e in root["entries"]] == ["m"]
    assert fetch(url, "GET", "/m/").json()["entries"][0]["name"] == "dir"
    assert fetch(url, "GET", "/m/missing/").status == 404
    assert fetch(url, "GET", "/m/dir/f00.txt/").status == 404
    for bad in ("0", "-1", "abc", str(rules.MAX_PAGE_SIZE + 1)):
        got = fetch(url, "GET", f"/m/dir/?page_size={bad}")
        assert got.status == 400, bad
    head = fetch(url, "HEAD", "/m/dir/")
    assert head.status == 200 and head.body == b""


def test_html_index_for_browsers(served, config, store):
    store.node("m:d/a b.txt").write_bytes(b"12345")
    store.node("m:d/<script>.txt").write_bytes(b"1")
    store.node("m:d/sub/x").write_bytes(b"1")
    url = served.mounts([config])
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    got = fetch(url, "GET", "/m/d/", {"Accept": browser})
    assert got.status == 200
    assert got.header("content-type") == "text/html; charset=utf-8"
    assert "default-src 'none'" in got.header("content-security-policy")
    page = got.body.decode()
    assert "<title>Index of /m/d/</title>" in page
    assert '<a href="a%20b.txt">a b.txt</a>' in page and " 5\n" in page
    assert '<a href="sub/">sub/</a>' in page
    assert "<script>" not in page and "&lt;script&gt;.txt" in page
    for accept in ("*/*", "application/json", "text/html;q=0.5, application/json"):
        assert fetch(url, "GET", "/m/d/", {"Accept": accept}).json()["path"] == "d"
    assert fetch(url, "GET", "/m/d/?format=html").header("content-type").startswith("text/html")
    assert fetch(url, "GET", "/m/d/?format=json", {"Accept": browser}).json()["path"] == "d"
    root = fetch(url, "GET", "/", {"Accept": browser})
    assert b'<a href="m/">m/</a>' in root.body


# ------------------------------------------------------------------ the round trip


@pytest.fixture
def http_client(open_storage: Callable[..., Any]) -> Callable[..., Any]:
    """``http_client(base_url, **extra)``: the root node of an ``http`` mount, in the
    test's API (sync nodes wrapped with the async vocabulary)."""

    def make(base_url: str, **extra: Any) -> Any:
        manager = open_storage([{"name": "h", "type": "http", "base_url": base_url, **extra}])
        return test_node(manager, "h:")

    return make


#: No header is needed: an ``http`` mount asks for HTML when it lists a folder.
HTML: dict[str, str] = {}


async def test_an_http_mount_reads_a_served_mount(served, config, store, http_client, api):
    data = pattern(BIG)
    store.node("m:data/big.bin").write_bytes(data)
    store.node("m:data/café +%41.txt").write_bytes(b"accents")
    store.node("m:data/sub/deep.txt").write_bytes(b"deep")
    url = served.mounts([config])
    root = http_client(f"{url}/m", headers=HTML)
    big = root.child("data/big.bin")
    assert await big.size() == len(data)
    assert await big.read_bytes() == data
    assert await big.read_range(5, 25) == data[5:25]
    assert await big.read_range(rules.CHUNK - 3, rules.CHUNK + 3) == data[rules.CHUNK - 3 :][:6]
    assert await big.read_range(len(data) - 4) == data[-4:]
    assert await big.read_range(len(data) + 10, len(data) + 20) == b""
    assert await big.md5hash() == hashlib.md5(data).hexdigest()
    accents = root.child_named("data").child_named("café +%41.txt")
    assert await accents.read_bytes() == b"accents"
    assert await root.child("data").isdir() and await root.child("data/sub").isdir()
    assert not await root.child("data/big.bin").isdir()
    page = await root.child("data").list()
    listed = {(e.name, e.type, e.size) for e in page.entries}
    assert listed == {
        ("big.bin", "file", len(data)),
        ("café +%41.txt", "file", 7),
        ("sub", "directory", None),
    }
    assert not await root.child("data/none.txt").exists()
    async with big.open("rb") as f:
        assert await f.read(10) == data[:10]


async def test_an_http_mount_writes_a_writable_served_mount(
    served, config, store, http_client, api
):
    url = served.mounts([config], writable=True)
    root = http_client(f"{url}/m", headers=HTML, writable=True)
    data = pattern(rules.CHUNK + 99)
    await root.child("up/new.bin").write_bytes(data)
    assert store.node("m:up/new.bin").read_bytes() == data
    await root.child("up/new.bin").write_bytes(b"replaced")
    assert store.node("m:up/new.bin").read_bytes() == b"replaced"
    async with root.child("up/streamed.txt").open("wb") as f:
        await f.write(b"one ")
        await f.write(b"two")
    assert store.node("m:up/streamed.txt").read_text() == "one two"
    await root.child("up/new.bin").delete()
    assert not store.node("m:up/new.bin").exists
    await root.child("up").delete(recursive=True)
    assert not store.node("m:up/streamed.txt").exists


async def test_the_round_trip_with_a_token(served, config, store, http_client, api):
    store.node("m:t.txt").write_bytes(b"guarded")
    url = served.mounts([config], token="tok-123")
    good = http_client(f"{url}/m", headers={**HTML, "Authorization": "Bearer tok-123"})
    assert await good.child("t.txt").read_bytes() == b"guarded"
    assert [e.name for e in (await good.list()).entries] == ["t.txt"]
    bad = http_client(f"{url}/m", headers={"Authorization": "Bearer wrong"})
    with pytest.raises(PermissionError):
        await bad.child("t.txt").read_bytes()


# ------------------------------------------------------------------ writes


def test_put_and_delete_when_writable(served, config, store):
    url = served.mounts([config], writable=True)
    created = fetch(url, "PUT", "/m/new/é.txt", body=b"first")
    assert created.status == 201
    assert created.json() == {"mount": "m", "path": "new/é.txt", "size": 5}
    assert store.node("m:new/é.txt").read_bytes() == b"first"
    replaced = fetch(url, "PUT", "/m/new/é.txt", body=b"second!")
    assert replaced.status == 200 and replaced.json()["size"] == 7
    assert store.node("m:new/é.txt").read_bytes() == b"second!"
    assert fetch(url, "PUT", "/m/new", body=b"x").status == 409  # a folder is there
    assert fetch(url, "PUT", "/m/made/", body=b"").status == 201
    assert fetch(url, "PUT", "/m/made2/", body=b"not empty").status == 400
    assert fetch(url, "DELETE", "/m/new").status == 409  # not empty
    assert fetch(url, "DELETE", "/m/new/é.txt/").status == 404
    gone = fetch(url, "DELETE", "/m/new/é.txt")
    assert gone.status == 204 and gone.body == b""
    assert not store.node("m:new/é.txt").exists
    assert fetch(url, "DELETE", "/m/new/é.txt").status == 204  # nothing there: as S3 says
    store.node("m:tree/a/b.txt").write_bytes(b"b")
    assert fetch(url, "DELETE", "/m/tree?recursive=1").status == 204
    assert not store.node("m:tree/a/b.txt").exists
    assert fetch(url, "DELETE", "/m/").status == 403  # never the mount's root
    assert fetch(url, "PUT", "/", body=b"x").status == 405
    assert fetch(url, "PATCH", "/m/x", body=b"x").status == 405


def test_writes_are_refused_unless_writable_and_permitted(served, config, store, make_config):
    store.node("m:keep.txt").write_bytes(b"keep")
    url = served.mounts([config])  # writable=False
    for method, body in (("PUT", b"new"), ("DELETE", None)):
        got = fetch(url, method, "/m/keep.txt", body=body)
        assert got.status == 403 and got.json()["error"] == "forbidden", method
    assert fetch(url, "PUT", "/m/other.txt", body=b"x").status == 403
    assert store.node("m:keep.txt").read_bytes() == b"keep"
    assert not store.node("m:other.txt").exists
    readonly = {**config, "permissions": "readonly"}
    url = served.mounts([readonly], writable=True)
    assert fetch(url, "PUT", "/m/keep.txt", body=b"new").status == 403
    assert fetch(url, "DELETE", "/m/keep.txt").status == 403
    assert fetch(url, "PUT", "/m/dir/", body=b"").status == 403
    readwrite = {**config, "permissions": "readwrite"}
    url = served.mounts([readwrite], writable=True)
    assert fetch(url, "PUT", "/m/keep.txt", body=b"new").status == 200
    assert fetch(url, "DELETE", "/m/keep.txt").status == 403
    assert store.node("m:keep.txt").read_bytes() == b"new"


def _cut_upload(url: str, path: str, announced: int, sent: bytes) -> None:
    """A PUT that announces ``announced`` bytes, sends ``sent`` and hangs up."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = f"PUT {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {announced}\r\n\r\n"
        sock.sendall(head.encode() + sent)
        sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):  # whatever the server answers, until it closes
            while sock.recv(65536):
                pass


def test_an_interrupted_upload_publishes_nothing(served, config, store):
    store.node("m:old.bin").write_bytes(b"old content")
    url = served.mounts([config], writable=True)
    before = served.server.started
    _cut_upload(url, "/m/old.bin", 5 * rules.CHUNK, pattern(rules.CHUNK + 10))
    _cut_upload(url, "/m/fresh.bin", 5000, b"partial")
    served.server.wait_idle(before + 2)  # both handled to their end
    assert store.node("m:old.bin").read_bytes() == b"old content"
    assert not store.node("m:fresh.bin").exists
    assert fetch(url, "GET", "/m/").json()["entries"][0]["name"] == "old.bin"
    assert [e.name for e in store.node("m:").list().entries] == ["old.bin"]


MiB = 1024 * 1024
HUGE = 192 * MiB  # three times the memory ceiling below


def test_big_files_stream_in_bounded_memory(served, make_config):
    """A download and an upload of 192 MiB through either server hold a few chunks,
    never the file (a memory ceiling, not a timing)."""
    config = make_config("local")
    block = pattern(MiB)
    with open(Path(config["path"], "huge.bin"), "wb") as f:
        for _ in range(HUGE // MiB):
            f.write(block)
    url = served.mounts([config], writable=True)
    parts = urllib.parse.urlsplit(url)
    with PeakRSS() as peak:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", "/m/huge.bin")
        response = conn.getresponse()
        received = 0
        while chunk := response.read(MiB):
            received += len(chunk)
        conn.close()
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {"Content-Length": str(HUGE)}
        conn.request(
            "PUT", "/m/copy.bin", body=(block for _ in range(HUGE // MiB)), headers=headers
        )
        answer = conn.getresponse()
        answer.read()
        conn.close()
    assert response.status == 200 and received == HUGE
    assert answer.status == 201
    assert Path(config["path"], "copy.bin").stat().st_size == HUGE
    assert peak.growth < 64 * MiB, f"memory grew by {peak.growth / MiB:.1f} MiB"


# ------------------------------------------------------------------ mounts and token


def test_unknown_and_unlisted_mounts_are_404(served, make_config):
    configs = [make_config("memory", "a"), make_config("memory", "b")]
    with StorageManager(configs) as seed:
        seed.node("b:x.txt").write_bytes(b"b")
        seed.node("a:x.txt").write_bytes(b"a")
    url = served.mounts(configs, mounts=["a"])
    assert fetch(url, "GET", "/a/x.txt").body == b"a"
    for path in ("/b/x.txt", "/b/", "/zz/x.txt", "/zz"):
        got = fetch(url, "GET", path)
        assert got.status == 404 and got.json()["error"] == "not_found", path
    assert [e["name"] for e in fetch(url, "GET", "/").json()["entries"]] == ["a"]
    url = served.mounts(configs)
    assert fetch(url, "GET", "/b/x.txt").body == b"b"


def test_the_token_is_required_on_every_request(served, config, store):
    store.node("m:a.txt").write_bytes(b"a")
    url = served.mounts([config], token="s3cret-T0ken", writable=True)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer s3cret-T0ke"},
        {"Authorization": "Bearer s3cret-T0kenX"},
        {"Authorization": "Basic s3cret-T0ken"},
        {"Authorization": "s3cret-T0ken"},
        {"Authorization": "Bearer"},
    ):
        for method, path in (
            ("GET", "/m/a.txt"),
            ("GET", "/"),
            ("GET", "/zz/../x"),
            ("DELETE", "/m/a.txt"),
        ):
            got = fetch(url, method, path, headers)
            assert got.status == 401, (headers, method, path)
            assert got.header("www-authenticate") == 'Bearer realm="genro-storage"'
            assert b"s3cret" not in got.body
    assert store.node("m:a.txt").exists
    for value in ("Bearer s3cret-T0ken", "bearer s3cret-T0ken", "Bearer   s3cret-T0ken "):
        assert fetch(url, "GET", "/m/a.txt", {"Authorization": value}).body == b"a"


def test_the_token_comparison_takes_constant_time(monkeypatch):
    """Whatever is sent, one ``hmac.compare_digest`` of two 32-byte digests decides."""
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(rules.request.hmac, "compare_digest", spy)
    token = "the-right-token"
    for sent in (None, "", "Bearer ", "Bearer x", "Bearer " + "y" * 5000, "Bearer the-right-token"):
        calls.clear()
        result = rules.token_ok(sent, token)
        assert calls == [(32, 32)], sent
        assert result is (sent == "Bearer the-right-token")


# ------------------------------------------------------------------ traversal


TRAVERSALS = [
    "/m/../secret.txt",
    "/m/%2e%2e/secret.txt",
    "/m/%2E%2E/secret.txt",
    "/m/.%2e/secret.txt",
    "/m/%2e./secret.txt",
    "/m/..%2fsecret.txt",
    "/m/..%2Fsecret.txt",
    "/m/%2e%2e%2fsecret.txt",
    "/m/%252e%252e/secret.txt",
    "/m/%25252e%25252e/secret.txt",
    "/m/..\\secret.txt",
    "/m/%5c..%5csecret.txt",
    "/m/..%5csecret.txt",
    "/m/%255c..%255csecret.txt",
    "/m/sub/../../secret.txt",
    "/m/./secret.txt",
    "/m//secret.txt",
    "/m/%2f..%2fsecret.txt",
    "/m/%00",
    "/m/secret.txt%00.png",
    "/m/%2500",
    "/m/%c0%ae%c0%ae/secret.txt",
    "/m/%e0%80%ae%e0%80%ae/secret.txt",
    "/m/%ff/secret.txt",
    "/m/%0d%0aX-Evil:%201",
    "/%2e%2e/secret.txt",
    "/../secret.txt",
    "/m/..",
    "/m/.",
    "/m/%2e",
    "/m/sub/..",
]


def _secret_outside(config: dict[str, Any]) -> bytes:
    """A file beside the local mount's folder, and one in the mount's parent 'm'."""
    secret = b"TOP-SECRET-" + config["name"].encode()
    Path(config["path"]).parent.joinpath("secret.txt").write_bytes(secret)
    return secret


@pytest.fixture
def local_served(served, make_config) -> tuple[str, dict[str, Any], bytes]:
    config = make_config("local")
    secret = _secret_outside(config)
    Path(config["path"], "sub").mkdir()
    Path(config["path"], "sub", "ok.txt").write_bytes(b"ok")
    return served.mounts([config], writable=True), config, secret


def _refused(url: str, config: dict[str, Any], secret: bytes, path: str, method: str) -> None:
    got = fetch(url, method, path, body=b"x" if method == "PUT" else None)
    assert got.status in (400, 404), (path, got.status, got.body)
    assert secret not in got.body
    assert "x-evil" not in got.headers
    clean(got, config)
    if got.status == 400 and method != "HEAD":
        assert got.json()["error"] == "bad_path"


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_refused(local_served, path):
    url, config, secret = local_served
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        _refused(url, config, secret, path, method)
    assert Path(config["path"]).parent.joinpath("secret.txt").read_bytes() == secret
    assert fetch(url, "GET", "/m/sub/ok.txt").body == b"ok"  # the mount still serves


_PIECES = [
    "..",
    ".",
    "%2e%2e",
    "%2E.",
    ".%2E",
    "%252e%252e",
    "%5c",
    "\\",
    "%2f",
    "%252f",
    "%00",
    "%2500",
    "%c0%ae",
    "..%2f",
    "..%5c",
    "",
    "%0a",
]
_NAMES = ["secret.txt", "sub", "ok.txt", "m", "a b", "%41", "é"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    trap=st.sampled_from([p for p in _PIECES if p]),
    before=st.lists(st.sampled_from(_PIECES + _NAMES), max_size=3),
    after=st.lists(st.sampled_from(_PIECES + _NAMES), max_size=3),
    method=st.sampled_from(["GET", "HEAD", "PUT", "DELETE"]),
)
def test_traversal_in_any_combination_is_refused(local_served, trap, before, after, method):
    url, config, secret = local_served
    segments = [urllib.parse.quote(s, safe="%\\.") if s in _NAMES else s for s in before]
    segments += [trap]
    segments += [urllib.parse.quote(s, safe="%\\.") if s in _NAMES else s for s in after]
    _refused(url, config, secret, "/m/" + "/".join(segments), method)
    assert Path(config["path"]).parent.joinpath("secret.txt").read_bytes() == secret


def test_errors_hold_no_secret_or_disk_path(served, config, store):
    store.node("m:f.txt").write_bytes(b"f")
    url = served.mounts([config])
    answers = [
        fetch(url, "GET", "/m/missing.txt"),
        fetch(url, "GET", "/m/missing/"),
        fetch(url, "GET", "/m/f.txt", {"Range": "bytes=99-"}),
        fetch(url, "PUT", "/m/f.txt", body=b"x"),
        fetch(url, "GET", "/m/../x"),
        fetch(url, "OPTIONS", "/m/f.txt"),
        fetch(url, "GET", "/m/?page_size=0"),
    ]
    for got in answers:
        assert got.status >= 400
        body = got.json()
        assert set(body) == {"status", "error", "message"} and body["status"] == got.status
        clean(got, config)


# ------------------------------------------------------------------ under a prefix


def _wsgi_prefix(app: Any) -> Any:
    """Mount a WSGI application at /files, as a WSGI server's SCRIPT_NAME does."""

    def prefixed(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/files/"):
            start_response("404 Not Found", [("Content-Length", "0")])
            return []
        environ["SCRIPT_NAME"] = "/files"
        environ["PATH_INFO"] = path[len("/files") :]
        return app(environ, start_response)

    return prefixed


def _starlette(app: Any) -> Any:
    """The docs' FastAPI/Starlette recipe: ``app.mount("/files", storage.asgi_app())``."""
    from starlette.applications import Starlette

    web = Starlette()
    web.mount("/files", app)
    return web


async def test_served_under_a_prefix(served, config, store, http_client, api):
    store.node("m:dir/a.txt").write_bytes(b"prefixed")
    served.mounts([config])
    served.wrap(_starlette if served.flavour == "asgi" else _wsgi_prefix)
    url = served.url
    assert fetch(url, "GET", "/files/m/dir/a.txt").body == b"prefixed"
    moved = fetch(url, "GET", "/files/m/dir")
    assert moved.status == 301 and moved.header("location") == "dir/"
    index = fetch(url, "GET", "/files/m/dir/", {"Accept": "text/html"})
    assert b"<title>Index of /files/m/dir/</title>" in index.body
    missing = fetch(url, "GET", "/files/m/nothing.txt")
    assert missing.json()["message"] == "Not found: /files/m/nothing.txt"
    root = http_client(f"{url}/files/m", headers=HTML)
    assert await root.child("dir/a.txt").read_bytes() == b"prefixed"
    assert await root.child("dir/a.txt").read_range(2, 5) == b"efi"
    assert [e.name for e in (await root.child("dir").list()).entries] == ["a.txt"]


# ------------------------------------------------------------------ the ASGI protocol


async def test_asgi_app_answers_lifespan_and_refuses_websockets(make_config):
    storage = AsyncStorageManager([make_config("memory")])
    app = storage.asgi_app()
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    await app({"type": "websocket", "path": "/m/"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1003}]
    await storage.close()


# ------------------------------------------------------------------ the rules, one by one


def _req(**headers: str) -> Request:
    return Request(
        "GET", "/m/x", headers={k.replace("_", "-").lower(): v for k, v in headers.items()}
    )


def test_byte_range_rules():
    cases = {
        "bytes=0-0": Span(0, 1, 10),
        "bytes=9-": Span(9, 10, 10),
        "bytes=-1": Span(9, 10, 10),
        "bytes=-20": Span(0, 10, 10),
        "bytes=3-100": Span(3, 10, 10),
        " bytes = 1 - 2 ": Span(1, 3, 10),  # spaces are tolerated
        "BYTES=1-2": Span(1, 3, 10),
        "bytes=10-": UNSATISFIABLE,
        "bytes=-0": UNSATISFIABLE,
        "bytes=2-1": None,
        "bytes=1-2,4-5": None,
        "bytes=-": None,
        "bytes=a-b": None,
        "bytes=1": None,
        "pages=1-2": None,
        "bytes=٣-٤": None,  # digits, but not ASCII digits
    }
    for header, expected in cases.items():
        got = rules.byte_range(_req(range=header), 10, '"e"', 100.0)
        if expected is None:
            assert got is None, header
        elif expected is UNSATISFIABLE:
            assert got is UNSATISFIABLE, header
        else:
            assert (got.start, got.end, got.size) == (
                expected.start,
                expected.end,
                expected.size,
            ), header
    assert rules.byte_range(_req(range="bytes=0-1"), None, '"e"', None) is None
    assert rules.byte_range(_req(range="bytes=0-1"), 0, '"e"', None) is UNSATISFIABLE
    weak = _req(range="bytes=0-1", if_range='W/"e"')
    assert rules.byte_range(weak, 10, '"e"', None) is None


def test_listing_format_negotiation():
    cases = {
        None: False,
        "": False,
        "*/*": False,
        "application/json": False,
        "text/html": True,
        "text/*": True,
        "application/xhtml+xml": True,
        "text/html;q=0.1, application/json": False,
        "application/json;q=0.1, text/html": True,
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": True,
        "text/html;q=0, */*": False,
        "text/html;q=bogus": False,
    }
    for accept, html in cases.items():
        headers = {} if accept is None else {"accept": accept}
        assert rules.wants_html(Request("GET", "/m/", headers=headers)) is html, accept


def test_content_disposition_rules():
    for name in (
        "plain.txt",
        "a b.txt",
        'q"uote\\s;.txt',
        "日本語.txt",
        "\x00\x1f\x7f",
        "%41.txt",
        "",
    ):
        value = rules.content_disposition(name, True)
        assert value.isascii() and value.startswith("attachment; filename=")
        expected = "".join(c for c in name if c.isprintable()) or "download"
        assert _disposition_name(value) == expected, name
    assert rules.content_disposition("x.txt", False).startswith("inline;")


def test_path_rules():
    good = {
        "/": [],
        "": [],
        "/m/": ["m"],
        "/m/a b/c.txt": ["m", "a b", "c.txt"],
        "/m/%41": ["m", "%41"],  # a literal name with a percent sign
        "/m/...": ["m", "..."],
        "/m/.hidden": ["m", ".hidden"],
        "/m/é": ["m", "é"],
    }
    for path, segments in good.items():
        assert rules.check_path(path) == segments, path
    for path in (
        "m/a",
        "/m//a",
        "/m/./a",
        "/m/../a",
        "/m/a\\b",
        "/m/\x00",
        "/m/a\nb",
        "/m/%2e%2e",
        "/m/%2f",
        "/m/%5c",
        "/m/%00",
        "/m/.%2E",
        "/m/a/..",
        "/m/%2E",
    ):
        with pytest.raises(rules.RequestError):
            rules.check_path(path)


def test_etag_rules():
    from genro_storage import FileInfo

    assert rules.etag_of(FileInfo("a", "file", 3, 1.5, etag="abc-2")) == '"abc-2"'
    assert rules.etag_of(FileInfo("a", "file", 3, 1.5, md5="f" * 32)) == f'"{"f" * 32}"'
    by_time = rules.etag_of(FileInfo("a", "file", 3, 1.5))
    assert by_time == rules.etag_of(FileInfo("a", "file", 3, 1.5))
    assert by_time != rules.etag_of(FileInfo("a", "file", 3, 1.500001))
    assert by_time != rules.etag_of(FileInfo("a", "file", 4, 1.5))
    assert rules.etag_of(FileInfo("a", "file", 3, 1.5, etag='bad"tag')) == by_time


def test_servers_stop_cleanly():
    """What the session fixtures rely on: stop() leaves no thread and frees the port."""
    for server in (UvicornServer().start(), WSGIRefServer().start()):
        port = server.port
        server.stop()
        assert not server.alive()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, port))
