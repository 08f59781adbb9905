"""A minimal S3 responder on aiohttp that answers at once (moto needs 2-3 ms of CPU per
request, which hides what a client costs). Enough of S3 for the engine benchmark:
GET/HEAD/PUT of objects kept in memory, ``ListObjectsV2`` (prefix, delimiter, pages),
``DeleteObjects``, ``CopyObject``. No signature check. Run as a subprocess:

    python benchmarks/fast_s3.py PORT BUCKET

It seeds ``small/f000.bin``... (``SMALL`` objects of 4 KiB) and ``many/k00000``... (
``MANY`` empty objects), then prints ``ready`` and serves until killed.
"""

from __future__ import annotations

import hashlib
import os
import sys
from email.utils import formatdate
from xml.sax.saxutils import escape

from aiohttp import web

SMALL = 200
MANY = 10_000
SMALL_SIZE = 4096
MODIFIED = formatdate(1_700_000_000, usegmt=True)
ISO_MODIFIED = "2023-11-14T22:13:20.000Z"


def etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


class Store:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, str, str]] = {}  # key -> (data, etag, type)
        self.sorted: list[str] | None = None
        for i in range(SMALL):
            self.put(f"small/f{i:03d}.bin", os.urandom(SMALL_SIZE), "application/octet-stream")
        for i in range(MANY):
            self.put(f"many/k{i:05d}", b"", "application/octet-stream")

    def put(self, key: str, data: bytes, content_type: str) -> str:
        tag = etag(data)
        if key not in self.objects:
            self.sorted = None
        self.objects[key] = (data, tag, content_type)
        return tag

    def keys(self) -> list[str]:
        if self.sorted is None:
            self.sorted = sorted(self.objects)
        return self.sorted


def not_found(key: str) -> web.Response:
    body = f"<Error><Code>NoSuchKey</Code><Key>{escape(key)}</Key></Error>"
    return web.Response(status=404, body=body.encode(), content_type="application/xml")


def object_headers(tag: str, size: int, content_type: str) -> dict[str, str]:
    return {
        "ETag": tag,
        "Last-Modified": MODIFIED,
        "Content-Type": content_type,
        "Content-Length": str(size),
        "Accept-Ranges": "bytes",
    }


def listing(store: Store, query: dict[str, str]) -> web.Response:
    import bisect

    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    limit = min(int(query.get("max-keys", "1000")), 1000)
    start = query.get("continuation-token") or query.get("start-after") or ""
    keys = store.keys()
    i = bisect.bisect_right(keys, start) if start else bisect.bisect_left(keys, prefix)
    contents: list[str] = []
    prefixes: list[str] = []
    last = ""
    truncated = False
    while i < len(keys):
        key = keys[i]
        if not key.startswith(prefix):
            break
        if len(contents) + len(prefixes) >= limit:
            truncated = True
            break
        rest = key[len(prefix) :]
        if delimiter and delimiter in rest:
            common = prefix + rest.split(delimiter, 1)[0] + delimiter
            prefixes.append(common)
            last = common + "\uffff"
            i = bisect.bisect_left(keys, last)
            continue
        data, tag, _ = store.objects[key]
        contents.append(
            f"<Contents><Key>{escape(key)}</Key><LastModified>{ISO_MODIFIED}</LastModified>"
            f"<ETag>{escape(tag)}</ETag><Size>{len(data)}</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>"
        )
        last = key
        i += 1
    token = f"<NextContinuationToken>{escape(last)}</NextContinuationToken>" if truncated else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{store.bucket}</Name><Prefix>{escape(prefix)}</Prefix>"
        f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>{limit}</MaxKeys>"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{token}"
        + "".join(contents)
        + "".join(
            f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes
        )
        + "</ListBucketResult>"
    )
    return web.Response(body=body.encode(), content_type="application/xml")


def make_app(store: Store) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        bucket, _, key = path.partition("/")
        from urllib.parse import unquote

        key = unquote(key)
        if not key:
            if request.method == "GET":
                return listing(store, dict(request.query))
            if request.method == "POST" and "delete" in request.query:
                await request.read()
                body = '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>'
                return web.Response(body=body.encode(), content_type="application/xml")
            return web.Response(status=200)
        if request.method == "PUT":
            source = request.headers.get("x-amz-copy-source")
            if source:
                src = unquote(source).lstrip("/").partition("/")[2]
                data, tag, ctype = store.objects[src]
                store.put(key, data, ctype)
                body = f"<CopyObjectResult><ETag>{escape(tag)}</ETag></CopyObjectResult>"
                return web.Response(body=body.encode(), content_type="application/xml")
            data = await request.read()
            ctype = request.headers.get("Content-Type", "application/octet-stream")
            return web.Response(status=200, headers={"ETag": store.put(key, data, ctype)})
        if request.method == "DELETE":
            store.objects.pop(key, None)
            store.sorted = None
            return web.Response(status=204)
        found = store.objects.get(key)
        if found is None:
            if request.method == "HEAD":
                return web.Response(status=404)
            return not_found(key)
        data, tag, ctype = found
        if request.method == "HEAD":
            return web.Response(status=200, headers=object_headers(tag, len(data), ctype))
        return web.Response(status=200, body=data, headers=object_headers(tag, len(data), ctype))

    app = web.Application(client_max_size=1 << 30)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def main() -> None:
    port, bucket = int(sys.argv[1]), sys.argv[2]
    app = make_app(Store(bucket))
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
