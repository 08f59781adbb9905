"""Real storage servers for the test suite, started and stopped by the test run.

One class per server; each has ``start()``/``stop()``, works as a context manager
and exposes what a client needs (endpoint URL, credentials, connection string):

* :class:`S3Server`    -- moto's standalone server (or an external S3 such as MinIO
  when ``GENRO_STORAGE_TEST_S3_ENDPOINT``/``_KEY``/``_SECRET`` are set).
* :class:`AzureServer` -- Azurite blob service, installed with
  ``npm install --prefix tests/azurite``.
* :class:`GCSServer`   -- gcp-storage-emulator, in memory.
* :class:`HTTPServer`  -- an aiohttp file server in its own thread (Range, HEAD, ETag,
  optional PUT/DELETE, HTML directory listings, optional latency).

Every server listens on a free port of 127.0.0.1, is polled until it really answers
and, once stopped, leaves no process, temporary folder or bound port behind.

Importing this module sets ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` (unless already
set): otherwise gcsfs uses its ExtendedGcsFileSystem, which probes each bucket's type
over gRPC/TLS, which the emulator cannot answer, and stalls up to 60 s per bucket. gcsfs
reads the variable when it is imported, so import this module first (conftest does).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email.utils
import hashlib
import html
import mimetypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from typing import Self

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = ["AzureServer", "GCSServer", "HTTPServer", "S3Server", "ServerStartError"]

HOST = "127.0.0.1"
TESTS_DIR = Path(__file__).resolve().parent
AZURITE_DIR = TESTS_DIR / "azurite"
AZURITE_BIN = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"

# Servers started and not yet stopped, stopped at interpreter exit as a last resort.
_RUNNING: set[_Server] = set()


class ServerStartError(RuntimeError):
    """A test server could not be started."""


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True if a server could listen on ``port`` of 127.0.0.1 again.

    Binds with SO_REUSEADDR, as servers do, so connections left in TIME_WAIT by
    the previous server do not count: only a socket still bound to the port does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def stop_process_tree(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM a process group, wait, SIGKILL it if needed, then kill whatever is left of
    its process tree (children that started sessions of their own included)."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
    except psutil.NoSuchProcess:
        family = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=5)
    for leftover in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftover.kill()
    psutil.wait_procs(alive, timeout=5)


def _http_answers(url: str) -> bool:
    """True if ``url`` gives any HTTP response (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            resp.read()
    except urllib.error.HTTPError as err:
        err.close()
        return True
    except (OSError, ValueError):
        return False
    return True


class _Server:
    """Common lifecycle: a temp data dir, ``start()``/``stop()``, context manager."""

    name = "server"
    start_timeout = 60.0

    def __init__(self) -> None:
        self.host = HOST
        self.port: int | None = None
        self.data_dir: Path | None = None
        self.start_seconds: float | None = None
        self.stop_seconds: float | None = None

    def start(self) -> Self:
        """Start the server and wait until it answers; return ``self``."""
        if self.port is not None:
            raise RuntimeError(f"{self.name} already started")
        t0 = time.monotonic()
        _RUNNING.add(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Stop the server and remove its data dir; safe to call more than once."""
        t0 = time.monotonic()
        try:
            self._stop()
        finally:
            if self.data_dir is not None:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                self.data_dir = None
            self.port = None
            _RUNNING.discard(self)
        self.stop_seconds = time.monotonic() - t0

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def _make_data_dir(self) -> Path:
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"genro-storage-{self.name}-"))
        return self.data_dir

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ProcessServer(_Server):
    """A server run as a subprocess in its own process group, logging to a file."""

    def __init__(self) -> None:
        super().__init__()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.command: list[str] = []

    @property
    def pid(self) -> int | None:
        """Pid of the server process (``None`` when not running)."""
        return self.process.pid if self.process is not None else None

    def _command(self, port: int, data_dir: Path) -> list[str]:
        raise NotImplementedError

    def _probe_url(self) -> str:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1"}

    def _start(self) -> None:
        data_dir = self._make_data_dir()
        self.log_path = data_dir / "server.log"
        for attempt in range(3):  # a freshly picked free port may be taken meanwhile
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.command = self._command(self.port, data_dir)
                self.process = subprocess.Popen(
                    self.command,
                    cwd=data_dir,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready():
                return
            assert self.process is not None
            code = self.process.poll()
            self._terminate()
            tail = self.log_tail()
            if "in use" not in tail.lower() or attempt == 2:
                why = (
                    f"exited with code {code}"
                    if code is not None
                    else f"did not answer within {self.start_timeout:g}s"
                )
                raise ServerStartError(
                    f"{self.name} server on {self.host}:{self.port} {why}.\n"
                    f"command: {shlex.join(self.command)}\n"
                    f"--- last lines of its log ---\n{tail}"
                )

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if _http_answers(self._probe_url()):
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 40) -> str:
        """Last ``lines`` lines of the server's log."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    def _stop(self) -> None:
        self._terminate()

    def _terminate(self) -> None:
        """SIGTERM the process group, wait, then SIGKILL whatever is left."""
        proc, self.process = self.process, None
        if proc is None:
            return
        stop_process_tree(proc, timeout=10)


class S3Server(_ProcessServer):
    """moto's standalone S3 server, or an external S3 given by environment variables.

    With ``GENRO_STORAGE_TEST_S3_ENDPOINT`` (plus ``GENRO_STORAGE_TEST_S3_KEY``,
    ``GENRO_STORAGE_TEST_S3_SECRET``, optional ``GENRO_STORAGE_TEST_S3_REGION``) set,
    nothing is started and ``stop()`` does nothing.
    """

    name = "s3"
    #: Endpoints of moto servers started by this process. When the environment points at
    #: one of them (the notebook run exports its server), it is reused, not "external".
    started_here: set[str] = set()

    def __init__(self, use_environment: bool = True) -> None:
        """``use_environment=False`` always starts a fresh moto server."""
        super().__init__()
        given = os.environ.get("GENRO_STORAGE_TEST_S3_ENDPOINT", "").rstrip("/")
        given = given if use_environment else ""
        self.reused = bool(given) and given in S3Server.started_here
        self.external = bool(given) and not self.reused
        self.endpoint_url = ""
        self.access_key = "testing"
        self.secret_key = "testing"
        self.region = os.environ.get("GENRO_STORAGE_TEST_S3_REGION", "us-east-1")

    def _start(self) -> None:
        if not self.external and not self.reused:
            super()._start()
            self.endpoint_url = f"http://{self.host}:{self.port}"
            S3Server.started_here.add(self.endpoint_url)
            return
        try:
            self.endpoint_url = os.environ["GENRO_STORAGE_TEST_S3_ENDPOINT"].rstrip("/")
            self.access_key = os.environ["GENRO_STORAGE_TEST_S3_KEY"]
            self.secret_key = os.environ["GENRO_STORAGE_TEST_S3_SECRET"]
        except KeyError as exc:
            raise ServerStartError(
                f"GENRO_STORAGE_TEST_S3_ENDPOINT is set but {exc.args[0]} is not"
            ) from None
        parsed = urllib.parse.urlsplit(self.endpoint_url)
        self.host = parsed.hostname or ""
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if not _http_answers(self.endpoint_url):
            raise ServerStartError(f"external S3 endpoint {self.endpoint_url} does not answer")

    def _stop(self) -> None:
        if not self.external and not self.reused:
            S3Server.started_here.discard(self.endpoint_url)
            super()._stop()

    def _command(self, port: int, data_dir: Path) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/moto-api/"

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        return env

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str, versioned: bool = False) -> None:
        """Create bucket ``name``, with versioning enabled if ``versioned``."""
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


class AzureServer(_ProcessServer):
    """Azurite's blob service with the well-known development account."""

    name = "azure"
    account_name = "devstoreaccount1"
    account_key = (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    )

    def __init__(self) -> None:
        super().__init__()
        self.endpoint_url = ""
        self.connection_string = ""

    def _start(self) -> None:
        if not AZURITE_BIN.exists():
            raise ServerStartError(
                f"Azurite is not installed ({AZURITE_BIN} missing): "
                "run `npm install --prefix tests/azurite`"
            )
        super()._start()
        self.endpoint_url = f"http://{self.host}:{self.port}/{self.account_name}"
        self.connection_string = (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
            f"AccountKey={self.account_key};BlobEndpoint={self.endpoint_url};"
        )

    def _command(self, port: int, data_dir: Path) -> list[str]:
        location = data_dir / "data"
        location.mkdir(exist_ok=True)
        return [
            str(AZURITE_BIN),
            "--blobHost",
            HOST,
            "--blobPort",
            str(port),
            "--location",
            str(location),
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--loose",
        ]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/{self.account_name}?comp=list"

    def client(self) -> Any:
        """An azure-storage-blob ``BlobServiceClient`` for this server."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def create_container(self, name: str) -> None:
        """Create blob container ``name``."""
        with self.client() as service:
            service.create_container(name)


# Run by GCSServer: raise the listen backlog of the emulator's (single-threaded)
# http.server.HTTPServer from 5 to 128 before it is created, then run its CLI.
_GCS_LAUNCHER = """
import sys
import http.server
http.server.HTTPServer.request_queue_size = 128
from gcp_storage_emulator.__main__ import main
main(sys.argv[1:])
"""


class GCSServer(_ProcessServer):
    """gcp-storage-emulator, in memory, reached anonymously at ``endpoint_url``."""

    name = "gcs"
    project = "test-project"

    def __init__(self) -> None:
        super().__init__()
        self.endpoint_url = ""

    def _start(self) -> None:
        super()._start()
        self.endpoint_url = f"http://{self.host}:{self.port}"

    def _command(self, port: int, data_dir: Path) -> list[str]:
        return [
            sys.executable,
            "-c",
            _GCS_LAUNCHER,
            "start",
            "--host",
            HOST,
            "--port",
            str(port),
            "--in-memory",
            "--quiet",
        ]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _env(self) -> dict[str, str]:
        # Keep the emulator's on-disk defaults (unused in memory) inside the data dir.
        return {**super()._env(), "STORAGE_BASE": str(self.data_dir)}

    def create_bucket(self, name: str) -> None:
        """Create bucket ``name`` through the JSON API."""
        req = urllib.request.Request(
            f"{self.endpoint_url}/storage/v1/b?project={self.project}",
            data=f'{{"name": "{name}"}}'.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()


class HTTPServer(_Server):
    """aiohttp file server for a folder, in its own thread with its own event loop.

    ``root``: folder to serve (a temp folder, removed at stop, when not given).
    ``writable``: accept PUT (atomic write) and DELETE. ``latency``: seconds slept
    before answering each request. ETag is the quoted md5 hex of the file.
    """

    name = "http"

    def __init__(
        self, root: str | os.PathLike[str] | None = None, writable: bool = False, latency: float = 0
    ) -> None:
        super().__init__()
        self._given_root = Path(root) if root is not None else None
        self.root: Path | None = self._given_root
        self.writable = writable
        self.latency = latency
        self.endpoint_url = ""
        self.thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None
        self._serving = False
        self._md5_cache: dict[tuple[Path, int, int], str] = {}

    def url(self, path: str = "") -> str:
        """URL of ``path`` (relative to the root) on this server."""
        return f"{self.endpoint_url}/{urllib.parse.quote(path.lstrip('/'))}"

    def _start(self) -> None:
        from aiohttp import web

        if self._given_root is None:
            self.root = self._make_data_dir()
        assert self.root is not None
        self.root = self.root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

        app = web.Application(client_max_size=1024**4)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.port = sock.getsockname()[1]
        self.endpoint_url = f"http://{self.host}:{self.port}"

        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock, backlog=512).start())
        except BaseException:
            sock.close()
            raise
        self.thread = threading.Thread(target=loop.run_forever, name="http-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not _http_answers(self.endpoint_url + "/"):  # answered without latency
            if time.monotonic() > deadline:
                raise ServerStartError(f"http server did not answer on {self.endpoint_url}")
            time.sleep(0.02)
        self._serving = True

    def _stop(self) -> None:
        loop, self._loop = self._loop, None
        self._serving = False
        if loop is None:
            return
        if self.thread is not None and self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            self.thread.join(timeout=10)
        else:
            loop.run_until_complete(self._shutdown())
        loop.close()
        if self._given_root is None:
            self.root = None

    async def _shutdown(self) -> None:
        """Close the site and connections, then cancel and await what is left."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()

    # ---------------------------------------------------------------- handlers

    def _resolve(self, request: Any) -> Path | None:
        """Filesystem path for the request, or ``None`` if it escapes the root."""
        assert self.root is not None
        raw = urllib.parse.unquote(request.raw_path.split("?", 1)[0])
        if ".." in raw.replace("\\", "/").split("/") or "\0" in raw:
            return None
        target = (self.root / raw.lstrip("/")).resolve()
        if target != self.root and not target.is_relative_to(self.root):
            return None
        return target

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        if self.latency and self._serving:
            await asyncio.sleep(self.latency)
        path = self._resolve(request)
        if path is None:
            return web.Response(status=403, text="forbidden: path escapes the root\n")
        method = request.method
        if method in ("GET", "HEAD"):
            if path.is_dir():
                return self._listing(request, path)
            if not path.is_file():
                return web.Response(status=404, text="not found\n")
            return await self._send_file(request, path)
        if method in ("PUT", "DELETE") and self.writable:
            return await (self._put(request, path) if method == "PUT" else self._delete(path))
        allowed = "GET, HEAD, PUT, DELETE" if self.writable else "GET, HEAD"
        return web.Response(status=405, headers={"Allow": allowed}, text="not allowed\n")

    def _md5(self, path: Path, stat: os.stat_result) -> str:
        key = (path, stat.st_mtime_ns, stat.st_size)
        digest = self._md5_cache.get(key)
        if digest is None:
            md5 = hashlib.md5()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    md5.update(chunk)
            digest = self._md5_cache[key] = md5.hexdigest()
        return digest

    async def _send_file(self, request: Any, path: Path) -> Any:
        from aiohttp import web

        stat = path.stat()
        size = stat.st_size
        md5 = await asyncio.to_thread(self._md5, path, stat)
        headers = {
            "ETag": f'"{md5}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "Accept-Ranges": "bytes",
        }
        span = _parse_range(request.headers.get("Range"), size)
        if span == "unsatisfiable":
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)
        status, start, end = 200, 0, size  # end exclusive
        if span is not None:
            status, (start, end) = 206, span
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        if request.method == "GET":
            with open(path, "rb") as fh:
                fh.seek(start)
                remaining = end - start
                while remaining > 0:
                    chunk = await asyncio.to_thread(fh.read, min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    await response.write(chunk)
        await response.write_eof()
        return response

    def _listing(self, request: Any, path: Path) -> Any:
        from aiohttp import web

        assert self.root is not None
        rel = path.relative_to(self.root).as_posix()
        base = "/" if rel == "." else f"/{rel}/"
        items = []
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            href = urllib.parse.quote(base + child.name + ("/" if child.is_dir() else ""))
            label = html.escape(child.name + ("/" if child.is_dir() else ""))
            items.append(f'<li><a href="{html.escape(href)}">{label}</a></li>')
        body = (
            f"<!DOCTYPE html>\n<html><head><title>Index of {html.escape(base)}</title></head>"
            f"<body><h1>Index of {html.escape(base)}</h1>\n<ul>\n"
            + "\n".join(items)
            + "\n</ul></body></html>\n"
        )
        return web.Response(text=body, content_type="text/html")

    async def _put(self, request: Any, path: Path) -> Any:
        from aiohttp import web

        if request.raw_path.split("?", 1)[0].endswith("/"):
            path.mkdir(parents=True, exist_ok=True)  # PUT /dir/ creates a folder
            return web.Response(status=201)
        if path.is_dir():
            return web.Response(status=409, text="is a directory\n")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                async for chunk in request.content.iter_chunked(1 << 20):
                    await asyncio.to_thread(fh.write, chunk)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return web.Response(status=204 if existed else 201)

    async def _delete(self, path: Path) -> Any:
        from aiohttp import web

        if path == self.root:
            return web.Response(status=403, text="cannot delete the root\n")
        if path.is_dir():
            try:
                path.rmdir()
            except OSError:
                return web.Response(status=409, text="directory not empty\n")
        elif path.is_file():
            path.unlink()
        else:
            return web.Response(status=404, text="not found\n")
        return web.Response(status=204)


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """Parse a single ``bytes=a-b`` range into ``(start, end_exclusive)``.

    ``None`` means "serve the whole file" (no header, a malformed one or several
    ranges, which RFC 9110 allows to ignore); ``"unsatisfiable"`` means 416.
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[len("bytes=") :].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()):
        return None
    if not first.isdigit():  # suffix: the last N bytes
        if not last.isdigit() or int(last) == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - int(last)), size
    start = int(first)
    if last and not last.isdigit():
        return None
    end = int(last) + 1 if last else size
    if last and end <= start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size)


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()
