"""Google Cloud Storage through gcsfs: ``GCSLogic``, its resumable-upload writer
(``GCSResumableWriter``), the upload helpers and the sync ``GCSBackend``.

The logic serves both APIs: ``genro_storage.async_.backends.gcs`` drives the same
class asynchronously.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any

from .._shared import capabilities as caps
from .._shared.exceptions import already_exists
from .._shared.info import FileInfo
from .._shared.sansio import Call, Logic
from .drivers import SyncDriver
from .facts import md5_from_base64, timestamp
from .objectstore import ObjectStoreLogic
from .streams import PartWriter, joined

if TYPE_CHECKING:
    import aiohttp

__all__ = ["GCSBackend", "GCSLogic"]


def _gcs_upload_url(fs: Any, bucket: str) -> str:
    return f"{fs._location}/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o"


async def _gcs_upload(
    fs: Any, bucket: str, key: str, data: bytes, content_type: str, only_new: bool = False
) -> None:
    """A multipart (metadata + media) upload in one request, the body as a stream;
    ``only_new``: ``ifGenerationMatch=0`` (refused with 412 where an object exists).

    RFC 2046 delimiters (CRLF before each boundary, a fresh boundary per upload): with a
    bare LF, a parser that follows the RFC (the emulator's) eats a final CR of the data.
    """
    boundary = f"genro-{uuid.uuid4().hex}"
    meta = json.dumps({"name": key, "contentType": content_type})
    head = (
        f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n"
        f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n"
    )
    body = io.BytesIO(head.encode() + data + f"\r\n--{boundary}--\r\n".encode())
    await fs._call(
        "POST",
        _gcs_upload_url(fs, bucket),
        uploadType="multipart",
        **({"ifGenerationMatch": "0"} if only_new else {}),
        headers={"Content-Type": f'multipart/related; boundary="{boundary}"'},
        data=body,
    )


async def _gcs_start(fs: Any, bucket: str, key: str, content_type: str) -> str:
    """Open a resumable upload session; returns its URL."""
    headers, _ = await fs._call(
        "POST",
        _gcs_upload_url(fs, bucket),
        uploadType="resumable",
        json={"name": key, "contentType": content_type},
        headers={"X-Upload-Content-Type": content_type},
    )
    location: str | list[str] = headers["Location"]
    return location[0] if isinstance(location, list) else location


async def _gcs_chunk(fs: Any, location: str, data: bytes, offset: int, total: int | None) -> None:
    """Send ``data`` at ``offset`` of a resumable upload (``total`` on the last one),
    resending whatever the server says it did not keep."""
    while True:
        size = "*" if total is None else str(total)
        span = f"bytes {offset}-{offset + len(data) - 1}" if data else "bytes *"
        headers, _ = await fs._call(
            "PUT",
            location,
            headers={"Content-Range": f"{span}/{size}"},
            data=io.BytesIO(data),
        )
        kept = headers.get("Range")
        if total is not None or not kept or not data:
            return
        last = int(str(kept).rpartition("-")[2])
        shortfall = offset + len(data) - 1 - last
        if shortfall <= 0:
            return
        data, offset = data[-shortfall:], last + 1


async def _gcs_status(fs: Any, location: str) -> int:
    """The state of a resumable upload session: 308 while incomplete (a status query,
    ``Content-Range: bytes */*``, never completes it). One try, no retries."""
    session: aiohttp.ClientSession = await fs._set_session()
    headers = fs._get_headers({"Content-Range": "bytes */*"})
    async with session.put(location, headers=headers, data=b"") as answer:
        await answer.read()
        return answer.status


async def _gcs_cancel(fs: Any, location: str) -> None:
    """Cancel a resumable upload: one ``DELETE``, without gcsfs's retries (a server that
    does not implement it answers an error that is not worth retrying)."""
    session = await fs._set_session()
    async with session.delete(location, headers=fs._get_headers(None)) as answer:
        await answer.read()


class GCSResumableWriter(PartWriter):
    """GCS resumable upload: one session, a ``PUT`` with ``Content-Range`` per part, the
    object appears with the last one; abort deletes the session."""

    __slots__ = ("_location",)
    last_part_commits = True
    #: A small file is one conditional request (``ifGenerationMatch=0``, atomic on
    #: GCS). A resumable session carries its precondition from its start, before the
    #: mode is known here: a large file in mode 'x' is checked just before its last part
    #: instead (the race docs/guide.md's modes table names). The check is made for small
    #: files too, for servers that ignore the precondition (the emulator does).
    conditional_create = True

    def _g_commit_new(self) -> Logic[None]:
        if (yield from self._backend._g_head(self._key)) is not None:
            yield from self._g_abort()
            raise already_exists(self._where())
        yield from super()._g_commit_new()

    def __init__(self, backend: ObjectStoreLogic, key: str, content_type: str) -> None:
        super().__init__(backend, key, content_type)
        self._location: str | None = None

    def _g_undo(self, before: FileInfo | None) -> Logic[None]:
        """Ask the session first: still incomplete (308) means nothing landed."""
        if self._location is None:
            return
        try:
            status = yield self._backend._fs_coro(_gcs_status, self._location)
        except Exception:  # noqa: BLE001 - cannot tell: look for the object
            status = None
        if status != 308:
            yield from super()._g_undo(before)

    def _g_send(self, chunks: list[bytes], last: bool) -> Logic[None]:
        part = joined(chunks)
        backend = self._backend
        if self._location is None:
            self._location = yield backend._fs_coro(
                _gcs_start, backend.bucket, self._key, self._content_type
            )
        total = self._sent + len(part) if last else None
        yield backend._fs_coro(_gcs_chunk, self._location, part, self._sent, total)

    def _g_finish(self) -> Logic[None]:
        yield from ()
        self._location = None

    def _g_cancel(self) -> Logic[None]:
        location, self._location = self._location, None
        if location is not None:
            with contextlib.suppress(Exception):  # the session expires anyway
                yield self._backend._fs_coro(_gcs_cancel, location)


class GCSLogic(ObjectStoreLogic):
    """Google Cloud Storage through gcsfs (its JSON API calls).

    Listing pages are ``objects.list`` pages (cursor ``'p:<pageToken>'``). A server that
    ignores ``maxResults`` (the emulator) is paged here instead (cursor ``'a:<last key>'``,
    sent back as ``startOffset`` and filtered). ``url()`` is the plain object URL on the
    endpoint: it works for public objects (and on the emulator), it is not signed.
    """

    type_name = "gcs"
    capabilities = caps.GCS
    container_field = "bucket"
    library = ("gcsfs", "gcs")
    writer = GCSResumableWriter

    def _fs_class(self) -> type[Any]:
        if self.config.options.get("endpoint_url"):
            # The plain JSON-API class: gcsfs's default may be its experimental subclass,
            # which probes each bucket over gRPC (zonal buckets) and, on an endpoint
            # without gRPC (an emulator), waits 60 s per call before falling back.
            from gcsfs.core import GCSFileSystem
        else:
            from gcsfs import GCSFileSystem
        fs_class: type[Any] = GCSFileSystem  # gcsfs ships no types
        return fs_class

    def _fs_kwargs(self) -> dict[str, Any]:
        opts = self.config.options
        kwargs = {k: opts[k] for k in ("project", "token", "endpoint_url") if opts.get(k)}
        return {**kwargs, "use_listings_cache": False, **(opts.get("options") or {})}

    def _identity(self) -> tuple[Any, ...]:
        opts = self.config.options
        return tuple(opts.get(k) for k in ("endpoint_url", "token", "project"))

    def _gcs(self, method: str, path: str, *args: str, **kwargs: Any) -> Call:
        return self._fs_op("call", method, path, *args, json_out=True, **kwargs)

    def _facts(self, raw: dict[str, Any]) -> FileInfo:
        metadata = {k: v for k, v in (raw.get("metadata") or {}).items() if v is not None}
        return FileInfo(
            self.rel(raw["name"]),
            "file",
            int(raw.get("size") or 0),
            timestamp(raw.get("updated")),
            raw.get("etag"),
            md5_from_base64(raw.get("md5Hash")),
            raw.get("contentType"),
            raw.get("generation"),
            metadata,
        )

    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        if not key:
            return None
        try:
            raw = yield self._gcs("GET", "b/{}/o/{}", self.bucket, key)
        except FileNotFoundError:
            return None
        return self._facts(raw)

    def _g_list_page(
        self, prefix: str, limit: int, token: str | None, recursive: bool = False
    ) -> Logic[tuple[list[tuple[str, FileInfo | None]], str | None]]:
        params: dict[str, Any] = {"prefix": prefix or None, "maxResults": limit}
        if not recursive:
            params["delimiter"] = "/"
        after = None
        if token and token.startswith("a:"):
            after = params["startOffset"] = token[2:]
        elif token:
            params["pageToken"] = token[2:]
        answer = yield self._gcs("GET", "b/{}/o", self.bucket, **params)
        items: list[tuple[str, FileInfo | None]] = [
            (o["name"], self._facts(o)) for o in answer.get("items", [])
        ]
        items += [(p, None) for p in answer.get("prefixes", [])]
        if after is not None:
            items = [item for item in items if item[0] > after]
        items.sort(key=lambda item: item[0])
        next_token = answer.get("nextPageToken")
        if len(items) > limit:  # the server ignored maxResults: page here
            items = items[:limit]
            return items, f"a:{items[-1][0]}"
        return items, (f"p:{next_token}" if next_token else None)

    def _g_put_small(
        self, key: str, data: bytes, content_type: str, only_new: bool = False
    ) -> Logic[None]:
        yield self._fs_coro(_gcs_upload, self.bucket, key, data, content_type, only_new)

    def _g_remove_one(self, key: str) -> Logic[None]:
        with contextlib.suppress(FileNotFoundError):
            yield self._fs_op("rm_file", f"{self.bucket}/{key}")

    def _g_set_meta(self, key: str, metadata: dict[str, str], found: FileInfo) -> Logic[None]:
        # PATCH merges: a key sent as null is removed, so the old ones are named too.
        body = {"metadata": {**{k: None for k in found.metadata}, **metadata}}
        yield self._gcs("PATCH", "b/{}/o/{}", self.bucket, key, json=body)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """The object's plain URL on the endpoint (public objects; not signed)."""
        base = self.config.options.get("endpoint_url") or "https://storage.googleapis.com"
        return f"{base.rstrip('/')}/{self.bucket}/{urllib.parse.quote(self.key(path))}"


class GCSBackend(SyncDriver):
    """Google Cloud Storage through gcsfs, sync API."""

    logic_class = GCSLogic
